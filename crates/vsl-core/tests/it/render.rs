//! Slide images: golden PNGs per preset and theme, every output size, the cache.
//!
//! Goldens live in `tests/golden/`. `VSL_UPDATE_GOLDEN=1 cargo test -p vsl-core --test it
//! render::` rewrites them; on a mismatch the test writes `<name>.diff.png` (differing
//! pixels in magenta over the faded reference) and `<name>.actual.png` under the target
//! directory and names them in the failure.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use vsl_core::jobs::CancelToken;

use image::RgbImage;
use vsl_core::render::{
    encode_png, ensure_thumbnails, render_deck, RenderSize, Renderer, Rgb, SlideCache, SlideStyle,
    Theme, THUMBS_DIR, THUMB_WIDTH,
};
use vsl_core::slides::{auto_highlights, Slide, SlideDeck};

/// A pixel counts as different when a channel is off by more than this (anti-aliasing
/// rounding differs slightly between CPUs and compilers) ...
const CHANNEL_TOLERANCE: u8 = 40;
/// ... and an image fails when more than this share of its pixels differ.
const PIXEL_TOLERANCE: f64 = 0.002;

fn golden_dir() -> PathBuf {
    crate::common::crate_dir().join("tests/golden")
}

fn style(theme: Theme, size: RenderSize) -> SlideStyle {
    SlideStyle {
        theme,
        brand: Default::default(),
        size,
        max_lines: 3,
    }
}

fn renderer() -> &'static Renderer {
    static RENDERER: std::sync::OnceLock<Renderer> = std::sync::OnceLock::new();
    RENDERER.get_or_init(Renderer::new)
}

/// Compares with `tests/golden/<name>.png`, or writes it when `VSL_UPDATE_GOLDEN` is set.
pub(crate) fn check_golden(name: &str, image: &RgbImage) {
    let path = golden_dir().join(format!("{name}.png"));
    if std::env::var_os("VSL_UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::create_dir_all(golden_dir()).expect("golden dir");
        std::fs::write(&path, encode_png(image).expect("encode")).expect("write golden");
        return;
    }
    let reference = image::open(&path)
        .unwrap_or_else(|error| {
            panic!(
                "golden {} unreadable ({error}); run with VSL_UPDATE_GOLDEN=1 to create it",
                path.display()
            )
        })
        .to_rgb8();
    assert_eq!(
        reference.dimensions(),
        image.dimensions(),
        "{name}: size differs from the golden"
    );
    let mut diff = RgbImage::new(image.width(), image.height());
    let mut differing = 0usize;
    for ((want, got), out) in reference
        .pixels()
        .zip(image.pixels())
        .zip(diff.pixels_mut())
    {
        let off = want
            .0
            .iter()
            .zip(got.0)
            .map(|(a, b)| a.abs_diff(b))
            .max()
            .unwrap_or(0);
        if off > CHANNEL_TOLERANCE {
            differing += 1;
            out.0 = [255, 0, 255];
        } else {
            out.0 = want.0.map(|c| 191 + c / 4);
        }
    }
    let share = differing as f64 / (image.width() * image.height()) as f64;
    if share > PIXEL_TOLERANCE {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("golden");
        std::fs::create_dir_all(&dir).expect("diff dir");
        let diff_path = dir.join(format!("{name}.diff.png"));
        let actual_path = dir.join(format!("{name}.actual.png"));
        diff.save(&diff_path).expect("write diff");
        image.save(&actual_path).expect("write actual");
        panic!(
            "{name}: {differing} pixels ({:.2}%) differ from {}; diff: {}, actual: {} \
             (VSL_UPDATE_GOLDEN=1 accepts the new look)",
            share * 100.0,
            path.display(),
            diff_path.display(),
            actual_path.display()
        );
    }
}

/// The box holding every pixel that is not background: (left, top, right, bottom).
fn ink_box(image: &RgbImage, background: Rgb) -> Option<(u32, u32, u32, u32)> {
    let mut found: Option<(u32, u32, u32, u32)> = None;
    for (x, y, pixel) in image.enumerate_pixels() {
        if pixel.0 != background.0 {
            found = Some(match found {
                None => (x, y, x, y),
                Some((l, t, r, b)) => (l.min(x), t.min(y), r.max(x), b.max(y)),
            });
        }
    }
    found
}

