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
//! `<data dir>/watch/state.json` (written to a temporary sibling and renamed, merged with what
//! another watcher process recorded, under a lock on `state.json.lock`), so a restart
//! neither repeats nor forgets work. What the processing step wrote is recorded too and never
//! imported, which, with the check that output folders are outside watched folders unless
//! asked, prevents feedback loops.
//!
//! Restart safety: before a file is processed its entry is saved as `running`, with the
//! output name chosen for it, while the process holds a lock on
//! `<state dir>/running/<key>.lock`. A process killed mid-job (kill -9, a crash, a power
//! cut) leaves that entry behind with a free lock: the next watcher resumes it under the same
//! name, replacing the half-done outputs of that name (they were its own), so the file is
//! processed exactly once in the end and no `-2` name appears. At start-up the temporary files
//! of dead writers (`fs::remove_stale_temps`) are removed from the output folders and the
//! cache.
//!
//! The processing step is a closure: the CLI and the app run the pipeline; tests count.

use crate::error::ErrorKind;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cache::hash_file;
use crate::job::JobSpec;
use crate::paths::Dirs;

/// One watched folder and what to make of the files dropped into it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WatchPreset {
    pub dir: PathBuf,
    pub out_dir: PathBuf,
    /// What each file's job runs with.
    pub spec: JobSpec,
    /// Lets `out_dir` be inside a watched folder (its outputs are still never imported).
    pub allow_output_inside: bool,
}

impl WatchPreset {
    pub fn new(dir: impl Into<PathBuf>, out_dir: impl Into<PathBuf>, spec: JobSpec) -> WatchPreset {
        WatchPreset {
            dir: dir.into(),
            out_dir: out_dir.into(),
            spec,
            allow_output_inside: false,
        }
    }

    /// A digest of every setting that changes the outputs (not the folders: the same file
    /// with the same settings gives the same result wherever it came from; not the thread
    /// count). The glossaries and `slides.toml` count by their content, so editing one
    /// makes files eligible again.
    pub fn settings_id(&self, dirs: &Dirs) -> String {
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(b"vsl-watch-settings-2");
        let spec = JobSpec {
            threads: 0,
            ..self.spec.clone()
        };
        field(&serde_json::to_vec(&spec).unwrap_or_default());
        let global = dirs.glossary_file();
        let slides = dirs.slides_config_file();
        for file in [
            self.spec.glossary.as_deref(),
            self.spec.global_glossary.then_some(global.as_path()),
            Some(
                self.spec
                    .slides_config
                    .as_deref()
                    .unwrap_or(slides.as_path()),
            ),
        ] {
            field(
                &file
                    .and_then(|path| std::fs::read(path).ok())
                    .unwrap_or_default(),
            );
        }
        hex::encode(&hasher.finalize()[..16])
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
    /// Where the glossary and `slides.toml` that settings ids cover live.
    pub dirs: Dirs,
}

impl WatchConfig {
    pub const DEFAULT_DEBOUNCE: Duration = Duration::from_secs(2);
    pub const DEFAULT_RESCAN: Duration = Duration::from_secs(5);

