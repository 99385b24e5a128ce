use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vsl_core::jobs::CancelToken;

use vsl_core::media;
use vsl_core::transcribe::{TranscribeError, TranscribeOptions};

use crate::common::{engine, jfk_wav, normalize, JFK_TEXT};

fn jfk_pcm() -> Vec<f32> {
    media::decode(&jfk_wav(), &CancelToken::new())
        .expect("decode jfk")
        .samples
}

fn transcribe(model: &str, language: Option<&str>) -> vsl_core::transcribe::Transcript {
    let options = TranscribeOptions {
        language: language.map(str::to_owned),
        ..TranscribeOptions::default()
    };
    engine(model)
        .transcribe(&jfk_pcm(), &options, &mut |_| {}, &CancelToken::new())
        .expect("transcribe")
}

#[test]
fn converted_tiny_en_transcribes_jfk() {
    let transcript = transcribe("tiny.en", None);
    assert_eq!(normalize(&transcript.text()), normalize(JFK_TEXT));
    assert_eq!(transcript.language, "en");
    assert_eq!(transcript.model, "tiny.en");
    assert!(
        (transcript.duration - 11.0).abs() < 0.01,
        "{}",
        transcript.duration
    );
}

#[test]
fn converted_base_transcribes_jfk_and_detects_english() {
    let transcript = transcribe("base", Some("auto"));
    assert_eq!(normalize(&transcript.text()), normalize(JFK_TEXT));
    assert_eq!(transcript.language, "en");
}

#[test]
fn quantized_base_transcribes_jfk() {
    let transcript = transcribe("base-ct2-q8", Some("en"));
    assert_eq!(normalize(&transcript.text()), normalize(JFK_TEXT));
}

#[test]
fn bf16_tiny_en_matches_f16_words_and_timings() {
    let f16 = transcribe("tiny.en", Some("en"));
    let bf16 = transcribe("tiny.en-bf16", Some("en"));
    assert_eq!(normalize(&bf16.text()), normalize(JFK_TEXT));
    let pairs: Vec<_> = f16.words().zip(bf16.words()).collect();
    assert_eq!(pairs.len(), f16.words().count());
    assert_eq!(pairs.len(), bf16.words().count());
    for (a, b) in pairs {
        assert_eq!(a.text, b.text);
        assert!(
            (a.start - b.start).abs() <= 0.1 && (a.end - b.end).abs() <= 0.1,
            "{}: f16 {}–{} s, bf16 {}–{} s",
            a.text,
            a.start,
            a.end,
            b.start,
            b.end
        );
    }
}

#[test]
fn words_are_timed_monotonic_and_inside_segments() {
    let transcript = transcribe("tiny.en", None);
    let words: Vec<_> = transcript.words().collect();
    assert_eq!(
        normalize(
            &words
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        normalize(JFK_TEXT)
    );
    let mut previous = 0.0;
    for segment in &transcript.segments {
        for word in &segment.words {
            assert!(
                word.start >= previous - 1e-9,
                "{word:?} starts before {previous}"
            );
            assert!(word.end >= word.start, "{word:?}");
            assert!(
                word.start >= segment.start - 0.01 && word.end <= segment.end + 0.01,
                "{word:?} outside {}..{}",
                segment.start,
                segment.end
            );
            assert!(word.end <= transcript.duration);
            assert!((0.0..=1.0).contains(&word.probability));
            previous = word.start;
        }
    }
}

#[test]
fn english_only_model_refuses_portuguese() {
    let error = engine("tiny.en")
        .transcribe(
            &jfk_pcm(),
            &TranscribeOptions {
                language: Some("pt".into()),
                ..Default::default()
            },
            &mut |_| {},
            &CancelToken::new(),
        )
        .expect_err("pt on tiny.en");
    assert!(
        matches!(error, TranscribeError::EnglishOnly { .. }),
        "{error}"
    );
    let error = engine("base")
        .transcribe(
            &jfk_pcm(),
            &TranscribeOptions {
                language: Some("klingon".into()),
                ..Default::default()
            },
            &mut |_| {},
            &CancelToken::new(),
        )
        .expect_err("unknown language");
    assert!(matches!(error, TranscribeError::Language(_)), "{error}");
}

#[test]
fn cancel_stops_the_job_and_the_engine_stays_usable() {
    let engine = engine("base");
    // A longer input so the job is still running when the flag flips.
    let mut pcm = jfk_pcm();
    for _ in 0..3 {
        pcm.extend_from_within(..);
    }
    let cancel = CancelToken::new();
    let flag = cancel.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        flag.store(true, Ordering::Relaxed);
        Instant::now()
    });
    let result = engine.transcribe(&pcm, &TranscribeOptions::default(), &mut |_| {}, &cancel);
    let returned = Instant::now();
    let cancelled_at = canceller.join().expect("canceller");
    assert!(
        matches!(result, Err(TranscribeError::Cancelled)),
        "{result:?}"
    );
    // Correctness, not speed: the job ended because of the flag, some time after it was set.
    assert!(returned >= cancelled_at);

    let again = engine
        .transcribe(
            &jfk_pcm(),
            &TranscribeOptions::default(),
            &mut |_| {},
            &CancelToken::new(),
        )
        .expect("engine usable after cancel");
    assert_eq!(normalize(&again.text()), normalize(JFK_TEXT));
}

