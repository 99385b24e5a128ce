//! The MP4 writer: slides as H.264 pictures at their exact start times, plus the source audio.
//!
//! Three threads work at once: one decodes slide PNGs and converts them to YUV (only when the
//! picture changes), one copies or encodes the audio, and the calling thread runs x264 and the
//! muxer. A still slide costs one encoded picture; its repeats reuse the converted frame and
//! encode to near-empty P-frames.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

use ffmpeg::format::Pixel;
use ffmpeg::util::{color, frame, picture};
use ffmpeg::{codec, Rational};
use ffmpeg_next as ffmpeg;

use super::atomic::{check_target, AtomicFile};
use super::audio::{set_global_header, AudioMessage, AudioSource};
use super::timeline::{self, FrameRate, Picture, Timeline, TICKS_PER_SECOND};
use super::{yuv, ExportError, ExportOutcome, ExportProgress, ExportRequest};
use crate::slides::SlideDeck;

const X264_PRESET: &str = "veryfast";
/// x264's tuning for slideshows: stronger psychovisual detail, weaker deblocking (sharp text).
const X264_TUNE: &str = "stillimage";
/// The rate x264 assumes for variable-frame-rate input (level choice, VUI); the real timing
/// comes from the timestamps.
const NOMINAL_FPS: i32 = 30;
/// How often the muxer reports progress while it waits for the audio.
const PROGRESS_TICK: Duration = Duration::from_millis(100);

