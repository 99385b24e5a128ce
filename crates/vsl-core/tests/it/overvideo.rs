//! Captions over the source video: a real test-pattern video with real speech, exported with
//! the real encoder; what was written is probed and its frames compared with the source's.

use std::path::{Path, PathBuf};
use std::process::Command;

use vsl_core::export::{export_deck, AudioMode, ExportPlan};
use vsl_core::job::{Format, Formats};
use vsl_core::jobs::CancelToken;
use vsl_core::render::{caption_band, CaptionPosition, CaptionStyle, RenderSize, Theme};
use vsl_core::slides::{Slide, SlideDeck};
use vsl_core::ErrorKind;

use crate::common::{generated, jfk_wav, run_tool};

/// ffmpeg's testsrc2 (moving colour bars, a clock, noise) at `size` and 25 fps for as long as
/// the JFK clip, with the clip as AAC: a phone video with speech.
fn pattern(name: &str, size: &str, seconds: f64) -> PathBuf {
    generated(name, |out| {
        let wav = jfk_wav();
        run_tool(
            "ffmpeg",
            &[
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                &format!("testsrc2=size={size}:rate=25"),
                "-i",
                wav.to_str().expect("path"),
                "-t",
                &seconds.to_string(),
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "18",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-b:a",
                "96k",
                "-f",
                "mp4",
                out.to_str().expect("path"),
            ],
            None,
        );
    })
}

pub(crate) fn landscape() -> PathBuf {
    pattern("overvideo_720p25_v1.mp4", "1280x720", 11.0)
}

fn portrait() -> PathBuf {
    pattern("overvideo_portrait25_v1.mp4", "720x1280", 4.0)
}

/// JFK's line as three slides (times as the transcription gives them), a keyword marked.
fn jfk_deck(duration: f64) -> SlideDeck {
    let texts = [
        (0.0, "And so my fellow Americans"),
        (3.0, "ask not what your *country* can do for you"),
        (5.5, "ask what you can do for your country"),
    ];
    let slides: Vec<Slide> = texts
        .iter()
        .enumerate()
        .filter(|(_, (start, _))| *start < duration)
        .map(|(index, (start, text))| Slide {
            index,
            start: *start,
            end: texts
                .get(index + 1)
                .map_or(duration, |next| next.0.min(duration)),
            text: (*text).to_owned(),
            highlights: vec!["Americans".to_owned()],
            image: format!("slide-{index:03}.png"),
            words: Vec::new(),
        })
        .collect();
    SlideDeck {
        preset: "16:9".into(),
        theme: "classic".into(),
        brand: Default::default(),
        width: 1920,
        height: 1080,
        duration,
        slides,
    }
}

fn style(position: CaptionPosition) -> CaptionStyle {
    CaptionStyle {
        brand: Default::default(),
        theme: Theme::classic(),
        position,
        max_lines: 3,
    }
}

/// ffprobe's first video stream and the container's duration.
fn probe(path: &Path) -> serde_json::Value {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-count_frames", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=width,height,r_frame_rate,avg_frame_rate,nb_read_frames,codec_name:format=duration",
        ])
        .arg(path)
        .output()
        .expect("ffprobe");
    assert!(output.status.success());
    serde_json::from_slice(&output.stdout).expect("json")
}

