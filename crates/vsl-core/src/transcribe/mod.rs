//! The Whisper engine: a model loaded once and reused by every job.
//!
//! [`Engine::load`] reads a ggml file into whisper.cpp; [`Engine::transcribe`] runs one
//! job on 16 kHz mono PCM and returns a [`Transcript`] with segment and word timings.
//! [`Engine::session`] takes the PCM block by block as it is decoded; a file longer than
//! [`ONE_CALL_SECONDS`] goes to whisper.cpp in windows of [`CHUNK_SECONDS`], so an hour
//! costs the memory of five minutes.
//! Cancellation goes through whisper.cpp's abort callback, polled between compute steps.

pub mod device;
mod energy;
mod guard;
mod host;
pub mod metrics;

pub use device::{ComputeDevice, DeviceChoice, DeviceKind};
pub use guard::Flag;
pub use host::ModelHost;

use crate::error::ErrorKind;
use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Serialize};
use whisper_rs::{
    DtwMode, DtwModelPreset, DtwParameters, FullParams, SamplingStrategy, WhisperContext,
    WhisperContextParameters,
};

use crate::media::SAMPLE_RATE;
use crate::models::ggml::{self, HParams};

/// A word with its time span (seconds) and the model's confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    pub start: f64,
    pub end: f64,
    pub probability: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
    pub words: Vec<Word>,
}

/// The transcription of one media file (format documented in `docs/formats.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub language: String,
    pub duration: f64,
    pub model: String,
    pub segments: Vec<Segment>,
    /// What the hallucination guard removed or changed (absent when nothing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Flag>,
}

impl Transcript {
    /// The transcript with every time moved `by` seconds later (for an export that starts
    /// with an intro card).
    pub fn shifted(&self, by: f64) -> Transcript {
        let mut transcript = self.clone();
        for segment in &mut transcript.segments {
            segment.start += by;
            segment.end += by;
            for word in &mut segment.words {
                word.start += by;
                word.end += by;
            }
        }
        transcript.duration += by;
        transcript
    }

    /// All words in order.
    pub fn words(&self) -> impl Iterator<Item = &Word> {
        self.segments
            .iter()
            .flat_map(|segment| segment.words.iter())
    }

    /// The segment texts joined by spaces.
    pub fn text(&self) -> String {
        self.segments
            .iter()
            .map(|segment| segment.text.trim())
            .filter(|text| !text.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TranscribeError {
    #[error(transparent)]
    Model(#[from] crate::models::ModelError),
    #[error("whisper.cpp could not load {}: {reason}", path.display())]
    Load { path: PathBuf, reason: String },
    #[error("transcription failed: {0}")]
    Whisper(String),
    #[error("language '{0}' is not one Whisper knows")]
    Language(String),
    #[error("the model {model} is English-only and cannot transcribe '{language}'")]
    EnglishOnly { model: String, language: String },
    #[error(transparent)]
    Device(#[from] device::NoSuchDevice),
    #[error("cancelled")]
    Cancelled,
}

impl TranscribeError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            TranscribeError::Model(error) => error.kind(),
            TranscribeError::Load { .. } => ErrorKind::ModelLoad,
            TranscribeError::Whisper(_) => ErrorKind::Transcription,
            TranscribeError::Language(_) | TranscribeError::EnglishOnly { .. } => {
                ErrorKind::Language
            }
            TranscribeError::Device(_) => ErrorKind::InvalidSettings,
            TranscribeError::Cancelled => ErrorKind::Cancelled,
        }
    }
}

/// Per-job settings.
#[derive(Debug, Clone)]
pub struct TranscribeOptions {
    /// `None` or `"auto"` detects the language; otherwise an ISO code such as `en` or `pt`.
    pub language: Option<String>,
    /// Custom vocabulary (brand names, glossary terms) to bias the decoder.
    pub prompt: Option<String>,
    pub threads: usize,
}

impl Default for TranscribeOptions {
    fn default() -> Self {
        Self {
            language: None,
            prompt: None,
            threads: default_threads(),
        }
    }
}

/// Threads for whisper.cpp, chosen by measurement (docs/BENCHMARKS.md, "Threads"):
/// whisper.cpp's thread pool spin-waits at every barrier, so when another process holds
/// a core, a thread per core collapses (3–8× slower runs were measured on 2 cores) while
/// one thread fewer keeps its pace. So: one thread per core that is not already busy
/// (by the 1-minute load average), at least 1, at most 8.
pub fn default_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    threads_for(cores, busy_cores())
}

fn threads_for(cores: usize, busy: f64) -> usize {
    let busy = busy.max(0.0).round() as usize;
    cores.saturating_sub(busy).clamp(1, 8)
}

/// Cores kept busy by other processes, from `/proc/loadavg` (0 where unavailable).
fn busy_cores() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// A loaded model. Create it once and share it (`&Engine` is `Sync`); each call to
/// [`Engine::transcribe`] gets its own whisper.cpp state.
pub struct Engine {
    context: WhisperContext,
    /// Where `context` computes.
    device: ComputeDevice,
    /// The same model on the CPU, loaded when the GPU fails mid-job; from then on every
    /// window uses it.
    cpu_fallback: OnceLock<WhisperContext>,
    /// Why this engine is on the CPU when a GPU was asked for (None while it is not).
    notice: Mutex<Option<String>>,
    path: PathBuf,
    name: String,
    hparams: HParams,
    /// Seconds by which this model's DTW times run late (see [`dtw_lag`]).
    dtw_lag: f64,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn install_log_hooks() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // Routes whisper.cpp's stderr chatter into the (silent by default) `log` facade.
    ONCE.call_once(whisper_rs::install_logging_hooks);
}

/// glibc's malloc raises its mmap threshold to the size of each large block freed (up to
/// 32 MB). After the first window, whisper.cpp's per-window buffers (the padded copy of the
/// samples, the mel spectrogram: 10 to 20 MB each) then come from the heap arena of the
/// thread that asks, and once freed they stay there: RSS rose 17 to 33 MB a window, and an
/// hour with base went past 620 MB. With the threshold fixed at 1 MB they are mapped
/// and unmapped, and RSS stays flat (docs/BENCHMARKS.md, "Memory").
fn return_freed_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: mallopt only sets an allocator parameter; it is called before any window.
        ONCE.call_once(|| unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        });
    }
}

