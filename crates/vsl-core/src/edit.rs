//! Edits a person makes to a rendered deck, as pure functions on [`SlideDeck`].
//!
//! The desktop editor calls these and then re-renders through the PNG cache, so only the
//! slides whose text or highlights changed are drawn again. Every edit keeps the deck's
//! timing invariants:
//!
//! - slides stay in time order and are numbered `0..n` in that order;
//! - the screen is never empty: each slide ends where the next one starts, and the last
//!   one ends at the deck's end;
//! - a slide keeps at least [`MIN_SLIDE_SECONDS`] on screen where its neighbours leave
//!   room for it.

use crate::error::ErrorKind;
use crate::slides::{Slide, SlideDeck};

/// The shortest time a slide is moved or cut to, so it can still be read.
pub const MIN_SLIDE_SECONDS: f64 = 0.7;

/// Why an edit was refused. The deck is unchanged when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("there is no slide {index} (the deck has {len})")]
    NoSlide { index: usize, len: usize },
    #[error("slide {index} is the last one: there is nothing to merge it with")]
    NothingToMerge { index: usize },
    #[error("cannot split slide {index} at character {offset}: both parts need text")]
    BadSplit { index: usize, offset: usize },
    #[error("a slide's text cannot be empty")]
    EmptyText,
}

impl EditError {
    /// A stable code for front ends.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Edit
    }
}

fn check_index(deck: &SlideDeck, index: usize) -> Result<(), EditError> {
    if index < deck.slides.len() {
        Ok(())
    } else {
        Err(EditError::NoSlide {
            index,
            len: deck.slides.len(),
        })
    }
}

/// Keeps only the highlights that still occur in `text` (an edit may remove a word).
fn keep_present(highlights: &[String], text: &str) -> Vec<String> {
    highlights
        .iter()
        .filter(|word| text.contains(word.as_str()))
        .cloned()
        .collect()
}

/// Renumbers the slides and chains their ends to the next start, the two facts every edit
/// must restore.
fn normalise(deck: &mut SlideDeck) {
    let starts: Vec<f64> = deck.slides.iter().map(|slide| slide.start).collect();
    let count = deck.slides.len();
    for (position, slide) in deck.slides.iter_mut().enumerate() {
        slide.index = position;
        slide.end = if position + 1 < count {
            starts[position + 1]
        } else {
            deck.duration.max(slide.start)
        };
    }
}

/// Replaces slide `index`'s text; highlights whose word is gone are dropped. The image name
/// is left for the renderer, which sees the changed text and draws the slide again.
pub fn set_text(deck: &mut SlideDeck, index: usize, text: &str) -> Result<(), EditError> {
    check_index(deck, index)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(EditError::EmptyText);
    }
    let slide = &mut deck.slides[index];
    slide.text = text.to_owned();
    slide.highlights = keep_present(&slide.highlights, text);
    retime_words(slide);
    Ok(())
}

/// Makes a slide's word list match its text again after an edit. The same number of words
/// keeps each word's time (a spelling fix); another number spreads the new words over the
/// old words' span in proportion to their length, so the spoken-word highlight still moves.
fn retime_words(slide: &mut crate::slides::Slide) {
    let (Some(first), Some(last)) = (slide.words.first(), slide.words.last()) else {
        return;
    };
    let (from, to) = (first.start, last.end.max(first.start));
    let plain = crate::slides::plain_text(&slide.text);
    let texts: Vec<&str> = plain.split_whitespace().collect();
    if texts.len() == slide.words.len() {
        for (word, text) in slide.words.iter_mut().zip(&texts) {
            word.text = (*text).to_owned();
        }
        return;
    }
    let total: usize = texts.iter().map(|text| text.chars().count()).sum();
    let mut at = from;
    slide.words = texts
        .iter()
        .map(|text| {
            let share = text.chars().count() as f64 / total.max(1) as f64;
            let start = at;
            at += (to - from) * share;
            crate::slides::SlideWord {
                text: (*text).to_owned(),
                start,
                end: at,
                image: String::new(),
            }
        })
        .collect();
}

