//! Slide images: text laid out and drawn with cosmic-text in the bundled Inter font.
//!
//! A [`Renderer`] owns the fonts (compiled into the binary; no system font is ever
//! looked up, so a slide is the same on every machine) and a pool of workers, each with
//! its own `FontSystem` and glyph cache, so slides render in parallel without sharing
//! shaping state. [`Renderer::render`] draws one slide for a [`SlideStyle`] (a [`Theme`],
//! a [`RenderSize`] and the line limit): the largest font size that fits the safe area,
//! lines balanced to even length, centred, highlighted runs in the accent colour.
//! [`render_deck`] renders a whole deck through the content-addressed PNG cache
//! ([`SlideCache`]). [`Renderer::render_caption`] draws a slide's text as a [`Caption`] for
//! the over-video export: a small premultiplied RGBA box placed in the [`caption_band`].

mod cache;
mod caption;

pub use cache::{
    ensure_thumbnails, render_deck, slide_key, word_key, RenderStats, SlideCache, THUMBS_DIR,
    THUMB_WIDTH,
};
pub use caption::{caption_band, Caption, CaptionPosition, CaptionStyle};

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use cosmic_text::{
    fontdb, Align, Attrs, Buffer, Color, Family, FontSystem, Metrics, Shaping, SwashCache,
    SwashContent, Weight, Wrap,
};
use image::RgbImage;
use sha2::{Digest, Sha256};

use crate::error::ErrorKind;
use crate::look::{BrandFonts, Edge, ProgressBar};
pub use crate::look::{RenderSize, Rgb, SlideStyle, Theme};
use crate::slides::StyledSpan;

/// Inter Display SemiBold: the slide text.
pub const FONT_TEXT: &[u8] = include_bytes!("../../assets/fonts/InterDisplay-SemiBold.otf");
/// Inter Display Bold: highlighted words.
pub const FONT_HIGHLIGHT: &[u8] = include_bytes!("../../assets/fonts/InterDisplay-Bold.otf");
/// The bundled font's family name and release (Debian `fonts-inter` 4.0~beta7).
pub const FONT_FAMILY: &str = "Inter Display";
pub const FONT_VERSION: &str = "Inter Display 4.0 beta7";

/// Changes whenever layout or drawing changes what a slide looks like, so cached images
/// from an older build are not reused.
pub(crate) const LAYOUT_VERSION: u32 = 1;

/// Glyph images kept per worker: a few decks' worth at one size (tens of megabytes at most).
const GLYPH_CACHE_LIMIT: usize = 4096;
/// Line height as a multiple of the font size: tight, as display text wants.
const LINE_HEIGHT: f32 = 1.16;
/// Below this the text would be unreadable anyway; a slide that does not fit even at
/// this size overflows its safe area rather than vanish.
const MIN_FONT_SIZE: f32 = 8.0;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot encode the PNG: {reason}", path.display())]
    Encode { path: PathBuf, reason: String },
    #[error("invalid slide size '{0}' (use WIDTHxHEIGHT, e.g. 1920x1080)")]
    InvalidSize(String),
    #[error("cancelled")]
    Cancelled,
}

impl RenderError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            RenderError::Io { source, .. } if source.raw_os_error() == Some(28) => {
                ErrorKind::DiskFull
            }
            RenderError::Io { .. } => ErrorKind::Io,
            RenderError::Encode { .. } => ErrorKind::Encode,
            RenderError::InvalidSize(_) => ErrorKind::InvalidSize,
            RenderError::Cancelled => ErrorKind::Cancelled,
        }
    }
}

/// Where text may go, and how big it may get, for a canvas of this shape.
struct Frame {
    left: f32,
    top: f32,
    width: f32,
    height: f32,
    max_font_size: f32,
}

impl Frame {
    fn for_size(size: RenderSize) -> Frame {
        let (w, h) = (size.width as f32, size.height as f32);
        // Margins as fractions of the canvas. Portrait video is watched in apps that lay
        // captions and buttons over the top and bottom fifths, so text stays in the middle.
        // The font size caps keep a one-word slide bold rather than absurd.
        let (margin_x, margin_y, max_font) = if w > h * 1.2 {
            (0.09 * w, 0.14 * h, 0.125 * h)
        } else if h > w * 1.2 {
            (0.08 * w, 0.2 * h, 0.15 * w)
        } else {
            (0.1 * w, 0.12 * h, 0.11 * w)
        };
        Frame {
            left: margin_x,
            top: margin_y,
            width: w - 2.0 * margin_x,
            height: h - 2.0 * margin_y,
            max_font_size: max_font.max(MIN_FONT_SIZE),
        }
    }

