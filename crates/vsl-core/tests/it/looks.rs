//! Looks: look.toml files and their assets, the store, branded slides (goldens), and the
//! spoken word and progress bar in a real MP4.

use std::path::{Path, PathBuf};
use std::process::Command;

use image::{Rgb as Pixel, RgbImage, Rgba, RgbaImage};
use vsl_core::error::ErrorKind;
use vsl_core::export::{export_mp4, ExportRequest};
use vsl_core::jobs::CancelToken;
use vsl_core::look::{store, Anchor, Look, WordHighlight};
use vsl_core::paths::Dirs;
use vsl_core::render::{
    draw_progress, render_deck, RenderSize, Renderer, Rgb, SlideCache, SlideStyle,
};
use vsl_core::slides::{SlideDeck, SlidePreset, SlidesConfig};
use vsl_core::transcribe::Transcript;

fn fonts_dir() -> PathBuf {
    crate::common::crate_dir().join("tests/fixtures/fonts")
}

fn renderer() -> &'static Renderer {
    static RENDERER: std::sync::OnceLock<Renderer> = std::sync::OnceLock::new();
    RENDERER.get_or_init(Renderer::new)
}

/// A logo: an orange square with a transparent border, 64x64.
fn write_logo(path: &Path) {
    let mut logo = RgbaImage::from_pixel(64, 64, Rgba([0, 0, 0, 0]));
    for y in 8..56 {
        for x in 8..56 {
            logo.put_pixel(x, y, Rgba([0xFF, 0x66, 0x00, 0xFF]));
        }
    }
    logo.save(path).expect("write logo");
}

/// A background photo stand-in: a blue-to-green gradient, 320x200 (so it must be scaled).
fn write_background(path: &Path) {
    let image = RgbImage::from_fn(320, 200, |x, y| {
        Pixel([20, (x * 255 / 319) as u8, (255 - y * 255 / 199) as u8])
    });
    image.save(path).expect("write background");
}

/// A look folder with `look.toml` text and the Lato fonts, logo and background copied in.
fn look_dir(root: &Path, name: &str, toml: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).expect("look dir");
    for font in ["Lato-Regular.ttf", "Lato-Black.ttf"] {
        std::fs::copy(fonts_dir().join(font), dir.join(font)).expect("copy font");
    }
    write_logo(&dir.join("logo.png"));
    write_background(&dir.join("bg.png"));
    std::fs::write(dir.join("look.toml"), toml).expect("write look.toml");
    dir
}

const BRAND: &str = r##"
name = "Minha marca"
[font]
regular = "Lato-Regular.ttf"
bold = "Lato-Black.ttf"
[colors]
background = "#101820"
text = "#FFFFFF"
highlight = "#FFC233"
"##;

/// A logo top right, a green bar, the spoken word in coral: what the MP4 tests look for.
const LOGO_BAR_ACTIVE: &str =
    "[logo]\nimage = \"logo.png\"\nposition = \"top-right\"\nwidth = 0.1\n\
     [progress]\ncolor = \"#00FF88\"\nheight = 0.02\n\
     [words]\nhighlight = \"active\"\nactive_color = \"#FF3355\"\n";

fn style(look: &Look, size: RenderSize) -> SlideStyle {
    SlideStyle::of_look(look, size, 3)
}

fn count(image: &RgbImage, color: Rgb) -> usize {
    image.pixels().filter(|pixel| pixel.0 == color.0).count()
}

/// Pixels within `tolerance` of `color` inside a box.
fn count_in(
    image: &RgbImage,
    (x, y, w, h): (u32, u32, u32, u32),
    color: [u8; 3],
    tolerance: u8,
) -> usize {
    let mut found = 0;
    for py in y..(y + h).min(image.height()) {
        for px in x..(x + w).min(image.width()) {
            let pixel = image.get_pixel(px, py).0;
            if pixel
                .iter()
                .zip(color)
                .all(|(a, b)| a.abs_diff(b) <= tolerance)
            {
                found += 1;
            }
        }
    }
    found
}

