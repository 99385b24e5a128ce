//! The editor session of a finished job: open its deck, edit it (only the changed slides are
//! rendered again), undo and redo, and export the MP4 and subtitles. The edits are
//! `vsl_core::edit`'s pure functions; the deck is read and written with
//! `SlideDeck::{load, save}`; the export is `vsl_core::export::export_deck`, as in the CLI.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime};
use vsl_core::correct::CorrectionReport;
use vsl_core::edit;
use vsl_core::job::{Formats, JobSpec, OutputMode};
use vsl_core::jobs::CancelToken;
use vsl_core::paths::Dirs;
use vsl_core::pipeline::PipelineProgress;
use vsl_core::render::{
    render_deck, CaptionPosition, RenderSize, Renderer, SlideCache, SlideStyle,
};
use vsl_core::slides::{Aspect, SlideDeck};
use vsl_core::worker::{ExportRequest, WorkerDirs, WorkerError};
use vsl_core::ErrorKind;

use super::events::{DeckView, Forwarder};
use super::media::MediaServer;
use super::state::{AppState, CutFiles, DeckVersion, Job, JobStatus, PendingExport};
use crate::error::{CommandError, CommandResult};

/// The style a deck was rendered with, from what `slides.json` records, resolved like any
/// job's (`slides.toml`'s presets and themes).
///
/// # Errors
///
/// The resolver's (`unknown_theme` when the theme is gone from `slides.toml`), or
/// `invalid_deck` for a shape the deck cannot have.
pub fn style_of(dirs: &Dirs, deck: &SlideDeck) -> CommandResult<SlideStyle> {
    Ok(for_deck(JobSpec::default(), deck)?.resolve(dirs)?.style)
}

/// `spec` with the shape, theme and size `deck` was rendered with.
///
/// # Errors
///
/// `invalid_deck` for a shape the deck cannot have.
fn for_deck(spec: JobSpec, deck: &SlideDeck) -> CommandResult<JobSpec> {
    Ok(JobSpec {
        preset: Aspect::parse(&deck.preset)?,
        theme: deck.theme.clone(),
        size: Some(RenderSize::new(deck.width, deck.height)),
        ..spec
    })
}

fn not_ready(name: &str) -> CommandError {
    CommandError::new(ErrorKind::NotReady, format!("{name} has no slides yet"))
}

/// Where the player reads a job's audio from: [`audio_preview`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioPreview {
    /// The rendition in the cache, granted to the asset protocol.
    pub path: PathBuf,
    /// The same file on the loopback media server, which GStreamer streams with byte ranges;
    /// `None` when that server could not start (the UI then fetches `path` into a blob).
    pub url: Option<String>,
}

/// The player's rendition of job `id`'s input (`vsl_core::export::preview`, made in the
/// engine process), granted to the asset protocol and served by the media server
/// (`super::media`).
///
/// # Errors
///
/// Kind `not_found` for an unknown id or a vanished input; the input's media errors.
pub fn audio_preview<R: Runtime>(app: &AppHandle<R>, id: &str) -> CommandResult<AudioPreview> {
    let state = app.state::<AppState>();
    let input = state.with_jobs(|jobs| {
        jobs.get(id)
            .map(|job| job.record.input.clone())
            .ok_or_else(|| CommandError::not_found(format!("no job {id}")))
    })?;
    // A hit needs only the cache; a miss is made in the engine process, since FFmpeg
    // decodes the input for it.
    let path = match vsl_core::export::preview::cached_preview(&state.dirs.cache, &input)? {
        Some(hit) => hit,
        None => state
            .models
            .preview(&input, &state.dirs.cache)
            .map_err(super::jobs::engine_error)?,
    };
    app.asset_protocol_scope()
        .allow_file(&path)
        .map_err(|error| CommandError::new(ErrorKind::Internal, error.to_string()))?;
    let url = match app.state::<MediaServer>().url_for(&path) {
        Ok(url) => Some(url),
        Err(error) => {
            tracing::warn!("{error}; the player falls back to the asset protocol");
            None
        }
    };
    Ok(AudioPreview { path, url })
}

