//! Yieldline's domain: the line, the event log, and the measurements, plans and
//! simulations made from them.
//!
//! This crate knows nothing of SQL, HTTP, files or the clock: text comes in as
//! strings, time as arguments, randomness as seeds. The store, the importers, the
//! server and the CLI move data in and out around it.

pub mod calendar;
pub mod conversion;
pub mod dispatch;
pub mod event;
pub mod experiment;
pub mod facts;
pub mod identity;
pub mod line;
pub mod plan;
pub mod report;
pub mod series;
pub mod status;
pub mod suppression;
pub mod text;
pub mod touches;
pub mod values;
pub mod visits;
pub mod watch;

pub use event::{Event, EventKind, RawEvent};
pub use line::{Line, Station};
pub use report::{Fact, FactLog, Period, Report};
