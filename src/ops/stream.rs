//! Native streams: JS `Readable`s and `Writable`s backed by Rust sources and sinks
//! named by resource id, and `op_stream_pipe`, which joins a source to a sink in Rust
//! so that `pipeline(nativeReadable, nativeWritable)` moves bytes with no JavaScript
//! per chunk.

use super::{arg_f64, spawn, throw, ErrorClass, OpError, OpValue};
use crate::io::PipeError;
use crate::js::state::state;

fn rid(scope: &mut v8::PinScope<'_, '_>, args: &v8::FunctionCallbackArguments, i: i32) -> u32 {
    arg_f64(scope, args, i, 0.0) as u32
}

/// `op_stream_pipe(sourceRid, sinkRid)`: a promise of the bytes moved, rejected with
/// `ERR_STREAM_PREMATURE_CLOSE` when the sink's consumer went away or with the
/// source's error. Both resources are consumed.
pub fn op_stream_pipe<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let (src, dst) = (rid(scope, &args, 0), rid(scope, &args, 1));
    let (source, sink) = {
        let st = state(scope);
        let mut st = st.borrow_mut();
        let source = st.resources.take(src).and_then(|r| r.source());
        let sink = st.resources.take(dst).and_then(|r| r.sink());
        (source, sink)
    };
    let (Some(source), Some(sink)) = (source, sink) else {
        return throw(
            scope,
            OpError::type_error(
                "ERR_BAD_RESOURCE",
                "op_stream_pipe needs a byte source and a byte sink",
            ),
        );
    };
    let p = spawn(scope, true, async move {
        match crate::io::pipe(source, sink).await {
            Ok(n) => Ok(OpValue::Number(n as f64)),
            Err(PipeError::SinkClosed) => Err(OpError::new(
                ErrorClass::Error,
                "ERR_STREAM_PREMATURE_CLOSE",
                "Premature close",
            )),
            // A request body cut by its client: Node's `aborted` error.
            Err(PipeError::Source(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                Err(OpError::new(ErrorClass::Error, "ECONNRESET", "aborted"))
            }
            Err(PipeError::Source(e)) => Err(OpError::from_io(&e, "read", None)),
        }
    });
    rv.set(p.into());
}

/// `op_stream_close(rid)`: releases a source or sink that will not be used.
pub fn op_stream_close<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let r = rid(scope, &args, 0);
    state(scope).borrow_mut().resources.close(r);
}

/// `op_stream_read(rid)`: a promise of the next chunk of a byte source (a
/// `Uint8Array` over the native memory), or `null` at its end.
pub fn op_stream_read<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let r = rid(scope, &args, 0);
    let source = state(scope)
        .borrow()
        .resources
        .get_any(r)
        .and_then(|res| res.source());
    let Some(source) = source else {
        return throw(
            scope,
            OpError::type_error("ERR_BAD_RESOURCE", "op_stream_read needs a byte source"),
        );
    };
    let p = spawn(scope, true, async move {
        match source.next().await {
            Ok(Some(chunk)) => Ok(OpValue::Bytes(chunk)),
            Ok(None) => Ok(OpValue::Null),
            Err(e) => Err(OpError::from_io(&e, "read", None)),
        }
    });
    rv.set(p.into());
}
