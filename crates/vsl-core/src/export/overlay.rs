//! Captions over the source video: the input's own picture, size and frame rate, with each
//! slide's text blended on as a caption, H.264 at the request's CRF, and the audio as a
//! slides export has it (copied, or the [`super::Soundtrack`] mix).
//!
//! Three threads work at once: one demuxes and decodes the video (FFmpeg's frame threads
//! under it), one blends the captions, and the calling thread runs x264 and the muxer; the
//! audio has its own thread as for slides. A caption is rendered once per slide and turned
//! into premultiplied Y'CbCr planes, so a frame costs one blend over the caption's box and
//! nothing elsewhere: the picture outside it is the decoder's, unchanged.
//!
//! Blending is written here rather than with libavfilter's `overlay`: the filter would need a
//! second source fed with a new picture at every slide change and converts its input to the
//! blend format each frame; this loop touches only the caption's pixels.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

use ffmpeg::format::Pixel;
use ffmpeg::util::frame;
use ffmpeg::{codec, Rational};
use ffmpeg_next as ffmpeg;

use super::atomic::{check_target, AtomicFile};
use super::audio::{set_global_header, AudioMessage, AudioSource};
use super::mp4::{verify, video_failure};
use super::{ExportError, ExportOutcome, ExportProgress, ExportRequest};
use crate::media::MediaError;
use crate::render::{Caption, CaptionStyle, RenderSize, Renderer};
use crate::slides::SlideDeck;

/// Same preset as the slides export and as the ffmpeg command it is benchmarked against.
const X264_PRESET: &str = "veryfast";
/// Packets that may fail to decode before the first picture before the stream is judged
/// undecodable (a damaged start is skipped, as players do).
const MAX_LEADING_ERRORS: usize = 64;
/// Decoded and blended frames in flight between the threads (1080p: 3 MB each).
const QUEUE: usize = 4;
const PROGRESS_TICK: Duration = Duration::from_millis(100);

/// Refuses an input without a video stream to put captions over (an attached cover picture
/// is not one), or whose video does not decode, naming the file.
pub fn check_video(path: &Path) -> Result<(), ExportError> {
    // The first picture is enough: it proves the decoder and the stream agree.
    VideoSource::open(path)?.decode(&AtomicBool::new(false), &mut |_| false)
}

struct VideoSource {
    path: PathBuf,
    input: ffmpeg::format::context::Input,
    index: usize,
    decoder: ffmpeg::decoder::Video,
    time_base: Rational,
    /// Subtracted from every timestamp, as the audio's start is, so both start at 0.
    start: Option<i64>,
    frame_rate: Rational,
    frames_hint: u64,
}