    /// [`Frame::for_size`] narrowed so the text keeps clear of the look's logo (the band of
    /// its row or column) and progress bar. A centred logo is a watermark under the text.
    fn for_style(style: &SlideStyle) -> Frame {
        let mut frame = Frame::for_size(style.size);
        let (w, h) = (style.size.width as f32, style.size.height as f32);
        let gap = 0.02 * h;
        let (mut top, mut bottom) = (frame.top, frame.top + frame.height);
        let (mut left, mut right) = (frame.left, frame.left + frame.width);
        if let Some(bar) = &style.brand.progress {
            let (first, rows) = bar.rows(style.size.height);
            match bar.position {
                Edge::Top => top = top.max((first + rows) as f32 + gap),
                Edge::Bottom => bottom = bottom.min(first as f32 - gap),
            }
        }
        if let Some(logo) = &style.brand.logo {
            let (x, y, lw, lh) = logo.placement(style.size.width, style.size.height);
            let (x, y, lw, lh) = (x as f32, y as f32, lw as f32, lh as f32);
            match logo.position.axes() {
                (_, -1) => top = top.max(y + lh + gap),
                (_, 1) => bottom = bottom.min(y - gap),
                (-1, 0) => left = left.max(x + lw + gap),
                (1, 0) => right = right.min(x - gap),
                _ => {}
            }
        }
        // A huge logo must not squeeze the text to nothing: keep at least a third.
        let min_h = h / 3.0;
        if bottom - top < min_h {
            let middle = (top + bottom) / 2.0;
            top = (middle - min_h / 2.0).max(0.0);
            bottom = (top + min_h).min(h);
        }
        let min_w = w / 3.0;
        if right - left < min_w {
            let middle = (left + right) / 2.0;
            left = (middle - min_w / 2.0).max(0.0);
            right = (left + min_w).min(w);
        }
        frame.left = left;
        frame.top = top;
        frame.width = right - left;
        frame.height = bottom - top;
        frame
    }
}

/// A box on a frame: left, top, width, height in pixels.
type PixelBox = (u32, u32, u32, u32);

/// A look's pictures prepared for one slide size: the background scaled, cropped and
/// dimmed; the logo scaled, with its box.
#[derive(Default)]
struct Layers {
    background: Option<Arc<Vec<u8>>>,
    logo: Option<(Arc<Vec<u8>>, PixelBox)>,
}

/// Scales `image` to cover `width` x `height` (centred crop), then lays black over it at
/// `dim`: RGB bytes.
fn cover(image: &RgbImage, width: u32, height: u32, dim: f32) -> Vec<u8> {
    let scale = (width as f32 / image.width() as f32).max(height as f32 / image.height() as f32);
    let scaled_w = ((image.width() as f32 * scale).ceil() as u32).max(width);
    let scaled_h = ((image.height() as f32 * scale).ceil() as u32).max(height);
    let scaled = image::imageops::resize(
        image,
        scaled_w,
        scaled_h,
        image::imageops::FilterType::Triangle,
    );
    let (x0, y0) = ((scaled_w - width) / 2, (scaled_h - height) / 2);
    let cropped = image::imageops::crop_imm(&scaled, x0, y0, width, height).to_image();
    let keep = ((1.0 - dim.clamp(0.0, 1.0)) * 256.0).round() as u32;
    cropped
        .into_raw()
        .into_iter()
        .map(|value| ((u32::from(value) * keep + 128) >> 8) as u8)
        .collect()
}

/// Straight-alpha "over" of a `w` x `h` RGBA picture at (`x`, `y`) onto RGB `pixels`.
fn overlay_rgba(pixels: &mut [u8], width: usize, rgba: &[u8], (x, y, w, h): (u32, u32, u32, u32)) {
    let height = pixels.len() / 3 / width.max(1);
    for row in 0..h as usize {
        let py = y as usize + row;
        if py >= height {
            break;
        }
        for column in 0..w as usize {
            let px = x as usize + column;
            if px >= width {
                break;
            }
            let from = (row * w as usize + column) * 4;
            let alpha = rgba[from + 3];
            if alpha == 0 {
                continue;
            }
            let at = (py * width + px) * 3;
            blend(
                &mut pixels[at..at + 3],
                [rgba[from], rgba[from + 1], rgba[from + 2]],
                alpha,
            );
        }
    }
}

