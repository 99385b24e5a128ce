//! Glossary correction: the brand names, jargon and accents the model gets wrong, fixed
//! the same way every time.
//!
//! A [`Glossary`] is a list of [`Rule`]s (`from -> to`) read from TOML (format in
//! `docs/formats.md`): a global one in the config directory and one per job, the job's
//! rules first. [`apply`] rewrites a [`Transcript`] in place and returns a
//! [`CorrectionReport`] saying which rule fired where and which words the model was unsure
//! of. [`Glossary::prompt`] turns the glossary's terms into the transcription prompt so the
//! model spells them right in the first place.
//!
//! Matching is over whole words and multi-word phrases, case-insensitive and, per rule,
//! accent-insensitive; the replacement is written exactly as in the rule, keeps the
//! punctuation around the phrase and takes the time span of the words it replaces.

use crate::error::ErrorKind;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::text::{match_key, split_edges};
use crate::transcribe::{Segment, Transcript, Word};

/// The glossary file's name, in the config directory and in a job's folder.
pub const GLOSSARY_FILE: &str = "glossary.toml";

/// Words whose probability is below this are listed for review unless the glossary says
/// otherwise. Whisper's lowest-token probability sits above 0.6 for clearly spoken words;
/// under 0.5 the word is wrong often enough to be worth a look.
pub const DEFAULT_REVIEW_THRESHOLD: f32 = 0.5;

/// Segments per parallel batch: large enough that scheduling costs nothing next to the
/// matching, small enough that a long transcript spreads over every core.
const BATCH: usize = 16;

/// Whisper's prompt is at most 224 tokens and the prompt also has to carry the user's
/// own text; about 600 characters of terms stays well inside that.
const PROMPT_TERMS_MAX_CHARS: usize = 600;

#[derive(Debug, thiserror::Error)]
pub enum CorrectionError {
    #[error("{}: cannot read the glossary: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a valid glossary: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
}

impl CorrectionError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            CorrectionError::Io { .. } => ErrorKind::Io,
            CorrectionError::Invalid { .. } => ErrorKind::InvalidGlossary,
        }
    }
}

/// One `from -> to` rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// The spellings to replace: words or phrases, compared case-insensitively. A rule
    /// written without `from` matches its own `to`, which fixes case and accents.
    pub from: Vec<String>,
    /// The replacement, written exactly as it should appear.
    pub to: String,
    /// Draw the term in the accent colour on slides.
    pub highlight: bool,
    /// Also match spellings that differ only in accents ("nao" for "não").
    pub accent_insensitive: bool,
}

