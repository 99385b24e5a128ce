//! MP4 export, subtitles and background jobs against real media and the real FFmpeg tools:
//! probe what was written (codecs, colour tags, duration, frame timestamps), decode all of it,
//! compare frames with the slide PNGs, play it in headless Chromium, and check that cancel and
//! write failures leave nothing behind.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering;

use serde_json::Value;
use vsl_core::export::subtitles::{cues, to_srt, to_vtt};
use vsl_core::export::{
    export_mp4, write_subtitles, AudioMode, CueSource, ExportError, ExportOutcome, ExportRequest,
    SubtitleFormat,
};
use vsl_core::jobs::{run_protected, CancelToken, JobOutcome, Throttle};
use vsl_core::slides::{Slide, SlideDeck};

use crate::common::{generated, jfk_wav, run_tool};

/// Slide colours, distinct enough that a frame identifies its slide.
const COLOURS: [[u8; 3]; 6] = [
    [20, 24, 38],
    [200, 40, 60],
    [30, 140, 80],
    [240, 200, 40],
    [40, 90, 220],
    [250, 250, 250],
];

/// The JFK clip as AAC in M4A, as a phone or a DAW would deliver it.
fn jfk_m4a() -> PathBuf {
    generated("export_jfk_aac_v1.m4a", |out| {
        let wav = jfk_wav();
        run_tool(
            "ffmpeg",
            &[
                "-v",
                "error",
                "-y",
                "-i",
                wav.to_str().expect("path"),
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

/// A deck of flat-colour slides with text-like stripes (sharp edges, as text has), written as
/// PNGs into `dir`.
fn make_deck(dir: &Path, starts: &[f64], duration: f64, width: u32, height: u32) -> SlideDeck {
    let slides = starts
        .iter()
        .enumerate()
        .map(|(index, start)| {
            let background = COLOURS[index % COLOURS.len()];
            let ink = if background.iter().map(|c| u32::from(*c)).sum::<u32>() > 400 {
                [10, 10, 10]
            } else {
                [255, 255, 255]
            };
            let image = image::RgbImage::from_fn(width, height, |x, y| {
                // Three "lines of text": bars broken into glyph-like runs, offset per slide.
                let line = (y * 8 / height) as usize;
                let in_line = (2..=4).contains(&line) && (y * 8 % height) < height * 5 / 8;
                let glyph = !((x + index as u32 * 7) / (width / 40).max(2)).is_multiple_of(3);
                let margin = x > width / 10 && x < width * 9 / 10;
                image::Rgb(if in_line && glyph && margin {
                    ink
                } else {
                    background
                })
            });
            let name = format!("slide-{index:03}.png");
            image.save(dir.join(&name)).expect("save slide");
            let end = starts.get(index + 1).copied().unwrap_or(duration);
            Slide {
                index,
                start: *start,
                end,
                text: format!("Slide number {index}"),
                highlights: vec![],
                image: name,
                words: Vec::new(),
            }
        })
        .collect();
    SlideDeck {
        preset: "16:9".into(),
        theme: "test".into(),
        brand: Default::default(),
        width,
        height,
        duration,
        slides,
    }
}

fn export(
    deck: &SlideDeck,
    dir: &Path,
    audio: &Path,
    out: &Path,
    fps: Option<u32>,
) -> Result<ExportOutcome, ExportError> {
    let mut request = ExportRequest::new(deck, dir, audio, out);
    request.fps = fps;
    export_mp4(&request, &mut |_| {}, &CancelToken::new())
}

pub fn ffprobe_json(path: &Path, args: &[&str]) -> Value {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json"])
        .args(args)
        .arg(path)
        .output()
        .expect("ffprobe is needed (run `make setup`)");
    assert!(
        output.status.success(),
        "ffprobe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("ffprobe json")
}

fn number(value: &Value) -> f64 {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .or_else(|| value.as_f64())
        .unwrap_or(f64::NAN)
}

/// (pts seconds, is keyframe) of every video packet.
fn video_packets(path: &Path) -> Vec<(f64, bool)> {
    let probe = ffprobe_json(
        path,
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts_time,flags",
        ],
    );
    probe["packets"]
        .as_array()
        .expect("packets")
        .iter()
        .map(|packet| {
            (
                number(&packet["pts_time"]),
                packet["flags"].as_str().unwrap_or("").starts_with('K'),
            )
        })
        .collect()
}

fn streams(path: &Path) -> (Value, Value, f64) {
    let probe = ffprobe_json(
        path,
        &[
            "-show_entries",
            "stream=codec_type,codec_name,profile,pix_fmt,color_space,color_transfer,\
             color_primaries,color_range,r_frame_rate,avg_frame_rate,sample_rate,channels:\
             format=duration",
        ],
    );
    let find = |kind: &str| {
        probe["streams"]
            .as_array()
            .and_then(|streams| streams.iter().find(|s| s["codec_type"] == kind).cloned())
            .unwrap_or_else(|| panic!("no {kind} stream in {probe}"))
    };
    (
        find("video"),
        find("audio"),
        number(&probe["format"]["duration"]),
    )
}

/// Decodes every packet of both tracks with the ffmpeg CLI; returns what it printed.
fn decode_errors(path: &Path) -> String {
    let output = Command::new("ffmpeg")
        // The CLI's own re-timing of variable-frame-rate video for the null muxer prints
        // "non monotonically increasing dts"; keeping the input time base avoids that noise.
        .args(["-v", "error", "-xerror", "-i"])
        .arg(path)
        .args(["-enc_time_base:v", "-1", "-f", "null", "-"])
        .output()
        .expect("ffmpeg is needed (run `make setup`)");
    let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        text.push_str(&format!("\nexit status {}", output.status));
    }
    text
}

/// The RGB picture on screen at `time`: the last frame starting before it.
pub(crate) fn frame_at(path: &Path, time: f64, width: u32, height: u32) -> Vec<u8> {
    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args([
            "-map",
            "0:v",
            "-fps_mode",
            "passthrough",
            "-vf",
            &format!(
                "trim=end={time},scale=in_color_matrix=bt709:in_range=tv:out_range=pc,format=rgb24"
            ),
            "-f",
            "rawvideo",
            "-",
        ])
        .output()
        .expect("ffmpeg");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let size = (width * height * 3) as usize;
    assert!(output.stdout.len() >= size, "no frame before {time} s");
    output.stdout[output.stdout.len() - size..].to_vec()
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse = a
        .iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

fn slide_rgb(dir: &Path, slide: &Slide) -> Vec<u8> {
    image::open(dir.join(&slide.image))
        .expect("slide png")
        .to_rgb8()
        .into_raw()
}

fn assert_timestamps_match_slides(path: &Path, deck: &SlideDeck, max_gap: f64) {
    let packets = video_packets(path);
    let keyframes: Vec<f64> = packets.iter().filter(|p| p.1).map(|p| p.0).collect();
    let starts: Vec<f64> = deck.slides.iter().map(|s| s.start).collect();
    assert_eq!(keyframes.len(), starts.len(), "keyframes {keyframes:?}");
    for (keyframe, start) in keyframes.iter().zip(&starts) {
        assert!(
            (keyframe - start).abs() <= 0.001,
            "slide at {start} s became a keyframe at {keyframe} s"
        );
    }
    for pair in packets.windows(2) {
        assert!(pair[1].0 > pair[0].0, "timestamps not increasing: {pair:?}");
        assert!(pair[1].0 - pair[0].0 <= max_gap + 0.001, "gap {pair:?}");
    }
}

#[test]
fn aac_source_is_copied_and_slides_land_on_their_start_times() {
    let dir = tempfile::tempdir().expect("tempdir");
    let audio = jfk_m4a();
    let deck = make_deck(dir.path(), &[0.0, 1.7, 4.25, 7.9], 11.0, 640, 360);
    let out = dir.path().join("talk.mp4");
    let outcome = export(&deck, dir.path(), &audio, &out, None).expect("export");
    assert_eq!(outcome.audio, AudioMode::Copied);
    assert_eq!(outcome.path, out);
    assert_eq!(outcome.keyframes, 4);

    let (video, sound, duration) = streams(&out);
    assert_eq!(video["codec_name"], "h264");
    assert_eq!(video["pix_fmt"], "yuv420p");
    assert_eq!(video["color_space"], "bt709");
    assert_eq!(video["color_primaries"], "bt709");
    assert_eq!(video["color_transfer"], "bt709");
    assert_eq!(video["color_range"], "tv");
    assert_eq!(sound["codec_name"], "aac");
    let source_duration =
        number(&ffprobe_json(&audio, &["-show_entries", "format=duration"])["format"]["duration"]);
    assert!(
        (duration - source_duration).abs() <= 0.05,
        "file lasts {duration} s, audio {source_duration} s"
    );
    assert!((outcome.duration - duration).abs() < 0.01);
    assert_timestamps_match_slides(&out, &deck, vsl_core::export::DEFAULT_REPEAT_EVERY);

    // Stream copy: the audio packets are the source's, byte for byte.
    let audio_md5 = |path: &Path| {
        let output = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(path)
            .args(["-map", "0:a", "-c", "copy", "-f", "md5", "-"])
            .output()
            .expect("ffmpeg");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert_eq!(audio_md5(&out), audio_md5(&audio));
    // The index is at the front (faststart): "moov" before "mdat".
    let bytes = std::fs::read(&out).expect("read mp4");
    let find = |tag: &[u8]| bytes.windows(4).position(|w| w == tag).expect("atom");
    assert!(find(b"moov") < find(b"mdat"));
}

#[test]
fn decodes_cleanly_and_every_slide_shows_its_png() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deck = make_deck(dir.path(), &[0.0, 2.0, 3.1, 6.5, 9.0], 11.0, 1280, 720);
    let out = dir.path().join("talk.mp4");
    export(&deck, dir.path(), &jfk_m4a(), &out, None).expect("export");
    assert_eq!(decode_errors(&out), "");
    let pngs: Vec<Vec<u8>> = deck
        .slides
        .iter()
        .map(|s| slide_rgb(dir.path(), s))
        .collect();
    for slide in &deck.slides {
        let middle = (slide.start + slide.end) / 2.0;
        let frame = frame_at(&out, middle, deck.width, deck.height);
        let scores: Vec<f64> = pngs.iter().map(|png| psnr(&frame, png)).collect();
        assert!(
            scores[slide.index] >= 35.0,
            "slide {} at {middle} s: PSNR {:.1} dB",
            slide.index,
            scores[slide.index]
        );
        let best = scores
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(index, _)| index);
        assert_eq!(best, Some(slide.index), "scores {scores:?}");

        // Seeking the way `ffmpeg -ss` does (drop every frame before the target, show the
        // next) lands on this slide too, even just before the next one starts.
        let late = slide.end - 0.1;
        let output = Command::new("ffmpeg")
            .args(["-v", "error", "-ss", &late.to_string(), "-i"])
            .arg(&out)
            .args([
                "-frames:v",
                "1",
                "-vf",
                "scale=in_color_matrix=bt709:in_range=tv:out_range=pc,format=rgb24",
                "-f",
                "rawvideo",
                "-",
            ])
            .output()
            .expect("ffmpeg");
        let scores: Vec<f64> = pngs.iter().map(|png| psnr(&output.stdout, png)).collect();
        assert!(
            scores[slide.index] >= 35.0,
            "ffmpeg -ss {late}: slide {} PSNR {scores:?}",
            slide.index
        );
    }
}

#[test]
fn rendered_text_slides_keep_their_detail() {
    use vsl_core::render::{encode_png, RenderSize, Renderer, SlideStyle, Theme};
    let dir = tempfile::tempdir().expect("tempdir");
    let renderer = Renderer::new();
    let texts = [
        ("And so my fellow Americans,", Theme::classic()),
        (
            "ask not what your country can do for *you*, only *$97*",
            Theme::dark(),
        ),
        ("ask what you can do for your country.", Theme::classic()),
    ];
    let starts = [0.0, 3.29, 8.19];
    let mut deck = make_deck(dir.path(), &starts, 11.0, 1920, 1080);
    for ((slide, (text, theme)), start) in deck.slides.iter_mut().zip(texts).zip(starts) {
        let style = SlideStyle {
            theme,
            brand: Default::default(),
            size: RenderSize::FULL_HD,
            max_lines: 3,
        };
        let highlights = vsl_core::slides::auto_highlights(text, &[]);
        let image = renderer.render(text, &highlights, &style);
        std::fs::write(
            dir.path().join(&slide.image),
            encode_png(&image).expect("png"),
        )
        .expect("write png");
        slide.text = text.into();
        slide.start = start;
    }
    let out = dir.path().join("talk.mp4");
    export(&deck, dir.path(), &jfk_m4a(), &out, None).expect("export");
    assert_eq!(decode_errors(&out), "");
    for slide in &deck.slides {
        let middle = (slide.start + slide.end) / 2.0;
        let frame = frame_at(&out, middle, deck.width, deck.height);
        let score = psnr(&frame, &slide_rgb(dir.path(), slide));
        assert!(
            score >= 35.0,
            "slide {} ({}): PSNR {score:.1} dB",
            slide.index,
            slide.text
        );
    }
}

#[test]
fn wav_source_is_encoded_to_aac_of_the_same_length() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The first slide starts late: a frame in the first slide's background fills the gap.
    let deck = make_deck(dir.path(), &[0.33, 5.41], 11.0, 320, 180);
    let out = dir.path().join("talk.mp4");
    let outcome = export(&deck, dir.path(), &jfk_wav(), &out, None).expect("export");
    assert!(
        matches!(&outcome.audio, AudioMode::Encoded { from_codec, .. } if from_codec.contains("pcm")),
        "{:?}",
        outcome.audio
    );
    let (_, sound, duration) = streams(&out);
    assert_eq!(sound["codec_name"], "aac");
    assert_eq!(sound["sample_rate"], "16000");
    assert_eq!(sound["channels"], 1);
    assert!((duration - 11.0).abs() <= 0.05, "duration {duration}");
    assert_eq!(decode_errors(&out), "");
    let packets = video_packets(&out);
    assert_eq!(packets[0], (0.0, true));
    let keyframes: Vec<f64> = packets.iter().filter(|p| p.1).map(|p| p.0).collect();
    assert_eq!(keyframes, vec![0.0, 0.33, 5.41]);
    let lead_in = frame_at(&out, 0.1, deck.width, deck.height);
    let background = COLOURS[0];
    let centre = ((deck.height / 2 * deck.width + 4) * 3) as usize;
    for (channel, expected) in background.iter().enumerate() {
        assert!(
            lead_in[centre + channel].abs_diff(*expected) <= 4,
            "lead-in pixel {:?}",
            &lead_in[centre..centre + 3]
        );
    }
}

#[test]
fn constant_frame_rate_on_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deck = make_deck(dir.path(), &[0.0, 1.0, 2.5], 11.0, 320, 180);
    let out = dir.path().join("cfr.mp4");
    let outcome = export(&deck, dir.path(), &jfk_m4a(), &out, Some(25)).expect("export");
    let (video, _, duration) = streams(&out);
    assert_eq!(video["r_frame_rate"], "25/1");
    assert_eq!(video["avg_frame_rate"], "25/1");
    let packets = video_packets(&out);
    assert_eq!(packets.len() as u64, outcome.video_frames);
    assert_eq!(packets.len(), (duration * 25.0).ceil() as usize);
    for (index, (pts, _)) in packets.iter().enumerate() {
        assert!(
            (pts - index as f64 / 25.0).abs() < 1e-6,
            "frame {index} at {pts}"
        );
    }
    for slide in &deck.slides {
        let frame = (slide.start * 25.0).round() as usize;
        assert!(
            packets[frame].1,
            "no keyframe where slide {} starts",
            slide.index
        );
    }
    assert_eq!(decode_errors(&out), "");
}

#[test]
fn cancel_mid_export_leaves_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deck = make_deck(dir.path(), &[0.0, 3.0, 6.0], 11.0, 320, 180);
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = out_dir.path().join("talk.mp4");
    let cancel = CancelToken::new();
    let mut reports = 0;
    let audio = jfk_wav();
    let request = ExportRequest::new(&deck, dir.path(), &audio, &out);
    let error = export_mp4(
        &request,
        &mut |progress| {
            reports += 1;
            assert!(progress.frames_written <= progress.frames_total);
            cancel.store(true, Ordering::Relaxed);
        },
        &cancel,
    )
    .expect_err("cancelled");
    assert_eq!(error.kind(), "cancelled");
    assert!(reports >= 1);
    assert_eq!(std::fs::read_dir(out_dir.path()).expect("list").count(), 0);
}

#[test]
fn background_job_reports_progress_and_cancels_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deck = make_deck(dir.path(), &[0.0, 3.0, 6.0], 11.0, 320, 180);
    // As the front ends run a job: on a thread of its own, guarded, with a throttle.
    let run = |out: PathBuf, cancel_at_first_report: bool| {
        let deck = deck.clone();
        let deck_dir = dir.path().to_path_buf();
        let cancel = CancelToken::new();
        let job = std::thread::spawn({
            let cancel = cancel.clone();
            move || {
                let throttle = Throttle::new(std::time::Duration::ZERO);
                let mut last = None;
                let outcome = run_protected(&cancel, || {
                    let audio = jfk_wav();
                    let request = ExportRequest::new(&deck, &deck_dir, &audio, &out);
                    export_mp4(
                        &request,
                        &mut |progress| {
                            last = throttle.update(progress.fraction()).or(last);
                            if cancel_at_first_report {
                                // As a user pressing Cancel: from outside the stage.
                                cancel.cancel();
                            }
                        },
                        &cancel,
                    )
                });
                (outcome, last)
            }
        });
        job.join().expect("the job thread ends")
    };
    let out_dir = tempfile::tempdir().expect("tempdir");
    let (outcome, last) = run(out_dir.path().join("done.mp4"), false);
    match outcome {
        JobOutcome::Completed(outcome) => assert!(outcome.path.is_file()),
        other => panic!("export job: {other:?}"),
    }
    let last = last.expect("progress was reported");
    assert!((last.fraction - 1.0).abs() < 1e-9, "{last:?}");

    let (cancelled, _) = run(out_dir.path().join("cancelled.mp4"), true);
    assert!(matches!(cancelled, JobOutcome::Cancelled));
    let names: Vec<_> = std::fs::read_dir(out_dir.path())
        .expect("list")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("done.mp4")]);
}

