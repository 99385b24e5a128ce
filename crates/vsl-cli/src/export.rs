//! `vsl export`: slides.json + the original media → MP4 (and subtitles), without transcribing
//! again. Used after editing the slides that `vsl slides` or `vsl run` wrote.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use vsl_core::export::{
    export_deck, AudioMode, ExportError, ExportOutcome, ExportPlan, ExportProgress, DEFAULT_CRF,
    DEFAULT_REPEAT_EVERY,
};
use vsl_core::job::{Format, Formats, JobSpec, OutputMode};
use vsl_core::jobs::CancelToken;
use vsl_core::render::CaptionStyle;
use vsl_core::slides::SlideDeck;
use vsl_core::slides::{Aspect, SlidesConfig};

#[derive(Args)]
pub struct ExportArgs {
    /// The slides.json written by `vsl slides` or `vsl run`, or its folder (the images are
    /// found next to it).
    slides: PathBuf,
    /// The original audio or video file the slides were made from.
    #[arg(long)]
    audio: PathBuf,
    /// The MP4 to write; subtitles go beside it with the same stem.
    #[arg(long)]
    out: PathBuf,
    /// Constant frame rate (for platforms that demand it); default: variable, one picture
    /// per slide.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=240))]
    fps: Option<u32>,
    /// Also write these next to the MP4: srt, vtt, txt (one cue per slide).
    #[arg(long, default_value = "mp4")]
    formats: String,
    /// Replace existing files instead of refusing.
    #[arg(long)]
    overwrite: bool,
    /// Variable frame rate: longest time between repeated pictures, in seconds (0: none).
    #[arg(long, default_value_t = DEFAULT_REPEAT_EVERY)]
    repeat_every: f64,
    /// x264 quality (lower is better and larger; 18-23 is sensible).
    #[arg(long, default_value_t = DEFAULT_CRF, value_parser = clap::value_parser!(u8).range(0..=51))]
    crf: u8,
    #[command(flatten)]
    sound: crate::job::SoundArgs,
    /// With --over-video, `--audio` is the video the captions go over.
    #[command(flatten)]
    captions: crate::job::CaptionArgs,
    /// With --over-video: the slides.toml holding the deck's custom theme (built-in and saved
    /// looks need none).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Draw the slides again with this look first (a saved look, classic, dark, a look folder
    /// or look.toml); the deck's slides.json and images are updated, its text and times kept.
    #[arg(long)]
    look: Option<String>,
}

/// Draws `deck` again in `look` into its own folder: only the pictures change (the cache makes
/// unchanged ones free), as when the app changes a job's look.
fn restyle(
    deck: &mut SlideDeck,
    deck_dir: &Path,
    look: &str,
    config: Option<&Path>,
    dirs: &vsl_core::paths::Dirs,
) -> anyhow::Result<()> {
    let spec = JobSpec {
        preset: Aspect::parse(&deck.preset)?,
        theme: look.to_owned(),
        size: Some(vsl_core::render::RenderSize::new(deck.width, deck.height)),
        slides_config: config.map(Path::to_path_buf),
        ..JobSpec::default()
    };
    let resolved = spec.resolve(dirs)?;
    vsl_core::render::render_deck(
        &vsl_core::render::Renderer::new(),
        deck,
        &resolved.style,
        deck_dir,
        &resolved.cache,
        &|_, _| {},
        &CancelToken::new(),
    )?;
    Ok(())
}

