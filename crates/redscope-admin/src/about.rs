//! What this build of Redscope is: its version and the git commit it was built from, for
//! `--version` and the About dialog.

use serde::Serialize;

/// The release version (the workspace's `version`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit (12 hex digits) the build comes from, or `unknown` when it was built outside a
/// git checkout without `REDSCOPE_GIT_COMMIT` set.
pub const COMMIT: &str = env!("REDSCOPE_GIT_COMMIT");

/// `0.1.0 (commit 0123456789ab)`: what `--version` prints after the program's name.
pub fn long_version() -> &'static str {
    static LONG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LONG.get_or_init(|| format!("{VERSION} (commit {COMMIT})"))
}

/// What the `about` operation answers.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct About {
    /// The release version, e.g. `0.1.0`.
    pub version: String,
    /// The git commit the build comes from (12 hex digits), or `unknown`.
    pub commit: String,
}

impl About {
    /// This build's version and commit.
    pub fn current() -> About {
        About {
            version: VERSION.to_string(),
            commit: COMMIT.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commit_is_this_checkouts_head_or_unknown() {
        let head = std::process::Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        match head {
            Some(head) if std::env::var_os("REDSCOPE_GIT_COMMIT").is_none() => {
                assert_eq!(COMMIT, head)
            }
            _ => assert!(!COMMIT.is_empty()),
        }
        assert_eq!(long_version(), format!("{VERSION} (commit {COMMIT})"));
    }
}
