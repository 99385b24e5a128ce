//! `vsl run` and `vsl export` end to end: a real model, real audio, the real binary; a disk
//! that fills up mid-export; re-exporting after the slides were edited.

#![allow(clippy::disallowed_methods)] // fixtures are written directly

mod common;

use common::{test_data, text, tiny_models as models, vsl_at};

use std::path::{Path, PathBuf};
use std::process::Command;

/// ffprobe's JSON for the first video stream.
fn probe(path: &Path, entries: &str) -> serde_json::Value {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-select_streams", "v:0"])
        .args(["-show_entries", entries])
        .arg(path)
        .output()
        .expect("ffprobe is needed (run `make setup`)");
    assert!(output.status.success(), "{}", text(&output));
    serde_json::from_slice(&output.stdout).expect("json")
}

fn keyframe_times(path: &Path) -> Vec<f64> {
    let packets = probe(path, "packet=pts_time,flags");
    packets["packets"]
        .as_array()
        .expect("packets")
        .iter()
        .filter(|p| p["flags"].as_str().is_some_and(|f| f.starts_with('K')))
        .filter_map(|p| p["pts_time"].as_str().and_then(|t| t.parse().ok()))
        .collect()
}

/// Two flat 320x180 slides and their slides.json, made with the ffmpeg CLI.
fn small_deck(dir: &Path) -> PathBuf {
    for (index, colour) in ["red", "navy"].iter().enumerate() {
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
            .arg(format!("color=c={colour}:s=320x180"))
            .args(["-frames:v", "1"])
            .arg(dir.join(format!("slide-{index}.png")))
            .status()
            .expect("ffmpeg");
        assert!(status.success());
    }
    let deck = serde_json::json!({
        "preset": "16:9", "theme": "test", "width": 320, "height": 180, "duration": 11.0,
        "slides": [
            {"index": 0, "start": 0.0, "end": 4.0, "text": "Ask not", "highlights": [], "image": "slide-0.png"},
            {"index": 1, "start": 4.0, "end": 11.0, "text": "what your country", "highlights": [], "image": "slide-1.png"}
        ]
    });
    let path = dir.join("slides.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&deck).expect("json")).expect("write");
    path
}

fn vsl(home: &Path) -> Command {
    let mut command = vsl_at(home);
    command.env("VSL_MODELS_DIR", models());
    command
}

#[test]
fn run_writes_every_output_and_export_reexports_after_an_edit() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = home.path().join("out");
    let input = test_data().join("jfk.wav");
    // The same `vsl run` twice: the second must refuse to replace the first's outputs.
    let run_jfk = || {
        vsl(home.path())
            .arg("run")
            .arg(&input)
            .args([
                "--model",
                "tiny.en",
                "--language",
                "en",
                "--size",
                "640x360",
                "--out",
            ])
            .arg(&out)
            .output()
            .expect("run")
    };
    let output = run_jfk();
    assert!(output.status.success(), "{}", text(&output));
    let summary = text(&output);
    for stage in [
        "decode",
        "transcribe",
        "render",
        "export",
        "real-time factor",
    ] {
        assert!(summary.contains(stage), "no {stage} in: {summary}");
    }
    for name in [
        "jfk.mp4",
        "jfk.srt",
        "jfk.vtt",
        "jfk.txt",
        "jfk.json",
        "jfk_slides/slides.json",
    ] {
        assert!(out.join(name).is_file(), "{name} missing: {summary}");
    }
    let txt = std::fs::read_to_string(out.join("jfk.txt")).expect("txt");
    assert!(
        txt.to_lowercase().contains("ask not what your country"),
        "{txt}"
    );
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("jfk.json")).expect("json")).expect("json");
    assert_eq!(bundle["transcript"]["language"], "en");
    let deck_path = out.join("jfk_slides/slides.json");
    let mut deck: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&deck_path).expect("deck")).expect("deck");
    assert_eq!(bundle["slides"], deck);
    let slides = deck["slides"].as_array().expect("slides").len();
    assert!(slides >= 2, "{deck}");
    let starts: Vec<f64> = deck["slides"]
        .as_array()
        .expect("slides")
        .iter()
        .filter_map(|s| s["start"].as_f64())
        .collect();
    let keyframes = keyframe_times(&out.join("jfk.mp4"));
    assert_eq!(keyframes.len(), starts.len());
    for (keyframe, start) in keyframes.iter().zip(&starts) {
        assert!(
            (keyframe - start).abs() <= 0.001,
            "{keyframes:?} vs {starts:?}"
        );
    }
    let srt = std::fs::read_to_string(out.join("jfk.srt")).expect("srt");
    assert_eq!(srt.matches(" --> ").count(), slides);

    // A second run without --overwrite refuses before transcribing and keeps everything.
    let before = std::fs::read(out.join("jfk.mp4")).expect("mp4");
    let again = run_jfk();
    assert!(!again.status.success());
    assert!(text(&again).contains("--overwrite"), "{}", text(&again));
    assert_eq!(std::fs::read(out.join("jfk.mp4")).expect("mp4"), before);

    // Edit the timing of the second slide and export again without transcribing.
    let moved = starts[1] + 0.5;
    deck["slides"][1]["start"] = moved.into();
    deck["slides"][0]["end"] = moved.into();
    std::fs::write(&deck_path, serde_json::to_vec_pretty(&deck).expect("json")).expect("edit");
    let edited = out.join("edited.mp4");
    let output = vsl(home.path())
        .arg("export")
        .arg(&deck_path)
        .arg("--audio")
        .arg(&input)
        .arg("--out")
        .arg(&edited)
        .args(["--formats", "mp4,srt"])
        .output()
        .expect("export");
    assert!(output.status.success(), "{}", text(&output));
    let keyframes = keyframe_times(&edited);
    assert!(
        (keyframes[1] - moved).abs() <= 0.001,
        "{keyframes:?}, moved to {moved}"
    );
    let srt = std::fs::read_to_string(out.join("edited.srt")).expect("srt");
    assert_eq!(srt.matches(" --> ").count(), slides);
}