/// whisper.cpp's context settings: DTW word timing for the models that have alignment heads,
/// on GPU `gpu` (whisper.cpp's index among GPUs) or the CPU.
fn context_parameters(hparams: &HParams, gpu: Option<usize>) -> WhisperContextParameters<'static> {
    let mut parameters = WhisperContextParameters::default();
    parameters.use_gpu(gpu.is_some());
    parameters.gpu_device(gpu.and_then(|index| i32::try_from(index).ok()).unwrap_or(0));
    // Flash attention stays off: it disables DTW and measured slower here
    // (docs/BENCHMARKS.md, "Transcription").
    if let Some(preset) = dtw_preset(hparams) {
        parameters.dtw_parameters(DtwParameters {
            mode: DtwMode::ModelPreset {
                model_preset: preset,
            },
            ..DtwParameters::default()
        });
    }
    parameters
}

impl Engine {
    /// Loads a ggml model after validating it, so a truncated or foreign file fails with
    /// a message naming it instead of a crash inside whisper.cpp. Runs on the first GPU
    /// there is, else the CPU ([`Engine::load_on`] chooses).
    pub fn load(path: &Path) -> Result<Engine, TranscribeError> {
        Engine::load_on(path, &DeviceChoice::Auto)
    }

    /// Loads the model on the device `choice` names. A GPU that does not start, or that
    /// cannot hold the model, leaves the engine on the CPU with a [`Engine::notice`]; a GPU
    /// named but absent is refused.
    pub fn load_on(path: &Path, choice: &DeviceChoice) -> Result<Engine, TranscribeError> {
        install_log_hooks();
        return_freed_buffers();
        let info = ggml::validate(path)?;
        let mut notice = None;
        let gpu = match device::resolve(choice)? {
            Some((index, gpu)) => match device::probe(&gpu) {
                Ok(()) => Some((index, gpu)),
                Err(reason) => {
                    notice = Some(format!(
                        "{} could not start ({reason}); transcribing on the CPU",
                        gpu.label()
                    ));
                    None
                }
            },
            None => None,
        };
        let open = |gpu: Option<usize>| {
            WhisperContext::new_with_params(path, context_parameters(&info.hparams, gpu)).map_err(
                |error| TranscribeError::Load {
                    path: path.to_path_buf(),
                    reason: error.to_string(),
                },
            )
        };
        let (context, device) = match gpu {
            Some((index, gpu)) => match open(Some(index)) {
                Ok(context) => (context, gpu),
                Err(error) => {
                    notice = Some(format!(
                        "{} could not load the model ({error}); transcribing on the CPU",
                        gpu.label()
                    ));
                    (open(None)?, device::cpu())
                }
            },
            None => (open(None)?, device::cpu()),
        };
        if let Some(notice) = &notice {
            tracing::warn!("{}: {notice}", path.display());
        }
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .map(|name| {
                let name = name.strip_suffix(".bin").unwrap_or(name);
                name.strip_prefix("ggml-").unwrap_or(name).to_owned()
            })
            .unwrap_or_default();
        Ok(Engine {
            context,
            device,
            cpu_fallback: OnceLock::new(),
            notice: Mutex::new(notice),
            path: path.to_path_buf(),
            name,
            dtw_lag: dtw_lag(&info.hparams),
            hparams: info.hparams,
        })
    }