/// The job's deck view; loads the deck of a job restored from the queue file, and lets the
/// asset protocol serve this job's audio and slide images (and nothing else).
///
/// # Errors
///
/// Kind `not_found` for an unknown id, `not_ready` when the job has not finished.
pub fn deck_view<R: Runtime>(app: &AppHandle<R>, id: &str) -> CommandResult<DeckView> {
    let state = app.state::<AppState>();
    let (record, loaded) = state.with_jobs(|jobs| {
        jobs.get(id)
            .map(|job| {
                (
                    job.record.clone(),
                    job.deck.as_ref().map(|(deck, _)| deck.clone()),
                )
            })
            .ok_or_else(|| CommandError::not_found(format!("no job {id}")))
    })?;
    let dir = record.deck_dir();
    let deck = match loaded {
        Some(deck) => deck,
        // A job whose export was cut short has a whole deck: it was exporting it.
        None if record.status == JobStatus::Done || record.export.is_some() => {
            let deck = SlideDeck::load(&dir)?;
            // A deck rendered before thumbnails existed gets them once, here.
            vsl_core::render::ensure_thumbnails(&deck, &dir)?;
            let style = style_of(&state.dirs, &deck)?;
            state.with_jobs(|jobs| {
                if let Some(job) = jobs.get_mut(id) {
                    job.deck = Some((deck.clone(), style));
                }
            });
            deck
        }
        None => return Err(not_ready(&record.name)),
    };
    let scope = app.asset_protocol_scope();
    scope
        .allow_file(&record.input)
        .and_then(|()| scope.allow_directory(&dir, false))
        // Not recursive: the slides and their thumbnails, nothing else under the job.
        .and_then(|()| scope.allow_directory(dir.join(vsl_core::render::THUMBS_DIR), false))
        .map_err(|error| CommandError::new(ErrorKind::Internal, error.to_string()))?;
    let (can_undo, can_redo, has_video) = state.with_jobs(|jobs| {
        jobs.get(id).map_or((false, false, None), |job| {
            (!job.undo.is_empty(), !job.redo.is_empty(), job.has_video)
        })
    });
    let has_video = has_video.unwrap_or_else(|| {
        let has_video = vsl_core::media::has_video(&record.input);
        state.with_jobs(|jobs| {
            if let Some(job) = jobs.get_mut(id) {
                job.has_video = Some(has_video);
            }
        });
        has_video
    });
    // The review list is a hint: a missing or unreadable report just marks nothing.
    let review = std::fs::read(dir.join(CORRECTIONS_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<CorrectionReport>(&bytes).ok())
        .map(|report| report.review)
        .unwrap_or_default();
    let alignment = std::fs::read(dir.join(vsl_core::pipeline::ALIGNMENT_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    Ok(DeckView {
        job_id: id.to_owned(),
        has_video,
        audio: record.input,
        slides_dir: dir,
        deck,
        review,
        alignment,
        can_undo,
        can_redo,
    })
}

/// One editor action.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum SlideEdit {
    SetText { index: usize, text: String },
    MergeNext { index: usize },
    Split { index: usize, offset: usize },
    Nudge { index: usize, delta: f64 },
    ToggleHighlight { index: usize, word: String },
}

/// Which way through the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HistoryStep {
    Undo,
    Redo,
}

/// `corrections.json` in a deck folder (written by the pipeline beside `slides.json`).
const CORRECTIONS_FILE: &str = "corrections.json";

/// A copy of the job's deck as it is now.
fn current_deck(job: &Job) -> CommandResult<SlideDeck> {
    job.deck
        .as_ref()
        .map(|(deck, _)| deck.clone())
        .ok_or_else(|| not_ready(&job.record.name))
}

/// Reads a file that may be absent.
fn read_optional(path: &Path) -> CommandResult<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(vsl_core::fs::FsError::new(path, error).into()),
    }
}

/// Writes `contents` at `path`, or removes the file when there are none.
fn restore_optional(path: &Path, contents: Option<&[u8]>) -> CommandResult<()> {
    match contents {
        Some(bytes) => Ok(vsl_core::fs::write_atomic(
            path,
            bytes,
            vsl_core::fs::Replace::Yes,
        )?),
        None => match std::fs::remove_file(path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(vsl_core::fs::FsError::new(path, error).into())
            }
            _ => Ok(()),
        },
    }
}