/// Draws `bar` filled to `fraction` (0 to 1) of the width on an RGB image: the picture a
/// frame of the export shows at that point of the video.
pub fn draw_progress(image: &mut RgbImage, bar: &ProgressBar, fraction: f64) {
    let (width, height) = (image.width(), image.height());
    let (first, rows) = bar.rows(height);
    let filled = progress_width(width, fraction);
    for y in first..first + rows {
        for x in 0..filled {
            image.put_pixel(x, y, image::Rgb(bar.color.0));
        }
    }
}

/// Columns of a `width` wide bar filled at `fraction`, rounded to whole chroma pairs.
pub fn progress_width(width: u32, fraction: f64) -> u32 {
    let filled = (fraction.clamp(0.0, 1.0) * f64::from(width)).round() as u32;
    (filled & !1).min(width)
}

/// One thread's text machinery. Creating a `FontSystem` parses the fonts, so it is made
/// once per worker and reused for every slide that worker draws.
struct Worker {
    fonts: FontSystem,
    glyphs: SwashCache,
    buffer: Buffer,
    /// [`BrandFonts::key`] of the brand fonts loaded besides Inter; empty for none.
    font_key: String,
}

/// A run of slide text drawn one way: plain, highlighted, or the word being spoken.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Run {
    pub text: String,
    pub highlight: bool,
    pub active: bool,
}

/// Splits `spans` into runs with the `active`-th word (counting whitespace-separated words,
/// as the slide's word list does) marked active. Highlights are dropped unless `keywords`.
fn runs_with_active(spans: &[StyledSpan], active: Option<usize>, keywords: bool) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    let mut word = 0usize;
    let mut in_word = false;
    for span in spans {
        for c in span.text.chars() {
            let is_space = c.is_whitespace();
            if !is_space && !in_word {
                in_word = true;
            } else if is_space && in_word {
                in_word = false;
                word += 1;
            }
            let flags = (
                span.highlight && keywords,
                !is_space && in_word && active == Some(word),
            );
            match runs.last_mut() {
                Some(run) if (run.highlight, run.active) == flags => run.text.push(c),
                _ => runs.push(Run {
                    text: c.to_string(),
                    highlight: flags.0,
                    active: flags.1,
                }),
            }
        }
    }
    if runs.is_empty() {
        runs.push(Run {
            text: String::new(),
            highlight: false,
            active: false,
        });
    }
    runs
}

/// How cosmic-text finds one face: family, weight, italic.
#[derive(Clone, Copy)]
struct FaceQuery<'a> {
    family: &'a str,
    weight: u16,
    italic: bool,
}

impl<'a> FaceQuery<'a> {
    fn of(face: &'a crate::look::FontFace) -> FaceQuery<'a> {
        FaceQuery {
            family: &face.family,
            weight: face.weight,
            italic: face.italic,
        }
    }

    fn attrs(self, color: Rgb) -> Attrs<'a> {
        let [r, g, b] = color.0;
        Attrs::new()
            .family(Family::Name(self.family))
            .weight(Weight(self.weight))
            .style(if self.italic {
                cosmic_text::Style::Italic
            } else {
                cosmic_text::Style::Normal
            })
            .color(Color::rgb(r, g, b))
    }
}

/// How a slide's text was laid out (exposed for tests and the editor's preview).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextLayout {
    pub font_size: f32,
    pub lines: usize,
    /// The wrap width the lines were balanced to.
    pub width: f32,
    pub height: f32,
    /// True when the text fits the safe area (false only for a word too long for it even
    /// at the smallest size).
    pub fits: bool,
}