#[test]
fn unwritable_destination_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deck = make_deck(dir.path(), &[0.0], 11.0, 320, 180);
    let missing = dir.path().join("no/such/folder/talk.mp4");
    let error = export(&deck, dir.path(), &jfk_wav(), &missing, None).expect_err("fails");
    assert_eq!(error.kind(), "output_folder");
    assert!(error.to_string().contains("no/such/folder"), "{error}");

    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").expect("write");
    let error =
        export(&deck, dir.path(), &jfk_wav(), &file.join("talk.mp4"), None).expect_err("fails");
    assert_eq!(error.kind(), "output_folder");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.path().join("locked");
        std::fs::create_dir(&locked).expect("mkdir");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        // Root ignores folder permissions; the check only means something for other users.
        if std::fs::write(locked.join("probe"), b"x").is_err() {
            let error = export(
                &deck,
                dir.path(),
                &jfk_wav(),
                &locked.join("talk.mp4"),
                None,
            )
            .expect_err("fails");
            assert_eq!(error.kind(), "output_folder", "{error}");
            assert_eq!(std::fs::read_dir(&locked).expect("list").count(), 0);
        }
    }
}

#[test]
fn existing_file_is_kept_unless_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deck = make_deck(dir.path(), &[0.0, 5.0], 11.0, 320, 180);
    let out = dir.path().join("talk.mp4");
    std::fs::write(&out, b"precious").expect("write");
    let error = export(&deck, dir.path(), &jfk_m4a(), &out, None).expect_err("refuses");
    assert_eq!(error.kind(), "exists");
    // The message names the file and quotes no CLI flag: the app shows it too.
    assert!(error.to_string().contains("talk.mp4"), "{error}");
    assert!(!error.to_string().contains("--"), "{error}");
    assert_eq!(std::fs::read(&out).expect("read"), b"precious");

    let audio = jfk_m4a();
    let mut request = ExportRequest::new(&deck, dir.path(), &audio, &out);
    request.overwrite = true;
    export_mp4(&request, &mut |_| {}, &CancelToken::new()).expect("overwrite");
    assert_eq!(streams(&out).0["codec_name"], "h264");
    let leftovers = std::fs::read_dir(dir.path())
        .expect("list")
        .filter(|entry| {
            entry
                .as_ref()
                .map(|e| e.file_name().to_string_lossy().ends_with(".part"))
                .unwrap_or(false)
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn bad_slides_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut deck = make_deck(dir.path(), &[0.0, 5.0], 11.0, 320, 180);
    std::fs::remove_file(dir.path().join(&deck.slides[1].image)).expect("remove");
    let out = dir.path().join("talk.mp4");
    let error = export(&deck, dir.path(), &jfk_m4a(), &out, None).expect_err("fails");
    assert_eq!(error.kind(), "slide_image");
    assert!(error.to_string().contains("slide-001.png"), "{error}");
    assert!(!out.exists());

    deck.width = 640;
    deck.height = 360;
    let error = export(&deck, dir.path(), &jfk_m4a(), &out, None).expect_err("fails");
    assert_eq!(error.kind(), "slide_size");
    assert!(error.to_string().contains("320x180"), "{error}");

    deck.width = 321;
    let error = export(&deck, dir.path(), &jfk_m4a(), &out, None).expect_err("fails");
    assert_eq!(error.kind(), "invalid_deck");
    deck.width = 320;
    deck.height = 180;
    let error =
        export(&deck, dir.path(), &dir.path().join("none.wav"), &out, None).expect_err("fails");
    assert_eq!(error.kind(), "not_found");
    assert!(error.to_string().contains("none.wav"), "{error}");
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path())
            .expect("list")
            .filter(|e| e
                .as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with('.')))
            .count(),
        0
    );
}