impl CutFiles {
    /// The files as they are in the deck folder `dir` now (they belong to its current deck).
    ///
    /// # Errors
    ///
    /// Kind `io` (naming the file) when one exists but cannot be read.
    pub fn read(dir: &Path) -> CommandResult<CutFiles> {
        Ok(CutFiles {
            alignment: read_optional(&dir.join(vsl_core::pipeline::ALIGNMENT_FILE))?,
            corrections: read_optional(&dir.join(CORRECTIONS_FILE))?,
        })
    }

    /// Puts the files back in `dir` as they were read, removing those that were absent.
    ///
    /// # Errors
    ///
    /// Writing's or removing's, naming the file.
    pub fn restore(&self, dir: &Path) -> CommandResult<()> {
        restore_optional(
            &dir.join(vsl_core::pipeline::ALIGNMENT_FILE),
            self.alignment.as_deref(),
        )?;
        restore_optional(&dir.join(CORRECTIONS_FILE), self.corrections.as_deref())
    }
}

/// `files` for a new history entry on `stack`: shared with the entry below when they are
/// the same, as they are after plain edits, so a long history holds them once.
fn shared(stack: &[DeckVersion], files: CutFiles) -> Arc<CutFiles> {
    match stack.last() {
        Some(top) if *top.files == files => Arc::clone(&top.files),
        _ => Arc::new(files),
    }
}

/// Puts the job's deck as it was before a change on the undo history, with the files of
/// `dir` and the script it followed; a new change empties the redo history.
fn push_undo(job: &mut Job, deck: SlideDeck, files: CutFiles) {
    let files = shared(&job.undo, files);
    job.undo.push(DeckVersion {
        deck,
        files,
        script: job.record.script.clone(),
    });
    job.redo.clear();
}

/// Replaces the job's deck with what `change` makes of it, after rendering what changed
/// (the cache makes unchanged slides free) and saving `slides.json`. `change` gets the deck
/// folder; when it returns [`CutFiles`] (a deck from the history), they replace the
/// folder's, so `alignment.json` and the review list match the deck shown.
fn commit<R: Runtime>(
    app: &AppHandle<R>,
    id: &str,
    change: impl FnOnce(&mut Job, &Path) -> CommandResult<(SlideDeck, Option<Arc<CutFiles>>)>,
) -> CommandResult<DeckView> {
    // Loads a restored job's deck first.
    deck_view(app, id)?;
    let state = app.state::<AppState>();
    let (mut next, files, style, dir) = state.with_jobs(|jobs| {
        let job = jobs
            .get_mut(id)
            .ok_or_else(|| CommandError::not_found(format!("no job {id}")))?;
        let dir = job.record.deck_dir();
        let (next, files) = change(job, &dir)?;
        let style = job
            .deck
            .as_ref()
            .map(|(_, style)| style.clone())
            .ok_or_else(|| not_ready(&job.record.name))?;
        Ok::<_, CommandError>((next, files, style, dir))
    })?;
    // A deck of another look (a look change, or its undo) is drawn with that look.
    let style = if next.theme == style.theme.name {
        style
    } else {
        style_of(&state.dirs, &next)?
    };
    render_deck(
        &Renderer::new(),
        &mut next,
        &style,
        &dir,
        &SlideCache::open(&state.dirs),
        &|_, _| {},
        &CancelToken::new(),
    )?;
    next.save(&dir)?;
    if let Some(files) = &files {
        files.restore(&dir)?;
    }
    state.with_jobs(|jobs| {
        if let Some((deck, held)) = jobs.get_mut(id).and_then(|job| job.deck.as_mut()) {
            *deck = next;
            *held = style;
        }
    });
    if files.is_some() {
        // The record's script came back with the deck.
        super::queue::save(&state);
    }
    deck_view(app, id)
}

