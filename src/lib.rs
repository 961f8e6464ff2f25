//! weir: a streaming media server runtime. JavaScript decides, Rust moves.
//!
//! Layers, top to bottom (dependencies point down only):
//! - [`cli`]: the `weir` command;
//! - [`js`] and [`ops`]: the V8 embedding and the Rust↔JS boundary;
//! - [`resources`]: the table of Rust objects JS refers to by id.

pub mod cli;
pub mod js;
pub mod ops;
pub mod resources;
