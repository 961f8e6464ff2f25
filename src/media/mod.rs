//! Media: what to send for a file (path confinement, content types, preconditions and
//! byte ranges), and later the live hub and the HLS segmenter. Pure logic, no sockets.

pub mod conditional;
pub mod mime;
pub mod path;
pub mod range;
