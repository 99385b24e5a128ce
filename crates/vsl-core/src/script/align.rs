//! Aligning a script to what Whisper heard, over the whole file.
//!
//! Both sides become units (a word, or a price: "R$ 49,90") with a comparison key (lower
//! case, accents and punctuation dropped; numbers by their digits). Then:
//!
//! 1. **Anchors**: word trigrams that occur once in the script and once in the transcript are
//!    matched, and the longest chain of them in order on both sides (a longest increasing
//!    subsequence) pins the alignment down, so it cannot drift on an hour-long file. Gaps
//!    between anchors that are still long get their own anchors from bigrams, then words,
//!    unique inside the gap.
//! 2. **Between anchors**, a word-level edit distance: a script word may match one heard word
//!    (exactly, or a near-homophone by character similarity: *substituted*), or several heard
//!    words that are its spoken form ("90%" = "noventa por cento"), and several script words
//!    may match one heard word ("noventa por cento" written out, "90%" heard). A script word
//!    left out is not heard; a heard word left out is not in the script.
//! 3. **Times**: a heard script word takes its heard word's time; the others are spread
//!    between their neighbours by length (*interpolated*). A line with almost nothing heard is
//!    *skipped* (left out of the slides and listed); runs of heard words in no line are
//!    *unscripted* (shown with the heard words, flagged for review).

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{spoken, Script, ScriptError};
use crate::text::{is_currency, is_number, match_key, split_edges};
use crate::transcribe::{Transcript, Word};

/// How a script word got its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WordStatus {
    /// Heard as written (or as its spoken form).
    Matched,
    /// Heard as a similar word (the script's spelling is kept).
    Substituted,
    /// Not heard in a spoken line: timed between its neighbours.
    Interpolated,
    /// In a line the voice never says.
    Skipped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineStatus {
    Spoken,
    Skipped,
}

/// One script line in `alignment.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlignedLine {
    pub line: usize,
    pub text: String,
    pub start: f64,
    pub end: f64,
    pub status: LineStatus,
}

/// One script word in `alignment.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlignedWord {
    /// As the script writes it.
    pub text: String,
    pub line: usize,
    pub start: f64,
    pub end: f64,
    pub status: WordStatus,
    /// What the voice said for it, as transcribed.
    pub heard: Option<String>,
}

/// Speech that is in no script line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unscripted {
    pub text: String,
    pub start: f64,
    pub end: f64,
    /// The heard words, for the slides.
    #[serde(skip)]
    pub words: Vec<Word>,
}

/// `alignment.json`: every script line and word with its time and status, and the
/// unscripted speech (format in docs/formats.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alignment {
    /// The script's file name.
    pub script: String,
    pub lines: Vec<AlignedLine>,
    pub words: Vec<AlignedWord>,
    pub unscripted: Vec<Unscripted>,
}

impl Alignment {
    /// The share of script words heard (matched or substituted).
    pub fn heard_share(&self) -> f64 {
        let heard = self
            .words
            .iter()
            .filter(|word| matches!(word.status, WordStatus::Matched | WordStatus::Substituted))
            .count();
        heard as f64 / self.words.len().max(1) as f64
    }

    pub fn skipped_lines(&self) -> impl Iterator<Item = &AlignedLine> {
        self.lines
            .iter()
            .filter(|line| line.status == LineStatus::Skipped)
    }

    /// One paragraph for people: the share heard, the skipped lines, the unscripted speech.
    pub fn report(&self) -> String {
        let mut report = format!(
            "script {}: {:.0} % of its words heard, {} of {} lines spoken",
            self.script,
            self.heard_share() * 100.0,
            self.lines.len() - self.skipped_lines().count(),
            self.lines.len()
        );
        for line in self.skipped_lines() {
            report.push_str(&format!("\n  skipped line {}: {}", line.line, line.text));
        }
        for speech in &self.unscripted {
            report.push_str(&format!(
                "\n  unscripted at {:.1}-{:.1} s: {}",
                speech.start, speech.end, speech.text
            ));
        }
        report
    }
}

/// What the slides are cut from when a script is used: the script's words (as written,
/// highlights as `*word*`) with their aligned times, skipped lines left out, unscripted
/// speech in its place with the heard words.
#[derive(Debug, Clone)]
pub struct SlideSource {
    /// One segment per spoken line or unscripted span.
    pub transcript: Transcript,
    pub breaks: crate::slides::Breaks,
    /// Substituted and unscripted words, for the editor to mark.
    pub review: Vec<crate::correct::ReviewWord>,
}

