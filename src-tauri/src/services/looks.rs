//! The Looks sheet: saved looks listed, read, saved, duplicated and deleted through
//! `vsl_core::look::store`, and a preview of a look being edited drawn by the core renderer.
//!
//! The UI edits a [`LookFile`] as JSON. Its asset paths are either file names inside the
//! look's folder (the saved look's own copies) or absolute paths the person picked through
//! a dialog. Saving copies the picked files into the look's folder, so the look never
//! depends on where they came from.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vsl_core::look::{store, Look, LookEntry, LookFile, LOOK_FILE};
use vsl_core::paths::Dirs;
use vsl_core::render::{draw_progress, encode_png, RenderSize, Renderer, SlideStyle};
use vsl_core::slides::SlidesConfig;
use vsl_core::ErrorKind;

use crate::error::{CommandError, CommandResult};

fn look_error(error: vsl_core::look::LookError) -> CommandError {
    CommandError::new(error.kind(), error.to_string())
}

fn config(dirs: &Dirs) -> CommandResult<SlidesConfig> {
    Ok(SlidesConfig::load_or_default(&dirs.slides_config_file())?)
}

/// Every look: built-in, `slides.toml` themes, saved.
pub fn list(dirs: &Dirs) -> CommandResult<Vec<LookEntry>> {
    Ok(store::list(dirs, &config(dirs)?))
}

/// A look as the sheet edits it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LookDraft {
    pub id: String,
    /// Whether it is a saved look (else built in or a `slides.toml` theme: saving it makes
    /// a saved copy).
    pub saved: bool,
    pub look: LookFile,
}

/// Look `id` as a [`LookFile`]: a saved look's file, or a built-in look's colours.
pub fn get(dirs: &Dirs, id: &str) -> CommandResult<LookDraft> {
    let folder = dirs.looks_dir().join(id);
    if folder.join(LOOK_FILE).is_file() {
        let look = LookFile::read(&folder.join(LOOK_FILE)).map_err(look_error)?;
        return Ok(LookDraft {
            id: id.to_owned(),
            saved: true,
            look,
        });
    }
    let look = store::resolve(id, dirs, &config(dirs)?).map_err(look_error)?;
    Ok(LookDraft {
        id: id.to_owned(),
        saved: false,
        look: store::colours_only(&look.theme),
    })
}

/// Where a draft's relative asset names are found: the saved look `from`'s folder.
fn base_of(dirs: &Dirs, from: Option<&str>) -> PathBuf {
    from.map_or_else(|| dirs.looks_dir(), |id| dirs.looks_dir().join(id))
}

/// What [`save`] is asked.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaveLook {
    /// The id to save as; empty: from the look's name.
    #[serde(default)]
    pub id: String,
    pub look: LookFile,
    /// The saved look the draft's relative asset names belong to (the one being edited or
    /// duplicated).
    #[serde(default)]
    pub from: Option<String>,
    /// Replace a saved look with that id (editing it); otherwise an existing id is refused.
    #[serde(default)]
    pub replace: bool,
}

/// Saves a draft as a saved look, copying its assets in; returns the id.
///
/// # Errors
///
/// The look's own (`invalid_look`, `invalid_font`, `invalid_image`, naming the file),
/// `exists` for a taken id without `replace`.
pub fn save(dirs: &Dirs, request: &SaveLook) -> CommandResult<String> {
    let id = if request.id.trim().is_empty() {
        store::id_for(request.look.name.as_deref().unwrap_or("look"))
    } else {
        request.id.trim().to_owned()
    };
    let base = base_of(dirs, request.from.as_deref());
    store::save(dirs, &id, &request.look, &base, request.replace).map_err(look_error)
}

/// Deletes saved look `id`.
pub fn delete(dirs: &Dirs, id: &str) -> CommandResult<()> {
    store::delete(dirs, id).map_err(look_error)
}

/// What the preview draws.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewLook {
    pub look: LookFile,
    #[serde(default)]
    pub from: Option<String>,
    /// The slide text to draw (the current slide's, or a sample).
    pub text: String,
    /// `16:9`, `1:1` or `9:16`.
    #[serde(default)]
    pub preset: Option<String>,
}

/// The preview's size: a third of full HD in the slide's shape, quick to draw as the
/// person types.
fn preview_size(preset: Option<&str>) -> RenderSize {
    match preset {
        Some("9:16") => RenderSize::new(360, 640),
        Some("1:1") => RenderSize::new(480, 480),
        _ => RenderSize::new(640, 360),
    }
}

/// Draws `request`'s look on its text into `<cache>/look-preview/<digest>.png` and returns
/// the file: the spoken word is the second word, the progress bar at 40 %.
///
/// # Errors
///
/// The look's errors, naming the file at fault (a font that is not a font, say).
pub fn preview(dirs: &Dirs, request: &PreviewLook) -> CommandResult<PathBuf> {
    // One renderer for the app's previews: its workers keep the fonts parsed between keys.
    static RENDERER: std::sync::OnceLock<Renderer> = std::sync::OnceLock::new();
    let renderer = RENDERER.get_or_init(Renderer::new);
    let base = base_of(dirs, request.from.as_deref());
    let look =
        Look::from_file(&request.look, &base.join(LOOK_FILE), "preview").map_err(look_error)?;
    let size = preview_size(request.preset.as_deref());
    let style = SlideStyle::of_look(&look, size, 3);
    let text = if request.text.trim().is_empty() {
        "Assista até o *final*"
    } else {
        request.text.as_str()
    };
    let active = look.brand.active_words().then_some(1);
    let (mut image, _) = renderer.render_word(text, &[], &style, active);
    if let Some(bar) = &look.brand.progress {
        draw_progress(&mut image, bar, 0.4);
    }
    let bytes =
        encode_png(&image).map_err(|reason| CommandError::new(ErrorKind::Encode, reason))?;
    let digest = {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut hasher);
        hasher.finish()
    };
    let dir = preview_dir(dirs);
    vsl_core::fs::create_dir_all(&dir)?;
    // A few previews are kept (the UI may still show the last one); older ones go.
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
            .flatten()
            .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
            .collect();
        files.sort();
        let excess = files.len().saturating_sub(8);
        for (_, path) in files.into_iter().take(excess) {
            let _ = std::fs::remove_file(path);
        }
    }
    let path = dir.join(format!("{digest:016x}.png"));
    vsl_core::fs::write_atomic(&path, &bytes, vsl_core::fs::Replace::Yes)?;
    Ok(path)
}

/// `<cache>/look-preview`, the folder the asset protocol may serve previews from.
pub fn preview_dir(dirs: &Dirs) -> PathBuf {
    dirs.cache.join("look-preview")
}

/// Whether `path` is a font or an image file by its extension, for the asset dialogs.
pub fn asset_extensions(kind: &str) -> CommandResult<&'static [&'static str]> {
    match kind {
        "font" => Ok(&["ttf", "otf", "ttc"]),
        "image" => Ok(&["png", "jpg", "jpeg"]),
        _ => Err(CommandError::new(
            ErrorKind::InvalidSettings,
            format!("unknown asset kind '{kind}' (font or image)"),
        )),
    }
}

/// Checks that a picked asset loads as what it is meant to be, before the draft takes it.
///
/// # Errors
///
/// `invalid_font` / `invalid_image` naming the file.
pub fn check_asset(kind: &str, path: &Path) -> CommandResult<()> {
    match kind {
        "font" => vsl_core::look::file::load_font(path)
            .map(drop)
            .map_err(look_error),
        _ => vsl_core::look::file::load_image(path)
            .map(drop)
            .map_err(look_error),
    }
}