    /// The device the engine computes on now: its GPU, or the CPU (from the start, or
    /// since the GPU failed).
    pub fn device(&self) -> ComputeDevice {
        if self.cpu_fallback.get().is_some() {
            device::cpu()
        } else {
            self.device.clone()
        }
    }

    /// Why the engine is on the CPU although a GPU was there, if it is.
    pub fn notice(&self) -> Option<String> {
        self.notice
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The context windows run on: the GPU's until it failed, then the CPU's.
    fn context(&self) -> &WhisperContext {
        self.cpu_fallback.get().unwrap_or(&self.context)
    }

    /// Whether a failure of whisper.cpp can still be retried on the CPU.
    fn can_fall_back(&self) -> bool {
        self.device.is_gpu() && self.cpu_fallback.get().is_none()
    }

    /// Loads the model on the CPU after the GPU failed with `reason`, once per engine.
    fn fall_back(&self, reason: &str) -> Result<(), TranscribeError> {
        if self.cpu_fallback.get().is_none() {
            let context = WhisperContext::new_with_params(
                &self.path,
                context_parameters(&self.hparams, None),
            )
            .map_err(|error| TranscribeError::Load {
                path: self.path.clone(),
                reason: error.to_string(),
            })?;
            let _ = self.cpu_fallback.set(context);
        }
        let notice = format!(
            "{} failed ({reason}); transcribing on the CPU",
            self.device.label()
        );
        tracing::warn!("{}: {notice}", self.path.display());
        *self
            .notice
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(notice);
        Ok(())
    }

    /// A whisper.cpp state for one window. The GPU's compute buffers are allocated here,
    /// so a GPU out of memory falls back to the CPU here too.
    fn new_state(&self) -> Result<whisper_rs::WhisperState, TranscribeError> {
        match self.context().create_state() {
            Ok(state) => Ok(state),
            Err(error) if self.can_fall_back() => {
                self.fall_back(&error.to_string())?;
                self.context()
                    .create_state()
                    .map_err(|error| TranscribeError::Whisper(error.to_string()))
            }
            Err(error) => Err(TranscribeError::Whisper(error.to_string())),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn multilingual(&self) -> bool {
        self.hparams.multilingual()
    }

    /// Transcribes `pcm` (16 kHz mono). `progress` receives whole percents; setting
    /// `cancel` stops the job within one compute step and returns `Cancelled`.
    pub fn transcribe(
        &self,
        pcm: &[f32],
        options: &TranscribeOptions,
        progress: &mut dyn FnMut(u8),
        cancel: &crate::jobs::CancelToken,
    ) -> Result<Transcript, TranscribeError> {
        let mut session = self.session(options, Some(pcm.len() as f64 / f64::from(SAMPLE_RATE)))?;
        session.push(pcm, progress, cancel)?;
        session.finish(progress, cancel)
    }

    /// A transcription fed block by block ([`Transcription::push`]), for audio that is
    /// decoded as it goes. `expected` (seconds) spreads progress over the whole file.
    pub fn session(
        &self,
        options: &TranscribeOptions,
        expected: Option<f64>,
    ) -> Result<Transcription<'_>, TranscribeError> {
        let language = match options.language.as_deref().map(str::trim) {
            None | Some("") | Some("auto") => None,
            Some(code) => {
                let code = code.to_lowercase();
                if whisper_rs::get_lang_id(&code).is_none() {
                    return Err(TranscribeError::Language(code));
                }
                if !self.multilingual() && code != "en" {
                    return Err(TranscribeError::EnglishOnly {
                        model: self.name.clone(),
                        language: code,
                    });
                }
                Some(code)
            }
        };
        // English-only models cannot detect; they always speak English.
        let language = match language {
            None if !self.multilingual() => Some("en".to_owned()),
            other => other,
        };
        let state = self.new_state()?;
        Ok(Transcription {
            engine: self,
            state: Some(state),
            options: options.clone(),
            language,
            // A file that fits is one call, as whisper.cpp alone would see it; windows
            // only where that would cost more memory (an unknown length is windowed).
            chunk: match expected {
                Some(seconds) if seconds <= ONE_CALL_SECONDS => usize::MAX,
                _ => (CHUNK_SECONDS * f64::from(SAMPLE_RATE)) as usize,
            },
            expected: expected.filter(|seconds| *seconds > 0.0),
            pending: Vec::new(),
            offset: 0,
            levels: Vec::new(),
            heard: Vec::new(),
        })
    }
}

/// Audio handed to whisper.cpp at once for a file longer than [`ONE_CALL_SECONDS`]. It keeps
/// a mel spectrogram and, while making it, a padded copy of the samples for all it is given
/// (about 100 KB per second beside the 64 KB of the samples), so an hour-long voice-over is
/// transcribed in windows of this length, cut in the quietest stretch near their end, and
/// memory stays that of one window (docs/BENCHMARKS.md, "Memory").
pub const CHUNK_SECONDS: f64 = 300.0;
/// The longest audio given to whisper.cpp in one call: its cost over one window's (160 KB a
/// second for PCM, padded copy and spectrogram) is then at most about 240 MB. Windows change
/// tiny.en's words a little (the 20-minute read's test hears 94 % in windows, 97 % whole),
/// so they are kept for files that need them.
pub const ONE_CALL_SECONDS: f64 = 25.0 * 60.0;
/// How far before a window's end its cut may move, looking for a pause.
const CUT_SEARCH_SECONDS: f64 = 20.0;
/// The shortest audio left for a last window: a file up to `CHUNK_SECONDS` + this is one
/// window, as whisper.cpp alone would see it.
const MIN_LAST_SECONDS: f64 = 60.0;
/// The stretch whose mean level picks the cut: a pause, not a gap between two syllables.
const CUT_STRETCH_SECONDS: f64 = 0.3;
/// One transcription in progress: whisper.cpp's state, the audio not yet transcribed, and
/// what the windows so far heard (times already on the file's clock). Words are placed
/// only at [`Transcription::finish`], when the whole file's energy envelope is known.
pub struct Transcription<'e> {
    engine: &'e Engine,
    /// whisper.cpp's state for the window being decoded (made in `session`, so a state that
    /// cannot be made fails the job before any decoding).
    state: Option<whisper_rs::WhisperState>,
    options: TranscribeOptions,
    /// The language to decode in: given, English-only, or detected in the first window.
    language: Option<String>,
    /// Window length in samples.
    chunk: usize,
    expected: Option<f64>,
    /// Samples from `offset` on, not yet transcribed.
    pending: Vec<f32>,
    /// Where `pending` starts, in samples: always a whole number of envelope frames.
    offset: usize,
    /// Energy of every frame before `offset`.
    levels: Vec<f32>,
    heard: Vec<HeardSegment>,
}

/// A whisper.cpp segment with its tokens, on the file's clock, before words are formed.
struct HeardSegment {
    start: f64,
    end: f64,
    text: String,
    tokens: Vec<HeardToken>,
    no_speech_probability: f32,
}

struct HeardToken {
    bytes: Vec<u8>,
    t0: f64,
    t1: f64,
    dtw: Option<f64>,
    probability: f32,
}

impl Transcription<'_> {
    /// Windows of `seconds` instead of [`CHUNK_SECONDS`] (tests cut short files).
    pub fn with_chunk_seconds(mut self, seconds: f64) -> Self {
        self.chunk = ((seconds.max(CUT_SEARCH_SECONDS * 2.0)) * f64::from(SAMPLE_RATE)) as usize;
        self
    }

