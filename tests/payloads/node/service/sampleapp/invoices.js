'use strict';

// An ES5-style constructor reused by a subclass: V8 calls the frame "new Invoice" when built
// directly and "CreditNote.Invoice" when a CreditNote is built.
function Invoice(data) {
  this.total = data.lines.reduce((sum, line) => sum + line.amount, 0);
}

function CreditNote(data) {
  Invoice.call(this, data);
  this.total = -this.total;
}

module.exports = { Invoice, CreditNote };
