//! How a written number sounds: the spoken forms of digits, percentages, prices and
//! multipliers in Portuguese and English, as lower-case unaccented words.
//!
//! The aligner compares a script's "90%" with what Whisper heard ("noventa por cento", or
//! "90%"), so every form a voice artist might read is offered: masculine and feminine
//! ("dois"/"duas"), "catorze"/"quatorze", a price with and without its currency and cents
//! ("quarenta e nove reais e noventa centavos", "quarenta e nove e noventa").

/// Every way `core` (a word without its edge punctuation, prices already joined to their
/// currency) may be spoken; empty when it is not a number.
pub fn forms(core: &str) -> Vec<Vec<String>> {
    let text = core.trim();
    let (currency, rest) = split_currency(text);
    let rest = rest.trim();
    let (body, suffix) = if let Some(body) = rest.strip_suffix('%') {
        (body, Suffix::Percent)
    } else if let Some(body) = rest.strip_suffix(['x', 'X']) {
        (body, Suffix::Times)
    } else {
        (rest, Suffix::None)
    };
    let Some(number) = Number::parse(body) else {
        return Vec::new();
    };
    let mut forms: Vec<Vec<String>> = Vec::new();
    let mut push = |words: Vec<String>| {
        if !words.is_empty() && !forms.contains(&words) {
            forms.push(words);
        }
    };
    for language in [Language::Portuguese, Language::English] {
        for integer in cardinal_forms(number.integer, language) {
            match (currency, &number.fraction) {
                (Some(currency), fraction) => {
                    let (unit, cents) = currency_words(currency, language, number.integer);
                    let mut with_unit = integer.clone();
                    with_unit.extend(unit.iter().map(|word| (*word).to_owned()));
                    match fraction {
                        None => {
                            push(with_unit.clone());
                            push(integer.clone());
                        }
                        Some(fraction) => {
                            let value = fraction_value(fraction);
                            for cents_words in cardinal_forms(value, language) {
                                let and = and_word(language);
                                // "49 reais e 90 centavos", "49 reais e 90", "49 e 90", "49 90"
                                let mut full = with_unit.clone();
                                full.push(and.to_owned());
                                full.extend(cents_words.iter().cloned());
                                let mut full_cents = full.clone();
                                full_cents.extend(cents.iter().map(|word| (*word).to_owned()));
                                push(full_cents);
                                push(full);
                                let mut short = integer.clone();
                                short.push(and.to_owned());
                                short.extend(cents_words.iter().cloned());
                                push(short);
                                let mut bare = integer.clone();
                                bare.extend(cents_words.iter().cloned());
                                push(bare);
                            }
                        }
                    }
                }
                (None, fraction) => {
                    let mut spoken = integer.clone();
                    if let Some(fraction) = fraction {
                        spoken.push(point_word(language).to_owned());
                        // "2,5" is "dois vírgula cinco"; "0,25" "zero vírgula vinte e cinco".
                        let Ok(value) = fraction.parse::<u64>() else {
                            continue;
                        };
                        match cardinal_forms(value, language).into_iter().next() {
                            Some(words) => spoken.extend(words),
                            None => continue,
                        }
                    }
                    match suffix {
                        Suffix::None => push(spoken),
                        Suffix::Percent => {
                            spoken.extend(percent_words(language).iter().map(|w| (*w).to_owned()));
                            push(spoken);
                        }
                        Suffix::Times => {
                            let mut times = spoken.clone();
                            times.push(times_word(language).to_owned());
                            push(times);
                            // "em 12x" is often read "em doze" (vezes left implicit).
                            push(spoken);
                        }
                    }
                }
            }
        }
    }
    forms
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Portuguese,
    English,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suffix {
    None,
    Percent,
    Times,
}

/// `1.000`, `1,5`, `49,90`, `49.90`, `1,000,000`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Number {
    integer: u64,
    /// The digits after the decimal mark, as written ("90" in 49,90).
    fraction: Option<String>,
}

impl Number {
    fn parse(text: &str) -> Option<Number> {
        if text.is_empty()
            || !text
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        {
            return None;
        }
        if !text.starts_with(|c: char| c.is_ascii_digit())
            || !text.ends_with(|c: char| c.is_ascii_digit())
        {
            return None;
        }
        // The last mark followed by exactly 3 digits, with more marks or more than 3
        // digits before it, is a thousands separator ("1.000", "10,000"); a mark
        // followed by 1, 2 or 4+ digits is the decimal mark ("49,90", "2.5").
        let marks: Vec<(usize, char)> = text
            .char_indices()
            .filter(|(_, c)| !c.is_ascii_digit())
            .collect();
        let (integer_text, fraction) = match marks.last() {
            None => (text.to_owned(), None),
            Some(&(at, mark)) => {
                let after = &text[at + 1..];
                let same_marks = marks.iter().all(|(_, other)| *other == mark);
                let thousands = after.len() == 3 && (same_marks || marks.len() == 1);
                if thousands && (marks.len() > 1 || text[..at].len() <= 3) {
                    (text.replace(['.', ','], ""), None)
                } else {
                    let integer = text[..at].replace(['.', ','], "");
                    (integer, Some(after.to_owned()))
                }
            }
        };
        Some(Number {
            integer: integer_text.parse().ok()?,
            fraction,
        })
    }
}

