use std::fs;
use vsl_core::jobs::CancelToken;

use vsl_core::media::{self, MediaError};

use crate::common::{jfk_wav, test_data};

#[test]
fn decodes_wav_and_mp3_to_16k_mono() {
    let wav = media::decode(&jfk_wav(), &CancelToken::new()).expect("wav");
    assert_eq!(wav.samples.len(), 176_000, "jfk.wav is 11 s at 16 kHz");
    assert!(wav.samples.iter().all(|s| s.is_finite() && s.abs() <= 1.0));
    let mp3 = media::decode(&test_data().join("jfk.mp3"), &CancelToken::new()).expect("mp3");
    assert!(
        (mp3.duration() - wav.duration()).abs() < 0.1,
        "{} vs {}",
        mp3.duration(),
        wav.duration()
    );
}

#[test]
fn bad_media_errors_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.wav");
    assert!(matches!(
        media::decode(&missing, &CancelToken::new()),
        Err(MediaError::NotFound { .. })
    ));

    let text = dir.path().join("notes.mp3");
    fs::write(&text, "not audio at all ".repeat(100)).expect("write");
    let error = media::decode(&text, &CancelToken::new()).expect_err("text file");
    assert!(error.to_string().contains("notes.mp3"), "{error}");

    let cancelled = media::decode(&jfk_wav(), &CancelToken::cancelled()).expect_err("cancelled");
    assert!(matches!(cancelled, MediaError::Cancelled));
}

use crate::common::{generated, run_tool};

fn convert(name: &str, args: &[&str]) -> std::path::PathBuf {
    generated(name, |out| {
        let mut all = vec!["-v", "error", "-y", "-i"];
        let source = jfk_wav();
        all.push(source.to_str().expect("path"));
        all.extend_from_slice(args);
        all.push(out.to_str().expect("path"));
        run_tool("ffmpeg", &all, None);
    })
}

#[test]
fn every_container_decodes_to_the_same_length() {
    let reference = media::decode(&jfk_wav(), &CancelToken::new())
        .expect("wav")
        .samples
        .len() as i64;
    let variants = [
        ("jfk_v1.mp3", vec!["-c:a", "libmp3lame", "-b:a", "128k"]),
        ("jfk_v1.m4a", vec!["-c:a", "aac", "-b:a", "128k"]),
        ("jfk_v1.flac", vec!["-c:a", "flac"]),
        ("jfk_v1.ogg", vec!["-c:a", "libvorbis"]),
        ("jfk_v1.opus", vec!["-c:a", "libopus"]),
        ("jfk_v1.webm", vec!["-c:a", "libopus"]),
        ("jfk_v1.mkv", vec!["-c:a", "aac"]),
        ("jfk_v1.mov", vec!["-c:a", "aac"]),
        ("jfk_v1.mp4", vec!["-c:a", "aac"]),
        ("jfk_44k_stereo_v1.wav", vec!["-ar", "44100", "-ac", "2"]),
    ];
    for (name, args) in variants {
        let path = convert(name, &args);
        let pcm = media::decode(&path, &CancelToken::new())
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let ours = pcm.samples.len() as i64;
        // What the ffmpeg CLI decodes from the same file, resampled the same way.
        let cli = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-ar", "16000", "-ac", "1", "-f", "f32le", "-"])
            .output()
            .expect("ffmpeg CLI");
        let cli = (cli.stdout.len() / 4) as i64;
        assert!(
            (ours - cli).abs() <= 16,
            "{name}: {ours} samples, the ffmpeg CLI {cli}"
        );
        // Within one codec frame of the source: Matroska cannot signal AAC's 1024 priming
        // samples, so an AAC .mkv is one frame longer, exactly as other players decode it.
        assert!(
            (ours - reference).abs() <= 1152,
            "{name}: {ours} samples vs {reference}"
        );
    }
}

#[test]
fn video_with_audio_decodes_its_audio() {
    let path = generated("jfk_video_v1.mp4", |out| {
        let source = jfk_wav();
        run_tool(
            "ffmpeg",
            &[
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=320x240:rate=25",
                "-i",
                source.to_str().expect("path"),
                "-shortest",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-c:a",
                "aac",
                out.to_str().expect("path"),
            ],
            None,
        );
    });
    let pcm = media::decode(&path, &CancelToken::new()).expect("video decodes");
    assert!((pcm.duration() - 11.0).abs() < 0.1, "{}", pcm.duration());
}

