//! Whisper models: the catalog, the on-disk store, downloads, imports and verification.
//!
//! - [`ModelStore`] owns one directory of `ggml-<name>.bin` files, each with a small
//!   `ggml-<name>.bin.json` manifest recording where it came from and its SHA-1.
//! - [`catalog`] lists the official whisper.cpp models and their published checksums.
//! - [`ggml`] parses and validates model files; [`ct2`] converts CTranslate2
//!   (faster-whisper) models to ggml; [`download`] fetches over HTTP with resume.
//!
//! Every install goes through a temporary file in the store directory that is renamed
//! into place only once it has been validated, so the store never holds half a model.

pub mod catalog;
pub mod ct2;
pub mod download;
mod error;
pub mod ggml;
pub mod mel;
pub mod recommend;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use catalog::{CatalogModel, CATALOG, DEFAULT_MODEL};
pub use ct2::WeightFormat;
pub use download::DownloadProgress;
pub use error::ModelError;
pub use ggml::GgmlInfo;
pub use recommend::{recommend, Recommendation};

/// Where the official ggml files are served; `VSL_MODEL_BASE_URL` overrides it (tests, mirrors).
pub const DEFAULT_BASE_URL: &str = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main";

/// One row of `vsl models list` and of the app's model manager.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelEntry {
    pub name: String,
    pub installed: bool,
    pub path: Option<PathBuf>,
    /// The file's size when installed, else the catalog's published size.
    pub size_bytes: u64,
    pub multilingual: bool,
    pub is_default: bool,
    pub in_catalog: bool,
    /// `f16`, `q8_0`, `q5_1`, ...
    pub quantization: String,
    /// How it was installed: `download`, `import` or `ct2`.
    pub source: Option<String>,
    /// The model [`recommend`] names for the device jobs run on.
    pub recommended: bool,
}

/// Provenance kept beside each installed model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub source: String,
    pub sha1: String,
    pub size: u64,
    /// The file or folder it came from, or the URL.
    pub origin: String,
}

/// The result of `verify`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub name: String,
    pub info: GgmlInfo,
    pub sha1: String,
    /// `Some(true)` when the SHA-1 equals the one recorded at install time.
    pub matches_manifest: Option<bool>,
    /// `Some(..)` for downloaded catalog models with a published checksum.
    pub matches_catalog: Option<bool>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.matches_manifest != Some(false) && self.matches_catalog != Some(false)
    }
}

/// A directory of installed models.
#[derive(Debug, Clone)]
pub struct ModelStore {
    dir: PathBuf,
}

impl ModelStore {
    /// The process's store ([`crate::paths::Dirs::models`]).
    pub fn open(dirs: &crate::paths::Dirs) -> Self {
        Self::at(dirs.models.clone())
    }

    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the model called `name` lives (whether or not it is installed).
    pub fn path_for(&self, name: &str) -> PathBuf {
        self.dir.join(catalog::file_name_for(name))
    }

    fn manifest_path(&self, name: &str) -> PathBuf {
        let mut path = self.path_for(name).into_os_string();
        path.push(".json");
        PathBuf::from(path)
    }

    pub fn is_installed(&self, name: &str) -> bool {
        self.path_for(name).is_file()
    }