/// Exports `request.deck` with `request.audio` to `request.out`.
///
/// `progress` is called after every video frame and regularly while the audio finishes;
/// setting `cancel` stops the export within a frame or an audio packet, leaving no file.
pub fn export_mp4(
    request: &ExportRequest<'_>,
    progress: &mut dyn FnMut(&ExportProgress),
    cancel: &crate::jobs::CancelToken,
) -> Result<ExportOutcome, ExportError> {
    if let Some(style) = &request.captions {
        return super::overlay::export_over_video(request, style, progress, cancel);
    }
    let started = Instant::now();
    crate::media::init_ffmpeg();
    let deck = request.deck;
    validate_deck(deck)?;
    check_target(request.out, request.overwrite)?;
    // The look's cards: the intro plays before the voice, the outro after it, over silence.
    let (lead, tail) = (deck.brand.lead(), deck.brand.tail());
    let audio = AudioSource::open(
        request.audio,
        true,
        &request.sound,
        request.out,
        deck.duration,
        (lead, tail),
    )?;
    let audio_mode = audio.mode();
    let music = audio.music().map(Path::to_path_buf);
    // The container's duration is exact for WAV, MP4 and M4A; when it is missing the deck's
    // (the decoded audio's length at transcription) stands in. The last picture is stretched
    // to the measured end of the audio either way.
    let voice_end = if audio.duration_hint > 0.0 {
        audio.duration_hint
    } else {
        deck.duration
    };
    let planned_end = lead + voice_end + tail;
    let progress_bar = deck.brand.progress;
    let rate = match request.fps {
        Some(fps) => FrameRate::Constant { fps },
        // A progress bar moves at least every half second: repeats carry its growth.
        None if progress_bar.is_some() => FrameRate::Variable {
            repeat_every: if request.repeat_every > 0.0 {
                request.repeat_every.min(BAR_STEP)
            } else {
                BAR_STEP
            },
        },
        None => FrameRate::Variable {
            repeat_every: request.repeat_every,
        },
    };
    let states = picture_states(deck, lead, voice_end);
    let starts: Vec<f64> = states.iter().map(|state| state.start).collect();
    let timeline = timeline::plan(&starts, planned_end, rate)
        .map_err(|reason| ExportError::InvalidDeck { reason })?;
    // A slide is dropped when none of its pictures is ever shown.
    let dropped_slides: Vec<usize> = {
        let shown: std::collections::HashSet<usize> = (0..states.len())
            .filter(|index| states[*index].slide != CARD)
            .filter(|index| !timeline.dropped.contains(index))
            .map(|index| states[index].slide)
            .collect();
        (0..deck.slides.len())
            .filter(|slide| !shown.contains(slide))
            .collect()
    };

    let file = AtomicFile::create(request.out, request.overwrite)?;
    let temp_path = file.path().to_path_buf();
    let target = request.out;
    let write_error = |error: ffmpeg::Error| ExportError::ffmpeg_write(target, error);
    let mut output = ffmpeg::format::output_as(&temp_path, "mp4").map_err(write_error)?;
    let encoder = open_video_encoder(deck.width, deck.height, request.fps, request.crf)?;
    let video_index = {
        let mut stream = output
            .add_stream(ffmpeg::encoder::find(codec::Id::None))
            .map_err(|error| ExportError::Encoder {
                reason: format!("cannot add the video track: {error}"),
            })?;
        stream.set_parameters(&encoder);
        stream.set_time_base(Rational::new(1, TICKS_PER_SECOND as i32));
        stream.index()
    };
    let audio_index = audio.add_stream(&mut output)?;
    let mut header_options = ffmpeg::Dictionary::new();
    // The index goes to the front so browsers can start playing and seeking at once.
    header_options.set("movflags", "+faststart");
    // Interleave strictly by time however far the video runs ahead of the audio encoder, so
    // the file streams without long seeks between tracks.
    header_options.set("max_interleave_delta", "0");
    output
        .write_header_with(header_options)
        .map_err(write_error)?;
    // The muxer may change the time bases while writing the header: read them back.
    let time_base_of = |index: usize| output.stream(index).map(|stream| stream.time_base());
    let (Some(video_time_base), Some(audio_time_base)) =
        (time_base_of(video_index), time_base_of(audio_index))
    else {
        return Err(ExportError::Encoder {
            reason: "the MP4 muxer lost a track".into(),
        });
    };
    let audio_packet_time_base = audio.packet_time_base();

    let pictures: Vec<Picture> = timeline.keyframes().map(|frame| frame.picture).collect();
    let background = timeline
        .frames
        .iter()
        .find_map(|frame| match frame.picture {
            Picture::Slide(index) => Some(index),
            Picture::Background => None,
        })
        .unwrap_or(0);
    let images: Vec<&str> = states.iter().map(|state| state.image).collect();
    // A new slide is an IDR frame (a clean seek point); a word state within a slide changes
    // one word's colour and is a cheap P-frame.
    let mut shown: Option<usize> = None;
    let idr: Vec<bool> = timeline
        .frames
        .iter()
        .map(|frame| {
            let slide = match frame.picture {
                Picture::Slide(index) => Some(states[index].slide),
                Picture::Background => None,
            };
            let first = frame.key && (slide != shown || frame.pts == 0 || slide == Some(CARD));
            shown = slide;
            first
        })
        .collect();
    let audio_done = AtomicU64::new(0);
    let (written, audio_result, picture_error) = std::thread::scope(|scope| {
        let (audio_sender, audio_receiver) = sync_channel(256);
        let audio_done = &audio_done;
        let audio_thread = scope.spawn(move || audio.run(audio_sender, cancel, audio_done));
        let (picture_sender, picture_receiver) = sync_channel(2);
        let picture_thread = scope.spawn(move || {
            produce_pictures(
                &pictures,
                deck,
                &images,
                request.deck_dir,
                background,
                &picture_sender,
                cancel,
            )
        });
        let mut muxer = Muxer {
            output: &mut output,
            encoder,
            target,
            video_index,
            audio_index,
            video_time_base,
            audio_time_base,
            audio_packet_time_base,
            durations: VecDeque::new(),
            held_video: None,
            keyframes: 0,
            frames_written: 0,
            audio_end: None,
            bar: progress_bar.map(|bar| (bar, deck.width, deck.height)),
        };
        let written = muxer.run(
            &timeline,
            &idr,
            picture_receiver,
            audio_receiver,
            &mut |frames_written, audio_end| {
                progress(&ExportProgress {
                    frames_written,
                    frames_total: timeline.frames.len() as u64,
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
        let picture_error = picture_thread
            .join()
            .unwrap_or_else(|_| Err(panicked("slide image")))
            .err();
        (written, audio_result, picture_error)
    });
    let (audio_error, audio_report) = match audio_result {
        Ok(report) => (None, report),
        Err(error) => (Some(error), Default::default()),
    };
    // The muxer only sees a closed channel when a worker fails; the worker has the reason.
    let written = match written {
        Err(MuxError::AudioStopped) => {
            return Err(audio_error.unwrap_or_else(|| ExportError::Encoder {
                reason: "the audio track ended early".into(),
            }))
        }
        Err(MuxError::PicturesStopped) => {
            return Err(picture_error.unwrap_or_else(|| ExportError::Encoder {
                reason: "the slide images ended early".into(),
            }))
        }
        Err(MuxError::Export(error)) => return Err(error),
        Ok(written) => written,
    };
    output.write_trailer().map_err(write_error)?;
    // Closing the output flushes the last buffered bytes; a full disk can surface only here.
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
        dropped_slides,
        elapsed: started.elapsed(),
    })
}

fn validate_deck(deck: &SlideDeck) -> Result<(), ExportError> {
    let invalid = |reason: String| Err(ExportError::InvalidDeck { reason });
    if deck.slides.is_empty() {
        return invalid("it has no slides".into());
    }
    if deck.width == 0 || deck.height == 0 || deck.width % 2 == 1 || deck.height % 2 == 1 {
        return invalid(format!(
            "its size {}x{} is not a positive even width and height (H.264 4:2:0 needs both)",
            deck.width, deck.height
        ));
    }
    if deck.width > 8192 || deck.height > 8192 {
        return invalid(format!(
            "its size {}x{} exceeds 8192",
            deck.width, deck.height
        ));
    }
    Ok(())
}

fn open_video_encoder(
    width: u32,
    height: u32,
    fps: Option<u32>,
    crf: u8,
) -> Result<ffmpeg::encoder::Video, ExportError> {
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
    encoder.set_width(width);
    encoder.set_height(height);
    encoder.set_format(Pixel::YUV420P);
    encoder.set_time_base(Rational::new(1, TICKS_PER_SECOND as i32));
    let fps = fps.map_or(NOMINAL_FPS, |fps| fps as i32);
    encoder.set_frame_rate(Some(Rational::new(fps, 1)));
    // Frames must leave the encoder in presentation order for variable frame rate.
    encoder.set_max_b_frames(0);
    encoder.set_aspect_ratio(Rational::new(1, 1));
    encoder.set_colorspace(color::Space::BT709);
    encoder.set_color_range(color::Range::MPEG);
    encoder.set_color_primaries(color::Primaries::BT709);
    encoder.set_color_transfer_characteristic(color::TransferCharacteristic::BT709);
    // MP4 keeps the SPS/PPS in the track header (`avcC`).
    set_global_header(&mut encoder);
    let mut options = ffmpeg::Dictionary::new();
    options.set("preset", X264_PRESET);
    options.set("tune", X264_TUNE);
    options.set("crf", &crf.to_string());
    // A picture flagged I becomes an IDR frame: every slide start is a clean seek point.
    options.set("forced-idr", "1");
    encoder.open_with(options).map_err(encoder_error)
}

/// The longest time the progress bar stands still (seconds).
const BAR_STEP: f64 = 0.5;

/// One picture of the deck and when it starts: a slide, or one of its word states.
struct PictureState<'d> {
    start: f64,
    image: &'d str,
    /// The slide it belongs to ([`CARD`] for the intro and outro).
    slide: usize,
}

/// The "slide" of the intro and outro cards' pictures.
const CARD: usize = usize::MAX;

/// Every picture in time order: the intro card, then each slide's own image at its start
/// (`lead` seconds later), then, when the look drew the spoken word, each word's image from
/// that word's start (within the slide's time); the outro card when the voice ends.
fn picture_states(deck: &SlideDeck, lead: f64, voice_end: f64) -> Vec<PictureState<'_>> {
    let mut states = Vec::with_capacity(deck.slides.len() + 2);
    if let Some(intro) = deck.brand.intro.as_ref().filter(|_| lead > 0.0) {
        states.push(PictureState {
            start: 0.0,
            image: &intro.image,
            slide: CARD,
        });
    }
    for (index, slide) in deck.slides.iter().enumerate() {
        states.push(PictureState {
            start: lead + slide.start,
            image: &slide.image,
            slide: index,
        });
        let drawn = slide.words_match() && slide.words.iter().all(|word| !word.image.is_empty());
        if !drawn {
            continue;
        }
        let mut at = slide.start;
        for word in &slide.words {
            if !(word.start.is_finite() && word.start < slide.end) {
                break;
            }
            at = word.start.max(at);
            states.push(PictureState {
                start: lead + at,
                image: &word.image,
                slide: index,
            });
        }
    }
    if let Some(outro) = deck
        .brand
        .outro
        .as_ref()
        .filter(|card| !card.image.is_empty())
    {
        states.push(PictureState {
            start: lead + voice_end,
            image: &outro.image,
            slide: CARD,
        });
    }
    states
}

