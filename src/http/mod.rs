//! The HTTP layer: protocol drivers (weir's own HTTP/1.1 on plain TCP, hyper for
//! HTTP/2 and for HTTP/1.1 over TLS, quinn + h3 for HTTP/3) and the
//! protocol-independent exchange the handler side works with.

pub mod body;
pub mod coalesce;
pub mod date;
pub mod exchange;
pub mod files;
pub mod h1;
pub mod h3;
pub mod server;
pub mod streams;
pub mod tls;
