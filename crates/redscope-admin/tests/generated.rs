//! The files generated from the operation table are current: each committed file equals what
//! its generator renders now. `REDSCOPE_BLESS=1` rewrites them instead of failing.

use std::path::PathBuf;

use redscope_admin::schema::{ARTEFACTS, REGENERATE};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn generated_files_are_current() {
    let bless = std::env::var_os("REDSCOPE_BLESS").is_some_and(|v| v != "0" && !v.is_empty());
    let mut stale = Vec::new();
    for a in ARTEFACTS {
        let path = repo_root().join(a.path);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        let fresh = (a.render)(&current);
        if fresh == current {
            continue;
        }
        if bless {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).unwrap();
            }
            std::fs::write(&path, fresh).unwrap_or_else(|e| panic!("writing {}: {e}", a.path));
            eprintln!("rewrote {}", a.path);
        } else {
            stale.push(a.path);
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {}. Refresh them with `{REGENERATE}` and commit the result.",
        stale.join(", ")
    );
}