#[test]
fn progress_reaches_one_hundred() {
    let mut seen = Vec::new();
    engine("tiny.en")
        .transcribe(
            &jfk_pcm(),
            &TranscribeOptions::default(),
            &mut |p| seen.push(p),
            &CancelToken::new(),
        )
        .expect("transcribe");
    assert_eq!(seen.last(), Some(&100));
    assert!(seen.windows(2).all(|pair| pair[0] <= pair[1]), "{seen:?}");
}

/// Reference word starts for jfk.wav (see docs/formats.md, "Reference timings"): speech
/// onsets after pauses from the audio's energy, elsewhere the mean of the word boundaries
/// faster-whisper (tiny.en and base, int8, word_timestamps) reports.
const JFK_WORD_STARTS: [f64; 22] = [
    0.33, 0.63, 0.95, 1.31, 1.67, 3.29, 4.01, 5.41, 5.61, 5.90, 6.30, 6.69, 6.92, 7.17, 8.19, 8.56,
    8.85, 9.16, 9.41, 9.64, 9.85, 10.08,
];

fn start_errors(model: &str) -> Vec<f64> {
    let transcript = transcribe(model, Some("en"));
    let starts: Vec<f64> = transcript.words().map(|w| w.start).collect();
    assert_eq!(
        starts.len(),
        JFK_WORD_STARTS.len(),
        "{model}: {:?}",
        transcript.text()
    );
    starts
        .iter()
        .zip(JFK_WORD_STARTS)
        .map(|(a, b)| (a - b).abs())
        .collect()
}

#[test]
fn jfk_word_starts_match_reference_timings() {
    let tiny = start_errors("tiny.en");
    assert!(
        tiny.iter().all(|&e| e <= 0.3),
        "tiny.en start errors {tiny:?}"
    );
    let base = start_errors("base");
    // base's DTW places one word ("can") 0.32 s late; every other word is within 0.3 s.
    assert!(
        base.iter().filter(|&&e| e > 0.3).count() <= 1,
        "base start errors {base:?}"
    );
    assert!(
        base.iter().all(|&e| e <= 0.35),
        "base start errors {base:?}"
    );
    for errors in [&tiny, &base] {
        let mean = errors.iter().sum::<f64>() / errors.len() as f64;
        assert!(mean <= 0.12, "mean start error {mean}");
    }
}

#[test]
fn long_english_speech_with_base_has_low_wer() {
    let audio = crate::common::long_english();
    let pcm = media::decode(&audio, &CancelToken::new()).expect("decode");
    assert!(pcm.duration() >= 120.0, "fixture is {} s", pcm.duration());
    let transcript = engine("base")
        .transcribe(
            &pcm.samples,
            &TranscribeOptions::default(),
            &mut |_| {},
            &CancelToken::new(),
        )
        .expect("transcribe");
    assert_eq!(transcript.language, "en");
    let reference = normalize(
        &std::fs::read_to_string(crate::common::fixture_text("long_en.txt")).expect("text"),
    );
    let error_rate = crate::common::wer(&reference, &normalize(&transcript.text()));
    assert!(
        error_rate <= 0.10,
        "WER {error_rate:.3}: {}",
        transcript.text()
    );
    let words: Vec<_> = transcript.words().collect();
    assert!(words.windows(2).all(|pair| pair[0].start <= pair[1].start));
    assert!(words.last().is_some_and(|w| w.end <= transcript.duration));
}

