'use strict';

const { reportFailure } = require('./log');

function settleOrder(orderId) {
  reportFailure(`Payment failed for order ${orderId}: card declined`);
}

module.exports = { settleOrder };