impl VideoSource {
    fn open(path: &Path) -> Result<VideoSource, ExportError> {
        crate::media::init_ffmpeg();
        if !path.is_file() {
            return Err(MediaError::NotFound {
                path: path.to_path_buf(),
            }
            .into());
        }
        let input = ffmpeg::format::input(&path).map_err(crate::media::unreadable(path))?;
        let no_video = || ExportError::NoVideo {
            path: path.to_path_buf(),
        };
        // The same stream the app's Picture menu judged by (`media::has_video`).
        let stream = crate::media::video_stream(&input)
            .and_then(|index| input.stream(index))
            .ok_or_else(no_video)?;
        let index = stream.index();
        let time_base = stream.time_base();
        let frame_rate = [stream.avg_frame_rate(), stream.rate()]
            .into_iter()
            .find(|rate| rate.numerator() > 0 && rate.denominator() > 0)
            .unwrap_or(Rational::new(25, 1));
        let start =
            (stream.start_time() != ffmpeg::ffi::AV_NOPTS_VALUE).then(|| stream.start_time());
        let seconds = if stream.duration() > 0 {
            stream.duration() as f64 * f64::from(time_base)
        } else {
            input.duration().max(0) as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE)
        };
        let frames_hint = if stream.frames() > 0 {
            stream.frames() as u64
        } else {
            (seconds * f64::from(frame_rate)).round().max(1.0) as u64
        };
        let parameters = stream.parameters();
        let codec_id = parameters.id();
        let undecodable = |reason: String| ExportError::VideoDecode {
            path: path.to_path_buf(),
            reason,
        };
        let mut context = codec::context::Context::from_parameters(parameters)
            .map_err(|error| undecodable(error.to_string()))?;
        // Frame threads, one per core: decoding is the pipeline's other big cost after x264.
        context.set_threading(codec::threading::Config {
            kind: codec::threading::Type::Frame,
            count: 0,
            ..Default::default()
        });
        let decoder = context
            .decoder()
            .video()
            .map_err(|_| undecodable(format!("no decoder for {codec_id:?}").to_lowercase()))?;
        if decoder.width() < 2 || decoder.height() < 2 {
            return Err(undecodable("the picture has no size".into()));
        }
        Ok(VideoSource {
            path: path.to_path_buf(),
            input,
            index,
            decoder,
            time_base,
            start,
            frame_rate,
            frames_hint,
        })
    }

    /// The output's size: the source's, made even for 4:2:0.
    fn size(&self) -> (u32, u32) {
        (self.decoder.width() & !1, self.decoder.height() & !1)
    }

    /// Decodes every frame as YUV420P with its timestamp (from 0, in `time_base`) and hands
    /// it to `emit`, which returns false to stop. A stream that yields no picture is an error.
    fn decode(
        &mut self,
        cancel: &AtomicBool,
        emit: &mut dyn FnMut(frame::Video) -> bool,
    ) -> Result<(), ExportError> {
        let path = self.path.clone();
        let undecodable = |reason: String| ExportError::VideoDecode {
            path: path.clone(),
            reason,
        };
        let (width, height) = self.size();
        let mut scaler: Option<ffmpeg::software::scaling::Context> = None;
        let mut frames = 0u64;
        let mut errors = 0usize;
        let mut last_error = String::new();
        let mut last_pts: Option<i64> = None;
        let mut decoded = frame::Video::empty();
        let mut stopped = false;
        let Self {
            input,
            decoder,
            index,
            start,
            ..
        } = self;
        let mut receive =
            |decoder: &mut ffmpeg::decoder::Video, frames: &mut u64| -> Result<bool, ExportError> {
                while decoder.receive_frame(&mut decoded).is_ok() {
                    let timestamp = decoded.timestamp().or(decoded.pts());
                    let origin = *start.get_or_insert(timestamp.unwrap_or(0));
                    let mut pts = timestamp.map_or(0, |ts| ts - origin);
                    // Timestamps must grow for the encoder; a repeated or missing one follows on.
                    if let Some(last) = last_pts {
                        if pts <= last {
                            pts = last + 1;
                        }
                    }
                    last_pts = Some(pts);
                    let mut picture = if decoded.format() == Pixel::YUV420P
                        && (decoded.width(), decoded.height()) == (width, height)
                    {
                        std::mem::replace(&mut decoded, frame::Video::empty())
                    } else {
                        let context = match &mut scaler {
                            Some(context) => context,
                            None => scaler.insert(
                                ffmpeg::software::scaling::Context::get(
                                    decoded.format(),
                                    decoded.width(),
                                    decoded.height(),
                                    Pixel::YUV420P,
                                    width,
                                    height,
                                    ffmpeg::software::scaling::Flags::BILINEAR,
                                )
                                .map_err(|error| undecodable(error.to_string()))?,
                            ),
                        };
                        let mut converted = frame::Video::empty();
                        context
                            .run(&decoded, &mut converted)
                            .map_err(|error| undecodable(error.to_string()))?;
                        converted
                    };
                    picture.set_pts(Some(pts));
                    *frames += 1;
                    if !emit(picture) {
                        return Ok(false);
                    }
                }
                Ok(true)
            };
        for (stream, packet) in input.packets() {
            if stream.index() != *index {
                continue;
            }
            if cancel.load(Ordering::Relaxed) {
                return Err(ExportError::Cancelled);
            }
            if let Err(error) = decoder.send_packet(&packet) {
                errors += 1;
                last_error = error.to_string();
                if frames == 0 && errors > MAX_LEADING_ERRORS {
                    return Err(undecodable(last_error));
                }
                continue;
            }
            if !receive(decoder, &mut frames)? {
                stopped = true;
                break;
            }
        }
        if !stopped {
            // Draining after a failed stream is best effort; the count below decides.
            let _ = decoder.send_eof();
            receive(decoder, &mut frames)?;
        }
        if frames == 0 {
            return Err(undecodable(if last_error.is_empty() {
                "no picture decodes".into()
            } else {
                last_error
            }));
        }
        Ok(())
    }
}