/// Cents as a number: "90" → 90, "5" → 50 ("49,5" is read "quarenta e nove e cinquenta").
fn fraction_value(fraction: &str) -> u64 {
    let digits: String = fraction.chars().take(2).collect();
    let value: u64 = digits.parse().unwrap_or(0);
    if digits.len() == 1 {
        value * 10
    } else {
        value
    }
}

const CURRENCIES: &[&str] = &["R$", "US$", "U$", "$", "€", "£"];

fn split_currency(text: &str) -> (Option<&'static str>, &str) {
    for currency in CURRENCIES {
        if let Some(rest) = text.strip_prefix(currency) {
            return (Some(currency), rest);
        }
    }
    (None, text)
}

/// The currency's name after the amount, and the cents' name.
fn currency_words(
    currency: &str,
    language: Language,
    amount: u64,
) -> (&'static [&'static str], &'static [&'static str]) {
    let one = amount == 1;
    match (currency, language) {
        ("R$", Language::Portuguese) => (if one { &["real"] } else { &["reais"] }, &["centavos"]),
        ("R$", Language::English) => (if one { &["real"] } else { &["reais"] }, &["cents"]),
        ("€", Language::Portuguese) => (&["euros"], &["centimos"]),
        ("€", Language::English) => (if one { &["euro"] } else { &["euros"] }, &["cents"]),
        ("£", Language::Portuguese) => (&["libras"], &["centavos"]),
        ("£", Language::English) => (if one { &["pound"] } else { &["pounds"] }, &["pence"]),
        (_, Language::Portuguese) => (if one { &["dolar"] } else { &["dolares"] }, &["centavos"]),
        (_, Language::English) => (if one { &["dollar"] } else { &["dollars"] }, &["cents"]),
    }
}

fn and_word(language: Language) -> &'static str {
    match language {
        Language::Portuguese => "e",
        Language::English => "and",
    }
}

fn point_word(language: Language) -> &'static str {
    match language {
        Language::Portuguese => "virgula",
        Language::English => "point",
    }
}

fn percent_words(language: Language) -> &'static [&'static str] {
    match language {
        Language::Portuguese => &["por", "cento"],
        Language::English => &["percent"],
    }
}

fn times_word(language: Language) -> &'static str {
    match language {
        Language::Portuguese => "vezes",
        Language::English => "times",
    }
}

/// The ways to say a whole number: Portuguese masculine and feminine (and "catorze" /
/// "quatorze"), English with and without "and" after the hundreds.
fn cardinal_forms(number: u64, language: Language) -> Vec<Vec<String>> {
    let mut forms = Vec::new();
    match language {
        Language::Portuguese => {
            for feminine in [false, true] {
                for quatorze in [false, true] {
                    let words = portuguese(number, feminine, quatorze);
                    if !words.is_empty() && !forms.contains(&words) {
                        forms.push(words);
                    }
                }
            }
        }
        Language::English => {
            for with_and in [false, true] {
                let words = english(number, with_and);
                if !words.is_empty() && !forms.contains(&words) {
                    forms.push(words);
                }
            }
        }
    }
    forms
}

fn split_words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

fn portuguese(number: u64, feminine: bool, quatorze: bool) -> Vec<String> {
    split_words(&portuguese_text(number, feminine, quatorze))
}

fn portuguese_below_1000(number: u64, feminine: bool, quatorze: bool) -> String {
    const UNITS: [&str; 20] = [
        "zero",
        "um",
        "dois",
        "tres",
        "quatro",
        "cinco",
        "seis",
        "sete",
        "oito",
        "nove",
        "dez",
        "onze",
        "doze",
        "treze",
        "catorze",
        "quinze",
        "dezesseis",
        "dezessete",
        "dezoito",
        "dezenove",
    ];
    const TENS: [&str; 10] = [
        "",
        "",
        "vinte",
        "trinta",
        "quarenta",
        "cinquenta",
        "sessenta",
        "setenta",
        "oitenta",
        "noventa",
    ];
    const HUNDREDS: [&str; 10] = [
        "",
        "cento",
        "duzentos",
        "trezentos",
        "quatrocentos",
        "quinhentos",
        "seiscentos",
        "setecentos",
        "oitocentos",
        "novecentos",
    ];
    let unit = |n: u64| -> String {
        match (n, feminine, quatorze) {
            (1, true, _) => "uma".to_owned(),
            (2, true, _) => "duas".to_owned(),
            (14, _, true) => "quatorze".to_owned(),
            (n, _, _) => UNITS[n as usize].to_owned(),
        }
    };
    if number == 100 {
        return "cem".to_owned();
    }
    let hundreds = number / 100;
    let rest = number % 100;
    let mut parts: Vec<String> = Vec::new();
    if hundreds > 0 {
        let word = HUNDREDS[hundreds as usize];
        parts.push(if feminine && hundreds > 1 {
            word.replace("os", "as")
        } else {
            word.to_owned()
        });
    }
    if rest > 0 || hundreds == 0 {
        let below = if rest < 20 {
            unit(rest)
        } else if rest.is_multiple_of(10) {
            TENS[(rest / 10) as usize].to_owned()
        } else {
            format!("{} e {}", TENS[(rest / 10) as usize], unit(rest % 10))
        };
        parts.push(below);
    }
    parts.join(" e ")
}