impl Alignment {
    /// The words the slides show; `heard` is the transcript aligned (for its language and
    /// duration).
    pub fn slide_source(&self, script: &Script, heard: &Transcript) -> SlideSource {
        struct Item {
            word: Word,
            /// The segment: a line number, or a span of unscripted speech.
            group: (bool, usize),
            break_before: bool,
            review: bool,
        }
        let mut items: Vec<Item> = Vec::new();
        let mut aligned = self.words.iter();
        for line in &script.lines {
            let mut first = true;
            for word in &line.words {
                let Some(timed) = aligned.next() else { break };
                if timed.status == WordStatus::Skipped {
                    continue;
                }
                items.push(Item {
                    word: Word {
                        text: word.display(),
                        start: timed.start,
                        end: timed.end,
                        probability: 1.0,
                    },
                    group: (false, line.number),
                    break_before: first && line.break_before,
                    review: timed.status == WordStatus::Substituted,
                });
                first = false;
            }
        }
        for (span, speech) in self.unscripted.iter().enumerate() {
            for word in &speech.words {
                items.push(Item {
                    word: Word {
                        text: word.text.trim().to_owned(),
                        ..word.clone()
                    },
                    group: (true, span),
                    break_before: false,
                    review: true,
                });
            }
        }
        // Script words are in time order already; unscripted speech goes where it was said.
        items.sort_by(|a, b| a.word.start.total_cmp(&b.word.start));

        let mut segments: Vec<crate::transcribe::Segment> = Vec::new();
        let mut breaks = crate::slides::Breaks::default();
        let mut review = Vec::new();
        let mut group = None;
        for (k, item) in items.iter().enumerate() {
            let next = items.get(k + 1);
            let ends_group = next.is_none_or(|next| next.group != item.group);
            breaks.soft.push(ends_group);
            breaks.hard.push(next.is_some_and(|next| {
                next.break_before || (ends_group && (item.group.0 || next.group.0))
            }));
            if group != Some(item.group) {
                segments.push(crate::transcribe::Segment {
                    start: item.word.start,
                    end: item.word.end,
                    text: String::new(),
                    words: Vec::new(),
                });
                group = Some(item.group);
            }
            let index = segments.len() - 1;
            let segment = &mut segments[index];
            if item.review {
                review.push(crate::correct::ReviewWord {
                    segment: index,
                    word_index: segment.words.len(),
                    text: item.word.text.clone(),
                    start: item.word.start,
                    end: item.word.end,
                    probability: 0.0,
                });
            }
            segment.end = segment.end.max(item.word.end);
            if !segment.text.is_empty() {
                segment.text.push(' ');
            }
            segment.text.push_str(&item.word.text);
            segment.words.push(item.word.clone());
        }
        SlideSource {
            transcript: Transcript {
                language: heard.language.clone(),
                duration: heard.duration,
                model: heard.model.clone(),
                segments,
                flags: Vec::new(),
            },
            breaks,
            review,
        }
    }
}

/// A word or a price, on either side, with what it is compared by.
#[derive(Debug, Clone)]
struct Unit {
    key: String,
    /// Spoken forms when it is a number ("90%" → "noventa por cento", ...).
    forms: Vec<Vec<String>>,
}

impl Unit {
    fn new(text: &str) -> Unit {
        let (_, core, _) = split_edges(text);
        let compact: String = core.split_whitespace().collect();
        let numeric = is_number(&compact)
            || compact.starts_with(|c: char| c.is_ascii_digit())
                && compact.ends_with(['%', 'x', 'X']);
        let key = if numeric {
            compact.to_lowercase().replace(['.', ','], "")
        } else {
            match_key(&compact, true)
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect()
        };
        Unit {
            forms: if numeric {
                spoken::forms(&compact)
            } else {
                Vec::new()
            },
            key,
        }
    }
}

/// The heard words, a currency sign joined to its amount as in the script.
struct Heard {
    units: Vec<Unit>,
    /// Each unit's words in the transcript.
    words: Vec<Vec<Word>>,
}