#[test]
fn export_with_constant_frame_rate_and_subtitles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deck = small_deck(dir.path());
    let out = dir.path().join("video.mp4");
    let output = vsl(dir.path())
        .arg("export")
        .arg(&deck)
        .arg("--audio")
        .arg(test_data().join("jfk.wav"))
        .arg("--out")
        .arg(&out)
        .args(["--fps", "30", "--formats", "mp4,srt,vtt,txt"])
        .output()
        .expect("export");
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("real time"), "{}", text(&output));
    let streams = probe(
        &out,
        "stream=codec_name,r_frame_rate,avg_frame_rate,nb_frames",
    );
    let video = &streams["streams"][0];
    assert_eq!(video["codec_name"], "h264");
    assert_eq!(video["avg_frame_rate"], "30/1");
    assert_eq!(video["nb_frames"], "330");
    assert_eq!(keyframe_times(&out)[..2], [0.0, 4.0]);
    let vtt = std::fs::read_to_string(dir.path().join("video.vtt")).expect("vtt");
    assert!(vtt.starts_with("WEBVTT") && vtt.contains("00:00:04.000 --> 00:00:11.000"));
    let txt = std::fs::read_to_string(dir.path().join("video.txt")).expect("txt");
    assert_eq!(txt, "Ask not\n\nwhat your country\n");
}