#[test]
fn portuguese_forced_and_detected() {
    let pcm = media::decode(&crate::common::portuguese(), &CancelToken::new()).expect("decode");
    let reference = normalize(
        &std::fs::read_to_string(crate::common::fixture_text("pt_br.txt")).expect("text"),
    );
    for language in [Some("pt"), None] {
        let options = TranscribeOptions {
            language: language.map(str::to_owned),
            ..Default::default()
        };
        let transcript = engine("base")
            .transcribe(&pcm.samples, &options, &mut |_| {}, &CancelToken::new())
            .expect("transcribe");
        assert_eq!(transcript.language, "pt", "language {language:?}");
        let error_rate = crate::common::wer(&reference, &normalize(&transcript.text()));
        assert!(
            error_rate <= 0.15,
            "WER {error_rate:.3}: {}",
            transcript.text()
        );
        assert!(
            transcript.text().contains("vídeo"),
            "accents survive: {}",
            transcript.text()
        );
    }
}

fn transcribe_file(path: &std::path::Path) -> vsl_core::transcribe::Transcript {
    let pcm = media::decode(path, &CancelToken::new()).expect("decode");
    engine("base")
        .transcribe(
            &pcm.samples,
            &TranscribeOptions::default(),
            &mut |_| {},
            &CancelToken::new(),
        )
        .expect("transcribe")
}

#[test]
fn silence_and_noise_yield_no_unflagged_words() {
    use crate::common::{generated, run_tool};
    let silence = generated("silence_10s.wav", |out| {
        run_tool(
            "sox",
            &[
                "-n",
                "-r",
                "16000",
                "-c",
                "1",
                out.to_str().expect("path"),
                "trim",
                "0",
                "10",
            ],
            None,
        )
    });
    let noise = generated("pink_noise_10s.wav", |out| {
        run_tool(
            "sox",
            &[
                "-n",
                "-r",
                "16000",
                "-c",
                "1",
                out.to_str().expect("path"),
                "synth",
                "10",
                "pinknoise",
                "vol",
                "0.2",
            ],
            None,
        )
    });
    let hum = generated("hum_chords_10s.wav", |out| {
        // A slow chord pad: music-like, no speech.
        run_tool(
            "sox",
            &[
                "-n",
                "-r",
                "16000",
                "-c",
                "1",
                out.to_str().expect("path"),
                "synth",
                "10",
                "sine",
                "220",
                "sine",
                "277",
                "sine",
                "330",
                "tremolo",
                "2",
                "60",
                "vol",
                "0.3",
            ],
            None,
        )
    });
    for clip in [silence, noise, hum] {
        let transcript = transcribe_file(&clip);
        let words: Vec<_> = transcript.words().map(|w| w.text.clone()).collect();
        assert!(
            words.is_empty(),
            "{}: invented {words:?} (flags {:?})",
            clip.display(),
            transcript.flags
        );
    }
}

#[test]
fn model_host_loads_once_and_releases_when_idle() {
    use vsl_core::transcribe::ModelHost;
    let host = ModelHost::new(Duration::from_millis(300));
    let path = crate::common::converted_store().path_for("tiny.en");
    let first = host.engine(&path).expect("load");
    let second = host.engine(&path).expect("reuse");
    assert!(
        Arc::ptr_eq(&first, &second),
        "the same loaded model is shared"
    );
    assert_eq!(host.load_count(), 1);
    // While a job holds the engine it is never released.
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(host.loaded(), Some(path.clone()));
    drop((first, second));
    let deadline = Instant::now() + Duration::from_secs(20);
    while host.loaded().is_some() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(host.loaded(), None, "released after the idle time");
    host.engine(&path).expect("reload");
    assert_eq!(host.load_count(), 2);
}

