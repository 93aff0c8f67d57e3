//! What the screens show, derived from the estate model: table rows and the data behind each
//! screen, as plain values built at one model revision. Screens cache them and rebuild when
//! the revision moves on; drawing only reads them.

pub mod apps;
pub mod cluster;
pub mod detail;
pub mod fmt;
pub mod matrix;
pub mod triage;
