//! The HTTP layer: protocol drivers (hyper for HTTP/1.1 and HTTP/2, quinn + h3 for
//! HTTP/3) and the protocol-independent exchange the handler side works with.

pub mod body;
pub mod exchange;
pub mod h3;
pub mod files;
pub mod server;
pub mod streams;
pub mod tls;