/// Applies one edit; only slides whose text or highlights changed are drawn again.
///
/// # Errors
///
/// Kind `edit` when the edit does not fit the deck, `not_found`/`not_ready` for the job.
pub fn apply<R: Runtime>(
    app: &AppHandle<R>,
    id: &str,
    action: &SlideEdit,
) -> CommandResult<DeckView> {
    commit(app, id, |job, dir| {
        let current = current_deck(job)?;
        let mut next = current.clone();
        match action {
            SlideEdit::SetText { index, text } => edit::set_text(&mut next, *index, text),
            SlideEdit::MergeNext { index } => edit::merge_next(&mut next, *index),
            SlideEdit::Split { index, offset } => edit::split_at(&mut next, *index, *offset),
            SlideEdit::Nudge { index, delta } => {
                edit::nudge_start(&mut next, *index, *delta).map(drop)
            }
            SlideEdit::ToggleHighlight { index, word } => {
                edit::toggle_highlight(&mut next, *index, word).map(drop)
            }
        }?;
        push_undo(job, current, CutFiles::read(dir)?);
        Ok((next, None))
    })
}

/// Draws the job's slides again with another look (`look`: what a job names, a saved
/// look's id say); nothing is transcribed or cut again, and Undo brings the old look back.
///
/// # Errors
///
/// The look's own (`unknown_theme`, `invalid_look`, `invalid_font`, ...), naming the file.
pub fn set_look<R: Runtime>(app: &AppHandle<R>, id: &str, look: &str) -> CommandResult<DeckView> {
    let dirs = app.state::<AppState>().dirs.clone();
    commit(app, id, |job, dir| {
        let current = current_deck(job)?;
        let mut next = current.clone();
        next.theme = look.trim().to_owned();
        // Resolved here so a look that does not load fails before anything changes.
        let style = style_of(&dirs, &next)?;
        next.theme = style.theme.name.clone();
        push_undo(job, current, CutFiles::read(dir)?);
        // Held now, so `commit` draws with it instead of resolving the look a second time. A
        // render that then fails leaves the old deck with this style: the next commit sees the
        // names differ and resolves the deck's own look again.
        if let Some((_, held)) = job.deck.as_mut() {
            *held = style;
        }
        Ok((next, None))
    })
}

/// Undoes or redoes the last edit or script. A deck from the history comes back with its
/// own `alignment.json` (or none) and review list, and the script it followed.
///
/// # Errors
///
/// Kind `history` when there is nothing to undo or redo.
pub fn step<R: Runtime>(
    app: &AppHandle<R>,
    id: &str,
    step: HistoryStep,
) -> CommandResult<DeckView> {
    commit(app, id, |job, dir| {
        let deck = current_deck(job)?;
        let (from, to) = match step {
            HistoryStep::Undo => (&mut job.undo, &mut job.redo),
            HistoryStep::Redo => (&mut job.redo, &mut job.undo),
        };
        let files = CutFiles::read(dir)?;
        let next = from
            .pop()
            .ok_or_else(|| CommandError::new(ErrorKind::History, "nothing to undo or redo"))?;
        let current = DeckVersion {
            deck,
            files: shared(to, files),
            script: job.record.script.clone(),
        };
        to.push(current);
        job.record.script.clone_from(&next.script);
        Ok((next.deck, Some(next.files)))
    })
}

/// A script for a finished job: a file the person picked, or text they pasted.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    tag = "from",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ScriptSource {
    File { path: PathBuf },
    Pasted { text: String },
}

