//! weir: a streaming media server runtime. JavaScript decides, Rust moves.
//!
//! Layers, top to bottom (dependencies point down only):
//! - [`cli`] and [`server`]: the `weir` command, workers, listeners, shutdown;
//! - [`js`] and [`ops`]: the V8 embedding and the Rust↔JS boundary;
//! - [`http`] and [`media`]: protocol drivers and the exchange model; file paths and
//!   content types;
//! - [`io`]: byte sources, sinks and the pipe between them;
//! - [`resources`]: the table of Rust objects JS refers to by id.

pub mod cli;
pub mod http;
pub mod io;
pub mod js;
pub mod media;
pub mod ops;
pub mod resources;
pub mod server;