/// The luma plane of the frame shown at `seconds`.
fn luma_at(path: &Path, seconds: f64) -> Vec<u8> {
    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", &format!("{seconds:.3}"), "-i"])
        .arg(path)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .expect("ffmpeg");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// PSNR in dB between two luma planes of `width`, over the rows `rows` and columns `columns`.
fn psnr(
    a: &[u8],
    b: &[u8],
    width: usize,
    rows: std::ops::Range<usize>,
    columns: std::ops::Range<usize>,
) -> f64 {
    let mut sum = 0f64;
    let mut count = 0f64;
    for y in rows {
        for x in columns.clone() {
            let difference = f64::from(a[y * width + x]) - f64::from(b[y * width + x]);
            sum += difference * difference;
            count += 1.0;
        }
    }
    let mse = sum / count.max(1.0);
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

fn export(
    source: &Path,
    deck: &SlideDeck,
    out_dir: &Path,
    position: CaptionPosition,
) -> Result<vsl_core::export::ExportedFiles, vsl_core::export::ExportError> {
    let formats = Formats::of(&[Format::Mp4, Format::Srt]);
    let mut plan = ExportPlan::new(deck, out_dir, source, out_dir, "captioned", &formats);
    plan.captions = Some(style(position));
    export_deck(&plan, &mut |_| {}, &CancelToken::new())
}

fn listing(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("list")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn captions_keep_the_video_and_change_only_the_caption_band() {
    let source = landscape();
    let dir = tempfile::tempdir().expect("tempdir");
    let deck = jfk_deck(11.0);
    let written = export(&source, &deck, dir.path(), CaptionPosition::Bottom).expect("exported");
    let mp4 = written.mp4.expect("an mp4");
    assert_eq!(mp4.audio, AudioMode::Copied, "the source's AAC is copied");

    let (before, after) = (probe(&source), probe(&mp4.path));
    let (s, o) = (&before["streams"][0], &after["streams"][0]);
    assert_eq!(o["codec_name"], "h264");
    assert_eq!((&o["width"], &o["height"]), (&s["width"], &s["height"]));
    assert_eq!(o["width"], 1280);
    assert_eq!(o["r_frame_rate"], "25/1");
    assert_eq!(o["avg_frame_rate"], s["avg_frame_rate"]);
    let frames = |stream: &serde_json::Value| -> i64 {
        stream["nb_read_frames"]
            .as_str()
            .and_then(|n| n.parse().ok())
            .expect("frame count")
    };
    assert!((frames(o) - frames(s)).abs() <= 1, "{o} vs {s}");
    let seconds = |probe: &serde_json::Value| -> f64 {
        probe["format"]["duration"]
            .as_str()
            .and_then(|d| d.parse().ok())
            .expect("duration")
    };
    assert!(
        (seconds(&after) - seconds(&before)).abs() <= 0.04 + 1e-6,
        "{after} vs {before}"
    );

    let (width, height) = (1280usize, 720usize);
    let (_, band_top, _, band_height) =
        caption_band(RenderSize::new(1280, 720), CaptionPosition::Bottom);
    let (band_top, band_bottom) = (band_top as usize, (band_top + band_height) as usize);
    for at in [1.0, 4.0, 8.0] {
        let (original, captioned) = (luma_at(&source, at), luma_at(&mp4.path, at));
        assert_eq!(original.len(), width * height);
        assert_eq!(captioned.len(), width * height);
        let above = psnr(&original, &captioned, width, 0..band_top, 0..width);
        assert!(
            above >= 30.0,
            "at {at} s the picture above the band: {above:.1} dB"
        );
        let below = psnr(&original, &captioned, width, band_bottom..height, 0..width);
        assert!(
            below >= 30.0,
            "at {at} s the picture below the band: {below:.1} dB"
        );
        // The caption box is centred: the middle of the band's lower part carries it.
        let inside = psnr(
            &original,
            &captioned,
            width,
            band_bottom - band_height as usize / 4..band_bottom,
            width / 2 - 100..width / 2 + 100,
        );
        assert!(
            inside < 20.0,
            "at {at} s the band shows no caption: {inside:.1} dB"
        );
    }
    // The subtitles come with it, one cue per slide.
    let srt = std::fs::read_to_string(dir.path().join("captioned.srt")).expect("srt");
    assert!(srt.contains("ask not what your"), "{srt}");
}

#[test]
fn portrait_captions_keep_clear_of_the_bottom_fifth() {
    let source = portrait();
    let dir = tempfile::tempdir().expect("tempdir");
    let deck = jfk_deck(4.0);
    let written = export(&source, &deck, dir.path(), CaptionPosition::Bottom).expect("exported");
    let mp4 = written.mp4.expect("an mp4");
    let (width, height) = (720usize, 1280usize);
    let fifth = height - height / 5;
    let (_, band_top, _, band_height) =
        caption_band(RenderSize::new(720, 1280), CaptionPosition::Bottom);
    assert!((band_top + band_height) as usize <= fifth);
    for at in [1.0, 3.5] {
        let (original, captioned) = (luma_at(&source, at), luma_at(&mp4.path, at));
        let bottom = psnr(&original, &captioned, width, fifth..height, 0..width);
        assert!(bottom >= 30.0, "at {at} s the bottom fifth: {bottom:.1} dB");
        let caption = psnr(
            &original,
            &captioned,
            width,
            fifth - 40..fifth,
            width / 2 - 60..width / 2 + 60,
        );
        assert!(
            caption < 20.0,
            "at {at} s no caption above the fifth: {caption:.1} dB"
        );
    }
}

#[test]
fn over_video_refuses_audio_only_and_undecodable_video_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let deck = jfk_deck(11.0);

    let error = export(&jfk_wav(), &deck, &out, CaptionPosition::Bottom).expect_err("no video");
    assert_eq!(error.kind(), ErrorKind::UnsupportedMedia);
    assert!(error.to_string().contains("jfk.wav"), "{error}");
    assert!(error.to_string().contains("no video"), "{error}");
    assert!(listing(&out).is_empty(), "{:?}", listing(&out));

    // The test pattern with every video packet's bytes overwritten: the container and the
    // audio are intact, the H.264 stream is not.
    let broken = dir.path().join("broken.mp4");
    let mut bytes = std::fs::read(landscape()).expect("read");
    let packets = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-select_streams", "v:0"])
        .args(["-show_entries", "packet=pos,size"])
        .arg(landscape())
        .output()
        .expect("ffprobe");
    let packets: serde_json::Value = serde_json::from_slice(&packets.stdout).expect("json");
    let number = |value: &serde_json::Value| -> usize {
        value.as_str().and_then(|v| v.parse().ok()).expect("number")
    };
    for packet in packets["packets"].as_array().expect("packets") {
        let (pos, size) = (number(&packet["pos"]), number(&packet["size"]));
        bytes[pos..pos + size].fill(0x5A);
    }
    std::fs::write(&broken, &bytes).expect("write");
    let error = export(&broken, &deck, &out, CaptionPosition::Bottom).expect_err("undecodable");
    assert_eq!(error.kind(), ErrorKind::CorruptMedia, "{error}");
    assert!(error.to_string().contains("broken.mp4"), "{error}");
    assert!(error.to_string().contains("cannot be decoded"), "{error}");
    assert!(listing(&out).is_empty(), "{:?}", listing(&out));
}
