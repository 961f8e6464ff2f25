//! Media: what to send for a file (path confinement, content types), and later the
//! range planner, the live hub and the HLS segmenter. Pure logic, no sockets.

pub mod mime;
pub mod path;
