//! The Looks sheet and a job's look through the app's commands, on the mock runtime with the
//! real pipeline (tiny.en, jfk.wav): a look saved with a picked logo is copied into its
//! folder, previews draw it, a junk logo is refused by name with nothing saved, and giving a
//! finished job the look draws its slides again with the logo (Undo takes it back).

// Fixtures are written directly; only product code must go through vsl_core::fs.
#![allow(clippy::disallowed_methods)]

use std::path::Path;

mod common;

use common::{app_with_window, invoke, run_job};
use image::{Rgba, RgbaImage};
use serde_json::{json, Value};

const ORANGE: [u8; 3] = [0xFF, 0x66, 0x00];

fn write_logo(path: &Path) {
    RgbaImage::from_pixel(64, 64, Rgba([ORANGE[0], ORANGE[1], ORANGE[2], 255]))
        .save(path)
        .expect("write logo");
}

/// Pixels close to orange in the bottom-left quarter of the PNG at `path`.
fn orange_bottom_left(path: &Path) -> usize {
    let image = image::open(path).expect("a PNG").to_rgb8();
    let (w, h) = image.dimensions();
    image
        .enumerate_pixels()
        .filter(|(x, y, pixel)| {
            *x < w / 4
                && *y > h * 3 / 4
                && pixel.0.iter().zip(ORANGE).all(|(a, b)| a.abs_diff(b) < 8)
        })
        .count()
}

