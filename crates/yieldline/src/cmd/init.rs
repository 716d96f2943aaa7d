//! `yieldline init`: write the commented line template.

use std::path::Path;

use anyhow::{Context, Result, bail};
use yieldline_core::line::TEMPLATE;

use crate::workspace::LINE_FILE;

/// Writes `dir/line.toml` from the template (refusing to overwrite unless `force`).
pub fn run(dir: &Path, force: bool) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(LINE_FILE);
    if path.exists() && !force {
        bail!(
            "{} already exists (use --force to overwrite it)",
            path.display()
        );
    }
    std::fs::write(&path, TEMPLATE).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "wrote {}: edit the stations, then `yieldline import territory FILE` and `yieldline import events FILE`",
        path.display()
    );
    Ok(())
}
