//! The soundtrack: a music bed ducked under the voice, looped or cut to it and faded, and
//! EBU R128 loudness. Real speech (espeak-ng) with a 4 s pause, steady tones as the music,
//! the real export; what comes out is decoded by the ffmpeg CLI and measured here (a
//! Goertzel filter for the tone's level, FFmpeg's `ebur128` for loudness and true peak).

use std::path::{Path, PathBuf};
use std::process::Command;

use vsl_core::export::{
    export_deck, export_mp4, AudioMode, ExportError, ExportOutcome, ExportPlan, ExportRequest,
    MusicBed, Soundtrack,
};
use vsl_core::job::{Formats, JobSpec, Loudness};
use vsl_core::jobs::CancelToken;
use vsl_core::paths::Dirs;
use vsl_core::slides::{Slide, SlideDeck};

use crate::common::{generated, jfk_wav, run_tool};

/// The music's tone: below the voice's fundamental, so the speech itself has almost no
/// energy there (checked in the ducking test).
const TONE_HZ: f64 = 60.0;
/// Rate the outputs are decoded at for measuring.
const MEASURE_RATE: u32 = 8_000;

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// espeak-ng saying two sentences with 4 s of silence between them (about 17 s in all).
fn voice_with_pause() -> PathBuf {
    generated("music_voice_pause_v1.wav", |out| {
        let first = out.with_extension("first.wav");
        let silence = out.with_extension("silence.wav");
        let second = out.with_extension("second.wav");
        let say = |text: &str, to: &Path| {
            run_tool(
                "espeak-ng",
                &["-v", "en-us", "-s", "150", "-w", path_str(to), text],
                None,
            );
        };
        say(
            "Our new course shows you how to write a sales letter that converts. \
             Every line is tested on real buyers.",
            &first,
        );
        say(
            "After the pause, the voice comes back and keeps talking about the offer \
             for a while longer.",
            &second,
        );
        run_tool(
            "sox",
            &[
                "-n",
                "-r",
                "22050",
                "-c",
                "1",
                "-b",
                "16",
                path_str(&silence),
                "trim",
                "0",
                "4",
            ],
            None,
        );
        run_tool(
            "sox",
            &[
                path_str(&first),
                path_str(&silence),
                path_str(&second),
                path_str(out),
            ],
            None,
        );
        for part in [first, silence, second] {
            let _ = std::fs::remove_file(part);
        }
    })
}

/// A steady stereo tone at -6 dBFS: `seconds` long, as WAV or as MP3.
fn tone(seconds: u32, extension: &str) -> PathBuf {
    generated(
        &format!("music_tone_60hz_{seconds}s_v1.{extension}"),
        |out| {
            run_tool(
                "ffmpeg",
                &[
                    "-v",
                    "error",
                    "-y",
                    "-f",
                    "lavfi",
                    "-i",
                    &format!("sine=frequency={TONE_HZ}:duration={seconds}:sample_rate=44100"),
                    // The sine source plays at 1/8 of full scale; four times that is -6 dBFS.
                    "-af",
                    "volume=4",
                    "-ac",
                    "2",
                    "-f",
                    if extension == "mp3" { "mp3" } else { "wav" },
                    path_str(out),
                ],
                None,
            );
        },
    )
}

/// One flat slide lasting `duration` seconds, its PNG written into `dir`.
fn one_slide(dir: &Path, duration: f64) -> SlideDeck {
    image::RgbImage::from_pixel(320, 180, image::Rgb([20, 24, 38]))
        .save(dir.join("slide-000.png"))
        .expect("save slide");
    SlideDeck {
        preset: "16:9".into(),
        theme: "test".into(),
        brand: Default::default(),
        width: 320,
        height: 180,
        duration,
        slides: vec![Slide {
            index: 0,
            start: 0.0,
            end: duration,
            text: "Music".into(),
            highlights: vec![],
            image: "slide-000.png".into(),
            words: Vec::new(),
        }],
    }
}

fn bed(path: PathBuf, duck: bool) -> Soundtrack {
    Soundtrack {
        music: Some(MusicBed {
            path,
            volume: vsl_core::job::DEFAULT_MUSIC_VOLUME,
            duck,
        }),
        loudness: Loudness::Auto,
    }
}

