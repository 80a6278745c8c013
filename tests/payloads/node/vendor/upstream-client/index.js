'use strict';

class TimeoutError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TimeoutError';
  }
}

function timeoutError(upstream, ms) {
  return new TimeoutError(`upstream ${upstream} timed out after ${ms} ms`);
}

// Like a real client, the request "waits" on a timer and fails from inside it: the error's stack
// starts at Node's timer loop, not at whoever asked for the request.
function request(upstream, path, { timeoutMs = 3000 } = {}) {
  return new Promise((resolve, reject) => {
    setTimeout(function onTimeout() {
      reject(timeoutError(upstream, timeoutMs));
    }, 1);
  });
}

// Some libraries reject with a bare string; the SDK then makes a synthetic exception in its own
// rejection handler.
function connect(upstream) {
  return new Promise((resolve, reject) => {
    setTimeout(() => reject(`connection to ${upstream} reset by peer`), 1);
  });
}

module.exports = { request, connect, TimeoutError };