    fn manifest(&self, name: &str) -> Option<Manifest> {
        let text = std::fs::read_to_string(self.manifest_path(name)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Names of installed models, catalog or not, sorted.
    pub fn installed(&self) -> Result<Vec<String>, ModelError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(ModelError::io(&self.dir)(error)),
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let file_name = entry.file_name().into_string().ok()?;
                let name = file_name.strip_prefix("ggml-")?.strip_suffix(".bin")?;
                entry.path().is_file().then(|| name.to_owned())
            })
            .collect();
        names.sort();
        Ok(names)
    }

    /// The catalog, plus any installed model that is not in it, with the model
    /// recommended for the device an automatic job runs on.
    pub fn list(&self) -> Result<Vec<ModelEntry>, ModelError> {
        self.list_for(&recommend(&crate::transcribe::device::automatic()))
    }

    /// [`list`](Self::list), marking `recommendation`'s model.
    pub fn list_for(&self, recommendation: &Recommendation) -> Result<Vec<ModelEntry>, ModelError> {
        let installed = self.installed()?;
        let mut entries: Vec<ModelEntry> = CATALOG
            .iter()
            .map(|model| self.entry(model.name, Some(model)))
            .collect();
        for name in installed
            .iter()
            .filter(|name| catalog::find(name).is_none())
        {
            entries.push(self.entry(name, None));
        }
        for entry in &mut entries {
            entry.recommended = entry.name == recommendation.model;
        }
        Ok(entries)
    }

    fn entry(&self, name: &str, model: Option<&CatalogModel>) -> ModelEntry {
        let path = self.path_for(name);
        let size = std::fs::metadata(&path)
            .ok()
            .filter(|meta| meta.is_file())
            .map(|meta| meta.len());
        // The header is the truth for installed files (an imported `base` may be q8_0).
        let hparams = size.and_then(|_| ggml::read_hparams(&path).ok());
        let catalog_size = model.map_or(0, |model| u64::from(model.size_mib) << 20);
        ModelEntry {
            name: name.to_owned(),
            installed: size.is_some(),
            path: size.map(|_| path),
            size_bytes: size.unwrap_or(catalog_size),
            multilingual: hparams
                .map(|h| h.multilingual())
                .or(model.map(CatalogModel::multilingual))
                .unwrap_or(true),
            is_default: name == DEFAULT_MODEL,
            in_catalog: model.is_some(),
            quantization: hparams
                .map(|h| ggml::ftype_name(h.ftype).to_owned())
                .or(model.map(|m| m.quantization().to_owned()))
                .unwrap_or_else(|| "unknown".to_owned()),
            source: self.manifest(name).map(|manifest| manifest.source),
            recommended: false,
        }
    }

    /// Turns what the user typed for `--model` into a file: an existing path, or the name
    /// of an installed model.
    pub fn resolve(&self, name_or_path: &str) -> Result<PathBuf, ModelError> {
        let as_path = Path::new(name_or_path);
        if as_path.is_file() {
            return Ok(as_path.to_path_buf());
        }
        if self.is_installed(name_or_path) {
            return Ok(self.path_for(name_or_path));
        }
        if catalog::find(name_or_path).is_some() {
            return Err(ModelError::NotInstalled {
                name: name_or_path.to_owned(),
            });
        }
        Err(ModelError::UnknownModel {
            name: name_or_path.to_owned(),
        })
    }

    fn guard_existing(&self, name: &str, force: bool) -> Result<PathBuf, ModelError> {
        check_name(name)?;
        let dest = self.path_for(name);
        if dest.exists() && !force {
            return Err(ModelError::Exists { path: dest });
        }
        Ok(dest)
    }

    fn record(&self, name: &str, source: &str, origin: String) -> Result<(), ModelError> {
        let path = self.path_for(name);
        let manifest = Manifest {
            source: source.to_owned(),
            sha1: download::sha1_file(&path)?,
            size: std::fs::metadata(&path)
                .map_err(ModelError::io(&path))?
                .len(),
            origin,
        };
        let manifest_path = self.manifest_path(name);
        let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
        write_atomic(&manifest_path, text.as_bytes())
    }

    /// Downloads a catalog model from `$VSL_MODEL_BASE_URL` (default: the whisper.cpp
    /// repository on Hugging Face), resuming a previous partial download.
    pub fn download(
        &self,
        name: &str,
        force: bool,
        progress: &mut dyn FnMut(DownloadProgress) -> bool,
    ) -> Result<PathBuf, ModelError> {
        let model = catalog::find(name).ok_or_else(|| ModelError::UnknownModel {
            name: name.to_owned(),
        })?;
        let dest = self.guard_existing(name, force)?;
        let base = std::env::var(crate::paths::VSL_MODEL_BASE_URL)
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let url = format!("{}/{}", base.trim_end_matches('/'), model.file_name());
        let check = |path: &Path| ggml::validate(path).map(|_| ());
        download::download(&url, &dest, model.sha1, &check, progress)?;
        self.record(name, "download", url)?;
        Ok(dest)
    }

    /// Copies a ggml file into the store after validating it completely.
    pub fn import(
        &self,
        file: &Path,
        name: Option<&str>,
        force: bool,
    ) -> Result<(String, GgmlInfo), ModelError> {
        let info = ggml::validate(file)?;
        let name = match name {
            Some(name) => name.to_owned(),
            None => name_from_file(file),
        };
        let dest = self.guard_existing(&name, force)?;
        std::fs::create_dir_all(&self.dir).map_err(ModelError::io(&self.dir))?;
        let temp = tempfile::Builder::new()
            .prefix(".importing-")
            .suffix(".part")
            .tempfile_in(&self.dir)
            .map_err(ModelError::io(&self.dir))?;
        let mut source = std::fs::File::open(file).map_err(ModelError::io(file))?;
        std::io::copy(&mut source, &mut temp.as_file()).map_err(ModelError::io(temp.path()))?;
        temp.as_file()
            .sync_all()
            .map_err(ModelError::io(temp.path()))?;
        temp.persist(&dest)
            .map_err(|error| ModelError::io(&dest)(error.error))?;
        self.record(&name, "import", file.display().to_string())?;
        Ok((name, info))
    }

    /// Converts a CTranslate2 (faster-whisper) model folder into the store as `name`.
    pub fn import_ct2(
        &self,
        dir: &Path,
        name: &str,
        format: WeightFormat,
        force: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ct2::Conversion, ModelError> {
        let dest = self.guard_existing(name, force)?;
        let conversion = ct2::convert(dir, &dest, format, progress)?;
        self.record(name, "ct2", dir.display().to_string())?;
        Ok(conversion)
    }

    /// Re-reads an installed model completely and checks its SHA-1 against the manifest
    /// and, for downloads, the published checksum.
    pub fn verify(&self, name: &str) -> Result<Verification, ModelError> {
        if !self.is_installed(name) {
            return Err(ModelError::NotInstalled {
                name: name.to_owned(),
            });
        }
        let path = self.path_for(name);
        let info = ggml::validate(&path)?;
        let sha1 = download::sha1_file(&path)?;
        let manifest = self.manifest(name);
        let matches_catalog = match (&manifest, catalog::find(name).and_then(|m| m.sha1)) {
            (Some(manifest), Some(published)) if manifest.source == "download" => {
                Some(published == sha1)
            }
            _ => None,
        };
        Ok(Verification {
            name: name.to_owned(),
            info,
            matches_manifest: manifest.map(|manifest| manifest.sha1 == sha1),
            matches_catalog,
            sha1,
        })
    }

    /// Deletes an installed model and its manifest.
    pub fn remove(&self, name: &str) -> Result<PathBuf, ModelError> {
        let path = self.path_for(name);
        if !path.is_file() {
            return Err(ModelError::NotInstalled {
                name: name.to_owned(),
            });
        }
        std::fs::remove_file(&path).map_err(ModelError::io(&path))?;
        let manifest = self.manifest_path(name);
        if manifest.exists() {
            std::fs::remove_file(&manifest).map_err(ModelError::io(&manifest))?;
        }
        Ok(path)
    }
}