#[test]
fn export_mixes_a_music_bed_and_refuses_a_file_that_is_not_audio() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deck = small_deck(dir.path());
    let tone = dir.path().join("bed.wav");
    let status = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=220:duration=3",
        ])
        .args(["-ac", "2"])
        .arg(&tone)
        .status()
        .expect("ffmpeg");
    assert!(status.success());
    let out = dir.path().join("video.mp4");
    let output = vsl(dir.path())
        .arg("export")
        .arg(&deck)
        .arg("--audio")
        .arg(test_data().join("jfk.wav"))
        .arg("--music")
        .arg(&tone)
        .args(["--music-volume", "0.2", "--loudness", "-16"])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("export");
    assert!(output.status.success(), "{}", text(&output));
    let summary = text(&output);
    assert!(summary.contains("with music"), "{summary}");
    assert!(summary.contains("(target -16)"), "{summary}");
    let audio = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-select_streams", "a:0"])
        .args([
            "-show_entries",
            "stream=codec_name,channels:format=duration",
        ])
        .arg(&out)
        .output()
        .expect("ffprobe");
    let audio: serde_json::Value = serde_json::from_slice(&audio.stdout).expect("json");
    assert_eq!(audio["streams"][0]["codec_name"], "aac");
    assert_eq!(audio["streams"][0]["channels"], 2);
    let duration: f64 = audio["format"]["duration"]
        .as_str()
        .and_then(|text| text.parse().ok())
        .expect("duration");
    assert!((duration - 11.0).abs() < 0.05, "{duration}");

    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "la la la\n").expect("write");
    let refused = dir.path().join("refused.mp4");
    let output = vsl(dir.path())
        .arg("export")
        .arg(&deck)
        .arg("--audio")
        .arg(test_data().join("jfk.wav"))
        .arg("--music")
        .arg(&notes)
        .arg("--out")
        .arg(&refused)
        .output()
        .expect("export");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(text(&output).contains("notes.txt"), "{}", text(&output));
    assert!(text(&output).contains("music"), "{}", text(&output));
    assert!(!refused.exists());
    for bad in ["--loudness=loud", "--music-volume=2"] {
        let output = vsl(dir.path())
            .arg("export")
            .arg(&deck)
            .arg("--audio")
            .arg(test_data().join("jfk.wav"))
            .arg(bad)
            .arg("--out")
            .arg(&refused)
            .output()
            .expect("export");
        assert_eq!(output.status.code(), Some(1), "{bad}: {}", text(&output));
        assert!(!refused.exists());
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deck = small_deck(dir.path());
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    // A 50 KiB file size limit stands in for a full disk: writes past it fail with EFBIG
    // (SIGXFSZ is ignored so the write fails instead of the process dying).
    let script = format!(
        "trap '' XFSZ; ulimit -f 50; exec \"$0\" export {} --audio {} --out {} --fps 30",
        deck.display(),
        test_data().join("jfk.wav").display(),
        out_dir.join("video.mp4").display()
    );
    let output = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_vsl"))
        .env("VSL_MODELS_DIR", models())
        .output()
        .expect("sh");
    assert!(!output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("disk is full"), "{}", text(&output));
    assert!(text(&output).contains("video.mp4"), "{}", text(&output));
    let left: Vec<_> = std::fs::read_dir(&out_dir)
        .expect("list")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn export_refuses_to_replace_without_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deck = small_deck(dir.path());
    let out = dir.path().join("video.mp4");
    std::fs::write(dir.path().join("video.srt"), "keep me").expect("write");
    let output = vsl(dir.path())
        .arg("export")
        .arg(&deck)
        .arg("--audio")
        .arg(test_data().join("jfk.wav"))
        .arg("--out")
        .arg(&out)
        .args(["--formats", "mp4,srt"])
        .output()
        .expect("export");
    assert!(!output.status.success());
    assert!(
        text(&output).contains("already exists"),
        "{}",
        text(&output)
    );
    // Refused before exporting: no MP4 either, and the subtitle file is untouched.
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("video.srt")).expect("srt"),
        "keep me"
    );
    let output = vsl(dir.path())
        .arg("export")
        .arg(&deck)
        .arg("--audio")
        .arg(test_data().join("jfk.wav"))
        .arg("--out")
        .arg(&out)
        .args(["--formats", "mp4,srt", "--overwrite"])
        .output()
        .expect("export");
    assert!(output.status.success(), "{}", text(&output));
    assert!(std::fs::read_to_string(dir.path().join("video.srt"))
        .expect("srt")
        .contains("Ask not"));
}

