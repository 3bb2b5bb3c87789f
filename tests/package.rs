//! The built packages, as a user gets them: `./scripts/dev package` builds the .deb files into
//! `REDSCOPE_PACKAGES_DIR` and installs them under `REDSCOPE_INSTALL_ROOT` (a scratch root by
//! `dpkg -x`, or `/` by `dpkg -i` in CI), then runs these tests with `--ignored`: they need
//! those packages, which an ordinary `cargo test` has not built.
//!
//! Checked: each package's size against its budget, its name, version and declared dependencies
//! (every shared library the installed binaries link must come from a declared package), the
//! desktop entry and icon, `--version` naming this commit, the installed `redscope serve`
//! answering its health check, and the installed systemd unit started with the installed example
//! settings (`redscope_testing::web_service`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use redscope_testing::service::verify_unit;
use redscope_testing::web_service::check_shipped_service;
use redscope_testing::RedisServer;

/// The desktop .deb's size budget (the issue's: a download a person does not think twice about).
const DESKTOP_BUDGET: u64 = 15 * 1024 * 1024;
/// The command line's .deb budget.
const CLI_BUDGET: u64 = 10 * 1024 * 1024;

fn env_path(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os(name).unwrap_or_else(|| {
        panic!("{name} is not set: run these tests through `./scripts/dev package`")
    }))
}

/// The one .deb of package `name` in the packages folder.
fn deb(name: &str) -> PathBuf {
    let dir = env_path("REDSCOPE_PACKAGES_DIR");
    let prefix = format!("{name}_");
    let found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let f = p.file_name().unwrap().to_string_lossy();
            f.starts_with(&prefix) && f.ends_with(".deb")
        })
        .collect();
    assert_eq!(found.len(), 1, "one {name}_*.deb in {}", dir.display());
    found.into_iter().next().unwrap()
}

/// A path inside the install root (`/usr/bin/redscope` → `<root>/usr/bin/redscope`).
fn installed(path: &str) -> PathBuf {
    env_path("REDSCOPE_INSTALL_ROOT").join(path.trim_start_matches('/'))
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A control field of a .deb (`dpkg-deb -f`).
fn field(deb: &Path, name: &str) -> String {
    run(Command::new("dpkg-deb").arg("-f").arg(deb).arg(name))
        .trim()
        .to_string()
}

/// The package names in a Depends field, without versions or alternatives' extras.
fn depends_names(depends: &str) -> Vec<String> {
    depends
        .split(',')
        .flat_map(|d| d.split('|'))
        .map(|d| d.split_whitespace().next().unwrap_or("").to_string())
        .filter(|d| !d.is_empty())
        .collect()
}

/// The packages whose libraries `binary` links, as `dpkg-shlibdeps` names them.
fn linked_packages(binary: &Path) -> Vec<String> {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("debian")).unwrap();
    std::fs::write(
        work.path().join("debian/control"),
        "Source: probe\n\nPackage: probe\nArchitecture: any\n",
    )
    .unwrap();
    let out = run(Command::new("dpkg-shlibdeps")
        .arg("-O")
        .arg(binary)
        .current_dir(work.path())
        .stderr(Stdio::null()));
    let deps = out
        .lines()
        .find_map(|l| l.strip_prefix("shlibs:Depends="))
        .unwrap_or_else(|| panic!("no shlibs:Depends in {out:?}"));
    depends_names(deps)
}