/// A caption as premultiplied Y'CbCr: `out = (term + under * inverse) / 255` per sample.
struct Planes {
    x: usize,
    y: usize,
    width: usize,
    height: usize,
    luma: Vec<u16>,
    luma_inverse: Vec<u16>,
    cb: Vec<u16>,
    cr: Vec<u16>,
    chroma_inverse: Vec<u16>,
}

impl Planes {
    /// BT.709 limited range, as the slides export converts.
    fn from_caption(caption: &Caption) -> Planes {
        let (width, height) = (caption.width as usize, caption.height as usize);
        let rgba = &caption.rgba;
        let (kr, kb) = (0.2126f32, 0.0722f32);
        let kg = 1.0 - kr - kb;
        // Premultiplied colour and coverage (0-1) in, premultiplied limited-range sample out.
        let luma_of = |r: f32, g: f32, b: f32, a: f32| {
            16.0 * a + (219.0 / 255.0) * (kr * r + kg * g + kb * b)
        };
        let cb_of = |r: f32, g: f32, b: f32, a: f32| {
            128.0 * a + (224.0 / 255.0) * (b - (kr * r + kg * g + kb * b)) / (2.0 * (1.0 - kb))
        };
        let cr_of = |r: f32, g: f32, b: f32, a: f32| {
            128.0 * a + (224.0 / 255.0) * (r - (kr * r + kg * g + kb * b)) / (2.0 * (1.0 - kr))
        };
        let pixel = |x: usize, y: usize| {
            let at = (y * width + x) * 4;
            [
                f32::from(rgba[at]),
                f32::from(rgba[at + 1]),
                f32::from(rgba[at + 2]),
                f32::from(rgba[at + 3]),
            ]
        };
        // out * 255 = premultiplied * 255 + under * (255 - a), + 127 to round.
        let term = |value: f32| ((value * 255.0).round().clamp(0.0, 65_025.0) as u16) + 127;
        let mut luma = Vec::with_capacity(width * height);
        let mut luma_inverse = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                let [r, g, b, a] = pixel(x, y);
                luma.push(term(luma_of(r, g, b, a / 255.0)));
                luma_inverse.push(255 - a as u16);
            }
        }
        let (chroma_width, chroma_height) = (width / 2, height / 2);
        let mut cb = Vec::with_capacity(chroma_width * chroma_height);
        let mut cr = Vec::with_capacity(chroma_width * chroma_height);
        let mut chroma_inverse = Vec::with_capacity(chroma_width * chroma_height);
        for cy in 0..chroma_height {
            for cx in 0..chroma_width {
                let mut sum = [0f32; 4];
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let p = pixel(cx * 2 + dx, cy * 2 + dy);
                    for (total, value) in sum.iter_mut().zip(p) {
                        *total += value / 4.0;
                    }
                }
                let [r, g, b, a] = sum;
                cb.push(term(cb_of(r, g, b, a / 255.0)));
                cr.push(term(cr_of(r, g, b, a / 255.0)));
                chroma_inverse.push(255 - a.round() as u16);
            }
        }
        Planes {
            x: caption.x as usize,
            y: caption.y as usize,
            width,
            height,
            luma,
            luma_inverse,
            cb,
            cr,
            chroma_inverse,
        }
    }

    /// Blends onto a YUV420P frame; only the caption's rows and columns are touched.
    fn blend(&self, frame: &mut frame::Video) {
        let (frame_width, frame_height) = (frame.width() as usize, frame.height() as usize);
        let width = self.width.min(frame_width.saturating_sub(self.x));
        let height = self.height.min(frame_height.saturating_sub(self.y));
        let planes = [
            (
                0,
                self.x,
                self.y,
                width,
                height,
                self.width,
                &self.luma,
                &self.luma_inverse,
            ),
            (
                1,
                self.x / 2,
                self.y / 2,
                width / 2,
                height / 2,
                self.width / 2,
                &self.cb,
                &self.chroma_inverse,
            ),
            (
                2,
                self.x / 2,
                self.y / 2,
                width / 2,
                height / 2,
                self.width / 2,
                &self.cr,
                &self.chroma_inverse,
            ),
        ];
        for (plane, x, y, width, height, row_length, terms, inverses) in planes {
            let stride = frame.stride(plane);
            let data = frame.data_mut(plane);
            for row in 0..height {
                let line = &mut data[(y + row) * stride + x..][..width];
                let terms = &terms[row * row_length..][..width];
                let inverses = &inverses[row * row_length..][..width];
                for ((sample, &term), &inverse) in line.iter_mut().zip(terms).zip(inverses) {
                    // term + under * inverse <= 255 * 255 + 127: fits u16. x / 255 for
                    // x < 65535 is (x + 1 + (x >> 8)) >> 8.
                    let value = term + u16::from(*sample) * inverse;
                    *sample = ((value + 1 + (value >> 8)) >> 8) as u8;
                }
            }
        }
    }
}

