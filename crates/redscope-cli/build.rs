//! Makes sure the workspace's `ui/dist` exists (rust-embed needs the folder) and stamps its
//! contents so the crate is rebuilt, and the UI re-embedded, whenever the UI build changes.
//! Paths are read from the environment at run time: a build script compiled in one clone may be
//! reused by another that shares the target directory.

use std::hash::{Hash, Hasher};
use std::path::Path;

fn main() {
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dist = Path::new(&manifest_dir).join("../../ui/dist");
    std::fs::create_dir_all(&dist).expect("create ui/dist");
    println!("cargo:rerun-if-changed=../../ui/dist");
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut stack = vec![dist];
    let mut entries = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(meta) = entry.metadata() {
                let modified = meta
                    .modified()
                    .ok()
                    .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok());
                entries.push((path.display().to_string(), meta.len(), modified));
            }
        }
    }
    entries.sort();
    entries.hash(&mut hasher);
    println!("cargo:rustc-env=REDSCOPE_UI_STAMP={:016x}", hasher.finish());
}
