'use strict';

function totalPrice(items) {
  return items.map((item) => item.price.amount).reduce((sum, amount) => sum + amount, 0);
}

function totalWeight(items) {
  return items.map((item) => item.shipping.weight).reduce((sum, weight) => sum + weight, 0);
}

module.exports = { totalPrice, totalWeight };
