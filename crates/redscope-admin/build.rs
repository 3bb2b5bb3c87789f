//! Build script: records the git commit this build comes from as `REDSCOPE_GIT_COMMIT`, which
//! `redscope --version`, `redscope-desktop --version` and the About dialog show. Outside a git
//! checkout (a source tarball) the commit is `unknown`, unless the `REDSCOPE_GIT_COMMIT`
//! environment variable names it (a packager building from a tarball knows it).

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=REDSCOPE_GIT_COMMIT");
    let given = std::env::var("REDSCOPE_GIT_COMMIT")
        .ok()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let commit = given
        .or_else(commit_from_git)
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=REDSCOPE_GIT_COMMIT={commit}");
}

/// Runs git in this crate's folder; `None` when git is missing or this is not a checkout.
fn git(args: &[&str]) -> Option<String> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// The short hash of HEAD, and rebuild directives for when HEAD moves: the HEAD file, the branch
/// it names (a loose ref) or else the packed refs.
fn commit_from_git() -> Option<String> {
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    let watch = |name: &str| {
        if let Some(path) = git(&["rev-parse", "--path-format=absolute", "--git-path", name]) {
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
                return true;
            }
        }
        false
    };
    watch("HEAD");
    let loose = git(&["symbolic-ref", "-q", "HEAD"]).is_some_and(|branch| watch(&branch));
    if !loose {
        watch("packed-refs");
    }
    Some(commit)
}