/// Rules plus the review threshold; see the module docs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Glossary {
    /// In priority order: where two rules match at the same word, the longer phrase wins,
    /// then the earlier rule.
    pub rules: Vec<Rule>,
    review_threshold: Option<f32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GlossaryFile {
    review_threshold: Option<f32>,
    #[serde(default)]
    accent_insensitive: bool,
    #[serde(default)]
    rule: Vec<RuleFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    from: OneOrMany,
    to: String,
    #[serde(default)]
    highlight: bool,
    accent_insensitive: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Glossary {
    /// Reads one glossary file.
    pub fn load(path: &Path) -> Result<Glossary, CorrectionError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            // Bytes that are not UTF-8 are bad content, not a failed read.
            if source.kind() == std::io::ErrorKind::InvalidData {
                CorrectionError::Invalid {
                    path: path.to_path_buf(),
                    reason: "not UTF-8 text".to_owned(),
                }
            } else {
                CorrectionError::Io {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        Glossary::parse(&text).map_err(|reason| CorrectionError::Invalid {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// The global glossary (if the file exists) under the job's (if given): the job's rules
    /// come first and its `review_threshold` wins.
    pub fn load_layers(
        global: Option<&Path>,
        job: Option<&Path>,
    ) -> Result<Glossary, CorrectionError> {
        let global = match global {
            Some(path) if path.is_file() => Glossary::load(path)?,
            _ => Glossary::default(),
        };
        match job {
            Some(path) => Ok(Glossary::load(path)?.layered_over(global)),
            None => Ok(global),
        }
    }

    /// Parses glossary TOML; the error is a sentence naming the rule at fault.
    pub fn parse(text: &str) -> Result<Glossary, String> {
        let file: GlossaryFile = toml::from_str(text).map_err(|error| error.to_string())?;
        if let Some(threshold) = file.review_threshold {
            if !(0.0..=1.0).contains(&threshold) {
                return Err(format!(
                    "review_threshold must be between 0 and 1, not {threshold}"
                ));
            }
        }
        let mut rules = Vec::with_capacity(file.rule.len());
        for (index, rule) in file.rule.into_iter().enumerate() {
            let number = index + 1;
            let to = rule.to.split_whitespace().collect::<Vec<_>>().join(" ");
            if to.is_empty() {
                return Err(format!("rule {number}: `to` is empty"));
            }
            let from = match rule.from {
                OneOrMany::None => vec![to.clone()],
                OneOrMany::One(one) => vec![one],
                OneOrMany::Many(many) => many,
            };
            let accent_insensitive = rule.accent_insensitive.unwrap_or(file.accent_insensitive);
            for spelling in &from {
                if pattern_keys(spelling, accent_insensitive).is_none() {
                    return Err(format!(
                        "rule {number}: `from` entry {spelling:?} has no words to match"
                    ));
                }
            }
            if from.is_empty() {
                return Err(format!("rule {number}: `from` is an empty list"));
            }
            rules.push(Rule {
                from,
                to,
                highlight: rule.highlight,
                accent_insensitive,
            });
        }
        Ok(Glossary {
            rules,
            review_threshold: file.review_threshold,
        })
    }

    /// `self`'s rules first, then `lower`'s; `self`'s threshold if it sets one.
    pub fn layered_over(mut self, lower: Glossary) -> Glossary {
        self.rules.extend(lower.rules);
        self.review_threshold = self.review_threshold.or(lower.review_threshold);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Words under this probability are listed for review.
    pub fn review_threshold(&self) -> f32 {
        self.review_threshold.unwrap_or(DEFAULT_REVIEW_THRESHOLD)
    }

    pub fn set_review_threshold(&mut self, threshold: f32) {
        self.review_threshold = Some(threshold.clamp(0.0, 1.0));
    }

    /// The correct spellings, once each, in rule order: what the transcription prompt
    /// should carry. Stops before the prompt would get too long for Whisper.
    pub fn prompt_terms(&self) -> Vec<String> {
        let mut terms: Vec<String> = Vec::new();
        let mut length = 0;
        for rule in &self.rules {
            if terms.contains(&rule.to) {
                continue;
            }
            length += rule.to.chars().count() + 2;
            if length > PROMPT_TERMS_MAX_CHARS {
                break;
            }
            terms.push(rule.to.clone());
        }
        terms
    }

    /// The transcription prompt: the user's own prompt, then the glossary's terms.
    pub fn prompt(&self, user_prompt: Option<&str>) -> Option<String> {
        let user_prompt = user_prompt.map(str::trim).filter(|p| !p.is_empty());
        let terms = self.prompt_terms().join(", ");
        match (user_prompt, terms.is_empty()) {
            (None, true) => None,
            (Some(prompt), true) => Some(prompt.to_owned()),
            (None, false) => Some(terms),
            (Some(prompt), false) => Some(format!("{prompt} {terms}")),
        }
    }

    /// The terms to draw in the accent colour, as they are written after correction.
    pub fn highlight_terms(&self) -> Vec<String> {
        let mut terms: Vec<String> = Vec::new();
        for rule in self.rules.iter().filter(|rule| rule.highlight) {
            if !terms.contains(&rule.to) {
                terms.push(rule.to.clone());
            }
        }
        terms
    }
}

/// A glossary as an editor shows it: every rule with its settings, and the threshold only
/// if the file sets one. [`GlossaryDocument::save`] writes it back as TOML the parser reads
/// (comments in the old file are not kept).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GlossaryDocument {
    pub review_threshold: Option<f32>,
    pub rules: Vec<EditableRule>,
}

/// One rule in a [`GlossaryDocument`]; an empty `from` matches the rule's own `to`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EditableRule {
    pub from: Vec<String>,
    pub to: String,
    pub highlight: bool,
    pub accent_insensitive: bool,
}

impl Glossary {
    /// This glossary as an editable document.
    pub fn document(&self) -> GlossaryDocument {
        GlossaryDocument {
            review_threshold: self.review_threshold,
            rules: self
                .rules
                .iter()
                .map(|rule| EditableRule {
                    // A rule written without `from` parses to `[to]`: keep it that way.
                    from: if rule.from == [rule.to.clone()] {
                        Vec::new()
                    } else {
                        rule.from.clone()
                    },
                    to: rule.to.clone(),
                    highlight: rule.highlight,
                    accent_insensitive: rule.accent_insensitive,
                })
                .collect(),
        }
    }
}

impl GlossaryDocument {
    /// The document as glossary TOML, checked by [`Glossary::parse`]; the error is the
    /// parser's sentence naming the rule at fault. Blank `from` entries are dropped.
    pub fn to_toml(&self) -> Result<String, String> {
        #[derive(Serialize)]
        struct File<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            review_threshold: Option<f32>,
            rule: Vec<RuleOut<'a>>,
        }
        #[derive(Serialize)]
        struct RuleOut<'a> {
            #[serde(skip_serializing_if = "Vec::is_empty")]
            from: Vec<&'a str>,
            to: &'a str,
            highlight: bool,
            accent_insensitive: bool,
        }
        let file = File {
            review_threshold: self.review_threshold,
            rule: self
                .rules
                .iter()
                .map(|rule| RuleOut {
                    from: rule
                        .from
                        .iter()
                        .map(|spelling| spelling.trim())
                        .filter(|spelling| !spelling.is_empty())
                        .collect(),
                    to: rule.to.trim(),
                    highlight: rule.highlight,
                    accent_insensitive: rule.accent_insensitive,
                })
                .collect(),
        };
        let text = toml::to_string_pretty(&file).map_err(|error| error.to_string())?;
        Glossary::parse(&text)?;
        Ok(text)
    }

    /// Checks the document and replaces `path` with it (written to a temporary sibling and
    /// renamed, so a failed write leaves the old glossary).
    pub fn save(&self, path: &Path) -> Result<(), CorrectionError> {
        let text = self.to_toml().map_err(|reason| CorrectionError::Invalid {
            path: path.to_path_buf(),
            reason,
        })?;
        let io = |error: crate::fs::FsError| CorrectionError::Io {
            path: error.path,
            source: error.source,
        };
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            crate::fs::create_dir_all(parent).map_err(io)?;
        }
        crate::fs::write_atomic(path, text.as_bytes(), crate::fs::Replace::Yes).map_err(io)
    }
}

/// What [`apply`] did and found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CorrectionReport {
    pub replacements: Vec<Replacement>,
    /// Words the model was unsure of (probability under the threshold), for the editor to
    /// mark; words a rule replaced are not listed.
    pub review: Vec<ReviewWord>,
}

