//! Cancelling a model download through the app's commands, against a loopback server that
//! sends a large model slowly (the real download code; no model hub is reachable here).
//!
//! Its own test binary: it points the models folder and the download URL at temporary ones
//! through the environment, which the other binaries' tests must not see.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use common::{app_in, invoke};
use serde_json::json;
use vsl_core::paths::Dirs;

/// Serves every request with a 100 MB body, 64 KiB every 20 ms, until the client hangs up.
/// Returns the base URL and a count of the bytes sent.
fn slow_server() -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let counter = Arc::clone(&counter);
            std::thread::spawn(move || {
                let mut request = [0_u8; 4096];
                let _ = stream.read(&mut request);
                let head = "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n";
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let chunk = vec![0_u8; 64 * 1024];
                while stream.write_all(&chunk).is_ok() {
                    counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(20));
                }
            });
        }
    });
    (url, sent)
}

#[test]
fn a_download_can_be_cancelled_and_keeps_its_partial_file() {
    let models = tempfile::tempdir().expect("a temporary directory");
    let (url, sent) = slow_server();
    std::env::set_var("VSL_MODEL_BASE_URL", &url);
    let root = tempfile::tempdir().expect("a temporary directory");
    let dirs = Dirs::under(root.path()).with_models(models.path().to_path_buf());
    let (_app, window) = app_in("main", dirs);

    let error = invoke(&window, "cancel_download", json!({ "name": "tiny.en" }))
        .expect_err("nothing to cancel yet");
    assert_eq!(error["kind"], json!("not_found"), "{error}");

    let downloading = std::thread::spawn({
        let window = window.clone();
        move || {
            let started = Instant::now();
            let outcome = invoke(
                &window,
                "download_model",
                json!({ "name": "tiny.en", "onProgress": "__CHANNEL__:9" }),
            );
            (outcome, started.elapsed())
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while sent.load(Ordering::Relaxed) < 512 * 1024 {
        assert!(Instant::now() < deadline, "the download never started");
        std::thread::sleep(Duration::from_millis(20));
    }

    // A second download of the same model is refused while the first runs.
    let busy = invoke(
        &window,
        "download_model",
        json!({ "name": "tiny.en", "onProgress": "__CHANNEL__:10" }),
    )
    .expect_err("already downloading");
    assert_eq!(busy["kind"], json!("busy"), "{busy}");

    let asked = Instant::now();
    invoke(&window, "cancel_download", json!({ "name": "tiny.en" })).expect("cancelled");
    let (outcome, _) = downloading.join().expect("no panic");
    let error = outcome.expect_err("the download stops");
    assert_eq!(error["kind"], json!("cancelled"), "{error}");
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "cancel took {:?}",
        asked.elapsed()
    );
    let part = models.path().join("ggml-tiny.en.bin.part");
    assert!(
        std::fs::metadata(&part).is_ok_and(|m| m.len() > 0),
        "the partial file stays for a resume: {}",
        part.display()
    );
    assert!(!models.path().join("ggml-tiny.en.bin").exists());
    let error = invoke(&window, "cancel_download", json!({ "name": "tiny.en" }))
        .expect_err("finished downloads cannot be cancelled");
    assert_eq!(error["kind"], json!("not_found"), "{error}");
}