    /// Takes the next samples; transcribes a window whenever enough are waiting.
    pub fn push(
        &mut self,
        samples: &[f32],
        progress: &mut dyn FnMut(u8),
        cancel: &crate::jobs::CancelToken,
    ) -> Result<(), TranscribeError> {
        self.pending.extend_from_slice(samples);
        let last = (MIN_LAST_SECONDS * f64::from(SAMPLE_RATE)) as usize;
        while self.pending.len() >= self.chunk.saturating_add(last) {
            let cut = self.cut_point();
            // Transcribed in place, not copied out: a window is 19 MB.
            let mut pending = std::mem::take(&mut self.pending);
            let result = self.transcribe_window(&pending[..cut], progress, cancel);
            pending.drain(..cut);
            self.pending = pending;
            result?;
        }
        Ok(())
    }

    /// Transcribes what is left and places every word.
    pub fn finish(
        mut self,
        progress: &mut dyn FnMut(u8),
        cancel: &crate::jobs::CancelToken,
    ) -> Result<Transcript, TranscribeError> {
        let window = std::mem::take(&mut self.pending);
        if !window.is_empty() || self.offset == 0 {
            self.transcribe_window(&window, progress, cancel)?;
        }
        progress(100);
        let duration = self.offset as f64 / f64::from(SAMPLE_RATE);
        let envelope = energy::Envelope::from_levels(std::mem::take(&mut self.levels));
        let raw = self.engine.place_words(self.heard, duration, &envelope);
        let (segments, flags) = guard::apply(raw, &envelope);
        Ok(Transcript {
            language: self.language.unwrap_or_else(|| "en".to_owned()),
            duration,
            model: self.engine.name.clone(),
            segments,
            flags,
        })
    }

