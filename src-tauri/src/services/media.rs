//! The player's audio over HTTP on the loopback interface.
//!
//! WebKitGTK hands `<audio>` URLs to GStreamer, which cannot read the asset protocol (WebKit
//! bug 146351). The UI used to fetch the whole rendition into a blob, which held an hour's
//! Opus twice (network process and web process) for as long as the job was open. GStreamer
//! streams an `http:` URL with byte ranges, so seeking reads only what it plays.
//!
//! What it serves, and to whom:
//! - only files the app registered ([`MediaServer::url_for`]), each under a random 128-bit
//!   token; nothing is looked up by path, so no request can reach another file;
//! - on 127.0.0.1 only, to requests whose `Host` is that address (no DNS rebinding);
//! - `GET` and `HEAD`, one request per connection, with single byte ranges (RFC 9110 §14);
//! - bodies paced after a first burst ([`send_paced`]), which bounds WebKit's memory.
//!
//! The server starts on first use: a session that never opens a job binds no port.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// Longest request head accepted; a media element's is a few hundred bytes.
const MAX_HEAD: u64 = 16 * 1024;
/// A connection that sends nothing (or stops reading) for this long is dropped.
const IDLE: Duration = Duration::from_secs(30);
/// Connections served at once; more are closed unanswered. The player needs two or three;
/// the cap keeps anything else on this machine that connects from costing the app a thread
/// per connection without end.
const MAX_CONNECTIONS: usize = 16;

/// The loopback server, managed by Tauri; started by the first [`MediaServer::url_for`].
#[derive(Default)]
pub struct MediaServer {
    started: OnceLock<Result<Running, String>>,
}

struct Running {
    port: u16,
    files: Arc<Mutex<Files>>,
}

/// Token → file, both ways, so opening a job again reuses its URL.
#[derive(Default)]
struct Files {
    by_token: HashMap<String, PathBuf>,
    by_path: HashMap<PathBuf, String>,
}

impl MediaServer {
    /// An `http://127.0.0.1:PORT/media/TOKEN` URL that serves `path`, starting the server if
    /// this is the first call.
    ///
    /// # Errors
    ///
    /// When the server could not bind a loopback port (then and on every later call); the
    /// caller falls back to the asset protocol.
    pub fn url_for(&self, path: &Path) -> io::Result<String> {
        let running = self
            .started
            .get_or_init(|| Running::start().map_err(|error| error.to_string()))
            .as_ref()
            .map_err(|error| {
                io::Error::other(format!("the media server did not start: {error}"))
            })?;
        let mut files = running.files.lock().unwrap_or_else(PoisonError::into_inner);
        let token = match files.by_path.get(path) {
            Some(token) => token.clone(),
            None => {
                let token = new_token()?;
                files.by_token.insert(token.clone(), path.to_path_buf());
                files.by_path.insert(path.to_path_buf(), token.clone());
                token
            }
        };
        Ok(format!("http://127.0.0.1:{}/media/{token}", running.port))
    }
}

fn new_token() -> io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| io::Error::other(error.to_string()))?;
    Ok(hex::encode(bytes))
}

impl Running {
    fn start() -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.local_addr()?.port();
        let files = Arc::new(Mutex::new(Files::default()));
        let shared = Arc::clone(&files);
        std::thread::Builder::new()
            .name("media-server".into())
            .spawn(move || accept(&listener, port, &shared))?;
        tracing::info!("media server on 127.0.0.1:{port}");
        Ok(Self { port, files })
    }
}

fn accept(listener: &TcpListener, port: u16, files: &Arc<Mutex<Files>>) {
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                // Out of descriptors, most likely: wait rather than spin.
                tracing::debug!("media server: accept: {error}");
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        if open.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::AcqRel);
            continue;
        }
        let (files, done) = (Arc::clone(files), Arc::clone(&open));
        // A thread per connection: the player holds one or two at a time, and a slow one
        // (a paused stream the client stopped reading) must not hold up a seek.
        let spawned = std::thread::Builder::new()
            .name("media-connection".into())
            .spawn(move || {
                if let Err(error) = serve(stream, port, &files) {
                    // Mostly the player closing a stream it no longer needs (a seek).
                    tracing::debug!("media connection: {error}");
                }
                done.fetch_sub(1, Ordering::AcqRel);
            });
        if let Err(error) = spawned {
            open.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!("media server: cannot start a connection thread: {error}");
        }
    }
}

/// A request's answer before its body: the status line and the headers that vary.
struct Head {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
}