fn export_with(sound: Soundtrack, voice: &Path, out: &Path) -> Result<ExportOutcome, ExportError> {
    let deck_dir = tempfile::tempdir().expect("tempdir");
    let deck = one_slide(deck_dir.path(), probe_duration(voice));
    let mut request = ExportRequest::new(&deck, deck_dir.path(), voice, out);
    request.sound = sound;
    export_mp4(&request, &mut |_| {}, &CancelToken::new())
}

fn probe_duration(path: &Path) -> f64 {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe is needed (run `make setup`)");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no duration for {}", path.display()))
}

/// The first audio track of `path` as mono f32 at [`MEASURE_RATE`].
fn decode_mono(path: &Path) -> Vec<f32> {
    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:a:0", "-ac", "1", "-ar"])
        .arg(MEASURE_RATE.to_string())
        .args(["-f", "f32le", "-"])
        .output()
        .expect("ffmpeg is needed (run `make setup`)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
        .stdout
        .chunks_exact(4)
        .map(|bytes| f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
        .collect()
}

/// Power of the `frequency` component of `samples` (Goertzel over a Hann window, whose low
/// side lobes keep the voice's harmonics out of the tone's bin), in dB.
fn band_db(samples: &[f32], frequency: f64) -> f64 {
    let omega = 2.0 * std::f64::consts::PI * frequency / f64::from(MEASURE_RATE);
    let coefficient = 2.0 * omega.cos();
    let (mut previous, mut before) = (0.0f64, 0.0f64);
    let last = samples.len().saturating_sub(1).max(1) as f64;
    for (index, sample) in samples.iter().enumerate() {
        let hann = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * index as f64 / last).cos();
        let current = f64::from(*sample) * hann + coefficient * previous - before;
        before = previous;
        previous = current;
    }
    let power = previous * previous + before * before - coefficient * previous * before;
    let n = samples.len().max(1) as f64;
    10.0 * (power / (n * n)).max(1e-20).log10()
}

/// The tone's level in each `window`-second window from `start` to `end`.
fn tone_levels(samples: &[f32], start: f64, end: f64, window: f64) -> Vec<(f64, f64)> {
    let rate = f64::from(MEASURE_RATE);
    let mut levels = Vec::new();
    let mut time = start;
    while time + window <= end + 1e-9 {
        let from = (time * rate) as usize;
        let to = (((time + window) * rate) as usize).min(samples.len());
        if to > from {
            levels.push((time, band_db(&samples[from..to], TONE_HZ)));
        }
        time += window;
    }
    levels
}

/// Mean power of levels in dB, as a level in dB.
fn mean_db(levels: impl Iterator<Item = f64>) -> f64 {
    let powers: Vec<f64> = levels.map(|db| 10f64.powf(db / 10.0)).collect();
    10.0 * (powers.iter().sum::<f64>() / powers.len().max(1) as f64).log10()
}

/// RMS level (dBFS) of each 50 ms window.
fn rms_windows(samples: &[f32]) -> Vec<f64> {
    samples
        .chunks(MEASURE_RATE as usize / 20)
        .map(|chunk| {
            let power =
                chunk.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / chunk.len() as f64;
            10.0 * power.max(1e-20).log10()
        })
        .collect()
}

/// Integrated loudness (LUFS) and true peak (dBTP) of `path`, read by FFmpeg's ebur128.
fn loudness(path: &Path) -> (f64, f64) {
    let output = Command::new("ffmpeg")
        .args(["-nostats", "-hide_banner", "-i"])
        .arg(path)
        .args([
            "-map",
            "0:a:0",
            "-af",
            "ebur128=peak=true",
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("ffmpeg is needed (run `make setup`)");
    let log = String::from_utf8_lossy(&output.stderr);
    let summary = log.rsplit("Summary:").next().expect("an ebur128 summary");
    let value = |label: &str| -> f64 {
        summary
            .lines()
            .find_map(|line| line.trim().strip_prefix(label))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|number| number.parse().ok())
            .unwrap_or_else(|| panic!("no {label} in {summary}"))
    };
    (value("I:"), value("Peak:"))
}

#[test]
fn music_ducks_under_the_voice_and_comes_back_in_the_pause() {
    let dir = tempfile::tempdir().expect("tempdir");
    let voice = voice_with_pause();
    let out = dir.path().join("ducked.mp4");
    let outcome = export_with(bed(tone(20, "wav"), true), &voice, &out).expect("export");
    if let Some(keep) = std::env::var_os("VSL_KEEP_MUSIC_OUTPUT") {
        std::fs::copy(&out, keep).expect("copy");
    }
    assert!(
        matches!(outcome.audio, AudioMode::Encoded { .. }),
        "{outcome:?}"
    );
    assert_eq!(outcome.music.as_deref(), Some(tone(20, "wav").as_path()));

    // Where the voice speaks: 50 ms windows of the voice-over above -45 dBFS RMS; the pause
    // is the longest run of silent windows.
    let speech = rms_windows(&decode_mono(&voice));
    let loud: Vec<bool> = speech.iter().map(|db| *db > -45.0).collect();
    let (mut pause_start, mut pause_len, mut run_start) = (0usize, 0usize, None);
    for (index, is_loud) in loud.iter().enumerate() {
        match (is_loud, run_start) {
            (false, None) => run_start = Some(index),
            (true, Some(start)) => {
                if index - start > pause_len {
                    (pause_start, pause_len) = (start, index - start);
                }
                run_start = None;
            }
            _ => {}
        }
    }
    let pause = (
        pause_start as f64 * 0.05,
        (pause_start + pause_len) as f64 * 0.05,
    );
    assert!(pause.1 - pause.0 >= 3.9, "the pause is {pause:?}");

    // Tenths of a second: narrow enough a band (10 Hz) to tell the tone from the voice.
    let mixed = decode_mono(&out);
    let windows = tone_levels(
        &mixed,
        0.0,
        mixed.len() as f64 / f64::from(MEASURE_RATE),
        0.1,
    );
    let speaking = |time: f64| {
        let index = (time / 0.05).round() as usize;
        // Speaking through the window and the 0.2 s before it: the ducking has had its time.
        index >= 4 && (index - 4..=index + 1).all(|i| loud.get(i).copied().unwrap_or(false))
    };
    let during_speech = mean_db(
        windows
            .iter()
            .filter(|(time, _)| *time > 1.5 && speaking(*time))
            .map(|(_, db)| *db),
    );
    // The middle of the pause, once the release has given the music back.
    let in_pause = mean_db(
        windows
            .iter()
            .filter(|(time, _)| *time >= pause.0 + 1.5 && *time + 0.1 <= pause.1 - 0.2)
            .map(|(_, db)| *db),
    );
    eprintln!(
        "tone: {during_speech:.1} dB under speech, {in_pause:.1} dB in the pause ({:.1} dB \
         of ducking)",
        in_pause - during_speech
    );
    assert!(
        in_pause - during_speech >= 10.0,
        "the tone is at {during_speech:.1} dB under speech and {in_pause:.1} dB in the pause"
    );
    // Within 0.2 s of the voice coming back the music is down by 10 dB.
    let back = tone_levels(&mixed, pause.1 + 0.2, pause.1 + 0.4, 0.2);
    eprintln!("0.2-0.4 s after the voice returns: {:.1} dB", back[0].1);
    assert!(
        in_pause - back[0].1 >= 10.0,
        "0.2 s after the voice returns the tone is {:.1} dB, {in_pause:.1} dB in the pause",
        back[0].1
    );
    // What is measured is the music: the voice alone, at the gain the mix got, has next to
    // nothing at the tone.
    let gain = outcome
        .loudness
        .as_ref()
        .map_or(0.0, |report| report.gain_db);
    let voice_alone = gain
        + mean_db(
            tone_levels(&decode_mono(&voice), 1.5, pause.0, 0.1)
                .into_iter()
                .map(|(_, db)| db),
        );
    assert!(
        during_speech - voice_alone >= 6.0,
        "the voice has {voice_alone:.1} dB at {TONE_HZ} Hz, the ducked tone {during_speech:.1}"
    );

    // Without ducking the tone stays level through the speech.
    let flat = dir.path().join("flat.mp4");
    export_with(bed(tone(20, "wav"), false), &voice, &flat).expect("export");
    let flat = decode_mono(&flat);
    let steady = |from: f64, to: f64| {
        mean_db(
            tone_levels(&flat, from, to, 0.1)
                .into_iter()
                .map(|(_, db)| db),
        )
    };
    let (spoken, paused) = (steady(1.5, pause.0), steady(pause.0 + 1.5, pause.1 - 0.2));
    assert!(
        (spoken - paused).abs() < 1.5,
        "undocked tone: {spoken:.1} dB under speech, {paused:.1} dB in the pause"
    );
}

#[test]
fn mixed_audio_meets_the_loudness_target_and_the_true_peak_ceiling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("loud.mp4");
    let outcome =
        export_with(bed(tone(20, "wav"), true), &voice_with_pause(), &out).expect("export");
    let (integrated, peak) = loudness(&out);
    eprintln!(
        "mixed: {integrated} LUFS, true peak {peak} dBTP ({:?})",
        outcome.loudness
    );
    assert!(
        (integrated + 14.0).abs() <= 1.0,
        "integrated loudness {integrated} LUFS ({:?})",
        outcome.loudness
    );
    assert!(peak <= -1.0, "true peak {peak} dBTP");
    let report = outcome.loudness.expect("normalised");
    assert_eq!(report.target, -14.0);
    assert!((report.result + 14.0).abs() <= 0.2, "{report:?}");

    // Another target, asked for explicitly, on the voice alone (a WAV, so re-encoded).
    let quieter = dir.path().join("quieter.mp4");
    let sound = Soundtrack {
        music: None,
        loudness: Loudness::Lufs(-20.0),
    };
    export_with(sound, &jfk_wav(), &quieter).expect("export");
    let (integrated, peak) = loudness(&quieter);
    eprintln!("jfk at -20: {integrated} LUFS, true peak {peak} dBTP");
    assert!((integrated + 20.0).abs() <= 1.0, "{integrated} LUFS");
    assert!(peak <= -1.0, "true peak {peak} dBTP");

    // Off keeps the voice-over's own level.
    let kept = dir.path().join("kept.mp4");
    let sound = Soundtrack {
        music: None,
        loudness: Loudness::Off,
    };
    let outcome = export_with(sound, &jfk_wav(), &kept).expect("export");
    assert!(outcome.loudness.is_none());
    let (source, _) = loudness(&jfk_wav());
    let (output, _) = loudness(&kept);
    assert!(
        (source - output).abs() <= 0.5,
        "{source} LUFS became {output}"
    );
}

#[test]
fn a_short_bed_loops_and_a_long_one_is_cut_with_its_fades() {
    let dir = tempfile::tempdir().expect("tempdir");
    let voice = voice_with_pause();
    let voice_length = probe_duration(&voice);
    for (music, name) in [(tone(3, "wav"), "short.mp4"), (tone(40, "mp3"), "long.mp4")] {
        let out = dir.path().join(name);
        // Not ducked and not normalised, so the tone's level is the bed's own.
        let sound = Soundtrack {
            loudness: Loudness::Off,
            ..bed(music.clone(), false)
        };
        let outcome = export_with(sound, &voice, &out).expect("export");
        assert!(outcome.loudness.is_none());
        let length = probe_duration(&out);
        assert!(
            (length - voice_length).abs() <= 0.05,
            "{name}: {length} s for a {voice_length} s voice"
        );
        let samples = decode_mono(&out);
        let end = samples.len() as f64 / f64::from(MEASURE_RATE);
        let levels = tone_levels(&samples, 0.0, end, 0.25);
        let steady = mean_db(
            levels
                .iter()
                .filter(|(time, _)| *time >= 1.5 && *time + 0.25 <= end - 2.5)
                .map(|(_, db)| *db),
        );
        // Present all the way, well past the 3 s file's end: every quarter second between
        // the fades is within 2 dB of the steady level.
        for (time, db) in levels
            .iter()
            .filter(|(time, _)| *time >= 1.5 && *time + 0.25 <= end - 2.5)
        {
            assert!(
                (db - steady).abs() <= 2.0,
                "{name}: the tone is {db:.1} dB at {time:.2} s, steady {steady:.1}"
            );
        }
        // Faded in over the first second, and out over the last two.
        let first = levels[0].1;
        assert!(
            steady - first >= 6.0,
            "{name}: starts at {first:.1}, steady {steady:.1}"
        );
        let fading: Vec<f64> = levels
            .iter()
            .filter(|(time, _)| *time >= end - 2.0 && *time + 0.25 <= end)
            .map(|(_, db)| *db)
            .collect();
        assert!(fading.len() >= 6, "{name}: {fading:?}");
        assert!(
            fading.windows(2).all(|pair| pair[1] < pair[0] + 0.5),
            "{name}: the fade-out does not fall: {fading:?}"
        );
        let last = fading.last().copied().unwrap_or_default();
        assert!(
            steady - last >= 10.0,
            "{name}: the last quarter second is {last:.1} dB, steady {steady:.1}"
        );
    }
}

#[test]
fn a_music_file_that_is_not_audio_is_refused_naming_it_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "these are not sounds\n".repeat(50)).expect("write");
    let picture = dir.path().join("cover.png");
    image::RgbImage::from_pixel(64, 64, image::Rgb([200, 10, 10]))
        .save(&picture)
        .expect("png");
    let missing = dir.path().join("gone.mp3");
    let out_dir = tempfile::tempdir().expect("tempdir");
    // FFmpeg reads a text file as a "tty" video: no audio in it, as in a picture.
    for (music, kind) in [
        (&notes, "no_audio"),
        (&picture, "no_audio"),
        (&missing, "not_found"),
    ] {
        let out = out_dir.path().join("talk.mp4");
        let error = export_with(bed(music.clone(), true), &jfk_wav(), &out).expect_err("not music");
        assert_eq!(error.kind(), kind, "{error}");
        let message = error.to_string();
        assert!(message.contains(path_str(music)), "{message}");
        assert!(message.contains("music"), "{message}");
        assert!(!message.contains("--"), "{message}");
        assert_eq!(
            std::fs::read_dir(out_dir.path()).expect("list").count(),
            0,
            "something was written for {}",
            music.display()
        );

        // The export loop refuses it before the MP4 or a subtitle file exists.
        let deck_dir = tempfile::tempdir().expect("tempdir");
        let deck = one_slide(deck_dir.path(), 11.0);
        let formats = Formats::parse("mp4,srt").expect("formats");
        let audio = jfk_wav();
        let mut plan = ExportPlan::new(
            &deck,
            deck_dir.path(),
            &audio,
            out_dir.path(),
            "talk",
            &formats,
        );
        plan.sound = bed(music.clone(), true);
        let error = export_deck(&plan, &mut |_| {}, &CancelToken::new()).expect_err("refused");
        assert_eq!(error.kind(), kind);
        assert_eq!(std::fs::read_dir(out_dir.path()).expect("list").count(), 0);

        // And so does resolving a job that names it (Save in the app runs this).
        let root = tempfile::tempdir().expect("tempdir");
        let spec = JobSpec {
            music: Some(music.clone()),
            ..JobSpec::default()
        };
        let error = spec
            .resolve(&Dirs::under(root.path()))
            .expect_err("refused");
        assert_eq!(error.kind(), kind);
        assert!(error.to_string().contains(path_str(music)), "{error}");
    }
}

