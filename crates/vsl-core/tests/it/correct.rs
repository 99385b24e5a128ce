//! Glossary correction: table tests (Portuguese accents, multi-word brand names, timing of
//! replaced phrases), glossary files on disk, parallel batches, review flags.

use vsl_core::correct::{apply, CorrectionError, Glossary};
use vsl_core::transcribe::{Segment, Transcript, Word};

/// Words of one segment: text, start, end, probability.
fn transcript(segments: &[&[(&str, f64, f64, f32)]]) -> Transcript {
    let segments: Vec<Segment> = segments
        .iter()
        .map(|words| {
            let words: Vec<Word> = words
                .iter()
                .map(|(text, start, end, probability)| Word {
                    text: (*text).to_owned(),
                    start: *start,
                    end: *end,
                    probability: *probability,
                })
                .collect();
            Segment {
                start: words.first().map_or(0.0, |w| w.start),
                end: words.last().map_or(0.0, |w| w.end),
                text: words
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                words,
            }
        })
        .collect();
    Transcript {
        language: "pt".into(),
        duration: segments.last().map_or(0.0, |s| s.end),
        model: "test".into(),
        segments,
        flags: Vec::new(),
    }
}

/// `text` as evenly timed words, 0.5 s each starting at 1 s, probability 0.9.
fn timed(text: &str) -> Vec<(&str, f64, f64, f32)> {
    text.split_whitespace()
        .enumerate()
        .map(|(i, w)| (w, 1.0 + i as f64 * 0.5, 1.4 + i as f64 * 0.5, 0.9))
        .collect()
}

struct Case {
    name: &'static str,
    glossary: &'static str,
    input: &'static str,
    expected: &'static str,
    /// How many replacements the report lists.
    fired: usize,
}

const CASES: &[Case] = &[
    Case {
        name: "multi-word brand to one word",
        glossary: "[[rule]]\nfrom = \"acme pay\"\nto = \"AcmePay\"\n",
        input: "pay with acme pay today",
        expected: "pay with AcmePay today",
        fired: 1,
    },
    Case {
        name: "case-insensitive, replacement keeps the rule's case",
        glossary: "[[rule]]\nfrom = \"vsl studio\"\nto = \"VSL Studio\"\n",
        input: "open Vsl STUDIO now",
        expected: "open VSL Studio now",
        fired: 1,
    },
    Case {
        name: "punctuation around the phrase is kept",
        glossary: "[[rule]]\nfrom = \"acme pay\"\nto = \"AcmePay\"\n",
        input: "(acme pay), really: “Acme pay!”",
        expected: "(AcmePay), really: “AcmePay!”",
        fired: 2,
    },
    Case {
        name: "no phrase across punctuation",
        glossary: "[[rule]]\nfrom = \"acme pay\"\nto = \"AcmePay\"\n",
        input: "use acme, pay later",
        expected: "use acme, pay later",
        fired: 0,
    },
    Case {
        name: "whole words only",
        glossary: "[[rule]]\nfrom = \"pay\"\nto = \"PAY\"\n",
        input: "payment repay pay",
        expected: "payment repay PAY",
        fired: 1,
    },
    Case {
        name: "longest phrase wins, then rule order",
        glossary: "[[rule]]\nfrom = \"acme\"\nto = \"ACME Corp\"\n[[rule]]\nfrom = \"acme pay\"\nto = \"AcmePay\"\n[[rule]]\nfrom = \"acme\"\nto = \"never\"\n",
        input: "acme pay and acme",
        expected: "AcmePay and ACME Corp",
        fired: 2,
    },
    Case {
        name: "accent-sensitive by default",
        glossary: "[[rule]]\nfrom = \"mae\"\nto = \"Mãe\"\n",
        input: "minha mãe e a mae dela",
        expected: "minha mãe e a Mãe dela",
        fired: 1,
    },
    Case {
        name: "Portuguese: accent-insensitive restores the accents",
        glossary: "accent_insensitive = true\n[[rule]]\nfrom = \"promocao\"\nto = \"promoção\"\n[[rule]]\nto = \"não\"\n",
        input: "a promoçao NAO acaba, nao mesmo. Promocão!",
        expected: "a promoção não acaba, não mesmo. promoção!",
        fired: 4,
    },
    Case {
        name: "Portuguese multi-word brand, accents and case",
        glossary: "[[rule]]\nfrom = \"pao de acucar\"\nto = \"Pão de Açúcar\"\naccent_insensitive = true\nhighlight = true\n",
        input: "compre no pão de açucar hoje",
        expected: "compre no Pão de Açúcar hoje",
        fired: 1,
    },
    Case {
        name: "one word to several",
        glossary: "[[rule]]\nfrom = [\"hotmarti\", \"rotmart\"]\nto = \"Hotmart Club\"\n",
        input: "entre no rotmart.",
        expected: "entre no Hotmart Club.",
        fired: 1,
    },
    Case {
        name: "already correct is silent",
        glossary: "[[rule]]\nto = \"Hotmart\"\n",
        input: "Hotmart hotmart",
        expected: "Hotmart Hotmart",
        fired: 1,
    },
];