/// The slide on screen at `seconds`: the last one started by then, until the deck ends.
fn slide_at(deck: &SlideDeck, seconds: f64) -> Option<usize> {
    if seconds
        >= deck
            .duration
            .max(deck.slides.last().map_or(0.0, |slide| slide.end))
    {
        return None;
    }
    let shown = deck.slides.partition_point(|slide| slide.start <= seconds);
    shown.checked_sub(1)
}

/// The word being spoken on `slide` at `seconds`, when the look draws it: the last word
/// started by then (none before the first).
fn active_word(
    slide: &crate::slides::Slide,
    seconds: f64,
    brand: &crate::look::Brand,
) -> Option<usize> {
    if !brand.active_words() || !slide.words_match() {
        return None;
    }
    slide
        .words
        .partition_point(|word| word.start <= seconds)
        .checked_sub(1)
}

/// What the look lays over every frame besides the caption: its logo (scaled once for the
/// frame size) and its progress bar.
struct BrandLayer {
    logo: Option<Planes>,
    bar: Option<crate::look::ProgressBar>,
}

impl BrandLayer {
    fn new(brand: &crate::look::Brand, size: RenderSize) -> BrandLayer {
        let logo = brand.logo.as_ref().map(|logo| {
            let (x, y, w, h) = logo.placement(size.width, size.height);
            // Even box: the planes line up with 4:2:0 chroma.
            let (x, y, w, h) = (x & !1, y & !1, (w & !1).max(2), (h & !1).max(2));
            let scaled = image::imageops::resize(
                logo.image.as_ref(),
                w,
                h,
                image::imageops::FilterType::Triangle,
            );
            let mut rgba = scaled.into_raw();
            for pixel in rgba.chunks_exact_mut(4) {
                let alpha = (f32::from(pixel[3]) * logo.opacity).round() as u32;
                for channel in &mut pixel[..3] {
                    *channel = ((u32::from(*channel) * alpha + 127) / 255) as u8;
                }
                pixel[3] = alpha as u8;
            }
            Planes::from_caption(&Caption {
                x,
                y,
                width: w,
                height: h,
                rgba,
            })
        });
        BrandLayer {
            logo,
            bar: brand.progress,
        }
    }

    fn is_empty(&self) -> bool {
        self.logo.is_none() && self.bar.is_none()
    }

    /// Draws the logo, and the bar filled to `fraction` of the width.
    fn draw(&self, frame: &mut frame::Video, fraction: f64) {
        if let Some(logo) = &self.logo {
            logo.blend(frame);
        }
        if let Some(bar) = &self.bar {
            let (top, rows) = bar.rows(frame.height());
            let filled = crate::render::progress_width(frame.width(), fraction);
            super::yuv::fill_rect(
                bar.color.0,
                filled as usize,
                top as usize,
                rows as usize,
                frame,
            );
        }
    }
}

