//! The disposable caches: transcripts and slide images, with a report and a cleanup.
//!
//! - [`TranscriptCache`] keeps a transcript per (media content, model, settings): running the
//!   same file again with the same model and settings skips decoding and transcription.
//!   [`transcript_key`] hashes the media's bytes (streamed), the model's identity (file name,
//!   size, and the SHA-1 from its manifest when there is one) and every setting that changes
//!   the transcription's output.
//! - Slide images are cached by [`crate::render::SlideCache`]; this module only measures and
//!   trims its folder.
//! - [`report`] sums each kind's entries and bytes and adds the hits and misses counted since the
//!   process started; [`cleanup`] removes entries older than a maximum age, then the least
//!   recently used ones until the total fits a maximum size.
//!
//! Layout under the cache root (`Dirs::cache`): `transcripts/<k0k1>/<key>.json` and
//! `slides/<k0k1>/<key>.png`. A transcript hit refreshes its file's modification time, which is
//! what "least recently used" goes by.

use crate::error::ErrorKind;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::render::SlideCache;
use crate::transcribe::{TranscribeOptions, Transcript};

/// Bumped when the transcription code changes what it produces for the same input, so
/// transcripts cached by an older build are not served.
const TRANSCRIPT_VERSION: u32 = 2;

/// The kinds of cached data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheKind {
    Transcripts,
    Slides,
    /// The player's audio renditions (`export::preview`).
    Previews,
}

impl CacheKind {
    pub const ALL: [CacheKind; 3] = [
        CacheKind::Transcripts,
        CacheKind::Slides,
        CacheKind::Previews,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CacheKind::Transcripts => "transcripts",
            CacheKind::Slides => "slides",
            CacheKind::Previews => "previews",
        }
    }

    /// The kind's folder under the cache root.
    pub fn dir(self, root: &Path) -> PathBuf {
        root.join(self.name())
    }
}

/// The hit log under a cache root: one `<kind> <hits> <misses>` line per recorded batch of
/// lookups, from every process (the app, the CLI) that used this cache.
pub const HIT_LOG: &str = "hits.log";

/// Counts lookups of `kind` in the cache at `root`, in the root's [`HIT_LOG`], which
/// [`report`] sums. A log that cannot be written only loses the statistic.
pub fn record(root: &Path, kind: CacheKind, hits: u64, misses: u64) {
    if hits + misses == 0 {
        return;
    }
    // One short line in one append-mode write: concurrent writers cannot interleave it.
    let line = format!("{} {hits} {misses}\n", kind.name());
    let appended = std::fs::create_dir_all(root).and_then(|()| {
        std::fs::File::options()
            .create(true)
            .append(true)
            .open(root.join(HIT_LOG))
            .and_then(|mut file| std::io::Write::write_all(&mut file, line.as_bytes()))
    });
    drop(appended);
}

/// Hits and misses per kind in the hit log under `root` (zero when there is none).
fn logged_hits(root: &Path) -> [(u64, u64); CacheKind::ALL.len()] {
    let mut totals = [(0, 0); CacheKind::ALL.len()];
    let Ok(text) = std::fs::read_to_string(root.join(HIT_LOG)) else {
        return totals;
    };
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let (Some(kind), Some(Ok(hits)), Some(Ok(misses))) = (
            fields.next(),
            fields.next().map(str::parse::<u64>),
            fields.next().map(str::parse::<u64>),
        ) else {
            continue;
        };
        if let Some(index) = CacheKind::ALL.iter().position(|k| k.name() == kind) {
            totals[index].0 += hits;
            totals[index].1 += misses;
        }
    }
    totals
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot remove {}: {source}", path.display())]
    Remove {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("'{0}' is not a duration: use a number with ms, s, m, h, d or w (e.g. 24h)")]
    Duration(String),
    #[error("'{0}' is not a size: use a number with B, KB, MB, GB or TB (e.g. 2GB)")]
    Size(String),
}