/// Gives a finished job the copywriter's script: its slides are cut again from the kept
/// transcript (nothing is transcribed again), showing the script's words, and the old deck
/// goes on the undo history. A pasted script is kept in the job's folder as `script.txt`.
///
/// # Errors
///
/// The script's (`invalid_script`, `script_mismatch`), `not_found`/`not_ready` for the job.
pub fn set_script<R: Runtime>(
    app: &AppHandle<R>,
    id: &str,
    source: &ScriptSource,
) -> CommandResult<DeckView> {
    let view = deck_view(app, id)?;
    // What the old deck was shown with, for Undo; the re-slide below replaces these files.
    let before = CutFiles::read(&view.slides_dir)?;
    let state = app.state::<AppState>();
    let record = state
        .with_jobs(|jobs| jobs.get(id).map(|job| job.record.clone()))
        .ok_or_else(|| CommandError::not_found(format!("no job {id}")))?;
    // A pasted script is parsed here and kept as `script.txt` only once it aligned, so a
    // script that is refused replaces nothing.
    let (path, script, pasted) = match source {
        ScriptSource::File { path } => {
            let script = super::jobs::validate_script(path)?;
            (path.clone(), script, None)
        }
        ScriptSource::Pasted { text } => {
            let path = record.work_dir.join("script.txt");
            let script = vsl_core::script::Script::parse(text, "script.txt")
                .map_err(|()| vsl_core::script::ScriptError::Empty { path: path.clone() })?;
            (path, script, Some(text))
        }
    };
    let settings = super::settings::load(&state.dirs)?;
    // The deck keeps its shape, theme and size; the glossary and the script are today's.
    let spec = JobSpec {
        preset: Aspect::parse(&view.deck.preset)?,
        theme: view.deck.theme.clone(),
        size: Some(RenderSize::new(view.deck.width, view.deck.height)),
        script: None,
        ..settings.job
    };
    let resolved = spec.resolve(&state.dirs)?;
    let mut options = resolved.pipeline_options(&record.work_dir, true);
    options.script = Some(vsl_core::pipeline::ScriptInput {
        path: path.clone(),
        script,
    });
    let resliced = vsl_core::pipeline::reslide(&view.slides_dir, &options, &CancelToken::new())?;
    if let Some(text) = pasted {
        vsl_core::fs::create_dir_all(&record.work_dir)?;
        vsl_core::fs::write_atomic(&path, text.as_bytes(), vsl_core::fs::Replace::Yes)?;
    }
    state.with_jobs(|jobs| {
        if let Some(job) = jobs.get_mut(id) {
            if let Some((old, _)) = job.deck.take() {
                push_undo(job, old, before);
            }
            job.deck = Some((resliced.deck, resolved.style));
            job.record.script = Some(path);
        }
    });
    super::queue::save(&state);
    deck_view(app, id)
}

/// What an export wrote, as the engine answered it.
pub use vsl_core::worker::ExportResult as ExportView;

/// The Export bar's choices besides the formats: the music bed (its volume and ducking; the
/// loudness target comes from the settings) and what the picture is (the slides, or the
/// source video with the slides' text as captions). They are set on the settings' job with
/// the deck's own shape and theme, and resolved as any job is (`JobSpec::resolve`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ExportChoices {
    pub music: Option<PathBuf>,
    pub music_volume: Option<f64>,
    pub duck: Option<bool>,
    pub output: OutputMode,
    pub caption_position: CaptionPosition,
}

impl ExportChoices {
    /// The settings' job with these choices, for `deck`.
    ///
    /// # Errors
    ///
    /// `invalid_deck` for a shape the deck cannot have.
    pub fn spec(&self, job: &JobSpec, deck: &SlideDeck) -> CommandResult<JobSpec> {
        let spec = JobSpec {
            music: self.music.clone(),
            music_volume: self.music_volume.unwrap_or(job.music_volume),
            duck: self.duck.unwrap_or(job.duck),
            output: self.output,
            caption_position: self.caption_position,
            // The deck is made: its script and glossary did their work already.
            script: None,
            ..job.clone()
        };
        for_deck(spec, deck)
    }
}

/// Checks an output folder the UI sent: absolute and an existing directory.
///
/// # Errors
///
/// Kind `output_folder` naming it.
pub fn validate_folder(folder: &Path) -> CommandResult<PathBuf> {
    let refused = |reason: String| {
        CommandError::new(
            ErrorKind::OutputFolder,
            format!("{}: {reason}", folder.display()),
        )
    };
    if !folder.is_absolute() || !folder.is_dir() {
        return Err(refused("not a folder".to_owned()));
    }
    folder
        .canonicalize()
        .map_err(|error| refused(error.to_string()))
}

