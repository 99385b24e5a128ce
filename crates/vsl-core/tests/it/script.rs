//! Script-first VSLs on real speech: a Portuguese voice-over joined from RHVoice sentences
//! (so each line's true onset is known), transcribed by the real base model, aligned to a
//! script that writes numbers as digits; and JFK against an English script.

use std::path::{Path, PathBuf};

use vsl_core::correct::Glossary;
use vsl_core::job::{Formats, JobSpec, Language};
use vsl_core::jobs::CancelToken;
use vsl_core::media;
use vsl_core::paths::Dirs;
use vsl_core::pipeline::{self, deck_from, ScriptInput};
use vsl_core::script::{LineStatus, Script, WordStatus};
use vsl_core::transcribe::{TranscribeOptions, Transcript};

use crate::common::{engine, generated, jfk_wav, run_tool};

/// What the voice says (words, as a voice artist reads them) and what the script writes.
const LINES: [(&str, &str); 5] = [
    (
        "Hoje você vai descobrir três passos para vender mais.",
        "Hoje você vai descobrir 3 passos para vender mais.",
    ),
    (
        "Mais de noventa por cento dos alunos tiveram resultado em sete dias.",
        "Mais de 90% dos alunos tiveram resultado em 7 dias.",
    ),
    (
        "O curso completo sai por quarenta e nove reais e noventa centavos à vista.",
        "O curso completo sai por R$ 49,90 à vista.",
    ),
    (
        "Ou em doze vezes no cartão de crédito.",
        "Ou em 12x no cartão de crédito.",
    ),
    (
        "Garanta a sua vaga ainda hoje.",
        "Garanta a sua *vaga* ainda hoje.",
    ),
];

/// Silence between the sentences, seconds.
const GAP: f64 = 0.7;
const RATE: usize = 16_000;

/// Converts a synthesized clip to 16 kHz mono 16-bit (one layout, so clips join) and
/// removes the original.
fn to_16k(raw: &Path, out: &Path) {
    let (raw_path, out_path) = (raw.to_str().expect("path"), out.to_str().expect("path"));
    run_tool(
        "sox",
        &[raw_path, "-r", "16000", "-c", "1", "-b", "16", out_path],
        None,
    );
    std::fs::remove_file(raw).expect("removed");
}

