//! Saved looks: `<config>/looks/NAME/look.toml` with the assets it names beside it.
//!
//! [`resolve`] turns what a job names into a [`Look`]: a look file or folder, a saved look,
//! a `slides.toml` theme, or a built-in look. [`import`] copies a look and its assets into the
//! store, so the look survives moving or deleting the originals. It is published by one
//! folder rename, whole or not at all. [`export`] copies a saved look out.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::file::{Look, LookFile, LOOK_FILE};
use super::{LookError, Theme, BUILTIN_THEMES};
use crate::paths::Dirs;
use crate::slides::{SlidesConfig, SlidesError};

/// One look the user can pick, for `vsl looks list` and the app.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LookEntry {
    /// What a job names to use it (the folder name for saved looks).
    pub id: String,
    /// The look's own name.
    pub name: String,
    /// `builtin`, `theme` (from slides.toml) or `saved`.
    pub source: &'static str,
    /// The saved look's folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// Why a saved look's file does not read (it is listed anyway, so it can be fixed or
    /// deleted); its assets are checked when it is used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Whether `name` reads as a path rather than a look's name.
fn is_path(name: &str) -> bool {
    name.contains(['/', '\\']) || name.ends_with(".toml") || name.starts_with('.')
}

/// What a deck records to find the look `name` again: the name itself, or for a path its
/// absolute form (a deck is often exported again from another folder).
pub fn identifier(name: &str) -> String {
    let name = name.trim();
    if is_path(name) {
        if let Ok(path) = std::path::absolute(name) {
            return path.to_string_lossy().into_owned();
        }
    }
    name.to_owned()
}

/// The saved look folder a name means, if the name is a valid folder name.
fn saved_dir(dirs: &Dirs, id: &str) -> Option<PathBuf> {
    valid_id(id).then(|| dirs.looks_dir().join(id))
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A folder name for a look called `name`: lower case, words joined by hyphens.
pub fn id_for(name: &str) -> String {
    let mut id = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            id.push(c);
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    let id: String = id.trim_end_matches('-').chars().take(48).collect();
    if id.is_empty() {
        "look".into()
    } else {
        id
    }
}

/// The look a job names: a path to a look (folder or `look.toml`), a saved look, a theme of
/// `config`, or a built-in look. A name that is none of these is an error, never the default.
pub fn resolve(name: &str, dirs: &Dirs, config: &SlidesConfig) -> Result<Look, LookError> {
    let name = name.trim();
    if is_path(name) {
        return Look::load(Path::new(name));
    }
    if let Some(dir) = saved_dir(dirs, name).filter(|dir| dir.is_dir()) {
        return Look::load(&dir);
    }
    match config.theme(name) {
        Ok(theme) => Ok(Look::plain(theme)),
        Err(SlidesError::UnknownTheme { .. }) => Err(LookError::Unknown {
            name: name.to_owned(),
            dir: dirs.looks_dir(),
        }),
        Err(error) => Err(LookError::Invalid {
            path: dirs.slides_config_file(),
            reason: error.to_string(),
        }),
    }
}

/// Every look: built-in, `slides.toml` themes, then saved looks by id.
pub fn list(dirs: &Dirs, config: &SlidesConfig) -> Vec<LookEntry> {
    let mut entries: Vec<LookEntry> = config
        .theme_names()
        .into_iter()
        .map(|name| LookEntry {
            source: if BUILTIN_THEMES.contains(&name.as_str()) {
                "builtin"
            } else {
                "theme"
            },
            id: name.clone(),
            name,
            dir: None,
            error: None,
        })
        .collect();
    let mut saved: Vec<LookEntry> = std::fs::read_dir(dirs.looks_dir())
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let id = entry.file_name().to_str()?.to_owned();
            let dir = entry.path();
            (valid_id(&id) && dir.is_dir()).then_some((id, dir))
        })
        .map(|(id, dir)| {
            // Only the file is read: listing runs at every start and every Settings open, and
            // decoding each look's fonts and pictures there would cost more than it tells. An
            // asset that fails is reported, naming it, when the look is used or previewed.
            let file = dir.join(LOOK_FILE);
            let read = if file.is_file() {
                LookFile::read(&file)
            } else {
                Err(LookError::NoLookFile { dir: dir.clone() })
            };
            let (name, error) = match read {
                Ok(parsed) => (
                    parsed
                        .name
                        .filter(|name| !name.trim().is_empty())
                        .unwrap_or_else(|| id.clone()),
                    None,
                ),
                Err(error) => (id.clone(), Some(error.to_string())),
            };
            LookEntry {
                id,
                name,
                source: "saved",
                dir: Some(dir),
                error,
            }
        })
        .collect();
    saved.sort_by(|a, b| a.id.cmp(&b.id));
    // A saved look shadows a theme of the same name in `resolve`; list it once.
    entries.retain(|entry| !saved.iter().any(|look| look.id == entry.id));
    entries.extend(saved);
    entries
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LookError + '_ {
    move |source| LookError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Copies the look at `source` (a folder with `look.toml`, or the file) and every asset it
