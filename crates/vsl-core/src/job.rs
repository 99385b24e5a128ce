//! What a job runs with, defined once.
//!
//! [`JobSpec`] is everything a job is asked to do: the model, the spoken [`Language`], the
//! slide shape and size, the theme, the glossary, the output [`Formats`], the subtitle mode,
//! the frame rate, and the soundtrack (a music bed and the [`Loudness`] target). The app's
//! settings, a watched folder, the editor and the CLI's flags all build one, and
//! [`JobSpec::resolve`] is the only way from a spec to what the stages take ([`ResolvedJob`]:
//! transcription options, glossary, preset, [`SlideStyle`], cache, [`Soundtrack`]).
//! Validation is that same resolve, so saving a setting checks exactly what a run will do.
//!
//! [`choices`] lists what a spec may hold (shapes, themes, formats, languages, media
//! extensions, threads), so the app's menus come from the same lists the resolver accepts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::correct::{CorrectionError, Glossary};
use crate::error::ErrorKind;
use crate::export::{MusicBed, Soundtrack};
use crate::media::MediaError;
use crate::paths::Dirs;
use crate::render::{CaptionPosition, CaptionStyle, RenderSize, SlideCache, SlideStyle};
use crate::slides::{Aspect, SlidePreset, SlidesConfig, SlidesError};
use crate::transcribe::{default_threads, ComputeDevice, DeviceChoice, TranscribeOptions};

/// The most whisper.cpp threads a spec may ask for.
pub const MAX_THREADS: usize = 64;

/// The spoken language: detected, or one Whisper code (`en`, `pt`, ...).
///
/// Every spelling of "detect" (`auto`, an empty string, a missing value) is [`Language::Auto`],
/// and codes are lower-cased once here, so `EN` and `en` are the same job (and cache key).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    Auto,
    Code(String),
}

impl Language {
    /// Normalises a spelling; an unknown code is kept and refused by [`Language::check`].
    pub fn parse(text: &str) -> Language {
        let code = text.trim().to_lowercase();
        if code.is_empty() || code == "auto" {
            Language::Auto
        } else {
            Language::Code(code)
        }
    }

    /// The code, or `None` for detection (what `TranscribeOptions::language` takes).
    pub fn code(&self) -> Option<&str> {
        match self {
            Language::Auto => None,
            Language::Code(code) => Some(code),
        }
    }

    /// `auto` or the code.
    pub fn as_str(&self) -> &str {
        self.code().unwrap_or("auto")
    }

    /// Refuses a code Whisper does not know.
    pub fn check(&self) -> Result<(), JobError> {
        match self {
            Language::Code(code) if whisper_rs::get_lang_id(code).is_none() => {
                Err(JobError::Language(code.clone()))
            }
            _ => Ok(()),
        }
    }
}

impl Serialize for Language {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Option::<String>::deserialize(deserializer)?;
        Ok(text.map_or(Language::Auto, |text| Language::parse(&text)))
    }
}

/// One kind of output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Mp4,
    Srt,
    Vtt,
    Txt,
    Json,
    /// Advanced SubStation, styled from the look: written only when asked for.
    Ass,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Mp4,
        Format::Srt,
        Format::Vtt,
        Format::Txt,
        Format::Json,
        Format::Ass,
    ];

    /// What a job writes unless it says otherwise (every format but ASS, which is for
    /// makers who finish in an editor).
    pub const DEFAULT: [Format; 5] = [
        Format::Mp4,
        Format::Srt,
        Format::Vtt,
        Format::Txt,
        Format::Json,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Mp4 => "mp4",
            Format::Srt => "srt",
            Format::Vtt => "vtt",
            Format::Txt => "txt",
            Format::Json => "json",
            Format::Ass => "ass",
        }
    }

    pub fn parse(name: &str) -> Result<Format, JobError> {
        let wanted = name.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|format| format.name() == wanted)
            .ok_or_else(|| JobError::UnknownFormat(name.trim().to_owned()))
    }
}

/// Which outputs to write: a set of [`Format`]s, serialized as a list of names.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Formats(BTreeSet<Format>);

impl Formats {
    /// The default set, [`Format::DEFAULT`].
    pub fn all() -> Formats {
        Formats(Format::DEFAULT.into_iter().collect())
    }

    pub fn none() -> Formats {
        Formats::default()
    }

    pub fn of(formats: &[Format]) -> Formats {
        Formats(formats.iter().copied().collect())
    }