/// The clips joined in order with `gap` seconds of silence between them, cached as `name`.
fn join(clips: &[PathBuf], name: &str, gap: f64) -> PathBuf {
    generated(name, |out| {
        let pad = out.with_extension("pad.wav");
        if gap > 0.0 {
            let pad_path = pad.to_str().expect("path");
            let seconds = gap.to_string();
            run_tool(
                "sox",
                &[
                    "-n", "-r", "16000", "-c", "1", "-b", "16", pad_path, "trim", "0", &seconds,
                ],
                None,
            );
        }
        let mut args: Vec<String> = Vec::new();
        for (k, clip) in clips.iter().enumerate() {
            if k > 0 && gap > 0.0 {
                args.push(pad.display().to_string());
            }
            args.push(clip.display().to_string());
        }
        args.push(out.display().to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_tool("sox", &args, None);
        if gap > 0.0 {
            std::fs::remove_file(pad).expect("removed");
        }
    })
}

/// Where each clip's first sound falls in the join (its place plus its own leading
/// silence), and the join's length, in seconds.
fn onsets(clips: &[PathBuf], gap: f64) -> (Vec<f64>, f64) {
    let mut onsets = Vec::new();
    let mut at = 0.0;
    for clip in clips {
        let pcm = media::decode(clip, &CancelToken::new()).expect("a clip");
        let lead = pcm
            .samples
            .chunks(RATE / 100)
            .position(|chunk| {
                (chunk.iter().map(|s| s * s).sum::<f32>() / chunk.len() as f32).sqrt() > 0.02
            })
            .unwrap_or(0) as f64
            * 0.01;
        onsets.push(at + lead);
        at += pcm.samples.len() as f64 / RATE as f64 + gap;
    }
    (onsets, at - gap)
}

/// The joined voice-over and each sentence's true onset (first sound), in seconds.
fn voice_over() -> (PathBuf, Vec<f64>) {
    let clips: Vec<PathBuf> = LINES
        .iter()
        .enumerate()
        .map(|(k, (spoken, _))| {
            generated(&format!("script_pt_line{k}_v1.wav"), |out| {
                let text = out.with_extension("txt");
                std::fs::write(&text, spoken).expect("the sentence");
                let raw = out.with_extension("raw.wav");
                run_tool(
                    "RHVoice-test",
                    &["-p", "Leticia-F123", "-o", raw.to_str().expect("path")],
                    Some(&text),
                );
                to_16k(&raw, out);
                std::fs::remove_file(text).expect("removed");
            })
        })
        .collect();
    let joined = join(&clips, "script_pt_joined_v1.wav", GAP);
    (joined, onsets(&clips, GAP).0)
}

fn transcribe_pt(audio: &Path) -> Transcript {
    let pcm = media::decode(audio, &CancelToken::new()).expect("decodes");
    engine("base")
        .transcribe(
            &pcm.samples,
            &TranscribeOptions {
                language: Some("pt".into()),
                prompt: None,
                threads: 2,
            },
            &mut |_| {},
            &CancelToken::new(),
        )
        .expect("transcribes")
}

fn script_input(text: &str, name: &str) -> ScriptInput {
    ScriptInput {
        path: PathBuf::from(name),
        script: Script::parse(text, name).expect("a script"),
    }
}

fn dirs() -> (tempfile::TempDir, Dirs) {
    let root = tempfile::tempdir().expect("tempdir");
    let dirs = Dirs::under(root.path());
    (root, dirs)
}

#[test]
fn portuguese_slides_show_the_scripts_words_at_each_lines_onset() {
    let (audio, onsets) = voice_over();
    let transcript = transcribe_pt(&audio);
    let text: String = LINES
        .iter()
        .map(|(_, written)| *written)
        .collect::<Vec<_>>()
        .join("\n");
    let input = script_input(&text, "roteiro.txt");
    let (_root, dirs) = dirs();
    let resolved = JobSpec {
        language: Language::parse("pt"),
        ..JobSpec::default()
    }
    .resolve(&dirs)
    .expect("resolves");
    let made = deck_from(
        &transcript,
        &resolved.preset,
        &resolved.style,
        &Glossary::default(),
        Some(&input),
    )
    .expect("aligned");
    let alignment = made.alignment.expect("an alignment");

    // The slides' words are the script's, exactly: digits, symbols, capitals, punctuation.
    let shown: Vec<String> = made
        .deck
        .slides
        .iter()
        .flat_map(|slide| {
            slide
                .text
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let written: Vec<String> = LINES
        .iter()
        .flat_map(|(_, written)| {
            written
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(shown, written, "heard: {}", transcript.text());
    assert!(made
        .deck
        .slides
        .iter()
        .any(|slide| slide.highlights.contains(&"vaga".to_owned())));

    // Every line starts within 0.3 s of where its sentence really starts (the errors are
    // printed for docs/BENCHMARKS.md, "Script alignment").
    let errors: Vec<String> = alignment
        .lines
        .iter()
        .zip(&onsets)
        .map(|(line, onset)| format!("{:+.2}", line.start - onset))
        .collect();
    eprintln!("line onset errors (s): {}", errors.join(" "));
    for (line, onset) in alignment.lines.iter().zip(&onsets) {
        assert_eq!(line.status, LineStatus::Spoken, "{line:?}");
        assert!(
            (line.start - onset).abs() <= 0.3,
            "line {} starts at {:.2} s, its sentence at {onset:.2} s",
            line.line,
            line.start
        );
    }
    let ninety = alignment
        .words
        .iter()
        .find(|word| word.text == "90%")
        .expect("90%");
    assert!(
        matches!(ninety.status, WordStatus::Matched | WordStatus::Substituted),
        "{ninety:?}"
    );
    assert!(
        alignment.unscripted.is_empty(),
        "{:?}",
        alignment.unscripted
    );
    assert!(alignment.heard_share() > 0.8, "{}", alignment.report());
}

#[test]
fn a_line_the_script_lacks_is_unscripted_and_one_it_adds_is_skipped() {
    let (audio, onsets) = voice_over();
    let transcript = transcribe_pt(&audio);
    // Line 3 (the price) is gone from the script; a line the voice never says is added.
    let mut lines: Vec<&str> = LINES.iter().map(|(_, written)| *written).collect();
    lines.remove(2);
    lines.insert(
        3,
        "Este bônus exclusivo termina amanhã à meia-noite em ponto.",
    );
    let input = script_input(&lines.join("\n"), "roteiro-editado.md");
    let (_root, dirs) = dirs();
    let resolved = JobSpec::default().resolve(&dirs).expect("resolves");
    let made = deck_from(
        &transcript,
        &resolved.preset,
        &resolved.style,
        &Glossary::default(),
        Some(&input),
    )
    .expect("aligned");
    let alignment = made.alignment.expect("an alignment");
    let skipped: Vec<usize> = alignment.skipped_lines().map(|line| line.line).collect();
    assert_eq!(skipped, [4], "{}", alignment.report());
    assert_eq!(alignment.unscripted.len(), 1, "{}", alignment.report());
    let speech = &alignment.unscripted[0];
    assert!(
        (speech.start - onsets[2]).abs() <= 0.5,
        "unscripted at {:.2} s, the price line at {:.2} s",
        speech.start,
        onsets[2]
    );
    assert!(
        speech.text.to_lowercase().contains("curso"),
        "{}",
        speech.text
    );
    // The slides show the heard words there, marked for review, and not the skipped line.
    let all: String = made
        .deck
        .slides
        .iter()
        .map(|slide| slide.text.clone())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(!all.contains("bônus"), "{all}");
    assert!(all.to_lowercase().contains("curso"), "{all}");
    assert!(!made.review.expect("review").is_empty());
}

#[test]
fn english_script_keeps_its_spelling_and_the_heard_times() {
    let pcm = media::decode(&jfk_wav(), &CancelToken::new()).expect("decodes");
    let transcript = engine("tiny.en")
        .transcribe(
            &pcm.samples,
            &TranscribeOptions::default(),
            &mut |_| {},
            &CancelToken::new(),
        )
        .expect("transcribes");
    let script = "And so, my fellow AMERICANS:\nask NOT what your country can do for you...\n\nask what YOU can do for your country!";
    let input = script_input(script, "jfk.txt");
    let alignment =
        vsl_core::script::align(&input.script, &transcript, &input.path).expect("aligned");
    let heard: Vec<&vsl_core::transcribe::Word> = transcript.words().collect();
    let mut matched = 0;
    for word in alignment
        .words
        .iter()
        .filter(|word| word.status == WordStatus::Matched)
    {
        let own = heard
            .iter()
            .find(|heard| (heard.start - word.start).abs() <= 0.1)
            .unwrap_or_else(|| panic!("{word:?} has no heard word within 0.1 s"));
        assert!(own.end >= word.start);
        matched += 1;
    }
    assert!(
        matched as f64 >= alignment.words.len() as f64 * 0.9,
        "{}",
        alignment.report()
    );
    assert_eq!(alignment.words[4].text, "AMERICANS:");
    assert_eq!(
        alignment.lines[2].text,
        "ask what YOU can do for your country!"
    );
}

#[test]
fn a_script_for_another_voice_over_is_refused_and_nothing_is_written() {
    let (_root, dirs) = dirs();
    let out = dirs.data.join("out");
    let script = dirs.data.join("roteiro.txt");
    vsl_core::fs::create_dir_all(&dirs.data).expect("folder");
    vsl_core::fs::write_atomic(
        &script,
        "Hoje você vai descobrir o segredo das vendas online.\nSão três passos simples que qualquer pessoa pode seguir."
            .as_bytes(),
        vsl_core::fs::Replace::No,
    )
    .expect("script");
    let resolved = JobSpec {
        model: "tiny.en".into(),
        formats: Formats::all(),
        script: Some(script.clone()),
        ..JobSpec::default()
    }
    .resolve(&dirs)
    .expect("the script reads");
    let error = pipeline::run_file(
        engine("tiny.en"),
        &jfk_wav(),
        "jfk",
        &resolved.pipeline_options(&out, false),
        &|_| {},
        &CancelToken::new(),
    )
    .expect_err("another voice-over");
    assert_eq!(error.kind(), "script_mismatch");
    assert!(error.to_string().contains("roteiro.txt"), "{error}");
    assert!(
        error.to_string().contains("does not match this voice-over"),
        "{error}"
    );
    let written: Vec<_> = std::fs::read_dir(&out)
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    assert!(written.is_empty(), "{written:?}");
}

#[test]
fn a_run_with_a_script_writes_alignment_json_in_its_format() {
    let (_root, dirs) = dirs();
    let out = dirs.data.join("out");
    let script = dirs.data.join("jfk.md");
    vsl_core::fs::create_dir_all(&dirs.data).expect("folder");
    vsl_core::fs::write_atomic(
        &script,
        b"# JFK\n\nAnd so, my fellow Americans,\nask not what your country can do for you,\n---\nask what you can do for your country.\n",
        vsl_core::fs::Replace::No,
    )
    .expect("script");
    let resolved = JobSpec {
        formats: Formats::parse("srt").expect("formats"),
        script: Some(script),
        ..JobSpec::default()
    }
    .resolve(&dirs)
    .expect("resolves");
    let outcome = pipeline::run_file(
        engine("tiny.en"),
        &jfk_wav(),
        "jfk",
        &resolved.pipeline_options(&out, false),
        &|_| {},
        &CancelToken::new(),
    )
    .expect("runs");
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(outcome.slides_dir.join("alignment.json")).expect("alignment.json"),
    )
    .expect("JSON");
    let keys = |value: &serde_json::Value| {
        let mut keys: Vec<String> = value
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&json), ["lines", "script", "unscripted", "words"]);
    assert_eq!(json["script"], "jfk.md");
    assert_eq!(
        keys(&json["lines"][0]),
        ["end", "line", "start", "status", "text"]
    );
    assert_eq!(json["lines"][0]["line"], 1);
    assert_eq!(json["lines"][0]["text"], "JFK");
    assert_eq!(
        keys(&json["words"][0]),
        ["end", "heard", "line", "start", "status", "text"]
    );
    // "JFK" (the heading) is never said.
    assert_eq!(json["lines"][0]["status"], "skipped");
    assert_eq!(json["lines"][1]["status"], "spoken");
    // The SRT follows the script's words and its `---` break.
    let srt = std::fs::read_to_string(out.join("jfk.srt")).expect("srt");
    assert!(srt.contains("And so, my fellow Americans,"), "{srt}");
    let deck = vsl_core::slides::SlideDeck::load(&outcome.slides_dir).expect("deck");
    assert!(
        deck.slides
            .iter()
            .all(|slide| !(slide.text.contains("you,") && slide.text.contains("ask what"))),
        "a slide spans the --- break: {:?}",
        deck.slides
    );
    assert!(outcome
        .alignment
        .expect("alignment")
        .report()
        .contains("skipped line 1"));
}

/// Twenty minutes of joined English speech (espeak-ng, one clip per line, so each line's
/// onset is known) against its script: no line drifts by more than a second, nothing is lost.
#[test]
fn a_twenty_minute_read_does_not_drift() {
    let sentences: Vec<&str> = include_str!("../fixtures/long_en.txt")
        .split(['.', '?', '!'])
        .map(str::trim)
        .filter(|sentence| sentence.split_whitespace().count() >= 4)
        .collect();
    // Each line opens with its part number: the script writes digits, the voice says words.
    const LINES: usize = 180;
    // English comes last among a number's spoken forms ("one hundred and twenty three").
    let spoken_number = |k: usize| -> String {
        vsl_core::script::spoken::forms(&k.to_string())
            .last()
            .map(|form| form.join(" "))
            .unwrap_or_else(|| k.to_string())
    };
    let lines: Vec<(String, String)> = (0..LINES)
        .map(|k| {
            let sentence = sentences[k % sentences.len()];
            (
                format!("Part {}. {sentence}.", spoken_number(k + 1)),
                format!("Part {}. {sentence}.", k + 1),
            )
        })
        .collect();
    let clips: Vec<PathBuf> = lines
        .iter()
        .enumerate()
        .map(|(k, (spoken, _))| {
            generated(&format!("script_long_en_{k:03}_v1.wav"), |out| {
                let raw = out.with_extension("raw.wav");
                run_tool(
                    "espeak-ng",
                    &[
                        "-v",
                        "en-us",
                        "-s",
                        "150",
                        "-w",
                        raw.to_str().expect("path"),
                        spoken,
                    ],
                    None,
                );
                to_16k(&raw, out);
            })
        })
        .collect();
    let joined = join(
        &clips,
        &format!("script_long_en_joined_{LINES}_v1.wav"),
        0.0,
    );
    let (onsets, at) = onsets(&clips, 0.0);
    assert!(at >= 20.0 * 60.0, "only {at:.0} s of speech");

    let pcm = media::decode(&joined, &CancelToken::new()).expect("decodes");
    let transcript = engine("tiny.en")
        .transcribe(
            &pcm.samples,
            &TranscribeOptions::default(),
            &mut |_| {},
            &CancelToken::new(),
        )
        .expect("transcribes");
    let text: Vec<&str> = lines.iter().map(|(_, written)| written.as_str()).collect();
    let input = script_input(&text.join("\n"), "long.txt");
    let started = std::time::Instant::now();
    let alignment =
        vsl_core::script::align(&input.script, &transcript, &input.path).expect("aligned");
    eprintln!(
        "20-minute read: {:.0} s of audio, {} script words, aligned in {:.3} s, {:.1} % heard",
        at,
        input.script.word_count(),
        started.elapsed().as_secs_f64(),
        alignment.heard_share() * 100.0
    );
    assert_eq!(alignment.lines.len(), LINES, "nothing is lost");
    assert_eq!(alignment.words.len(), input.script.word_count());
    // Drift would push every later line off; a bad word time (Whisper's timestamps at its
    // 30 s window edges, issue 13's word-boundary part) moves one line. So: nearly every
    // line within 1 s, the median far under it, no line lost or far off.
    let mut errors: Vec<f64> = alignment
        .lines
        .iter()
        .zip(&onsets)
        .map(|(line, onset)| (line.start - onset).abs())
        .collect();
    errors.sort_by(f64::total_cmp);
    let within = errors.iter().filter(|error| **error <= 1.0).count();
    let median = errors[errors.len() / 2];
    let p95 = errors[errors.len() * 95 / 100];
    let worst = errors[errors.len() - 1];
    eprintln!(
        "line onset error: median {median:.2} s, p95 {p95:.2} s, worst {worst:.2} s, {within} of {} lines within 1 s",
        errors.len()
    );
    // What a failure needs to be read: each line far off, beside what Whisper heard there.
    for (line, onset) in alignment.lines.iter().zip(&onsets) {
        if (line.start - onset).abs() > 0.5 {
            let heard: Vec<String> = transcript
                .segments
                .iter()
                .flat_map(|segment| &segment.words)
                .filter(|word| word.end >= onset - 2.0 && word.start <= onset + 3.0)
                .map(|word| format!("{}@{:.2}-{:.2}", word.text.trim(), word.start, word.end))
                .collect();
            eprintln!(
                "line {} starts at {:.2} s, spoken at {onset:.2} s: {:?}\n  heard: {}",
                line.line,
                line.start,
                line.text,
                heard.join(" ")
            );
        }
    }
    // Every line is said, so every line is spoken, except (a known Whisper defect, not the
    // aligner's) at the very end: on the AMD EPYC (AVX512-BF16, no AMX), tiny.en in bf16 gives
    // its last segment "Part 100 and 79." a span to the end of the audio (1231-1248 s), and
    // whisper.cpp then skips the 15 s it claims to cover: lines 179 and 180 are not heard, and
    // the aligner reports them skipped, which is right for what it was given. So at most the
    // last two lines may be unspoken, and only where Whisper heard no more than their number.
    let unspoken: Vec<_> = alignment
        .lines
        .iter()
        .filter(|line| line.status != LineStatus::Spoken)
        .collect();
    assert!(
        unspoken.iter().all(|line| line.line + 2 > LINES),
        "{unspoken:?}"
    );
    for line in &unspoken {
        let heard: Vec<&str> = transcript
            .segments
            .iter()
            .flat_map(|segment| &segment.words)
            .filter(|word| word.start >= line.start && word.start < line.end)
            .map(|word| word.text.trim())
            .collect();
        assert!(
            heard.len() <= 4,
            "{line:?} is not spoken, but Whisper heard there: {}",
            heard.join(" ")
        );
    }
    assert!(median <= 0.3, "median line error {median:.2} s");
    // The issue's bar: no line off by more than 1 s.
    assert_eq!(
        within,
        errors.len(),
        "{within} of {} lines within 1 s; the worst is {worst:.2} s off",
        errors.len()
    );
    assert!(alignment.heard_share() > 0.9, "{}", alignment.report());
}
