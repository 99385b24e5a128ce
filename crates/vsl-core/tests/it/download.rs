//! The downloader against a real HTTP server on loopback, started by each test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;

use vsl_core::models::download::{self, part_path};
use vsl_core::models::{ModelError, ModelStore};

use crate::common::converted_store;

#[derive(Clone, Copy)]
enum Behaviour {
    Normal,
    /// The first response is cut after this many bytes (connection dropped).
    DropFirstAfter(usize),
    /// Every response is cut: the server never completes.
    AlwaysDropAfter(usize),
    NotFound,
}

struct Server {
    url: String,
    requests: Arc<Mutex<Vec<Option<String>>>>,
}

fn serve(body: Arc<Vec<u8>>, behaviour: Behaviour) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&requests);
    thread::spawn(move || {
        // Bounded: a test makes a handful of requests at most.
        for (index, stream) in listener.incoming().take(16).enumerate() {
            let Ok(stream) = stream else { break };
            let range = handle(stream, &body, behaviour, index);
            log.lock().expect("log").push(range);
        }
    });
    Server { url, requests }
}

fn handle(
    mut stream: TcpStream,
    body: &[u8],
    behaviour: Behaviour,
    index: usize,
) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 || line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
            range = Some(value.trim().trim_end_matches('-').to_owned());
        }
    }
    if let Behaviour::NotFound = behaviour {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return range;
    }
    let start: usize = range.as_deref().and_then(|r| r.parse().ok()).unwrap_or(0);
    let slice = &body[start.min(body.len())..];
    let head = if start > 0 {
        format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {start}-{}/{}\r\nConnection: close\r\n\r\n",
            slice.len(),
            body.len() - 1,
            body.len()
        )
    } else {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            slice.len()
        )
    };
    let _ = stream.write_all(head.as_bytes());
    let cut = match behaviour {
        Behaviour::DropFirstAfter(bytes) if index == 0 => bytes,
        Behaviour::AlwaysDropAfter(bytes) => bytes,
        _ => slice.len(),
    };
    let _ = stream.write_all(&slice[..cut.min(slice.len())]);
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let mut sink = Vec::new();
    let _ = reader.read_to_end(&mut sink);
    range
}

fn model_bytes() -> Arc<Vec<u8>> {
    Arc::new(std::fs::read(converted_store().path_for("tiny.en")).expect("read model"))
}

fn sha1_of(path: &Path) -> String {
    download::sha1_file(path).expect("sha1")
}

fn no_check(_: &Path) -> Result<(), ModelError> {
    Ok(())
}

#[test]
fn full_download_verifies_checksum_and_reports_progress() {
    let body = model_bytes();
    let expected = sha1_of(&converted_store().path_for("tiny.en"));
    let server = serve(Arc::clone(&body), Behaviour::Normal);
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ggml-tiny.en.bin");
    let mut last = None;
    download::download(
        &format!("{}/ggml-tiny.en.bin", server.url),
        &dest,
        Some(&expected),
        &no_check,
        &mut |p| {
            last = Some(p);
            true
        },
    )
    .expect("download");
    assert_eq!(std::fs::read(&dest).expect("read").len(), body.len());
    let last = last.expect("progress reported");
    assert_eq!(
        (last.downloaded, last.total),
        (body.len() as u64, Some(body.len() as u64))
    );
    assert!(!part_path(&dest).exists());
}

#[test]
fn dropped_connection_resumes_with_a_range_request() {
    let body = model_bytes();
    let expected = sha1_of(&converted_store().path_for("tiny.en"));
    let server = serve(Arc::clone(&body), Behaviour::DropFirstAfter(1_000_000));
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ggml-tiny.en.bin");
    download::download(
        &format!("{}/m.bin", server.url),
        &dest,
        Some(&expected),
        &no_check,
        &mut |_| true,
    )
    .expect("download resumes");
    assert_eq!(sha1_of(&dest), expected);
    let requests = server.requests.lock().expect("log").clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0], None);
    let resumed_from: u64 = requests[1]
        .as_deref()
        .expect("range header")
        .parse()
        .expect("number");
    assert!(
        (1_000_000 - 256 * 1024..=1_000_000).contains(&resumed_from),
        "{resumed_from}"
    );
}

