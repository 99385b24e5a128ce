//! The result view and the editor: open a finished job's deck, edit it (only the changed
//! slides are rendered again), undo and redo, export the MP4 and subtitles, and reveal
//! the export. The edits themselves are `vsl_core::edit`'s pure functions.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime};
use vsl_core::correct::{CorrectionReport, Glossary};
use vsl_core::edit;
use vsl_core::export::{export_mp4, write_subtitles, CueSource, ExportRequest, SubtitleFormat};
use vsl_core::render::{render_deck, RenderSize, Renderer, SlideCache, SlideStyle};
use vsl_core::slides::{Aspect, SlideDeck, SlidesConfig, DECK_FILE};

use crate::commands::jobs::{DeckView, Forwarder, JobEvent};
use crate::error::{CommandError, CommandResult};
use crate::state::{AppState, JobStatus};

/// The folder `run_file` renders a job's slides into (it names the outputs `slides`).
pub fn slides_dir(work_dir: &Path) -> PathBuf {
    vsl_core::pipeline::OutputPaths::new(work_dir, "slides").slides_dir
}

/// Reads `slides.json` from `dir`.
///
/// # Errors
///
/// Kind `io` naming the file, or `deck` when it does not parse.
pub fn read_deck(dir: &Path) -> CommandResult<SlideDeck> {
    let path = dir.join(DECK_FILE);
    let bytes = std::fs::read(&path)
        .map_err(|error| CommandError::new("io", format!("{}: {error}", path.display())))?;
    serde_json::from_slice(&bytes)
        .map_err(|error| CommandError::new("deck", format!("{}: {error}", path.display())))
}

