//! One module per subcommand.

pub mod check;
pub mod conversion;
pub mod demo;
pub mod dispatch;
pub mod drift;
pub mod erase;
pub mod experiment;
pub mod import;
pub mod init;
pub mod plan;
pub mod report;
pub mod serve;
pub mod simulate;
pub mod suppress;
pub mod token;
pub mod watch;