fn heard_units(transcript: &Transcript) -> Heard {
    let mut units: Vec<Unit> = Vec::new();
    let mut words: Vec<Vec<Word>> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    for word in transcript.words() {
        let text = word.text.trim();
        if text.is_empty() {
            continue;
        }
        let (_, core, _) = split_edges(text);
        let joins = texts.last().is_some_and(|previous: &String| {
            let (_, previous_core, trailing) = split_edges(previous);
            trailing.is_empty() && is_currency(previous_core)
        }) && is_number(core);
        if joins {
            if let (Some(last), Some(text_last), Some(unit)) =
                (words.last_mut(), texts.last_mut(), units.last_mut())
            {
                last.push(word.clone());
                *text_last = format!("{text_last} {text}");
                *unit = Unit::new(text_last);
            }
            continue;
        }
        units.push(Unit::new(text));
        words.push(vec![word.clone()]);
        texts.push(text.to_owned());
    }
    Heard { units, words }
}

/// A script unit matched to heard units `heard` with a cost (0: exact).
#[derive(Debug, Clone, Copy)]
struct Link {
    heard: (usize, usize),
    cost: f32,
    /// How many script units share this heard span ("noventa por cento" ↔ "90%").
    shared: (usize, usize),
}

const DELETE: f32 = 1.0;
const INSERT: f32 = 1.0;
/// Unrelated words cost more than a deletion plus an insertion: they are not a
/// substitution but a skipped word and an added one.
const UNRELATED: f32 = 2.2;
/// Below this character similarity two words are unrelated.
const SIMILAR: f64 = 0.6;
/// The biggest gap aligned by the full edit distance (cells); bigger gaps get anchors first.
const MAX_CELLS: usize = 4_000_000;
/// A line is spoken when at least this share of its words (and at least one) is heard.
const SPOKEN_SHARE: f64 = 0.25;
/// Under this share of script words heard, the script is for another voice-over.
const MIN_HEARD_SHARE: f64 = 0.3;
/// Words a second a voice can say, far beyond any VSL read (about 2.5).
const MAX_WORDS_PER_SECOND: f64 = 6.0;

/// Aligns `script` (read from `path`) to the heard `transcript`.
///
/// # Errors
///
/// [`ScriptError::TooLong`] for a script far longer than the voice-over can hold,
/// [`ScriptError::Mismatch`] when under 30 % of its words are heard.
pub fn align(
    script: &Script,
    transcript: &Transcript,
    path: &Path,
) -> Result<Alignment, ScriptError> {
    let script_words: Vec<(usize, &super::ScriptWord)> = script
        .lines
        .iter()
        .flat_map(|line| line.words.iter().map(move |word| (line.number, word)))
        .collect();
    let seconds = transcript.duration.max(0.0);
    if script_words.len() as f64 > (seconds * MAX_WORDS_PER_SECOND).max(40.0) {
        return Err(ScriptError::TooLong {
            path: path.to_path_buf(),
            words: script_words.len(),
            seconds,
        });
    }
    let units: Vec<Unit> = script_words
        .iter()
        .map(|(_, word)| Unit::new(&word.text))
        .collect();
    let heard = heard_units(transcript);
    let mut links: Vec<Option<Link>> = vec![None; units.len()];
    align_range(
        &units,
        &heard.units,
        (0, units.len()),
        (0, heard.units.len()),
        0,
        &mut links,
    );

    // Lines with almost nothing heard are skipped; what was matched there is unscripted.
    let mut status: Vec<WordStatus> = links
        .iter()
        .map(|link| match link {
            Some(link) if link.cost == 0.0 => WordStatus::Matched,
            Some(_) => WordStatus::Substituted,
            None => WordStatus::Interpolated,
        })
        .collect();
    let mut line_status = Vec::with_capacity(script.lines.len());
    let mut first = 0;
    for line in &script.lines {
        let range = first..first + line.words.len();
        first = range.end;
        let heard_count = range.clone().filter(|&k| links[k].is_some()).count();
        let needed = ((line.words.len() as f64 * SPOKEN_SHARE).ceil() as usize).max(1);
        if heard_count >= needed {
            line_status.push(LineStatus::Spoken);
        } else {
            line_status.push(LineStatus::Skipped);
            for k in range {
                links[k] = None;
                status[k] = WordStatus::Skipped;
            }
        }
    }
    let heard_share = status
        .iter()
        .filter(|status| matches!(status, WordStatus::Matched | WordStatus::Substituted))
        .count() as f64
        / units.len().max(1) as f64;
    if heard_share < MIN_HEARD_SHARE {
        return Err(ScriptError::Mismatch {
            path: path.to_path_buf(),
            matched: heard_share,
        });
    }

    // Times: heard words give theirs, the rest are spread between neighbours by length.
    let mut times: Vec<Option<(f64, f64)>> = links
        .iter()
        .map(|link| {
            let link = (*link)?;
            let words = &heard.words[link.heard.0..link.heard.1];
            let start = words.first()?.first()?.start;
            let end = words.last()?.last()?.end.max(start);
            // Script units sharing one heard span split it evenly.
            let (index, count) = link.shared;
            let step = (end - start) / count.max(1) as f64;
            Some((
                start + step * index as f64,
                start + step * (index + 1) as f64,
            ))
        })
        .collect();
    interpolate(&mut times, &script_words, seconds);

    let words: Vec<AlignedWord> = script_words
        .iter()
        .zip(&times)
        .zip(status.iter().zip(&links))
        .map(|(((line, word), time), (status, link))| {
            let (start, end) = time.unwrap_or((0.0, 0.0));
            AlignedWord {
                text: word.text.clone(),
                line: *line,
                start,
                end,
                status: *status,
                heard: link.map(|link| {
                    heard.words[link.heard.0..link.heard.1]
                        .iter()
                        .flatten()
                        .map(|word| word.text.trim())
                        .collect::<Vec<_>>()
                        .join(" ")
                }),
            }
        })
        .collect();

    let mut lines = Vec::with_capacity(script.lines.len());
    let mut first = 0;
    for (line, status) in script.lines.iter().zip(&line_status) {
        let own = &words[first..first + line.words.len()];
        first += line.words.len();
        lines.push(AlignedLine {
            line: line.number,
            text: line.text.clone(),
            start: own.first().map_or(0.0, |word| word.start),
            end: own.last().map_or(0.0, |word| word.end),
            status: *status,
        });
    }

    let mut claimed = vec![false; heard.units.len()];
    for link in links.iter().flatten() {
        claimed[link.heard.0..link.heard.1].fill(true);
    }
    let unscripted = unscripted_runs(&heard, &claimed);
    Ok(Alignment {
        script: script.name.clone(),
        lines,
        words,
        unscripted,
    })
}