#[test]
fn a_server_that_keeps_dropping_leaves_a_resumable_part_and_no_final_file() {
    let body = model_bytes();
    let server = serve(Arc::clone(&body), Behaviour::AlwaysDropAfter(300_000));
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ggml-tiny.en.bin");
    let error = download::download(
        &format!("{}/m.bin", server.url),
        &dest,
        None,
        &no_check,
        &mut |_| true,
    )
    .expect_err("never completes");
    assert!(matches!(error, ModelError::Network { .. }), "{error}");
    assert!(!dest.exists());
    let part = std::fs::metadata(part_path(&dest))
        .expect("part kept")
        .len();
    assert!(part >= 300_000, "{part} bytes kept for resuming");

    // A later attempt against a healthy server finishes the same .part.
    let healthy = serve(Arc::clone(&body), Behaviour::Normal);
    download::download(
        &format!("{}/m.bin", healthy.url),
        &dest,
        None,
        &no_check,
        &mut |_| true,
    )
    .expect("resume");
    assert_eq!(
        std::fs::read(&dest).expect("read").as_slice(),
        body.as_slice()
    );
    assert!(
        healthy.requests.lock().expect("log")[0].is_some(),
        "resumed with a range"
    );
}

#[test]
fn checksum_mismatch_installs_nothing() {
    // The catalog's tiny.en checksum is the official file's; our converted file differs.
    let body = model_bytes();
    let server = serve(body, Behaviour::Normal);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ModelStore::at(dir.path());
    std::env::set_var("VSL_MODEL_BASE_URL", &server.url);
    let error = store
        .download("tiny.en", false, &mut |_| true)
        .expect_err("mismatch");
    assert!(
        matches!(error, ModelError::ChecksumMismatch { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("ggml-tiny.en.bin"), "{error}");
    assert!(!store.is_installed("tiny.en"));
    assert!(!part_path(&store.path_for("tiny.en")).exists());
}

#[test]
fn not_found_is_an_http_error() {
    let server = serve(Arc::new(Vec::new()), Behaviour::NotFound);
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ggml-base.bin");
    let error = download::download(
        &format!("{}/ggml-base.bin", server.url),
        &dest,
        None,
        &no_check,
        &mut |_| true,
    )
    .expect_err("404");
    assert!(
        matches!(error, ModelError::Http { status: 404, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("404"));
    assert!(!dest.exists());
}

#[test]
fn structure_check_rejects_a_non_model_download() {
    let server = serve(
        Arc::new(b"<html>rate limited</html>".repeat(100)),
        Behaviour::Normal,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("ggml-base.bin");
    let check = |path: &Path| vsl_core::models::ggml::validate(path).map(|_| ());
    let error = download::download(
        &format!("{}/x", server.url),
        &dest,
        None,
        &check,
        &mut |_| true,
    )
    .expect_err("html page");
    assert!(matches!(error, ModelError::InvalidGgml { .. }), "{error}");
    assert!(!dest.exists() && !part_path(&dest).exists());
}

#[test]
fn full_disk_is_reported_and_leaves_no_model() {
    // A 2 MiB tmpfs stands in for a full disk (CI runs as root, like this test needs).
    let dir = tempfile::tempdir().expect("tempdir");
    let mount = dir.path().join("small");
    std::fs::create_dir_all(&mount).expect("mkdir");
    let status = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&mount)
        .status()
        .expect("run mount");
    assert!(status.success(), "mounting a small tmpfs needs root");
    let server = serve(model_bytes(), Behaviour::Normal);
    let dest = mount.join("ggml-tiny.en.bin");
    let result = download::download(
        &format!("{}/m.bin", server.url),
        &dest,
        None,
        &no_check,
        &mut |_| true,
    );
    let exists = dest.exists();
    let _ = std::process::Command::new("umount").arg(&mount).status();
    let error = result.expect_err("disk full");
    assert_eq!(error.kind(), "disk_full", "{error}");
    assert!(error.to_string().contains("disk is full"), "{error}");
    assert!(!exists);
}