#[test]
fn a_look_file_loads_with_its_fonts_and_falls_back_to_classic_for_the_rest() {
    let root = tempfile::tempdir().expect("temp");
    let dir = look_dir(root.path(), "brand", BRAND);
    let look = Look::load(&dir).expect("the look loads");
    assert_eq!(look.name, "Minha marca");
    assert_eq!(look.theme.highlight, Rgb([0xFF, 0xC2, 0x33]));
    let fonts = look.brand.fonts.as_ref().expect("fonts");
    assert_eq!(fonts.regular.family, "Lato");
    assert!(
        fonts.highlight().weight > fonts.regular.weight,
        "bold is heavier"
    );
    assert!(look.brand.logo.is_none() && look.brand.progress.is_none());
    assert_eq!(look.brand.words, WordHighlight::Keywords);

    let empty = look_dir(root.path(), "empty", "");
    let plain = Look::load(&empty).expect("an empty look is the classic look");
    assert_eq!(
        plain.theme.background,
        vsl_core::look::Theme::classic().background
    );
    assert!(plain.brand.fonts.is_none());
}

#[test]
fn brand_fonts_draw_the_slide_and_inter_fills_in_missing_glyphs() {
    let root = tempfile::tempdir().expect("temp");
    let look = Look::load(&look_dir(root.path(), "brand", BRAND)).expect("look");
    let classic = Look::plain(vsl_core::look::Theme::classic());
    let size = RenderSize::new(640, 360);
    let text = "Assista até o *final*";
    let (branded, _) = renderer().render_word(text, &[], &style(&look, size), None);
    let (inter, _) = renderer().render_word(text, &[], &style(&classic, size), None);
    assert!(
        count(&branded, look.theme.highlight) > 100,
        "highlight in the brand colour"
    );
    // Another font draws other pixels: the two renders differ in the text's shape.
    let mut recoloured = branded.clone();
    for pixel in recoloured.pixels_mut() {
        pixel.0 = if pixel.0 == look.theme.background.0 {
            [255; 3]
        } else {
            [0; 3]
        };
    }
    let ink = |image: &RgbImage, background: [u8; 3]| -> Vec<bool> {
        image.pixels().map(|pixel| pixel.0 != background).collect()
    };
    let a = ink(&branded, look.theme.background.0);
    let b = ink(&inter, classic.theme.background.0);
    let differing = a.iter().zip(&b).filter(|(x, y)| x != y).count();
    assert!(
        differing > 500,
        "Lato and Inter draw differently ({differing} pixels)"
    );
    crate::render::check_golden("look-brand-font", &branded);

    // U+203B is in Inter, not in Lato: it is drawn (by the fallback), not left blank.
    let (symbol, _) = renderer().render_word("\u{203B}", &[], &style(&look, size), None);
    let inked = symbol
        .pixels()
        .filter(|p| p.0 != look.theme.background.0)
        .count();
    assert!(inked > 200, "the fallback drew the symbol ({inked} pixels)");
}

#[test]
fn a_logo_sits_in_each_corner_and_the_text_keeps_clear_of_it() {
    let root = tempfile::tempdir().expect("temp");
    let size = RenderSize::new(640, 360);
    for anchor in [
        Anchor::TopLeft,
        Anchor::TopRight,
        Anchor::BottomLeft,
        Anchor::BottomRight,
    ] {
        let toml = format!(
            "{BRAND}[logo]\nimage = \"logo.png\"\nposition = \"{}\"\nwidth = 0.15\nmargin = 0.03\n",
            anchor.name()
        );
        let look = Look::load(&look_dir(root.path(), anchor.name(), &toml)).expect("look");
        let logo = look.brand.logo.as_ref().expect("logo");
        let (x, y, w, h) = logo.placement(size.width, size.height);
        assert_eq!((w, h), (96, 96));
        let (image, layout) = renderer().render_word(
            "And so my fellow Americans, ask not what your country can do for you",
            &[],
            &style(&look, size),
            None,
        );
        // The logo's orange fills the middle of its box.
        let inner = (x + w / 4, y + h / 4, w / 2, h / 2);
        assert_eq!(
            count_in(&image, inner, [0xFF, 0x66, 0x00], 2),
            (w / 2 * h / 2) as usize,
            "{anchor:?}"
        );
        // No text pixel (white) inside the logo's row band.
        let band = if y == 0 || y < size.height / 2 {
            (0, 0, size.width, y + h)
        } else {
            (0, y, size.width, size.height - y)
        };
        assert_eq!(
            count_in(&image, band, [0xFF, 0xFF, 0xFF], 60),
            0,
            "{anchor:?}: text in the logo's band"
        );
        assert!(layout.fits);
        crate::render::check_golden(&format!("look-logo-{}", anchor.name()), &image);
    }
}

