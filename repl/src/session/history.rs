//! Where the REPL keeps its history file.

use std::path::PathBuf;

/// Environment variable naming the history file; empty means no file.
pub const ENV: &str = "TENSILE_HISTORY";

/// The history file: `$TENSILE_HISTORY`, else `tensile/history` under the user's data
/// directory (created if missing). `Ok(None)` when `TENSILE_HISTORY` is empty; an error
/// says why no file can be used.
pub fn path() -> Result<Option<PathBuf>, String> {
    let file = match std::env::var_os(ENV) {
        Some(p) if p.is_empty() => return Ok(None),
        Some(p) => PathBuf::from(p),
        None => dirs::data_dir().ok_or("no data directory for this user")?.join("tensile").join("history"),
    };
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    Ok(Some(file))
}