/// Blends each slide's caption onto the frames it covers, rendering it once per slide (and,
/// with the spoken-word look, once per word), with the look's logo and progress bar.
fn composite(
    frames: Receiver<frame::Video>,
    sender: SyncSender<frame::Video>,
    spares: Receiver<frame::Video>,
    deck: &SlideDeck,
    style: &CaptionStyle,
    (time_base, frame_rate): (Rational, Rational),
    cancel: &AtomicBool,
) -> Result<(), ExportError> {
    let renderer = Renderer::new();
    let mut current: Option<((usize, Option<usize>), Planes)> = None;
    let mut brand: Option<BrandLayer> = None;
    let total = deck
        .duration
        .max(deck.slides.last().map_or(0.0, |slide| slide.end))
        .max(f64::EPSILON);
    // A frame shows its slide when it is the frame nearest to the slide's start.
    let half_frame = 0.5 / f64::from(frame_rate).max(1.0);
    for mut frame in frames {
        if cancel.load(Ordering::Relaxed) {
            return Err(ExportError::Cancelled);
        }
        let seconds = frame.pts().unwrap_or(0) as f64 * f64::from(time_base);
        let size = RenderSize::new(frame.width(), frame.height());
        let layer = brand.get_or_insert_with(|| BrandLayer::new(&style.brand, size));
        // A slide with no words (a pause kept as a slide) shows the picture alone.
        let shown = slide_at(deck, seconds + half_frame)
            .filter(|&index| !deck.slides[index].text.trim().is_empty())
            .map(|index| {
                let word = active_word(&deck.slides[index], seconds + half_frame, &style.brand);
                (index, word)
            });
        if let Some(state) = shown {
            if current.as_ref().is_none_or(|(drawn, _)| *drawn != state) {
                let slide = &deck.slides[state.0];
                let caption = renderer.render_caption_word(
                    &slide.text,
                    &slide.highlights,
                    style,
                    size,
                    state.1,
                );
                current = Some((state, Planes::from_caption(&caption)));
            }
        }
        let caption = shown.and(current.as_ref().map(|(_, planes)| planes));
        if caption.is_some() || !layer.is_empty() {
            // The decoder may still reference this picture (H.264 reference frames), so
            // the caption goes onto a copy in a buffer of ours, recycled from the encoder:
            // a fresh 1080p buffer per frame cost about 4 % of the run in page faults. A
            // picture nothing else holds (a non-reference B-frame) is drawn on in place.
            // SAFETY: a valid frame; the call only reads its buffers' reference counts.
            let writable = unsafe { ffmpeg::ffi::av_frame_is_writable(frame.as_mut_ptr()) };
            if writable <= 0 {
                frame = own_copy(&frame, &spares)?;
            }
            layer.draw(&mut frame, seconds / total);
            if let Some(planes) = caption {
                planes.blend(&mut frame);
            }
        }
        if sender.send(frame).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// `frame`'s pixels and properties in a writable buffer: a spare the encoder is done with
/// when one fits, else a new one.
fn own_copy(
    frame: &frame::Video,
    spares: &Receiver<frame::Video>,
) -> Result<frame::Video, ExportError> {
    let fits = |spare: &frame::Video| {
        (spare.format(), spare.width(), spare.height())
            == (frame.format(), frame.width(), frame.height())
            // SAFETY: a valid frame; the call only reads its buffers' reference counts.
            && unsafe { ffmpeg::ffi::av_frame_is_writable(spare.as_ptr() as *mut _) } > 0
    };
    let mut copy = std::iter::from_fn(|| spares.try_recv().ok())
        .find(fits)
        .unwrap_or_else(|| frame::Video::new(frame.format(), frame.width(), frame.height()));
    // SAFETY: both frames are valid and allocated with the same format and size.
    let status = unsafe {
        let status = ffmpeg::ffi::av_frame_copy(copy.as_mut_ptr(), frame.as_ptr());
        if status < 0 {
            status
        } else {
            ffmpeg::ffi::av_frame_copy_props(copy.as_mut_ptr(), frame.as_ptr())
        }
    };
    if status < 0 {
        return Err(ExportError::Encoder {
            reason: format!(
                "cannot copy a decoded picture: {}",
                ffmpeg::Error::from(status)
            ),
        });
    }
    Ok(copy)
}

fn open_encoder(source: &VideoSource, crf: u8) -> Result<ffmpeg::encoder::Video, ExportError> {
    let codec = ffmpeg::encoder::find_by_name("libx264").ok_or_else(|| ExportError::Encoder {
        reason: "this FFmpeg was built without libx264".into(),
    })?;
    let encoder_error = |error: ffmpeg::Error| ExportError::Encoder {
        reason: format!("cannot open the H.264 encoder: {error}"),
    };
    let mut encoder = codec::context::Context::new_with_codec(codec)
        .encoder()
        .video()
        .map_err(encoder_error)?;
    let (width, height) = source.size();
    encoder.set_width(width);
    encoder.set_height(height);
    encoder.set_format(Pixel::YUV420P);
    encoder.set_time_base(source.time_base);
    encoder.set_frame_rate(Some(source.frame_rate));
    let aspect = source.decoder.aspect_ratio();
    if aspect.numerator() > 0 {
        encoder.set_aspect_ratio(aspect);
    }
    // The source's colour tags go through unchanged, as its pixels do.
    encoder.set_colorspace(source.decoder.color_space());
    encoder.set_color_range(source.decoder.color_range());
    encoder.set_color_primaries(source.decoder.color_primaries());
    encoder.set_color_transfer_characteristic(source.decoder.color_transfer_characteristic());
    set_global_header(&mut encoder);
    let mut options = ffmpeg::Dictionary::new();
    options.set("preset", X264_PRESET);
    options.set("crf", &crf.to_string());
    // libavcodec's default is one thread; the ffmpeg CLI asks for x264's own choice (1.5 per
    // core, frame threads), and so do we: every frame is encoded here.
    options.set("threads", "auto");
    encoder.open_with(options).map_err(encoder_error)
}

/// [`super::export_mp4`] for a request with captions.
pub(super) fn export_over_video(
    request: &ExportRequest<'_>,
    style: &CaptionStyle,
    progress: &mut dyn FnMut(&ExportProgress),
    cancel: &crate::jobs::CancelToken,
) -> Result<ExportOutcome, ExportError> {
    let started = Instant::now();
    let deck = request.deck;
    if deck.slides.is_empty() {
        return Err(ExportError::InvalidDeck {
            reason: "it has no slides".into(),
        });
    }
    check_target(request.out, request.overwrite)?;
    let mut source = VideoSource::open(request.audio)?;
    let audio = AudioSource::open(
        request.audio,
        true,
        &request.sound,
        request.out,
        deck.duration,
        (0.0, 0.0),
    )?;
    let audio_mode = audio.mode();
    let music = audio.music().map(Path::to_path_buf);
    let planned_end = if audio.duration_hint > 0.0 {
        audio.duration_hint
    } else {
        deck.duration
    };
    let encoder = open_encoder(&source, request.crf)?;
    let frames_total = source.frames_hint;
    let time_base = source.time_base;
    let frame_rate = source.frame_rate;
    // Each packet lasts one frame at the stream's rate (x264 leaves durations unset).
    let frame_ticks = (f64::from(frame_rate.invert()) / f64::from(time_base))
        .round()
        .max(1.0) as i64;

    let file = AtomicFile::create(request.out, request.overwrite)?;
    let temp_path = file.path().to_path_buf();
    let target = request.out;
    let write_error = |error: ffmpeg::Error| ExportError::ffmpeg_write(target, error);
    let mut output = ffmpeg::format::output_as(&temp_path, "mp4").map_err(write_error)?;
    let video_index = {
        let mut stream = output
            .add_stream(ffmpeg::encoder::find(codec::Id::None))
            .map_err(|error| ExportError::Encoder {
                reason: format!("cannot add the video track: {error}"),
            })?;
        stream.set_parameters(&encoder);
        stream.set_time_base(time_base);
        stream.index()
    };
    let audio_index = audio.add_stream(&mut output)?;
    let mut header_options = ffmpeg::Dictionary::new();
    header_options.set("movflags", "+faststart");
    output
        .write_header_with(header_options)
        .map_err(write_error)?;
    let time_base_of = |index: usize| output.stream(index).map(|stream| stream.time_base());
    let (Some(video_time_base), Some(audio_time_base)) =
        (time_base_of(video_index), time_base_of(audio_index))
    else {
        return Err(ExportError::Encoder {
            reason: "the MP4 muxer lost a track".into(),
        });
    };
    let audio_packet_time_base = audio.packet_time_base();

    let audio_done = AtomicU64::new(0);
    let (written, audio_result, decode_result, composite_result) = std::thread::scope(|scope| {
        let (audio_sender, audio_receiver) = sync_channel(256);
        let audio_done = &audio_done;
        let audio_thread = scope.spawn(move || audio.run(audio_sender, cancel, audio_done));
        let (decoded_sender, decoded_receiver) = sync_channel(QUEUE);
        let decode_thread = scope
            .spawn(move || source.decode(cancel, &mut |frame| decoded_sender.send(frame).is_ok()));
        let (blended_sender, blended_receiver) = sync_channel(QUEUE);
        let (spare_sender, spare_receiver) = sync_channel(QUEUE + 2);
        let composite_thread = scope.spawn(move || {
            composite(
                decoded_receiver,
                blended_sender,
                spare_receiver,
                deck,
                style,
                (time_base, frame_rate),
                cancel,
            )
        });
        let mut muxer = Muxer {
            output: &mut output,
            encoder,
            target,
            video_index,
            audio_index,
            time_base,
            video_time_base,
            audio_time_base,
            audio_packet_time_base,
            frame_ticks,
            frames: 0,
            keyframes: 0,
            audio_end: None,
        };
        let written = muxer.run(
            blended_receiver,
            spare_sender,
            audio_receiver,
            &mut |frames_written, audio_end| {
                progress(&ExportProgress {
                    frames_written,
                    frames_total: frames_total.max(frames_written),
                    audio_done: audio_end
                        .unwrap_or(audio_done.load(Ordering::Relaxed) as f64 / 1000.0),
                    audio_total: planned_end,
                    elapsed: started.elapsed(),
                })
            },
            cancel,
        );
        let panicked = |what: &str| ExportError::Encoder {
            reason: format!("the {what} thread crashed"),
        };
        let audio_result = audio_thread
            .join()
            .unwrap_or_else(|_| Err(panicked("audio")));
        let decode_result = decode_thread
            .join()
            .unwrap_or_else(|_| Err(panicked("video decoding")));
        let composite_result = composite_thread
            .join()
            .unwrap_or_else(|_| Err(panicked("caption")));
        (written, audio_result, decode_result, composite_result)
    });
    // A worker's own error explains a channel that closed early; report it first.
    decode_result?;
    composite_result?;
    let audio_report = audio_result?;
    let written = written?;
    output.write_trailer().map_err(write_error)?;
    drop(output);
    let duration = verify(&temp_path, target, written.audio_end)?;
    let bytes = std::fs::metadata(&temp_path)
        .map(|meta| meta.len())
        .map_err(|error| ExportError::io(target, &error))?;
    let path = file.commit()?;
    Ok(ExportOutcome {
        path,
        duration,
        video_frames: written.frames,
        keyframes: written.keyframes,
        audio: audio_mode,
        music,
        loudness: audio_report.loudness,
        bytes,
        dropped_slides: Vec::new(),
        elapsed: started.elapsed(),
    })
}

struct Written {
    frames: u64,
    keyframes: u64,
    audio_end: f64,
}

struct Muxer<'o> {
    output: &'o mut ffmpeg::format::context::Output,
    encoder: ffmpeg::encoder::Video,
    target: &'o Path,
    video_index: usize,
    audio_index: usize,
    /// The encoder's (and the source stream's) time base.
    time_base: Rational,
    video_time_base: Rational,
    audio_time_base: Rational,
    audio_packet_time_base: Rational,
    frame_ticks: i64,
    frames: u64,
    keyframes: u64,
    audio_end: Option<f64>,
}

impl Muxer<'_> {
    fn run(
        &mut self,
        frames: Receiver<frame::Video>,
        spares: SyncSender<frame::Video>,
        audio: Receiver<AudioMessage>,
        report: &mut dyn FnMut(u64, Option<f64>),
        cancel: &AtomicBool,
    ) -> Result<Written, ExportError> {
        let stopped = || ExportError::Encoder {
            reason: "the video ended early".into(),
        };
        for mut frame in frames {
            if cancel.load(Ordering::Relaxed) {
                return Err(ExportError::Cancelled);
            }
            frame.set_kind(ffmpeg::util::picture::Type::None);
            self.encoder.send_frame(&frame).map_err(video_failure)?;
            self.drain_video()?;
            // x264 has copied the picture; the buffer can take the next caption.
            let _ = spares.try_send(frame);
            self.pump_audio(&audio, false)?;
            self.frames += 1;
            report(self.frames, None);
        }
        if cancel.load(Ordering::Relaxed) {
            return Err(ExportError::Cancelled);
        }
        if self.frames == 0 {
            return Err(stopped());
        }
        self.encoder.send_eof().map_err(video_failure)?;
        self.drain_video()?;
        let mut last_report = Instant::now();
        while self.audio_end.is_none() {
            if cancel.load(Ordering::Relaxed) {
                return Err(ExportError::Cancelled);
            }
            self.pump_audio(&audio, true)?;
            if last_report.elapsed() >= PROGRESS_TICK {
                report(self.frames, None);
                last_report = Instant::now();
            }
        }
        let audio_end = self.audio_end.unwrap_or_default();
        report(self.frames, Some(audio_end));
        Ok(Written {
            frames: self.frames,
            keyframes: self.keyframes,
            audio_end,
        })
    }

    fn drain_video(&mut self) -> Result<(), ExportError> {
        loop {
            let mut packet = ffmpeg::Packet::empty();
            match self.encoder.receive_packet(&mut packet) {
                Ok(()) => {
                    if packet.is_key() {
                        self.keyframes += 1;
                    }
                    packet.set_duration(self.frame_ticks);
                    packet.set_stream(self.video_index);
                    packet.rescale_ts(self.time_base, self.video_time_base);
                    packet.set_position(-1);
                    packet
                        .write_interleaved(self.output)
                        .map_err(|error| ExportError::ffmpeg_write(self.target, error))?;
                }
                Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::ffi::EAGAIN => {
                    return Ok(())
                }
                Err(ffmpeg::Error::Eof) => return Ok(()),
                Err(error) => return Err(video_failure(error)),
            }
        }
    }

    fn pump_audio(
        &mut self,
        audio: &Receiver<AudioMessage>,
        wait: bool,
    ) -> Result<(), ExportError> {
        let stopped = || ExportError::Encoder {
            reason: "the audio track ended early".into(),
        };
        loop {
            let message = if wait {
                match audio.recv_timeout(PROGRESS_TICK) {
                    Ok(message) => message,
                    Err(RecvTimeoutError::Timeout) => return Ok(()),
                    Err(RecvTimeoutError::Disconnected) if self.audio_end.is_some() => {
                        return Ok(())
                    }
                    Err(RecvTimeoutError::Disconnected) => return Err(stopped()),
                }
            } else {
                match audio.try_recv() {
                    Ok(message) => message,
                    Err(TryRecvError::Empty) => return Ok(()),
                    Err(TryRecvError::Disconnected) if self.audio_end.is_some() => return Ok(()),
                    Err(TryRecvError::Disconnected) => return Err(stopped()),
                }
            };
            match message {
                AudioMessage::Packet(mut packet) => {
                    packet.set_stream(self.audio_index);
                    packet.rescale_ts(self.audio_packet_time_base, self.audio_time_base);
                    packet
                        .write_interleaved(self.output)
                        .map_err(|error| ExportError::ffmpeg_write(self.target, error))?;
                }
                AudioMessage::Done { end } => {
                    self.audio_end = Some(end);
                    return Ok(());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opaque_caption_replaces_and_a_clear_one_keeps_the_picture() {
        let mut frame = frame::Video::new(Pixel::YUV420P, 8, 8);
        for plane in 0..3 {
            frame.data_mut(plane).fill(100);
        }
        // Left half opaque white, right half transparent.
        let mut rgba = Vec::new();
        for _ in 0..4 {
            for x in 0..4 {
                rgba.extend(if x < 2 {
                    [255, 255, 255, 255]
                } else {
                    [0, 0, 0, 0]
                });
            }
        }
        let caption = Caption {
            x: 2,
            y: 2,
            width: 4,
            height: 4,
            rgba,
        };
        Planes::from_caption(&caption).blend(&mut frame);
        let stride = frame.stride(0);
        let luma = frame.data(0);
        assert_eq!(luma[2 * stride + 2], 235, "white in limited range");
        assert_eq!(luma[2 * stride + 4], 100, "transparent keeps the picture");
        assert_eq!(luma[0], 100, "outside the box is untouched");
        assert_eq!(
            frame.data(1)[frame.stride(1) + 1],
            128,
            "white has neutral chroma"
        );
        assert_eq!(frame.data(1)[frame.stride(1) + 2], 100);
    }

    #[test]
    fn the_slide_shown_is_the_last_one_started_until_the_deck_ends() {
        let slide = |index: usize, start: f64, end: f64| crate::slides::Slide {
            index,
            start,
            end,
            text: String::new(),
            highlights: Vec::new(),
            image: String::new(),
            words: Vec::new(),
        };
        let deck = SlideDeck {
            preset: "16:9".into(),
            theme: "classic".into(),
            brand: Default::default(),
            width: 2,
            height: 2,
            duration: 4.0,
            slides: vec![slide(0, 0.5, 2.0), slide(1, 2.0, 4.0)],
        };
        assert_eq!(slide_at(&deck, 0.0), None);
        assert_eq!(slide_at(&deck, 0.5), Some(0));
        assert_eq!(slide_at(&deck, 2.0), Some(1));
        assert_eq!(slide_at(&deck, 3.9), Some(1));
        assert_eq!(slide_at(&deck, 4.0), None);
    }
}