#[test]
fn a_background_image_covers_the_slide_under_its_dim() {
    let root = tempfile::tempdir().expect("temp");
    let toml = format!("{BRAND}[background]\nimage = \"bg.png\"\ndim = 0.5\n");
    let look = Look::load(&look_dir(root.path(), "bg", &toml)).expect("look");
    let size = RenderSize::new(640, 360);
    let (image, _) = renderer().render_word("Garanta o seu", &[], &style(&look, size), None);
    // Corners: the gradient at half brightness (green rises left to right, blue falls
    // top to bottom), not the flat background colour.
    let top_left = image.get_pixel(2, 2).0;
    let bottom_right = image.get_pixel(637, 357).0;
    assert!(top_left[2] > 100 && top_left[2] < 140, "{top_left:?}");
    assert!(
        bottom_right[1] > 100 && bottom_right[1] < 140,
        "{bottom_right:?}"
    );
    assert!(bottom_right[2] < 20, "{bottom_right:?}");
    crate::render::check_golden("look-background-dim", &image);
}

#[test]
fn the_progress_bar_fills_its_share_and_the_text_keeps_clear_of_its_band() {
    let root = tempfile::tempdir().expect("temp");
    let toml =
        format!("{BRAND}[progress]\ncolor = \"#00FF88\"\nposition = \"bottom\"\nheight = 0.02\n");
    let look = Look::load(&look_dir(root.path(), "bar", &toml)).expect("look");
    let bar = look.brand.progress.expect("bar");
    let size = RenderSize::new(640, 360);
    for (fraction, name) in [(0.25, "look-progress-25"), (0.75, "look-progress-75")] {
        let (mut image, _) =
            renderer().render_word("Oferta por tempo limitado", &[], &style(&look, size), None);
        draw_progress(&mut image, &bar, fraction);
        let (top, rows) = bar.rows(size.height);
        assert_eq!((top, rows), (352, 8));
        let filled = count_in(&image, (0, top, size.width, rows), [0x00, 0xFF, 0x88], 0);
        assert_eq!(
            filled,
            (fraction * 640.0) as usize * rows as usize,
            "{name}"
        );
        crate::render::check_golden(name, &image);
    }
}

#[test]
fn the_active_word_is_drawn_in_its_colour_without_moving_the_text() {
    let root = tempfile::tempdir().expect("temp");
    let toml = format!("{BRAND}[words]\nhighlight = \"active\"\nactive_color = \"#FF3355\"\n");
    let look = Look::load(&look_dir(root.path(), "active", &toml)).expect("look");
    let size = RenderSize::new(640, 360);
    let active = Rgb([0xFF, 0x33, 0x55]);
    let text = "ask not what your country can do";
    let style = style(&look, size);
    let (none, _) = renderer().render_word(text, &[], &style, None);
    let (third, _) = renderer().render_word(text, &[], &style, Some(2));
    let (fourth, _) = renderer().render_word(text, &[], &style, Some(3));
    assert_eq!(count(&none, active), 0);
    assert!(
        count(&third, active) > 50,
        "the third word is in the active colour"
    );
    // Same text, same place: only the active word's pixels change colour.
    let ink = |image: &RgbImage| {
        image
            .pixels()
            .map(|p| p.0 != look.theme.background.0)
            .collect::<Vec<_>>()
    };
    assert_eq!(ink(&none), ink(&third), "the layout does not move");
    let centre = |image: &RgbImage| {
        let (mut sum, mut n) = (0u64, 0u64);
        for (x, _, pixel) in image.enumerate_pixels() {
            if pixel.0 == active.0 {
                sum += u64::from(x);
                n += 1;
            }
        }
        sum / n.max(1)
    };
    assert!(
        centre(&fourth) > centre(&third),
        "the active colour moves on to the next word"
    );
    crate::render::check_golden("look-active-word", &third);
}

