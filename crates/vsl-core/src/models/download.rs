//! HTTP download of model files: resumable `.part` files, checksum, atomic rename.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha1::{Digest, Sha1};

use super::ModelError;

/// How often a dropped connection is resumed before giving up (the `.part` file stays).
const ATTEMPTS: u32 = 4;

/// Progress of a download: bytes on disk so far and the total when the server says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadProgress {
    pub downloaded: u64,
    pub total: Option<u64>,
}

/// The `.part` file a download of `dest` writes to.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    dest.with_file_name(name)
}

/// Downloads `url` to `dest`. Bytes accumulate in `dest.part`, which survives a failure so
/// the next call resumes it with an HTTP range request. The file reaches `dest` only
/// after its SHA-1 matches `expected_sha1` (when given) and `check` accepts it.
/// `progress` returning `false` cancels (the `.part` is kept for a later resume).
pub fn download(
    url: &str,
    dest: &Path,
    expected_sha1: Option<&str>,
    check: &dyn Fn(&Path) -> Result<(), ModelError>,
    progress: &mut dyn FnMut(DownloadProgress) -> bool,
) -> Result<(), ModelError> {
    let part = part_path(dest);
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(ModelError::io(parent))?;
    }
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(15))
        .timeout_read(Duration::from_secs(60))
        .build();

    let mut attempt = 0;
    loop {
        attempt += 1;
        match fetch_once(&agent, url, &part, progress) {
            Ok(()) => break,
            Err(error @ ModelError::Network { .. }) if attempt < ATTEMPTS => {
                // A dropped connection: resume from what is on disk after a short pause.
                let _ = error;
                std::thread::sleep(Duration::from_millis(200 * u64::from(attempt)));
            }
            Err(error) => return Err(error),
        }
    }

    if let Some(expected) = expected_sha1 {
        let actual = sha1_file(&part)?;
        if !actual.eq_ignore_ascii_case(expected) {
            // A complete file with the wrong content cannot be resumed into a right one.
            let _ = std::fs::remove_file(&part);
            return Err(ModelError::ChecksumMismatch {
                path: dest.to_path_buf(),
                expected: expected.to_owned(),
                actual,
            });
        }
    }
    if let Err(error) = check(&part) {
        let _ = std::fs::remove_file(&part);
        return Err(error);
    }
    #[expect(
        clippy::disallowed_methods,
        reason = "the .part file is kept across runs for resume, so it cannot be an AtomicFile; \
                  it is complete and verified here, and the rename is the publish step"
    )]
    let renamed = std::fs::rename(&part, dest);
    renamed.map_err(ModelError::io(dest))
}

fn fetch_once(
    agent: &ureq::Agent,
    url: &str,
    part: &Path,
    progress: &mut dyn FnMut(DownloadProgress) -> bool,
) -> Result<(), ModelError> {
    let existing = std::fs::metadata(part).map(|meta| meta.len()).unwrap_or(0);
    let mut request = agent.get(url);
    if existing > 0 {
        request = request.set("Range", &format!("bytes={existing}-"));
    }
    let network = |reason: String| ModelError::Network {
        url: url.to_owned(),
        reason,
    };
    let response = match request.call() {
        Ok(response) => response,
        // The .part already holds the whole file.
        Err(ureq::Error::Status(416, _)) if existing > 0 => return Ok(()),
        Err(ureq::Error::Status(status, _)) => {
            return Err(ModelError::Http {
                url: url.to_owned(),
                status,
            })
        }
        Err(ureq::Error::Transport(transport)) => return Err(network(transport.to_string())),
    };
    let resumed = response.status() == 206;
    let content_length = response
        .header("Content-Length")
        .and_then(|value| value.parse::<u64>().ok());
    let (mut file, mut downloaded) = if resumed {
        let file = OpenOptions::new()
            .append(true)
            .open(part)
            .map_err(ModelError::io(part))?;
        (file, existing)
    } else {
        (File::create(part).map_err(ModelError::io(part))?, 0)
    };
    let total = content_length.map(|length| length + downloaded);

    let mut reader = response.into_reader();
    let mut buffer = vec![0; 256 * 1024];
    loop {
        let read = reader.read(&mut buffer).map_err(|error| {
            network(format!(
                "connection dropped after {downloaded} bytes: {error}"
            ))
        })?;
        if read == 0 {
            break;
        }
        file.write_all(&buffer[..read])
            .map_err(ModelError::io(part))?;
        downloaded += read as u64;
        if !progress(DownloadProgress { downloaded, total }) {
            file.flush().map_err(ModelError::io(part))?;
            return Err(ModelError::Cancelled);
        }
    }
    file.sync_all().map_err(ModelError::io(part))?;
    if let Some(total) = total {
        if downloaded < total {
            return Err(network(format!(
                "connection closed after {downloaded} of {total} bytes"
            )));
        }
    }
    Ok(())
}

/// Lowercase hex SHA-1 of a file, streamed.
pub fn sha1_file(path: &Path) -> Result<String, ModelError> {
    let mut file = File::open(path).map_err(ModelError::io(path))?;
    let mut hasher = Sha1::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = file.read(&mut buffer).map_err(ModelError::io(path))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}
