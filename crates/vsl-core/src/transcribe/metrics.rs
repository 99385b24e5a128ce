//! Transcript quality measures shared by the benchmarks and the tests.

/// Lowercase words with punctuation removed (apostrophes kept), for comparing transcripts.
pub fn normalize_words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|word| {
            word.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|word| !word.is_empty())
        .collect()
}

/// Word error rate: word-level edit distance over the reference length.
pub fn word_error_rate(reference: &[String], hypothesis: &[String]) -> f64 {
    let mut row: Vec<usize> = (0..=hypothesis.len()).collect();
    for (i, r) in reference.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, h) in hypothesis.iter().enumerate() {
            let substitution = diagonal + usize::from(r != h);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[hypothesis.len()] as f64 / reference.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_error_rate_counts_edits() {
        let reference = normalize_words("Ask not what your country can do for you.");
        let same = normalize_words("ask not what your country can do for you");
        assert_eq!(word_error_rate(&reference, &same), 0.0);
        let one_wrong = normalize_words("ask not what our country can do for you");
        assert!((word_error_rate(&reference, &one_wrong) - 1.0 / 9.0).abs() < 1e-9);
        assert!((word_error_rate(&reference, &[]) - 1.0).abs() < 1e-9);
        assert_eq!(
            normalize_words("Don't stop, America!"),
            ["don't", "stop", "america"]
        );
    }
}
