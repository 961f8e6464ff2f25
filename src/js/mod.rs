//! The V8 embedding: platform set-up, the runtime (isolate + context + event loop),
//! ES and CommonJS module loading, error reports, limits, and zero-copy bytes.
//!
//! Nothing here knows about HTTP or media; the server drives a [`runtime::JsRuntime`]
//! per worker thread. An isolate never leaves the thread that created it.

pub mod allocator;
pub mod builtins;
pub mod bytes;
pub mod errors;
pub mod limits;
pub mod modules;
pub mod platform;
pub mod resolve;
pub mod runtime;
pub mod state;
