//! Captions over a video: a slide's text in the job's font and colours on a rounded box of
//! the theme's background, drawn once per slide into a small premultiplied RGBA image that the
//! over-video export blends onto every frame the slide covers.
//!
//! The box (80 % opaque) keeps the text readable on any picture; highlighted words take the
//! theme's accent colour as on slides. Portrait video keeps the caption above the bottom
//! fifth, where phone apps put their buttons.

use serde::{Deserialize, Serialize};

use super::{Frame, Renderer, Worker, MIN_FONT_SIZE};
use crate::look::{RenderSize, Theme};

/// Where on the picture the caption sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaptionPosition {
    #[default]
    Bottom,
    Center,
    Top,
}

impl CaptionPosition {
    pub const ALL: [CaptionPosition; 3] = [
        CaptionPosition::Bottom,
        CaptionPosition::Center,
        CaptionPosition::Top,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CaptionPosition::Bottom => "bottom",
            CaptionPosition::Center => "center",
            CaptionPosition::Top => "top",
        }
    }
}

/// How captions look: the job's theme and brand (its fonts and spoken-word colour for the
/// caption; its logo and progress bar go over the picture), where they go, how many lines
/// they may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptionStyle {
    pub theme: Theme,
    pub brand: crate::look::Brand,
    pub position: CaptionPosition,
    pub max_lines: usize,
}

/// The box's opacity: the picture shows through a little, the text stays readable.
const BOX_ALPHA: u32 = 204;
/// Captions take at most this many lines, whatever the slide preset allows.
const MAX_CAPTION_LINES: usize = 3;

/// One rendered caption: premultiplied RGBA (`width * height * 4` bytes) placed at `x, y`
/// on a frame of the size it was rendered for. Position and size are even, so the box
/// lines up with 4:2:0 chroma.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caption {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// The part of a `size` frame a caption at `position` may cover (left, top, width, height),
/// margins included; everything outside it is the source's picture.
pub fn caption_band(size: RenderSize, position: CaptionPosition) -> (u32, u32, u32, u32) {
    let (w, h) = (size.width as f32, size.height as f32);
    let portrait = h > w * 1.2;
    let band_height = if portrait { 0.24 * h } else { 0.3 * h };
    // Portrait apps lay their buttons over the bottom fifth: the band ends above it.
    let bottom_margin = if portrait { 0.2 * h } else { 0.06 * h };
    let top_margin = if portrait { 0.12 * h } else { 0.06 * h };
    let top = match position {
        CaptionPosition::Bottom => h - bottom_margin - band_height,
        CaptionPosition::Top => top_margin,
        CaptionPosition::Center => (h - band_height) / 2.0,
    };
    let margin_x = 0.05 * w;
    let even = |value: f32| (value.max(0.0) as u32) & !1;
    (
        even(margin_x),
        even(top),
        even(w - 2.0 * margin_x),
        even(band_height),
    )
}

impl Renderer {
    /// Draws `text` (with `*marked*` words and `highlights` in the accent colour) as a caption
    /// for a frame of `size`.
    pub fn render_caption(
        &self,
        text: &str,
        highlights: &[String],
        style: &CaptionStyle,
        size: RenderSize,
    ) -> Caption {
        self.render_caption_word(text, highlights, style, size, None)
    }

    /// [`Renderer::render_caption`] with the `active`-th word drawn as the one being spoken.
    pub fn render_caption_word(
        &self,
        text: &str,
        highlights: &[String],
        style: &CaptionStyle,
        size: RenderSize,
        active: Option<usize>,
    ) -> Caption {
        let mut spans = crate::slides::styled_spans(text, highlights);
        super::glue_prices(&mut spans);
        let runs = super::runs_with_active(&spans, active, style.brand.words.keywords());
        self.with_worker(style.brand.fonts.as_ref(), |worker| {
            draw_caption(worker, &runs, style, size)
        })
    }
}

