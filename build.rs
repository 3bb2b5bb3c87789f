//! Makes sure `ui/dist` exists (rust-embed needs the folder) and stamps its contents so the
//! crate is rebuilt, and the UI re-embedded, whenever the UI build changes.

use std::hash::{Hash, Hasher};
use std::path::Path;

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("ui")
        .join("dist");
    std::fs::create_dir_all(&dist).expect("create ui/dist");
    println!("cargo:rerun-if-changed=ui/dist");
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