impl CacheError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            CacheError::Read { .. } | CacheError::Write { .. } | CacheError::Remove { .. } => {
                ErrorKind::CacheIo
            }
            CacheError::Duration(_) | CacheError::Size(_) => ErrorKind::InvalidLimit,
        }
    }
}

/// SHA-256 of a file's content, read in 1 MiB blocks (media can be gigabytes).
pub fn hash_file(path: &Path) -> Result<String, CacheError> {
    let read_error = |source| CacheError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer).map_err(read_error)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The transcript cache key of `media` transcribed by the model file `model` with `options`.
///
/// The thread count is left out: it changes the speed, not the words.
pub fn transcript_key(
    media: &Path,
    model: &Path,
    options: &TranscribeOptions,
) -> Result<String, CacheError> {
    let mut hasher = Sha256::new();
    // Each field is length-prefixed so no two different inputs hash the same bytes.
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(b"vsl-transcript");
    field(&TRANSCRIPT_VERSION.to_le_bytes());
    field(hash_file(media)?.as_bytes());
    field(
        model
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
            .as_bytes(),
    );
    let size = std::fs::metadata(model)
        .map_err(|source| CacheError::Read {
            path: model.to_path_buf(),
            source,
        })?
        .len();
    field(&size.to_le_bytes());
    field(model_manifest_sha1(model).unwrap_or_default().as_bytes());
    let language = options
        .language
        .as_deref()
        .filter(|language| *language != "auto")
        .unwrap_or("auto");
    field(language.as_bytes());
    field(options.prompt.as_deref().unwrap_or("").as_bytes());
    Ok(hex::encode(hasher.finalize()))
}

/// The SHA-1 recorded in the model's `<file>.json` manifest (see `models`), if any: it tells
/// apart two different models that happen to share a name and a size.
fn model_manifest_sha1(model: &Path) -> Option<String> {
    let mut manifest = model.as_os_str().to_owned();
    manifest.push(".json");
    let text = std::fs::read_to_string(PathBuf::from(manifest)).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.get("sha1")?.as_str().map(str::to_owned)
}

/// Transcripts by [`transcript_key`].
#[derive(Debug, Clone)]
pub struct TranscriptCache {
    dir: PathBuf,
}

impl TranscriptCache {
    /// `<cache dir>/transcripts`.
    pub fn open(dirs: &crate::paths::Dirs) -> TranscriptCache {
        TranscriptCache::at(CacheKind::Transcripts.dir(&dirs.cache))
    }

    pub fn at(dir: impl Into<PathBuf>) -> TranscriptCache {
        TranscriptCache { dir: dir.into() }
    }

    /// The `transcripts` folder beside a slide cache's folder, so a run that was given a
    /// cache location (a test, `--cache-dir`) keeps both kinds there.
    pub fn beside(slides: &SlideCache) -> TranscriptCache {
        let dir = slides.dir();
        TranscriptCache::at(
            dir.parent()
                .unwrap_or(dir)
                .join(CacheKind::Transcripts.name()),
        )
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cache root this kind's folder sits in (where the hit log is).
    fn root(&self) -> &Path {
        self.dir.parent().unwrap_or(&self.dir)
    }

    fn path(&self, key: &str) -> PathBuf {
        let prefix = key.get(..2).unwrap_or("00");
        self.dir.join(prefix).join(format!("{key}.json"))
    }

    /// The cached transcript, counting a hit or a miss. An unreadable or corrupt entry is a
    /// miss: the cache is disposable and the transcription will simply run.
    pub fn get(&self, key: &str) -> Option<Transcript> {
        let path = self.path(key);
        let transcript = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Transcript>(&bytes).ok());
        match &transcript {
            Some(_) => {
                record(self.root(), CacheKind::Transcripts, 1, 0);
                // Refreshing the time is what makes cleanup least-recently-used; failing to
                // is harmless.
                if let Ok(file) = std::fs::File::options().append(true).open(&path) {
                    let _ = file.set_modified(SystemTime::now());
                }
            }
            None => record(self.root(), CacheKind::Transcripts, 0, 1),
        }
        transcript
    }

