//! Which picture is encoded when: the frame plan of an export, computed before any encoding.
//!
//! Times are integer ticks of a 90 kHz clock (the MPEG clock; the MP4 muxer keeps it as the
//! track timescale), so a slide start lands in the file within 6 µs of the requested time.

/// Ticks per second of the video time base.
pub const TICKS_PER_SECOND: i64 = 90_000;

/// With repeats on, each slide also gets a picture this long before the next slide starts (one
/// frame at 30 fps). Tools that seek by dropping every frame before the target (`ffmpeg -ss`,
/// thumbnailers) show the first frame after it: without this tail, a target in the last gap of
/// a slide would show the next slide.
pub const TAIL_TICKS: i64 = TICKS_PER_SECOND / 30;

/// What a frame shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    /// Before the first slide starts: the first slide's background colour.
    Background,
    /// The slide with this index in the deck.
    Slide(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedFrame {
    pub pts: i64,
    pub duration: i64,
    pub picture: Picture,
    /// The first frame of a picture: encoded as an IDR frame.
    pub key: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FrameRate {
    /// One frame per slide, plus a repeat whenever `repeat_every` seconds pass (0 = never).
    Variable {
        repeat_every: f64,
    },
    Constant {
        fps: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub frames: Vec<PlannedFrame>,
    /// Deck indices of slides that never show (start at or after the end, or at the same
    /// instant as a later-listed slide).
    pub dropped: Vec<usize>,
    /// The end of the last frame, in ticks (the audio's duration).
    pub end: i64,
}

impl Timeline {
    pub fn keyframes(&self) -> impl Iterator<Item = &PlannedFrame> {
        self.frames.iter().filter(|frame| frame.key)
    }
}

pub fn seconds_to_ticks(seconds: f64) -> i64 {
    (seconds * TICKS_PER_SECOND as f64).round() as i64
}

/// Plans the frames for slides starting at `starts` (seconds, deck order) in a video lasting
/// `end` seconds. Fails only when nothing could be shown.
pub fn plan(starts: &[f64], end: f64, rate: FrameRate) -> Result<Timeline, String> {
    if !(end.is_finite() && end > 0.0) {
        return Err(format!("the audio has no duration ({end} s)"));
    }
    if let Some(index) = starts.iter().position(|start| !start.is_finite()) {
        return Err(format!("slide {index} has no valid start time"));
    }
    let end_ticks = seconds_to_ticks(end);
    let mut order: Vec<usize> = (0..starts.len()).collect();
    order.sort_by(|a, b| starts[*a].total_cmp(&starts[*b]));

    // Each slide's position on the plan's grid: ticks (variable) or frame numbers (constant).
    let (grid_end, to_grid): (i64, Box<dyn Fn(f64) -> i64>) = match rate {
        FrameRate::Variable { .. } => (end_ticks, Box::new(seconds_to_ticks)),
        FrameRate::Constant { fps } => {
            if fps == 0 || fps > 240 {
                return Err(format!(
                    "{fps} frames per second is not supported (1 to 240)"
                ));
            }
            let fps = f64::from(fps);
            let frames = (end * fps - 1e-9).ceil().max(1.0) as i64;
            (
                frames,
                Box::new(move |seconds| (seconds * fps).round() as i64),
            )
        }
    };
    let mut dropped = Vec::new();
    let mut kept: Vec<(usize, i64)> = Vec::with_capacity(starts.len());
    for index in order {
        let at = to_grid(starts[index].max(0.0));
        if at >= grid_end {
            dropped.push(index);
            continue;
        }
        // Two slides at the same instant: only the later-listed one could ever be seen.
        if let Some(last) = kept.last_mut() {
            if last.1 == at {
                dropped.push(last.0);
                *last = (index, at);
                continue;
            }
        }
        kept.push((index, at));
    }
    dropped.sort_unstable();
    let Some(first) = kept.first() else {
        return Err(format!(
            "no slide starts before the audio ends (at {end:.2} s)"
        ));
    };
    let mut segments: Vec<(Picture, i64)> = Vec::with_capacity(kept.len() + 1);
    if first.1 > 0 {
        segments.push((Picture::Background, 0));
    }
    segments.extend(kept.iter().map(|(index, at)| (Picture::Slide(*index), *at)));

    let mut frames = Vec::new();
    match rate {
        FrameRate::Variable { repeat_every } => {
            let every = seconds_to_ticks(repeat_every.max(0.0));
            for (position, (picture, start)) in segments.iter().enumerate() {
                let stop = segments.get(position + 1).map_or(end_ticks, |next| next.1);
                let length = stop - start;
                // Evenly spaced repeats, so no gap exceeds `every` and none is a sliver.
                let count = if every > 0 {
                    ((length + every - 1) / every).max(1)
                } else {
                    1
                };
                let mut last = *start;
                for k in 0..count {
                    last = start + (length * k + count / 2) / count;
                    frames.push(PlannedFrame {
                        pts: last,
                        duration: 0,
                        picture: *picture,
                        key: k == 0,
                    });
                }
                if every > 0 && stop - TAIL_TICKS > last + TAIL_TICKS {
                    frames.push(PlannedFrame {
                        pts: stop - TAIL_TICKS,
                        duration: 0,
                        picture: *picture,
                        key: false,
                    });
                }
            }
        }
        FrameRate::Constant { fps } => {
            let mut next_segment = 0;
            let mut current = segments[0].0;
            for frame in 0..grid_end {
                let mut key = frame == 0;
                while next_segment < segments.len() && segments[next_segment].1 <= frame {
                    current = segments[next_segment].0;
                    next_segment += 1;
                    key = true;
                }
                // round(frame * T / fps) in integers: exact for any frame count.
                let doubled =
                    i128::from(frame) * i128::from(TICKS_PER_SECOND) * 2 / i128::from(fps);
                frames.push(PlannedFrame {
                    pts: ((doubled + 1) / 2) as i64,
                    duration: 0,
                    picture: current,
                    key,
                });
            }
        }
    }
    for position in 0..frames.len() {
        let next = frames.get(position + 1).map_or(end_ticks, |next| next.pts);
        frames[position].duration = next - frames[position].pts;
    }
    Ok(Timeline {
        frames,
        dropped,
        end: end_ticks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = TICKS_PER_SECOND;

    fn summary(timeline: &Timeline) -> Vec<(i64, i64, Picture, bool)> {
        timeline
            .frames
            .iter()
            .map(|f| (f.pts, f.duration, f.picture, f.key))
            .collect()
    }

    #[test]
    fn variable_rate_one_frame_per_slide_without_repeats() {
        let timeline = plan(
            &[0.0, 1.5, 4.0],
            6.25,
            FrameRate::Variable { repeat_every: 0.0 },
        )
        .expect("plan");
        assert_eq!(
            summary(&timeline),
            vec![
                (0, 3 * T / 2, Picture::Slide(0), true),
                (3 * T / 2, 5 * T / 2, Picture::Slide(1), true),
                (4 * T, 9 * T / 4, Picture::Slide(2), true),
            ]
        );
        assert_eq!(timeline.end, 6 * T + T / 4);
    }

    #[test]
    fn variable_rate_repeats_evenly_within_each_slide() {
        let timeline =
            plan(&[0.0, 5.0], 6.0, FrameRate::Variable { repeat_every: 2.0 }).expect("plan");
        // 5 s slide: ceil(5/2) = 3 pictures, 5/3 s apart, and one 1/30 s before the next
        // slide; 1 s slide: one picture and its tail.
        assert_eq!(
            summary(&timeline),
            vec![
                (0, 150_000, Picture::Slide(0), true),
                (150_000, 150_000, Picture::Slide(0), false),
                (300_000, 147_000, Picture::Slide(0), false),
                (447_000, TAIL_TICKS, Picture::Slide(0), false),
                (5 * T, T - TAIL_TICKS, Picture::Slide(1), true),
                (6 * T - TAIL_TICKS, TAIL_TICKS, Picture::Slide(1), false),
            ]
        );
        assert!(timeline.frames.iter().all(|f| f.duration <= 2 * T));
    }

    #[test]
    fn lead_in_background_until_the_first_slide() {
        let timeline =
            plan(&[0.33, 2.0], 3.0, FrameRate::Variable { repeat_every: 0.0 }).expect("plan");
        assert_eq!(timeline.frames[0].picture, Picture::Background);
        assert_eq!(timeline.frames[1].pts, 29_700);
        assert!(timeline.frames[1].key);
    }

    #[test]
    fn unsorted_same_instant_and_late_slides() {
        let timeline = plan(
            &[2.0, 0.0, 2.0, 9.0],
            5.0,
            FrameRate::Variable { repeat_every: 0.0 },
        )
        .expect("plan");
        let pictures: Vec<_> = timeline.frames.iter().map(|f| f.picture).collect();
        assert_eq!(pictures, vec![Picture::Slide(1), Picture::Slide(2)]);
        assert_eq!(timeline.dropped, vec![0, 3]);
    }

    #[test]
    fn constant_rate_snaps_slides_to_the_nearest_frame() {
        let timeline = plan(&[0.0, 0.1], 0.2, FrameRate::Constant { fps: 25 }).expect("plan");
        let frames = summary(&timeline);
        assert_eq!(frames.len(), 5);
        assert!(frames.iter().all(|(_, duration, _, _)| *duration == 3600));
        // 0.1 s is frame 2.5, which rounds half away from zero: the slide shows from frame 3.
        assert_eq!(
            frames.iter().map(|f| (f.2, f.3)).collect::<Vec<_>>(),
            vec![
                (Picture::Slide(0), true),
                (Picture::Slide(0), false),
                (Picture::Slide(0), false),
                (Picture::Slide(1), true),
                (Picture::Slide(1), false),
            ]
        );
    }

    #[test]
    fn constant_rate_last_frame_ends_with_the_audio() {
        let timeline = plan(&[0.0], 1.01, FrameRate::Constant { fps: 30 }).expect("plan");
        assert_eq!(timeline.frames.len(), 31);
        let last = timeline.frames[30];
        assert_eq!(last.pts + last.duration, timeline.end);
        assert_eq!(last.duration, 900);
    }

    #[test]
    fn nothing_to_show_is_an_error() {
        assert!(plan(&[7.0], 5.0, FrameRate::Variable { repeat_every: 2.0 }).is_err());
        assert!(plan(&[f64::NAN], 5.0, FrameRate::Variable { repeat_every: 2.0 }).is_err());
        assert!(plan(&[0.0], 0.0, FrameRate::Constant { fps: 30 }).is_err());
        assert!(plan(&[0.0], 1.0, FrameRate::Constant { fps: 0 }).is_err());
    }
}