/// names into the store, as `id` (by default from the look's name). The copy's file names
/// its assets by their file names. Checked first: a look that does not load is not imported.
/// Returns the saved look's id.
pub fn import(
    dirs: &Dirs,
    source: &Path,
    id: Option<&str>,
    replace: bool,
) -> Result<String, LookError> {
    let look = Look::load(source)?;
    let file = look.file.clone().unwrap_or_else(|| source.to_path_buf());
    let parsed = LookFile::read(&file)?;
    let id = id.map_or_else(|| id_for(&look.name), str::to_owned);
    save(
        dirs,
        &id,
        &parsed,
        file.parent().unwrap_or(Path::new(".")),
        replace,
    )
}

/// Writes `parsed` as saved look `id`, copying the assets it names (relative to `base`, or
/// absolute) next to it. The look is checked in its new place before it is published.
pub fn save(
    dirs: &Dirs,
    id: &str,
    parsed: &LookFile,
    base: &Path,
    replace: bool,
) -> Result<String, LookError> {
    let root = dirs.looks_dir();
    if !valid_id(id) {
        return Err(LookError::Invalid {
            path: root.join(id),
            reason: "a look's folder name is letters, digits, '-', '_' and '.'".into(),
        });
    }
    let target = root.join(id);
    if target.exists() && !replace {
        return Err(LookError::Exists {
            name: id.to_owned(),
            dir: root,
        });
    }
    crate::fs::create_dir_all(&root).map_err(|error| LookError::Io {
        path: error.path,
        source: error.source,
    })?;
    let staging = tempfile::Builder::new()
        .prefix(".import-")
        .tempdir_in(&root)
        .map_err(io(&root))?;
    let mut copy = parsed.clone();
    let mut taken: Vec<String> = vec![LOOK_FILE.to_owned()];
    let mut place = |slot: &mut Option<PathBuf>| -> Result<(), LookError> {
        let Some(asset) = slot.as_ref() else {
            return Ok(());
        };
        let from = base.join(asset);
        let stem = from
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "asset".into());
        // Two assets with one file name (from different folders) get distinct names.
        let mut name = stem.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{n}-{stem}");
            n += 1;
        }
        std::fs::copy(&from, staging.path().join(&name)).map_err(io(&from))?;
        taken.push(name.clone());
        *slot = Some(PathBuf::from(name));
        Ok(())
    };
    place(&mut copy.font.regular)?;
    place(&mut copy.font.bold)?;
    place(&mut copy.background.image)?;
    place(&mut copy.logo.image)?;
    let file = staging.path().join(LOOK_FILE);
    crate::fs::write_atomic(&file, copy.to_toml().as_bytes(), crate::fs::Replace::Yes).map_err(
        |error| LookError::Io {
            path: error.path,
            source: error.source,
        },
    )?;
    Look::from_file(&copy, &file, id)?;
    let staged = staging.keep();
    if target.exists() {
        std::fs::remove_dir_all(&target).map_err(io(&target))?;
    }
    // One rename publishes the whole folder: a kill leaves either no look or all of it (and,
    // at worst, a hidden `.import-*` folder that listing ignores).
    #[allow(clippy::disallowed_methods)]
    std::fs::rename(&staged, &target).map_err(io(&target))?;
    Ok(id.to_owned())
}

/// Writes look `name` into `dest` as a folder `dest/<id>` that [`import`] takes back: a saved
/// look's folder copied, or a built-in look or theme as its colours.
pub fn export(
    dirs: &Dirs,
    config: &SlidesConfig,
    name: &str,
    dest: &Path,
) -> Result<PathBuf, LookError> {
    let look = resolve(name, dirs, config)?;
    let out = dest.join(id_for(name));
    crate::fs::create_dir_all(&out).map_err(|error| LookError::Io {
        path: error.path,
        source: error.source,
    })?;
    let write = |path: &Path, bytes: &[u8]| {
        crate::fs::write_atomic(path, bytes, crate::fs::Replace::Yes).map_err(|error| {
            LookError::Io {
                path: error.path,
                source: error.source,
            }
        })
    };
    match &look.file {
        Some(file) => {
            let parsed = LookFile::read(file)?;
            let base = file.parent().unwrap_or(Path::new("."));
            for asset in parsed.assets() {
                let from = base.join(asset);
                let to = out.join(asset.file_name().unwrap_or(asset.as_os_str()));
                write(&to, &std::fs::read(&from).map_err(io(&from))?)?;
            }
            write(&out.join(LOOK_FILE), parsed.to_toml().as_bytes())?;
        }
        None => {
            write(
                &out.join(LOOK_FILE),
                colours_only(&look.theme).to_toml().as_bytes(),
            )?;
        }
    }
    Ok(out)
}

/// A look file holding only a theme's colours.
pub fn colours_only(theme: &Theme) -> LookFile {
    let mut file = LookFile {
        name: Some(theme.name.clone()),
        ..LookFile::default()
    };
    file.colors.background = Some(theme.background);
    file.colors.text = Some(theme.text);
    file.colors.highlight = Some(theme.highlight);
    file
}

/// Deletes saved look `id`.
pub fn delete(dirs: &Dirs, id: &str) -> Result<(), LookError> {
    let dir = saved_dir(dirs, id)
        .filter(|dir| dir.is_dir())
        .ok_or_else(|| LookError::Unknown {
            name: id.to_owned(),
            dir: dirs.looks_dir(),
        })?;
    std::fs::remove_dir_all(&dir).map_err(io(&dir))
}