#[test]
fn bad_looks_are_refused_by_name_and_never_replaced_by_the_default() {
    let root = tempfile::tempdir().expect("temp");
    let check = |name: &str, toml: &str, kind: ErrorKind, names: &str| {
        let dir = look_dir(root.path(), name, toml);
        let error = Look::load(&dir).expect_err(name);
        assert_eq!(error.kind(), kind, "{name}: {error}");
        assert!(
            error.to_string().contains(names),
            "{name}: {error} should name {names}"
        );
    };
    // Random bytes named .ttf.
    let dir = root.path().join("junk-font");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("Brand.ttf"),
        (0..4096u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<u8>>(),
    )
    .expect("junk");
    std::fs::write(dir.join("look.toml"), "[font]\nregular = \"Brand.ttf\"\n").expect("toml");
    let error = Look::load(&dir).expect_err("junk font");
    assert_eq!(error.kind(), ErrorKind::InvalidFont, "{error}");
    assert!(error.to_string().contains("Brand.ttf"), "{error}");
    // A logo that is not an image.
    let dir = root.path().join("junk-logo");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("logo.png"), b"this is not a picture").expect("junk");
    std::fs::write(dir.join("look.toml"), "[logo]\nimage = \"logo.png\"\n").expect("toml");
    let error = Look::load(&dir).expect_err("junk logo");
    assert_eq!(error.kind(), ErrorKind::InvalidImage, "{error}");
    assert!(error.to_string().contains("logo.png"), "{error}");
    check(
        "position",
        "[logo]\nimage = \"logo.png\"\nposition = \"middle\"\n",
        ErrorKind::InvalidLook,
        "middle",
    );
    check(
        "colour",
        "[colors]\ntext = \"#GG0000\"\n",
        ErrorKind::InvalidLook,
        "#GG0000",
    );
    check(
        "unknown-key",
        "[colors]\ntxt = \"#FFFFFF\"\n",
        ErrorKind::InvalidLook,
        "txt",
    );
    check(
        "dim",
        "[background]\nimage = \"bg.png\"\ndim = 2.0\n",
        ErrorKind::InvalidLook,
        "dim",
    );
    check(
        "missing-font",
        "[font]\nregular = \"Gone.ttf\"\n",
        ErrorKind::NotFound,
        "Gone.ttf",
    );
    // A folder without look.toml.
    let bare = root.path().join("bare");
    std::fs::create_dir_all(&bare).expect("dir");
    let error = Look::load(&bare).expect_err("no look.toml");
    assert_eq!(error.kind(), ErrorKind::InvalidLook);
    assert!(error.to_string().contains("look.toml"), "{error}");
    // A job naming a broken saved look fails; it does not fall back to classic.
    let dirs = Dirs::under(&root.path().join("home"));
    std::fs::create_dir_all(dirs.looks_dir().join("broken")).expect("dir");
    std::fs::write(
        dirs.looks_dir().join("broken/look.toml"),
        "[colors]\ntext = 3\n",
    )
    .expect("toml");
    let spec = vsl_core::job::JobSpec {
        theme: "broken".into(),
        ..Default::default()
    };
    let error = spec.resolve(&dirs).expect_err("a broken look is an error");
    assert_eq!(error.kind(), ErrorKind::InvalidLook, "{error}");
    let unknown = vsl_core::job::JobSpec {
        theme: "nowhere".into(),
        ..Default::default()
    };
    assert_eq!(
        unknown.resolve(&dirs).expect_err("unknown").kind(),
        ErrorKind::UnknownTheme
    );
}

#[test]
fn an_imported_look_survives_its_originals_and_exports_back() {
    let root = tempfile::tempdir().expect("temp");
    let dirs = Dirs::under(&root.path().join("home"));
    let toml = format!("{BRAND}[logo]\nimage = \"logo.png\"\nposition = \"top-left\"\n");
    let source = look_dir(root.path(), "source", &toml);
    let id = store::import(&dirs, &source, None, false).expect("import");
    assert_eq!(id, "minha-marca");
    std::fs::remove_dir_all(&source).expect("remove the originals");
    let config = SlidesConfig::default();
    let look = store::resolve(&id, &dirs, &config).expect("the saved look loads");
    assert!(look.brand.fonts.is_some() && look.brand.logo.is_some());
    let listed = store::list(&dirs, &config);
    let ids: Vec<&str> = listed.iter().map(|entry| entry.id.as_str()).collect();
    assert_eq!(ids, ["classic", "dark", "minha-marca"]);
    assert!(listed[2].error.is_none());
    // A second import of the same name is refused unless replaced.
    let again = look_dir(root.path(), "again", &toml);
    assert_eq!(
        store::import(&dirs, &again, None, false)
            .expect_err("exists")
            .kind(),
        ErrorKind::Exists
    );
    store::import(&dirs, &again, None, true).expect("replace");
    // A look that does not load is not imported at all.
    let bad = look_dir(root.path(), "bad", "[logo]\nimage = \"none.png\"\n");
    store::import(&dirs, &bad, Some("bad"), false).expect_err("bad look");
    assert!(!dirs.looks_dir().join("bad").exists());
    // Export writes a folder that imports back; built-in looks export as their colours.
    let out = root.path().join("out");
    let exported = store::export(&dirs, &config, &id, &out).expect("export");
    assert!(exported.join("Lato-Regular.ttf").is_file() && exported.join("logo.png").is_file());
    Look::load(&exported).expect("the export loads");
    let dark = store::export(&dirs, &config, "dark", &out).expect("export dark");
    let dark = Look::load(&dark).expect("loads");
    assert_eq!(
        dark.theme.background,
        vsl_core::look::Theme::dark().background
    );
    store::delete(&dirs, &id).expect("delete");
    assert_eq!(store::list(&dirs, &config).len(), 2);
}

