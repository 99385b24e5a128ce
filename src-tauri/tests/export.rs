//! The Export bar's choices through the app's commands, on the mock runtime with the real
//! pipeline (tiny.en, jfk.wav) and real FFmpeg: a music file that is not audio is refused
//! naming it with nothing written, a tone chosen as the bed is mixed under the voice, filling
//! the pauses, at the settings' loudness; captions over the video keep a video input's
//! picture, and are refused for an audio-only one.

// Fixtures are written directly; only product code must go through vsl_core::fs.
#![allow(clippy::disallowed_methods)]

use std::path::Path;
use std::process::Command;

mod common;

use common::{app_with_window, invoke, jfk, run_job, run_job_on, write_settings};
use serde_json::{json, Value};

/// The mean level (dBFS) of `path`'s audio from `start` for `seconds`, by FFmpeg's
/// volumedetect.
fn mean_volume(path: &Path, start: f64, seconds: f64) -> f64 {
    let output = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-nostats",
            "-ss",
            &format!("{start:.3}"),
            "-t",
        ])
        .arg(format!("{seconds:.3}"))
        .arg("-i")
        .arg(path)
        .args(["-af", "volumedetect", "-f", "null", "-"])
        .output()
        .expect("ffmpeg runs");
    let log = String::from_utf8_lossy(&output.stderr);
    log.lines()
        .find_map(|line| line.split("mean_volume:").nth(1))
        .and_then(|value| value.trim().trim_end_matches("dB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no mean_volume in {log}"))
}

/// The quietest 0.3 s of `path` between `from` and `to` (seconds): a pause of the voice.
fn quietest_window(path: &Path, from: f64, to: f64) -> f64 {
    let mut best = (f64::INFINITY, from);
    let mut start = from;
    while start + 0.3 <= to {
        let level = mean_volume(path, start, 0.3);
        if level < best.0 {
            best = (level, start);
        }
        start += 0.15;
    }
    best.1
}

fn tone(path: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("aevalsrc=0.5*sin(2*PI*330*t):s=44100:d=4")
        .args(["-ac", "2"])
        .arg(path)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "the tone is made");
}

fn export(
    window: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    id: &str,
    folder: &Path,
    choices: Value,
) -> Result<Value, Value> {
    invoke(
        window,
        "export_deck",
        json!({
            "id": id,
            "folder": folder,
            "formats": ["mp4"],
            "choices": choices,
            "onProgress": "__CHANNEL__:9",
        }),
    )
}

#[test]
fn an_export_mixes_the_chosen_music_under_the_voice_and_refuses_a_file_that_is_not_audio() {
    let test = app_with_window("main");
    write_settings(&test.dirs, "model = \"tiny.en\"\nlanguage = \"en\"\n");
    let window = &test.window;
    let (job, _) = run_job(window, None);
    let id = job["id"].as_str().expect("an id");
    let root = tempfile::tempdir().expect("a temporary directory");

    let refused = root.path().join("refused");
    std::fs::create_dir(&refused).expect("folder");
    let not_audio = root.path().join("bed.mp3");
    std::fs::write(&not_audio, b"this is not an mp3").expect("write");
    let error = export(window, id, &refused, json!({ "music": not_audio }))
        .expect_err("a music file that is not audio is refused");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|message| message.contains("bed.mp3")),
        "{error}"
    );
    assert!(
        std::fs::read_dir(&refused).expect("read").next().is_none(),
        "nothing is written"
    );

    let voice_dir = root.path().join("voice");
    std::fs::create_dir(&voice_dir).expect("folder");
    let voice = export(window, id, &voice_dir, json!(null)).expect("the voice alone");
    assert_eq!(voice["music"], Value::Null, "{voice}");

    let music_dir = root.path().join("music");
    std::fs::create_dir(&music_dir).expect("folder");
    let bed = root.path().join("bed.wav");
    tone(&bed);
    let mixed = export(
        window,
        id,
        &music_dir,
        // Not ducked: jfk's pauses are shorter than the duck's release, so a ducked bed
        // stays low in them (vsl-core's tests check the ducking on a 4 s pause).
        json!({ "music": bed, "musicVolume": 0.3, "duck": false }),
    )
    .expect("with music");
    assert_eq!(mixed["music"], json!(bed), "{mixed}");
    let loudness = mixed["loudness"].as_f64().expect("normalised");
    assert!(
        (loudness + 14.0).abs() <= 1.0,
        "the settings' -14 LUFS: {loudness}"
    );

    // In a pause the voice-only track is near silence and the mix has the bed (away from
    // its 1 s fade-in and 2 s fade-out).
    let voice_mp4 = Path::new(voice["mp4"].as_str().expect("mp4"));
    let mixed_mp4 = Path::new(mixed["mp4"].as_str().expect("mp4"));
    let duration = mixed["duration"].as_f64().expect("duration");
    let pause = quietest_window(voice_mp4, 1.2, duration - 2.2);
    let quiet = mean_volume(voice_mp4, pause, 0.3);
    let filled = mean_volume(mixed_mp4, pause, 0.3);
    assert!(
        filled > quiet + 6.0,
        "the pause at {pause:.2} s holds the music: {filled:.1} dB against {quiet:.1} dB"
    );
}

fn probe_video(path: &Path) -> Value {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=width,height,r_frame_rate:format=duration",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    serde_json::from_slice(&output.stdout).expect("ffprobe JSON")
}

#[test]
fn captions_over_the_video_keep_its_picture_and_are_refused_without_one() {
    let test = app_with_window("main");
    write_settings(&test.dirs, "model = \"tiny.en\"\nlanguage = \"en\"\n");
    let window = &test.window;
    let root = tempfile::tempdir().expect("a temporary directory");
    // A screen recording's shape: a 640x360 25 fps picture with jfk's voice.
    let clip = root.path().join("talk clip.mp4");
    let status = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=25",
        ])
        .arg("-i")
        .arg(jfk())
        .args([
            "-shortest",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
        ])
        .arg(&clip)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "the clip is made");

    let (job, view) = run_job_on(window, &clip, None);
    assert_eq!(view["hasVideo"], json!(true), "the clip has a picture");
    let out = root.path().join("captions");
    std::fs::create_dir(&out).expect("folder");
    let made = export(
        window,
        job["id"].as_str().expect("id"),
        &out,
        json!({ "output": "captions", "captionPosition": "top" }),
    )
    .expect("captions over the clip");
    let probe = probe_video(Path::new(made["mp4"].as_str().expect("mp4")));
    let stream = &probe["streams"][0];
    assert_eq!(
        (stream["width"].clone(), stream["height"].clone()),
        (json!(640), json!(360)),
        "{probe}"
    );
    assert_eq!(stream["r_frame_rate"], json!("25/1"), "{probe}");

    // jfk.wav has no picture: refused by name, nothing written.
    let (job, view) = run_job(window, None);
    assert_eq!(view["hasVideo"], json!(false));
    let refused = root.path().join("refused");
    std::fs::create_dir(&refused).expect("folder");
    let error = export(
        window,
        job["id"].as_str().expect("id"),
        &refused,
        json!({ "output": "captions" }),
    )
    .expect_err("no video to put captions over");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|message| message.contains("jfk.wav")),
        "{error}"
    );
    assert!(
        std::fs::read_dir(&refused).expect("read").next().is_none(),
        "nothing is written"
    );
}