/// The commit `--version` must name: this checkout's HEAD, as the build script read it.
fn head() -> String {
    run(Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR")))
    .trim()
    .to_string()
}

/// Checks what both packages promise: size, name, version, dependencies covering every linked
/// library, and `--version`.
fn check_package(name: &str, budget: u64, binary: &str) -> PathBuf {
    let deb = deb(name);
    let size = std::fs::metadata(&deb).unwrap().len();
    println!(
        "{}: {:.1} MB (budget {:.0} MB)",
        deb.display(),
        size as f64 / 1048576.0,
        budget as f64 / 1048576.0
    );
    assert!(
        size <= budget,
        "{} is {size} bytes, over its budget of {budget}",
        deb.display()
    );
    assert_eq!(field(&deb, "Package"), name);
    assert_eq!(field(&deb, "Version"), env!("CARGO_PKG_VERSION"));
    let declared = depends_names(&field(&deb, "Depends"));
    let bin = installed(binary);
    for needed in linked_packages(&bin) {
        assert!(
            declared.contains(&needed),
            "{binary} links a library of {needed}, which {name} does not declare (Depends: {declared:?})"
        );
    }
    let version = run(Command::new(&bin).arg("--version"));
    let program = Path::new(binary).file_name().unwrap().to_string_lossy();
    assert_eq!(
        version.trim(),
        format!(
            "{program} {} (commit {})",
            env!("CARGO_PKG_VERSION"),
            head()
        )
    );
    deb
}

#[test]
#[ignore = "needs the packages: run by ./scripts/dev package"]
fn desktop_package_installs_an_app_with_its_menu_entry_and_icon() {
    let deb = check_package("redscope", DESKTOP_BUDGET, "/usr/bin/redscope-desktop");
    let declared = depends_names(&field(&deb, "Depends"));
    for lib in ["libwebkit2gtk-4.1-0", "libgtk-3-0"] {
        assert!(declared.iter().any(|d| d == lib), "Depends lacks {lib}");
    }
    // Tauri's deb bundler names the entry after the product.
    let entry = std::fs::read_to_string(installed("/usr/share/applications/Redscope.desktop"))
        .expect("the menu entry is installed");
    for line in [
        "Name=Redscope",
        "Exec=redscope-desktop",
        "Icon=redscope-desktop",
        "Type=Application",
    ] {
        assert!(
            entry.lines().any(|l| l == line),
            "{line:?} missing from the menu entry:\n{entry}"
        );
    }
    let icon = installed("/usr/share/icons/hicolor/128x128/apps/redscope-desktop.png");
    let png = std::fs::read(&icon).expect("the 128x128 icon is installed");
    assert!(png.starts_with(b"\x89PNG"), "{} is no PNG", icon.display());
    assert!(installed("/usr/share/doc/redscope/copyright").is_file());
}

#[test]
#[ignore = "needs the packages: run by ./scripts/dev package"]
fn cli_package_installs_redscope_and_its_service() {
    check_package("redscope-cli", CLI_BUDGET, "/usr/bin/redscope");
    for file in [
        UNIT,
        EXAMPLE_ENV,
        "/usr/share/doc/redscope-cli/README.service.md",
        "/usr/share/doc/redscope-cli/copyright",
        "/usr/share/doc/redscope-cli/changelog.gz",
    ] {
        assert!(installed(file).is_file(), "{file} is not installed");
    }
    verify_unit(
        &installed(UNIT),
        "/usr/bin/redscope",
        &installed("/usr/bin/redscope"),
    )
    .unwrap();
}

/// The unit and example settings the CLI package installs.
const UNIT: &str = "/lib/systemd/system/redscope.service";
const EXAMPLE_ENV: &str = "/usr/share/doc/redscope-cli/examples/serve.env";

#[test]
#[ignore = "needs the packages: run by ./scripts/dev package"]
fn installed_service_runs_with_the_installed_example_settings() {
    let checked = check_shipped_service(
        &installed("/usr/bin/redscope"),
        &installed(UNIT),
        &installed(EXAMPLE_ENV),
    );
    println!("{}", checked.banner);
    assert_eq!(checked.about["commit"], head(), "{}", checked.about);
}

#[tokio::test]
#[ignore = "needs the packages: run by ./scripts/dev package"]
async fn installed_serve_answers_its_health_check() {
    let redis = RedisServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token = "package-test-token-0123456789abcdef";
    let mut child = tokio::process::Command::new(installed("/usr/bin/redscope"))
        .args(["serve", "--bind", "127.0.0.1:0", "--redis", &redis.url()])
        .env("REDSCOPE_TOKEN", token)
        .env("REDSCOPE_CONFIG_DIR", dir.path())
        .env("REDSCOPE_SECRET_STORE", "file")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let addr = serve_address(&mut child).await;
    let health: serde_json::Value = reqwest::Client::new()
        .get(format!("http://{addr}/api/health"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["state"], "connected", "{health}");
    let about: serde_json::Value = reqwest::Client::new()
        .get(format!("http://{addr}/api/about"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(about["commit"], head());
}

/// Reads `redscope serve`'s first stdout line, which names the URL it serves, and answers its
/// `host:port`.
async fn serve_address(child: &mut tokio::process::Child) -> String {
    use tokio::io::AsyncBufReadExt;
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    let line = tokio::time::timeout_at(deadline.into(), lines.next_line())
        .await
        .expect("serve printed its address in time")
        .unwrap()
        .expect("serve printed a line");
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    line.split("://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string()
}