/// The JFK clip's transcript fixture (word times from a real transcription).
fn jfk_transcript() -> Transcript {
    serde_json::from_str(
        &std::fs::read_to_string(crate::common::fixture_text("jfk.json")).expect("fixture"),
    )
    .expect("transcript")
}

fn ffprobe_frames(path: &Path) -> Vec<f64> {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=pts_time",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.trim().trim_end_matches(',').parse().ok())
        .collect()
}

/// The RGB picture on screen at `time` (export.rs's, as an image).
fn frame_at(path: &Path, time: f64, width: u32, height: u32) -> RgbImage {
    let pixels = crate::export::frame_at(path, time, width, height);
    RgbImage::from_raw(width, height, pixels).expect("frame")
}

#[test]
fn the_mp4_shows_the_logo_a_growing_bar_and_the_spoken_word_moving() {
    let root = tempfile::tempdir().expect("temp");
    let toml = format!("{BRAND}{LOGO_BAR_ACTIVE}");
    let look = Look::load(&look_dir(root.path(), "full", &toml)).expect("look");
    let transcript = jfk_transcript();
    let size = RenderSize::new(640, 360);
    let style = style(&look, size);
    let preset = SlidePreset::for_aspect(vsl_core::slides::Aspect::Landscape);
    let mut deck = SlideDeck::build(&transcript, &preset, &style, &[]);
    let words: usize = deck.slides.iter().map(|slide| slide.words.len()).sum();
    assert_eq!(words, 22, "every word of the transcript is on a slide");
    let out_dir = root.path().join("deck");
    render_deck(
        renderer(),
        &mut deck,
        &style,
        &out_dir,
        &SlideCache::at(root.path().join("cache")),
        &|_, _| {},
        &CancelToken::new(),
    )
    .expect("render");
    assert!(deck
        .slides
        .iter()
        .flat_map(|s| &s.words)
        .all(|w| !w.image.is_empty()));
    assert!(
        deck.brand.progress.is_some(),
        "the deck carries the bar for the export"
    );
    // slides.json round-trips the words and the bar.
    let json = serde_json::to_string(&deck).expect("json");
    let back: SlideDeck = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, deck);

    let mp4 = root.path().join("out.mp4");
    let voice = crate::common::jfk_wav();
    let request = ExportRequest::new(&deck, &out_dir, &voice, &mp4);
    let outcome = export_mp4(&request, &mut |_| {}, &CancelToken::new()).expect("export");
    let frames = ffprobe_frames(&mp4);
    assert!(
        frames.len() >= words,
        "{} frames for {words} words",
        frames.len()
    );
    // The bar moves at least every half second.
    for pair in frames.windows(2) {
        assert!(
            pair[1] - pair[0] <= 0.5 + 1e-3,
            "a gap of {:.3} s",
            pair[1] - pair[0]
        );
    }
    assert_eq!(
        outcome.keyframes as usize,
        deck.slides.len(),
        "an IDR frame per slide, not per word"
    );

    let bar_rows = (352 - 1, 2); // a band inside the bar (rows 353..360), away from chroma edges
    let green = |image: &RgbImage| {
        count_in(
            image,
            (0, bar_rows.0 + 4, 640, bar_rows.1),
            [0x00, 0xFF, 0x88],
            40,
        ) / 2
    };
    let early = frame_at(&mp4, 2.0, 640, 360);
    let late = frame_at(&mp4, 8.0, 640, 360);
    let (early_bar, late_bar) = (green(&early), green(&late));
    assert!(
        late_bar > early_bar + 200,
        "the bar grows: {early_bar} then {late_bar} px"
    );
    // Logo at the top right, on both.
    let logo = look.brand.logo.as_ref().expect("logo").placement(640, 360);
    let inner = (
        logo.0 + logo.2 / 4,
        logo.1 + logo.3 / 4,
        logo.2 / 2,
        logo.3 / 2,
    );
    for frame in [&early, &late] {
        let orange = count_in(frame, inner, [0xFF, 0x66, 0x00], 40);
        assert!(
            orange * 10 >= (inner.2 * inner.3) as usize * 9,
            "the logo is there ({orange} px)"
        );
    }
    // The active word's colour moves between two words of one slide.
    let first = &deck.slides[0];
    let (a, b) = (&first.words[1], &first.words[2]);
    let centre = |image: &RgbImage| {
        let (mut sum, mut n) = (0u64, 0u64);
        for (x, y, pixel) in image.enumerate_pixels() {
            let p = pixel.0;
            if y < 340 && p[0] > 200 && p[1] < 110 && p[2] > 40 && p[2] < 130 {
                sum += u64::from(x);
                n += 1;
            }
        }
        assert!(n > 20, "the active colour is on screen");
        sum / n
    };
    let at_a = frame_at(&mp4, (a.start + a.end) / 2.0 + 0.02, 640, 360);
    let at_b = frame_at(&mp4, (b.start + b.end) / 2.0 + 0.02, 640, 360);
    assert_ne!(
        centre(&at_a),
        centre(&at_b),
        "the spoken word moves from '{}' to '{}'",
        a.text,
        b.text
    );
}