/// Runs of heard units in no script word: three words or more, or two over a second
/// (a lone "um" or a repeated word is a slip, not speech to show).
fn unscripted_runs(heard: &Heard, claimed: &[bool]) -> Vec<Unscripted> {
    let mut runs = Vec::new();
    let mut k = 0;
    while k < claimed.len() {
        if claimed[k] {
            k += 1;
            continue;
        }
        let start = k;
        while k < claimed.len() && !claimed[k] {
            k += 1;
        }
        let words: Vec<Word> = heard.words[start..k].iter().flatten().cloned().collect();
        let (Some(first), Some(last)) = (words.first(), words.last()) else {
            continue;
        };
        let duration = last.end - first.start;
        if words.len() >= 3 || (words.len() >= 2 && duration >= 1.0) {
            runs.push(Unscripted {
                text: words
                    .iter()
                    .map(|word| word.text.trim())
                    .collect::<Vec<_>>()
                    .join(" "),
                start: first.start,
                end: last.end.max(first.start),
                words,
            });
        }
    }
    runs
}

/// Gives every untimed word a time between its timed neighbours, in proportion to its
/// length; words before the first (after the last) heard word crowd against it.
fn interpolate(
    times: &mut [Option<(f64, f64)>],
    words: &[(usize, &super::ScriptWord)],
    duration: f64,
) {
    let weight = |k: usize| words[k].1.text.chars().count().max(1) as f64 + 1.0;
    let mut k = 0;
    while k < times.len() {
        if times[k].is_some() {
            k += 1;
            continue;
        }
        let first = k;
        while k < times.len() && times[k].is_none() {
            k += 1;
        }
        let from = if first == 0 {
            0.0
        } else {
            times[first - 1].map_or(0.0, |(_, end)| end)
        };
        let to = times
            .get(k)
            .copied()
            .flatten()
            .map_or(duration.max(from), |(start, _)| start)
            .max(from);
        let total: f64 = (first..k).map(weight).sum();
        let mut at = from;
        for (j, time) in times.iter_mut().enumerate().take(k).skip(first) {
            let step = (to - from) * weight(j) / total;
            *time = Some((at, at + step));
            at += step;
        }
    }
}

