//! One module per subcommand.

pub mod demo;
pub mod drift;
pub mod import;
pub mod init;
pub mod report;