#[test]
fn ass_subtitles_carry_the_look_and_karaoke_tags_that_add_up_to_each_slide() {
    let root = tempfile::tempdir().expect("temp");
    let toml = format!("{BRAND}[words]\nhighlight = \"active\"\nactive_color = \"#FF3355\"\n");
    let look = Look::load(&look_dir(root.path(), "ass", &toml)).expect("look");
    let transcript = jfk_transcript();
    let style = style(&look, RenderSize::new(1280, 720));
    let preset = SlidePreset::for_aspect(vsl_core::slides::Aspect::Landscape);
    let deck = SlideDeck::build(&transcript, &preset, &style, &[]);
    let ass_style =
        vsl_core::export::AssStyle::of(&style, vsl_core::render::CaptionPosition::Bottom);
    let text = vsl_core::export::to_ass(&deck, &ass_style);
    assert!(
        text.contains("PlayResX: 1280") && text.contains("Style: Default,Lato,"),
        "{text}"
    );
    // Karaoke fills towards the active colour (&HAABBGGRR): #FF3355 is &H005533FF.
    assert!(text.contains("&H005533FF"), "{text}");
    let time = |t: &str| {
        let parts: Vec<f64> = t.split(':').map(|p| p.parse().expect("time")).collect();
        ((parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]) * 100.0).round() as i64
    };
    let events: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("Dialogue:"))
        .collect();
    assert_eq!(events.len(), deck.slides.len());
    for (event, slide) in events.iter().zip(&deck.slides) {
        let fields: Vec<&str> = event.splitn(10, ',').collect();
        let (start, end) = (time(fields[1]), time(fields[2]));
        assert_eq!(start, (slide.start * 100.0).round() as i64);
        let sum: i64 = fields[9]
            .split("{\\k")
            .skip(1)
            .map(|tag| {
                tag.split('}')
                    .next()
                    .expect("tag")
                    .parse::<i64>()
                    .expect("number")
            })
            .sum();
        assert_eq!(
            sum,
            end - start,
            "the \\k tags of '{}' add up to its duration",
            slide.text
        );
        assert!(
            fields[9].split("{\\k").count() > slide.words.len(),
            "a tag per word"
        );
    }
    // FFmpeg's ASS reader takes the file and finds every event.
    let path = root.path().join("jfk.ass");
    std::fs::write(&path, &text).expect("write");
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0",
        ])
        .arg(&path)
        .output()
        .expect("ffprobe");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let packets = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    assert_eq!(packets, deck.slides.len());
}