/// The style a deck was rendered with, from what `slides.json` records.
fn style_of(deck: &SlideDeck) -> CommandResult<SlideStyle> {
    let to_error = |kind: &'static str, message: String| CommandError::new(kind, message);
    let config = SlidesConfig::load_default().map_err(|e| to_error(e.kind(), e.to_string()))?;
    let aspect = Aspect::parse(&deck.preset).map_err(|e| to_error(e.kind(), e.to_string()))?;
    let theme = config
        .theme(&deck.theme)
        .map_err(|e| to_error(e.kind(), e.to_string()))?;
    Ok(SlideStyle {
        theme,
        size: RenderSize::new(deck.width, deck.height),
        max_lines: config.preset(aspect).max_lines,
    })
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
            .ok_or_else(|| CommandError::new("not_found", format!("no job {id}")))
    })?;
    let dir = record.deck_dir();
    let deck = match loaded {
        Some(deck) => deck,
        None if record.status == JobStatus::Done => {
            let deck = read_deck(&dir)?;
            let style = style_of(&deck)?;
            state.with_jobs(|jobs| {
                if let Some(job) = jobs.get_mut(id) {
                    job.deck = Some((deck.clone(), style));
                }
            });
            deck
        }
        None => {
            return Err(CommandError::new(
                "not_ready",
                format!("{} has no slides yet", record.name),
            ))
        }
    };
    let scope = app.asset_protocol_scope();
    scope
        .allow_file(&record.input)
        .and_then(|()| scope.allow_directory(&dir, false))
        .map_err(|error| CommandError::new("scope", error.to_string()))?;
    let (can_undo, can_redo) = state.with_jobs(|jobs| {
        jobs.get(id).map_or((false, false), |job| {
            (!job.undo.is_empty(), !job.redo.is_empty())
        })
    });
    // The review list is a hint: a missing or unreadable report just marks nothing.
    let review = std::fs::read(dir.join("corrections.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<CorrectionReport>(&bytes).ok())
        .map(|report| report.review)
        .unwrap_or_default();
    Ok(DeckView {
        job_id: id.to_owned(),
        audio: record.input,
        slides_dir: dir,
        deck,
        review,
        can_undo,
        can_redo,
    })
}

/// Opens a finished job in the result view.
///
/// # Errors
///
/// See [`deck_view`].
#[tauri::command]
pub fn open_job<R: Runtime>(app: AppHandle<R>, id: String) -> CommandResult<DeckView> {
    deck_view(&app, &id)
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

/// Renders what changed in `deck` (the cache makes unchanged slides free) and saves it.
fn render_and_save(deck: &mut SlideDeck, style: &SlideStyle, dir: &Path) -> CommandResult<()> {
    render_deck(
        &Renderer::new(),
        deck,
        style,
        dir,
        &SlideCache::open_default(),
        &|_, _| {},
        &AtomicBool::new(false),
    )
    .map_err(|e| CommandError::new(e.kind(), e.to_string()))?;
    let path = dir.join(DECK_FILE);
    let json = serde_json::to_vec_pretty(deck)
        .map_err(|error| CommandError::new("deck", error.to_string()))?;
    std::fs::write(&path, json)
        .map_err(|error| CommandError::new("io", format!("{}: {error}", path.display())))
}

/// Replaces the job's deck with `next` after rendering it, keeping history as asked.
fn commit<R: Runtime>(
    app: &AppHandle<R>,
    id: &str,
    change: impl FnOnce(&mut crate::state::Job) -> CommandResult<SlideDeck>,
) -> CommandResult<DeckView> {
    // Loads a restored job's deck first.
    deck_view(app, id)?;
    let state = app.state::<AppState>();
    let (mut next, style, dir) = state.with_jobs(|jobs| {
        let job = jobs
            .get_mut(id)
            .ok_or_else(|| CommandError::new("not_found", format!("no job {id}")))?;
        let next = change(job)?;
        let style = job
            .deck
            .as_ref()
            .map(|(_, style)| style.clone())
            .ok_or_else(|| CommandError::new("not_ready", "no slides yet"))?;
        Ok::<_, CommandError>((next, style, job.record.deck_dir()))
    })?;
    render_and_save(&mut next, &style, &dir)?;
    state.with_jobs(|jobs| {
        if let Some((deck, _)) = jobs.get_mut(id).and_then(|job| job.deck.as_mut()) {
            *deck = next;
        }
    });
    deck_view(app, id)
}

/// A copy of the job's deck as it is now.
fn current_deck(job: &crate::state::Job) -> CommandResult<SlideDeck> {
    job.deck
        .as_ref()
        .map(|(deck, _)| deck.clone())
        .ok_or_else(|| CommandError::new("not_ready", "no slides yet"))
}

/// Applies one edit to a finished job's deck; only slides whose text or highlights changed
/// are drawn again.
///
/// # Errors
///
/// Kind `edit` when the edit does not fit the deck, `not_found`/`not_ready` for the job.
#[tauri::command]
pub async fn edit_slide<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    edit: SlideEdit,
) -> CommandResult<DeckView> {
    tauri::async_runtime::spawn_blocking(move || {
        commit(&app, &id, |job| {
            let current = current_deck(job)?;
            let mut next = current.clone();
            let applied = match &edit {
                SlideEdit::SetText { index, text } => edit::set_text(&mut next, *index, text),
                SlideEdit::MergeNext { index } => edit::merge_next(&mut next, *index),
                SlideEdit::Split { index, offset } => edit::split_at(&mut next, *index, *offset),
                SlideEdit::Nudge { index, delta } => {
                    edit::nudge_start(&mut next, *index, *delta).map(drop)
                }
                SlideEdit::ToggleHighlight { index, word } => {
                    edit::toggle_highlight(&mut next, *index, word).map(drop)
                }
            };
            applied.map_err(|e| CommandError::new(e.kind(), e.to_string()))?;
            job.undo.push(current);
            job.redo.clear();
            Ok(next)
        })
    })
    .await
    .map_err(CommandError::task)?
}

/// Undoes or redoes the last edit.
///
/// # Errors
///
/// Kind `history` when there is nothing to undo or redo.
#[tauri::command]
pub async fn step_history<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    step: HistoryStep,
) -> CommandResult<DeckView> {
    tauri::async_runtime::spawn_blocking(move || {
        commit(&app, &id, |job| {
            let current = current_deck(job)?;
            let (from, to) = match step {
                HistoryStep::Undo => (&mut job.undo, &mut job.redo),
                HistoryStep::Redo => (&mut job.redo, &mut job.undo),
            };
            let next = from
                .pop()
                .ok_or_else(|| CommandError::new("history", "nothing to undo or redo"))?;
            to.push(current);
            Ok(next)
        })
    })
    .await
    .map_err(CommandError::task)?
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportView {
    pub mp4: Option<PathBuf>,
    /// Seconds, as the written MP4 reports it.
    pub duration: Option<f64>,
    pub files: Vec<PathBuf>,
}

/// Checks an output folder the UI sent: absolute and an existing directory.
fn validate_folder(folder: &Path) -> CommandResult<PathBuf> {
    if !folder.is_absolute() || !folder.is_dir() {
        return Err(CommandError::new(
            "bad_folder",
            format!("{} is not a folder", folder.display()),
        ));
    }
    folder
        .canonicalize()
        .map_err(|error| CommandError::new("bad_folder", format!("{}: {error}", folder.display())))
}

/// Exports a finished job: `mp4`, `srt`, `vtt`, `txt` (any subset of `formats`) into
/// `folder`, named after the voice-over. Existing files are never replaced. Progress goes to
/// `on_progress` (stage `exporting`); `cancel_job` with the job's id stops it, and a
/// cancelled MP4 leaves no file behind.
///
/// # Errors
///
/// Kind `bad_folder`, `unsupported` for an unknown format, `cancelled`, or the export's own
/// kind.
#[tauri::command]
pub async fn export_deck<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    folder: PathBuf,
    formats: Vec<String>,
    on_progress: Channel<JobEvent>,
) -> CommandResult<ExportView> {
    let folder = validate_folder(&folder)?;
    let view = deck_view(&app, &id)?;
    // A fresh flag: the one the pipeline used may already be set by an earlier cancel.
    let cancel = std::sync::Arc::new(AtomicBool::new(false));
    app.state::<AppState>().with_jobs(|jobs| {
        if let Some(job) = jobs.get_mut(&id) {
            job.cancel = std::sync::Arc::clone(&cancel);
        }
    });
    tauri::async_runtime::spawn_blocking(move || {
        let forward = Forwarder::new(on_progress);
        forward.send(JobEvent::Stage { stage: "exporting" });
        let stem = vsl_core::pipeline::stem(&view.audio);
        let result = export_files(&app, &view, &folder, &stem, &formats, &forward, &cancel)?;
        forward.fraction(1.0);
        Ok(result)
    })
    .await
    .map_err(CommandError::task)?
}