/// One rule firing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replacement {
    /// Index of the rule in [`Glossary::rules`].
    pub rule: usize,
    /// Index of the segment in the transcript.
    pub segment: usize,
    /// Index of the first replacing word in the corrected segment's `words`.
    pub word_index: usize,
    /// How many words the replacement is.
    pub word_count: usize,
    /// The replaced words as they were, joined by spaces.
    pub from: String,
    /// The words now in their place, joined by spaces.
    pub to: String,
    pub start: f64,
    pub end: f64,
}

/// A word to check by ear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewWord {
    pub segment: usize,
    /// Index in the corrected segment's `words`.
    pub word_index: usize,
    pub text: String,
    pub start: f64,
    pub end: f64,
    pub probability: f32,
}

/// One `from` spelling, compiled.
struct Pattern {
    rule: usize,
    keys: Vec<String>,
    fold: bool,
}

/// Patterns indexed by the accent-folded key of their first word.
struct Matcher<'g> {
    glossary: &'g Glossary,
    by_first: HashMap<String, Vec<Pattern>>,
}

fn pattern_keys(spelling: &str, fold: bool) -> Option<Vec<String>> {
    let keys: Vec<String> = spelling
        .split_whitespace()
        .map(|word| match_key(split_edges(word).1, fold))
        .collect();
    (!keys.is_empty() && keys.iter().all(|key| !key.is_empty())).then_some(keys)
}