pub fn run(args: ExportArgs, dirs: &vsl_core::paths::Dirs) -> anyhow::Result<ExitCode> {
    let cancel = install_cancel_handler();
    let (deck_dir, deck) = if args.slides.is_dir() {
        (args.slides.as_path(), SlideDeck::load(&args.slides)?)
    } else {
        let dir = args
            .slides
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        (dir, SlideDeck::load_file(&args.slides)?)
    };
    let mut deck = deck;
    if let Some(look) = &args.look {
        restyle(&mut deck, deck_dir, look, args.config.as_deref(), dirs)?;
        let file = if args.slides.is_dir() {
            args.slides.join(vsl_core::slides::DECK_FILE)
        } else {
            args.slides.clone()
        };
        let json = serde_json::to_vec_pretty(&deck)?;
        vsl_core::fs::write_atomic(&file, &json, vsl_core::fs::Replace::Yes)?;
    }
    let formats = Formats::parse(&args.formats)?;
    // The soundtrack's flags are job settings, checked as a job's are.
    let mut spec = JobSpec::default();
    args.sound.apply(&mut spec)?;
    let sound = spec.soundtrack()?;
    args.captions.apply(&mut spec);
    // Captions take the deck's own theme, as its slides did.
    let captions = if spec.output == OutputMode::Captions {
        let config = match &args.config {
            Some(path) => SlidesConfig::load(path)?,
            None => SlidesConfig::default(),
        };
        let look = vsl_core::look::store::resolve(&deck.theme, dirs, &config)?;
        Some(CaptionStyle {
            theme: look.theme,
            brand: look.brand,
            position: spec.caption_position,
            max_lines: config
                .preset(Aspect::parse(&deck.preset).unwrap_or(Aspect::Landscape))
                .max_lines,
        })
    } else {
        None
    };
    let out_dir = args
        .out
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stem = vsl_core::pipeline::stem(&args.out);
    let mut plan = ExportPlan::new(&deck, deck_dir, &args.audio, out_dir, &stem, &formats);
    plan.fps = args.fps;
    plan.overwrite = args.overwrite;
    plan.repeat_every = args.repeat_every;
    plan.crf = args.crf;
    plan.sound = sound;
    plan.captions = captions;
    if formats.contains(vsl_core::job::Format::Ass) {
        // The deck's own look styles the ASS file; a look that no longer loads is an error.
        let config = match &args.config {
            Some(path) => SlidesConfig::load(path)?,
            None => SlidesConfig::load_or_default(&dirs.slides_config_file())?,
        };
        let look = vsl_core::look::store::resolve(&deck.theme, dirs, &config)?;
        let style = vsl_core::look::SlideStyle::of_look(
            &look,
            vsl_core::render::RenderSize::new(deck.width, deck.height),
            3,
        );
        plan.ass = vsl_core::export::AssStyle::of(&style, spec.caption_position);
    }

    let bar = progress_bar("exporting");
    let result = export_deck(&plan, &mut |progress| show(&bar, progress), &cancel);
    bar.finish_and_clear();
    let written = match result {
        Ok(written) => written,
        Err(ExportError::Cancelled) => {
            eprintln!("cancelled; nothing was written");
            return Ok(ExitCode::from(crate::EXIT_CANCELLED));
        }
        Err(error) => return Err(error.into()),
    };
    for file in &written.files {
        if written.mp4.as_ref().is_none_or(|mp4| &mp4.path != file) {
            println!("{}", file.display());
        }
    }
    if let Some(outcome) = &written.mp4 {
        println!("{}", summary(outcome, deck.slides.len()));
    } else if !formats.contains(Format::Mp4) && written.files.is_empty() {
        eprintln!("nothing to write: --formats was empty");
    }
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C cancels the job; its stage then removes its temporary file.
pub fn install_cancel_handler() -> CancelToken {
    let cancel = CancelToken::new();
    let token = cancel.clone();
    // If a handler is already installed, Ctrl-C keeps its default behaviour, which still
    // stops the process; the temporary file is then left as a hidden `.part` file.
    let _ = ctrlc::set_handler(move || token.cancel());
    cancel
}

pub fn progress_bar(label: &str) -> ProgressBar {
    let bar = ProgressBar::new(1000);
    if let Ok(style) =
        ProgressStyle::with_template(&format!("{label} [{{bar:30}}] {{percent:>3}}% {{msg}}"))
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

pub fn show(bar: &ProgressBar, progress: &ExportProgress) {
    bar.set_position((progress.fraction() * 1000.0) as u64);
    let eta = progress
        .eta()
        .map(|eta| format!(", eta {:.0} s", eta.as_secs_f64()))
        .unwrap_or_default();
    bar.set_message(format!(
        "frames {}/{}, audio {:.0}/{:.0} s{eta}",
        progress.frames_written, progress.frames_total, progress.audio_done, progress.audio_total
    ));
}

pub fn summary(outcome: &ExportOutcome, slides: usize) -> String {
    let audio = match &outcome.audio {
        AudioMode::Copied => "audio copied".to_owned(),
        AudioMode::Encoded {
            from_codec,
            bit_rate,
        } => format!("audio {from_codec} -> AAC {} kb/s", bit_rate / 1000),
    };
    let music = outcome
        .music
        .as_ref()
        .map(|music| format!(" with music {}", music.display()))
        .unwrap_or_default();
    let loudness = outcome
        .loudness
        .as_ref()
        .map(|loudness| {
            format!(
                ", loudness {:.1} LUFS {:+.1} dB -> {:.1} LUFS (target {})",
                loudness.measured, loudness.gain_db, loudness.result, loudness.target
            )
        })
        .unwrap_or_default();
    let seconds = outcome.elapsed.as_secs_f64();
    let mut text = format!(
        "{slides} slides, {} frames ({} keyframes), {audio}{music}{loudness}, {:.2} s of \
         video, {:.1} MB, exported in {seconds:.2} s ({:.0}x real time) -> {}",
        outcome.video_frames,
        outcome.keyframes,
        outcome.duration,
        outcome.bytes as f64 / 1e6,
        outcome.duration / seconds.max(0.001),
        outcome.path.display()
    );
    if !outcome.dropped_slides.is_empty() {
        text.push_str(&format!(
            "\nwarning: slides {:?} were not shown (they start after the audio ends or at the \
             same moment as another slide)",
            outcome.dropped_slides
        ));
    }
    text
}