/// Text sits inside generous margins and is centred.
fn assert_framed(name: &str, image: &RgbImage, background: Rgb) {
    let (w, h) = image.dimensions();
    let (left, top, right, bottom) = ink_box(image, background).expect("something drawn");
    let (margin_x, margin_y) = (w as f64 * 0.08, h as f64 * 0.1);
    assert!(
        left as f64 >= margin_x && (w - 1 - right) as f64 >= margin_x,
        "{name}: text reaches the side edges ({left}..{right} of {w})"
    );
    assert!(
        top as f64 >= margin_y && (h - 1 - bottom) as f64 >= margin_y,
        "{name}: text reaches the top or bottom ({top}..{bottom} of {h})"
    );
    let (left_gap, right_gap) = (left as f64, (w - 1 - right) as f64);
    assert!(
        (left_gap - right_gap).abs() <= w as f64 * 0.02,
        "{name}: not centred ({left_gap} vs {right_gap})"
    );
    let (top_gap, bottom_gap) = (top as f64, (h - 1 - bottom) as f64);
    assert!(
        (top_gap - bottom_gap).abs() <= h as f64 * 0.06,
        "{name}: not centred vertically ({top_gap} vs {bottom_gap})"
    );
}

fn custom_theme() -> Theme {
    Theme {
        name: "brand".into(),
        background: Rgb([0x0B, 0x1F, 0x3A]),
        text: Rgb([0xFF, 0xFF, 0xFF]),
        highlight: Rgb([0x2E, 0xE5, 0x9D]),
    }
}

struct Golden {
    name: &'static str,
    text: &'static str,
    theme: fn() -> Theme,
    size: RenderSize,
}

const GOLDENS: &[Golden] = &[
    Golden {
        name: "landscape_classic",
        text: "And so my fellow *Americans*, ask not what your country can do for you,",
        theme: Theme::classic,
        size: RenderSize::new(640, 360),
    },
    Golden {
        name: "landscape_dark",
        text: "Only R$ 49,90 today: 3x faster with AcmePay.",
        theme: Theme::dark,
        size: RenderSize::new(640, 360),
    },
    Golden {
        name: "landscape_brand",
        text: "Você já tentou vender um produto pela internet?",
        theme: custom_theme,
        size: RenderSize::new(640, 360),
    },
    Golden {
        name: "square_classic",
        text: "Ask what *you* can do for your country.",
        theme: Theme::classic,
        size: RenderSize::new(360, 360),
    },
    Golden {
        name: "square_dark",
        text: "É uma história simples, com 50% de desconto.",
        theme: Theme::dark,
        size: RenderSize::new(360, 360),
    },
    Golden {
        name: "portrait_classic",
        text: "Stop guessing what works.",
        theme: Theme::classic,
        size: RenderSize::new(360, 640),
    },
    Golden {
        name: "portrait_dark",
        text: "Just $97 today.",
        theme: Theme::dark,
        size: RenderSize::new(360, 640),
    },
];

/// One slide per preset at its real size, also the pictures in the docs.
const FULL_SIZE_GOLDENS: &[Golden] = &[
    Golden {
        name: "full_16x9_1920x1080",
        text: "And so my fellow *Americans*, ask not what your country can do for you,",
        theme: Theme::classic,
        size: RenderSize::FULL_HD,
    },
    Golden {
        name: "full_1x1_1080x1080",
        text: "Pague só R$ 49,90 no Pão de Açúcar",
        theme: Theme::dark,
        size: RenderSize::SQUARE,
    },
    Golden {
        name: "full_9x16_1080x1920",
        text: "ask what you can",
        theme: Theme::classic,
        size: RenderSize::PORTRAIT,
    },
];

fn render_golden(golden: &Golden) -> RgbImage {
    let terms = ["AcmePay".to_owned(), "Pão de Açúcar".to_owned()];
    let highlights = auto_highlights(golden.text, &terms);
    let style = style((golden.theme)(), golden.size);
    let (image, layout) = renderer().render_with_layout(golden.text, &highlights, &style);
    assert!(layout.fits, "{}: {layout:?}", golden.name);
    image
}