    /// `mp4,srt,vtt,txt,json` or any subset, in any case.
    pub fn parse(list: &str) -> Result<Formats, JobError> {
        list.split(',')
            .filter(|name| !name.trim().is_empty())
            .map(Format::parse)
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Formats)
    }

    pub fn contains(&self, format: Format) -> bool {
        self.0.contains(&format)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Format> + '_ {
        self.0.iter().copied()
    }

    /// `mp4,srt` — the CLI's spelling.
    pub fn names(&self) -> String {
        self.iter().map(Format::name).collect::<Vec<_>>().join(",")
    }
}

impl FromIterator<Format> for Formats {
    fn from_iter<I: IntoIterator<Item = Format>>(iter: I) -> Self {
        Formats(iter.into_iter().collect())
    }
}

/// What the subtitle cues follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubtitleMode {
    /// One cue per slide: captions change exactly with the picture.
    #[default]
    Slides,
    /// One cue per transcript segment (longer, sentence-like cues).
    Segments,
}

/// What the MP4 shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputMode {
    /// Text slides on the theme's background, at the job's size.
    #[default]
    Slides,
    /// The source's own picture, size and frame rate, with each slide's text as a caption
    /// (the input must have a video stream).
    Captions,
}

impl OutputMode {
    pub fn name(self) -> &'static str {
        match self {
            OutputMode::Slides => "slides",
            OutputMode::Captions => "captions",
        }
    }

    fn is_slides(&self) -> bool {
        *self == OutputMode::Slides
    }
}

fn is_default_position(position: &CaptionPosition) -> bool {
    *position == CaptionPosition::default()
}

/// The music's default level: a linear gain on the music file's own level (about -18 dB).
pub const DEFAULT_MUSIC_VOLUME: f64 = 0.12;

/// The integrated loudness re-encoded audio is normalised to by default (LUFS): what the
/// big streaming and social platforms play at.
pub const DEFAULT_LOUDNESS_LUFS: f64 = -14.0;

/// The loudness targets a spec may ask for, in LUFS.
pub const LOUDNESS_RANGE: std::ops::RangeInclusive<f64> = -40.0..=-5.0;

/// What the MP4's audio is normalised to (EBU R128 integrated loudness, true peak at or
/// below -1 dBTP).
///
/// Serialized as `"auto"`, `"off"` or a number of LUFS (`-16`); the CLI takes the same words.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Loudness {
    /// [`DEFAULT_LOUDNESS_LUFS`] whenever the audio is re-encoded anyway (a music bed, a
    /// source that is not AAC); a copied AAC track is left as it is.
    #[default]
    Auto,
    /// Levels as they are, also when re-encoding.
    Off,
    /// This target, always: an AAC source is re-encoded to reach it.
    Lufs(f64),
}

impl Loudness {
    /// `auto`, `off`, or a number of LUFS such as `-14` (a missing minus sign is read as
    /// meant: loudness targets are negative).
    pub fn parse(text: &str) -> Result<Loudness, JobError> {
        let word = text.trim().to_ascii_lowercase();
        let word = word.strip_suffix("lufs").unwrap_or(&word).trim();
        match word {
            "" | "auto" => Ok(Loudness::Auto),
            "off" | "none" => Ok(Loudness::Off),
            number => number
                .parse::<f64>()
                .ok()
                .filter(|value| value.is_finite())
                .map(|value| Loudness::Lufs(-value.abs()))
                .ok_or_else(|| JobError::LoudnessWord(text.trim().to_owned())),
        }
    }

    /// The target in LUFS for audio that is (`reencoded`) or is not re-encoded anyway.
    pub fn target(self, reencoded: bool) -> Option<f64> {
        match self {
            Loudness::Auto => reencoded.then_some(DEFAULT_LOUDNESS_LUFS),
            Loudness::Off => None,
            Loudness::Lufs(value) => Some(value),
        }
    }

    /// Refuses a target outside [`LOUDNESS_RANGE`].
    pub fn check(self) -> Result<(), JobError> {
        match self {
            Loudness::Lufs(value) if !LOUDNESS_RANGE.contains(&value) => {
                Err(JobError::Loudness(value))
            }
            _ => Ok(()),
        }
    }

    fn is_auto(&self) -> bool {
        *self == Loudness::Auto
    }
}

impl std::fmt::Display for Loudness {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Loudness::Auto => formatter.write_str("auto"),
            Loudness::Off => formatter.write_str("off"),
            Loudness::Lufs(value) => write!(formatter, "{value}"),
        }
    }
}