fn draw_caption(
    worker: &mut Worker,
    runs: &[super::Run],
    style: &CaptionStyle,
    size: RenderSize,
) -> Caption {
    let (band_x, band_y, band_width, band_height) = caption_band(size, style.position);
    let (w, h) = (size.width as f32, size.height as f32);
    let portrait = h > w * 1.2;
    // Caption text is smaller than slide text: it accompanies the picture.
    let max_font = if portrait { 0.07 * w } else { 0.06 * h };
    // Padding scales with the text; the layout reserves room for it inside the band.
    let pad = |font: f32| ((0.4 * font).round(), (0.18 * font).round());
    let (pad_x, pad_y) = pad(max_font);
    let frame = Frame {
        left: 0.0,
        top: 0.0,
        width: (band_width as f32 - 2.0 * pad_x).max(16.0),
        height: (band_height as f32 - 2.0 * pad_y).max(16.0),
        max_font_size: max_font.max(MIN_FONT_SIZE),
    };
    // The brand's fonts and spoken-word colour; its logo and bar are the export's to draw.
    let slide_style = crate::look::SlideStyle {
        theme: style.theme.clone(),
        brand: style.brand.clone(),
        size,
        max_lines: style.max_lines.clamp(1, MAX_CAPTION_LINES),
    };
    let layout = worker.layout(runs, &slide_style, &frame);
    let (pad_x, pad_y) = pad(layout.font_size);
    let widest = worker
        .buffer
        .layout_runs()
        .map(|run| run.line_w)
        .fold(0.0f32, f32::max);
    let box_width = ((widest + 2.0 * pad_x).ceil() as u32)
        .min(band_width)
        .max(2)
        & !1;
    let box_height = ((layout.height + 2.0 * pad_y).ceil() as u32)
        .min(band_height)
        .max(2)
        & !1;
    let x = (band_x + (band_width - box_width) / 2) & !1;
    let y = match style.position {
        CaptionPosition::Bottom => band_y + band_height - box_height,
        CaptionPosition::Top => band_y,
        CaptionPosition::Center => band_y + (band_height - box_height) / 2,
    } & !1;
    let (bw, bh) = (box_width as usize, box_height as usize);
    let mut rgba = vec![0u8; bw * bh * 4];
    let [br, bg, bb] = style.theme.background.0;
    let radius = (0.3 * layout.font_size).min(bh as f32 / 2.0);
    for row in 0..bh {
        for column in 0..bw {
            let coverage = corner_coverage(column, row, bw, bh, radius);
            let alpha = (BOX_ALPHA * coverage + 127) / 255;
            let at = (row * bw + column) * 4;
            let premultiply = |channel: u8| ((u32::from(channel) * alpha + 127) / 255) as u8;
            rgba[at] = premultiply(br);
            rgba[at + 1] = premultiply(bg);
            rgba[at + 2] = premultiply(bb);
            rgba[at + 3] = alpha as u8;
        }
    }
    // The lines are centred on the wrap width; the box is centred on the widest line.
    let left = pad_x - (layout.width - widest) / 2.0;
    let top = pad_y;
    worker.paint(
        (left, top),
        style.theme.text,
        (bw, bh),
        |px, py, ink, color| {
            let at = (py * bw + px) * 4;
            // Premultiplied "over": text on top of the box.
            let a = u32::from(ink);
            for (offset, value) in color.into_iter().chain([255]).enumerate() {
                let under = u32::from(rgba[at + offset]);
                rgba[at + offset] = ((u32::from(value) * a + under * (255 - a) + 127) / 255) as u8;
            }
        },
    );
    Caption {
        x,
        y,
        width: box_width,
        height: box_height,
        rgba,
    }
}

/// How much of pixel (`x`, `y`) a `width` x `height` box with corners of `radius` covers,
/// 0-255, with a one-pixel soft edge on the corners.
fn corner_coverage(x: usize, y: usize, width: usize, height: usize, radius: f32) -> u32 {
    let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
    let cx = px.clamp(radius, width as f32 - radius);
    let cy = py.clamp(radius, height as f32 - radius);
    let distance = ((px - cx).powi(2) + (py - cy).powi(2)).sqrt();
    ((radius - distance + 0.5).clamp(0.0, 1.0) * 255.0).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(position: CaptionPosition) -> CaptionStyle {
        CaptionStyle {
            brand: Default::default(),
            theme: Theme::classic(),
            position,
            max_lines: 3,
        }
    }

    #[test]
    fn captions_stay_inside_their_band_and_portrait_clears_the_bottom_fifth() {
        let renderer = Renderer::new();
        for size in [RenderSize::HD, RenderSize::PORTRAIT] {
            for position in CaptionPosition::ALL {
                let caption = renderer.render_caption(
                    "And so my fellow Americans, ask not what your *country* can do for you",
                    &[],
                    &style(position),
                    size,
                );
                let (bx, by, bw, bh) = caption_band(size, position);
                assert!(caption.x >= bx && caption.x + caption.width <= bx + bw);
                assert!(caption.y >= by && caption.y + caption.height <= by + bh);
                assert_eq!(caption.x % 2 + caption.y % 2 + caption.width % 2, 0);
                if size == RenderSize::PORTRAIT {
                    assert!(caption.y + caption.height <= size.height * 4 / 5);
                }
            }
        }
    }

    #[test]
    fn a_caption_has_its_box_its_text_and_its_highlight() {
        let renderer = Renderer::new();
        let caption = renderer.render_caption(
            "*Hi* there",
            &[],
            &style(CaptionPosition::Bottom),
            RenderSize::HD,
        );
        let pixels: Vec<&[u8]> = caption.rgba.chunks_exact(4).collect();
        let theme = Theme::classic();
        let boxed = pixels.iter().filter(|p| p[3] == BOX_ALPHA as u8).count();
        assert!(boxed > pixels.len() / 2, "box pixels");
        let text = pixels
            .iter()
            .filter(|p| p[3] == 255 && p[..3] == theme.text.0)
            .count();
        let accent = pixels
            .iter()
            .filter(|p| p[3] == 255 && p[..3] == theme.highlight.0)
            .count();
        assert!(text > 50 && accent > 20, "text {text}, highlight {accent}");
    }
}