impl Worker {
    /// A worker with the bundled Inter and, when given, a look's fonts. Inter stays loaded
    /// with brand fonts: cosmic-text falls back to it for glyphs the brand font lacks.
    fn new(brand: Option<&BrandFonts>) -> Worker {
        let mut database = fontdb::Database::new();
        for font in [FONT_TEXT, FONT_HIGHLIGHT] {
            database.load_font_source(fontdb::Source::Binary(Arc::new(font)));
        }
        if let Some(brand) = brand {
            database.load_font_source(fontdb::Source::Binary(brand.regular.bytes.clone()));
            if let Some(bold) = &brand.bold {
                database.load_font_source(fontdb::Source::Binary(bold.bytes.clone()));
            }
        }
        // A fixed locale: the system's would change fallback choices between machines.
        let mut fonts = FontSystem::new_with_locale_and_db("en-US".into(), database);
        let buffer = Buffer::new(&mut fonts, Metrics::new(32.0, 32.0 * LINE_HEIGHT));
        Worker {
            fonts,
            glyphs: SwashCache::new(),
            buffer,
            font_key: brand.map(BrandFonts::key).unwrap_or_default(),
        }
    }

    /// Lines, widest line and height of the text at this size and wrap width.
    fn measure(&mut self, font_size: f32, width: f32) -> (usize, f32, f32) {
        self.buffer
            .set_metrics(Metrics::new(font_size, (font_size * LINE_HEIGHT).round()));
        self.buffer.set_size(Some(width), None);
        self.buffer.shape_until_scroll(&mut self.fonts, false);
        let mut lines = 0;
        let mut widest: f32 = 0.0;
        let mut bottom: f32 = 0.0;
        for run in self.buffer.layout_runs() {
            lines += 1;
            widest = widest.max(run.line_w);
            bottom = bottom.max(run.line_top + run.line_height);
        }
        (lines, widest, bottom)
    }

