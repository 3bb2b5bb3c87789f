//! Build script of the desktop shell: embeds the UI and declares the app's commands in an app
//! manifest, so only those exist for the ACL and the window may call only the ones its
//! capability (`capabilities/default.json`) allows. The list is `commands.txt`, generated from
//! the operation table (every operation, then the shell's own commands); the build script reads
//! it rather than depending on the admin crate, which would build that crate twice.

use std::path::Path;

fn main() {
    // Paths are read at run time: a build script compiled in one clone may run for another.
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let manifest_dir = Path::new(&manifest_dir);
    // The UI is embedded from ../ui/dist; make sure the folder exists even before the first UI build.
    std::fs::create_dir_all(manifest_dir.join("../ui/dist")).expect("create ui/dist");

    println!("cargo:rerun-if-changed=commands.txt");
    let list = std::fs::read_to_string(manifest_dir.join("commands.txt")).expect(
        "read src-tauri/commands.txt (the command list generated from the operation table)",
    );
    // The app manifest keeps its command names for the life of the build script.
    let list: &'static str = Box::leak(list.into_boxed_str());
    let commands: Vec<&'static str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands.leak())),
    )
    .expect("tauri build");
}