#[test]
fn goldens_per_preset_and_theme() {
    for golden in GOLDENS {
        let image = render_golden(golden);
        assert_framed(golden.name, &image, (golden.theme)().background);
        check_golden(golden.name, &image);
    }
}

#[test]
fn goldens_at_full_size() {
    for golden in FULL_SIZE_GOLDENS {
        let image = render_golden(golden);
        assert_framed(golden.name, &image, (golden.theme)().background);
        check_golden(golden.name, &image);
    }
}

#[test]
fn highlights_are_drawn_in_the_accent_colour() {
    let theme = Theme::dark();
    let with = renderer().render(
        "Only $97 today",
        &["$97".to_owned()],
        &style(theme.clone(), RenderSize::HD),
    );
    let without = renderer().render("Only $97 today", &[], &style(theme.clone(), RenderSize::HD));
    let accent = |image: &RgbImage| image.pixels().filter(|p| p.0 == theme.highlight.0).count();
    assert!(accent(&with) > 500, "accent pixels: {}", accent(&with));
    assert_eq!(accent(&without), 0);
}

#[test]
fn every_output_size_renders_framed_text() {
    let texts = [
        "Yes.",
        "And so my fellow Americans, ask not what your country can do for you",
        "Extraordinariamente",
        "Isso acontece",
        "Você já tentou vender",
        "R$ 1.997,00 hoje",
    ];
    for size in [
        RenderSize::FULL_HD,
        RenderSize::HD,
        RenderSize::PORTRAIT,
        RenderSize::SQUARE,
    ] {
        for text in texts {
            let theme = Theme::classic();
            let (image, layout) =
                renderer().render_with_layout(text, &[], &style(theme.clone(), size));
            assert_eq!(image.dimensions(), (size.width, size.height));
            assert!(
                layout.fits && (1..=3).contains(&layout.lines),
                "{size} {text}: {layout:?}"
            );
            assert_framed(&format!("{size} {text}"), &image, theme.background);
        }
    }
}

#[test]
fn rendering_is_deterministic_across_workers() {
    let style = style(Theme::classic(), RenderSize::new(640, 360));
    let first = renderer().render("Same text, same pixels", &[], &style);
    // A fresh renderer has fresh font systems and glyph caches.
    let second = Renderer::new().render("Same text, same pixels", &[], &style);
    assert!(first == second, "two renderers drew different pixels");
}

fn deck(texts: &[&str]) -> SlideDeck {
    SlideDeck {
        preset: "16:9".into(),
        theme: String::new(),
        brand: Default::default(),
        width: 0,
        height: 0,
        duration: texts.len() as f64,
        slides: texts
            .iter()
            .enumerate()
            .map(|(index, text)| Slide {
                index,
                start: index as f64,
                end: index as f64 + 1.0,
                text: (*text).to_owned(),
                highlights: auto_highlights(text, &[]),
                image: String::new(),
                words: Vec::new(),
            })
            .collect(),
    }
}

fn png_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read out dir")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".png"))
        .collect();
    names.sort();
    names
}