    /// Where to end the next window: the middle of the quietest stretch in the last
    /// `CUT_SEARCH_SECONDS` before `chunk`, on an envelope frame, so no word is split.
    fn cut_point(&self) -> usize {
        let frame = energy::FRAME_SAMPLES;
        let search = (CUT_SEARCH_SECONDS * f64::from(SAMPLE_RATE)) as usize;
        let from = (self.chunk - search) / frame * frame;
        let to = self.chunk / frame * frame;
        let levels = energy::levels(&self.pending[from..to]);
        let stretch = ((CUT_STRETCH_SECONDS * energy::FRAME_RATE as f64) as usize).max(1);
        let quietest = levels
            .windows(stretch)
            .enumerate()
            .map(|(index, run)| (index, run.iter().sum::<f32>()))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(levels.len(), |(index, _)| index + stretch / 2);
        from + quietest * frame
    }

    fn transcribe_window(
        &mut self,
        window: &[f32],
        progress: &mut dyn FnMut(u8),
        cancel: &crate::jobs::CancelToken,
    ) -> Result<(), TranscribeError> {
        // whisper.cpp's abort callback polls the flag itself, through a raw pointer.
        let cancel: &AtomicBool = cancel;
        if cancel.load(Ordering::Relaxed) {
            return Err(TranscribeError::Cancelled);
        }
        let start = self.offset as f64 / f64::from(SAMPLE_RATE);
        let length = window.len() as f64 / f64::from(SAMPLE_RATE);
        let language = self.language.clone().unwrap_or_else(|| "auto".to_owned());
        // Each window is decoded as a file of its own, with the job's prompt alone. Prompted
        // with the end of the text before it (as whisper.cpp carries text between its own
        // 30 s windows), tiny.en kept and spread a misheard number's spelling ("Part A D 1")
        // and lost more of a 20-minute read (docs/BENCHMARKS.md, "Memory").
        let prompt = self
            .options
            .prompt
            .as_deref()
            .map(str::trim)
            .unwrap_or_default();
        let threads = i32::try_from(self.options.threads.max(1)).unwrap_or(1);
        // Built afresh for each attempt: `full` takes them, and a window the GPU failed
        // is run again on the CPU.
        let parameters = |sender: std::sync::mpsc::Sender<i32>| {
            let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
            params.set_n_threads(threads);
            params.set_language(Some(&language));
            params.set_token_timestamps(true);
            params.set_print_progress(false);
            params.set_print_realtime(false);
            params.set_print_special(false);
            params.set_print_timestamps(false);
            params.set_suppress_blank(true);
            // Non-speech tokens are how "[Music]" and "♪" get in; the guard catches the rest.
            params.set_suppress_nst(true);
            if !prompt.is_empty() {
                params.set_initial_prompt(prompt);
            }
            // SAFETY: the pointer is only dereferenced by `should_abort` during `state.full`,
            // and `cancel` outlives every call.
            unsafe {
                params.set_abort_callback(Some(should_abort));
                params.set_abort_callback_user_data(cancel as *const AtomicBool as *mut c_void);
            }
            params.set_progress_callback_safe(move |percent: i32| {
                let _ = sender.send(percent);
            });
            params
        };

        // The callback reads the flag through a raw pointer; `cancel` outlives `full()`.
        unsafe extern "C" fn should_abort(user_data: *mut c_void) -> bool {
            // SAFETY: user_data is the `&AtomicBool` passed above, alive for the whole call.
            let flag = unsafe { &*(user_data as *const AtomicBool) };
            flag.load(Ordering::Relaxed)
        }
        // The window's percent, spread over the file.
        let total = self.expected.unwrap_or(0.0).max(start + length);
        let overall = |percent: i32| -> u8 {
            let done = start + length * f64::from(percent.clamp(0, 100)) / 100.0;
            ((done / total.max(f64::EPSILON)) * 100.0).clamp(0.0, 99.0) as u8
        };

        // A fresh state for each window after the first: one whisper.cpp state reused for a
        // second call decoded that window as 30 s segments of a repeated phrase, which the
        // same audio and prompt in a fresh state did not.
        // The old state goes first: base's compute buffers are 150 MB.
        if self.offset > 0 {
            self.state = None;
        }
        loop {
            let state = match &mut self.state {
                Some(state) => state,
                empty => empty.insert(self.engine.new_state()?),
            };
            let (sender, receiver) = std::sync::mpsc::channel::<i32>();
            let params = parameters(sender);
            let simulated = self
                .engine
                .can_fall_back()
                .then(|| device::simulated_failure("compute"))
                .flatten();
            // whisper.cpp calls progress from this thread; relay it after each step.
            let result = match simulated {
                Some(reason) => Ok(Err(reason)),
                None => std::thread::scope(|scope| {
                    let worker = scope.spawn(|| {
                        state
                            .full(params, window)
                            .map_err(|error| error.to_string())
                    });
                    while !worker.is_finished() {
                        if let Ok(percent) =
                            receiver.recv_timeout(std::time::Duration::from_millis(100))
                        {
                            progress(overall(percent));
                        }
                    }
                    worker.join()
                }),
            };
            match result {
                Ok(Ok(_)) => break,
                Ok(Err(_)) if cancel.load(Ordering::Relaxed) => {
                    return Err(TranscribeError::Cancelled)
                }
                // The GPU ran out of memory or its driver failed: this window again, and
                // every later one, on the CPU.
                Ok(Err(error)) if self.engine.can_fall_back() => {
                    self.state = None;
                    self.engine.fall_back(&error)?;
                }
                Ok(Err(error)) => return Err(TranscribeError::Whisper(error)),
                Err(_) => return Err(TranscribeError::Whisper("whisper.cpp panicked".to_owned())),
            }
        }
        let Some(state) = self.state.as_ref() else {
            return Err(TranscribeError::Whisper("no whisper.cpp state".to_owned()));
        };
        if cancel.load(Ordering::Relaxed) {
            return Err(TranscribeError::Cancelled);
        }
        progress(overall(100));

        if self.language.is_none() {
            self.language = Some(
                whisper_rs::get_lang_str(state.full_lang_id_from_state())
                    .unwrap_or("en")
                    .to_owned(),
            );
        }
        let heard = self.engine.heard_segments(state, start, length);
        self.heard.extend(heard);
        self.levels.extend(energy::levels(window));
        self.offset += window.len();
        Ok(())
    }
}

