//! The official whisper.cpp ggml models.
//!
//! Checksums are the SHA-1 values the whisper.cpp repository publishes in
//! `models/README.md`; where it publishes none (newer and most quantized files), the
//! entry has `sha1: None` and a download is verified by parsing the whole file instead.

/// One downloadable model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogModel {
    /// Name as users type it: `tiny.en`, `base`, `large-v3-turbo-q5_0`.
    pub name: &'static str,
    /// Approximate size in MiB as published (exact size is whatever the server sends).
    pub size_mib: u32,
    /// Published SHA-1 of the file, lowercase hex.
    pub sha1: Option<&'static str>,
}

impl CatalogModel {
    /// English-only models carry `.en` in their name.
    pub fn multilingual(&self) -> bool {
        !self.name.contains(".en")
    }

    /// The weight format encoded in the name (`f16` unless a quantization suffix is present).
    pub fn quantization(&self) -> &'static str {
        self.name
            .rsplit_once('-')
            .map(|(_, suffix)| suffix)
            .filter(|suffix| suffix.starts_with('q'))
            .unwrap_or("f16")
    }

    /// File name on the server and in the model store.
    pub fn file_name(&self) -> String {
        file_name_for(self.name)
    }
}

/// `ggml-<name>.bin`, the naming whisper.cpp uses everywhere.
pub fn file_name_for(name: &str) -> String {
    format!("ggml-{name}.bin")
}

const fn model(name: &'static str, size_mib: u32, sha1: Option<&'static str>) -> CatalogModel {
    CatalogModel {
        name,
        size_mib,
        sha1,
    }
}

/// Every model `vsl models download` knows.
pub const CATALOG: &[CatalogModel] = &[
    model("tiny", 75, Some("bd577a113a864445d4c299885e0cb97d4ba92b5f")),
    model(
        "tiny.en",
        75,
        Some("c78c86eb1a8faa21b369bcd33207cc90d64ae9df"),
    ),
    model("tiny-q5_1", 31, None),
    model("tiny.en-q5_1", 31, None),
    model("tiny-q8_0", 42, None),
    model(
        "base",
        142,
        Some("465707469ff3a37a2b9b8d8f89f2f99de7299dac"),
    ),
    model(
        "base.en",
        142,
        Some("137c40403d78fd54d454da0f9bd998f78703390c"),
    ),
    model("base-q5_1", 57, None),
    model("base.en-q5_1", 57, None),
    model("base-q8_0", 78, None),
    model(
        "small",
        466,
        Some("55356645c2b361a969dfd0ef2c5a50d530afd8d5"),
    ),
    model(
        "small.en",
        466,
        Some("db8a495a91d927739e50b3fc1cc4c6b8f6c2d022"),
    ),
    model("small-q5_1", 181, None),
    model("small.en-q5_1", 181, None),
    model("small-q8_0", 252, None),
    model(
        "medium",
        1536,
        Some("fd9727b6e1217c2f614f9b698455c4ffd82463b4"),
    ),
    model(
        "medium.en",
        1536,
        Some("8c30f0e44ce9560643ebd10bbe50cd20eafd3723"),
    ),
    model("medium-q5_0", 514, None),
    model("medium.en-q5_0", 514, None),
    model("medium-q8_0", 785, None),
    model(
        "large-v2",
        2970,
        Some("0f4c8e34f21cf1a914c59d8b3ce882345ad349d6"),
    ),
    model(
        "large-v2-q5_0",
        1080,
        Some("00e39f2196344e901b3a2bd5814807a769bd1630"),
    ),
    model(
        "large-v3",
        2970,
        Some("ad82bf6a9043ceed055076d0fd39f5f186ff8062"),
    ),
    model(
        "large-v3-q5_0",
        1080,
        Some("e6e2ed78495d403bef4b7cff42ef4aaadcfea8de"),
    ),
    model("large-v3-turbo", 1570, None),
    model("large-v3-turbo-q5_0", 547, None),
    model("large-v3-turbo-q8_0", 834, None),
];

/// The model used when none is named: multilingual, so Portuguese works out of the box.
pub const DEFAULT_MODEL: &str = "base";

/// Looks a model up by its exact catalog name.
pub fn find(name: &str) -> Option<&'static CatalogModel> {
    CATALOG.iter().find(|model| model.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_checksums_well_formed() {
        let mut names: Vec<_> = CATALOG.iter().map(|model| model.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOG.len());
        for model in CATALOG {
            if let Some(sha1) = model.sha1 {
                assert_eq!(sha1.len(), 40, "{}", model.name);
                assert!(
                    sha1.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{}",
                    model.name
                );
            }
        }
    }

    #[test]
    fn derived_properties() {
        let tiny_en = find("tiny.en").expect("tiny.en in catalog");
        assert!(!tiny_en.multilingual());
        assert_eq!(tiny_en.quantization(), "f16");
        assert_eq!(tiny_en.file_name(), "ggml-tiny.en.bin");
        let turbo = find("large-v3-turbo-q5_0").expect("turbo in catalog");
        assert!(turbo.multilingual());
        assert_eq!(turbo.quantization(), "q5_0");
        assert_eq!(
            find("large-v3-turbo").map(|m| m.quantization()),
            Some("f16")
        );
        assert!(find(DEFAULT_MODEL).is_some_and(|m| m.multilingual()));
        assert!(find("huge").is_none());
    }
}
