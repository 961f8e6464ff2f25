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

function destroyQuietly(stream, err) {
  stream.destroy(stream.listenerCount('error') > 0 ? err : undefined);
}

function tryNativePipe(src, dst, callback) {
  if (typeof src?.[kNativeSource] !== 'function' || typeof dst?.[kNativeSink] !== 'function') {
    return false;
  }
  const sink = dst[kNativeSink]();
  if (sink === undefined) return false;
  const source = src[kNativeSource]();
  const binding = internalBinding('stream');
  if (source === undefined) {
    binding.close(sink);
    return false;
  }
  binding.pipe(source, sink).then(() => {
    src[kNativeDone](null);
    dst[kNativeDone](null);
    callback();
  }, (err) => {
    src[kNativeDone](err);
    dst[kNativeDone](err);
    callback(err);
  });
  return true;
}

module.exports = { kNativeSource, kNativeSink, kNativeDone, tryNativePipe, destroyQuietly };
