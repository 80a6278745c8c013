'use strict';

const upstream = require('upstream-client');

// Rejections with a string: the SDK's rejection handler makes the synthetic exception, so its stack
// shows only Node internals and the SDK, never these functions.
async function refreshPrices(attempts) {
  throw `billing upstream unavailable after ${attempts} attempts`;
}

async function refreshStock(attempts) {
  throw `inventory upstream unavailable after ${attempts} attempts`;
}

// Nobody catches these: the library's error reaches the SDK as an unhandled rejection.
async function pollUpstream(name, timeoutMs) {
  await upstream.request(name, '/health', { timeoutMs });
}

async function connectUpstream(name) {
  await upstream.connect(name);
}

module.exports = { refreshPrices, refreshStock, pollUpstream, connectUpstream };