/// Peak level (dBFS) of `path`'s audio between `from` and `to` seconds.
fn peak_db(path: &Path, from: f64, to: f64) -> f64 {
    let output = Command::new("ffmpeg")
        .args(["-v", "info", "-nostats", "-i"])
        .arg(path)
        .args([
            "-map",
            "0:a",
            "-af",
            &format!("atrim={from}:{to},volumedetect"),
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("ffmpeg");
    let text = String::from_utf8_lossy(&output.stderr);
    text.lines()
        .find_map(|line| line.split("max_volume:").nth(1))
        .map(|value| {
            value
                .trim()
                .trim_end_matches("dB")
                .trim()
                .parse()
                .unwrap_or(f64::NEG_INFINITY)
        })
        .unwrap_or(f64::NEG_INFINITY)
}

#[test]
fn intro_and_outro_cards_lengthen_the_video_and_shift_every_time() {
    let root = tempfile::tempdir().expect("temp");
    let toml = format!(
        "{BRAND}[intro]\ntext = \"Assista até o final\"\nduration = 3.0\n\
         [outro]\ntext = \"Clique no botão abaixo\"\nduration = 2.0\n"
    );
    let look = Look::load(&look_dir(root.path(), "cards", &toml)).expect("look");
    let transcript = jfk_transcript();
    let size = RenderSize::new(640, 360);
    let style = style(&look, size);
    let preset = SlidePreset::for_aspect(vsl_core::slides::Aspect::Landscape);
    let mut deck = SlideDeck::build(&transcript, &preset, &style, &[]);
    let out_dir = root.path().join("deck");
    render_deck(
        renderer(),
        &mut deck,
        &style,
        &out_dir,
        &SlideCache::at(root.path().join("cache")),
        &|_, _| {},
        &CancelToken::new(),
    )
    .expect("render");
    let intro = deck.brand.intro.clone().expect("intro card");
    assert!(
        out_dir.join(&intro.image).is_file(),
        "the intro card is drawn"
    );
    assert!(deck
        .brand
        .outro
        .as_ref()
        .is_some_and(|card| !card.image.is_empty()));
    // The deck keeps the voice's own times (the editor plays the voice); the export shifts.
    assert_eq!(deck.slides[0].start, 0.0);

    let voice = crate::common::jfk_wav();
    let formats = vsl_core::job::Formats::parse("mp4,srt,json,ass").expect("formats");
    let mut plan =
        vsl_core::export::ExportPlan::new(&deck, &out_dir, &voice, root.path(), "cards", &formats);
    plan.transcript = Some(&transcript);
    plan.ass = vsl_core::export::AssStyle::of(&style, vsl_core::render::CaptionPosition::Bottom);
    let written =
        vsl_core::export::export_deck(&plan, &mut |_| {}, &CancelToken::new()).expect("export");
    let mp4 = written.mp4.as_ref().expect("mp4");
    let voice_seconds = 11.0;
    assert!(
        (mp4.duration - (voice_seconds + 5.0)).abs() < 0.1,
        "3 s + voice + 2 s, got {}",
        mp4.duration
    );
    // Silence under the intro; the voice after it.
    let mp4_path = root.path().join("cards.mp4");
    assert!(peak_db(&mp4_path, 0.0, 2.9) < -60.0, "the intro is silent");
    assert!(
        peak_db(&mp4_path, 3.0, 6.0) > -30.0,
        "the voice starts after the intro"
    );
    // The first slide comes 3 s in; before it, the intro card is on screen.
    let first_key = ffprobe_frames(&mp4_path);
    assert!(
        first_key.iter().any(|t| (t - 3.0).abs() < 0.001),
        "a picture at 3.0 s: {first_key:?}"
    );
    let card = image::open(out_dir.join(&intro.image))
        .expect("card")
        .to_rgb8();
    let shown = frame_at(&mp4_path, 1.5, 640, 360);
    let close = card
        .pixels()
        .zip(shown.pixels())
        .filter(|(a, b)| a.0.iter().zip(b.0).all(|(x, y)| x.abs_diff(y) < 40))
        .count();
    assert!(
        close * 100 >= 640 * 360 * 97,
        "the intro card is shown ({close} pixels match)"
    );
    // Subtitles and JSON move with the video.
    let srt = std::fs::read_to_string(root.path().join("cards.srt")).expect("srt");
    assert!(srt.contains("00:00:03,000 --> "), "{srt}");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.path().join("cards.json")).expect("json"),
    )
    .expect("parse");
    assert_eq!(json["slides"]["slides"][0]["start"].as_f64(), Some(3.0));
    let first_word = json["transcript"]["segments"][0]["words"][0]["start"]
        .as_f64()
        .expect("word");
    assert!((first_word - (transcript.segments[0].words[0].start + 3.0)).abs() < 1e-9);
    let ass = std::fs::read_to_string(root.path().join("cards.ass")).expect("ass");
    assert!(ass.contains("Dialogue: 0,0:00:03.00,"), "{ass}");
}

