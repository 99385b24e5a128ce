//! The flags every pipeline command shares, turned into a [`JobSpec`]: the CLI's only way
//! to say what a job runs with (the app's settings and watched folders build the same
//! type). Resolving it (`JobSpec::resolve`) reads `slides.toml` and the glossaries.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use vsl_core::job::{JobSpec, Language, Loudness, OutputMode, DEFAULT_MUSIC_VOLUME};
use vsl_core::models::{ModelStore, DEFAULT_MODEL};
use vsl_core::paths::Dirs;
use vsl_core::render::CaptionPosition;
use vsl_core::render::RenderSize;
use vsl_core::slides::Aspect;
use vsl_core::transcribe::Engine;

/// The model and how it listens.
#[derive(Args)]
pub struct ModelArgs {
    /// Catalog name of an installed model, or a path to a ggml file.
    #[arg(long, default_value = DEFAULT_MODEL)]
    pub model: String,
    /// auto, en, pt, ... (auto detects and reports the language).
    #[arg(long, default_value = "auto")]
    language: String,
    /// Custom vocabulary to bias the transcription (brand names, jargon; a glossary's terms
    /// are added).
    #[arg(long)]
    prompt: Option<String>,
    /// Where whisper.cpp computes: auto (the first GPU, else the CPU), cpu, or a GPU's name
    /// as `vsl health` lists it (Vulkan0, CUDA0).
    #[arg(long, default_value = "auto")]
    device: String,
    /// whisper.cpp threads (0: one per core not already busy).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

impl ModelArgs {
    pub fn apply(&self, spec: &mut JobSpec) {
        spec.model = self.model.clone();
        spec.language = Language::parse(&self.language);
        spec.prompt = self.prompt.clone();
        spec.threads = self.threads;
        spec.device = self.device.parse().unwrap_or_default();
    }
}

/// Resolves and loads the spec's model, saying how long loading took.
pub fn load_engine(spec: &JobSpec, dirs: &Dirs) -> anyhow::Result<Engine> {
    let model_path = ModelStore::open(dirs).resolve(&spec.model)?;
    let load_started = Instant::now();
    let engine = Engine::load_on(&model_path, &spec.device)?;
    eprintln!(
        "loaded {} in {:.2} s on {}",
        engine.name(),
        load_started.elapsed().as_secs_f64(),
        engine.device().label()
    );
    if let Some(notice) = engine.notice() {
        eprintln!("note: {notice}");
    }
    Ok(engine)
}

/// How slides look and which glossary corrects them.
#[derive(Args)]
pub struct LookArgs {
    /// Slide shape: 16:9, 1:1 or 9:16.
    #[arg(long, default_value = "16:9")]
    preset: String,
    /// The look: classic, dark, a saved look (`vsl looks list`), a custom theme from
    /// slides.toml, or a look folder or look.toml file.
    #[arg(long, visible_alias = "theme", default_value = "classic")]
    look: String,
    /// The job's glossary (TOML); applied over the global one in the config folder.
    #[arg(long)]
    glossary: Option<PathBuf>,
    /// Ignore the global glossary.
    #[arg(long)]
    no_global_glossary: bool,
    /// Image (and video) size, e.g. 1280x720 (default: full HD in the preset's shape).
    #[arg(long)]
    size: Option<String>,
    /// Presets and custom themes (default: slides.toml in the config folder, if present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Cache folder (rendered slides in slides/, transcripts in transcripts/; default: the
    /// platform cache folder).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
}

impl LookArgs {
    /// Writes the flags into `spec` and `dirs`; a bad shape or size names the value.
    pub fn apply(&self, spec: &mut JobSpec, dirs: &mut Dirs) -> anyhow::Result<()> {
        spec.preset = Aspect::parse(&self.preset)?;
        spec.theme = self.look.clone();
        spec.glossary = self.glossary.clone();
        spec.global_glossary = !self.no_global_glossary;
        spec.size = self.size.as_deref().map(RenderSize::parse).transpose()?;
        spec.slides_config = self.config.clone();
        if let Some(cache) = &self.cache_dir {
            dirs.cache = cache.clone();
        }
        Ok(())
    }
}

/// The MP4's soundtrack: a music bed under the voice and the loudness it is normalised to.
#[derive(Args)]
pub struct SoundArgs {
    /// A music bed under the voice (any audio file): looped or cut to the voice's length,
    /// faded in over 1 s and out over the last 2 s, ducked while the voice speaks.
    #[arg(long, value_name = "FILE")]
    music: Option<PathBuf>,
    /// The music's level: a linear gain on the file's own level, above 0 and at most 1.
    #[arg(long, default_value_t = DEFAULT_MUSIC_VOLUME)]
    music_volume: f64,
    /// Keep the music at one level instead of ducking it under the voice.
    #[arg(long)]
    no_duck: bool,
    /// Integrated loudness in LUFS (EBU R128, true peak at most -1 dBTP): auto is -14 when
    /// the audio is re-encoded anyway (music, or a source that is not AAC); a number
    /// always normalises (re-encoding AAC too); off keeps the levels.
    #[arg(
        long,
        value_name = "LUFS|off|auto",
        default_value = "auto",
        allow_hyphen_values = true
    )]
    loudness: String,
}

impl SoundArgs {
    /// Writes the flags into `spec`; a bad loudness word names it.
    pub fn apply(&self, spec: &mut JobSpec) -> anyhow::Result<()> {
        spec.music = self.music.clone();
        spec.music_volume = self.music_volume;
        spec.duck = !self.no_duck;
        spec.loudness = Loudness::parse(&self.loudness)?;
        Ok(())
    }
}

/// Where captions go over the video.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Position {
    Bottom,
    Center,
    Top,
}

/// Captions over the input's own video instead of slides.
#[derive(Args)]
pub struct CaptionArgs {
    /// Keep the input's picture, size and frame rate and draw each slide's text over it as
    /// a caption (the input must be a video).
    #[arg(long)]
    pub over_video: bool,
    /// Where the captions go over the video (portrait video keeps them above the bottom
    /// fifth, where phone apps put their buttons).
    #[arg(long, value_enum, default_value = "bottom")]
    caption_position: Position,
}

impl CaptionArgs {
    pub fn apply(&self, spec: &mut JobSpec) {
        spec.output = if self.over_video {
            OutputMode::Captions
        } else {
            OutputMode::Slides
        };
        spec.caption_position = match self.caption_position {
            Position::Bottom => CaptionPosition::Bottom,
            Position::Center => CaptionPosition::Center,
            Position::Top => CaptionPosition::Top,
        };
    }
}