/// Exports a finished job's deck in `formats` into `folder`, named after the voice-over,
/// with the music and picture `choices` asks for. Existing files are never replaced. `cancel_job`
/// with the job's id stops it, and a cancelled MP4 leaves no file behind.
///
/// # Errors
///
/// Kind `output_folder`, `cancelled`, a media kind naming a music file that is not audio,
/// or the export's own kind.
pub fn export<R: Runtime>(
    app: &AppHandle<R>,
    id: &str,
    folder: &Path,
    formats: &Formats,
    choices: &ExportChoices,
    forward: &Forwarder,
) -> CommandResult<ExportView> {
    let folder = validate_folder(folder)?;
    let view = deck_view(app, id)?;
    let state = app.state::<AppState>();
    // Resolved here too, so a choice that cannot be (a look that is gone) is refused at
    // once; the worker resolves it again, and its `ExportPlan::check` refuses a music file
    // that does not decode, or captions without a video, before anything is written.
    let spec = choices.spec(&super::settings::load(&state.dirs)?.job, &view.deck)?;
    spec.resolve(&state.dirs)?;
    // A fresh token: the one the pipeline used may be set by an earlier cancel. The export
    // is in the queue file while it runs, so a kill now is found at the next start
    // (`queue::restore`).
    let cancel = CancelToken::new();
    let pending = PendingExport {
        folder: folder.clone(),
        formats: formats.clone(),
        choices: choices.clone(),
    };
    state.with_jobs(|jobs| {
        if let Some(job) = jobs.get_mut(id) {
            job.cancel = cancel.clone();
            job.record.export = Some(pending);
        }
    });
    super::queue::save(&state);
    forward.stage("exporting", 0.0, 1.0);
    // In the engine process: a codec that crashes there fails this export with
    // `engine_crashed`, not the app. The deck it reads is the one the editor saved.
    let request = ExportRequest {
        spec,
        deck_dir: view.slides_dir.clone(),
        audio: view.audio.clone(),
        out_dir: folder.clone(),
        stem: vsl_core::pipeline::stem(&view.audio),
        formats: formats.clone(),
        dirs: WorkerDirs::from(&state.dirs),
    };
    let exported = state
        .models
        .export(
            &request,
            &mut |update| {
                if let Some(PipelineProgress::Exporting(progress)) = update.to_pipeline() {
                    forward.fraction(progress.fraction());
                }
            },
            &cancel,
        )
        .inspect_err(|error| {
            // A worker that died mid-export left its temporary files, unlocked now: gone.
            if matches!(error, WorkerError::Crashed { .. }) {
                for stale in vsl_core::fs::remove_stale_temps(&folder, 0) {
                    tracing::info!("removed {} left by the engine", stale.display());
                }
            }
        });
    // Ended, either way: a failure is reported to the editor, which exports again itself.
    state.with_jobs(|jobs| {
        if let Some(job) = jobs.get_mut(id) {
            job.record.export = None;
        }
    });
    super::queue::save(&state);
    let written = exported
        .map_err(super::jobs::engine_error)
        .inspect_err(|error| {
            tracing::warn!(
                "job {id}: export to {} failed: {}",
                folder.display(),
                error.message
            )
        })?;
    forward.fraction(1.0);
    tracing::info!(
        "job {id} exported {} files to {}",
        written.files.len(),
        folder.display()
    );
    for file in &written.files {
        state.mark_exported(file.clone());
    }
    Ok(written)
}

/// Refuses to reveal a path this session did not export, so the UI cannot use "Show in
/// folder" to open arbitrary paths.
///
/// # Errors
///
/// Kind `forbidden`.
pub fn check_revealable(state: &AppState, path: &Path) -> CommandResult<()> {
    if state.was_exported(path) {
        Ok(())
    } else {
        Err(CommandError::new(
            ErrorKind::Forbidden,
            format!("{} was not exported by VSL Studio", path.display()),
        ))
    }
}

/// "Always replace `from` with `to`": adds the rule to the global glossary, which every
/// later job applies.
///
/// # Errors
///
/// Kind `invalid_glossary` when the words are empty or the file cannot be written.
pub fn add_glossary_rule(dirs: &Dirs, from: &str, to: &str) -> CommandResult<()> {
    vsl_core::fs::create_dir_all(&dirs.config)?;
    edit::add_glossary_rule(&dirs.glossary_file(), from, to)
        .map_err(|message| CommandError::new(ErrorKind::InvalidGlossary, message))
}
