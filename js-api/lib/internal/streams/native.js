'use strict';

// Native-to-native pipes. A stream backed by a Rust byte source implements
// [kNativeSource](), and one backed by a Rust byte sink [kNativeSink](); each returns
// a resource id when the stream is still untouched (nothing read or written through
// JavaScript), or undefined. When `pipeline(a, b)` joins two such streams with nothing
// in between, the bytes move in Rust (op_stream_pipe): JavaScript sees no chunk, and
// backpressure runs from the sink's consumer straight to the source.

const kNativeSource = Symbol('kNativeSource');
const kNativeSink = Symbol('kNativeSink');
// Called with (err) when the native pipe ends, so each side can emit what a
// JavaScript pipe would have made it emit ('end'/'close', 'finish'/'close'). On
// failure a side is destroyed with the error only if someone listens for 'error' (as
// pipeline's own listeners would have caught it); the callback always gets it.
const kNativeDone = Symbol('kNativeDone');
// Optional, on a source: a promise that settles when it can be read (or fails).
const kNativeReady = Symbol('kNativeReady');
// Optional, on a sink: whether [kNativeSink]() would succeed now, without side effects.
const kNativeSinkFree = Symbol('kNativeSinkFree');
// Optional, on a source: the same for [kNativeSource]().
const kNativeSourceFree = Symbol('kNativeSourceFree');

const { ERR_STREAM_PREMATURE_CLOSE } = require('internal/errors').codes;

// Destroys `stream` for an error that only listeners hear of; the stream still knows
// it failed (a response answers 500 rather than hanging up).
const kFailed = Symbol('kFailed');
function destroyQuietly(stream, err) {
  stream[kFailed] = true;
  stream.destroy(stream.listenerCount('error') > 0 ? err : undefined);
}

function tryNativePipe(src, dst, callback) {
  if (typeof src?.[kNativeSource] !== 'function' || typeof dst?.[kNativeSink] !== 'function') {
    return false;
  }
  // A source that is still opening (a file) says when it can be read: the sink (a
  // response, whose head goes out when it becomes a sink) waits for it, so that a
  // file that cannot be opened still gets an error status rather than a cut 200.
  const ready = typeof src[kNativeReady] === 'function' ? src[kNativeReady]() : undefined;
  if (ready === undefined) {
    // Neither side is taken before both can be: a sink made for a source that turns
    // out taken (a request already read from) would be lost to the JavaScript pipe.
    if (src[kNativeSourceFree]?.() === false || dst[kNativeSinkFree]?.() === false) {
      return false;
    }
    // The pipe starts on the next tick, as a JavaScript one moves its first chunk
    // then: the code after the call may still set the response's headers and status.
    process.nextTick(startNative, src, dst, callback);
    return true;
  }
  if (!dst[kNativeSinkFree]?.()) return false;
  const source = src[kNativeSource]();
  if (source === undefined) return false;
  ready.then(() => {
    let sink;
    try {
      sink = dst[kNativeSink]();
    } catch (err) {
      // The sink refused to start (a response head refused natively).
      internalBinding('stream').close(source);
      src[kNativeDone](err);
      dst[kNativeDone](err);
      return callback(err);
    }
    if (sink === undefined) {
      internalBinding('stream').close(source);
      const err = new ERR_STREAM_PREMATURE_CLOSE();
      src[kNativeDone](err);
      dst[kNativeDone](err);
      return callback(err);
    }
    run(src, dst, source, sink, callback);
  }, (err) => {
    internalBinding('stream').close(source);
    src[kNativeDone](err);
    dst[kNativeDone](err);
    callback(err);
  });
  return true;
}

function startNative(src, dst, callback) {
  // Meanwhile the handler may have read from the source or written to the sink
  // itself: then the bytes go through JavaScript.
  const jsPipe = () => {
    require('internal/streams/pipeline').pipelineImpl([src, dst], callback, { native: false });
  };
  if (src[kNativeSourceFree]?.() === false || dst[kNativeSinkFree]?.() === false) return jsPipe();
  let sink;
  try {
    sink = dst[kNativeSink]();
  } catch (err) {
    dst[kNativeDone](err);
    return callback(err);
  }
  if (sink === undefined) return jsPipe();
  const source = src[kNativeSource]();
  if (source === undefined) {
    internalBinding('stream').close(sink);
    const err = new ERR_STREAM_PREMATURE_CLOSE();
    dst[kNativeDone](err);
    return callback(err);
  }
  run(src, dst, source, sink, callback);
}

function run(src, dst, source, sink, callback) {
  internalBinding('stream').pipe(source, sink).then(() => {
    src[kNativeDone](null);
    dst[kNativeDone](null);
    // After the sides' own events ('finish', 'end', queued by kNativeDone), as a
    // JavaScript pipeline calls back once its streams have finished.
    process.nextTick(callback);
  }, (err) => {
    src[kNativeDone](err);
    dst[kNativeDone](err);
    callback(err);
  });
}

module.exports = {
  kNativeSource, kNativeSink, kNativeDone, kNativeReady, kNativeSinkFree, kNativeSourceFree,
  tryNativePipe, destroyQuietly,
  kFailed,
};