fn portuguese_text(number: u64, feminine: bool, quatorze: bool) -> String {
    if number < 1000 {
        return portuguese_below_1000(number, feminine, quatorze);
    }
    if number >= 1_000_000_000_000 {
        return String::new();
    }
    let groups = [
        (1_000_000_000, "bilhao", "bilhoes"),
        (1_000_000, "milhao", "milhoes"),
        (1_000, "mil", "mil"),
    ];
    let mut rest = number;
    let mut parts: Vec<String> = Vec::new();
    for (size, one, many) in groups {
        let count = rest / size;
        rest %= size;
        if count == 0 {
            continue;
        }
        // Millions are masculine ("dois milhões de pessoas"); thousands agree with the noun.
        let group_feminine = feminine && size == 1_000;
        parts.push(if size == 1_000 && count == 1 {
            "mil".to_owned()
        } else {
            format!(
                "{} {}",
                portuguese_below_1000(count, group_feminine, quatorze),
                if count == 1 { one } else { many }
            )
        });
    }
    if rest > 0 {
        let tail = portuguese_below_1000(rest, feminine, quatorze);
        // "mil e quinhentos", "mil e vinte", but "mil duzentos e trinta".
        if rest < 100 || rest.is_multiple_of(100) {
            parts.push(format!("e {tail}"));
        } else {
            parts.push(tail);
        }
    }
    parts.join(" ")
}

fn english(number: u64, with_and: bool) -> Vec<String> {
    split_words(&english_text(number, with_and))
}

fn english_below_1000(number: u64, with_and: bool) -> String {
    const UNITS: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 10] = [
        "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    let hundreds = number / 100;
    let rest = number % 100;
    let mut parts: Vec<String> = Vec::new();
    if hundreds > 0 {
        parts.push(format!("{} hundred", UNITS[hundreds as usize]));
        if rest > 0 && with_and {
            parts.push("and".to_owned());
        }
    }
    if rest > 0 || hundreds == 0 {
        parts.push(if rest < 20 {
            UNITS[rest as usize].to_owned()
        } else if rest.is_multiple_of(10) {
            TENS[(rest / 10) as usize].to_owned()
        } else {
            format!(
                "{} {}",
                TENS[(rest / 10) as usize],
                UNITS[(rest % 10) as usize]
            )
        });
    }
    parts.join(" ")
}

fn english_text(number: u64, with_and: bool) -> String {
    if number < 1000 {
        return english_below_1000(number, with_and);
    }
    if number >= 1_000_000_000_000 {
        return String::new();
    }
    let groups = [
        (1_000_000_000, "billion"),
        (1_000_000, "million"),
        (1_000, "thousand"),
    ];
    let mut rest = number;
    let mut parts = Vec::new();
    for (size, name) in groups {
        let count = rest / size;
        rest %= size;
        if count > 0 {
            parts.push(format!("{} {name}", english_below_1000(count, with_and)));
        }
    }
    if rest > 0 {
        parts.push(english_below_1000(rest, with_and));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(core: &str, spoken: &str) -> bool {
        forms(core).contains(&split_words(spoken))
    }

    #[test]
    fn numbers_read_in_portuguese_and_english() {
        for (core, spoken) in [
            ("90%", "noventa por cento"),
            ("90%", "ninety percent"),
            ("12", "doze"),
            ("12", "twelve"),
            ("12x", "doze vezes"),
            ("12x", "twelve times"),
            ("3", "tres"),
            ("2", "duas"),
            ("21", "vinte e um"),
            ("21", "vinte e uma"),
            ("14", "quatorze"),
            ("100", "cem"),
            ("101", "cento e um"),
            ("250", "duzentos e cinquenta"),
            ("1.500", "mil e quinhentos"),
            ("1234", "mil duzentos e trinta e quatro"),
            ("2000000", "dois milhoes"),
            ("1,000", "one thousand"),
            ("105", "one hundred and five"),
            ("105", "one hundred five"),
            ("2,5", "dois virgula cinco"),
            ("R$49,90", "quarenta e nove reais e noventa centavos"),
            ("R$49,90", "quarenta e nove e noventa"),
            ("R$49,90", "quarenta e nove reais e noventa"),
            ("$49.90", "forty nine dollars and ninety cents"),
            ("$49.90", "forty nine ninety"),
            ("R$1", "um real"),
            ("$97", "ninety seven dollars"),
            ("$97", "ninety seven"),
        ] {
            assert!(has(core, spoken), "{core} as {spoken:?}: {:?}", forms(core));
        }
    }

    #[test]
    fn words_are_not_numbers() {
        assert!(forms("passos").is_empty());
        assert!(forms("x").is_empty());
        assert!(forms("%").is_empty());
        assert!(forms("R$").is_empty());
    }
}