impl Serialize for Loudness {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Loudness::Lufs(value) => serializer.serialize_f64(*value),
            word => serializer.collect_str(word),
        }
    }
}

impl<'de> Deserialize<'de> for Loudness {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Spelling {
            Number(f64),
            Word(String),
        }
        match Option::<Spelling>::deserialize(deserializer)? {
            None => Ok(Loudness::Auto),
            Some(Spelling::Number(value)) => Ok(Loudness::Lufs(-value.abs())),
            Some(Spelling::Word(word)) => Loudness::parse(&word).map_err(serde::de::Error::custom),
        }
    }
}

/// Everything a job is asked to do. Every field has a default, so a settings file or a
/// watched folder names only what it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobSpec {
    /// An installed model's catalog name, or a ggml file.
    pub model: String,
    pub language: Language,
    /// whisper.cpp threads; 0 picks the load-aware default when the job starts.
    pub threads: usize,
    /// Where whisper.cpp computes: `auto` (the first GPU, else the CPU), `cpu`, or a GPU's
    /// name (`Vulkan0`). Left out while automatic.
    #[serde(skip_serializing_if = "DeviceChoice::is_auto")]
    pub device: DeviceChoice,
    /// Words to bias the decoder towards (the glossary's terms are added to it).
    pub prompt: Option<String>,
    /// The slide shape (`16:9`, `1:1`, `9:16`).
    pub preset: Aspect,
    /// Pixels; `None` is full HD in the aspect's shape.
    #[serde(with = "optional_size")]
    pub size: Option<RenderSize>,
    /// The look: `classic`, `dark`, a saved look (`<config>/looks/NAME`), a custom theme
    /// from `slides.toml`, or the path of a look folder or `look.toml`.
    #[serde(alias = "look")]
    pub theme: String,
    /// A job glossary applied over the global one.
    pub glossary: Option<PathBuf>,
    /// Whether the global glossary (`<config>/glossary.toml`) applies.
    pub global_glossary: bool,
    /// Presets and custom themes; `None` is `<config>/slides.toml` when it exists.
    pub slides_config: Option<PathBuf>,
    pub formats: Formats,
    pub subtitles: SubtitleMode,
    /// Constant frame rate for the MP4; `None` is variable (one picture per slide).
    pub fps: Option<u32>,
    /// The copywriter's script (`.txt`, `.md`, `.docx`): the slides show its words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<PathBuf>,
    /// A music bed under the voice (any audio file): looped or cut to the voice's length,
    /// faded in and out, ducked while the voice speaks.
    // The sound fields are left out while they hold their defaults, so a spec written before
    // they existed serializes (and so identifies a watched folder's settings) as it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub music: Option<PathBuf>,
    /// The music's level, a linear gain on the file's own level: above 0, at most 1.
    #[serde(skip_serializing_if = "is_default_music_volume")]
    pub music_volume: f64,
    /// Whether the music drops under the voice (a sidechain keyed on the voice).
    #[serde(skip_serializing_if = "is_true")]
    pub duck: bool,
    #[serde(skip_serializing_if = "Loudness::is_auto")]
    pub loudness: Loudness,
    /// Slides, or captions over the source video. Like the sound fields, left out while it
    /// holds its default.
    #[serde(skip_serializing_if = "OutputMode::is_slides")]
    pub output: OutputMode,
    /// Where captions go over the video (bottom, center, top).
    #[serde(skip_serializing_if = "is_default_position")]
    pub caption_position: CaptionPosition,
}

fn is_default_music_volume(volume: &f64) -> bool {
    *volume == DEFAULT_MUSIC_VOLUME
}

fn is_true(value: &bool) -> bool {
    *value
}

impl Default for JobSpec {
    fn default() -> Self {
        JobSpec {
            model: crate::models::DEFAULT_MODEL.to_owned(),
            language: Language::Auto,
            threads: 0,
            device: DeviceChoice::Auto,
            prompt: None,
            preset: Aspect::Landscape,
            size: None,
            theme: "classic".to_owned(),
            glossary: None,
            global_glossary: true,
            slides_config: None,
            formats: Formats::all(),
            subtitles: SubtitleMode::Slides,
            fps: None,
            script: None,
            music: None,
            music_volume: DEFAULT_MUSIC_VOLUME,
            duck: true,
            loudness: Loudness::Auto,
            output: OutputMode::Slides,
            caption_position: CaptionPosition::Bottom,
        }
    }
}

