//! Reads `inkasso.toml` (keys documented in `schemas/inkasso.toml.md`).

use std::path::Path;

use super::{io, Error};
use crate::model::Config;

/// Loads and checks the configuration.
///
/// # Errors
/// `Error::Config` naming the file and the problem (TOML error with line,
/// unknown key, duplicate creditor id).
pub fn load(path: &Path) -> Result<Config, Error> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    parse(path, &text)
}

/// Parses configuration text; `path` is used in messages.
///
/// # Errors
/// As `load`.
pub fn parse(path: &Path, text: &str) -> Result<Config, Error> {
    let config: Config =
        toml::from_str(text).map_err(|e| Error::Config { path: path.to_path_buf(), message: e.to_string() })?;
    let mut ids: Vec<&str> = config.creditors.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::Config {
            path: path.to_path_buf(),
            message: format!("creditor id {} is configured twice", w[0]),
        });
    }
    for c in &config.creditors {
        if c.id.is_empty() || !c.id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Config {
                path: path.to_path_buf(),
                message: format!("creditor id {:?}: expected the org number, digits only", c.id),
            });
        }
    }
    Ok(config)
}