/// Aligns script units `s` with heard units `h`: anchors first when the range is big,
/// the edit distance when it is small enough.
fn align_range(
    script: &[Unit],
    heard: &[Unit],
    s: (usize, usize),
    h: (usize, usize),
    depth: usize,
    links: &mut [Option<Link>],
) {
    if s.0 >= s.1 || h.0 >= h.1 {
        return;
    }
    let cells = (s.1 - s.0 + 1) * (h.1 - h.0 + 1);
    // Trigrams, then bigrams, then single words unique on both sides of this range.
    let gram = [3, 3, 2, 1].get(depth).copied();
    if let (true, Some(n)) = (cells > 64 * 64 || depth == 0, gram) {
        let anchors = anchors(script, heard, s, h, n);
        if !anchors.is_empty() {
            let mut previous = (s.0, h.0);
            for (i, j) in anchors {
                align_range(
                    script,
                    heard,
                    (previous.0, i),
                    (previous.1, j),
                    depth + 1,
                    links,
                );
                for offset in 0..n {
                    links[i + offset] = Some(Link {
                        heard: (j + offset, j + offset + 1),
                        cost: 0.0,
                        shared: (0, 1),
                    });
                }
                previous = (i + n, j + n);
            }
            align_range(
                script,
                heard,
                (previous.0, s.1),
                (previous.1, h.1),
                depth + 1,
                links,
            );
            return;
        }
        if depth < 3 {
            return align_range(script, heard, s, h, depth + 1, links);
        }
    }
    // No anchor in a huge stretch (a script of few, much repeated words): the edit
    // distance in a band around the diagonal, as wide as memory allows and at least the
    // difference in length.
    let half_width = (cells > MAX_CELLS).then(|| {
        let rows = s.1 - s.0 + 1;
        let difference = (s.1 - s.0).abs_diff(h.1 - h.0);
        (MAX_CELLS / (2 * rows)).max(difference + 64)
    });
    edit_distance(script, heard, s, h, half_width, links);
}

/// Word n-grams unique in both ranges, the longest chain of them in order on both sides,
/// non-overlapping.
fn anchors(
    script: &[Unit],
    heard: &[Unit],
    s: (usize, usize),
    h: (usize, usize),
    n: usize,
) -> Vec<(usize, usize)> {
    fn grams(units: &[Unit], range: (usize, usize), n: usize) -> HashMap<Vec<&str>, Option<usize>> {
        let mut seen: HashMap<Vec<&str>, Option<usize>> = HashMap::new();
        if range.1 < range.0 + n {
            return seen;
        }
        for start in range.0..=range.1 - n {
            let gram: Vec<&str> = units[start..start + n]
                .iter()
                .map(|unit| unit.key.as_str())
                .collect();
            // Short words alone are too common to anchor on.
            if gram.iter().any(|key| key.is_empty()) || (n == 1 && gram[0].chars().count() < 4) {
                continue;
            }
            seen.entry(gram)
                .and_modify(|at| *at = None)
                .or_insert(Some(start));
        }
        seen
    }
    let in_script = grams(script, s, n);
    let in_heard = grams(heard, h, n);
    let mut pairs: Vec<(usize, usize)> = in_script
        .iter()
        .filter_map(|(gram, at)| Some(((*at)?, in_heard.get(gram).copied().flatten()?)))
        .collect();
    pairs.sort_unstable();
    // Longest chain increasing in both positions (patience sorting on the heard position).
    let mut tails: Vec<usize> = Vec::new();
    let mut previous: Vec<Option<usize>> = vec![None; pairs.len()];
    for (k, &(_, j)) in pairs.iter().enumerate() {
        let place = tails.partition_point(|&t| pairs[t].1 < j);
        if place > 0 {
            previous[k] = Some(tails[place - 1]);
        }
        if place == tails.len() {
            tails.push(k);
        } else {
            tails[place] = k;
        }
    }
    let mut chain = Vec::new();
    let mut at = tails.last().copied();
    while let Some(k) = at {
        chain.push(pairs[k]);
        at = previous[k];
    }
    chain.reverse();
    // Overlapping n-grams cannot both hold.
    let mut kept: Vec<(usize, usize)> = Vec::new();
    for (i, j) in chain {
        if kept
            .last()
            .is_none_or(|&(last_i, last_j)| i >= last_i + n && j >= last_j + n)
        {
            kept.push((i, j));
        }
    }
    kept
}

/// Normalised character similarity (1 − Levenshtein distance / longer length).
fn similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    1.0 - row[b.len()] as f64 / a.len().max(b.len()) as f64
}

/// What matching key `a` with key `b` costs: 0 when equal, little for a near-homophone.
fn word_cost(a: &str, b: &str) -> f32 {
    if a == b {
        return 0.0;
    }
    let similarity = similarity(a, b);
    if similarity >= SIMILAR {
        (1.5 * (1.0 - similarity)) as f32 + 0.05
    } else {
        UNRELATED
    }
}

