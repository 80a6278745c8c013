'use strict';

class PaymentDeclined extends Error {
  constructor(message) { super(message); this.name = 'PaymentDeclined'; }
}
class NotFoundError extends Error {
  constructor(message) { super(message); this.name = 'NotFoundError'; }
}
class UpstreamError extends Error {
  constructor(message, options) { super(message, options); this.name = 'UpstreamError'; }
}
class QuoteError extends Error {
  constructor(message, options) { super(message, options); this.name = 'QuoteError'; }
}
class ConfigError extends Error {
  constructor(message) { super(message); this.name = 'ConfigError'; }
}

module.exports = { PaymentDeclined, NotFoundError, UpstreamError, QuoteError, ConfigError };
