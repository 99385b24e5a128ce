//! Highlight markup: `*word*` markers, automatic highlights (numbers, prices, glossary
//! terms) and the styled runs the renderer draws.

use crate::text::{is_currency, is_edge_punctuation, is_number, on_word_boundaries, split_edges};

/// A run of slide text drawn in one colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyledSpan {
    pub text: String,
    pub highlight: bool,
}

fn opens_after(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | '[' | '"' | '“' | '‘' | '«' | '¿' | '¡')
}

/// The text with `*…*` markers removed, and the byte ranges they marked in it.
fn parse_markup(text: &str) -> (String, Vec<(usize, usize)>) {
    let chars: Vec<char> = text.chars().collect();
    // A marker opens at a word start and closes at a word end; anything else ("5 * 3",
    // a lone "*") is a literal asterisk.
    let mut pairs = Vec::new();
    let mut open: Option<usize> = None;
    for (k, &c) in chars.iter().enumerate() {
        if c != '*' {
            continue;
        }
        let prev = k.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(k + 1).copied();
        let can_open =
            prev.is_none_or(opens_after) && next.is_some_and(|n| !n.is_whitespace() && n != '*');
        let can_close = prev.is_some_and(|p| !p.is_whitespace() && p != '*')
            && next.is_none_or(|n| n.is_whitespace() || is_edge_punctuation(n));
        match open {
            Some(start) if can_close => {
                pairs.push((start, k));
                open = None;
            }
            None if can_open => open = Some(k),
            _ => {}
        }
    }
    let mut plain = String::with_capacity(text.len());
    let mut ranges = Vec::with_capacity(pairs.len());
    let mut pair = pairs.iter().peekable();
    let mut range_start = 0;
    for (k, &c) in chars.iter().enumerate() {
        match pair.peek() {
            Some((open, _)) if *open == k => {
                range_start = plain.len();
                continue;
            }
            Some((_, close)) if *close == k => {
                ranges.push((range_start, plain.len()));
                pair.next();
                continue;
            }
            _ => plain.push(c),
        }
    }
    (plain, ranges)
}

/// The slide text as shown: `*…*` markers removed.
pub fn plain_text(text: &str) -> String {
    parse_markup(text).0
}

/// Byte ranges of `phrase` in `plain` that stand as whole words.
fn occurrences(plain: &str, phrase: &str) -> Vec<(usize, usize)> {
    let phrase = phrase.trim();
    if phrase.is_empty() {
        return Vec::new();
    }
    plain
        .match_indices(phrase)
        .map(|(start, found)| (start, start + found.len()))
        .filter(|(start, end)| on_word_boundaries(plain, *start, *end))
        .collect()
}

/// What [`segment`](super::segment) puts in `highlights`: the `*marked*` words, numbers and prices
/// (`97`, `$97`, `R$ 49,90`, `50%`, `3x`) and the glossary's `terms`, as written in the
/// text, once each, in text order. The editor calls it again after changing a slide's text.
pub fn auto_highlights(text: &str, terms: &[String]) -> Vec<String> {
    let (plain, marked) = parse_markup(text);
    let mut found: Vec<(usize, String)> = marked
        .iter()
        .map(|(start, end)| (*start, plain[*start..*end].to_owned()))
        .collect();

    let mut tokens: Vec<(usize, &str)> = Vec::new();
    let mut token_start = None;
    for (index, c) in plain.char_indices() {
        match (c.is_whitespace(), token_start) {
            (true, Some(start)) => {
                tokens.push((start, &plain[start..index]));
                token_start = None;
            }
            (false, None) => token_start = Some(index),
            _ => {}
        }
    }
    if let Some(start) = token_start {
        tokens.push((start, &plain[start..]));
    }
    let core_range = |(start, token): (usize, &str)| {
        let (leading, core, _) = split_edges(token);
        (start + leading.len(), start + leading.len() + core.len())
    };
    let mut k = 0;
    while k < tokens.len() {
        let (start, end) = core_range(tokens[k]);
        let core = &plain[start..end];
        if is_currency(core) {
            if let Some(&next) = tokens.get(k + 1) {
                let (next_start, next_end) = core_range(next);
                // "R$ 49,90" is one price; the comma inside a price is not punctuation.
                if next_start == next.0 && is_number(&plain[next_start..next_end]) {
                    found.push((start, plain[start..next_end].to_owned()));
                    k += 2;
                    continue;
                }
            }
        } else if is_number(core) {
            found.push((start, core.to_owned()));
        }
        k += 1;
    }
    for term in terms {
        for (start, end) in occurrences(&plain, term) {
            found.push((start, plain[start..end].to_owned()));
        }
    }
    found.sort_by_key(|(start, _)| *start);
    let mut highlights: Vec<String> = Vec::with_capacity(found.len());
    for (_, phrase) in found {
        if !phrase.trim().is_empty() && !highlights.contains(&phrase) {
            highlights.push(phrase);
        }
    }
    highlights
}

