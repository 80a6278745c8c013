'use strict';

const Sentry = require('@sentry/node');

// One captureMessage call for every limit: with attachStacktrace its stack is the same for all.
function checkLimit(kind, subject) {
  const text = kind === 'quota' ? `Quota exceeded for tenant ${subject}` : `Disk almost full on volume ${subject}`;
  Sentry.captureMessage(text, 'warning');
}

module.exports = { checkLimit };
