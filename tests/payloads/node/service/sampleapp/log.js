'use strict';

// Every module reports its failures through here, so console.error is always called from this line:
// with attachStacktrace, the SDK's console integration sends each message as a synthetic exception
// whose innermost app frame is reportFailure, whatever the message says.
function reportFailure(message, ...details) {
  console.error(message, ...details);
}

module.exports = { reportFailure };