    /// Stores `transcript` under `key` (written to a temporary sibling, then renamed).
    pub fn put(&self, key: &str, transcript: &Transcript) -> Result<PathBuf, CacheError> {
        let path = self.path(key);
        let write_error = |error: crate::fs::FsError| CacheError::Write {
            path: error.path,
            source: error.source,
        };
        let parent = path.parent().unwrap_or(&self.dir);
        crate::fs::create_dir_all(parent).map_err(write_error)?;
        let bytes = serde_json::to_vec(transcript).map_err(|error| CacheError::Write {
            path: path.clone(),
            source: std::io::Error::other(error),
        })?;
        crate::fs::write_atomic(&path, &bytes, crate::fs::Replace::Yes).map_err(write_error)?;
        Ok(path)
    }
}

/// One kind's share of the cache.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KindReport {
    pub kind: CacheKind,
    pub dir: PathBuf,
    pub entries: u64,
    pub bytes: u64,
    /// Lookups recorded in the cache's hit log: every process that used this cache since
    /// the log was started (it survives cleanups; delete it to start counting again).
    pub hits: u64,
    pub misses: u64,
}

impl KindReport {
    /// Hits over lookups, `None` before the first lookup.
    pub fn hit_rate(&self) -> Option<f64> {
        let lookups = self.hits + self.misses;
        (lookups > 0).then(|| self.hits as f64 / lookups as f64)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheReport {
    pub root: PathBuf,
    pub kinds: Vec<KindReport>,
}

impl CacheReport {
    pub fn bytes(&self) -> u64 {
        self.kinds.iter().map(|kind| kind.bytes).sum()
    }

    pub fn entries(&self) -> u64 {
        self.kinds.iter().map(|kind| kind.entries).sum()
    }
}

struct Entry {
    path: PathBuf,
    bytes: u64,
    modified: SystemTime,
}

/// Every file under `dir` (recursively); a missing folder is an empty cache.
fn entries(dir: &Path, out: &mut Vec<Entry>) -> Result<(), CacheError> {
    let listing = match std::fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(CacheError::Read {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    for entry in listing.flatten() {
        let path = entry.path();
        // Another process may remove an entry while we list: skip what vanished.
        let Ok(metadata) = entry.metadata() else {
            continue;
        };
        if metadata.is_dir() {
            entries(&path, out)?;
        } else if metadata.is_file() {
            out.push(Entry {
                path,
                bytes: metadata.len(),
                modified: metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            });
        }
    }
    Ok(())
}

/// Sizes of each kind under `root`, with the lookups its hit log recorded.
pub fn report(root: &Path) -> Result<CacheReport, CacheError> {
    let mut kinds = Vec::new();
    let logged = logged_hits(root);
    for (kind, (hits, misses)) in CacheKind::ALL.into_iter().zip(logged) {
        let dir = kind.dir(root);
        let mut files = Vec::new();
        entries(&dir, &mut files)?;
        kinds.push(KindReport {
            kind,
            dir,
            entries: files.len() as u64,
            bytes: files.iter().map(|file| file.bytes).sum(),
            hits,
            misses,
        });
    }
    Ok(CacheReport {
        root: root.to_path_buf(),
        kinds,
    })
}

/// Limits for [`cleanup`]; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheLimits {
    pub max_age: Option<Duration>,
    pub max_size: Option<u64>,
}

impl CacheLimits {
    /// The default start-up limits, as text: 30 days and 5 GB.
    pub const DEFAULT_MAX_AGE: &str = "30d";
    pub const DEFAULT_MAX_SIZE: &str = "5GB";

    /// What start-up cleanup enforces unless the settings say otherwise:
    /// [`Self::DEFAULT_MAX_AGE`] and [`Self::DEFAULT_MAX_SIZE`].
    pub fn defaults() -> CacheLimits {
        // Both constants parse (a unit test says so); no limit is the safe fallback.
        CacheLimits::parse(Self::DEFAULT_MAX_AGE, Self::DEFAULT_MAX_SIZE).unwrap_or_default()
    }

    /// Limits from text such as `24h` and `2GB`; `0`, `none`, `off` or an empty string turn
    /// a limit off.
    pub fn parse(max_age: &str, max_size: &str) -> Result<CacheLimits, CacheError> {
        let off = |value: &str| matches!(value.trim(), "" | "0" | "none" | "off");
        Ok(CacheLimits {
            max_age: (!off(max_age))
                .then(|| parse_duration(max_age))
                .transpose()?,
            max_size: (!off(max_size)).then(|| parse_size(max_size)).transpose()?,
        })
    }
}

/// What [`cleanup`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CleanupReport {
    pub removed_by_age: u64,
    pub removed_by_size: u64,
    pub freed_bytes: u64,
    pub kept: u64,
    pub kept_bytes: u64,
}

/// Removes cache entries under `root`: first everything last used more than `max_age` before
/// `now`, then the least recently used until the rest fits in `max_size`.
pub fn cleanup(
    root: &Path,
    limits: CacheLimits,
    now: SystemTime,
) -> Result<CleanupReport, CacheError> {
    let mut files = Vec::new();
    for kind in CacheKind::ALL {
        entries(&kind.dir(root), &mut files)?;
    }
    let mut report = CleanupReport::default();
    let remove = |entry: &Entry| match std::fs::remove_file(&entry.path) {
        Ok(()) => Ok(true),
        // Someone else removed it first: the space is free either way.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(CacheError::Remove {
            path: entry.path.clone(),
            source,
        }),
    };
    let mut kept = Vec::new();
    for entry in files {
        let age = now.duration_since(entry.modified).unwrap_or_default();
        if limits.max_age.is_some_and(|max_age| age > max_age) {
            if remove(&entry)? {
                report.removed_by_age += 1;
                report.freed_bytes += entry.bytes;
            }
        } else {
            kept.push(entry);
        }
    }
    let mut total: u64 = kept.iter().map(|entry| entry.bytes).sum();
    if let Some(max_size) = limits.max_size {
        // Oldest first; the path breaks ties so the order does not depend on listing order.
        kept.sort_by(|a, b| a.modified.cmp(&b.modified).then(a.path.cmp(&b.path)));
        let mut survivors = Vec::new();
        for entry in kept {
            if total > max_size {
                if remove(&entry)? {
                    report.removed_by_size += 1;
                    report.freed_bytes += entry.bytes;
                }
                total -= entry.bytes;
            } else {
                survivors.push(entry);
            }
        }
        kept = survivors;
    }
    report.kept = kept.len() as u64;
    report.kept_bytes = total;
    Ok(report)
}

