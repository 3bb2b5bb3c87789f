fn main() {
    // The UI is embedded from ../ui/dist; make sure the folder exists even before the first UI build.
    std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/dist"))
        .expect("create ui/dist");
    tauri_build::build()
}