/// How many of `units` say `tokens` (a spoken form) and at what cost, if they do: each unit
/// is one token of the form, closely, or a number that says several of them (Whisper writes
/// "49 reais e 90 centavos" for "quarenta e nove reais e noventa centavos").
fn form_match(tokens: &[String], units: &[Unit]) -> Option<(usize, f32)> {
    let (mut t, mut u, mut cost) = (0, 0, 0.0);
    while t < tokens.len() {
        let unit = units.get(u)?;
        let spoken = unit
            .forms
            .iter()
            .find(|form| tokens[t..].starts_with(form))
            .map(Vec::len);
        if let Some(length) = spoken {
            t += length;
        } else {
            let step = word_cost(&tokens[t], &unit.key);
            if step >= UNRELATED {
                return None;
            }
            cost += step;
            t += 1;
        }
        u += 1;
    }
    Some((u, cost))
}

#[derive(Debug, Clone, Copy)]
enum Step {
    None,
    Delete,
    Insert,
    /// `script` units matched `heard` units.
    Match {
        script: u8,
        heard: u8,
        cost: f32,
    },
}

/// Which heard positions each script row may reach: all of them, or a band around the
/// diagonal of the range (for a huge stretch without anchors).
struct Band {
    /// Per row `i`: the first and last heard position, and where the row starts in storage.
    rows: Vec<(usize, usize, usize)>,
    cells: usize,
}

impl Band {
    fn new(n: usize, m: usize, half_width: Option<usize>) -> Band {
        let mut rows = Vec::with_capacity(n + 1);
        let mut cells = 0;
        for i in 0..=n {
            let (lo, hi) = match half_width {
                None => (0, m),
                Some(width) => {
                    let centre = i * m / n.max(1);
                    (centre.saturating_sub(width), (centre + width).min(m))
                }
            };
            rows.push((lo, hi, cells));
            cells += hi - lo + 1;
        }
        Band { rows, cells }
    }

    fn at(&self, i: usize, j: usize) -> Option<usize> {
        let (lo, hi, offset) = *self.rows.get(i)?;
        (lo..=hi).contains(&j).then(|| offset + j - lo)
    }
}