#[test]
fn the_cache_renders_only_what_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = SlideCache::at(dir.path().join("cache"));
    let out = dir.path().join("out");
    let style = style(Theme::classic(), RenderSize::new(320, 180));
    let never = CancelToken::new();
    let progress_calls = Mutex::new(Vec::new());
    let progress = |done: usize, total: usize| {
        progress_calls.lock().expect("lock").push((done, total));
    };
    let texts = [
        "One slide.",
        "Two slides,",
        "three for $3.",
        "Four.",
        "Five!",
    ];

    let mut first = deck(&texts);
    let stats = render_deck(
        renderer(),
        &mut first,
        &style,
        &out,
        &cache,
        &progress,
        &never,
    )
    .expect("render");
    assert_eq!((stats.rendered, stats.cached), (5, 0));
    assert_eq!((first.width, first.height), (320, 180));
    assert_eq!(first.theme, "classic");
    let names = png_names(&out);
    assert_eq!(names.len(), 5);
    for slide in &first.slides {
        assert!(names.contains(&slide.image), "{} missing", slide.image);
        let image = image::open(out.join(&slide.image)).expect("png").to_rgb8();
        assert_eq!(image.dimensions(), (320, 180));
    }
    let mut calls = progress_calls.lock().expect("lock").clone();
    calls.sort_unstable();
    assert_eq!(calls, (1..=5).map(|done| (done, 5)).collect::<Vec<_>>());

    // Same slides again: nothing is drawn.
    let mut again = deck(&texts);
    let stats = render_deck(
        renderer(),
        &mut again,
        &style,
        &out,
        &cache,
        &|_, _| {},
        &never,
    )
    .expect("render again");
    assert_eq!((stats.rendered, stats.cached), (0, 5));
    assert_eq!(again, first);

    // One slide edited: one image drawn, the old one removed, the others untouched.
    let mut edited = deck(&texts);
    edited.slides[2].text = "three for *$3*.".into();
    let stats = render_deck(
        renderer(),
        &mut edited,
        &style,
        &out,
        &cache,
        &|_, _| {},
        &never,
    )
    .expect("render edited");
    assert_eq!((stats.rendered, stats.cached), (1, 4));
    assert_ne!(edited.slides[2].image, first.slides[2].image);
    let names = png_names(&out);
    assert_eq!(names.len(), 5);
    assert!(!names.contains(&first.slides[2].image));
    assert!(names.contains(&edited.slides[2].image));

    // A new folder fills from the cache without drawing; a different theme draws anew.
    let mut copy = deck(&texts);
    let stats = render_deck(
        renderer(),
        &mut copy,
        &style,
        &dir.path().join("copy"),
        &cache,
        &|_, _| {},
        &never,
    )
    .expect("render copy");
    assert_eq!(stats.rendered, 0);
    let dark = SlideStyle {
        theme: Theme::dark(),
        brand: Default::default(),
        ..style.clone()
    };
    let stats = render_deck(
        renderer(),
        &mut copy,
        &dark,
        &dir.path().join("copy"),
        &cache,
        &|_, _| {},
        &never,
    )
    .expect("render dark");
    assert_eq!(stats.rendered, 5);
    assert_eq!(png_names(&dir.path().join("copy")).len(), 5);
}

#[test]
fn foreign_files_in_the_output_folder_survive_and_cancel_stops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = SlideCache::at(dir.path().join("cache"));
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).expect("out");
    std::fs::write(out.join("logo.png"), b"not ours").expect("write");
    std::fs::write(out.join("slide-1.png"), b"not ours either").expect("write");
    let style = style(Theme::classic(), RenderSize::new(160, 90));
    let mut slides = deck(&["A.", "B."]);
    render_deck(
        renderer(),
        &mut slides,
        &style,
        &out,
        &cache,
        &|_, _| {},
        &CancelToken::new(),
    )
    .expect("render");
    let names = png_names(&out);
    assert!(names.contains(&"logo.png".to_owned()) && names.contains(&"slide-1.png".to_owned()));

    let error = render_deck(
        renderer(),
        &mut deck(&["C."]),
        &style,
        &dir.path().join("cancelled"),
        &cache,
        &|_, _| {},
        &CancelToken::cancelled(),
    )
    .expect_err("cancelled");
    assert_eq!(error.kind().as_str(), "cancelled");
}

#[test]
fn an_unwritable_output_names_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").expect("write");
    let error = render_deck(
        renderer(),
        &mut deck(&["A."]),
        &style(Theme::classic(), RenderSize::new(160, 90)),
        &blocker.join("out"),
        &SlideCache::at(dir.path().join("cache")),
        &|_, _| {},
        &CancelToken::new(),
    )
    .expect_err("cannot create a folder under a file");
    assert_eq!(error.kind().as_str(), "io");
    assert!(error.to_string().contains("file/out"), "{error}");
}

