'use strict';

const { PaymentDeclined } = require('./errors');

function charge(orderId, card, amount) {
  throw new PaymentDeclined(`card ${card.toString(16)} declined for order ${orderId} (amount=${amount})`);
}

function checkout(orderId, card, amount) {
  charge(orderId, card, amount);
}

function checkoutFromWeb(orderId, card, amount) {
  checkout(orderId, card, amount);
}

function checkoutFromApi(orderId, card, amount) {
  checkout(orderId, card, amount);
}

function refund(orderId, card, amount) {
  throw new PaymentDeclined(`refund of ${amount} to card ${card.toString(16)} refused for ${orderId}`);
}

module.exports = { checkoutFromWeb, checkoutFromApi, refund };