/// Joins slide `index` with the next one: one slide with both texts, from the first start to
/// the second end.
pub fn merge_next(deck: &mut SlideDeck, index: usize) -> Result<(), EditError> {
    check_index(deck, index)?;
    if index + 1 >= deck.slides.len() {
        return Err(EditError::NothingToMerge { index });
    }
    let next = deck.slides.remove(index + 1);
    let slide = &mut deck.slides[index];
    slide.text = format!("{} {}", slide.text, next.text);
    // Both word lists, or none: a slide without times cannot lend the other half any.
    slide.words.extend(next.words.iter().cloned());
    if !slide.words_match() {
        slide.words.clear();
    }
    for word in next.highlights {
        if !slide.highlights.contains(&word) {
            slide.highlights.push(word);
        }
    }
    normalise(deck);
    Ok(())
}

/// Cuts slide `index` in two at character `offset` of its text (a cursor position). The time
/// is shared in proportion to the characters on each side, but each part keeps
/// [`MIN_SLIDE_SECONDS`] when the slide is long enough for two.
pub fn split_at(deck: &mut SlideDeck, index: usize, offset: usize) -> Result<(), EditError> {
    check_index(deck, index)?;
    let slide = &deck.slides[index];
    let (start, end) = (slide.start, slide.end);
    let bad = || EditError::BadSplit { index, offset };
    let byte = slide
        .text
        .char_indices()
        .map(|(byte, _)| byte)
        .chain(std::iter::once(slide.text.len()))
        .nth(offset)
        .ok_or_else(bad)?;
    let (left, right) = slide.text.split_at(byte);
    let (left, right) = (left.trim().to_owned(), right.trim().to_owned());
    if left.is_empty() || right.is_empty() {
        return Err(bad());
    }
    let (left_chars, right_chars) = (left.chars().count(), right.chars().count());
    let span = end - start;
    let share = left_chars as f64 / (left_chars + right_chars) as f64;
    let mut cut = start + span * share;
    // With word times, a cut between two words falls where the second one is spoken.
    let left_words = crate::slides::plain_text(&left).split_whitespace().count();
    let right_words = crate::slides::plain_text(&right).split_whitespace().count();
    let by_word = slide.words_match() && left_words + right_words == slide.words.len();
    if by_word {
        cut = slide.words[left_words].start;
    }
    if span >= 2.0 * MIN_SLIDE_SECONDS {
        cut = cut.clamp(start + MIN_SLIDE_SECONDS, end - MIN_SLIDE_SECONDS);
    }
    let (left_list, right_list) = if by_word {
        let (a, b) = slide.words.split_at(left_words);
        (a.to_vec(), b.to_vec())
    } else {
        (Vec::new(), Vec::new())
    };
    let second = Slide {
        index: index + 1,
        start: cut,
        end,
        highlights: keep_present(&slide.highlights, &right),
        text: right,
        image: String::new(),
        words: right_list,
    };
    let first = &mut deck.slides[index];
    first.highlights = keep_present(&first.highlights, &left);
    first.text = left;
    first.words = left_list;
    deck.slides.insert(index + 1, second);
    normalise(deck);
    Ok(())
}

/// Moves slide `index`'s start by `delta` seconds (the previous slide's end moves with it).
/// The start is clamped so that neither this slide nor the previous one gets shorter than
/// [`MIN_SLIDE_SECONDS`] (or than it already is, if it is shorter). Returns the new start.
pub fn nudge_start(deck: &mut SlideDeck, index: usize, delta: f64) -> Result<f64, EditError> {
    check_index(deck, index)?;
    let slide = &deck.slides[index];
    let own_room = (slide.end - slide.start).min(MIN_SLIDE_SECONDS);
    let upper = (slide.end - own_room).max(slide.start);
    let lower = match index.checked_sub(1) {
        Some(previous) => {
            let previous = &deck.slides[previous];
            let room = (previous.end - previous.start).min(MIN_SLIDE_SECONDS);
            (previous.start + room).min(slide.start)
        }
        None => 0.0,
    };
    let start = (slide.start + delta).clamp(lower, upper);
    // Hundredths of a millisecond would only show up as noise in the subtitle files.
    let start = (start * 1000.0).round() / 1000.0;
    deck.slides[index].start = start;
    normalise(deck);
    Ok(start)
}