#[test]
fn every_slide_of_the_real_decks_fits_its_frame() {
    use vsl_core::slides::{segment, Aspect, SlidePreset};
    for name in ["jfk", "long_en", "pt_br"] {
        let path = crate::common::fixture_text(&format!("{name}.json"));
        let text = std::fs::read_to_string(&path).expect("fixture");
        let transcript: vsl_core::transcribe::Transcript =
            serde_json::from_str(&text).expect("transcript");
        for aspect in Aspect::ALL {
            let preset = SlidePreset::for_aspect(aspect);
            // A quarter of the real size keeps the test quick; the layout scales with it.
            let full = aspect.default_size();
            let size = RenderSize::new(full.width / 4, full.height / 4);
            let theme = Theme::dark();
            let style = SlideStyle {
                theme: theme.clone(),
                brand: Default::default(),
                size,
                max_lines: preset.max_lines,
            };
            for slide in segment(&transcript, &preset, &[]) {
                let (image, layout) =
                    renderer().render_with_layout(&slide.text, &slide.highlights, &style);
                let label = format!(
                    "{name} {} slide {}: {}",
                    aspect.name(),
                    slide.index,
                    slide.text
                );
                assert!(
                    layout.fits && layout.lines <= preset.max_lines,
                    "{label}: {layout:?}"
                );
                assert_framed(&label, &image, theme.background);
            }
        }
    }
}

/// The mean of each channel: a thumbnail shows what its picture shows.
fn mean_colour(image: &RgbImage) -> [f64; 3] {
    let mut sums = [0.0; 3];
    for pixel in image.pixels() {
        for (sum, value) in sums.iter_mut().zip(pixel.0) {
            *sum += f64::from(value);
        }
    }
    let count = f64::from(image.width() * image.height());
    sums.map(|sum| sum / count)
}

#[test]
fn each_slide_has_a_small_thumbnail_cached_with_it_and_older_decks_get_theirs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = SlideCache::at(dir.path().join("cache"));
    let out = dir.path().join("out");
    let style = style(Theme::dark(), RenderSize::new(1280, 720));
    let never = CancelToken::new();
    let texts = ["A thumbnail for the strip.", "And *another* one."];
    let mut first = deck(&texts);
    render_deck(
        renderer(),
        &mut first,
        &style,
        &out,
        &cache,
        &|_, _| {},
        &never,
    )
    .expect("render");
    let thumbs = out.join(THUMBS_DIR);
    for slide in &first.slides {
        let full = image::open(out.join(&slide.image)).expect("png").to_rgb8();
        let thumb = image::open(thumbs.join(&slide.image))
            .expect("thumbnail")
            .to_rgb8();
        assert_eq!(thumb.dimensions(), (THUMB_WIDTH, 216));
        let (a, b) = (mean_colour(&full), mean_colour(&thumb));
        assert!(
            a.iter().zip(b).all(|(a, b)| (a - b).abs() < 2.0),
            "the thumbnail of {} shows its picture: {a:?} against {b:?}",
            slide.image
        );
    }
    let thumb_bytes = |dir: &Path, name: &str| std::fs::read(dir.join(THUMBS_DIR).join(name));

    // A new folder fills from the cache, thumbnails included, drawing nothing.
    let copy = dir.path().join("copy");
    let mut again = deck(&texts);
    let stats = render_deck(
        renderer(),
        &mut again,
        &style,
        &copy,
        &cache,
        &|_, _| {},
        &never,
    )
    .expect("render copy");
    assert_eq!(stats.rendered, 0);
    for slide in &again.slides {
        assert_eq!(
            thumb_bytes(&copy, &slide.image).expect("copied thumbnail"),
            thumb_bytes(&out, &slide.image).expect("thumbnail")
        );
    }

    // An edit replaces the slide's thumbnail with its picture.
    let mut edited = deck(&texts);
    edited.slides[0].text = "An edited thumbnail.".into();
    render_deck(
        renderer(),
        &mut edited,
        &style,
        &out,
        &cache,
        &|_, _| {},
        &never,
    )
    .expect("render edited");
    assert_eq!(png_names(&thumbs).len(), 2);
    assert!(thumbs.join(&edited.slides[0].image).is_file());
    assert!(!thumbs.join(&first.slides[0].image).exists());

    // A deck rendered before thumbnails existed gets them once.
    std::fs::remove_dir_all(&thumbs).expect("remove thumbnails");
    assert_eq!(ensure_thumbnails(&edited, &out).expect("backfill"), 2);
    assert_eq!(png_names(&thumbs).len(), 2);
    let thumb = image::open(thumbs.join(&edited.slides[1].image))
        .expect("thumbnail")
        .to_rgb8();
    assert_eq!(thumb.dimensions(), (THUMB_WIDTH, 216));
    assert_eq!(ensure_thumbnails(&edited, &out).expect("again"), 0);
}
