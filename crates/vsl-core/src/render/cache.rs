//! Rendering a deck through a content-addressed PNG cache.
//!
//! A slide's key is a hash of everything that decides its pixels: its text and
//! highlights, the theme's colours, the size, the line limit, the font digest and the
//! layout version. The PNG is stored under that key in the cache directory, and copied
//! into the deck's folder as `slide-NNNN-<key prefix>.png`. A second run finds every
//! image and renders nothing; editing one slide changes one key and renders one image.
//!
//! Each slide's picture (and each card's) also gets a thumbnail of the same name in
//! `thumbs/` ([`THUMBS_DIR`], [`THUMB_WIDTH`] wide), cached the same way: the editor's strip
//! shows dozens of them at once, and a webview decodes every image whole, so full-size ones
//! would cost 8 MB of memory each.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::{encode_png, RenderError, Renderer, SlideStyle, LAYOUT_VERSION};
use crate::slides::{Slide, SlideDeck};

/// Hex digits of the key kept in output file names: enough that two versions of one
/// slide never share a name, short enough to read.
const NAME_KEY_DIGITS: usize = 12;

/// The folder, inside a deck's, of the slides' thumbnails (the same file names).
pub const THUMBS_DIR: &str = "thumbs";
/// The thumbnails' width in pixels: the editor's strip shows them 176 CSS pixels wide, so
/// this is sharp on a 2x screen.
pub const THUMB_WIDTH: u32 = 384;

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
    word_key(renderer, slide, style, None)
}

