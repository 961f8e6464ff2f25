'use strict';

// High-resolution time for performance.now() and Event#timeStamp: milliseconds since
// the process started.

const binding = internalBinding('process');

function now() {
  return binding.uptime() * 1000;
}

const timeOrigin = Date.now() - now();

function getTimeOrigin() {
  return timeOrigin;
}

module.exports = { now, getTimeOrigin };