fn serve(stream: TcpStream, port: u16, files: &Mutex<Files>) -> io::Result<()> {
    stream.set_read_timeout(Some(IDLE))?;
    stream.set_write_timeout(Some(IDLE))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let head = read_head(&mut reader)?;
    let mut out = stream;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    if !matches!(request.parse(&head), Ok(httparse::Status::Complete(_))) {
        return respond(&mut out, &error_head("400 Bad Request"), None);
    }
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|header| header.name.eq_ignore_ascii_case(name))
            .and_then(|header| std::str::from_utf8(header.value).ok())
    };
    if header("host") != Some(&format!("127.0.0.1:{port}")) {
        return respond(&mut out, &error_head("403 Forbidden"), None);
    }
    let is_head = match request.method {
        Some("GET") => false,
        Some("HEAD") => true,
        _ => {
            let mut head = error_head("405 Method Not Allowed");
            head.headers.push(("Allow", "GET, HEAD".into()));
            return respond(&mut out, &head, None);
        }
    };
    let path = request.path.unwrap_or_default();
    let token = path
        .split('?')
        .next()
        .and_then(|path| path.strip_prefix("/media/"))
        .unwrap_or_default();
    let file = files
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .by_token
        .get(token)
        .cloned();
    let Some(file) = file else {
        return respond(&mut out, &error_head("404 Not Found"), None);
    };
    let Ok(mut opened) = File::open(&file) else {
        return respond(&mut out, &error_head("404 Not Found"), None);
    };
    let len = opened.metadata()?.len();
    let (mut head, range) = match header("range").map(|value| parse_range(value, len)) {
        Some(Range::Unsatisfiable) => {
            let mut head = error_head("416 Range Not Satisfiable");
            head.headers
                .push(("Content-Range", format!("bytes */{len}")));
            return respond(&mut out, &head, None);
        }
        Some(Range::Bytes(start, end)) => (
            Head {
                status: "206 Partial Content",
                headers: vec![("Content-Range", format!("bytes {start}-{end}/{len}"))],
            },
            (start, end + 1 - start),
        ),
        // No range, or one this server ignores (several ranges, another unit): the whole
        // file, which RFC 9110 allows.
        Some(Range::Ignored) | None => (
            Head {
                status: "200 OK",
                headers: Vec::new(),
            },
            (0, len),
        ),
    };
    head.headers
        .push(("Content-Type", content_type(&file).into()));
    head.headers.push(("Accept-Ranges", "bytes".into()));
    head.headers.push(("Content-Length", range.1.to_string()));
    if is_head {
        return respond(&mut out, &head, None);
    }
    opened.seek(SeekFrom::Start(range.0))?;
    respond(&mut out, &head, Some(&mut opened.take(range.1)))
}

/// The request head, up to and including its blank line.
fn read_head(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut limited = reader.take(MAX_HEAD);
    loop {
        let read = limited.read_until(b'\n', &mut head)?;
        if read == 0 || head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            return Ok(head);
        }
    }
}

fn error_head(status: &'static str) -> Head {
    Head {
        status,
        headers: vec![("Content-Length", "0".into())],
    }
}

fn respond(out: &mut TcpStream, head: &Head, body: Option<&mut dyn Read>) -> io::Result<()> {
    let mut text = format!("HTTP/1.1 {}\r\n", head.status);
    for (name, value) in &head.headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    // The rendition is in the cache already; WebKit keeping a copy would only cost memory.
    text.push_str("Cache-Control: no-store\r\nConnection: close\r\n\r\n");
    out.write_all(text.as_bytes())?;
    if let Some(body) = body {
        send_paced(body, out)?;
    }
    out.flush()
}

/// Bytes of a body sent at once: what GStreamer reads to start playing or to resume after a
/// seek (the Ogg headers and a few seconds of 48 kb/s Opus).
const BURST: u64 = 256 * 1024;
/// The pace of the rest: 170 times the rendition's bit rate, so the player never waits.
const PACE: u64 = 1024 * 1024;