#[test]
fn video_without_audio_is_a_specific_error() {
    let path = generated("silent_video_v1.mp4", |out| {
        run_tool(
            "ffmpeg",
            &[
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=160x120:rate=10:duration=2",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                out.to_str().expect("path"),
            ],
            None,
        );
    });
    let error = media::decode(&path, &CancelToken::new()).expect_err("no audio");
    assert!(matches!(error, MediaError::NoAudio { .. }), "{error}");
    assert!(error.to_string().contains("silent_video_v1.mp4"));
}

#[test]
fn a_file_still_being_copied_is_reported_as_incomplete() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, args) in [
        ("jfk_v1.m4a", vec!["-c:a", "aac", "-b:a", "128k"]),
        ("jfk_v1.flac", vec!["-c:a", "flac"]),
    ] {
        let full = convert(name, &args);
        let partial = dir.path().join(name);
        let bytes = fs::read(&full).expect("read");
        // The first 40 %: what a reader sees while a copy is in progress.
        fs::write(&partial, &bytes[..bytes.len() * 2 / 5]).expect("write");
        let error = media::decode(&partial, &CancelToken::new()).expect_err("partial file");
        assert!(
            matches!(
                error,
                MediaError::Truncated { .. }
                    | MediaError::Corrupt { .. }
                    | MediaError::Unreadable { .. }
            ),
            "{name}: {error}"
        );
        assert!(error.to_string().contains(name), "{error}");
    }
}

/// Screen recordings often stop their audio before their video: that is a whole file, not
/// one still being copied. A copy of it cut short still is.
#[test]
fn audio_that_ends_before_the_video_is_not_incomplete() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["short_audio_v1.mov", "short_audio_v1.mkv"] {
        let path = generated(name, |out| {
            run_tool(
                "ffmpeg",
                &[
                    "-y",
                    "-v",
                    "error",
                    "-f",
                    "lavfi",
                    "-i",
                    "testsrc=size=320x240:rate=25:duration=5.2",
                    "-f",
                    "lavfi",
                    "-i",
                    "sine=frequency=440:duration=3.3:sample_rate=48000",
                    "-c:v",
                    "libx264",
                    "-preset",
                    "ultrafast",
                    "-pix_fmt",
                    "yuv420p",
                    "-c:a",
                    "aac",
                    out.to_str().expect("path"),
                ],
                None,
            );
        });
        let pcm = media::decode(&path, &CancelToken::new()).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            (pcm.duration() - 3.3).abs() < 0.1,
            "{name}: {}",
            pcm.duration()
        );
        assert!(pcm.container_duration.is_some_and(|d| d > 5.0), "{name}");

        let partial = dir.path().join(name);
        let bytes = fs::read(&path).expect("read");
        fs::write(&partial, &bytes[..bytes.len() * 2 / 5]).expect("write");
        let error = media::decode(&partial, &CancelToken::new()).expect_err("partial file");
        assert!(
            matches!(
                error,
                MediaError::Truncated { .. }
                    | MediaError::Corrupt { .. }
                    | MediaError::Unreadable { .. }
            ),
            "{name}: {error}"
        );
        if name.ends_with(".mkv") {
            // Matroska keeps its header first: the cut copy opens, and is caught by length.
            assert!(matches!(error, MediaError::Truncated { .. }), "{error}");
        }
    }
}

#[test]
fn reader_hands_over_the_file_in_blocks_that_add_up_to_the_whole() {
    // The pipeline decodes a block at a time so an hour's PCM is never whole in memory.
    let path = crate::common::long_english();
    let whole = media::decode(&path, &CancelToken::new()).expect("decode");
    let mut reader = media::PcmReader::open(&path).expect("open");
    let expected = reader
        .expected_duration()
        .expect("a WAV declares its length");
    assert!((expected - whole.duration()).abs() < 0.05, "{expected}");
    let (mut joined, mut blocks, mut largest) = (Vec::new(), 0, 0);
    while let Some(block) = reader.next_block(&CancelToken::new()).expect("block") {
        blocks += 1;
        largest = largest.max(block.len());
        joined.extend_from_slice(block);
    }
    assert!(blocks > 10, "{blocks} blocks");
    assert!(largest <= 6 * 16_000, "a block of {largest} samples");
    assert_eq!(joined, whole.samples);
    assert!((reader.finish().expect("whole file") - whole.duration()).abs() < 1e-9);

    let cancelled = CancelToken::new();
    cancelled.cancel();
    let mut reader = media::PcmReader::open(&path).expect("open");
    assert!(matches!(
        reader.next_block(&cancelled),
        Err(media::MediaError::Cancelled)
    ));
}
