//! Watched folders: media dropped into a folder comes out once, with that folder's preset.
//!
//! [`Watcher`] watches any number of folders ([`WatchPreset`]: folder, output folder,
//! language, glossary, aspect, theme, formats, model) with `notify` events plus a periodic
//! rescan, because events can be dropped (bursts, a folder removed and recreated). A file
//! is imported only when its size and modification time have not changed for the debounce
//! window (2 s by default), so a file still being copied is never read half-written.
//! Hidden, temporary and partial names (`.part`, `.crdownload`, `.tmp`, `~$…`, dotfiles)
//! are ignored.
//!
//! Each import is keyed by the file's content hash and the preset's settings: a key already
//! processed (done or failed) is never run again, and a second file with the same content is
//! reported as a duplicate. That state is saved after every import to
//! `<data dir>/watch/state.json` (written to a temporary sibling and renamed), so a restart
//! neither repeats nor forgets work. What the processing step wrote is recorded too and never
//! imported, which, with the check that output folders are outside watched folders unless
//! asked, prevents feedback loops.
//!
//! The processing step is a closure: the CLI and the app run the pipeline; tests count.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cache::hash_file;
use crate::correct::Glossary;
use crate::pipeline::{Formats, PipelineOptions, SubtitleMode};
use crate::render::{SlideCache, SlideStyle};
use crate::slides::{Aspect, SlidesConfig};
use crate::transcribe::TranscribeOptions;

/// File extensions imported as media.
pub const MEDIA_EXTENSIONS: &[&str] = &[
    "wav", "mp3", "m4a", "aac", "flac", "ogg", "oga", "opus", "wma", "mp4", "m4v", "mov", "mkv",
    "webm", "avi", "mpg", "mpeg", "ts",
];

/// One watched folder and what to make of the files dropped into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WatchPreset {
    pub dir: PathBuf,
    pub out_dir: PathBuf,
    /// Catalog name of a model, or a ggml file.
    pub model: String,
    /// `auto` or an ISO code.
    pub language: String,
    /// A job glossary (TOML) applied over the global one.
    pub glossary: Option<PathBuf>,
    /// `16:9`, `1:1` or `9:16`.
    pub aspect: String,
    pub theme: String,
    /// `mp4,srt,vtt,txt,json` or a subset.
    pub formats: String,
    /// Lets `out_dir` be inside a watched folder (its outputs are still never imported).
    pub allow_output_inside: bool,
}

impl Default for WatchPreset {
    fn default() -> Self {
        WatchPreset {
            dir: PathBuf::new(),
            out_dir: PathBuf::new(),
            model: crate::models::DEFAULT_MODEL.to_owned(),
            language: "auto".to_owned(),
            glossary: None,
            aspect: "16:9".to_owned(),
            theme: "classic".to_owned(),
            formats: "mp4,srt,vtt,txt,json".to_owned(),
            allow_output_inside: false,
        }
    }
}

impl WatchPreset {
    pub fn new(dir: impl Into<PathBuf>, out_dir: impl Into<PathBuf>) -> WatchPreset {
        WatchPreset {
            dir: dir.into(),
            out_dir: out_dir.into(),
            ..WatchPreset::default()
        }
    }

    /// A digest of every setting that changes the outputs (not the folders: the same file
    /// with the same settings gives the same result wherever it came from). The glossary
    /// counts by its content, so editing it makes files eligible again.
    pub fn settings_id(&self) -> String {
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(b"vsl-watch-settings-1");
        field(self.model.as_bytes());
        field(self.language.as_bytes());
        field(self.aspect.as_bytes());
        field(self.theme.as_bytes());
        field(self.formats.as_bytes());
        match &self.glossary {
            Some(glossary) => field(&std::fs::read(glossary).unwrap_or_default()),
            None => field(b""),
        }
        hex::encode(&hasher.finalize()[..16])
    }

