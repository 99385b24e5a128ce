//! Every error kind the core can report has a text in the UI, in English and in
//! Brazilian Portuguese: `ui/i18n.js` holds `'error.kind.<code>'` in both locales' maps.

use vsl_core::ErrorKind;

#[test]
fn every_error_kind_is_translated_in_both_locales() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/i18n.js");
    let source =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"));
    // The Portuguese map follows the English one.
    let (english, portuguese) = source
        .split_once("'pt-BR': {")
        .unwrap_or_else(|| panic!("{path} has no 'pt-BR' map"));
    let missing_in = |text: &str| -> Vec<&'static str> {
        ErrorKind::ALL
            .iter()
            .map(|kind| kind.as_str())
            .filter(|code| !text.contains(&format!("'error.kind.{code}'")))
            .collect()
    };
    let (no_english, no_portuguese) = (missing_in(english), missing_in(portuguese));
    assert!(
        no_english.is_empty() && no_portuguese.is_empty(),
        "{path} lacks 'error.kind.<code>' texts: English {no_english:?}, Portuguese {no_portuguese:?}"
    );
}
