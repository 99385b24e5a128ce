//! Small text helpers shared by correction, segmentation and rendering: how a transcript
//! word splits into punctuation and core, how words compare ignoring case and accents, and
//! which words are numbers or prices.

/// Punctuation that may lead or trail a word without being part of it.
///
/// `$`, `%`, `#`, `@` and `+` are deliberately absent: in "R$", "50%" or "#1" they are the
/// word.
pub(crate) fn is_edge_punctuation(c: char) -> bool {
    matches!(
        c,
        '.' | ','
            | ';'
            | ':'
            | '!'
            | '?'
            | '…'
            | '"'
            | '\''
            | '“'
            | '”'
            | '‘'
            | '’'
            | '«'
            | '»'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '¿'
            | '¡'
            | '-'
            | '–'
            | '—'
    )
}

/// A word split into leading punctuation, core and trailing punctuation; the three slices
/// concatenate back to the word.
pub(crate) fn split_edges(word: &str) -> (&str, &str, &str) {
    let core_start = word
        .char_indices()
        .find(|(_, c)| !is_edge_punctuation(*c))
        .map_or(word.len(), |(i, _)| i);
    let core_end = word[core_start..]
        .char_indices()
        .rev()
        .find(|(_, c)| !is_edge_punctuation(*c))
        .map_or(core_start, |(i, c)| core_start + i + c.len_utf8());
    (
        &word[..core_start],
        &word[core_start..core_end],
        &word[core_end..],
    )
}

/// True when the word closes a sentence ("you.", "now?!", "fim…", "said.\"").
pub(crate) fn ends_sentence(word: &str) -> bool {
    let (_, _, trailing) = split_edges(word);
    trailing.contains(['.', '!', '?', '…'])
}

/// True when the word closes a clause (a comma, semicolon, colon or dash after it).
pub(crate) fn ends_clause(word: &str) -> bool {
    let (_, _, trailing) = split_edges(word);
    trailing.contains([',', ';', ':', '–', '—', '-'])
}

/// Lowercase, and with `fold_accents` the accents removed: the key under which two
/// spellings of a word compare equal.
pub(crate) fn match_key(core: &str, fold_accents: bool) -> String {
    let lower = core.to_lowercase();
    if !fold_accents {
        return lower;
    }
    lower.chars().filter_map(fold_accent).collect()
}

/// The unaccented letter for a lowercase accented Latin letter; `None` for a combining
/// mark (text in decomposed form carries its accents that way).
///
/// A table instead of Unicode decomposition: it covers Portuguese, Spanish, French, German
/// and the rest of Latin-1 and Latin Extended-A without another dependency.
fn fold_accent(c: char) -> Option<char> {
    Some(match c {
        '\u{300}'..='\u{36f}' => return None,
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' | 'ħ' => 'h',
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' => 's',
        'ţ' | 'ť' | 'ŧ' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        other => other,
    })
}

const CURRENCIES: &[&str] = &["R$", "US$", "U$", "$", "€", "£"];

/// A currency sign standing alone ("R$" in "R$ 49,90").
pub(crate) fn is_currency(core: &str) -> bool {
    CURRENCIES.contains(&core)
}

/// A number or price as one word: `97`, `$97`, `R$49,90`, `1.000`, `50%`, `3x`, `10k`, `+200`.
pub(crate) fn is_number(core: &str) -> bool {
    let rest = core.strip_prefix('+').unwrap_or(core);
    let rest = CURRENCIES
        .iter()
        .find_map(|currency| rest.strip_prefix(currency))
        .unwrap_or(rest);
    let rest = ["%", "x", "X", "k", "K", "+"]
        .iter()
        .find_map(|suffix| rest.strip_suffix(suffix))
        .unwrap_or(rest);
    rest.starts_with(|c: char| c.is_ascii_digit())
        && rest.ends_with(|c: char| c.is_ascii_digit())
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

/// Whether a byte range of `text` starts and ends on word boundaries (no letter or digit
/// right outside it).
pub(crate) fn on_word_boundaries(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_split_off_punctuation_only() {
        assert_eq!(split_edges("Americans,"), ("", "Americans", ","));
        assert_eq!(split_edges("“Olá!”"), ("“", "Olá", "!”"));
        assert_eq!(split_edges("R$"), ("", "R$", ""));
        assert_eq!(split_edges("50%."), ("", "50%", "."));
        assert_eq!(split_edges("don't"), ("", "don't", ""));
        assert_eq!(split_edges("..."), ("...", "", ""));
        assert_eq!(split_edges(""), ("", "", ""));
    }

    #[test]
    fn sentence_and_clause_ends() {
        assert!(ends_sentence("country."));
        assert!(ends_sentence("agora?!"));
        assert!(ends_sentence("said.\""));
        assert!(!ends_sentence("Americans,"));
        assert!(ends_clause("Americans,"));
        assert!(ends_clause("note:"));
        assert!(!ends_clause("word"));
        assert!(!ends_clause("R$"));
    }

    #[test]
    fn keys_fold_case_and_accents() {
        assert_eq!(match_key("NÃO", false), "não");
        assert_eq!(match_key("NÃO", true), "nao");
        assert_eq!(match_key("Açúcar", true), "acucar");
        // Decomposed "não" (n, a, combining tilde, o) folds the same way.
        assert_eq!(match_key("na\u{303}o", true), "nao");
        assert_eq!(match_key("Straße", true), "straße");
    }

    #[test]
    fn numbers_and_prices() {
        for yes in [
            "97", "$97", "R$49,90", "49,90", "1.000", "50%", "3x", "10k", "+200", "2024",
        ] {
            assert!(is_number(yes), "{yes}");
        }
        for no in ["R$", "x", "abc", "3rd", "1.", "COVID-19", "%", ""] {
            assert!(!is_number(no), "{no}");
        }
        assert!(is_currency("R$"));
        assert!(!is_currency("R"));
    }

    #[test]
    fn word_boundaries() {
        let text = "AcmePay and Acme";
        assert!(on_word_boundaries(text, 0, 7));
        assert!(on_word_boundaries(text, 12, 16));
        assert!(!on_word_boundaries(text, 0, 4));
    }
}
