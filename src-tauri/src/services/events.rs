//! What the services tell the UI: a job's [`JobEvent`]s (on the channel of the command that
//! started it, or app-wide for jobs no window started) and the [`DeckView`] of a finished job.
//!
//! [`Forwarder`] turns stage-local progress into overall progress with an ETA through
//! `vsl_core::jobs::Throttle`, so a fast stage cannot flood the webview (about 10 Hz).

use std::path::PathBuf;

use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, Runtime};
use vsl_core::jobs::Throttle;
use vsl_core::pipeline::{PipelineProgress, Stage};
use vsl_core::slides::SlideDeck;

use crate::error::CommandError;

/// The app-wide event names the UI listens to.
pub const JOB_ADDED_EVENT: &str = "job-added";
pub const JOB_EVENT: &str = "job-event";
pub const WATCH_EVENT: &str = "watch";

/// What a job's channel carries.
#[derive(Debug, Clone, Serialize)]
#[serde(
    tag = "event",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum JobEvent {
    /// A stage began: `queued`, `decoding`, `transcribing`, `correcting`, `rendering`,
    /// `exporting`.
    Stage {
        stage: &'static str,
    },
    /// Overall progress in `0..=1` and the estimated seconds left.
    Progress {
        fraction: f64,
        eta_seconds: Option<f64>,
    },
    /// Something the person should know that does not stop the job (low disk or memory).
    Warning {
        message: String,
    },
    Done {
        /// Boxed: a deck is far bigger than the other events.
        result: Box<DeckView>,
    },
    Failed {
        error: CommandError,
    },
    Cancelled,
}

/// A finished job as the result view needs it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeckView {
    pub job_id: String,
    /// The voice-over, played through the asset protocol.
    pub audio: PathBuf,
    /// The folder holding the slide PNGs named in `deck`.
    pub slides_dir: PathBuf,
    pub deck: SlideDeck,
    /// Words the model was unsure of, or that the voice said differently from the script
    /// or without one, for the editor to mark.
    pub review: Vec<vsl_core::correct::ReviewWord>,
    /// How the script lined up with the voice (`alignment.json`), when the slides follow one.
    pub alignment: Option<vsl_core::script::Alignment>,
    /// Whether the voice-over has a picture, so its export can put captions over it.
    pub has_video: bool,
    pub can_undo: bool,
    pub can_redo: bool,
}

/// A job event for the whole app: the `job-event` event carries `{ id, event }`.
#[derive(Debug, Clone, Serialize)]
pub struct AppJobEvent<'a> {
    pub id: &'a str,
    pub event: &'a JobEvent,
}

/// The UI's name for a pipeline stage, and where it sits in the overall bar.
fn stage_span(stage: Stage) -> (&'static str, f64, f64) {
    match stage {
        Stage::Decode => ("decoding", 0.0, 0.05),
        Stage::Transcribe => ("transcribing", 0.05, 0.8),
        Stage::Correct | Stage::Slides => ("correcting", 0.8, 0.82),
        Stage::Render => ("rendering", 0.82, 0.97),
        Stage::Export => ("exporting", 0.97, 1.0),
    }
}

type Sink = Box<dyn Fn(JobEvent) + Send + Sync>;

/// Sends a job's events, with progress throttled.
pub struct Forwarder {
    sink: Sink,
    throttle: Throttle,
}

impl Forwarder {
    /// Sends to the channel of the command that started the job.
    pub fn new(channel: Channel<JobEvent>) -> Self {
        // A closed webview (window reloaded) is not an error for the job itself.
        Self::with_sink(Box::new(move |event| drop(channel.send(event))))
    }

    /// Sends app-wide `job-event`s for job `id`, which every window receives.
    pub fn app_wide<R: Runtime>(app: AppHandle<R>, id: String) -> Self {
        Self::with_sink(Box::new(move |event| {
            let _ = app.emit(
                JOB_EVENT,
                AppJobEvent {
                    id: &id,
                    event: &event,
                },
            );
        }))
    }

    pub fn with_sink(sink: Sink) -> Self {
        Self {
            sink,
            throttle: Throttle::default(),
        }
    }

    pub fn send(&self, event: JobEvent) {
        (self.sink)(event);
    }

    /// A stage covering `from..to` of the bar begins.
    pub fn stage(&self, name: &'static str, from: f64, to: f64) {
        self.throttle.stage(from, to);
        self.send(JobEvent::Stage { stage: name });
        self.fraction(0.0);
    }

    /// Reports `local` (0..=1) of the current stage, unless the last report was too recent.
    pub fn fraction(&self, local: f64) {
        if let Some(progress) = self.throttle.update(local) {
            self.send(JobEvent::Progress {
                fraction: progress.fraction,
                eta_seconds: progress.eta.map(|eta| eta.as_secs_f64()),
            });
        }
    }

    pub fn pipeline(&self, update: PipelineProgress) {
        match update {
            PipelineProgress::Stage(stage) => {
                let (name, from, to) = stage_span(stage);
                self.stage(name, from, to);
            }
            PipelineProgress::Transcribing { percent } => self.fraction(f64::from(percent) / 100.0),
            PipelineProgress::Rendering { done, total } => {
                self.fraction(done as f64 / total.max(1) as f64);
            }
            PipelineProgress::Exporting(export) => self.fraction(export.fraction()),
            PipelineProgress::Warning(warning) => self.send(JobEvent::Warning {
                message: warning.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tauri::ipc::InvokeResponseBody;

    use super::*;

    /// A channel that collects what is sent on it.
    fn collecting() -> (Channel<JobEvent>, Arc<Mutex<Vec<serde_json::Value>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let channel = Channel::new(move |body| {
            if let InvokeResponseBody::Json(json) = body {
                let value = serde_json::from_str(&json).expect("events are JSON");
                sink.lock().expect("not poisoned").push(value);
            }
            Ok(())
        });
        (channel, seen)
    }

    #[test]
    fn progress_is_throttled_but_stages_always_pass() {
        let (channel, seen) = collecting();
        let forward = Forwarder::new(channel);
        forward.pipeline(PipelineProgress::Stage(Stage::Transcribe));
        for percent in 0..100 {
            forward.pipeline(PipelineProgress::Transcribing { percent });
        }
        forward.pipeline(PipelineProgress::Stage(Stage::Render));
        let seen = seen.lock().expect("not poisoned");
        let stages: Vec<_> = seen
            .iter()
            .filter(|event| event["event"] == "stage")
            .map(|event| event["stage"].clone())
            .collect();
        assert_eq!(stages, ["transcribing", "rendering"]);
        let progress = seen
            .iter()
            .filter(|event| event["event"] == "progress")
            .count();
        assert!(
            progress < 10,
            "{progress} progress events for a burst of 100"
        );
        let last = seen.last().expect("events were sent");
        assert_eq!(last["event"], "progress");
        assert!((last["fraction"].as_f64().expect("a number") - 0.82).abs() < 1e-9);
    }

    #[test]
    fn events_serialize_with_camel_case_fields() {
        let event = JobEvent::Progress {
            fraction: 0.5,
            eta_seconds: Some(3.0),
        };
        assert_eq!(
            serde_json::to_value(&event).expect("serializes"),
            serde_json::json!({ "event": "progress", "fraction": 0.5, "etaSeconds": 3.0 })
        );
        assert_eq!(
            serde_json::to_value(JobEvent::Cancelled).expect("serializes"),
            serde_json::json!({ "event": "cancelled" })
        );
    }
}