#[test]
fn run_with_a_script_shows_its_words_and_reports_what_was_skipped() {
    let home = tempfile::tempdir().expect("tempdir");
    let script = home.path().join("jfk-script.docx");
    // A Word document, as copywriters deliver them: one paragraph a phrase, bold highlights.
    {
        use docx_rs::{Docx, Paragraph, Run};
        let file = std::fs::File::create(&script).expect("created");
        Docx::new()
            .add_paragraph(
                Paragraph::new().add_run(Run::new().add_text("And so, my fellow Americans,")),
            )
            .add_paragraph(
                Paragraph::new()
                    .add_run(Run::new().add_text("ask "))
                    .add_run(Run::new().add_text("NOT").bold())
                    .add_run(Run::new().add_text(" what your country can do for you,")),
            )
            .add_paragraph(Paragraph::new().add_run(
                Run::new().add_text("Order today and get the bonus worth ninety dollars."),
            ))
            .add_paragraph(
                Paragraph::new()
                    .add_run(Run::new().add_text("ask what you can do for your country.")),
            )
            .build()
            .pack(file)
            .expect("packed");
    }
    let out = home.path().join("out");
    let output = vsl(home.path())
        .arg("run")
        .arg(test_data().join("jfk.wav"))
        .args(["--model", "tiny.en", "--formats", "srt", "--script"])
        .arg(&script)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", text(&output));
    let report = text(&output);
    assert!(report.contains("script jfk-script.docx"), "{report}");
    assert!(report.contains("skipped line 3: Order today"), "{report}");
    let srt = std::fs::read_to_string(out.join("jfk.srt")).expect("srt");
    assert!(srt.contains("NOT"), "the script's capitals: {srt}");
    assert!(
        !srt.contains("Order today"),
        "a skipped line is not shown: {srt}"
    );
    assert!(out.join("jfk_slides/alignment.json").is_file());

    // `vsl slides --script` makes slides of the same words from a transcript.
    let transcript = home.path().join("t");
    let transcribed = vsl(home.path())
        .arg("transcribe")
        .arg(test_data().join("jfk.wav"))
        .args(["--model", "tiny.en", "--out"])
        .arg(&transcript)
        .output()
        .expect("transcribe");
    assert!(transcribed.status.success(), "{}", text(&transcribed));
    let slides = home.path().join("slides");
    let made = vsl(home.path())
        .arg("slides")
        .arg(transcript.join("jfk.json"))
        .arg("--script")
        .arg(&script)
        .arg("--out")
        .arg(&slides)
        .output()
        .expect("slides");
    assert!(made.status.success(), "{}", text(&made));
    let words = |path: PathBuf| -> Vec<String> {
        let deck: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).expect("deck")).expect("json");
        deck["slides"]
            .as_array()
            .expect("slides")
            .iter()
            .flat_map(|slide| {
                let text = slide["text"].as_str().expect("text").replace('*', "");
                text.split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let spoken: Vec<String> = "And so, my fellow Americans, ask NOT what your country can do for you, ask what you can do for your country."
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(words(out.join("jfk_slides/slides.json")), spoken);
    assert_eq!(words(slides.join("slides.json")), spoken);

    // A script in no format VSL Studio reads is refused before anything runs.
    let bad = home.path().join("notes.pdf");
    std::fs::write(&bad, b"%PDF-1.4").expect("written");
    let refused = vsl(home.path())
        .arg("run")
        .arg(test_data().join("jfk.wav"))
        .args(["--model", "tiny.en", "--script"])
        .arg(&bad)
        .arg("--out")
        .arg(home.path().join("refused"))
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused).contains("notes.pdf"), "{}", text(&refused));
    assert!(!home.path().join("refused").exists());
}

#[test]
fn export_reads_the_deck_file_it_is_given_and_says_each_thing_once() {
    let home = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("edited.json");
    let output = vsl(home.path())
        .arg("export")
        .arg(&missing)
        .arg("--audio")
        .arg(test_data().join("jfk.wav"))
        .arg("--out")
        .arg(dir.path().join("out.mp4"))
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .expect("error line");
    // The file named, not a slides.json beside it; the reason said once.
    assert!(line.contains(&*missing.to_string_lossy()), "{line}");
    assert_eq!(line.matches("edited.json").count(), 1, "{line}");
    assert_eq!(line.matches("No such file").count(), 1, "{line}");

    // A deck under another name is exported from its own folder's images.
    let deck = small_deck(dir.path());
    std::fs::rename(&deck, &missing).expect("rename");
    let output = vsl(home.path())
        .arg("export")
        .arg(&missing)
        .arg("--audio")
        .arg(test_data().join("jfk.wav"))
        .arg("--out")
        .arg(dir.path().join("out.mp4"))
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("out.mp4").is_file());
}