/// A spec resolved against the files it names: what the stages take.
#[derive(Debug, Clone)]
pub struct ResolvedJob {
    pub spec: JobSpec,
    pub transcribe: TranscribeOptions,
    pub glossary: Glossary,
    pub preset: SlidePreset,
    pub style: SlideStyle,
    pub cache: SlideCache,
    /// The script, read and checked.
    pub script: Option<crate::pipeline::ScriptInput>,
    /// The music bed (checked to be audio) and the loudness target.
    pub sound: Soundtrack,
    /// How captions look when the output is captions over the video.
    pub captions: Option<CaptionStyle>,
}

impl ResolvedJob {
    /// What [`crate::pipeline::run_file`] takes, writing under `out_dir`.
    pub fn pipeline_options(
        &self,
        out_dir: &Path,
        overwrite: bool,
    ) -> crate::pipeline::PipelineOptions {
        crate::pipeline::PipelineOptions {
            out_dir: out_dir.to_path_buf(),
            transcribe: self.transcribe.clone(),
            glossary: self.glossary.clone(),
            preset: self.preset.clone(),
            style: self.style.clone(),
            cache: self.cache.clone(),
            formats: self.spec.formats.clone(),
            subtitles: self.spec.subtitles,
            fps: self.spec.fps,
            overwrite,
            script: self.script.clone(),
            sound: self.sound.clone(),
            captions: self.captions.clone(),
        }
    }
}

