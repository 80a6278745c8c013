'use strict';

const { QuoteError, UpstreamError } = require('./errors');

function requestQuote(sku) {
  if (sku.startsWith('bad-')) return '{"price": ';
  throw new UpstreamError(`quote service answered 503 for ${sku}`);
}

function parseQuote(body) {
  return JSON.parse(body);
}

// A retry loop that wraps each failed attempt, so the same failure arrives with one Error.cause
// wrapper or with several, depending on how many attempts were allowed.
async function fetchQuote(sku, attempts) {
  try {
    return parseQuote(requestQuote(sku));
  } catch (err) {
    if (attempts <= 1) throw new QuoteError(`no quote for ${sku}`, { cause: err });
    await new Promise((resolve) => setImmediate(resolve));
    try {
      return await fetchQuote(sku, attempts - 1);
    } catch (inner) {
      throw new QuoteError(`no quote for ${sku} after ${attempts} attempts`, { cause: inner });
    }
  }
}

module.exports = { fetchQuote };