fn ids(looks: &Value) -> Vec<String> {
    looks
        .as_array()
        .expect("a list")
        .iter()
        .map(|look| look["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_look_is_saved_with_its_logo_previewed_and_given_to_a_job() {
    let test = app_with_window("main");
    let window = &test.window;
    let assets = tempfile::tempdir().expect("temp");
    let logo = assets.path().join("brand logo.png");
    write_logo(&logo);
    assert_eq!(
        ids(&invoke(window, "list_looks", json!({})).expect("list")),
        ["classic", "dark"]
    );

    // A logo that is not an image is refused naming it, and nothing is saved.
    let junk = assets.path().join("junk.png");
    std::fs::write(&junk, b"not a picture").expect("junk");
    let look = |image: &Path| {
        json!({
            "name": "Minha marca",
            "colors": { "background": "#101820", "text": "#FFFFFF", "highlight": "#FFC233" },
            "logo": { "image": image, "position": "bottom-left", "width": 0.15 },
        })
    };
    let refused = invoke(
        window,
        "save_look",
        json!({ "request": { "look": look(&junk) } }),
    )
    .expect_err("a junk logo");
    assert_eq!(refused["kind"], json!("invalid_image"), "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("junk.png"),
        "{refused}"
    );
    assert_eq!(
        ids(&invoke(window, "list_looks", json!({})).expect("list")).len(),
        2
    );

    let id = invoke(
        window,
        "save_look",
        json!({ "request": { "look": look(&logo) } }),
    )
    .expect("saved");
    assert_eq!(id, json!("minha-marca"));
    let folder = test.dirs.looks_dir().join("minha-marca");
    assert!(
        folder.join("brand logo.png").is_file(),
        "the logo is copied into the look"
    );
    std::fs::remove_file(&logo).expect("the original can go");
    let draft = invoke(window, "get_look", json!({ "id": "minha-marca" })).expect("get");
    assert_eq!(draft["saved"], json!(true));
    assert_eq!(draft["look"]["logo"]["image"], json!("brand logo.png"));

    // The preview draws the draft (its logo from the saved folder) on a slide's text.
    let preview = invoke(
        window,
        "preview_look",
        json!({ "request": { "look": draft["look"], "from": "minha-marca", "text": "Ask *not*" } }),
    )
    .expect("preview");
    let preview = Path::new(preview.as_str().expect("a path"));
    assert!(
        orange_bottom_left(preview) > 1000,
        "the preview shows the logo"
    );

    // A finished job takes the look: its slides are drawn again with the logo; Undo takes it back.
    let (job, view) = run_job(window, None);
    let job_id = job["id"].as_str().expect("id");
    assert_eq!(view["deck"]["theme"], json!("classic"));
    // The player's copy of the voice: a small Opus file in the cache, the same on a second ask.
    let answer = invoke(window, "preview_audio", json!({ "id": job_id })).expect("preview");
    let preview = Path::new(answer["path"].as_str().expect("a path")).to_path_buf();
    assert_eq!(preview.extension().expect("extension"), "ogg");
    assert!(preview
        .components()
        .any(|part| part.as_os_str() == "previews"));
    let input = Path::new(job["input"].as_str().expect("input"));
    let (made, source) = (
        std::fs::metadata(&preview).expect("made").len(),
        std::fs::metadata(input).expect("input").len(),
    );
    assert!(made * 4 < source, "{made} of {source} bytes");
    // The player streams it from the loopback media server, with byte ranges for seeking.
    let url = answer["url"].as_str().expect("a media server URL");
    let bytes = std::fs::read(&preview).expect("read the preview");
    assert_eq!(http_range(url, 16..1040), bytes[16..1040]);
    let again = invoke(window, "preview_audio", json!({ "id": job_id })).expect("again");
    assert_eq!(again, answer, "the same file and URL");
    let unknown = invoke(window, "preview_audio", json!({ "id": "nope" })).expect_err("unknown");
    assert_eq!(unknown["kind"], json!("not_found"), "{unknown}");
    let first_image = |view: &Value| {
        Path::new(view["slidesDir"].as_str().expect("dir"))
            .join(view["deck"]["slides"][0]["image"].as_str().expect("image"))
    };
    assert_eq!(orange_bottom_left(&first_image(&view)), 0);
    let branded = invoke(
        window,
        "set_job_look",
        json!({ "id": job_id, "look": "minha-marca" }),
    )
    .expect("set look");
    assert_eq!(branded["deck"]["theme"], json!("minha-marca"));
    assert_eq!(branded["deck"]["slides"], {
        // Same slides, same times: only the pictures changed.
        let mut slides = view["deck"]["slides"].clone();
        for (slide, new) in slides
            .as_array_mut()
            .expect("slides")
            .iter_mut()
            .zip(branded["deck"]["slides"].as_array().expect("slides"))
        {
            slide["image"] = new["image"].clone();
        }
        slides
    });
    assert!(
        orange_bottom_left(&first_image(&branded)) > 1000,
        "the slides carry the logo"
    );
    let undone = invoke(
        window,
        "step_history",
        json!({ "id": job_id, "step": "undo" }),
    )
    .expect("undo");
    assert_eq!(undone["deck"]["theme"], json!("classic"));
    assert_eq!(orange_bottom_left(&first_image(&undone)), 0);

    // An unknown look is refused; the job keeps its own.
    let unknown = invoke(
        window,
        "set_job_look",
        json!({ "id": job_id, "look": "nowhere" }),
    )
    .expect_err("unknown");
    assert_eq!(unknown["kind"], json!("unknown_theme"), "{unknown}");

    invoke(window, "delete_look", json!({ "id": "minha-marca" })).expect("delete");
    assert_eq!(
        ids(&invoke(window, "list_looks", json!({})).expect("list")).len(),
        2
    );
}

/// Bytes `range` of what `url` (the app's loopback media server) serves, by a plain HTTP/1.1
/// range request.
fn http_range(url: &str, range: std::ops::Range<usize>) -> Vec<u8> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_once('/').expect("a path");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nRange: bytes={}-{}\r\n\r\n",
        range.start,
        range.end - 1
    )
    .expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read");
    let split = answer
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&answer[..split]);
    assert!(head.starts_with("HTTP/1.1 206"), "{head}");
    answer[split + 4..].to_vec()
}