/// Why a spec cannot run.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("unknown output format '{0}' (use mp4, srt, vtt, txt, json, ass)")]
    UnknownFormat(String),
    #[error("language '{0}' is not one Whisper knows (use auto, or a code such as en or pt)")]
    Language(String),
    #[error("{0} threads is out of range (0 picks a default; at most {MAX_THREADS})")]
    Threads(usize),
    #[error(transparent)]
    Device(#[from] crate::transcribe::device::NoSuchDevice),
    #[error("the frame rate must be 1 to 240 frames per second, not {0}")]
    Fps(u32),
    #[error("'{0}' is not a size: use WIDTHxHEIGHT, 16 to 8192 pixels a side")]
    Size(String),
    #[error("the music volume must be above 0 and at most 1, not {0}")]
    MusicVolume(f64),
    #[error("'{0}' is not a loudness: use auto, off, or a number of LUFS such as -14")]
    LoudnessWord(String),
    #[error("a loudness of {0} LUFS is out of range (-40 to -5)")]
    Loudness(f64),
    #[error("the music bed cannot be used: {0}")]
    Music(MediaError),
    #[error(transparent)]
    Slides(#[from] SlidesError),
    #[error(transparent)]
    Glossary(#[from] CorrectionError),
    #[error(transparent)]
    Script(#[from] crate::script::ScriptError),
    #[error(transparent)]
    Look(#[from] crate::look::LookError),
}

impl JobError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            JobError::UnknownFormat(_) => ErrorKind::UnknownFormat,
            JobError::Language(_) => ErrorKind::Language,
            JobError::Threads(_)
            | JobError::Fps(_)
            | JobError::MusicVolume(_)
            | JobError::LoudnessWord(_)
            | JobError::Loudness(_) => ErrorKind::InvalidSettings,
            JobError::Music(error) => error.kind(),
            JobError::Device(_) => ErrorKind::InvalidSettings,
            JobError::Size(_) => ErrorKind::InvalidSize,
            JobError::Slides(error) => error.kind(),
            JobError::Glossary(error) => error.kind(),
            JobError::Script(error) => error.kind(),
            JobError::Look(error) => error.kind(),
        }
    }
}

impl JobSpec {
    /// Resolves the spec against `dirs`: reads `slides.toml` and the glossaries, picks the
    /// preset, theme and size. Errors name the file or the value at fault.
    pub fn resolve(&self, dirs: &Dirs) -> Result<ResolvedJob, JobError> {
        self.language.check()?;
        if self.threads > MAX_THREADS {
            return Err(JobError::Threads(self.threads));
        }
        crate::transcribe::device::resolve(&self.device)?;
        if let Some(fps) = self.fps {
            if !(1..=240).contains(&fps) {
                return Err(JobError::Fps(fps));
            }
        }
        let sound = self.soundtrack()?;
        let config = self.slides_config(dirs)?;
        let preset = config.preset(self.preset);
        let mut look = crate::look::store::resolve(&self.theme, dirs, &config)?;
        // The deck records what resolves the look again (`slides.json`'s `theme`): the name
        // the job gave, or a look file's absolute path.
        look.theme.name = crate::look::store::identifier(&self.theme);
        let theme = look.theme.clone();
        let size = self.size.unwrap_or_else(|| self.preset.default_size());
        let global = dirs.glossary_file();
        let global = self.global_glossary.then_some(global.as_path());
        let glossary = Glossary::load_layers(global, self.glossary.as_deref())?;
        let script = match &self.script {
            Some(path) => Some(crate::pipeline::ScriptInput {
                script: crate::script::Script::load(path)?,
                path: path.clone(),
            }),
            None => None,
        };
        let captions = (self.output == OutputMode::Captions).then(|| CaptionStyle {
            theme: theme.clone(),
            brand: look.brand.clone(),
            position: self.caption_position,
            max_lines: preset.max_lines,
        });
        Ok(ResolvedJob {
            script,
            sound,
            captions,
            transcribe: TranscribeOptions {
                language: self.language.code().map(str::to_owned),
                prompt: self
                    .prompt
                    .clone()
                    .filter(|prompt| !prompt.trim().is_empty()),
                threads: if self.threads == 0 {
                    default_threads()
                } else {
                    self.threads
                },
            },
            glossary,
            style: SlideStyle::of_look(&look, size, preset.max_lines),
            preset,
            cache: SlideCache::at(dirs.slide_cache_dir()),
            spec: self.clone(),
        })
    }

    /// The soundtrack the export mixes: the music file checked to be decodable audio, the
    /// volume and the loudness target in range. Part of [`JobSpec::resolve`]; `vsl export`,
    /// which has no other job settings, calls it alone.
    pub fn soundtrack(&self) -> Result<Soundtrack, JobError> {
        self.loudness.check()?;
        if !(self.music_volume > 0.0 && self.music_volume <= 1.0) {
            return Err(JobError::MusicVolume(self.music_volume));
        }
        let music = match &self.music {
            Some(path) => {
                crate::export::check_music(path).map_err(JobError::Music)?;
                Some(MusicBed {
                    path: path.clone(),
                    volume: self.music_volume,
                    duck: self.duck,
                })
            }
            None => None,
        };
        Ok(Soundtrack {
            music,
            loudness: self.loudness,
        })
    }

    /// `slides.toml`: the spec's own file (which must exist), else the config folder's when
    /// there is one, else the built-in presets and themes.
    pub fn slides_config(&self, dirs: &Dirs) -> Result<SlidesConfig, SlidesError> {
        match &self.slides_config {
            Some(path) => SlidesConfig::load(path),
            None => SlidesConfig::load_or_default(&dirs.slides_config_file()),
        }
    }
}

/// `RenderSize` as `"1920x1080"` in settings files.
mod optional_size {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::render::RenderSize;

    pub fn serialize<S: Serializer>(
        size: &Option<RenderSize>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match size {
            Some(size) => serializer.serialize_str(&size.to_string()),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<RenderSize>, D::Error> {
        let text = Option::<String>::deserialize(deserializer)?;
        text.filter(|text| !text.trim().is_empty())
            .map(|text| RenderSize::parse(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// A language a spec may name, for menus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LanguageChoice {
    /// `auto` or a Whisper code.
    pub code: String,
    /// Whisper's English name (`portuguese`); empty for `auto`.
    pub name: String,
}

/// What a [`JobSpec`] may hold, for the app's menus and the CLI's help.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Choices {
    /// File extensions the decoder accepts (lower case, no dot).
    pub media_extensions: Vec<&'static str>,
    /// File extensions a copywriter's script may have (lower case, no dot).
    pub script_extensions: Vec<&'static str>,
    pub aspects: Vec<&'static str>,
    /// Looks: the built-in ones first, then `slides.toml`'s custom themes, then saved looks.
    pub themes: Vec<String>,
    pub formats: Vec<&'static str>,
    pub subtitle_modes: Vec<&'static str>,
    /// `slides`, `captions` (over the video).
    pub outputs: Vec<&'static str>,
    pub caption_positions: Vec<&'static str>,
    /// What a look may say (look.toml): where its logo sits, where its bar runs, which words
    /// take a colour of their own.
    pub logo_positions: Vec<&'static str>,
    pub bar_positions: Vec<&'static str>,
    pub word_highlights: Vec<&'static str>,
    /// `auto` first, then every Whisper language.
    pub languages: Vec<LanguageChoice>,
    pub max_threads: usize,
    /// The GPUs a job may name as its `device` (besides `auto` and `cpu`).
    pub gpus: Vec<ComputeDevice>,
}

/// What a spec may hold on this machine, with the custom themes of `dirs`' `slides.toml`.
///
/// A `slides.toml` that does not load lists the built-in themes only; resolving a job
/// reports that file's error.
pub fn choices(dirs: &Dirs) -> Choices {
    let config = SlidesConfig::load_or_default(&dirs.slides_config_file()).unwrap_or_default();
    let themes = crate::look::store::list(dirs, &config)
        .into_iter()
        .map(|entry| entry.id)
        .collect();
    let mut languages = vec![LanguageChoice {
        code: "auto".to_owned(),
        name: String::new(),
    }];
    for id in 0..=whisper_rs::get_lang_max_id() {
        if let (Some(code), Some(name)) = (
            whisper_rs::get_lang_str(id),
            whisper_rs::get_lang_str_full(id),
        ) {
            languages.push(LanguageChoice {
                code: code.to_owned(),
                name: name.to_owned(),
            });
        }
    }
    Choices {
        media_extensions: crate::media::SUPPORTED_EXTENSIONS.to_vec(),
        script_extensions: crate::script::SCRIPT_EXTENSIONS.to_vec(),
        aspects: Aspect::ALL.iter().map(|aspect| aspect.name()).collect(),
        themes,
        formats: Format::ALL.iter().map(|format| format.name()).collect(),
        subtitle_modes: vec!["slides", "segments"],
        outputs: vec![OutputMode::Slides.name(), OutputMode::Captions.name()],
        caption_positions: CaptionPosition::ALL.iter().map(|p| p.name()).collect(),
        logo_positions: crate::look::Anchor::ALL.iter().map(|a| a.name()).collect(),
        bar_positions: crate::look::Edge::ALL.iter().map(|e| e.name()).collect(),
        word_highlights: crate::look::WordHighlight::ALL
            .iter()
            .map(|w| w.name())
            .collect(),
        languages,
        max_threads: MAX_THREADS,
        gpus: crate::transcribe::device::gpus(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_auto_is_one_language_and_codes_are_lower_case() {
        for auto in ["", " ", "auto", "AUTO", "Auto"] {
            assert_eq!(Language::parse(auto), Language::Auto, "{auto:?}");
        }
        assert_eq!(Language::parse("EN"), Language::parse("en"));
        assert_eq!(Language::parse(" Pt ").code(), Some("pt"));
        let missing: JobSpec = toml::from_str("").expect("parses");
        assert_eq!(missing.language, Language::Auto);
        let upper: JobSpec = toml::from_str("language = \"EN\"").expect("parses");
        assert_eq!(upper.language, Language::Code("en".into()));
        assert_eq!(
            Language::parse("xx").check().expect_err("unknown").kind(),
            ErrorKind::Language
        );
        Language::parse("pt").check().expect("pt is Whisper's");
    }

    #[test]
    fn formats_parse_and_serialize_as_names() {
        assert_eq!(
            Formats::parse("mp4,srt,vtt,txt,json").expect("parse"),
            Formats::all()
        );
        let only = Formats::parse(" MP4 , srt").expect("parse");
        assert!(only.contains(Format::Mp4) && only.contains(Format::Srt));
        assert!(!only.contains(Format::Vtt));
        assert_eq!(only.names(), "mp4,srt");
        let error = Formats::parse("mp4,gif").expect_err("gif");
        assert_eq!(error.kind(), ErrorKind::UnknownFormat);
        assert!(error.to_string().contains("gif"), "{error}");
        assert_eq!(
            serde_json::to_value(&only).expect("serializes"),
            serde_json::json!(["mp4", "srt"])
        );
    }

    #[test]
    fn resolve_uses_full_size_and_refuses_bad_values_with_their_kind() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let dirs = Dirs::under(root.path());
        let resolved = JobSpec::default()
            .resolve(&dirs)
            .expect("the defaults resolve");
        assert_eq!(resolved.style.size, Aspect::Landscape.default_size());
        assert_eq!(resolved.transcribe.language, None);
        assert!(resolved.cache.dir().starts_with(root.path()));

        let portrait = JobSpec {
            preset: Aspect::Portrait,
            language: Language::parse("PT"),
            ..JobSpec::default()
        }
        .resolve(&dirs)
        .expect("resolves");
        assert_eq!(portrait.style.size, RenderSize::PORTRAIT);
        assert_eq!(portrait.transcribe.language.as_deref(), Some("pt"));

        let bad_theme = JobSpec {
            theme: "neon".into(),
            ..JobSpec::default()
        };
        assert_eq!(
            bad_theme.resolve(&dirs).expect_err("unknown theme").kind(),
            ErrorKind::UnknownTheme
        );
        let bad_language = JobSpec {
            language: Language::parse("klingon"),
            ..JobSpec::default()
        };
        assert_eq!(
            bad_language.resolve(&dirs).expect_err("language").kind(),
            ErrorKind::Language
        );
        let bad_threads = JobSpec {
            threads: 1000,
            ..JobSpec::default()
        };
        assert!(bad_threads.resolve(&dirs).is_err());
    }

    #[test]
    fn custom_themes_are_choices_and_resolve() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let dirs = Dirs::under(root.path());
        crate::fs::create_dir_all(&dirs.config).expect("created");
        crate::fs::write_atomic(
            &dirs.slides_config_file(),
            b"[theme.brand]\nbackground = \"#101820\"\ntext = \"#FFFFFF\"\nhighlight = \"#FFC233\"\n",
            crate::fs::Replace::Yes,
        )
        .expect("written");
        let choices = choices(&dirs);
        assert_eq!(choices.themes, ["classic", "dark", "brand"]);
        assert!(choices
            .languages
            .iter()
            .any(|language| language.code == "pt"));
        assert_eq!(choices.languages[0].code, "auto");
        assert!(choices.media_extensions.contains(&"mkv"));
        assert!(choices.script_extensions.contains(&"docx"));
        JobSpec {
            theme: "brand".into(),
            ..JobSpec::default()
        }
        .resolve(&dirs)
        .expect("a custom theme resolves");
    }

    #[test]
    fn loudness_reads_auto_off_and_lufs_and_refuses_the_rest() {
        assert_eq!(Loudness::parse("auto").expect("auto"), Loudness::Auto);
        assert_eq!(Loudness::parse(" OFF ").expect("off"), Loudness::Off);
        assert_eq!(Loudness::parse("-16").expect("-16"), Loudness::Lufs(-16.0));
        assert_eq!(
            Loudness::parse("-23 LUFS").expect("unit"),
            Loudness::Lufs(-23.0)
        );
        // Targets are negative; a missing sign is read as meant.
        assert_eq!(Loudness::parse("14").expect("14"), Loudness::Lufs(-14.0));
        let error = Loudness::parse("loud").expect_err("a word");
        assert_eq!(error.kind(), ErrorKind::InvalidSettings);
        assert!(error.to_string().contains("loud"), "{error}");
        assert!(Loudness::Lufs(-50.0).check().is_err());
        assert!(Loudness::Lufs(-2.0).check().is_err());
        Loudness::Lufs(-14.0).check().expect("in range");

        // Auto normalises only audio that is re-encoded anyway; a number always does.
        assert_eq!(Loudness::Auto.target(true), Some(DEFAULT_LOUDNESS_LUFS));
        assert_eq!(Loudness::Auto.target(false), None);
        assert_eq!(Loudness::Off.target(true), None);
        assert_eq!(Loudness::Lufs(-19.0).target(false), Some(-19.0));

        for (text, loudness) in [
            ("loudness = \"off\"", Loudness::Off),
            ("loudness = \"auto\"", Loudness::Auto),
            ("loudness = -16", Loudness::Lufs(-16.0)),
            ("loudness = -16.5", Loudness::Lufs(-16.5)),
            ("", Loudness::Auto),
        ] {
            let spec: JobSpec = toml::from_str(text).expect(text);
            assert_eq!(spec.loudness, loudness, "{text}");
        }
        assert_eq!(
            serde_json::to_value(Loudness::Lufs(-16.0)).expect("json"),
            serde_json::json!(-16.0)
        );
        assert_eq!(
            serde_json::to_value(Loudness::Off).expect("json"),
            serde_json::json!("off")
        );
        assert!(toml::from_str::<JobSpec>("loudness = \"loud\"").is_err());
    }

    #[test]
    fn the_soundtrack_resolves_with_its_defaults_and_refuses_bad_values() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let dirs = Dirs::under(root.path());
        let resolved = JobSpec::default().resolve(&dirs).expect("resolves");
        assert_eq!(resolved.sound, Soundtrack::default());
        assert_eq!(resolved.sound.loudness, Loudness::Auto);
        assert!(!resolved.sound.forces_encoding());
        let options = resolved.pipeline_options(root.path(), false);
        assert_eq!(options.sound, Soundtrack::default());

        for volume in [0.0, -0.1, 1.5, f64::NAN] {
            let spec = JobSpec {
                music_volume: volume,
                ..JobSpec::default()
            };
            let error = spec.resolve(&dirs).expect_err("volume");
            assert_eq!(error.kind(), ErrorKind::InvalidSettings, "{volume}");
        }
        let spec = JobSpec {
            loudness: Loudness::Lufs(-60.0),
            ..JobSpec::default()
        };
        assert_eq!(
            spec.resolve(&dirs).expect_err("range").kind(),
            ErrorKind::InvalidSettings
        );
        let missing = root.path().join("bed.mp3");
        let spec = JobSpec {
            music: Some(missing.clone()),
            ..JobSpec::default()
        };
        let error = spec.soundtrack().expect_err("missing");
        assert_eq!(error.kind(), ErrorKind::NotFound);
        assert!(error.to_string().contains("bed.mp3"), "{error}");
        assert!(error.to_string().contains("music"), "{error}");
    }

    #[test]
    fn sound_settings_are_left_out_of_a_spec_that_keeps_the_defaults() {
        // A spec saved before the soundtrack existed serializes (and so identifies a watched
        // folder's settings) exactly as before.
        let text = serde_json::to_string(&JobSpec::default()).expect("serializes");
        for key in [
            "music",
            "musicVolume",
            "duck",
            "loudness",
            "output",
            "captionPosition",
        ] {
            assert!(!text.contains(&format!("\"{key}\"")), "{key} in {text}");
        }
        let spec = JobSpec {
            music: Some(PathBuf::from("/music/bed.mp3")),
            music_volume: 0.2,
            duck: false,
            loudness: Loudness::Lufs(-16.0),
            ..JobSpec::default()
        };
        let text = toml::to_string(&spec).expect("serializes");
        for line in [
            "music = \"/music/bed.mp3\"",
            "musicVolume = 0.2",
            "duck = false",
            "loudness = -16.0",
        ] {
            assert!(text.contains(line), "{line} missing from {text}");
        }
        assert_eq!(toml::from_str::<JobSpec>(&text).expect("parses"), spec);
    }

    #[test]
    fn captions_over_the_video_are_a_spec_field_that_resolves_to_a_caption_style() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let dirs = Dirs::under(root.path());
        assert!(JobSpec::default()
            .resolve(&dirs)
            .expect("resolves")
            .captions
            .is_none());
        let spec: JobSpec =
            toml::from_str("output = \"captions\"\ncaptionPosition = \"top\"\ntheme = \"dark\"")
                .expect("parses");
        assert_eq!(spec.output, OutputMode::Captions);
        let resolved = spec.resolve(&dirs).expect("resolves");
        let captions = resolved.captions.clone().expect("captions");
        assert_eq!(captions.position, CaptionPosition::Top);
        assert_eq!(captions.theme.name, "dark");
        assert_eq!(
            resolved.pipeline_options(root.path(), false).captions,
            Some(captions)
        );
        let text = toml::to_string(&spec).expect("serializes");
        assert!(text.contains("output = \"captions\""), "{text}");
        assert_eq!(toml::from_str::<JobSpec>(&text).expect("parses"), spec);
        assert!(toml::from_str::<JobSpec>("output = \"gif\"").is_err());
        let choices = choices(&dirs);
        assert_eq!(choices.outputs, ["slides", "captions"]);
        assert_eq!(choices.caption_positions, ["bottom", "center", "top"]);
        // Each look value listed is one look.toml takes.
        for position in &choices.logo_positions {
            let text = format!("[logo]\nposition = \"{position}\"");
            crate::look::LookFile::parse(&text, Path::new("look.toml")).expect(position);
        }
        assert_eq!(choices.logo_positions.len(), 9);
        for edge in &choices.bar_positions {
            let text = format!("[progress]\nposition = \"{edge}\"");
            crate::look::LookFile::parse(&text, Path::new("look.toml")).expect(edge);
        }
        for mode in &choices.word_highlights {
            let text = format!("[words]\nhighlight = \"{mode}\"");
            crate::look::LookFile::parse(&text, Path::new("look.toml")).expect(mode);
        }
        assert_eq!(choices.word_highlights, ["keywords", "active", "both"]);
    }

    #[test]
    fn specs_round_trip_through_toml() {
        let spec = JobSpec {
            size: Some(RenderSize::HD),
            formats: Formats::of(&[Format::Mp4, Format::Vtt]),
            fps: Some(30),
            ..JobSpec::default()
        };
        let text = toml::to_string(&spec).expect("serializes");
        assert!(text.contains("size = \"1280x720\""), "{text}");
        assert_eq!(toml::from_str::<JobSpec>(&text).expect("parses"), spec);
    }
}
