//! The mapping engine: how a tool's export — a tabular file (CSV, JSON Lines) or an
//! XES log — becomes Yieldline events. [`rule`] is the vocabulary both share (value
//! patterns → station, kind, reason, channel, resume delay, next station);
//! [`tabular`] maps the columns of CSV and JSON Lines exports through it; the XES
//! reader (`crate::xes`) maps activities of traces through it.

mod read;
pub mod rule;
pub mod tabular;

pub use read::SourceSummary;
pub(crate) use read::read_events;
pub use tabular::{SOURCES, SourceMapping};

#[cfg(test)]
mod tests;