    /// Sets the text and finds the largest font size that fits, then the narrowest wrap
    /// width that keeps the same number of lines (so the lines come out even).
    fn layout(&mut self, runs: &[Run], style: &SlideStyle, frame: &Frame) -> TextLayout {
        let (text_face, highlight_face) = match &style.brand.fonts {
            Some(fonts) => (
                FaceQuery::of(&fonts.regular),
                FaceQuery::of(fonts.highlight()),
            ),
            None => (
                FaceQuery {
                    family: FONT_FAMILY,
                    weight: Weight::SEMIBOLD.0,
                    italic: false,
                },
                FaceQuery {
                    family: FONT_FAMILY,
                    weight: Weight::BOLD.0,
                    italic: false,
                },
            ),
        };
        let active_color = style.brand.active_color.unwrap_or(style.theme.highlight);
        // The spoken word changes colour only: the same face keeps every word state's
        // layout identical, so the text never shifts as the words advance.
        let attrs = |run: &Run| {
            let face = if run.highlight {
                highlight_face
            } else {
                text_face
            };
            let color = if run.active {
                active_color
            } else if run.highlight {
                style.theme.highlight
            } else {
                style.theme.text
            };
            face.attrs(color)
        };
        let default = text_face.attrs(style.theme.text);
        self.buffer.set_wrap(Wrap::Word);
        self.buffer.set_rich_text(
            runs.iter().map(|run| (run.text.as_str(), attrs(run))),
            &default,
            Shaping::Advanced,
            Some(Align::Center),
        );
        let max_lines = style.max_lines.max(1);
        let fits = |worker: &mut Worker, size: f32| {
            let (lines, widest, height) = worker.measure(size, frame.width);
            lines <= max_lines && widest <= frame.width + 0.5 && height <= frame.height
        };
        // Whole pixel sizes: the search is exact and glyphs at one size are cached.
        let (mut low, mut high) = (MIN_FONT_SIZE as u32, frame.max_font_size.floor() as u32);
        while low < high {
            let middle = (low + high).div_ceil(2);
            if fits(self, middle as f32) {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        let font_size = low as f32;
        let fits_at_all = fits(self, font_size);
        let (lines, widest, _) = self.measure(font_size, frame.width);
        let mut width = frame.width;
        if lines > 1 {
            // Balance: the narrowest width that still gives `lines` lines.
            let (mut narrow, mut wide) = (widest / lines as f32, frame.width);
            for _ in 0..12 {
                let middle = (narrow + wide) / 2.0;
                // Fewer lines is not enough: a word wider than the wrap width overflows
                // without adding a line, and would then be centred on the wrong axis.
                let (count, widest_now, _) = self.measure(font_size, middle);
                if count <= lines && widest_now <= middle + 0.5 {
                    wide = middle;
                } else {
                    narrow = middle;
                }
            }
            width = wide.ceil();
        }
        let (lines, _, height) = self.measure(font_size, width);
        TextLayout {
            font_size,
            lines,
            width,
            height,
            fits: fits_at_all,
        }
    }

    fn draw(
        &mut self,
        runs: &[Run],
        style: &SlideStyle,
        layers: &Layers,
    ) -> (RgbImage, TextLayout) {
        let frame = Frame::for_style(style);
        let layout = self.layout(runs, style, &frame);
        let (width, height) = (style.size.width as usize, style.size.height as usize);
        let mut pixels = match &layers.background {
            Some(background) => background.as_ref().clone(),
            None => style.theme.background.0.repeat(width * height),
        };
        if let Some((logo, (x, y, w, h))) = &layers.logo {
            overlay_rgba(&mut pixels, width, logo, (*x, *y, *w, *h));
        }
        let left = frame.left + (frame.width - layout.width) / 2.0;
        let top = (frame.top + (frame.height - layout.height) / 2.0).round();
        self.paint(
            (left, top),
            style.theme.text,
            (width, height),
            |x, y, alpha, color| {
                let at = (y * width + x) * 3;
                blend(&mut pixels[at..at + 3], color, alpha);
            },
        );
        let image = RgbImage::from_raw(style.size.width, style.size.height, pixels)
            .unwrap_or_else(|| RgbImage::new(style.size.width, style.size.height));
        (image, layout)
    }
}

impl Worker {
    /// Hands every inked pixel of the laid-out buffer, drawn with its top-left at `origin`,
    /// to `ink` as `(x, y, coverage, colour)`, clipped to a `size` (width, height) target:
    /// the one glyph walk of slides and captions, which differ only in how they blend.
    pub(crate) fn paint(
        &mut self,
        origin: (f32, f32),
        text: Rgb,
        size: (usize, usize),
        mut ink: impl FnMut(usize, usize, u8, [u8; 3]),
    ) {
        let default_color = Color::rgb(text.0[0], text.0[1], text.0[2]);
        let Worker {
            fonts,
            glyphs,
            buffer,
            ..
        } = self;
        for run in buffer.layout_runs() {
            for glyph in run.glyphs {
                let physical = glyph.physical((origin.0, origin.1 + run.line_y), 1.0);
                let color = glyph.color_opt.unwrap_or(default_color);
                let Some(image) = glyphs.get_image(fonts, physical.cache_key) else {
                    continue;
                };
                if image.content != SwashContent::Mask {
                    // Inter has no colour glyphs; anything else would come from a font we
                    // do not ship.
                    continue;
                }
                let x0 = physical.x + image.placement.left;
                let y0 = physical.y - image.placement.top;
                let glyph_width = image.placement.width as usize;
                for (row, coverage) in image.data.chunks_exact(glyph_width.max(1)).enumerate() {
                    let y = y0 + row as i32;
                    if y < 0 || y as usize >= size.1 {
                        continue;
                    }
                    for (column, &alpha) in coverage.iter().enumerate() {
                        let x = x0 + column as i32;
                        if alpha == 0 || x < 0 || x as usize >= size.0 {
                            continue;
                        }
                        ink(
                            x as usize,
                            y as usize,
                            alpha,
                            [color.r(), color.g(), color.b()],
                        );
                    }
                }
            }
        }
        // The glyph cache only ever grows; a long-lived app renders many sizes over time.
        if glyphs.image_cache.len() > GLYPH_CACHE_LIMIT {
            glyphs.image_cache.clear();
        }
    }
}

/// `pixel = pixel * (1 - a) + color * a`, in 8-bit sRGB like every other text renderer.
fn blend(pixel: &mut [u8], color: [u8; 3], alpha: u8) {
    let a = u32::from(alpha);
    for (channel, value) in pixel.iter_mut().zip(color) {
        *channel = ((u32::from(value) * a + u32::from(*channel) * (255 - a) + 127) / 255) as u8;
    }
}

/// Workers kept for reuse; more are made while slides render in parallel, and workers with
/// other fonts are dropped first when the pool is full.
const POOL_LIMIT: usize = 16;
/// Scaled backgrounds and logos kept (each a frame's worth of pixels at most).
const LAYER_CACHE_LIMIT: usize = 8;

/// Draws slides. Cheap to share (`&Renderer` is `Sync`); keep one for the process.
pub struct Renderer {
    workers: Mutex<Vec<Worker>>,
    font_digest: String,
    layers: Mutex<Vec<(String, Arc<Vec<u8>>)>>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("font_digest", &self.font_digest)
            .finish_non_exhaustive()
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Renderer::new()
    }
}

impl Renderer {
    pub fn new() -> Renderer {
        let mut hasher = Sha256::new();
        hasher.update(FONT_TEXT);
        hasher.update(FONT_HIGHLIGHT);
        Renderer {
            workers: Mutex::new(Vec::new()),
            font_digest: hex::encode(&hasher.finalize()[..8]),
            layers: Mutex::new(Vec::new()),
        }
    }