impl<'g> Matcher<'g> {
    fn new(glossary: &'g Glossary) -> Self {
        let mut by_first: HashMap<String, Vec<Pattern>> = HashMap::new();
        for (index, rule) in glossary.rules.iter().enumerate() {
            for spelling in &rule.from {
                let Some(keys) = pattern_keys(spelling, rule.accent_insensitive) else {
                    continue;
                };
                let first = match_key(&keys[0], true);
                by_first.entry(first).or_default().push(Pattern {
                    rule: index,
                    keys,
                    fold: rule.accent_insensitive,
                });
            }
        }
        for patterns in by_first.values_mut() {
            // Longest phrase first, then rule order: deterministic whatever the file order
            // of overlapping spellings.
            patterns.sort_by(|a, b| b.keys.len().cmp(&a.keys.len()).then(a.rule.cmp(&b.rule)));
        }
        Matcher { glossary, by_first }
    }

    /// The pattern matching at `words[at..]`, if any.
    fn find(&self, words: &[Word], at: usize) -> Option<&Pattern> {
        let (_, core, _) = split_edges(&words[at].text);
        let candidates = self.by_first.get(&match_key(core, true))?;
        candidates.iter().find(|pattern| {
            let end = at + pattern.keys.len();
            if end > words.len() {
                return false;
            }
            words[at..end].iter().enumerate().all(|(offset, word)| {
                let (leading, core, trailing) = split_edges(&word.text);
                // A phrase never spans punctuation inside it: "acme, pay later" is not
                // the product "Acme Pay".
                let inner_ok = (offset == 0 || leading.is_empty())
                    && (offset + 1 == pattern.keys.len() || trailing.is_empty());
                inner_ok && match_key(core, pattern.fold) == pattern.keys[offset]
            })
        })
    }

    /// Corrects one segment; returns its replacements (with `segment` set) and the indexes
    /// of the words the glossary wrote.
    fn correct_segment(
        &self,
        index: usize,
        segment: &mut Segment,
    ) -> (Vec<Replacement>, Vec<bool>) {
        let old = std::mem::take(&mut segment.words);
        let mut words = Vec::with_capacity(old.len());
        let mut from_glossary = Vec::with_capacity(old.len());
        let mut replacements = Vec::new();
        let mut at = 0;
        while at < old.len() {
            let Some(pattern) = self.find(&old, at) else {
                words.push(old[at].clone());
                from_glossary.push(false);
                at += 1;
                continue;
            };
            let replaced = &old[at..at + pattern.keys.len()];
            let rule = &self.glossary.rules[pattern.rule];
            let new_words = replacement_words(replaced, &rule.to);
            let from = join_texts(replaced);
            let to = join_texts(&new_words);
            if from != to {
                replacements.push(Replacement {
                    rule: pattern.rule,
                    segment: index,
                    word_index: words.len(),
                    word_count: new_words.len(),
                    from,
                    to,
                    start: replaced[0].start,
                    end: replaced[replaced.len() - 1].end,
                });
            }
            from_glossary.extend(std::iter::repeat_n(true, new_words.len()));
            words.extend(new_words);
            at += pattern.keys.len();
        }
        if !replacements.is_empty() {
            segment.text = join_texts(&words);
        }
        segment.words = words;
        (replacements, from_glossary)
    }
}