/// The word-level edit distance between two ranges, written into `links`; `half_width`
/// limits it to a band around the diagonal.
fn edit_distance(
    script: &[Unit],
    heard: &[Unit],
    s: (usize, usize),
    h: (usize, usize),
    half_width: Option<usize>,
    links: &mut [Option<Link>],
) {
    let n = s.1 - s.0;
    let m = h.1 - h.0;
    let band = Band::new(n, m, half_width);
    let mut cost = vec![f32::INFINITY; band.cells];
    let mut step = vec![Step::None; band.cells];
    cost[0] = 0.0;
    for i in 0..=n {
        let (lo, hi, _) = band.rows[i];
        for j in lo..=hi {
            let Some(here_at) = band.at(i, j) else {
                continue;
            };
            let here = cost[here_at];
            if !here.is_finite() {
                continue;
            }
            let mut relax = |ii: usize, jj: usize, add: f32, how: Step| {
                if let Some(at) = band.at(ii, jj) {
                    if here + add < cost[at] {
                        cost[at] = here + add;
                        step[at] = how;
                    }
                }
            };
            if i < n {
                relax(i + 1, j, DELETE, Step::Delete);
            }
            if j < m {
                relax(i, j + 1, INSERT, Step::Insert);
            }
            if i < n && j < m {
                let one = word_cost(&script[s.0 + i].key, &heard[h.0 + j].key);
                if one < UNRELATED {
                    relax(
                        i + 1,
                        j + 1,
                        one,
                        Step::Match {
                            script: 1,
                            heard: 1,
                            cost: one,
                        },
                    );
                }
                // A written number read out: one script unit, several heard words.
                for form in &script[s.0 + i].forms {
                    if let Some((k, add)) = form_match(form, &heard[h.0 + j..h.1]) {
                        if (1..=24).contains(&k) {
                            relax(
                                i + 1,
                                j + k,
                                add,
                                Step::Match {
                                    script: 1,
                                    heard: k as u8,
                                    cost: add,
                                },
                            );
                        }
                    }
                }
                // A number written out in words, heard as digits.
                for form in &heard[h.0 + j].forms {
                    if let Some((k, add)) = form_match(form, &script[s.0 + i..s.1]) {
                        if (1..=24).contains(&k) {
                            relax(
                                i + k,
                                j + 1,
                                add,
                                Step::Match {
                                    script: k as u8,
                                    heard: 1,
                                    cost: add,
                                },
                            );
                        }
                    }
                }
            }
        }
    }
    let (mut i, mut j) = (n, m);
    while i > 0 || j > 0 {
        let Some(at) = band.at(i, j) else { break };
        match step[at] {
            Step::Delete => i -= 1,
            Step::Insert => j -= 1,
            Step::Match {
                script: ks,
                heard: kh,
                cost,
            } => {
                let (ks, kh) = (usize::from(ks), usize::from(kh));
                for index in 0..ks {
                    links[s.0 + i - ks + index] = Some(Link {
                        heard: (h.0 + j - kh, h.0 + j),
                        cost,
                        shared: (index, ks),
                    });
                }
                i -= ks;
                j -= kh;
            }
            Step::None => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcribe::Segment;

    /// A transcript of `text`, one word every 0.4 s (a gap of `pause` s after word `at`).
    fn heard(text: &str, pause: Option<(usize, f64)>) -> Transcript {
        let mut time = 0.5;
        let words: Vec<Word> = text
            .split_whitespace()
            .enumerate()
            .map(|(k, word)| {
                let start = time;
                time += 0.4;
                if pause.is_some_and(|(at, _)| at == k) {
                    time += pause.map_or(0.0, |(_, seconds)| seconds);
                }
                Word {
                    text: format!(" {word}"),
                    start,
                    end: start + 0.35,
                    probability: 0.9,
                }
            })
            .collect();
        Transcript {
            language: "pt".into(),
            duration: time + 0.5,
            model: "test".into(),
            segments: vec![Segment {
                start: 0.5,
                end: time,
                text: text.into(),
                words,
            }],
            flags: Vec::new(),
        }
    }

    fn script(text: &str) -> Script {
        Script::parse(text, "test.txt").expect("a script")
    }

    #[test]
    fn numbers_match_their_spoken_form_and_keep_the_script_spelling() {
        let script =
            script("Hoje você vai ganhar 90% de desconto.\nSão 3 passos por R$ 49,90 em 12x.");
        let transcript = heard(
            "hoje voce vai ganhar noventa por cento de desconto sao tres passos por quarenta e nove reais e noventa centavos em doze vezes",
            None,
        );
        let alignment = align(&script, &transcript, Path::new("test.txt")).expect("aligned");
        let ninety = &alignment.words[4];
        assert_eq!(ninety.text, "90%");
        assert_eq!(ninety.status, WordStatus::Matched);
        assert_eq!(ninety.heard.as_deref(), Some("noventa por cento"));
        let price = alignment
            .words
            .iter()
            .find(|word| word.text == "R$ 49,90")
            .expect("price");
        assert_eq!(price.status, WordStatus::Matched, "{price:?}");
        assert_eq!(
            price.heard.as_deref(),
            Some("quarenta e nove reais e noventa centavos")
        );
        assert!(
            alignment
                .words
                .iter()
                .all(|word| word.status == WordStatus::Matched),
            "{:#?}",
            alignment.words
        );
        assert!(alignment.unscripted.is_empty());
        // Each word starts at its heard word's time.
        assert!((alignment.words[0].start - 0.5).abs() < 1e-9);
        assert!((ninety.start - (0.5 + 4.0 * 0.4)).abs() < 1e-9);
    }

    #[test]
    fn a_line_never_said_is_skipped_and_speech_not_in_the_script_is_unscripted() {
        let script = script(
            "Primeira frase sobre o produto.\nEsta linha a voz nunca diz de jeito nenhum.\nTerceira frase com a oferta final.",
        );
        let transcript = heard(
            "primeira frase sobre o produto e agora um improviso que não estava escrito terceira frase com a oferta final",
            None,
        );
        let alignment = align(&script, &transcript, Path::new("test.txt")).expect("aligned");
        let statuses: Vec<LineStatus> = alignment.lines.iter().map(|line| line.status).collect();
        assert_eq!(
            statuses,
            [LineStatus::Spoken, LineStatus::Skipped, LineStatus::Spoken]
        );
        assert_eq!(alignment.unscripted.len(), 1, "{:#?}", alignment.unscripted);
        assert!(alignment.unscripted[0]
            .text
            .starts_with("e agora um improviso"));
        assert!((alignment.unscripted[0].start - (0.5 + 5.0 * 0.4)).abs() < 1e-9);
        assert!(alignment.report().contains("skipped line 2"));

        // The slides show the script's words, no skipped line, and the improvisation on a
        // slide of its own.
        let source = alignment.slide_source(&script, &transcript);
        let texts: Vec<&str> = source
            .transcript
            .segments
            .iter()
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(texts[0], "Primeira frase sobre o produto.");
        assert!(texts[1].starts_with("e agora um improviso"));
        assert_eq!(texts[2], "Terceira frase com a oferta final.");
        let words = source.transcript.words().count();
        assert_eq!(source.breaks.hard.len(), words);
        assert!(source.breaks.hard[4], "unscripted speech starts a slide");
        assert!(source.review.iter().all(|word| word.segment == 1));
        assert_eq!(
            source.review.len(),
            source.transcript.segments[1].words.len()
        );
    }

    #[test]
    fn near_homophones_are_substituted_and_missing_words_interpolated() {
        let script = script("Conheça o método Acmex de vendas hoje mesmo.");
        let transcript = heard("conheça o método acme de vendas mesmo", None);
        let alignment = align(&script, &transcript, Path::new("test.txt")).expect("aligned");
        let acmex = &alignment.words[3];
        assert_eq!(acmex.status, WordStatus::Substituted);
        assert_eq!(acmex.heard.as_deref(), Some("acme"));
        let hoje = &alignment.words[6];
        assert_eq!(hoje.status, WordStatus::Interpolated);
        assert!(
            hoje.start >= alignment.words[5].end && hoje.end <= alignment.words[7].start + 1e-9
        );
    }

    #[test]
    fn another_script_is_refused_and_so_is_one_far_too_long() {
        let transcript = heard(
            "and so my fellow americans ask not what your country can do for you",
            None,
        );
        let other =
            script("Hoje você vai descobrir o segredo das vendas online em três passos simples.");
        let error = align(&other, &transcript, Path::new("roteiro.txt")).expect_err("mismatch");
        assert_eq!(error.kind(), crate::ErrorKind::ScriptMismatch);
        assert!(
            error.to_string().contains("does not match this voice-over"),
            "{error}"
        );
        let long = script(&"palavra ".repeat(400));
        let error = align(&long, &transcript, Path::new("longo.txt")).expect_err("too long");
        assert!(error.to_string().contains("longo.txt"), "{error}");
    }

    #[test]
    fn a_long_stretch_with_no_anchor_is_aligned_in_a_band() {
        // Four words over and over: no n-gram is unique, the range is too big for the full
        // edit distance, and the band still finds every word.
        let words = ["vende", "mais", "hoje", "agora"];
        let written: Vec<&str> = (0..3200).map(|k| words[k % 4]).collect();
        let lines: Vec<String> = written.chunks(8).map(|chunk| chunk.join(" ")).collect();
        let script = script(&lines.join("\n"));
        let transcript = heard(&written.join(" "), None);
        let alignment = align(&script, &transcript, Path::new("band.txt")).expect("aligned");
        assert!(
            alignment.heard_share() > 0.99,
            "{}",
            alignment.heard_share()
        );
        let word = &alignment.words[3000];
        assert!((word.start - (0.5 + 3000.0 * 0.4)).abs() < 1e-6, "{word:?}");
    }

    #[test]
    fn anchors_hold_a_long_alignment_in_place() {
        // 2,000 words of varied text read with a few words dropped and added.
        let vocabulary = [
            "vendas",
            "cliente",
            "produto",
            "oferta",
            "garantia",
            "resultado",
            "método",
            "semana",
            "dinheiro",
            "tempo",
            "passo",
            "segredo",
            "estratégia",
            "mercado",
            "negócio",
            "online",
        ];
        let written: Vec<String> = (0..2000)
            .map(|k| {
                format!(
                    "{}{}",
                    vocabulary[(k * 7 + k / 16) % vocabulary.len()],
                    k % 13
                )
            })
            .collect();
        let lines: Vec<String> = written.chunks(10).map(|chunk| chunk.join(" ")).collect();
        let script = script(&lines.join("\n"));
        let mut spoken: Vec<String> = written.clone();
        spoken.remove(1500);
        spoken.insert(700, "improviso".into());
        let transcript = heard(&spoken.join(" "), None);
        let alignment = align(&script, &transcript, Path::new("long.txt")).expect("aligned");
        assert!(
            alignment.heard_share() > 0.99,
            "{}",
            alignment.heard_share()
        );
        // Word 1,800 is heard 1,800 words in (one removed, one added before it).
        let word = &alignment.words[1800];
        assert!((word.start - (0.5 + 1800.0 * 0.4)).abs() < 1e-6, "{word:?}");
    }
}