impl Engine {
    /// What whisper.cpp heard in the window that starts at `start` seconds and lasts
    /// `length`: its segments and tokens, on the file's clock.
    fn heard_segments(
        &self,
        state: &whisper_rs::WhisperState,
        start: f64,
        length: f64,
    ) -> Vec<HeardSegment> {
        let eot = self.context().token_eot();
        let seconds = |centiseconds: i64| start + (centiseconds as f64 / 100.0).clamp(0.0, length);
        let mut heard = Vec::new();
        for segment in state.as_iter() {
            let mut tokens = Vec::new();
            for index in 0..segment.n_tokens() {
                let Some(token) = segment.get_token(index) else {
                    continue;
                };
                if token.token_id() >= eot {
                    continue;
                }
                let data = token.token_data();
                tokens.push(HeardToken {
                    bytes: token.to_bytes().unwrap_or_default().to_vec(),
                    t0: seconds(data.t0),
                    t1: seconds(data.t1),
                    dtw: (data.t_dtw >= 0).then(|| {
                        (start + data.t_dtw as f64 / 100.0 - self.dtw_lag)
                            .clamp(0.0, start + length)
                    }),
                    probability: data.p,
                });
            }
            heard.push(HeardSegment {
                start: seconds(segment.start_timestamp()),
                end: seconds(segment.end_timestamp()),
                text: segment
                    .to_str_lossy()
                    .map(|text| text.trim().to_owned())
                    .unwrap_or_default(),
                tokens,
                no_speech_probability: segment.no_speech_probability(),
            });
        }
        heard
    }