    pub fn new(folders: Vec<WatchPreset>, dirs: &Dirs) -> WatchConfig {
        WatchConfig {
            folders,
            debounce: Self::DEFAULT_DEBOUNCE,
            rescan: Self::DEFAULT_RESCAN,
            state_file: dirs.watch_state_file(),
            dirs: dirs.clone(),
        }
    }
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
    /// A file whose processing was interrupted (the process was killed) is processed again,
    /// under its own output name.
    Resuming {
        path: PathBuf,
    },
    /// Temporary files left by a killed run were removed.
    StaleRemoved {
        paths: Vec<PathBuf>,
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
    pub fn kind(&self) -> ErrorKind {
        match self {
            WatchError::NoFolders => ErrorKind::NoFolders,
            WatchError::OutputInsideWatched { .. } => ErrorKind::OutputInsideWatched,
            WatchError::Notify { .. } => ErrorKind::Watch,
            WatchError::State { .. } => ErrorKind::WatchState,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    Done,
    Failed,
    /// Being processed; left behind by a process that was killed, it means interrupted.
    Running,
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
    /// Unix seconds (for a running entry: when it started).
    pub finished: u64,
    /// The name its outputs were given (`<name>.mp4`, `<name>_slides/`), when the watcher
    /// chose it: an interrupted job is resumed under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The folder those outputs went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_dir: Option<PathBuf>,
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

    /// Adds what another process (the app and `vsl watch` can run at once) recorded in `path`
    /// since this state was loaded, then writes the union to a temporary sibling renamed over
    /// `path`: a crash leaves the previous state or the new one, never half of one, and
    /// neither writer drops the other's entries. The read-merge-write holds an exclusive lock
    /// on `<path>.lock`. An entry in both is kept as `self` has it.
    pub fn save(&mut self, path: &Path) -> Result<(), WatchError> {
        let state_error = |error: crate::fs::FsError| WatchError::State {
            path: path.to_path_buf(),
            reason: error.to_string(),
        };
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            crate::fs::create_dir_all(parent).map_err(state_error)?;
        }
        let mut lock_name = path.file_name().unwrap_or_default().to_os_string();
        lock_name.push(".lock");
        let _lock = crate::fs::lock(&path.with_file_name(lock_name)).map_err(state_error)?;
        let on_disk = WatchState::load(path)?;
        for (key, entry) in on_disk.entries {
            self.entries.entry(key).or_insert(entry);
        }
        self.version = self.version.max(on_disk.version).max(1);
        let bytes = serde_json::to_vec_pretty(self).map_err(|error| WatchError::State {
            path: path.to_path_buf(),
            reason: error.to_string(),
        })?;
        crate::fs::write_atomic(path, &bytes, crate::fs::Replace::Yes).map_err(state_error)
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
            crate::media::SUPPORTED_EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str())
        })
}

/// The processing step: given a complete file and its folder's preset, returns the files it
/// wrote or an error message.
pub type Processor<'a> = dyn FnMut(&Path, &WatchPreset) -> Result<Vec<PathBuf>, String> + 'a;

/// One file to process, with the output name the watcher chose for it.
#[derive(Debug, Clone, Copy)]
pub struct WatchJob<'a> {
    pub input: &'a Path,
    pub preset: &'a WatchPreset,
    /// Write `<name>.*` and `<name>_slides/` in `preset.out_dir`.
    pub name: &'a str,
    /// The job resumes an interrupted one: outputs already under `name` are its own, half
    /// done, and are to be replaced (the watcher removed what it could).
    pub replace: bool,
}

/// The processing step of [`Watcher::run_jobs`]: writes the outputs under the job's name and
/// returns the files it wrote, or an error message.
pub type JobProcessor<'a> = dyn FnMut(&WatchJob<'_>) -> Result<Vec<PathBuf>, String> + 'a;

/// Every output [`crate::pipeline::run_file`] may have written under `name` in `out_dir`.
fn remove_outputs(out_dir: &Path, name: &str) {
    let paths = crate::pipeline::OutputPaths::new(out_dir, name);
    for file in [&paths.mp4, &paths.srt, &paths.vtt, &paths.txt, &paths.json] {
        let _ = std::fs::remove_file(file);
        let _ = std::fs::remove_file(file.with_extension("json.gz"));
    }
    // The name was free when the job began (the watcher chose it), so the folder is the
    // interrupted job's own.
    let _ = std::fs::remove_dir_all(&paths.slides_dir);
}