/// The cache key of one word state of a slide: the slide with its `active`-th word drawn as
/// the one being spoken (`None`: no word yet, the same picture as [`slide_key`]'s).
pub fn word_key(
    renderer: &Renderer,
    slide: &Slide,
    style: &SlideStyle,
    active: Option<usize>,
) -> String {
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
    style.brand.digest_into(&mut field);
    field(&active.map_or(u64::MAX, |word| word as u64).to_le_bytes());
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

/// Puts the picture of `slide` (its `active` word state) at `out` unless it is there: from the
/// cache under `key`, else drawn, encoded and cached; and for the slide's own state (no
/// active word) its thumbnail in `thumbs/`, cached under `<key>-thumb`. Returns whether the
/// picture was drawn.
fn place(
    renderer: &Renderer,
    slide: &Slide,
    style: &SlideStyle,
    active: Option<usize>,
    cache: &SlideCache,
    key: &str,
    out: &Path,
) -> Result<bool, RenderError> {
    // The thumbnail is of the slide's own picture, not of each spoken-word state.
    let thumb = active.is_none().then(|| thumb_path(out));
    let thumb_missing = thumb.as_ref().is_some_and(|thumb| !thumb.is_file());
    if out.is_file() && !thumb_missing {
        return Ok(false);
    }
    let cached = cache.path(key);
    let cached_thumb = cache.path(&format!("{key}-thumb"));
    let mut rendered = None;
    let drew = if out.is_file() {
        false
    } else if cached.is_file() {
        copy_atomic(&cached, out)?;
        false
    } else {
        let (image, _) = renderer.render_word(&slide.text, &slide.highlights, style, active);
        let bytes = encode_png(&image).map_err(|reason| RenderError::Encode {
            path: out.to_path_buf(),
            reason,
        })?;
        write_atomic(&cached, &bytes)?;
        write_atomic(out, &bytes)?;
        rendered = Some(image);
        true
    };
    if let Some(thumb) = thumb.filter(|thumb| !thumb.is_file()) {
        if let Some(parent) = thumb.parent() {
            crate::fs::create_dir_all(parent).map_err(fs_error)?;
        }
        if cached_thumb.is_file() && rendered.is_none() {
            copy_atomic(&cached_thumb, &thumb)?;
        } else {
            let image = match rendered {
                Some(image) => image,
                None => read_png(out)?,
            };
            let bytes = encode_png(&thumbnail(&image)).map_err(|reason| RenderError::Encode {
                path: thumb.clone(),
                reason,
            })?;
            write_atomic(&cached_thumb, &bytes)?;
            write_atomic(&thumb, &bytes)?;
        }
    }
    Ok(drew)
}

/// `<deck>/thumbs/<name>` for the picture `<deck>/<name>`.
fn thumb_path(image: &Path) -> PathBuf {
    let name = image.file_name().unwrap_or_default();
    image.with_file_name(THUMBS_DIR).join(name)
}

/// `image` scaled to [`THUMB_WIDTH`] wide (never up), keeping its shape.
fn thumbnail(image: &image::RgbImage) -> image::RgbImage {
    let (width, height) = image.dimensions();
    if width <= THUMB_WIDTH {
        return image.clone();
    }
    let thumb_height = (u64::from(height) * u64::from(THUMB_WIDTH) / u64::from(width)).max(1);
    image::imageops::resize(
        image,
        THUMB_WIDTH,
        u32::try_from(thumb_height).unwrap_or(1),
        image::imageops::FilterType::Triangle,
    )
}

fn read_png(path: &Path) -> Result<image::RgbImage, RenderError> {
    image::open(path)
        .map(|image| image.into_rgb8())
        .map_err(|error| RenderError::Encode {
            path: path.to_path_buf(),
            reason: format!("cannot read it back for its thumbnail: {error}"),
        })
}

/// Makes the thumbnails that a deck rendered before they existed lacks (from its pictures,
/// in parallel); a deck that has them all costs one look each. Returns how many it made.
///
/// # Errors
///
/// [`RenderError`] for a picture that cannot be read or a thumbnail that cannot be written.
pub fn ensure_thumbnails(deck: &SlideDeck, dir: &Path) -> Result<usize, RenderError> {
    let names: Vec<&str> = deck
        .slides
        .iter()
        .map(|slide| slide.image.as_str())
        .chain(
            [&deck.brand.intro, &deck.brand.outro]
                .into_iter()
                .flatten()
                .map(|card| card.image.as_str()),
        )
        .filter(|name| !name.is_empty())
        .collect();
    let made = AtomicUsize::new(0);
    names.par_iter().try_for_each(|name| {
        let picture = dir.join(name);
        let thumb = thumb_path(&picture);
        if thumb.is_file() || !picture.is_file() {
            return Ok(());
        }
        let bytes =
            encode_png(&thumbnail(&read_png(&picture)?)).map_err(|reason| RenderError::Encode {
                path: thumb.clone(),
                reason,
            })?;
        write_atomic(&thumb, &bytes)?;
        made.fetch_add(1, Ordering::Relaxed);
        Ok(())
    })?;
    Ok(made.into_inner())
}

/// `slide-0007-0123456789ab.png` (and `card-intro-…`, `card-outro-…`): the names this
/// module writes and may delete.
fn is_slide_image_name(name: &str) -> bool {
    if let Some(key) = name
        .strip_prefix("card-intro-")
        .or_else(|| name.strip_prefix("card-outro-"))
        .and_then(|rest| rest.strip_suffix(".png"))
    {
        return key.len() == NAME_KEY_DIGITS && key.bytes().all(|b| b.is_ascii_hexdigit());
    }
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
    let word_states = style.brand.active_words();
    deck.slides.par_iter_mut().try_for_each(|slide| {
        if cancel.load(Ordering::Relaxed) {
            return Err(RenderError::Cancelled);
        }
        // One picture per state: the slide, then (with the spoken-word look) each word.
        let words = if word_states && slide.words_match() {
            slide.words.len()
        } else {
            0
        };
        let mut names = Vec::with_capacity(words + 1);
        for active in std::iter::once(None).chain((0..words).map(Some)) {
            let key = word_key(renderer, slide, style, active);
            let name = format!("slide-{:04}-{}.png", slide.index, &key[..NAME_KEY_DIGITS]);
            if place(
                renderer,
                slide,
                style,
                active,
                cache,
                &key,
                &out_dir.join(&name),
            )? {
                rendered.fetch_add(1, Ordering::Relaxed);
            }
            names.push(name);
        }
        let mut names = names.into_iter();
        slide.image = names.next().unwrap_or_default();
        for word in &mut slide.words {
            word.image = names.next().unwrap_or_default();
        }
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
        Ok(())
    })?;
    deck.width = style.size.width;
    deck.height = style.size.height;
    deck.theme = style.theme.name.clone();
    deck.brand = crate::slides::DeckBrand::of(&style.brand);
    // The cards: their text on the look, without highlights or a spoken word.
    let mut cards_rendered = 0;
    for (kind, card) in [
        ("intro", deck.brand.intro.as_mut()),
        ("outro", deck.brand.outro.as_mut()),
    ] {
        let Some(card) = card else { continue };
        let slide = Slide {
            index: 0,
            start: 0.0,
            end: card.duration,
            text: card.text.clone(),
            highlights: Vec::new(),
            image: String::new(),
            words: Vec::new(),
        };
        let key = word_key(renderer, &slide, style, None);
        let name = format!("card-{kind}-{}.png", &key[..NAME_KEY_DIGITS]);
        if place(
            renderer,
            &slide,
            style,
            None,
            cache,
            &key,
            &out_dir.join(&name),
        )? {
            cards_rendered += 1;
        }
        card.image = name;
    }
    let card_names: Vec<String> = [&deck.brand.intro, &deck.brand.outro]
        .into_iter()
        .flatten()
        .map(|card| card.image.clone())
        .collect();

    let keep: std::collections::HashSet<&str> = deck
        .slides
        .iter()
        .flat_map(|slide| {
            std::iter::once(slide.image.as_str())
                .chain(slide.words.iter().map(|word| word.image.as_str()))
        })
        .chain(card_names.iter().map(String::as_str))
        .filter(|name| !name.is_empty())
        .collect();
    let thumbs = out_dir.join(THUMBS_DIR);
    for dir in [out_dir, thumbs.as_path()] {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(io_error(dir)(error)),
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if is_slide_image_name(name) && !keep.contains(name) {
                let path = entry.path();
                std::fs::remove_file(&path).map_err(io_error(&path))?;
            }
        }
    }
    let rendered = rendered.into_inner() + cards_rendered;
    let pictures = keep.len();
    let stats = RenderStats {
        rendered,
        cached: pictures.saturating_sub(rendered),
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