/// Writes the deck in each of `formats` to `<folder>/<stem>.<format>`, never replacing a file.
fn export_files<R: Runtime>(
    app: &AppHandle<R>,
    view: &DeckView,
    folder: &Path,
    stem: &str,
    formats: &[String],
    forward: &Forwarder,
    cancel: &AtomicBool,
) -> CommandResult<ExportView> {
    let mut result = ExportView {
        mp4: None,
        duration: None,
        files: Vec::new(),
    };
    for format in formats {
        let subtitle = match format.as_str() {
            "mp4" => None,
            "srt" => Some(SubtitleFormat::Srt),
            "vtt" => Some(SubtitleFormat::Vtt),
            "txt" => Some(SubtitleFormat::Txt),
            other => {
                return Err(CommandError::new(
                    "unsupported",
                    format!("unknown export format {other}"),
                ))
            }
        };
        let target = folder.join(format!("{stem}.{format}"));
        let written = match subtitle {
            None => {
                let request =
                    ExportRequest::new(&view.deck, &view.slides_dir, &view.audio, &target);
                let outcome = export_mp4(
                    &request,
                    &mut |progress| forward.fraction(progress.fraction()),
                    cancel,
                )
                .map_err(|e| CommandError::new(e.kind(), e.to_string()))?;
                result.duration = Some(outcome.duration);
                result.mp4 = Some(outcome.path.clone());
                outcome.path
            }
            Some(format) => write_subtitles(&target, format, CueSource::Slides(&view.deck), false)
                .map_err(|e| CommandError::new(e.kind(), e.to_string()))?,
        };
        app.state::<AppState>().mark_exported(written.clone());
        result.files.push(written);
    }
    Ok(result)
}

/// Opens the file manager on an exported file. Only files this session exported can be
/// revealed, so the UI cannot use this to open arbitrary paths.
///
/// # Errors
///
/// Kind `forbidden` for other paths, `opener` when no file manager answers.
#[tauri::command]
pub fn show_in_folder<R: Runtime>(app: AppHandle<R>, path: PathBuf) -> CommandResult<()> {
    use tauri_plugin_opener::OpenerExt;
    if !app.state::<AppState>().was_exported(&path) {
        return Err(CommandError::new(
            "forbidden",
            format!("{} was not exported by VSL Studio", path.display()),
        ));
    }
    app.opener()
        .reveal_item_in_dir(&path)
        .map_err(|error| CommandError::new("opener", error.to_string()))
}

/// "Always replace `from` with `to`": adds the rule to the user's glossary, which every
/// later job applies.
///
/// # Errors
///
/// Kind `glossary` when the words are empty or the file cannot be written.
#[tauri::command]
pub async fn add_glossary_rule(from: String, to: String) -> CommandResult<()> {
    tauri::async_runtime::spawn_blocking(move || {
        edit::add_glossary_rule(&Glossary::global_path(), &from, &to)
            .map_err(|message| CommandError::new("glossary", message))
    })
    .await
    .map_err(CommandError::task)?
}
