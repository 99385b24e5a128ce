//! Rendering a deck through a content-addressed PNG cache.
//!
//! A slide's key is a hash of everything that decides its pixels: its text and
//! highlights, the theme's colours, the size, the line limit, the font digest and the
//! layout version. The PNG is stored under that key in the cache directory, and copied
//! into the deck's folder as `slide-NNNN-<key prefix>.png`. A second run finds every
//! image and renders nothing; editing one slide changes one key and renders one image.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::{encode_png, RenderError, Renderer, SlideStyle, LAYOUT_VERSION};
use crate::slides::{Slide, SlideDeck};

/// Hex digits of the key kept in output file names: enough that two versions of one
/// slide never share a name, short enough to read.
const NAME_KEY_DIGITS: usize = 12;

/// Where rendered slides are kept between runs.
#[derive(Debug, Clone)]
pub struct SlideCache {
    dir: PathBuf,
}

impl SlideCache {
    /// `<cache dir>/slides`.
    pub fn open(dirs: &crate::paths::Dirs) -> SlideCache {
        SlideCache::at(dirs.slide_cache_dir())
    }

    pub fn at(dir: impl Into<PathBuf>) -> SlideCache {
        SlideCache { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(format!("{key}.png"))
    }
}

/// What [`render_deck`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderStats {
    /// Slides drawn and encoded in this run.
    pub rendered: usize,
    /// Slides taken from the cache or already in the output folder.
    pub cached: usize,
}

/// The cache key of one slide (64 hex digits).
pub fn slide_key(renderer: &Renderer, slide: &Slide, style: &SlideStyle) -> String {
    let mut hasher = Sha256::new();
    // Each field is length-prefixed so no two different inputs hash the same bytes.
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(b"vsl-slide");
    field(&LAYOUT_VERSION.to_le_bytes());
    field(renderer.font_digest().as_bytes());
    field(slide.text.as_bytes());
    for highlight in &slide.highlights {
        field(highlight.as_bytes());
    }
    field(&[0xFF]);
    for color in [
        style.theme.background,
        style.theme.text,
        style.theme.highlight,
    ] {
        field(&color.0);
    }
    field(&style.size.width.to_le_bytes());
    field(&style.size.height.to_le_bytes());
    field(&(style.max_lines as u64).to_le_bytes());
    hex::encode(hasher.finalize())
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> RenderError + '_ {
    move |source| RenderError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn fs_error(error: crate::fs::FsError) -> RenderError {
    RenderError::Io {
        path: error.path,
        source: error.source,
    }
}

/// Writes `bytes` to `path` through a temporary sibling, so `path` is always complete.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RenderError> {
    if let Some(parent) = path.parent() {
        crate::fs::create_dir_all(parent).map_err(fs_error)?;
    }
    crate::fs::write_atomic(path, bytes, crate::fs::Replace::Yes).map_err(fs_error)
}

fn copy_atomic(from: &Path, to: &Path) -> Result<(), RenderError> {
    crate::fs::copy_atomic(from, to, crate::fs::Replace::Yes).map_err(fs_error)
}

/// `slide-0007-0123456789ab.png`: the names this module writes and may delete.
fn is_slide_image_name(name: &str) -> bool {
    let Some(rest) = name
        .strip_prefix("slide-")
        .and_then(|rest| rest.strip_suffix(".png"))
    else {
        return false;
    };
    let Some((index, key)) = rest.split_once('-') else {
        return false;
    };
    index.len() >= 4
        && index.bytes().all(|b| b.is_ascii_digit())
        && key.len() == NAME_KEY_DIGITS
        && key.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Renders every slide of `deck` that is not already rendered into `out_dir`, in
/// parallel (rayon's current pool), through `cache`. Sets each slide's `image` and the
/// deck's size and theme, and removes images of earlier versions of the deck from
/// `out_dir`. `progress(done, total)` is called after each slide; `cancel` stops the run
/// between slides with [`RenderError::Cancelled`].
pub fn render_deck(
    renderer: &Renderer,
    deck: &mut SlideDeck,
    style: &SlideStyle,
    out_dir: &Path,
    cache: &SlideCache,
    progress: &(dyn Fn(usize, usize) + Sync),
    cancel: &crate::jobs::CancelToken,
) -> Result<RenderStats, RenderError> {
    std::fs::create_dir_all(out_dir).map_err(io_error(out_dir))?;
    let total = deck.slides.len();
    let done = AtomicUsize::new(0);
    let rendered = AtomicUsize::new(0);
    deck.slides.par_iter_mut().try_for_each(|slide| {
        if cancel.load(Ordering::Relaxed) {
            return Err(RenderError::Cancelled);
        }
        let key = slide_key(renderer, slide, style);
        let name = format!("slide-{:04}-{}.png", slide.index, &key[..NAME_KEY_DIGITS]);
        let out = out_dir.join(&name);
        if !out.is_file() {
            let cached = cache.path(&key);
            if cached.is_file() {
                copy_atomic(&cached, &out)?;
            } else {
                let image = renderer.render(&slide.text, &slide.highlights, style);
                let bytes = encode_png(&image).map_err(|reason| RenderError::Encode {
                    path: out.clone(),
                    reason,
                })?;
                write_atomic(&cached, &bytes)?;
                write_atomic(&out, &bytes)?;
                rendered.fetch_add(1, Ordering::Relaxed);
            }
        }
        slide.image = name;
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
        Ok(())
    })?;
    deck.width = style.size.width;
    deck.height = style.size.height;
    deck.theme = style.theme.name.clone();

    let keep: std::collections::HashSet<&str> = deck
        .slides
        .iter()
        .map(|slide| slide.image.as_str())
        .collect();
    let entries = std::fs::read_dir(out_dir).map_err(io_error(out_dir))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_slide_image_name(name) && !keep.contains(name) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(io_error(&path))?;
        }
    }
    let rendered = rendered.into_inner();
    let stats = RenderStats {
        rendered,
        cached: total - rendered,
    };
    crate::cache::record(
        cache.dir.parent().unwrap_or(&cache.dir),
        crate::cache::CacheKind::Slides,
        stats.cached as u64,
        stats.rendered as u64,
    );
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_image_names_are_ours() {
        assert!(is_slide_image_name("slide-0007-0123456789ab.png"));
        assert!(is_slide_image_name("slide-12345-0123456789ab.png"));
        assert!(!is_slide_image_name("slide-7-0123456789ab.png"));
        assert!(!is_slide_image_name("slide-0007-0123456789a.png"));
        assert!(!is_slide_image_name("slide-0007-0123456789ab.jpg"));
        assert!(!is_slide_image_name("logo.png"));
    }
}