    /// The pipeline options this preset stands for: the user's `slides.toml` presets and
    /// themes, the global glossary under the folder's, the default slide cache. The error is
    /// a sentence naming the setting at fault.
    pub fn pipeline_options(&self, threads: usize) -> Result<PipelineOptions, String> {
        let config = SlidesConfig::load_default().map_err(|error| error.to_string())?;
        let aspect = Aspect::parse(&self.aspect).map_err(|error| error.to_string())?;
        let preset = config.preset(aspect);
        let theme = config
            .theme(&self.theme)
            .map_err(|error| error.to_string())?;
        let glossary =
            Glossary::load_layers(Some(&Glossary::global_path()), self.glossary.as_deref())
                .map_err(|error| error.to_string())?;
        Ok(PipelineOptions {
            out_dir: self.out_dir.clone(),
            transcribe: TranscribeOptions {
                language: Some(self.language.clone()),
                prompt: None,
                threads,
            },
            glossary,
            style: SlideStyle {
                theme,
                size: aspect.default_size(),
                max_lines: preset.max_lines,
            },
            preset,
            cache: SlideCache::open_default(),
            formats: Formats::parse(&self.formats)?,
            subtitles: SubtitleMode::Slides,
            fps: None,
            overwrite: false,
        })
    }
}

/// How the watcher behaves.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub folders: Vec<WatchPreset>,
    /// How long size and modification time must stay unchanged before a file is imported.
    pub debounce: Duration,
    /// How often every folder is listed again, in case events were lost.
    pub rescan: Duration,
    /// The persisted state (default `<data dir>/watch/state.json`).
    pub state_file: PathBuf,
}

impl WatchConfig {
    pub const DEFAULT_DEBOUNCE: Duration = Duration::from_secs(2);
    pub const DEFAULT_RESCAN: Duration = Duration::from_secs(5);

    pub fn new(folders: Vec<WatchPreset>) -> WatchConfig {
        WatchConfig {
            folders,
            debounce: Self::DEFAULT_DEBOUNCE,
            rescan: Self::DEFAULT_RESCAN,
            state_file: default_state_file(),
        }
    }
}

/// `<data dir>/watch/state.json`.
pub fn default_state_file() -> PathBuf {
    crate::paths::data_dir().join("watch").join("state.json")
}

/// What happened, for the front end to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum WatchEvent {
    /// The folder is (again) being watched.
    Watching {
        dir: PathBuf,
    },
    /// The folder is gone; it is watched again when it comes back.
    FolderMissing {
        dir: PathBuf,
    },
    /// A complete file is being processed.
    Importing {
        path: PathBuf,
    },
    Done {
        path: PathBuf,
        outputs: Vec<PathBuf>,
    },
    Failed {
        path: PathBuf,
        error: String,
    },
    /// Same content and settings as a file already processed under another name.
    Duplicate {
        path: PathBuf,
        original: PathBuf,
    },
    /// This very file was processed before (for instance before a restart).
    AlreadyProcessed {
        path: PathBuf,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("no folder to watch")]
    NoFolders,
    #[error(
        "the output folder {} is inside the watched folder {}: its videos would be imported \
         again; choose another output folder or allow it explicitly",
        output.display(), watched.display()
    )]
    OutputInsideWatched { output: PathBuf, watched: PathBuf },
    #[error("cannot watch {}: {reason}", path.display())]
    Notify { path: PathBuf, reason: String },
    #[error("watch state {}: {reason}", path.display())]
    State { path: PathBuf, reason: String },
}

impl WatchError {
    pub fn kind(&self) -> &'static str {
        match self {
            WatchError::NoFolders => "no_folders",
            WatchError::OutputInsideWatched { .. } => "output_inside_watched",
            WatchError::Notify { .. } => "watch",
            WatchError::State { .. } => "watch_state",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    Done,
    Failed,
}

/// One processed file in the state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateEntry {
    pub path: PathBuf,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<PathBuf>,
    /// Unix seconds.
    pub finished: u64,
}

/// The persisted state: entries by `<content sha256>:<settings id>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WatchState {
    pub version: u32,
    pub entries: BTreeMap<String, StateEntry>,
}

impl WatchState {
    /// The state in `path`; a missing file is an empty state.
    pub fn load(path: &Path) -> Result<WatchState, WatchError> {
        let state_error = |reason: String| WatchError::State {
            path: path.to_path_buf(),
            reason,
        };
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|error| {
                state_error(format!("{error} (move the file away to start afresh)"))
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(WatchState {
                version: 1,
                entries: BTreeMap::new(),
            }),
            Err(error) => Err(state_error(error.to_string())),
        }
    }