fn all_words(t: &Transcript) -> String {
    t.words()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn glossary_table() {
    for case in CASES {
        let glossary =
            Glossary::parse(case.glossary).unwrap_or_else(|error| panic!("{}: {error}", case.name));
        let mut t = transcript(&[&timed(case.input)]);
        let report = apply(&mut t, &glossary);
        assert_eq!(all_words(&t), case.expected, "{}", case.name);
        assert_eq!(
            t.segments[0].text, case.expected,
            "{}: segment text",
            case.name
        );
        assert_eq!(
            report.replacements.len(),
            case.fired,
            "{}: {report:?}",
            case.name
        );
    }
}

#[test]
fn a_phrase_takes_the_time_span_of_the_words_it_replaces() {
    let glossary = Glossary::parse(
        "[[rule]]\nfrom = \"acme pay\"\nto = \"AcmePay\"\n[[rule]]\nfrom = \"vslstudio\"\nto = \"VSL Studio\"\n[[rule]]\nfrom = \"pao de acucar\"\nto = \"Pão de Açúcar\"\naccent_insensitive = true\n",
    )
    .expect("glossary");
    let mut t = transcript(&[&[
        ("try", 0.0, 0.3, 0.9),
        ("acme", 0.4, 0.7, 0.8),
        ("pay,", 0.75, 1.1, 0.6),
        ("vslstudio", 1.2, 2.1, 0.9),
        ("pao", 2.5, 2.7, 0.9),
        ("de", 2.7, 2.8, 0.9),
        ("acucar", 2.8, 3.3, 0.9),
    ]]);
    let report = apply(&mut t, &glossary);
    let words: Vec<(&str, f64, f64)> = t
        .words()
        .map(|w| (w.text.as_str(), w.start, w.end))
        .collect();
    // Two words to one: the span of both. One word to two: split by length (3 : 6).
    // Three to three: each word keeps its own time.
    let expected = [
        ("try", 0.0, 0.3),
        ("AcmePay,", 0.4, 1.1),
        ("VSL", 1.2, 1.5),
        ("Studio", 1.5, 2.1),
        ("Pão", 2.5, 2.7),
        ("de", 2.7, 2.8),
        ("Açúcar", 2.8, 3.3),
    ];
    assert_eq!(words.len(), expected.len(), "{words:?}");
    for ((text, start, end), (want_text, want_start, want_end)) in words.iter().zip(expected) {
        assert_eq!(*text, want_text);
        assert!((start - want_start).abs() < 1e-9, "{text} start {start}");
        assert!((end - want_end).abs() < 1e-9, "{text} end {end}");
    }
    // The merged word carries the lower confidence of the two it replaced.
    assert_eq!(t.segments[0].words[1].probability, 0.6);

    let first = &report.replacements[0];
    assert_eq!(
        (
            first.rule,
            first.segment,
            first.word_index,
            first.word_count
        ),
        (0, 0, 1, 1)
    );
    assert_eq!(
        (first.from.as_str(), first.to.as_str()),
        ("acme pay,", "AcmePay,")
    );
    assert_eq!((first.start, first.end), (0.4, 1.1));
    let second = &report.replacements[1];
    assert_eq!((second.word_index, second.word_count), (2, 2));
    assert_eq!((second.start, second.end), (1.2, 2.1));
}

#[test]
fn unsure_words_are_listed_for_review_unless_the_glossary_fixed_them() {
    let glossary =
        Glossary::parse("review_threshold = 0.6\n[[rule]]\nfrom = \"acme\"\nto = \"Acme\"\n")
            .expect("glossary");
    let mut t = transcript(&[
        &[("clear", 0.0, 0.5, 0.95), ("mumbled", 0.5, 1.0, 0.4)],
        &[("acme", 2.0, 2.5, 0.3), ("edge", 2.5, 3.0, 0.6)],
    ]);
    let report = apply(&mut t, &glossary);
    let review: Vec<(usize, usize, &str)> = report
        .review
        .iter()
        .map(|r| (r.segment, r.word_index, r.text.as_str()))
        .collect();
    assert_eq!(review, [(0, 1, "mumbled")]);
    assert_eq!(report.review[0].probability, 0.4);
}

#[test]
fn parallel_batches_give_the_sequential_result_in_order() {
    let glossary =
        Glossary::parse("[[rule]]\nfrom = \"acme pay\"\nto = \"AcmePay\"\n").expect("glossary");
    let segments: Vec<Vec<(&str, f64, f64, f32)>> = (0..200)
        .map(|i| {
            let t = i as f64 * 2.0;
            vec![
                ("buy", t, t + 0.3, 0.9),
                ("acme", t + 0.3, t + 0.6, 0.9),
                ("pay", t + 0.6, t + 0.9, if i % 7 == 0 { 0.2 } else { 0.9 }),
                ("now", t + 0.9, t + 1.2, if i % 5 == 0 { 0.1 } else { 0.9 }),
            ]
        })
        .collect();
    let borrowed: Vec<&[(&str, f64, f64, f32)]> = segments.iter().map(Vec::as_slice).collect();
    let mut parallel = transcript(&borrowed);
    let mut sequential = parallel.clone();
    let report = apply(&mut parallel, &glossary);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let one_thread = pool.install(|| apply(&mut sequential, &glossary));
    assert_eq!(report, one_thread);
    assert_eq!(parallel, sequential);
    assert_eq!(report.replacements.len(), 200);
    assert!(report
        .replacements
        .windows(2)
        .all(|pair| pair[0].segment < pair[1].segment));
    // "now" in every fifth segment, shifted to index 2 by the merge.
    assert_eq!(report.review.len(), 40);
    assert!(report
        .review
        .iter()
        .all(|r| r.word_index == 2 && r.text == "now"));
}

#[test]
fn global_and_job_glossaries_from_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let global = dir.path().join("global.toml");
    let job = dir.path().join("job.toml");
    std::fs::write(
        &global,
        "review_threshold = 0.2\n[[rule]]\nfrom = \"acme\"\nto = \"ACME\"\nhighlight = true\n[[rule]]\nto = \"Hotmart\"\n",
    )
    .expect("write");
    std::fs::write(
        &job,
        "[[rule]]\nfrom = \"acme\"\nto = \"Acme Labs\"\nhighlight = true\n",
    )
    .expect("write");

    let merged = Glossary::load_layers(Some(&global), Some(&job)).expect("load");
    assert_eq!(merged.review_threshold(), 0.2);
    assert_eq!(merged.highlight_terms(), ["Acme Labs", "ACME"]);
    assert_eq!(merged.prompt_terms(), ["Acme Labs", "ACME", "Hotmart"]);
    let mut t = transcript(&[&timed("acme on hotmart")]);
    apply(&mut t, &merged);
    assert_eq!(all_words(&t), "Acme Labs on Hotmart");

    // A missing global glossary is simply empty; a missing job glossary is an error
    // naming the file.
    let none = Glossary::load_layers(Some(&dir.path().join("absent.toml")), None).expect("empty");
    assert!(none.is_empty());
    let missing = dir.path().join("missing.toml");
    let error = Glossary::load_layers(None, Some(&missing)).expect_err("missing");
    assert!(matches!(error, CorrectionError::Io { .. }));
    assert!(error.to_string().contains("missing.toml"), "{error}");

    std::fs::write(&job, "[[rule]]\nfrom = \"x\"\n").expect("write");
    let error = Glossary::load(&job).expect_err("no `to`");
    assert_eq!(error.kind(), "invalid_glossary");
    assert!(error.to_string().contains("job.toml"), "{error}");
}

#[test]
fn the_real_jfk_transcript_keeps_its_timing() {
    let text = std::fs::read_to_string(crate::common::fixture_text("jfk.json")).expect("fixture");
    let mut t: Transcript = serde_json::from_str(&text).expect("transcript");
    let before: Vec<Word> = t.words().cloned().collect();
    let glossary = Glossary::parse(
        "[[rule]]\nfrom = \"fellow americans\"\nto = \"Fellow Americans\"\nhighlight = true\n",
    )
    .expect("glossary");
    let report = apply(&mut t, &glossary);
    assert_eq!(report.replacements.len(), 1, "{report:?}");
    let after: Vec<Word> = t.words().cloned().collect();
    assert_eq!(before.len(), after.len());
    for (old, new) in before.iter().zip(&after) {
        assert_eq!((old.start, old.end), (new.start, new.end));
    }
    assert!(t.text().contains("my Fellow Americans,"), "{}", t.text());
}