/// A 640x360, 25 fps test pattern with the JFK clip as its AAC track, written into `dir`.
fn pattern_video(dir: &Path, size: &str) -> PathBuf {
    let path = dir.join("talk.mp4");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={size}:rate=25"))
        .arg("-i")
        .arg(test_data().join("jfk.wav"))
        .args(["-t", "11", "-c:v", "libx264", "-preset", "veryfast"])
        .args(["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k"])
        .arg(&path)
        .status()
        .expect("ffmpeg");
    assert!(status.success());
    path
}

/// A deck in the classic theme for the JFK clip (captions need a theme the CLI knows).
fn caption_deck(dir: &Path) -> PathBuf {
    let deck = small_deck(dir);
    let text = std::fs::read_to_string(&deck)
        .expect("deck")
        .replace("\"test\"", "\"classic\"");
    std::fs::write(&deck, text).expect("write");
    deck
}

#[test]
fn run_over_video_captions_the_source_and_export_redoes_it() {
    let home = tempfile::tempdir().expect("tempdir");
    let input = pattern_video(home.path(), "640x360");
    let out = home.path().join("out");
    let output = vsl(home.path())
        .arg("run")
        .arg(&input)
        .args(["--over-video", "--caption-position", "top"])
        .args([
            "--model",
            "tiny.en",
            "--language",
            "en",
            "--formats",
            "mp4,srt",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", text(&output));
    let video = out.join("talk.mp4");
    let stream = &probe(&video, "stream=width,height,r_frame_rate")["streams"][0];
    assert_eq!(
        (&stream["width"], &stream["height"]),
        (&640.into(), &360.into())
    );
    assert_eq!(stream["r_frame_rate"], "25/1");
    let srt = std::fs::read_to_string(out.join("talk.srt")).expect("srt");
    assert!(srt.to_lowercase().contains("ask not"), "{srt}");

    // After an edit the deck is exported over the video again, at the bottom this time.
    let again = out.join("again.mp4");
    let output = vsl(home.path())
        .arg("export")
        .arg(out.join("talk_slides/slides.json"))
        .arg("--audio")
        .arg(&input)
        .arg("--over-video")
        .arg("--out")
        .arg(&again)
        .output()
        .expect("export");
    assert!(output.status.success(), "{}", text(&output));
    let stream = &probe(&again, "stream=width,height,r_frame_rate")["streams"][0];
    assert_eq!(
        (&stream["width"], &stream["height"]),
        (&640.into(), &360.into())
    );
    assert!(text(&output).contains("audio copied"), "{}", text(&output));
}

#[test]
fn over_video_refuses_an_audio_only_input_naming_it_and_writes_nothing() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = home.path().join("out");
    let output = vsl(home.path())
        .arg("run")
        .arg(test_data().join("jfk.wav"))
        .args(["--over-video", "--model", "tiny.en", "--out"])
        .arg(&out)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let message = text(&output);
    assert!(
        message.contains("jfk.wav") && message.contains("no video"),
        "{message}"
    );
    // Refused before the transcription: not even the slides were written.
    assert!(!out.join("jfk_slides").exists(), "{message}");
    assert!(!out.join("jfk.mp4").exists());

    let deck = caption_deck(home.path());
    let refused = home.path().join("refused.mp4");
    let output = vsl(home.path())
        .arg("export")
        .arg(&deck)
        .arg("--audio")
        .arg(test_data().join("jfk.wav"))
        .arg("--over-video")
        .arg("--out")
        .arg(&refused)
        .output()
        .expect("export");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(text(&output).contains("jfk.wav"), "{}", text(&output));
    assert!(!refused.exists());
}

#[test]
fn a_full_disk_during_an_over_video_export_is_a_clear_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deck = caption_deck(dir.path());
    let input = pattern_video(dir.path(), "1280x720");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    // As above: a 200 KiB file size limit fails the writes partway through the video.
    let script = format!(
        "trap '' XFSZ; ulimit -f 200; exec \"$0\" export {} --audio {} --over-video --out {}",
        deck.display(),
        input.display(),
        out_dir.join("video.mp4").display()
    );
    let output = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_vsl"))
        .env("VSL_MODELS_DIR", models())
        .output()
        .expect("sh");
    assert!(!output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("disk is full"), "{}", text(&output));
    assert!(text(&output).contains("video.mp4"), "{}", text(&output));
    let left: Vec<_> = std::fs::read_dir(&out_dir)
        .expect("list")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_look_imported_with_vsl_looks_restyles_a_deck_on_export_with_its_ass() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deck = small_deck(dir.path());
    // A look folder: dark colours and a progress bar.
    let look = dir.path().join("brand");
    std::fs::create_dir_all(&look).expect("look dir");
    std::fs::write(
        look.join("look.toml"),
        "name = \"Minha Marca\"\n[colors]\nbackground = \"#101820\"\ntext = \"#FFFFFF\"\n[progress]\ncolor = \"#00FF88\"\n",
    )
    .expect("look.toml");
    let imported = vsl(dir.path())
        .args(["looks", "import"])
        .arg(&look)
        .output()
        .expect("import");
    assert!(imported.status.success(), "{}", text(&imported));
    assert!(
        text(&imported).contains("minha-marca"),
        "{}",
        text(&imported)
    );
    let listed = vsl(dir.path())
        .args(["looks", "list"])
        .output()
        .expect("list");
    assert!(text(&listed).contains("minha-marca"), "{}", text(&listed));
    std::fs::remove_dir_all(&look).expect("the original can go");

    let out = dir.path().join("branded.mp4");
    let output = vsl(dir.path())
        .arg("export")
        .arg(&deck)
        .arg("--audio")
        .arg(test_data().join("jfk.wav"))
        .arg("--out")
        .arg(&out)
        .args(["--look", "minha-marca", "--formats", "mp4,ass"])
        .output()
        .expect("export");
    assert!(output.status.success(), "{}", text(&output));
    // The deck was drawn again in the look and records it; its text and times are kept.
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&deck).expect("deck")).expect("json");
    assert_eq!(saved["theme"], "minha-marca");
    assert_eq!(saved["slides"][1]["start"], 4.0);
    assert!(saved["brand"]["progress"].is_object(), "{saved}");
    let image = dir
        .path()
        .join(saved["slides"][0]["image"].as_str().expect("image"));
    let corner = image::open(&image)
        .expect("png")
        .to_rgb8()
        .get_pixel(4, 4)
        .0;
    assert_eq!(corner, [0x10, 0x18, 0x20], "the look's background");
    // The bar is drawn over the picture: the video gets a frame at least every 0.5 s.
    let frames = probe(&out, "stream=nb_frames");
    let count: usize = frames["streams"][0]["nb_frames"]
        .as_str()
        .expect("frames")
        .parse()
        .expect("n");
    assert!(count >= 22, "{count} frames over 11 s");
    let ass = std::fs::read_to_string(dir.path().join("branded.ass")).expect("ass");
    assert!(
        ass.contains("Dialogue: 0,0:00:04.00,0:00:11.00,Default,,0,0,0,,what your country"),
        "{ass}"
    );
    // An unknown look is refused naming it, and the deck is left as it was.
    let before = std::fs::read(&deck).expect("deck");
    let refused = vsl(dir.path())
        .arg("export")
        .arg(&deck)
        .arg("--audio")
        .arg(test_data().join("jfk.wav"))
        .arg("--out")
        .arg(dir.path().join("other.mp4"))
        .args(["--look", "nowhere"])
        .output()
        .expect("export");
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused).contains("unknown look 'nowhere'"),
        "{}",
        text(&refused)
    );
    assert_eq!(std::fs::read(&deck).expect("deck"), before);
}