#[test]
fn captions_over_the_video_carry_the_looks_logo_bar_and_spoken_word() {
    let root = tempfile::tempdir().expect("temp");
    let toml = format!("{BRAND}{LOGO_BAR_ACTIVE}");
    let look = Look::load(&look_dir(root.path(), "captions", &toml)).expect("look");
    let transcript = jfk_transcript();
    let preset = SlidePreset::for_aspect(vsl_core::slides::Aspect::Landscape);
    let deck = SlideDeck::build(&transcript, &preset, &style(&look, RenderSize::HD), &[]);
    let source = crate::overvideo::landscape();
    let formats = vsl_core::job::Formats::parse("mp4").expect("formats");
    let mut plan = vsl_core::export::ExportPlan::new(
        &deck,
        root.path(),
        &source,
        root.path(),
        "branded",
        &formats,
    );
    plan.captions = Some(vsl_core::render::CaptionStyle {
        theme: look.theme.clone(),
        brand: look.brand.clone(),
        position: vsl_core::render::CaptionPosition::Bottom,
        max_lines: 3,
    });
    vsl_core::export::export_deck(&plan, &mut |_| {}, &CancelToken::new()).expect("export");
    let mp4 = root.path().join("branded.mp4");
    let (w, h) = (1280, 720);
    let early = frame_at(&mp4, 2.0, w, h);
    let late = frame_at(&mp4, 8.0, w, h);
    // The bar along the bottom grows.
    let bar = |image: &RgbImage| count_in(image, (0, h - 8, w, 4), [0x00, 0xFF, 0x88], 40) / 4;
    assert!(
        bar(&late) > bar(&early) + 300,
        "the bar grows: {} then {} px",
        bar(&early),
        bar(&late)
    );
    // The logo sits top right on every frame.
    let logo = look.brand.logo.as_ref().expect("logo").placement(w, h);
    let inner = (
        logo.0 + logo.2 / 4,
        logo.1 + logo.3 / 4,
        logo.2 / 2,
        logo.3 / 2,
    );
    for frame in [&early, &late] {
        let orange = count_in(frame, inner, [0xFF, 0x66, 0x00], 40);
        assert!(
            orange * 10 >= (inner.2 * inner.3) as usize * 9,
            "the logo is there ({orange} px)"
        );
    }
    // The spoken word's colour moves along the caption between two words: its pixels are
    // counted inside the caption band only (the test pattern has colours of its own).
    let (band_x, band_y, band_w, band_h) =
        vsl_core::render::caption_band(RenderSize::HD, vsl_core::render::CaptionPosition::Bottom);
    let centre = |image: &RgbImage| {
        let (mut sum, mut n) = (0u64, 0u64);
        for (x, y, pixel) in image.enumerate_pixels() {
            // The caption's middle half: the pattern's red stripe is at the left edge.
            let inside = (band_x + band_w / 4..band_x + band_w * 3 / 4).contains(&x)
                && (band_y..band_y + band_h).contains(&y);
            if inside
                && pixel
                    .0
                    .iter()
                    .zip([0xFF, 0x33, 0x55])
                    .all(|(a, b)| a.abs_diff(b) < 40)
            {
                sum += u64::from(x);
                n += 1;
            }
        }
        assert!(n > 20, "the active colour is on screen ({n} px)");
        sum / n
    };
    let first = &deck.slides[0];
    let (a, b) = (&first.words[1], &first.words[3]);
    let at_a = frame_at(&mp4, a.start + 0.06, w, h);
    let at_b = frame_at(&mp4, b.start + 0.06, w, h);
    let (ca, cb) = (centre(&at_a), centre(&at_b));
    assert!(
        cb > ca,
        "the spoken word moves from '{}' ({ca}) to '{}' ({cb})",
        a.text,
        b.text
    );
}