/// `<state dir>/running/<key>.lock`: held while the key's file is processed.
fn running_lock(state_file: &Path, key: &str) -> PathBuf {
    let dir = state_file
        .parent()
        .map_or_else(|| PathBuf::from("running"), |dir| dir.join("running"));
    dir.join(format!("{}.lock", key.replace(':', "-")))
}

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
    /// The cache root, swept of dead writers' temporary files at start-up.
    cache: PathBuf,
    swept: bool,
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
                    settings: preset.settings_id(&config.dirs),
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
            cache: config.dirs.cache.clone(),
            swept: false,
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
    /// `process` names the outputs itself, so an interrupted job is re-run but not under a
    /// name the watcher knows; [`Watcher::run_jobs`] resumes it under its own name.
    pub fn run(
        &mut self,
        process: &mut Processor<'_>,
        report: &mut dyn FnMut(WatchEvent),
        stop: &crate::jobs::CancelToken,
    ) -> Result<(), WatchError> {
        self.run_inner(&mut Step::Plain(process), report, stop)
    }

    /// [`Watcher::run`] with the output name chosen here ([`crate::pipeline::free_stem`]) and
    /// recorded before the job starts, so a job interrupted by a kill is resumed under it.
    pub fn run_jobs(
        &mut self,
        process: &mut JobProcessor<'_>,
        report: &mut dyn FnMut(WatchEvent),
        stop: &crate::jobs::CancelToken,
    ) -> Result<(), WatchError> {
        self.run_inner(&mut Step::Named(process), report, stop)
    }

    /// Removes the temporary files dead writers left in the output folders (and their slide
    /// folders) and the cache.
    fn sweep(&self, report: &mut dyn FnMut(WatchEvent)) {
        let mut paths = Vec::new();
        let mut seen = HashSet::new();
        for folder in &self.folders {
            if seen.insert(&folder.preset.out_dir) {
                // <out>/<name>_slides/thumbs/<file>.
                paths.extend(crate::fs::remove_stale_temps(&folder.preset.out_dir, 2));
            }
        }
        // transcripts/<aa>/<key>.json, slides/<aa>/<key>.png
        paths.extend(crate::fs::remove_stale_temps(&self.cache, 3));
        if let Some(dir) = self.state_file.parent() {
            paths.extend(crate::fs::remove_stale_temps(dir, 0));
        }
        if !paths.is_empty() {
            report(WatchEvent::StaleRemoved { paths });
        }
    }

    fn run_inner(
        &mut self,
        process: &mut Step<'_, '_>,
        report: &mut dyn FnMut(WatchEvent),
        stop: &crate::jobs::CancelToken,
    ) -> Result<(), WatchError> {
        if !self.swept {
            self.swept = true;
            self.sweep(report);
        }
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
        process: &mut Step<'_, '_>,
        report: &mut dyn FnMut(WatchEvent),
        stop: &crate::jobs::CancelToken,
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
            self.import(&path, folder, process, report, stop)?;
            self.settled.insert(path, stamp);
        }
        Ok(())
    }

    fn import(
        &mut self,
        path: &Path,
        folder: usize,
        process: &mut Step<'_, '_>,
        report: &mut dyn FnMut(WatchEvent),
        stop: &crate::jobs::CancelToken,
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
        let key = format!("{hash}:{}", self.folders[folder].settings);
        if self.skip(&key, path, report) {
            return Ok(());
        }
        // Held while the file is processed: a second watcher (the app, another `vsl watch`)
        // sees a running entry with a held lock as in progress, one with a free lock as
        // interrupted.
        let lock_path = running_lock(&self.state_file, &key);
        let state_error = |error: crate::fs::FsError| WatchError::State {
            path: self.state_file.clone(),
            reason: error.to_string(),
        };
        if let Some(dir) = lock_path.parent() {
            crate::fs::create_dir_all(dir).map_err(state_error)?;
        }
        let Some(lock) = crate::fs::try_lock(&lock_path).map_err(state_error)? else {
            report(WatchEvent::AlreadyProcessed {
                path: path.to_path_buf(),
            });
            return Ok(());
        };
        // Another process may have finished it while this one waited for the lock.
        self.refresh()?;
        if self.skip(&key, path, report) {
            return Ok(());
        }
        let interrupted = self
            .state
            .entries
            .get(&key)
            .filter(|entry| entry.status == Status::Running)
            .cloned();
        let preset = self.folders[folder].preset.clone();
        let name = match (&*process, &interrupted) {
            (Step::Plain(_), _) => None,
            (
                Step::Named(_),
                Some(StateEntry {
                    name: Some(name),
                    out_dir: Some(out_dir),
                    ..
                }),
            ) => {
                remove_outputs(out_dir, name);
                Some(name.clone())
            }
            (Step::Named(_), _) => {
                // The folder must exist for the name check to see what is in it.
                let _ = crate::fs::create_dir_all(&preset.out_dir);
                Some(crate::pipeline::free_stem(&preset.out_dir, path))
            }
        };
        let resumed = interrupted.is_some();
        report(if resumed {
            WatchEvent::Resuming {
                path: path.to_path_buf(),
            }
        } else {
            WatchEvent::Importing {
                path: path.to_path_buf(),
            }
        });
        self.record(
            &key,
            StateEntry {
                path: path.to_path_buf(),
                status: Status::Running,
                error: None,
                outputs: Vec::new(),
                finished: unix_now(),
                name: name.clone(),
                out_dir: name.as_ref().map(|_| preset.out_dir.clone()),
            },
        )?;
        let result = match process {
            Step::Plain(process) => process(path, &preset),
            Step::Named(process) => process(&WatchJob {
                input: path,
                preset: &preset,
                name: name.as_deref().unwrap_or_default(),
                replace: resumed,
            }),
        };
        if result.is_err() && stop.load(Ordering::Relaxed) {
            // Stopped mid-job (Ctrl-C, the app closing, new settings): not a failure of the
            // file. The entry stays `running` with a free lock, so the next start resumes it.
            let _ = std::fs::remove_file(&lock_path);
            return Ok(());
        }
        let entry = match result {
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
                    name: name.clone(),
                    out_dir: name.as_ref().map(|_| preset.out_dir.clone()),
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
                    name: name.clone(),
                    out_dir: name.as_ref().map(|_| preset.out_dir.clone()),
                }
            }
        };
        self.record(&key, entry)?;
        // A writer killed around our start (an engine that outlived its caller by a moment)
        // was still alive at the first sweep.
        self.sweep(report);
        // Deleted while held and after the final entry is saved: whoever opens the old file
        // or makes a new one re-reads the state under the lock and finds the job finished.
        let _ = std::fs::remove_file(&lock_path);
        drop(lock);
        Ok(())
    }

    /// Whether `key` needs no processing (done, failed, or a duplicate), reporting why.
    fn skip(&self, key: &str, path: &Path, report: &mut dyn FnMut(WatchEvent)) -> bool {
        let Some(entry) = self.state.entries.get(key) else {
            return false;
        };
        if entry.status == Status::Running && entry.path == path {
            return false;
        }
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
        true
    }

    /// Takes in what other processes recorded since the state was loaded; what they
    /// finished replaces what this one thought was running.
    fn refresh(&mut self) -> Result<(), WatchError> {
        let on_disk = WatchState::load(&self.state_file)?;
        for (key, entry) in on_disk.entries {
            match self.state.entries.get(&key) {
                Some(mine) if mine.status != Status::Running || entry.status == Status::Running => {
                }
                _ => {
                    self.state.entries.insert(key, entry);
                }
            }
        }
        Ok(())
    }

    /// Saves `entry` under `key` (merged with what another watcher recorded).
    fn record(&mut self, key: &str, entry: StateEntry) -> Result<(), WatchError> {
        self.state.version = 1;
        self.state.entries.insert(key.to_owned(), entry);
        self.state.save(&self.state_file)?;
        // The save merged in what another watcher recorded: never import its outputs either.
        self.outputs.extend(
            self.state
                .entries
                .values()
                .flat_map(|entry| entry.outputs.iter().cloned()),
        );
        Ok(())
    }
}