/// Decodes and converts each picture change in order, two ahead of the encoder.
fn produce_pictures(
    pictures: &[Picture],
    deck: &SlideDeck,
    images: &[&str],
    deck_dir: &Path,
    background_slide: usize,
    sender: &SyncSender<frame::Video>,
    cancel: &AtomicBool,
) -> Result<(), ExportError> {
    for picture in pictures {
        if cancel.load(Ordering::Relaxed) {
            return Err(ExportError::Cancelled);
        }
        let frame = match picture {
            Picture::Slide(index) => {
                let name = images.get(*index).copied().unwrap_or_default();
                let (rgba, width, height) = load_slide(deck, deck_dir, name)?;
                let mut frame = new_frame(width, height);
                yuv::rgba_to_yuv420(&rgba, width as usize, height as usize, &mut frame);
                frame
            }
            Picture::Background => {
                // The theme's background colour, read from the first slide's corner.
                let name = images.get(background_slide).copied().unwrap_or_default();
                let (rgba, width, height) = load_slide(deck, deck_dir, name)?;
                let mut frame = new_frame(width, height);
                yuv::fill([rgba[0], rgba[1], rgba[2]], &mut frame);
                frame
            }
        };
        if sender.send(frame).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

fn new_frame(width: u32, height: u32) -> frame::Video {
    let mut frame = frame::Video::new(Pixel::YUV420P, width, height);
    frame.set_color_space(color::Space::BT709);
    frame.set_color_range(color::Range::MPEG);
    frame.set_color_primaries(color::Primaries::BT709);
    frame.set_color_transfer_characteristic(color::TransferCharacteristic::BT709);
    frame
}

fn load_slide(
    deck: &SlideDeck,
    deck_dir: &Path,
    name: &str,
) -> Result<(Vec<u8>, u32, u32), ExportError> {
    let path = deck_dir.join(name);
    let unreadable = |reason: String| ExportError::SlideImage {
        path: path.clone(),
        reason,
    };
    let image = image::ImageReader::open(&path)
        .map_err(|error| unreadable(error.to_string()))?
        .with_guessed_format()
        .map_err(|error| unreadable(error.to_string()))?
        .decode()
        .map_err(|error| unreadable(error.to_string()))?;
    if (image.width(), image.height()) != (deck.width, deck.height) {
        return Err(ExportError::SlideSize {
            path,
            expected: (deck.width, deck.height),
            found: (image.width(), image.height()),
        });
    }
    Ok((image.into_rgba8().into_raw(), deck.width, deck.height))
}

enum MuxError {
    AudioStopped,
    PicturesStopped,
    Export(ExportError),
}

impl From<ExportError> for MuxError {
    fn from(error: ExportError) -> Self {
        MuxError::Export(error)
    }
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
    video_time_base: Rational,
    audio_time_base: Rational,
    audio_packet_time_base: Rational,
    /// Planned durations of the frames inside the encoder (B-frames are off, so packets come
    /// out in the order frames went in).
    durations: VecDeque<i64>,
    /// The latest video packet: written when the next one arrives, or at the end with its
    /// duration stretched to the audio's measured end.
    held_video: Option<(ffmpeg::Packet, i64)>,
    keyframes: u64,
    frames_written: u64,
    audio_end: Option<f64>,
    /// The look's progress bar and the frame size, drawn into every picture.
    bar: Option<(crate::look::ProgressBar, u32, u32)>,
}

type Report<'r> = dyn FnMut(u64, Option<f64>) + 'r;

impl Muxer<'_> {
    fn run(
        &mut self,
        timeline: &Timeline,
        idr: &[bool],
        pictures: Receiver<frame::Video>,
        audio: Receiver<AudioMessage>,
        report: &mut Report<'_>,
        cancel: &AtomicBool,
    ) -> Result<Written, MuxError> {
        let mut current: Option<frame::Video> = None;
        for (planned, &idr) in timeline.frames.iter().zip(idr) {
            if cancel.load(Ordering::Relaxed) {
                return Err(ExportError::Cancelled.into());
            }
            if planned.key || current.is_none() {
                current = Some(pictures.recv().map_err(|_| MuxError::PicturesStopped)?);
            }
            let Some(frame) = current.as_mut() else {
                return Err(MuxError::PicturesStopped);
            };
            if let Some((bar, width, height)) = self.bar {
                // The bar only grows, and a repeat reuses the last picture: drawing the filled
                // part again over it is enough.
                let fraction = planned.pts as f64 / timeline.end.max(1) as f64;
                let (top, rows) = bar.rows(height);
                let filled = crate::render::progress_width(width, fraction);
                yuv::fill_rect(
                    bar.color.0,
                    filled as usize,
                    top as usize,
                    rows as usize,
                    frame,
                );
            }
            frame.set_pts(Some(planned.pts));
            frame.set_kind(if idr {
                picture::Type::I
            } else {
                picture::Type::None
            });
            self.encoder.send_frame(frame).map_err(video_failure)?;
            self.durations.push_back(planned.duration);
            self.drain_video()?;
            self.pump_audio(&audio, false)?;
            self.frames_written += 1;
            report(self.frames_written, None);
        }
        self.encoder.send_eof().map_err(video_failure)?;
        self.drain_video()?;
        let mut last_report = Instant::now();
        while self.audio_end.is_none() {
            if cancel.load(Ordering::Relaxed) {
                return Err(ExportError::Cancelled.into());
            }
            self.pump_audio(&audio, true)?;
            if last_report.elapsed() >= PROGRESS_TICK {
                report(self.frames_written, None);
                last_report = Instant::now();
            }
        }
        let audio_end = self.audio_end.unwrap_or_default();
        if let Some((mut packet, pts)) = self.held_video.take() {
            let end = timeline::seconds_to_ticks(audio_end);
            if end > pts {
                packet.set_duration(end - pts);
            }
            self.write_video(packet)?;
        }
        report(self.frames_written, Some(audio_end));
        Ok(Written {
            frames: self.frames_written,
            keyframes: self.keyframes,
            audio_end,
        })
    }

    fn drain_video(&mut self) -> Result<(), MuxError> {
        loop {
            let mut packet = ffmpeg::Packet::empty();
            match self.encoder.receive_packet(&mut packet) {
                Ok(()) => {
                    // x264 leaves durations unset; without them the last slide would vanish
                    // right after it appears.
                    let duration = self.durations.pop_front().unwrap_or(1);
                    packet.set_duration(duration);
                    let pts = packet.pts().unwrap_or_default();
                    if let Some((previous, _)) = self.held_video.replace((packet, pts)) {
                        self.write_video(previous)?;
                    }
                }
                Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::ffi::EAGAIN => {
                    return Ok(())
                }
                Err(ffmpeg::Error::Eof) => return Ok(()),
                Err(error) => return Err(video_failure(error).into()),
            }
        }
    }

    fn write_video(&mut self, mut packet: ffmpeg::Packet) -> Result<(), MuxError> {
        if packet.is_key() {
            self.keyframes += 1;
        }
        packet.set_stream(self.video_index);
        packet.rescale_ts(
            Rational::new(1, TICKS_PER_SECOND as i32),
            self.video_time_base,
        );
        packet.set_position(-1);
        packet
            .write_interleaved(self.output)
            .map_err(|error| ExportError::ffmpeg_write(self.target, error).into())
    }

    /// Writes the audio packets that are ready; with `wait`, waits up to a progress tick.
    fn pump_audio(&mut self, audio: &Receiver<AudioMessage>, wait: bool) -> Result<(), MuxError> {
        loop {
            let message = if wait {
                match audio.recv_timeout(PROGRESS_TICK) {
                    Ok(message) => message,
                    Err(RecvTimeoutError::Timeout) => return Ok(()),
                    Err(RecvTimeoutError::Disconnected) => return self.audio_disconnected(),
                }
            } else {
                match audio.try_recv() {
                    Ok(message) => message,
                    Err(TryRecvError::Empty) => return Ok(()),
                    Err(TryRecvError::Disconnected) => return self.audio_disconnected(),
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

    fn audio_disconnected(&self) -> Result<(), MuxError> {
        if self.audio_end.is_some() {
            Ok(())
        } else {
            Err(MuxError::AudioStopped)
        }
    }
}

pub(super) fn video_failure(error: ffmpeg::Error) -> ExportError {
    ExportError::Encoder {
        reason: format!("H.264 encoding failed: {error}"),
    }
}

/// Reads the finished file back before it gets its final name: both tracks present and at
/// least as long as the audio that was written (a shorter file lost its end).
pub(super) fn verify(temp: &Path, target: &Path, audio_end: f64) -> Result<f64, ExportError> {
    let unreadable = |reason: String| ExportError::Write {
        path: target.to_path_buf(),
        reason: format!("the written file does not read back ({reason})"),
    };
    let input = ffmpeg::format::input(&temp).map_err(|error| unreadable(error.to_string()))?;
    let streams: Vec<_> = input
        .streams()
        .map(|stream| stream.parameters().medium())
        .collect();
    if !streams.contains(&ffmpeg::media::Type::Video)
        || !streams.contains(&ffmpeg::media::Type::Audio)
    {
        return Err(unreadable("a track is missing".into()));
    }
    let duration = input.duration() as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE);
    if duration + 0.5 < audio_end {
        return Err(unreadable(format!(
            "it lasts {duration:.2} s instead of {audio_end:.2} s"
        )));
    }
    Ok(duration)
}