/// `ggml-small.en.bin` → `small.en`; any other file name → its stem.
fn name_from_file(file: &Path) -> String {
    let stem = file.file_name().and_then(|n| n.to_str()).unwrap_or("model");
    let stem = stem.strip_suffix(".bin").unwrap_or(stem);
    stem.strip_prefix("ggml-").unwrap_or(stem).to_owned()
}

/// The name a CTranslate2 folder installs as when none is given: the model's own name when
/// its `config.json` records one (`_name_or_path`, as Hugging Face writes it), else the
/// folder's name; `faster-whisper-`/`whisper-` prefixes and a `-ct2` suffix dropped, and
/// characters a store name cannot hold made `-`.
pub fn ct2_name(dir: &Path) -> String {
    let from_config = std::fs::read(dir.join("config.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|config| {
            ["_name_or_path", "name_or_path", "model_name"]
                .iter()
                .find_map(|key| config.get(*key)?.as_str().map(str::to_owned))
        })
        .and_then(|name| name.rsplit(['/', '\\']).next().map(str::to_owned))
        .filter(|name| !name.trim().is_empty());
    let folder = || {
        std::path::absolute(dir)
            .ok()
            .and_then(|dir| {
                dir.file_name()
                    .map(|name| name.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "model".to_owned())
    };
    let name = from_config.unwrap_or_else(folder);
    let name = name.strip_prefix("faster-whisper-").unwrap_or(&name);
    let name = name.strip_prefix("whisper-").unwrap_or(name);
    let name = name.strip_suffix("-ct2").unwrap_or(name);
    let name: String = name
        .trim_start_matches('.')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if name.is_empty() {
        "model".to_owned()
    } else {
        name
    }
}

fn check_name(name: &str) -> Result<(), ModelError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if valid {
        Ok(())
    } else {
        Err(ModelError::UnknownModel {
            name: name.to_owned(),
        })
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    let parent = path.parent().unwrap_or_else(|| Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(parent).map_err(ModelError::io(parent))?;
    std::io::Write::write_all(&mut temp, bytes).map_err(ModelError::io(temp.path()))?;
    temp.persist(path)
        .map_err(|error| ModelError::io(path)(error.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ct2_folder_is_named_after_its_model_or_itself() {
        let root = tempfile::tempdir().expect("tempdir");
        let plain = root.path().join("faster-whisper-small.en");
        std::fs::create_dir(&plain).expect("dir");
        assert_eq!(super::ct2_name(&plain), "small.en");
        let named = root.path().join("my model (copy)");
        std::fs::create_dir(&named).expect("dir");
        assert_eq!(super::ct2_name(&named), "my-model--copy-");
        crate::fs::write_atomic(
            &named.join("config.json"),
            br#"{"_name_or_path": "openai/whisper-large-v3", "lang_ids": []}"#,
            crate::fs::Replace::Yes,
        )
        .expect("config");
        assert_eq!(super::ct2_name(&named), "large-v3");
    }

    #[test]
    fn names_from_files() {
        assert_eq!(
            name_from_file(Path::new("/x/ggml-small.en.bin")),
            "small.en"
        );
        assert_eq!(name_from_file(Path::new("custom.bin")), "custom");
        assert!(check_name("base.en-q8_0").is_ok());
        assert!(check_name("../evil").is_err());
        assert!(check_name("").is_err());
    }

    #[test]
    fn empty_store_lists_catalog_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = ModelStore::at(dir.path().join("missing"));
        let entries = store.list().expect("list");
        assert_eq!(entries.len(), CATALOG.len());
        assert!(entries.iter().all(|entry| !entry.installed));
        assert_eq!(entries.iter().filter(|entry| entry.is_default).count(), 1);
        assert_eq!(entries.iter().filter(|entry| entry.recommended).count(), 1);
        // A recommendation for a big GPU marks that model, and only it.
        let gpu = crate::transcribe::ComputeDevice {
            name: "CUDA0".to_owned(),
            description: "NVIDIA GeForce RTX 4070".to_owned(),
            kind: crate::transcribe::DeviceKind::Gpu,
            memory_total: 12 << 30,
            memory_free: 11 << 30,
        };
        let marked: Vec<_> = store
            .list_for(&recommend(&gpu))
            .expect("list")
            .into_iter()
            .filter(|entry| entry.recommended)
            .map(|entry| entry.name)
            .collect();
        assert_eq!(marked, ["large-v3-turbo"]);
        assert!(matches!(
            store.resolve("base"),
            Err(ModelError::NotInstalled { .. })
        ));
        assert!(matches!(
            store.resolve("nope"),
            Err(ModelError::UnknownModel { .. })
        ));
    }
}
