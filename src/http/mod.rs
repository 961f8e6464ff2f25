//! The HTTP layer: protocol drivers (hyper for HTTP/1.1 and HTTP/2) and the
//! protocol-independent exchange the handler side works with.

pub mod body;
pub mod exchange;
pub mod files;
pub mod server;
pub mod streams;