    /// A short digest of the bundled fonts: part of every cache key, so a font update
    /// re-renders every slide.
    pub fn font_digest(&self) -> &str {
        &self.font_digest
    }

    /// Runs `work` on a pooled worker that has `fonts` loaded (a new one if none is free).
    fn with_worker<T>(&self, fonts: Option<&BrandFonts>, work: impl FnOnce(&mut Worker) -> T) -> T {
        let key = fonts.map(BrandFonts::key).unwrap_or_default();
        let pooled = {
            let mut pool = self.workers.lock().unwrap_or_else(PoisonError::into_inner);
            pool.iter()
                .rposition(|worker| worker.font_key == key)
                .map(|at| pool.swap_remove(at))
        };
        let mut worker = pooled.unwrap_or_else(|| Worker::new(fonts));
        let result = work(&mut worker);
        let mut pool = self.workers.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() >= POOL_LIMIT {
            let other = pool
                .iter()
                .position(|held| held.font_key != worker.font_key);
            pool.remove(other.unwrap_or(0));
        }
        pool.push(worker);
        result
    }

    /// A prepared picture from the layer cache, made by `make` when missing.
    fn layer(&self, key: String, make: impl FnOnce() -> Vec<u8>) -> Arc<Vec<u8>> {
        let cached = self
            .layers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(held, _)| *held == key)
            .map(|(_, layer)| layer.clone());
        if let Some(layer) = cached {
            return layer;
        }
        // Made outside the lock: two threads may both make it once, which is harmless.
        let layer = Arc::new(make());
        let mut cache = self.layers.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= LAYER_CACHE_LIMIT {
            cache.remove(0);
        }
        cache.push((key, layer.clone()));
        layer
    }

    fn layers(&self, style: &SlideStyle) -> Layers {
        let (width, height) = (style.size.width, style.size.height);
        let background = style.brand.background.as_ref().map(|background| {
            self.layer(
                format!(
                    "bg:{}:{width}x{height}:{}",
                    background.digest, background.dim
                ),
                || cover(&background.image, width, height, background.dim),
            )
        });
        let logo = style.brand.logo.as_ref().map(|logo| {
            let place = logo.placement(width, height);
            let opacity = logo.opacity;
            let pixels = self.layer(
                format!("logo:{}:{}x{}:{opacity}", logo.digest, place.2, place.3),
                || {
                    let mut scaled = image::imageops::resize(
                        logo.image.as_ref(),
                        place.2,
                        place.3,
                        image::imageops::FilterType::Triangle,
                    );
                    if opacity < 1.0 {
                        for pixel in scaled.pixels_mut() {
                            pixel.0[3] = (f32::from(pixel.0[3]) * opacity).round() as u8;
                        }
                    }
                    scaled.into_raw()
                },
            );
            (pixels, place)
        });
        Layers { background, logo }
    }

    /// Draws one slide: `text` may hold `*marked*` words; `highlights` are phrases drawn in
    /// the accent colour wherever they occur as whole words.
    pub fn render(&self, text: &str, highlights: &[String], style: &SlideStyle) -> RgbImage {
        self.render_with_layout(text, highlights, style).0
    }

    /// [`Renderer::render`], also returning how the text was laid out.
    pub fn render_with_layout(
        &self,
        text: &str,
        highlights: &[String],
        style: &SlideStyle,
    ) -> (RgbImage, TextLayout) {
        self.render_word(text, highlights, style, None)
    }

