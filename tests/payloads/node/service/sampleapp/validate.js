'use strict';

const { NotFoundError } = require('./errors');

// The shared helper that throws on behalf of its callers: the bug is in whoever passed nothing.
function assertFound(value, what) {
  if (value === undefined || value === null) {
    throw new NotFoundError(`${what} not found`);
  }
  return value;
}

module.exports = { assertFound };