    /// Writes the state to a temporary sibling and renames it over `path`, so a crash leaves
    /// the previous state or the new one, never half of one.
    pub fn save(&self, path: &Path) -> Result<(), WatchError> {
        let state_error = |reason: String| WatchError::State {
            path: path.to_path_buf(),
            reason,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| {
                state_error(format!("cannot create {}: {error}", parent.display()))
            })?;
        }
        let bytes =
            serde_json::to_vec_pretty(self).map_err(|error| state_error(error.to_string()))?;
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.{}.part", std::process::id()));
        std::fs::write(&temp, bytes)
            .map_err(|error| state_error(format!("cannot write {}: {error}", temp.display())))?;
        std::fs::rename(&temp, path).map_err(|error| {
            let _ = std::fs::remove_file(&temp);
            state_error(error.to_string())
        })
    }
}

/// Whether a file name is one to ignore: hidden, an editor's lock, or a download or copy in
/// progress.
pub fn is_ignored_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || name.ends_with('~')
        || [
            ".part",
            ".partial",
            ".crdownload",
            ".download",
            ".tmp",
            ".temp",
            ".swp",
        ]
        .iter()
        .any(|suffix| lower.ends_with(suffix))
}

/// Whether `path` names a media file to import (by extension, after [`is_ignored_name`]).
pub fn is_media_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    if is_ignored_name(name) {
        return false;
    }
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            MEDIA_EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str())
        })
}

/// The processing step: given a complete file and its folder's preset, returns the files it
/// wrote or an error message.
pub type Processor<'a> = dyn FnMut(&Path, &WatchPreset) -> Result<Vec<PathBuf>, String> + 'a;

type Stamp = (u64, SystemTime);

struct Pending {
    folder: usize,
    stamp: Stamp,
    since: Instant,
}

struct Folder {
    preset: WatchPreset,
    settings: String,
    watched: bool,
    reported_missing: bool,
}

/// Watches folders and hands complete, new files to a [`Processor`].
pub struct Watcher {
    folders: Vec<Folder>,
    debounce: Duration,
    rescan: Duration,
    state_file: PathBuf,
    state: WatchState,
    /// Files already decided on, with the size and time they had: not looked at again
    /// unless they change.
    settled: HashMap<PathBuf, Stamp>,
    pending: HashMap<PathBuf, Pending>,
    outputs: HashSet<PathBuf>,
    events: Receiver<notify::Result<notify::Event>>,
    notify: RecommendedWatcher,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("folders", &self.folders.len())
            .field("state_file", &self.state_file)
            .finish_non_exhaustive()
    }
}

fn absolute(path: &Path) -> PathBuf {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|dir| dir.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    // Resolve symlinks where the path exists, so a link to a watched folder is caught.
    path.canonicalize().unwrap_or(path)
}