/// The slide's text (markers removed) cut into runs of plain and highlighted text: the
/// `*marked*` parts and every whole-word occurrence of a `highlights` entry.
pub fn styled_spans(text: &str, highlights: &[String]) -> Vec<StyledSpan> {
    let (plain, mut ranges) = parse_markup(text);
    for phrase in highlights {
        ranges.extend(occurrences(&plain, phrase));
    }
    ranges.sort_unstable();
    let mut spans = Vec::new();
    let mut cursor = 0;
    for (start, end) in ranges {
        let start = start.max(cursor);
        if end <= start {
            continue;
        }
        if start > cursor {
            spans.push(StyledSpan {
                text: plain[cursor..start].to_owned(),
                highlight: false,
            });
        }
        spans.push(StyledSpan {
            text: plain[start..end].to_owned(),
            highlight: true,
        });
        cursor = end;
    }
    if cursor < plain.len() || spans.is_empty() {
        spans.push(StyledSpan {
            text: plain[cursor..].to_owned(),
            highlight: false,
        });
    }
    // Adjacent highlighted ranges ("R$ 49,90" next to a marked word) become one run.
    let mut merged: Vec<StyledSpan> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if last.highlight == span.highlight => last.text.push_str(&span.text),
            _ => merged.push(span),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_marks_and_literal_asterisks() {
        let (plain, ranges) = parse_markup("Get *Acme Pay* now, 5 * 3 = *15*.");
        assert_eq!(plain, "Get Acme Pay now, 5 * 3 = 15.");
        assert_eq!(ranges, [(4, 12), (26, 28)]);
        assert_eq!(plain_text("a *lone star"), "a *lone star");
        assert_eq!(plain_text("**"), "**");
    }

    #[test]
    fn highlights_cover_marks_numbers_prices_and_terms() {
        let terms = vec!["AcmePay".to_owned()];
        assert_eq!(
            auto_highlights(
                "Only R$ 49,90 with *AcmePay*, 50% off, 3x faster: $97.",
                &terms
            ),
            ["R$ 49,90", "AcmePay", "50%", "3x", "$97"]
        );
        assert!(auto_highlights("no numbers here", &terms).is_empty());
        // A term only counts as a whole word.
        assert!(auto_highlights("AcmePayments", &terms).is_empty());
    }

    #[test]
    fn spans_split_text_by_highlight() {
        let spans = styled_spans("Pay *only* R$ 49,90 today", &["R$ 49,90".to_owned()]);
        let parts: Vec<(&str, bool)> = spans
            .iter()
            .map(|s| (s.text.as_str(), s.highlight))
            .collect();
        assert_eq!(
            parts,
            [
                ("Pay ", false),
                ("only", true),
                (" ", false),
                ("R$ 49,90", true),
                (" today", false)
            ]
        );
        assert_eq!(
            styled_spans("", &[]),
            [StyledSpan {
                text: String::new(),
                highlight: false
            }]
        );
    }
}