    /// One word state of a slide: the `active`-th word (whitespace-separated, as in the
    /// slide's word list) drawn in the look's active colour; `None` is the slide with no word
    /// spoken yet.
    pub fn render_word(
        &self,
        text: &str,
        highlights: &[String],
        style: &SlideStyle,
        active: Option<usize>,
    ) -> (RgbImage, TextLayout) {
        let mut spans = crate::slides::styled_spans(text, highlights);
        glue_prices(&mut spans);
        let runs = runs_with_active(&spans, active, style.brand.words.keywords());
        let layers = self.layers(style);
        self.with_worker(style.brand.fonts.as_ref(), |worker| {
            worker.draw(&runs, style, &layers)
        })
    }
}

/// Puts a no-break space between a currency sign and its amount ("R$ 49,90") so the
/// line breaker never splits a price, even across highlighted and plain runs.
fn glue_prices(spans: &mut [StyledSpan]) {
    let mut chars: Vec<(usize, char)> = spans
        .iter()
        .enumerate()
        .flat_map(|(index, span)| span.text.chars().map(move |c| (index, c)))
        .collect();
    let mut changed = false;
    for k in 1..chars.len().saturating_sub(1) {
        if chars[k].1 != ' ' || !chars[k + 1].1.is_ascii_digit() {
            continue;
        }
        let token: String = chars[..k]
            .iter()
            .rev()
            .map(|(_, c)| *c)
            .take_while(|c| !c.is_whitespace())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if crate::text::is_currency(&token) {
            chars[k].1 = '\u{a0}';
            changed = true;
        }
    }
    if changed {
        for span in spans.iter_mut() {
            span.text.clear();
        }
        for (index, c) in chars {
            spans[index].text.push(c);
        }
    }
}

/// PNG bytes for a slide. Fast compression: slides are flat colour, which every level
/// squeezes to a few tens of kilobytes, and the slower levels cost more time than they save.
pub fn encode_png(image: &RgbImage) -> Result<Vec<u8>, String> {
    use image::ImageEncoder;
    let mut bytes = Vec::with_capacity(64 * 1024);
    image::codecs::png::PngEncoder::new_with_quality(
        &mut bytes,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Up,
    )
    .write_image(
        image.as_raw(),
        image.width(),
        image.height(),
        image::ExtendedColorType::Rgb8,
    )
    .map_err(|error| error.to_string())?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(size: RenderSize) -> SlideStyle {
        SlideStyle {
            theme: Theme::classic(),
            brand: Default::default(),
            size,
            max_lines: 3,
        }
    }

    #[test]
    fn the_bundled_font_is_the_only_font() {
        let worker = Worker::new(None);
        let families: Vec<String> = worker
            .fonts
            .db()
            .faces()
            .flat_map(|face| face.families.iter().map(|(name, _)| name.clone()))
            .collect();
        assert_eq!(families, [FONT_FAMILY, FONT_FAMILY]);
    }

    #[test]
    fn short_text_is_big_and_long_text_wraps_evenly() {
        let renderer = Renderer::new();
        let (_, short) = renderer.render_with_layout("Yes.", &[], &style(RenderSize::FULL_HD));
        assert_eq!(short.lines, 1);
        assert_eq!(short.font_size, (0.125f32 * 1080.0).floor());
        let (_, long) = renderer.render_with_layout(
            "And so my fellow Americans, ask not what your country can do for you",
            &[],
            &style(RenderSize::FULL_HD),
        );
        assert!(long.fits);
        assert!((2..=3).contains(&long.lines), "{long:?}");
        assert!(long.font_size < short.font_size);
    }

    #[test]
    fn prices_do_not_break() {
        let mut spans = crate::slides::styled_spans("Pay R$ 49,90 or $ 5 now", &[]);
        glue_prices(&mut spans);
        assert_eq!(spans[0].text, "Pay R$\u{a0}49,90 or $\u{a0}5 now");
        let mut split = crate::slides::styled_spans("só R$ *49,90*", &[]);
        glue_prices(&mut split);
        assert_eq!(split[0].text, "só R$\u{a0}");
        assert_eq!(split[1].text, "49,90");
    }

    #[test]
    fn text_is_drawn_in_the_theme_colours() {
        let renderer = Renderer::new();
        let image = renderer.render("*Hi* there", &[], &style(RenderSize::new(320, 180)));
        let theme = Theme::classic();
        let count = |color: Rgb| image.pixels().filter(|p| p.0 == color.0).count();
        assert!(count(theme.background) > 320 * 180 / 2);
        assert!(count(theme.text) > 50, "text pixels");
        assert!(count(theme.highlight) > 20, "highlight pixels");
    }
}
