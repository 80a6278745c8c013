'use strict';

const handlers = new Map();

function register(path, handler) {
  handlers.set(path, handler);
}

function dispatch(path, req) {
  const handler = handlers.get(path);
  return handler(req);
}

module.exports = { register, dispatch };