#[test]
fn aac_without_music_is_still_copied_and_with_music_is_encoded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m4a = generated("export_jfk_aac_v1.m4a", |out| {
        run_tool(
            "ffmpeg",
            &[
                "-v",
                "error",
                "-y",
                "-i",
                path_str(&jfk_wav()),
                "-c:a",
                "aac",
                "-b:a",
                "96k",
                "-f",
                "mp4",
                path_str(out),
            ],
            None,
        );
    });
    for loudness in [Loudness::Auto, Loudness::Off] {
        let out = dir.path().join(format!("copied-{loudness}.mp4"));
        let sound = Soundtrack {
            music: None,
            loudness,
        };
        let outcome = export_with(sound, &m4a, &out).expect("export");
        assert_eq!(outcome.audio, AudioMode::Copied, "{loudness}");
        assert!(outcome.loudness.is_none());
    }
    // A number asked for is met even on AAC, which is then re-encoded.
    let out = dir.path().join("louder.mp4");
    let sound = Soundtrack {
        music: None,
        loudness: Loudness::Lufs(-16.0),
    };
    let outcome = export_with(sound, &m4a, &out).expect("export");
    assert!(
        matches!(outcome.audio, AudioMode::Encoded { .. }),
        "{:?}",
        outcome.audio
    );
    let (integrated, _) = loudness(&out);
    assert!((integrated + 16.0).abs() <= 1.0, "{integrated} LUFS");

    let out = dir.path().join("mixed.mp4");
    let outcome = export_with(bed(tone(3, "wav"), true), &m4a, &out).expect("export");
    assert!(
        matches!(&outcome.audio, AudioMode::Encoded { from_codec, .. } if from_codec == "aac"),
        "{:?}",
        outcome.audio
    );
    let (integrated, _) = loudness(&out);
    assert!((integrated + 14.0).abs() <= 1.0, "{integrated} LUFS");
}
