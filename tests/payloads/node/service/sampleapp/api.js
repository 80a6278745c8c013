'use strict';

const Sentry = require('@sentry/node');

const routes = {
  getUser(id) {
    throw { status: 404, message: `user ${id} not found` };
  },
  payOrder(id) {
    throw { status: 409, message: `order ${id} is already paid` };
  },
  getCart(id) {
    const cart = undefined;
    return cart.lines[id];
  },
};

// The app's error handler: every error of every route is captured on this one line.
async function handleRequest(route, ...args) {
  try {
    return await routes[route](...args);
  } catch (err) {
    Sentry.captureException(err);
    return { status: err.status || 500 };
  }
}

module.exports = { handleRequest };
