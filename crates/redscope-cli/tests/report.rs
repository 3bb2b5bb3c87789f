//! The `redscope report` command: the binary draws a PNG, the library an SVG of the same server,
//! and an unknown output format is refused with a clear message.

use std::time::Duration;

use redscope_testing::RedisServer;

#[tokio::test]
async fn report_draws_png_and_svg() {
    let redis = RedisServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("report.png");
    let svg = dir.path().join("report.svg");
    // The CLI for the PNG, the library for the SVG, side by side.
    let cli = tokio::process::Command::new(env!("CARGO_BIN_EXE_redscope"))
        .args(["report", "--out"])
        .arg(&png)
        .args(["--redis", &redis.url(), "--duration", "3s"])
        .output();
    let lib = redscope_cli::report::run(redis.config(), Duration::from_secs(3), &svg);
    let (cli, lib) = tokio::join!(cli, lib);
    let cli = cli.unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    assert!(lib.unwrap() >= 2);
    let png_bytes = std::fs::read(&png).unwrap();
    assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert!(png_bytes.len() > 10_000, "{} bytes", png_bytes.len());
    let svg_text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        svg_text.contains("<svg") && svg_text.contains("<polyline"),
        "{}",
        &svg_text[..200.min(svg_text.len())]
    );

    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_redscope"))
        .args([
            "report",
            "--out",
            "x.gif",
            "--redis",
            &redis.url(),
            "--duration",
            "2s",
        ])
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains(".png or .svg"));
}