/// [`cleanup`] of the default cache folder within `limits`: what the front ends run at
/// start-up (`vsl watch` with its flags, the app with its settings) and the app's
/// "Clean up now".
pub fn cleanup_default(
    dirs: &crate::paths::Dirs,
    limits: CacheLimits,
) -> Result<CleanupReport, CacheError> {
    cleanup(&dirs.cache, limits, SystemTime::now())
}

/// `2.5GB` → `(2.5, "gb")`: the number and the lower-case unit after it.
fn number_and_unit(text: &str) -> Option<(f64, String)> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    Some((number.parse().ok()?, unit.trim().to_ascii_lowercase()))
}

/// Parses `500ms`, `90s`, `30m`, `24h`, `7d`, `2w` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, CacheError> {
    let invalid = || CacheError::Duration(text.to_owned());
    let (number, unit) = number_and_unit(text).ok_or_else(invalid)?;
    let seconds = match unit.as_str() {
        "ms" => 0.001,
        "" | "s" | "sec" | "secs" => 1.0,
        "m" | "min" | "mins" => 60.0,
        "h" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 604_800.0,
        _ => return Err(invalid()),
    };
    let total = number * seconds;
    if !total.is_finite() || total < 0.0 {
        return Err(invalid());
    }
    Ok(Duration::from_secs_f64(total))
}