/// Parses SRT or WebVTT cues back: (start, end, text).
fn parse_cues(text: &str) -> Vec<(f64, f64, String)> {
    let seconds = |stamp: &str| {
        let stamp = stamp.trim().replace(',', ".");
        let parts: Vec<f64> = stamp
            .split(':')
            .map(|p| p.parse().expect("number"))
            .collect();
        parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
    };
    text.split("\n\n")
        .filter_map(|block| {
            let mut lines = block.lines().skip_while(|line| !line.contains("-->"));
            let timing = lines.next()?;
            let (start, end) = timing.split_once("-->")?;
            let text = lines.collect::<Vec<_>>().join("\n");
            Some((seconds(start), seconds(end), text))
        })
        .collect()
}

#[test]
fn subtitles_parse_back_to_the_slides_and_ffmpeg_reads_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut deck = make_deck(dir.path(), &[0.0, 1.7, 4.25, 7.9], 11.0, 320, 180);
    deck.slides[2].text = "Ask not what\nyour country & you".into();
    for format in [SubtitleFormat::Srt, SubtitleFormat::Vtt] {
        let path = dir.path().join(format!("talk.{}", format.extension()));
        write_subtitles(&path, format, CueSource::Slides(&deck), false).expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        let parsed = parse_cues(&text);
        assert_eq!(parsed.len(), deck.slides.len(), "{text}");
        for (cue, slide) in parsed.iter().zip(&deck.slides) {
            assert!((cue.0 - slide.start).abs() < 0.0005 && (cue.1 - slide.end).abs() < 0.0005);
            let expected = if format == SubtitleFormat::Vtt {
                slide.text.replace('&', "&amp;")
            } else {
                slide.text.clone()
            };
            assert_eq!(cue.2, expected);
        }
        // FFmpeg's own parser sees one subtitle event per slide, at the slide's start.
        let probe = ffprobe_json(&path, &["-show_entries", "packet=pts_time"]);
        let starts: Vec<f64> = probe["packets"]
            .as_array()
            .expect("packets")
            .iter()
            .map(|packet| number(&packet["pts_time"]))
            .collect();
        let expected: Vec<f64> = deck.slides.iter().map(|s| s.start).collect();
        assert_eq!(starts, expected, "{}", path.display());
        // And converts it to SRT with the same cues.
        let output = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-f", "srt", "-"])
            .output()
            .expect("ffmpeg");
        assert!(
            output.status.success() && output.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let converted = parse_cues(&String::from_utf8_lossy(&output.stdout));
        let times = |cues: &[(f64, f64, String)]| -> Vec<(f64, f64)> {
            cues.iter().map(|cue| (cue.0, cue.1)).collect()
        };
        assert_eq!(times(&converted), times(&parsed));
        assert_eq!(converted[2].2, deck.slides[2].text);
    }
    // The same cue list feeds both formats.
    let cues = cues(CueSource::Slides(&deck));
    assert_eq!(
        parse_cues(&to_srt(&cues)).len(),
        parse_cues(&to_vtt(&cues)).len()
    );
}