    /// Forms words from the heard tokens and places them on the audio's onsets and pauses.
    fn place_words(
        &self,
        heard: Vec<HeardSegment>,
        duration: f64,
        envelope: &energy::Envelope,
    ) -> Vec<guard::RawSegment> {
        let mut segments = Vec::new();
        let mut previous_end = 0.0;
        // A pause is expected after punctuation; the file's first word follows silence.
        let mut previous_punctuated = true;
        for segment in heard {
            let mut words: Vec<WordBuilder> = Vec::new();
            for token in &segment.tokens {
                let bytes = token.bytes.as_slice();
                let is_punctuation =
                    !bytes.is_empty() && bytes.iter().all(|b| b.is_ascii_punctuation());
                // A word starts at a token with a leading space; punctuation joins the word before.
                let starts_word =
                    words.is_empty() || (!is_punctuation && bytes.first() == Some(&b' '));
                if starts_word {
                    words.push(WordBuilder::default());
                }
                if let Some(word) = words.last_mut() {
                    word.push(
                        bytes,
                        is_punctuation,
                        token.t0.min(duration),
                        token.t1.min(duration),
                        token.dtw.map(|dtw| dtw.min(duration)),
                        token.probability,
                    );
                }
            }
            let mut placed: Vec<Word> = Vec::new();
            let mut earlier_onset = None;
            for word in words {
                let Some(word) = word.finish(previous_end, previous_punctuated, envelope, duration)
                else {
                    continue;
                };
                // A word whose DTW span is empty (its end is the previous word's): DTW put
                // the previous word's end late, over this one. The sound between the pauses
                // before the previous word is then these words, not speech Whisper left out,
                // so the previous word starts at the first onset.
                let collapsed = word.word.end - word.word.start < COLLAPSED
                    && word.word.start <= previous_end + COLLAPSED;
                if let (true, Some(onset), Some(last)) =
                    (collapsed, earlier_onset, placed.last_mut())
                {
                    last.start = onset;
                }
                earlier_onset = word.first_onset;
                previous_end = word.end_bound;
                previous_punctuated = word.word.text.ends_with([',', '.', ';', ':', '!', '?']);
                placed.push(word.word);
            }
            let words = placed;
            if segment.text.is_empty() && words.is_empty() {
                continue;
            }
            // Whisper's segment bounds are 10 ms guesses; widen them to cover their words.
            let (bound_start, bound_end) = (segment.start.min(duration), segment.end.min(duration));
            let start = words
                .first()
                .map_or(bound_start, |w| w.start.min(bound_start));
            let end = words.last().map_or(bound_end, |w| w.end.max(bound_end));
            segments.push(guard::RawSegment {
                segment: Segment {
                    start,
                    end,
                    text: segment.text,
                    words,
                },
                no_speech_probability: segment.no_speech_probability,
            });
        }
        segments
    }
}

/// Shortest silence that counts as a pause between words.
const MIN_PAUSE: f64 = 0.15;
/// Least speech before a pause, inside a word's DTW span, that is taken as the word itself
/// (its DTW end ran late, past the pause, into the next word).
const MIN_WORD_BEFORE_PAUSE: f64 = 0.12;
/// Least sound between an onset and the DTW end for the word to start at that onset.
const MIN_WORD_AFTER_ONSET: f64 = 0.05;
/// A word placed in less than this, at the previous word's end, has no DTW span of its own.
const COLLAPSED: f64 = 0.02;

#[cfg(test)]
mod tests {
    use super::threads_for;

    #[test]
    fn thread_policy_leaves_busy_cores_alone() {
        assert_eq!(threads_for(2, 0.1), 2);
        assert_eq!(threads_for(2, 0.8), 1);
        assert_eq!(threads_for(2, 3.0), 1);
        assert_eq!(threads_for(16, 0.0), 8);
        assert_eq!(threads_for(8, 2.2), 6);
    }
}

#[derive(Default)]
struct WordBuilder {
    bytes: Vec<u8>,
    first_t0: Option<f64>,
    last_t1: f64,
    /// DTW time of the last non-punctuation token: where the spoken word ends.
    dtw_end: Option<f64>,
    probabilities: Vec<f32>,
}

struct FinishedWord {
    word: Word,
    /// The lower bound for the next word's start (the aligned end, before trimming).
    end_bound: f64,
    /// The onset after the first pause in the word's span, when the word was put at a later
    /// one (after several pauses): where it starts if the words after it prove to have been
    /// said in that sound (`place_words`).
    first_onset: Option<f64>,
}

impl WordBuilder {
    fn push(
        &mut self,
        bytes: &[u8],
        punctuation: bool,
        t0: f64,
        t1: f64,
        dtw: Option<f64>,
        probability: f32,
    ) {
        self.bytes.extend_from_slice(bytes);
        self.first_t0.get_or_insert(t0);
        self.last_t1 = self.last_t1.max(t1);
        if !punctuation {
            if let Some(dtw) = dtw {
                self.dtw_end = Some(dtw);
            }
        }
        self.probabilities.push(probability);
    }