/// Adds `word` to slide `index`'s highlights, or removes it if it is already there. Returns
/// whether it is highlighted now.
pub fn toggle_highlight(deck: &mut SlideDeck, index: usize, word: &str) -> Result<bool, EditError> {
    check_index(deck, index)?;
    let slide = &mut deck.slides[index];
    if let Some(position) = slide.highlights.iter().position(|held| held == word) {
        slide.highlights.remove(position);
        return Ok(false);
    }
    if word.trim().is_empty() || !slide.text.contains(word) {
        return Ok(false);
    }
    slide.highlights.push(word.to_owned());
    Ok(true)
}

/// Adds the rule "always replace `from` with `to`" to the glossary file at `path` (created
/// if missing), the editor's shortcut for a word the model keeps getting wrong. The rule is
/// appended as TOML, so the person's comments and layout in the file are kept; the whole
/// file is parsed again first, so a rule that would break it is refused.
pub fn add_glossary_rule(path: &std::path::Path, from: &str, to: &str) -> Result<(), String> {
    let (from, to) = (from.trim(), to.trim());
    if from.is_empty() || to.is_empty() {
        return Err("both the word to replace and its replacement are needed".into());
    }
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(format!("{}: {error}", path.display())),
    };
    // toml's string serializer does the quoting and escaping.
    let quote = |text: &str| toml::Value::String(text.to_owned()).to_string();
    let separator = if existing.is_empty() || existing.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    let updated = format!(
        "{existing}{separator}\n[[rule]]\nfrom = {}\nto = {}\n",
        quote(from),
        quote(to)
    );
    crate::correct::Glossary::parse(&updated)
        .map_err(|reason| format!("{}: {reason}", path.display()))?;
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        crate::fs::create_dir_all(parent).map_err(|error| error.to_string())?;
    }
    crate::fs::write_atomic(path, updated.as_bytes(), crate::fs::Replace::Yes)
        .map_err(|error| error.to_string())
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // fixtures are written directly
mod tests {
    use super::*;

    fn deck(slides: &[(f64, &str)], duration: f64) -> SlideDeck {
        let mut deck = SlideDeck {
            preset: "16:9".into(),
            theme: "classic".into(),
            brand: Default::default(),
            width: 1280,
            height: 720,
            duration,
            slides: slides
                .iter()
                .map(|(start, text)| Slide {
                    index: 0,
                    start: *start,
                    end: 0.0,
                    text: (*text).into(),
                    highlights: Vec::new(),
                    image: "x.png".into(),
                    words: Vec::new(),
                })
                .collect(),
        };
        normalise(&mut deck);
        deck
    }

    fn assert_invariants(deck: &SlideDeck) {
        for (position, pair) in deck.slides.windows(2).enumerate() {
            assert_eq!(pair[0].index, position);
            assert!(pair[0].start <= pair[1].start, "ordered: {deck:?}");
            assert_eq!(pair[0].end, pair[1].start, "no gap: {deck:?}");
        }
        assert_eq!(
            deck.slides.last().map(|slide| slide.end),
            Some(deck.duration)
        );
    }

    #[test]
    fn set_text_drops_highlights_that_left_the_text() {
        let mut deck = deck(&[(0.0, "ask not what"), (2.0, "your country")], 4.0);
        deck.slides[0].highlights = vec!["ask".into(), "what".into()];
        set_text(&mut deck, 0, "  ask nothing ").expect("edit");
        assert_eq!(deck.slides[0].text, "ask nothing");
        assert_eq!(deck.slides[0].highlights, vec!["ask".to_string()]);
        assert_eq!(set_text(&mut deck, 0, "  "), Err(EditError::EmptyText));
        assert!(matches!(
            set_text(&mut deck, 9, "x"),
            Err(EditError::NoSlide { index: 9, len: 2 })
        ));
    }

    #[test]
    fn merge_joins_text_and_time() {
        let mut deck = deck(&[(0.0, "a"), (1.0, "b"), (2.5, "c")], 4.0);
        deck.slides[1].highlights = vec!["b".into()];
        merge_next(&mut deck, 0).expect("merge");
        assert_eq!(deck.slides.len(), 2);
        assert_eq!(deck.slides[0].text, "a b");
        assert_eq!(deck.slides[0].highlights, vec!["b".to_string()]);
        assert_eq!((deck.slides[0].start, deck.slides[0].end), (0.0, 2.5));
        assert_invariants(&deck);
        assert_eq!(
            merge_next(&mut deck, 1),
            Err(EditError::NothingToMerge { index: 1 })
        );
    }