/// Copies `body` to `out`, the first [`BURST`] bytes at once and the rest at [`PACE`].
/// Unpaced, loopback delivers an hour's rendition (21 MB) in an instant, and WebKit holds all
/// of it between its network and web processes while GStreamer reads it: with the hour open,
/// the network process peaked at 142 MB instead of 64 MB, the web process at 294 MB instead of
/// 258 MB (docs/BENCHMARKS.md).
fn send_paced(body: &mut dyn Read, out: &mut TcpStream) -> io::Result<()> {
    let start = std::time::Instant::now();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut sent = 0u64;
    loop {
        let read = match body.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        out.write_all(&chunk[..read])?;
        sent += read as u64;
        if let Some(wait) = due(sent).checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
}

/// When the first `sent` bytes of a body are due, counted from its start.
fn due(sent: u64) -> Duration {
    Duration::from_secs_f64(sent.saturating_sub(BURST) as f64 / PACE as f64)
}

/// What a `Range` header asks of a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
enum Range {
    /// First and last byte, inclusive, within the file.
    Bytes(u64, u64),
    /// A byte range that starts past the end (or an empty file).
    Unsatisfiable,
    /// A range this server answers with the whole file.
    Ignored,
}

fn parse_range(value: &str, len: u64) -> Range {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Range::Ignored;
    };
    if spec.contains(',') {
        return Range::Ignored;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Range::Ignored;
    };
    let (first, last) = (first.trim(), last.trim());
    let parse = |text: &str| text.parse::<u64>().ok();
    if first.is_empty() {
        // The last N bytes.
        return match parse(last) {
            Some(0) => Range::Unsatisfiable,
            Some(_) if len == 0 => Range::Unsatisfiable,
            Some(suffix) => Range::Bytes(len.saturating_sub(suffix), len - 1),
            None => Range::Ignored,
        };
    }
    let Some(start) = parse(first) else {
        return Range::Ignored;
    };
    let end = if last.is_empty() {
        None
    } else {
        match parse(last) {
            Some(end) if end >= start => Some(end),
            _ => return Range::Ignored,
        }
    };
    if start >= len {
        return Range::Unsatisfiable;
    }
    Range::Bytes(start, end.map_or(len - 1, |end| end.min(len - 1)))
}

fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("ogg" | "opus") => "audio/ogg",
        Some("m4a" | "mp4" | "mov") => "audio/mp4",
        Some("mp3") => "audio/mpeg",
        Some("wav") => "audio/wav",
        Some("flac") => "audio/flac",
        Some("webm" | "mkv") => "audio/webm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One raw request to `port`, and the whole answer (the server closes the connection).
    /// Everything the server sends back for `text`; empty when it closes unanswered (a
    /// reset or a refused write counts as that too).
    fn exchange(port: u16, text: &str) -> Vec<u8> {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        let mut answer = Vec::new();
        if stream.write_all(text.as_bytes()).is_ok() {
            let _ = stream.read_to_end(&mut answer);
        }
        answer
    }

    fn request(port: u16, text: &str) -> (String, Vec<u8>) {
        let answer = exchange(port, text);
        let split = answer
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .expect("a head");
        let head = String::from_utf8(answer[..split].to_vec()).unwrap();
        (head, answer[split + 4..].to_vec())
    }

    fn get(port: u16, path: &str, extra: &str) -> (String, Vec<u8>) {
        request(
            port,
            &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n"),
        )
    }

    /// The server, a file of 1000 known bytes registered with it, its port and URL path.
    fn served() -> (MediaServer, tempfile::TempDir, u16, String) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("voice.ogg");
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        vsl_core::fs::write_atomic(&file, &bytes, vsl_core::fs::Replace::No).unwrap();
        let server = MediaServer::default();
        let url = server.url_for(&file).unwrap();
        let rest = url.strip_prefix("http://127.0.0.1:").unwrap();
        let (port, path) = rest.split_once('/').unwrap();
        (server, dir, port.parse().unwrap(), format!("/{path}"))
    }

    fn expected(range: std::ops::Range<u32>) -> Vec<u8> {
        range.map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn serves_a_registered_file_whole_and_by_ranges() {
        let (server, dir, port, path) = served();
        let (head, body) = get(port, &path, "");
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert!(head.contains("Content-Type: audio/ogg"), "{head}");
        assert!(head.contains("Accept-Ranges: bytes"), "{head}");
        assert!(head.contains("Content-Length: 1000"), "{head}");
        assert_eq!(body, expected(0..1000));

        let (head, body) = get(port, &path, "Range: bytes=100-199\r\n");
        assert!(head.starts_with("HTTP/1.1 206"), "{head}");
        assert!(head.contains("Content-Range: bytes 100-199/1000"), "{head}");
        assert_eq!(body, expected(100..200));

        // Open-ended, past the end (clamped), and the last N bytes.
        let (head, body) = get(port, &path, "range: bytes=900-\r\n");
        assert!(head.contains("Content-Range: bytes 900-999/1000"), "{head}");
        assert_eq!(body, expected(900..1000));
        let (_, body) = get(port, &path, "Range: bytes=990-5000\r\n");
        assert_eq!(body, expected(990..1000));
        let (head, body) = get(port, &path, "Range: bytes=-10\r\n");
        assert!(head.contains("Content-Range: bytes 990-999/1000"), "{head}");
        assert_eq!(body, expected(990..1000));

        let (head, body) = get(port, &path, "Range: bytes=1000-\r\n");
        assert!(head.starts_with("HTTP/1.1 416"), "{head}");
        assert!(head.contains("Content-Range: bytes */1000"), "{head}");
        assert!(body.is_empty());

        // HEAD: the headers of a GET, no body.
        let (head, body) = request(
            port,
            &format!("HEAD {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"),
        );
        assert!(head.contains("Content-Length: 1000"), "{head}");
        assert!(body.is_empty());

        // The same file gets the same URL again.
        assert_eq!(
            server.url_for(&dir.path().join("voice.ogg")).unwrap(),
            format!("http://127.0.0.1:{port}{path}")
        );
    }

    #[test]
    fn refuses_what_was_not_registered_and_other_hosts_and_methods() {
        let (_server, dir, port, path) = served();
        let (head, _) = get(port, "/media/00112233445566778899aabbccddeeff", "");
        assert!(head.starts_with("HTTP/1.1 404"), "{head}");
        // Paths are never looked up: a file's own path is not a token.
        let file = dir.path().join("voice.ogg");
        let (head, _) = get(port, &format!("/media/{}", file.display()), "");
        assert!(head.starts_with("HTTP/1.1 404"), "{head}");
        let (head, _) = get(port, "/", "");
        assert!(head.starts_with("HTTP/1.1 404"), "{head}");

        // A page on another name that resolves to 127.0.0.1 (DNS rebinding).
        let (head, body) = request(
            port,
            &format!("GET {path} HTTP/1.1\r\nHost: evil.example:{port}\r\n\r\n"),
        );
        assert!(head.starts_with("HTTP/1.1 403"), "{head}");
        assert!(body.is_empty());

        let (head, _) = request(
            port,
            &format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"),
        );
        assert!(head.starts_with("HTTP/1.1 405"), "{head}");
        assert!(head.contains("Allow: GET, HEAD"), "{head}");

        let (head, _) = request(port, "\u{1}\u{2} nonsense\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 400"), "{head}");

        // A registered file that has gone (the cache cleaned up) is simply not found.
        std::fs::remove_file(&file).unwrap();
        let (head, _) = get(port, &path, "");
        assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    }

    #[test]
    fn connections_past_the_cap_are_closed_until_others_end() {
        let (_server, _dir, port, path) = served();
        let idle: Vec<TcpStream> = (0..MAX_CONNECTIONS)
            .map(|_| TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap())
            .collect();
        let text = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        // Accepted in order: this one finds every slot taken and is closed unanswered.
        let answer = exchange(port, &text);
        assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
        // Once the idle ones go, requests are served again.
        drop(idle);
        let served_again = (0..200).any(|_| {
            let ok = exchange(port, &text).starts_with(b"HTTP/1.1 200");
            if !ok {
                std::thread::sleep(Duration::from_millis(20));
            }
            ok
        });
        assert!(served_again, "no answer after the idle connections closed");
    }

    #[test]
    fn bodies_are_paced_after_a_burst() {
        assert_eq!(due(0), Duration::ZERO);
        assert_eq!(due(BURST), Duration::ZERO);
        assert_eq!(due(BURST + PACE), Duration::from_secs(1));
        assert_eq!(due(BURST + 21 * PACE), Duration::from_secs(21));
    }

    #[test]
    fn range_headers() {
        assert_eq!(parse_range("bytes=0-0", 10), Range::Bytes(0, 0));
        assert_eq!(parse_range("bytes=2-", 10), Range::Bytes(2, 9));
        assert_eq!(parse_range("bytes= 2 - 4 ", 10), Range::Bytes(2, 4));
        assert_eq!(parse_range("bytes=-20", 10), Range::Bytes(0, 9));
        assert_eq!(parse_range("bytes=-0", 10), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=10-", 10), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-", 0), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=-5", 0), Range::Unsatisfiable);
        assert_eq!(parse_range("bytes=5-2", 10), Range::Ignored);
        assert_eq!(parse_range("bytes=0-1,4-5", 10), Range::Ignored);
        assert_eq!(parse_range("items=0-1", 10), Range::Ignored);
        assert_eq!(parse_range("bytes=x-1", 10), Range::Ignored);
        assert_eq!(parse_range("bytes=1", 10), Range::Ignored);
    }
}