/// Parses `500MB`, `2GB`, `1.5 GiB`, `4096` (bytes). KB/MB/GB are powers of 1000,
/// KiB/MiB/GiB powers of 1024.
pub fn parse_size(text: &str) -> Result<u64, CacheError> {
    let invalid = || CacheError::Size(text.to_owned());
    let (number, unit) = number_and_unit(text).ok_or_else(invalid)?;
    let scale: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(invalid()),
    };
    let bytes = number * scale;
    if !bytes.is_finite() || bytes < 0.0 {
        return Err(invalid());
    }
    Ok(bytes.round() as u64)
}

/// `1.23 GB`, `456 KB`, `12 B`: for reports.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // fixtures are written directly
mod tests {
    use super::*;

    #[test]
    fn default_limits_are_thirty_days_and_five_gigabytes() {
        let limits = CacheLimits::defaults();
        assert_eq!(limits.max_age, Some(Duration::from_secs(30 * 24 * 3600)));
        assert!(limits.max_size.is_some_and(|size| size >= 5_000_000_000));
    }

    #[test]
    fn the_hit_log_sums_every_writer_and_skips_damaged_lines() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        record(dir.path(), CacheKind::Transcripts, 1, 0);
        record(dir.path(), CacheKind::Transcripts, 0, 1);
        record(dir.path(), CacheKind::Slides, 7, 3);
        record(dir.path(), CacheKind::Slides, 0, 0);
        let log = dir.path().join(HIT_LOG);
        let mut text = std::fs::read_to_string(&log).expect("the log");
        assert_eq!(
            text.lines().count(),
            3,
            "empty batches are not logged: {text}"
        );
        text.push_str("slides x 1\ngarbage\nslides 2 0\n");
        std::fs::write(&log, text).expect("written");
        let report = report(dir.path()).expect("report");
        assert_eq!((report.kinds[0].hits, report.kinds[0].misses), (1, 1));
        assert_eq!((report.kinds[1].hits, report.kinds[1].misses), (9, 3));
        assert_eq!(report.kinds[1].hit_rate(), Some(0.75));
        assert_eq!(report.bytes(), 0, "the log is not a cache entry");
    }

    #[test]
    fn limits_parse_from_text_and_turn_off() {
        let limits = CacheLimits::parse("24h", "2GB").expect("valid");
        assert_eq!(limits.max_age, Some(Duration::from_secs(24 * 3600)));
        assert_eq!(limits.max_size, Some(2_000_000_000));
        let off = CacheLimits::parse("off", " ").expect("valid");
        assert_eq!(off, CacheLimits::default());
        assert!(CacheLimits::parse("soon", "1GB").is_err());
        assert!(CacheLimits::parse("1d", "lots").is_err());
    }

    #[test]
    fn durations_and_sizes_parse() {
        assert_eq!(
            parse_duration("24h").ok(),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(parse_duration("90").ok(), Some(Duration::from_secs(90)));
        assert_eq!(
            parse_duration("500ms").ok(),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_duration("1.5m").ok(), Some(Duration::from_secs(90)));
        assert_eq!(
            parse_duration("7d").ok(),
            Some(Duration::from_secs(604_800))
        );
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3 fortnights").is_err());
        assert_eq!(parse_size("2GB").ok(), Some(2_000_000_000));
        assert_eq!(parse_size("1 KiB").ok(), Some(1024));
        assert_eq!(parse_size("1.5mb").ok(), Some(1_500_000));
        assert_eq!(parse_size("4096").ok(), Some(4096));
        assert!(parse_size("lots").is_err());
        assert_eq!(format_size(999), "999 B");
        assert_eq!(format_size(2_500_000), "2.50 MB");
    }
}