    #[test]
    fn split_shares_time_by_characters_with_a_minimum() {
        let mut deck = deck(&[(0.0, "abcd efgh"), (4.0, "z")], 5.0);
        split_at(&mut deck, 0, 4).expect("split");
        assert_eq!(deck.slides[0].text, "abcd");
        assert_eq!(deck.slides[1].text, "efgh");
        assert_eq!(deck.slides[1].start, 2.0);
        assert_invariants(&deck);

        // A short head still gets the minimum on screen.
        let mut deck = self::deck(&[(0.0, "a bcdefghijklmnopqrstuvwxyz")], 3.0);
        split_at(&mut deck, 0, 1).expect("split");
        assert_eq!(deck.slides[1].start, MIN_SLIDE_SECONDS);
        assert_invariants(&deck);
    }

    #[test]
    fn split_needs_text_on_both_sides() {
        let mut deck = deck(&[(0.0, "word")], 2.0);
        assert!(matches!(
            split_at(&mut deck, 0, 0),
            Err(EditError::BadSplit { .. })
        ));
        assert!(matches!(
            split_at(&mut deck, 0, 4),
            Err(EditError::BadSplit { .. })
        ));
        assert!(matches!(
            split_at(&mut deck, 0, 40),
            Err(EditError::BadSplit { .. })
        ));
        assert_eq!(deck.slides.len(), 1);
    }

    #[test]
    fn split_counts_characters_not_bytes() {
        let mut deck = deck(&[(0.0, "ação é boa")], 3.0);
        split_at(&mut deck, 0, 4).expect("split");
        assert_eq!(deck.slides[0].text, "ação");
        assert_eq!(deck.slides[1].text, "é boa");
    }

    #[test]
    fn nudge_moves_the_previous_end_and_respects_minimums() {
        let mut deck = deck(&[(0.0, "a"), (2.0, "b"), (4.0, "c")], 6.0);
        assert_eq!(nudge_start(&mut deck, 1, 0.1), Ok(2.1));
        assert_eq!(deck.slides[0].end, 2.1);
        assert_invariants(&deck);
        // Far left stops where the previous slide keeps its minimum.
        assert_eq!(nudge_start(&mut deck, 1, -10.0), Ok(MIN_SLIDE_SECONDS));
        // Far right stops where this slide keeps its minimum.
        assert_eq!(nudge_start(&mut deck, 1, 10.0), Ok(4.0 - MIN_SLIDE_SECONDS));
        assert_invariants(&deck);
        assert_eq!(nudge_start(&mut deck, 0, -1.0), Ok(0.0));
    }

    #[test]
    fn toggle_highlight_adds_and_removes_words_in_the_text() {
        let mut deck = deck(&[(0.0, "ask not")], 1.0);
        assert_eq!(toggle_highlight(&mut deck, 0, "ask"), Ok(true));
        assert_eq!(deck.slides[0].highlights, vec!["ask".to_string()]);
        assert_eq!(toggle_highlight(&mut deck, 0, "ask"), Ok(false));
        assert!(deck.slides[0].highlights.is_empty());
        assert_eq!(toggle_highlight(&mut deck, 0, "country"), Ok(false));
        assert!(deck.slides[0].highlights.is_empty());
    }

    #[test]
    fn glossary_rules_are_appended_and_keep_the_file_valid() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("config").join("glossary.toml");
        add_glossary_rule(&path, "vee ess ell", "VSL").expect("first rule");
        std::fs::write(
            &path,
            std::fs::read_to_string(&path).expect("read") + "# my note",
        )
        .expect("write");
        add_glossary_rule(&path, " Jon \"quoted\" ", "John").expect("second rule");

        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("# my note"), "{text}");
        let glossary = crate::correct::Glossary::parse(&text).expect("valid TOML");
        let pairs: Vec<(Vec<String>, String)> = glossary
            .rules
            .iter()
            .map(|rule| (rule.from.clone(), rule.to.clone()))
            .collect();
        assert_eq!(
            pairs,
            [
                (vec!["vee ess ell".to_string()], "VSL".to_string()),
                (vec!["Jon \"quoted\"".to_string()], "John".to_string()),
            ]
        );
        assert!(add_glossary_rule(&path, " ", "x").is_err());
    }
}