fn join_texts(words: &[Word]) -> String {
    words
        .iter()
        .map(|word| word.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words that replace `replaced`: `to` as written, with the punctuation that stood
/// before the first and after the last replaced word, spread over their time span.
fn replacement_words(replaced: &[Word], to: &str) -> Vec<Word> {
    let (leading, _, _) = split_edges(&replaced[0].text);
    let (_, _, trailing) = split_edges(&replaced[replaced.len() - 1].text);
    let mut texts: Vec<String> = to.split_whitespace().map(str::to_owned).collect();
    if let Some(first) = texts.first_mut() {
        first.insert_str(0, leading);
    }
    if let Some(last) = texts.last_mut() {
        last.push_str(trailing);
    }
    if texts.len() == replaced.len() {
        // Word for word ("acme pay" -> "Acme Pay"): every word keeps its own timing.
        return replaced
            .iter()
            .zip(texts)
            .map(|(word, text)| Word {
                text,
                ..word.clone()
            })
            .collect();
    }
    let start = replaced[0].start;
    let end = replaced[replaced.len() - 1].end.max(start);
    let probability = replaced
        .iter()
        .map(|word| word.probability)
        .fold(f32::INFINITY, f32::min);
    // Each new word gets a share of the span proportional to its length, a fair stand-in
    // for how long it takes to say.
    let weights: Vec<f64> = texts
        .iter()
        .map(|text| split_edges(text).1.chars().count().max(1) as f64)
        .collect();
    let total: f64 = weights.iter().sum();
    let mut cursor = start;
    let count = texts.len();
    texts
        .into_iter()
        .zip(weights)
        .enumerate()
        .map(|(i, (text, weight))| {
            let word_start = cursor;
            let word_end = if i + 1 == count {
                end
            } else {
                cursor + (end - start) * weight / total
            };
            cursor = word_end;
            Word {
                text,
                start: word_start,
                end: word_end,
                probability,
            }
        })
        .collect()
}

/// Applies the glossary to every segment (in parallel batches) and lists the words to
/// review. Deterministic: the report is in transcript order whatever the thread count.
pub fn apply(transcript: &mut Transcript, glossary: &Glossary) -> CorrectionReport {
    let matcher = Matcher::new(glossary);
    let threshold = glossary.review_threshold();
    let batches: Vec<(Vec<Replacement>, Vec<ReviewWord>)> = transcript
        .segments
        .par_chunks_mut(BATCH)
        .enumerate()
        .map(|(batch, segments)| {
            let mut replacements = Vec::new();
            let mut review = Vec::new();
            for (offset, segment) in segments.iter_mut().enumerate() {
                let index = batch * BATCH + offset;
                let (fired, from_glossary) = matcher.correct_segment(index, segment);
                replacements.extend(fired);
                for (word_index, (word, fixed)) in
                    segment.words.iter().zip(from_glossary).enumerate()
                {
                    if !fixed && word.probability < threshold {
                        review.push(ReviewWord {
                            segment: index,
                            word_index,
                            text: word.text.clone(),
                            start: word.start,
                            end: word.end,
                            probability: word.probability,
                        });
                    }
                }
            }
            (replacements, review)
        })
        .collect();
    let mut report = CorrectionReport::default();
    for (replacements, review) in batches {
        report.replacements.extend(replacements);
        report.review.extend(review);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_through_toml_and_bad_rules_are_named() {
        let text = r#"
review_threshold = 0.4
[[rule]]
from = ["vee ess ell", "v s l"]
to = "VSL"
highlight = true
[[rule]]
to = "São Paulo"
accent_insensitive = true
"#;
        let glossary = Glossary::parse(text).expect("valid");
        let document = glossary.document();
        assert_eq!(document.review_threshold, Some(0.4));
        assert_eq!(document.rules[0].from, ["vee ess ell", "v s l"]);
        assert!(document.rules[0].highlight);
        assert!(document.rules[1].from.is_empty(), "{document:?}");
        let again = Glossary::parse(&document.to_toml().expect("valid")).expect("parses");
        assert_eq!(again, glossary);

        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("glossary.toml");
        let mut edited = document.clone();
        edited.rules.push(EditableRule {
            from: vec!["  ".into(), "acme corp".into()],
            to: " ACME ".into(),
            ..EditableRule::default()
        });
        edited.save(&path).expect("saved");
        let saved = Glossary::load(&path).expect("loads");
        assert_eq!(saved.rules.len(), 3);
        assert_eq!(saved.rules[2].from, ["acme corp"]);
        assert_eq!(saved.rules[2].to, "ACME");

        edited.rules.push(EditableRule {
            from: vec!["x".into()],
            to: "   ".into(),
            ..EditableRule::default()
        });
        let error = edited.save(&path).expect_err("an empty `to` is refused");
        assert!(error.to_string().contains("rule 4"), "{error}");
        assert_eq!(Glossary::load(&path).expect("old file kept").rules.len(), 3);
    }

    fn transcript(words: &[(&str, f64, f64)]) -> Transcript {
        let words: Vec<Word> = words
            .iter()
            .map(|(text, start, end)| Word {
                text: (*text).to_owned(),
                start: *start,
                end: *end,
                probability: 0.9,
            })
            .collect();
        Transcript {
            language: "en".into(),
            duration: words.last().map_or(0.0, |w| w.end),
            model: "test".into(),
            segments: vec![Segment {
                start: 0.0,
                end: words.last().map_or(0.0, |w| w.end),
                text: join_texts(&words),
                words,
            }],
            flags: Vec::new(),
        }
    }

    fn words(t: &Transcript) -> Vec<&str> {
        t.words().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn rule_without_from_fixes_its_own_spelling() {
        let glossary =
            Glossary::parse("[[rule]]\nto = \"VSL Studio\"\nhighlight = true\n").expect("parse");
        assert_eq!(glossary.rules[0].from, vec!["VSL Studio".to_owned()]);
        let mut t = transcript(&[("try", 0.0, 0.5), ("vsl", 0.5, 0.8), ("studio.", 0.8, 1.2)]);
        let report = apply(&mut t, &glossary);
        assert_eq!(words(&t), ["try", "VSL", "Studio."]);
        assert_eq!(report.replacements.len(), 1);
        assert_eq!(glossary.highlight_terms(), ["VSL Studio"]);
    }

    #[test]
    fn already_correct_text_is_not_reported() {
        let glossary =
            Glossary::parse("[[rule]]\nfrom = \"acmepay\"\nto = \"AcmePay\"\n").expect("parse");
        let mut t = transcript(&[("AcmePay", 0.0, 0.5)]);
        assert!(apply(&mut t, &glossary).replacements.is_empty());
        assert_eq!(words(&t), ["AcmePay"]);
    }

    #[test]
    fn invalid_files_name_the_rule() {
        let error = Glossary::parse("[[rule]]\nfrom = \"...\"\nto = \"x\"\n").expect_err("invalid");
        assert!(error.contains("rule 1"), "{error}");
        let error = Glossary::parse("[[rule]]\nto = \"  \"\n").expect_err("invalid");
        assert!(error.contains("`to` is empty"), "{error}");
        let error = Glossary::parse("[[rule]]\nfrom = \"a\"\nto = \"b\"\ncolour = 1\n")
            .expect_err("unknown field");
        assert!(error.contains("colour"), "{error}");
        let error = Glossary::parse("review_threshold = 2.0\n").expect_err("range");
        assert!(error.contains("review_threshold"), "{error}");
    }

    #[test]
    fn prompt_joins_user_prompt_and_terms() {
        let glossary = Glossary::parse(
            "[[rule]]\nfrom = \"acme pay\"\nto = \"AcmePay\"\n[[rule]]\nfrom = \"akme\"\nto = \"AcmePay\"\n[[rule]]\nto = \"Hotmart\"\n",
        )
        .expect("parse");
        assert_eq!(glossary.prompt_terms(), ["AcmePay", "Hotmart"]);
        assert_eq!(
            glossary.prompt(Some("A sales letter.")).as_deref(),
            Some("A sales letter. AcmePay, Hotmart")
        );
        assert_eq!(Glossary::default().prompt(Some(" ")), None);
    }

    #[test]
    fn layering_puts_the_job_first() {
        let global =
            Glossary::parse("review_threshold = 0.3\n[[rule]]\nfrom = \"x\"\nto = \"Global\"\n")
                .expect("parse");
        let job = Glossary::parse("[[rule]]\nfrom = \"x\"\nto = \"Job\"\n").expect("parse");
        let merged = job.layered_over(global);
        assert_eq!(merged.rules[0].to, "Job");
        assert_eq!(merged.review_threshold(), 0.3);
        let mut t = transcript(&[("x", 0.0, 1.0)]);
        apply(&mut t, &merged);
        assert_eq!(words(&t), ["Job"]);
    }
}