/// The two kinds of processing step.
enum Step<'p, 'a> {
    Plain(&'p mut Processor<'a>),
    Named(&'p mut JobProcessor<'a>),
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
        let root = tempfile::tempdir().expect("a temporary directory");
        let dirs = Dirs::under(root.path());
        let preset = WatchPreset::new("/in", "/out", JobSpec::default());
        let elsewhere = WatchPreset::new("/other", "/elsewhere", JobSpec::default());
        assert_eq!(preset.settings_id(&dirs), elsewhere.settings_id(&dirs));
        let mut portuguese = preset.clone();
        portuguese.spec.language = crate::job::Language::parse("pt");
        assert_ne!(preset.settings_id(&dirs), portuguese.settings_id(&dirs));
        let mut threads = preset.clone();
        threads.spec.threads = 3;
        assert_eq!(preset.settings_id(&dirs), threads.settings_id(&dirs));
        // A custom theme edited in slides.toml makes the folder's files eligible again.
        let before = preset.settings_id(&dirs);
        crate::fs::create_dir_all(&dirs.config).expect("created");
        crate::fs::write_atomic(
            &dirs.slides_config_file(),
            b"[theme.classic2]\nbackground = \"#000000\"\ntext = \"#FFFFFF\"\nhighlight = \"#FFC233\"\n",
            crate::fs::Replace::Yes,
        )
        .expect("written");
        assert_ne!(preset.settings_id(&dirs), before);
    }

    fn entry(name: &str) -> StateEntry {
        StateEntry {
            path: PathBuf::from(name),
            status: Status::Done,
            error: None,
            outputs: vec![PathBuf::from(format!("{name}.mp4"))],
            finished: 1,
            name: None,
            out_dir: None,
        }
    }

    #[test]
    fn two_writers_of_one_state_file_keep_each_others_entries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("watch").join("state.json");
        // Two processes (the app and `vsl watch`), each with the state it loaded at start.
        let mut app = WatchState::load(&path).expect("load");
        let mut cli = WatchState::load(&path).expect("load");
        app.entries.insert("a".into(), entry("a"));
        app.save(&path).expect("save");
        cli.entries.insert("b".into(), entry("b"));
        cli.save(&path).expect("save");
        assert_eq!(
            cli.entries.len(),
            2,
            "the saving handle learns the other's entries"
        );
        let saved = WatchState::load(&path).expect("load");
        assert_eq!(saved.entries.keys().collect::<Vec<_>>(), ["a", "b"]);

        // The same, racing: every entry either side recorded survives.
        std::thread::scope(|scope| {
            for side in ["app", "cli"] {
                let path = &path;
                scope.spawn(move || {
                    let mut state = WatchState::load(path).expect("load");
                    for index in 0..25 {
                        let key = format!("{side}-{index}");
                        state.entries.insert(key.clone(), entry(&key));
                        state.save(path).expect("save");
                    }
                });
            }
        });
        let saved = WatchState::load(&path).expect("load");
        assert_eq!(saved.entries.len(), 52);
        let mut names: Vec<String> = std::fs::read_dir(path.parent().expect("folder"))
            .expect("list")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        assert_eq!(names, ["state.json", "state.json.lock"]);
    }
}