#[test]
fn long_speech_in_windows_is_heard_as_in_one() {
    // An hour is transcribed in windows cut at pauses (memory); here 40 s windows over the
    // 128 s fixture, fed in odd-sized blocks as the decoder hands them over.
    let audio = crate::common::long_english();
    let pcm = media::decode(&audio, &CancelToken::new()).expect("decode");
    let engine = engine("tiny.en");
    let options = TranscribeOptions::default();
    let whole = engine
        .transcribe(&pcm.samples, &options, &mut |_| {}, &CancelToken::new())
        .expect("whole");
    let cancel = CancelToken::new();
    let mut percents = Vec::new();
    let mut session = engine
        .session(&options, Some(pcm.duration()))
        .expect("session")
        .with_chunk_seconds(40.0);
    for block in pcm.samples.chunks(7919) {
        session
            .push(block, &mut |percent| percents.push(percent), &cancel)
            .expect("push");
    }
    // Every window but the last ran while the blocks came in.
    assert!(
        percents.iter().any(|&p| p > 0),
        "no window was transcribed before the end"
    );
    let windowed = session
        .finish(&mut |percent| percents.push(percent), &cancel)
        .expect("finish");
    assert!(
        percents.windows(2).all(|pair| pair[0] <= pair[1]),
        "{percents:?}"
    );
    assert_eq!(percents.last(), Some(&100));
    assert!((windowed.duration - whole.duration).abs() < 1e-9);

    let reference = normalize(
        &std::fs::read_to_string(crate::common::fixture_text("long_en.txt")).expect("text"),
    );
    let whole_wer = crate::common::wer(&reference, &normalize(&whole.text()));
    let windowed_wer = crate::common::wer(&reference, &normalize(&windowed.text()));
    assert!(
        windowed_wer <= whole_wer + 0.03,
        "windows WER {windowed_wer:.3} against one window's {whole_wer:.3}: {}",
        windowed.text()
    );

    // Word for word nearly the same, at the same times: nothing lost or doubled at a cut.
    // Not exactly the same: whisper.cpp clamps the mel spectrogram to 8 (log10) below the
    // loudest frame of what it is given, so a window's picture of the voice differs a little
    // from the whole file's, and tiny.en flips a few words ("ladder"/"letter") even in the
    // first window, long before any cut.
    let words = |t: &vsl_core::transcribe::Transcript| {
        t.words()
            .cloned()
            .collect::<Vec<vsl_core::transcribe::Word>>()
    };
    let (a, b) = (words(&whole), words(&windowed));
    let key = |words: &[vsl_core::transcribe::Word]| {
        words
            .iter()
            .map(|w| normalize(&w.text).join(" "))
            .collect::<Vec<String>>()
    };
    let pairs = crate::common::common_words(&key(&a), &key(&b));
    let shared = pairs.len() as f64;
    assert!(
        shared >= 0.9 * a.len() as f64 && shared >= 0.9 * b.len() as f64,
        "{} of {} / {} words in common",
        pairs.len(),
        a.len(),
        b.len()
    );
    let close = pairs
        .iter()
        .filter(|&&(i, j)| (a[i].start - b[j].start).abs() <= 0.1)
        .count() as f64;
    assert!(
        close >= 0.9 * shared,
        "{close} of {shared} words start within 0.1 s"
    );
    assert!(b.windows(2).all(|pair| pair[0].start <= pair[1].start));
    assert!(b.last().is_some_and(|w| w.end <= windowed.duration));
}

/// The device choice, in a build without a GPU backend (the Vulkan build's own tests run on
/// lavapipe: crates/vsl-cli/tests/gpu.rs, `make test-vulkan`).
#[test]
fn the_cpu_is_chosen_by_name_or_automatically_and_an_absent_gpu_is_refused() {
    use vsl_core::error::ErrorKind;
    use vsl_core::transcribe::{device::DeviceKind, DeviceChoice, Engine};
    let path = crate::common::converted_store().path_for("tiny.en");

    let cpu = Engine::load_on(&path, &DeviceChoice::Cpu).expect("load on the CPU");
    assert_eq!(cpu.device().kind, DeviceKind::Cpu);
    assert_eq!(cpu.notice(), None);
    if vsl_core::transcribe::device::gpu_backends().is_empty() {
        assert_eq!(engine("tiny.en").device().kind, DeviceKind::Cpu);
    }

    let absent = DeviceChoice::Named("Vulkan9".to_owned());
    let error = Engine::load_on(&path, &absent).expect_err("no such GPU");
    assert_eq!(error.kind(), ErrorKind::InvalidSettings);
    assert!(error.to_string().contains("'Vulkan9'"), "{error}");

    // A job that names it is refused when resolved, before any model is read.
    let home = tempfile::tempdir().expect("tempdir");
    let dirs = vsl_core::paths::Dirs::under(home.path());
    let spec = vsl_core::job::JobSpec {
        device: absent,
        ..vsl_core::job::JobSpec::default()
    };
    let error = spec.resolve(&dirs).expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::InvalidSettings);
}
