//! How WebKitGTK renders the window on a machine without a GPU.
//!
//! With no GPU render node (a VM, a remote desktop, Xvfb), WebKitGTK still composites the page
//! through OpenGL, which then runs in software (Mesa's llvmpipe): every frame is drawn on the CPU,
//! a frame waits on the previous one, and a click's result reaches the screen one or two frames
//! late. Painting without compositing is faster there, so the app turns compositing off when it
//! finds no render node, unless `WEBKIT_DISABLE_COMPOSITING_MODE` is already set either way.

use std::path::Path;

/// The variable WebKitGTK reads (in the app and its web process) to paint without compositing.
pub const DISABLE_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// True when `dri` (normally `/dev/dri`) holds a GPU render node (`renderD128`, …).
pub fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false)
}

/// Whether to turn compositing off: only without a render node and when the user chose nothing.
pub fn disable_compositing(render_node: bool, user_choice: Option<&str>) -> bool {
    user_choice.is_none() && !render_node
}

/// Applies [`disable_compositing`] to this process's environment. Call it first thing in `main`,
/// before any thread starts and before WebKit loads (its processes inherit the variable).
pub fn prepare() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let choice = std::env::var(DISABLE_COMPOSITING).ok();
    if disable_compositing(has_render_node(Path::new("/dev/dri")), choice.as_deref()) {
        std::env::set_var(DISABLE_COMPOSITING, "1");
        tracing::info!("no GPU render node: the window paints without compositing");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositing_goes_off_only_without_a_render_node_and_without_a_user_choice() {
        assert!(disable_compositing(false, None));
        assert!(!disable_compositing(true, None));
        assert!(!disable_compositing(false, Some("0")));
        assert!(!disable_compositing(false, Some("1")));
    }

    #[test]
    fn a_render_node_is_found_by_its_name() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_render_node(dir.path()));
        std::fs::write(dir.path().join("card0"), b"").unwrap();
        assert!(!has_render_node(dir.path()));
        std::fs::write(dir.path().join("renderD128"), b"").unwrap();
        assert!(has_render_node(dir.path()));
        assert!(!has_render_node(&dir.path().join("missing")));
    }
}