    /// Places the word on the timeline: DTW (or token) timing for its end, the previous
    /// word's end for its start, both snapped to real onsets and silences in the audio.
    ///
    /// A pause inside the span from the previous word's end to this word's DTW end belongs
    /// to one of the two boundaries. Usually it is the one before this word (the previous
    /// word's DTW end came early), so the word starts at the onset after it. But when the
    /// sound before the pause is long enough to be a word, is longer than the sound after
    /// it, and the previous word has no punctuation (which is where speakers pause), the
    /// DTW end ran late instead: the word is the sound before the pause, and the next word
    /// starts at the onset after it.
    fn finish(
        self,
        previous_end: f64,
        previous_punctuated: bool,
        envelope: &energy::Envelope,
        duration: f64,
    ) -> Option<FinishedWord> {
        // Tokens can split a multi-byte character, so decode the whole word at once.
        let text = String::from_utf8_lossy(&self.bytes).trim().to_owned();
        if text.is_empty() {
            return None;
        }
        let raw_end = self
            .dtw_end
            .unwrap_or(self.last_t1)
            .clamp(previous_end, duration);
        let lower = if self.dtw_end.is_some() {
            previous_end
        } else {
            self.first_t0
                .unwrap_or(previous_end)
                .clamp(previous_end, raw_end)
        };
        let pauses = envelope.pauses(lower, raw_end, MIN_PAUSE);
        if let (Some(first), Some(last)) = (pauses.first(), pauses.last()) {
            let before = first.0 - lower;
            if !previous_punctuated
                && first.0 > lower
                && before >= MIN_WORD_BEFORE_PAUSE
                && before > raw_end - last.1
            {
                return Some(FinishedWord {
                    word: Word {
                        text,
                        start: lower,
                        end: first.0,
                        probability: min_probability(&self.probabilities),
                    },
                    end_bound: first.1,
                    first_onset: None,
                });
            }
        }
        // After several pauses, the word is the sound before its DTW end: the onset after
        // the last pause that leaves it some sound (the sound between the pauses is speech
        // Whisper did not transcribe). Else the onset after the first pause, if any.
        let first_onset = envelope.onset_after_pause(previous_end, raw_end, MIN_PAUSE);
        let start = pauses
            .iter()
            .rev()
            .find(|pause| pause.1 < raw_end - MIN_WORD_AFTER_ONSET)
            .map(|pause| pause.1)
            .or(first_onset)
            .unwrap_or(lower)
            .max(lower.min(raw_end));
        let start = start.min(raw_end);
        let end = envelope
            .speech_end_before(start, raw_end, MIN_PAUSE)
            .filter(|&end| end > start)
            .unwrap_or(raw_end);
        Some(FinishedWord {
            word: Word {
                text,
                start,
                end,
                probability: min_probability(&self.probabilities),
            },
            end_bound: raw_end,
            first_onset: first_onset
                .map(|onset| onset.max(lower.min(raw_end)))
                .filter(|&onset| onset < start),
        })
    }
}

/// A word is as sure as its least sure token.
fn min_probability(probabilities: &[f32]) -> f32 {
    let probability = probabilities.iter().copied().fold(f32::INFINITY, f32::min);
    if probability.is_finite() {
        probability
    } else {
        0.0
    }
}

/// How late a model's DTW times run, measured against a forced alignment (pocketsphinx) of
/// jfk.wav and checked on held-out LibriVox speech (docs/BENCHMARKS.md, "Word timing"):
/// tiny.en's alignment heads put every boundary about 0.1 s late (faster-whisper's too);
/// base's are on time. Models not measured here get no correction.
fn dtw_lag(hparams: &HParams) -> f64 {
    match (hparams.size_name(), hparams.multilingual()) {
        ("tiny", false) => 0.10,
        _ => 0.0,
    }
}

/// whisper.cpp's alignment-head presets, matched on the model's dimensions.
fn dtw_preset(hparams: &HParams) -> Option<DtwModelPreset> {
    let english = !hparams.multilingual();
    Some(match (hparams.size_name(), english) {
        ("tiny", true) => DtwModelPreset::TinyEn,
        ("tiny", false) => DtwModelPreset::Tiny,
        ("base", true) => DtwModelPreset::BaseEn,
        ("base", false) => DtwModelPreset::Base,
        ("small", true) => DtwModelPreset::SmallEn,
        ("small", false) => DtwModelPreset::Small,
        ("medium", true) => DtwModelPreset::MediumEn,
        ("medium", false) => DtwModelPreset::Medium,
        ("large-v3-turbo", _) => DtwModelPreset::LargeV3Turbo,
        _ => return None,
    })
}