fn stamp(path: &Path) -> Option<Stamp> {
    let metadata = std::fs::metadata(path).ok()?;
    metadata.is_file().then(|| {
        (
            metadata.len(),
            metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        )
    })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The folders with absolute paths, or the first mistake: no folder, or an output folder
/// inside a watched one (unless that preset allows it). Front ends call this to check
/// settings before saving them; [`Watcher::new`] calls it too.
pub fn check_folders(presets: Vec<WatchPreset>) -> Result<Vec<WatchPreset>, WatchError> {
    if presets.is_empty() {
        return Err(WatchError::NoFolders);
    }
    let folders: Vec<WatchPreset> = presets
        .into_iter()
        .map(|mut preset| {
            preset.dir = absolute(&preset.dir);
            preset.out_dir = absolute(&preset.out_dir);
            preset
        })
        .collect();
    for preset in folders.iter().filter(|preset| !preset.allow_output_inside) {
        if let Some(watched) = folders
            .iter()
            .find(|other| preset.out_dir.starts_with(&other.dir))
        {
            return Err(WatchError::OutputInsideWatched {
                output: preset.out_dir.clone(),
                watched: watched.dir.clone(),
            });
        }
    }
    Ok(folders)
}

impl Watcher {
    /// Checks the folders, loads the state and starts `notify` (folders that do not exist yet
    /// are watched once they appear).
    pub fn new(config: WatchConfig) -> Result<Watcher, WatchError> {
        let folders = check_folders(config.folders)?;
        let state = WatchState::load(&config.state_file)?;
        let outputs = state
            .entries
            .values()
            .flat_map(|entry| entry.outputs.iter().cloned())
            .collect();
        let (sender, events) = std::sync::mpsc::channel();
        let notify = notify::recommended_watcher(move |event| {
            // The receiver is gone only when the watcher is dropped.
            let _ = sender.send(event);
        })
        .map_err(|error| WatchError::Notify {
            path: PathBuf::new(),
            reason: error.to_string(),
        })?;
        Ok(Watcher {
            folders: folders
                .into_iter()
                .map(|preset| Folder {
                    settings: preset.settings_id(),
                    preset,
                    watched: false,
                    reported_missing: false,
                })
                .collect(),
            debounce: config.debounce,
            rescan: config.rescan,
            state_file: config.state_file,
            state,
            settled: HashMap::new(),
            pending: HashMap::new(),
            outputs,
            events,
            notify,
        })
    }

    pub fn state(&self) -> &WatchState {
        &self.state
    }

    /// Files seen but not yet stable.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Runs until `stop` is set: imports complete files with `process`, one at a time, and
    /// reports through `report`. Files that arrive while one is processed wait their turn.
    pub fn run(
        &mut self,
        process: &mut Processor<'_>,
        report: &mut dyn FnMut(WatchEvent),
        stop: &AtomicBool,
    ) -> Result<(), WatchError> {
        let tick = (self.debounce / 4).clamp(Duration::from_millis(20), Duration::from_millis(250));
        let mut last_scan: Option<Instant> = None;
        while !stop.load(Ordering::Relaxed) {
            let mut rescan_now = last_scan.is_none_or(|at| at.elapsed() >= self.rescan);
            match self.events.recv_timeout(tick) {
                Ok(event) => {
                    rescan_now |= self.on_event(event);
                    // Take everything queued so a burst is handled in one pass.
                    while let Ok(event) = self.events.try_recv() {
                        rescan_now |= self.on_event(event);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => rescan_now = true,
            }
            if rescan_now {
                self.scan(report);
                last_scan = Some(Instant::now());
            }
            self.import_stable(process, report, stop)?;
        }
        Ok(())
    }

    /// Notes the files an event names; returns whether a full rescan is due (an error, or
    /// a watched folder itself changed).
    fn on_event(&mut self, event: notify::Result<notify::Event>) -> bool {
        let Ok(event) = event else {
            // Typically an overflowed event queue: a listing finds what was missed.
            return true;
        };
        let mut rescan = false;
        for path in event.paths {
            if self.folders.iter().any(|folder| folder.preset.dir == path) {
                rescan = true;
                continue;
            }
            let folder = path
                .parent()
                .and_then(|parent| self.folders.iter().position(|f| f.preset.dir == parent));
            if let Some(folder) = folder {
                self.note(&path, folder);
            }
        }
        rescan
    }

    /// Starts or restarts watching each folder and notes every file in it.
    fn scan(&mut self, report: &mut dyn FnMut(WatchEvent)) {
        for index in 0..self.folders.len() {
            let dir = self.folders[index].preset.dir.clone();
            if !dir.is_dir() {
                let folder = &mut self.folders[index];
                if folder.watched {
                    // inotify already dropped the watch with the folder; this may fail.
                    let _ = self.notify.unwatch(&dir);
                    folder.watched = false;
                }
                if !folder.reported_missing {
                    folder.reported_missing = true;
                    report(WatchEvent::FolderMissing { dir: dir.clone() });
                }
                // Files from the old folder are decided again if they reappear.
                self.pending.retain(|path, _| !path.starts_with(&dir));
                self.settled.retain(|path, _| !path.starts_with(&dir));
                continue;
            }
            if !self.folders[index].watched {
                // On failure the rescan still finds files, and the watch is tried again
                // next time.
                if self.notify.watch(&dir, RecursiveMode::NonRecursive).is_ok() {
                    let folder = &mut self.folders[index];
                    folder.watched = true;
                    folder.reported_missing = false;
                    report(WatchEvent::Watching { dir: dir.clone() });
                }
            }
            let Ok(listing) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in listing.flatten() {
                self.note(&entry.path(), index);
            }
        }
    }

    /// Starts the debounce clock for a media file not yet decided on.
    fn note(&mut self, path: &Path, folder: usize) {
        if !is_media_file(path) || self.outputs.contains(path) {
            return;
        }
        let Some(stamp) = stamp(path) else {
            self.pending.remove(path);
            return;
        };
        if self.settled.get(path) == Some(&stamp) {
            return;
        }
        self.pending
            .entry(path.to_path_buf())
            .or_insert_with(|| Pending {
                folder,
                stamp,
                since: Instant::now(),
            });
    }

    fn import_stable(
        &mut self,
        process: &mut Processor<'_>,
        report: &mut dyn FnMut(WatchEvent),
        stop: &AtomicBool,
    ) -> Result<(), WatchError> {
        let now = Instant::now();
        let mut ready = Vec::new();
        self.pending.retain(|path, pending| match stamp(path) {
            None => false,
            Some(current) if current != pending.stamp => {
                pending.stamp = current;
                pending.since = now;
                true
            }
            // An empty file is a copy that has not started writing yet.
            Some((0, _)) => true,
            Some(_) if now.duration_since(pending.since) >= self.debounce => {
                ready.push((path.clone(), pending.folder, pending.stamp));
                false
            }
            Some(_) => true,
        });
        // Oldest name first, so a burst is processed in a stable order.
        ready.sort();
        for (path, folder, stamp) in ready {
            if stop.load(Ordering::Relaxed) {
                // Not settled: the next run picks it up.
                break;
            }
            self.import(&path, folder, process, report)?;
            self.settled.insert(path, stamp);
        }
        Ok(())
    }

    fn import(
        &mut self,
        path: &Path,
        folder: usize,
        process: &mut Processor<'_>,
        report: &mut dyn FnMut(WatchEvent),
    ) -> Result<(), WatchError> {
        let hash = match hash_file(path) {
            Ok(hash) => hash,
            Err(error) => {
                report(WatchEvent::Failed {
                    path: path.to_path_buf(),
                    error: error.to_string(),
                });
                return Ok(());
            }
        };
        let folder = &self.folders[folder];
        let key = format!("{hash}:{}", folder.settings);
        if let Some(entry) = self.state.entries.get(&key) {
            report(if entry.path == path {
                WatchEvent::AlreadyProcessed {
                    path: path.to_path_buf(),
                }
            } else {
                WatchEvent::Duplicate {
                    path: path.to_path_buf(),
                    original: entry.path.clone(),
                }
            });
            return Ok(());
        }
        report(WatchEvent::Importing {
            path: path.to_path_buf(),
        });
        let preset = folder.preset.clone();
        let entry = match process(path, &preset) {
            Ok(outputs) => {
                self.outputs.extend(outputs.iter().cloned());
                report(WatchEvent::Done {
                    path: path.to_path_buf(),
                    outputs: outputs.clone(),
                });
                StateEntry {
                    path: path.to_path_buf(),
                    status: Status::Done,
                    error: None,
                    outputs,
                    finished: unix_now(),
                }
            }
            Err(error) => {
                report(WatchEvent::Failed {
                    path: path.to_path_buf(),
                    error: error.clone(),
                });
                StateEntry {
                    path: path.to_path_buf(),
                    status: Status::Failed,
                    error: Some(error),
                    outputs: Vec::new(),
                    finished: unix_now(),
                }
            }
        };
        self.state.version = 1;
        self.state.entries.insert(key, entry);
        self.state.save(&self.state_file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_and_hidden_names_are_ignored() {
        for name in [
            ".talk.mp4",
            "talk.mp4.part",
            "talk.mp4.crdownload",
            "talk.tmp",
            "~$talk.mp4",
            "talk.mp4~",
            "talk.MP4.PART",
        ] {
            assert!(!is_media_file(Path::new(name)), "{name} should be ignored");
        }
        for name in ["talk.mp4", "voice over.WAV", "a.m4a", "clip.mov"] {
            assert!(is_media_file(Path::new(name)), "{name} should be imported");
        }
        assert!(!is_media_file(Path::new("notes.txt")));
        assert!(!is_media_file(Path::new("talk")));
    }

    #[test]
    fn settings_change_the_settings_id() {
        let preset = WatchPreset::new("/in", "/out");
        let elsewhere = WatchPreset::new("/other", "/elsewhere");
        assert_eq!(preset.settings_id(), elsewhere.settings_id());
        let mut portuguese = preset.clone();
        portuguese.language = "pt".into();
        assert_ne!(preset.settings_id(), portuguese.settings_id());
    }
}