/// A loopback HTTP/1.1 server for one folder with byte-range support (what browsers need to
/// seek in a video; Python's http.server lacks it). Serves until the test process ends.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || {
                // A broken connection only ends that request.
                let _ = handle(stream, &root);
            });
        }
    });
    format!("http://{address}")
}

fn handle(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut range: Option<(u64, Option<u64>)> = None;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            let header = header.trim();
            if header.is_empty() {
                break;
            }
            if let Some(value) = header.to_ascii_lowercase().strip_prefix("range: bytes=") {
                if let Some((start, end)) = value.split_once('-') {
                    range = start.parse().ok().map(|start| (start, end.parse().ok()));
                }
            }
        }
        let path = request_line.split_whitespace().nth(1).unwrap_or("/");
        let name = path.trim_start_matches('/');
        let file = root.join(if name.is_empty() { "index.html" } else { name });
        let Ok(body) = std::fs::read(&file) else {
            stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        };
        let kind = if name.ends_with(".mp4") {
            "video/mp4"
        } else {
            "text/html"
        };
        let total = body.len() as u64;
        let (status, start, end) = match range {
            Some((start, end)) if start < total => (
                "206 Partial Content",
                start,
                end.unwrap_or(total - 1).min(total - 1),
            ),
            _ => ("200 OK", 0, total.saturating_sub(1)),
        };
        let mut head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nAccept-Ranges: bytes\r\n\
             Content-Length: {}\r\n",
            end + 1 - start
        );
        if status.starts_with("206") {
            head.push_str(&format!("Content-Range: bytes {start}-{end}/{total}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(&body[start as usize..=end as usize])?;
    }
}

/// Loads `page` in headless Chromium and returns the text of `#result` once the page's
/// script has written it.
fn chromium_result(url: &str) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let output = Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--mute-audio",
            "--autoplay-policy=no-user-gesture-required",
            "--virtual-time-budget=20000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", url])
        .output()
        .expect("chromium is needed for this test (run `make setup`)");
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    let start = dom
        .find("<pre id=\"result\">")
        .map(|i| i + "<pre id=\"result\">".len());
    let end = dom.find("</pre>");
    match (start, end) {
        (Some(start), Some(end)) if start <= end => dom[start..end].to_owned(),
        _ => panic!(
            "no result in Chromium's DOM: {dom}\n{}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

const SEEK_PAGE: &str = r#"<!doctype html>
<html><body><video id="v" muted preload="auto" src="/talk.mp4"></video>
<canvas id="c" width="64" height="36"></canvas><pre id="result"></pre>
<script>
const v = document.getElementById('v');
const out = document.getElementById('result');
const done = (text) => { out.textContent = text; };
v.addEventListener('error', () => done('error ' + (v.error && v.error.code) + ' ' + (v.error && v.error.message)));
v.addEventListener('loadedmetadata', () => { v.currentTime = v.duration / 2; });
v.addEventListener('seeked', () => {
  // Give the decoder a moment to put the frame on screen, then read its colour.
  setTimeout(() => {
    const c = document.getElementById('c').getContext('2d');
    c.drawImage(v, 0, 0, 64, 36);
    const p = c.getImageData(2, 2, 1, 1).data;
    done(JSON.stringify({duration: v.duration, time: v.currentTime, ready: v.readyState,
                         rgb: [p[0], p[1], p[2]]}));
  }, 500);
});
setTimeout(() => { if (!out.textContent) done('timeout ready=' + v.readyState); }, 15000);
</script></body></html>"#;

#[test]
fn plays_and_seeks_in_headless_chromium() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The middle of the 11 s clip (5.5 s) falls inside slide 2, which started at 4.25 s.
    let deck = make_deck(dir.path(), &[0.0, 1.7, 4.25, 7.9], 11.0, 640, 360);
    export(
        &deck,
        dir.path(),
        &jfk_m4a(),
        &dir.path().join("talk.mp4"),
        None,
    )
    .expect("export");
    std::fs::write(dir.path().join("index.html"), SEEK_PAGE).expect("page");
    let base = serve(dir.path().to_path_buf());
    let text = chromium_result(&format!("{base}/index.html"));
    let result: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("Chromium reported: {text}"));
    let duration = result["duration"].as_f64().expect("duration");
    let time = result["time"].as_f64().expect("time");
    assert!((duration - 11.0).abs() < 0.1, "{result}");
    assert!((time - duration / 2.0).abs() < 0.01, "{result}");
    // HAVE_CURRENT_DATA or better: the frame at the new position is decoded.
    assert!(
        result["ready"].as_u64().expect("readyState") >= 2,
        "{result}"
    );
    let rgb: Vec<u64> = result["rgb"]
        .as_array()
        .expect("rgb")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    let expected = COLOURS[2];
    for (got, want) in rgb.iter().zip(expected) {
        assert!(
            got.abs_diff(u64::from(want)) <= 12,
            "{result}: expected {expected:?}"
        );
    }
}

#[test]
fn range_server_serves_partial_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.mp4"), b"0123456789").expect("write");
    let base = serve(dir.path().to_path_buf());
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .write_all(b"GET /a.mp4 HTTP/1.1\r\nHost: x\r\nRange: bytes=3-5\r\n\r\n")
        .expect("send");
    let mut response = vec![0u8; 4096];
    let mut read = 0;
    while !String::from_utf8_lossy(&response[..read]).ends_with("345") {
        let count = stream.read(&mut response[read..]).expect("read");
        assert!(count > 0, "{}", String::from_utf8_lossy(&response[..read]));
        read += count;
    }
    let text = String::from_utf8_lossy(&response[..read]);
    assert!(text.starts_with("HTTP/1.1 206"), "{text}");
    assert!(text.contains("Content-Range: bytes 3-5/10"), "{text}");
}
