//! A 10 ms energy envelope of the audio: where speech stands out of the noise floor.
//!
//! Whisper's own timings are token-level guesses; the envelope lets the engine snap word
//! starts to real onsets after pauses, trim word ends that run into silence, and tell a
//! segment backed by sound from one the model invented over silence.

use crate::media::SAMPLE_RATE;

/// Frames per second of the envelope.
pub const FRAME_RATE: usize = 100;
const FRAME: usize = SAMPLE_RATE as usize / FRAME_RATE;
/// Frames quieter than this are never speech (digital silence, hiss).
const ABSOLUTE_FLOOR_DB: f32 = -55.0;
/// Speech must rise this far above the noise floor...
const ABOVE_FLOOR_DB: f32 = 8.0;
/// ...and come within this of the loud parts.
const BELOW_PEAK_DB: f32 = 28.0;

/// Samples per envelope frame (10 ms).
pub const FRAME_SAMPLES: usize = FRAME;

/// The level in dB of each 10 ms frame of `pcm` (a short last frame is its own).
pub fn levels(pcm: &[f32]) -> Vec<f32> {
    pcm.chunks(FRAME)
        .map(|frame| {
            let power = frame.iter().map(|s| s * s).sum::<f32>() / frame.len().max(1) as f32;
            10.0 * (power + 1e-12).log10()
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct Envelope {
    speech: Vec<bool>,
}

fn percentile(sorted: &[f32], fraction: f32) -> f32 {
    if sorted.is_empty() {
        return ABSOLUTE_FLOOR_DB * 2.0;
    }
    let index = ((sorted.len() - 1) as f32 * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

impl Envelope {
    #[cfg(test)]
    pub fn new(pcm: &[f32]) -> Self {
        Self::from_levels(levels(pcm))
    }

    /// The envelope of frame levels (dB, one per [`FRAME_RATE`]th of a second) gathered
    /// piece by piece with [`levels`], each piece a whole number of frames but the last.
    pub fn from_levels(levels: Vec<f32>) -> Self {
        let mut sorted = levels.clone();
        sorted.sort_by(f32::total_cmp);
        let floor = percentile(&sorted, 0.10);
        let peak = percentile(&sorted, 0.99);
        let threshold = (floor + ABOVE_FLOOR_DB)
            .max(peak - BELOW_PEAK_DB)
            .max(ABSOLUTE_FLOOR_DB);
        Self {
            speech: levels.iter().map(|&level| level > threshold).collect(),
        }
    }

    fn frame(&self, seconds: f64) -> usize {
        ((seconds.max(0.0) * FRAME_RATE as f64).round() as usize).min(self.speech.len())
    }

    /// Fraction of frames in `[start, end)` that carry speech-like energy.
    pub fn speech_ratio(&self, start: f64, end: f64) -> f64 {
        let (from, to) = (self.frame(start), self.frame(end));
        if to <= from {
            return 0.0;
        }
        self.speech[from..to]
            .iter()
            .filter(|&&speech| speech)
            .count() as f64
            / (to - from) as f64
    }

    /// The first speech onset in `[start, end)` that follows a pause of at least
    /// `min_pause` seconds (a pause running from `start` counts), if any: where a word
    /// spoken after a silence really begins.
    pub fn onset_after_pause(&self, start: f64, end: f64, min_pause: f64) -> Option<f64> {
        let (from, to) = (self.frame(start), self.frame(end));
        let needed = (min_pause * FRAME_RATE as f64).round() as usize;
        let mut silent_run = 0;
        for index in from..to {
            if self.speech[index] {
                if silent_run >= needed {
                    return Some(index as f64 / FRAME_RATE as f64);
                }
                silent_run = 0;
            } else {
                silent_run += 1;
            }
        }
        None
    }

    /// The silences of at least `min_pause` seconds in `[start, end)`, as `(from, to)` in
    /// seconds; one that runs into either end of the span counts.
    pub fn pauses(&self, start: f64, end: f64, min_pause: f64) -> Vec<(f64, f64)> {
        let (from, to) = (self.frame(start), self.frame(end));
        let needed = ((min_pause * FRAME_RATE as f64).round() as usize).max(1);
        let seconds = |index: usize| index as f64 / FRAME_RATE as f64;
        let mut pauses = Vec::new();
        let mut silent_from = None;
        for index in from..to {
            match (self.speech[index], silent_from) {
                (false, None) => silent_from = Some(index),
                (true, Some(first)) => {
                    if index - first >= needed {
                        pauses.push((seconds(first), seconds(index)));
                    }
                    silent_from = None;
                }
                _ => {}
            }
        }
        if let Some(first) = silent_from.filter(|&first| to - first >= needed) {
            pauses.push((seconds(first), seconds(to)));
        }
        pauses
    }

    /// The end of the last speech frame in `[start, end)` when silence follows it up to `end`.
    pub fn speech_end_before(&self, start: f64, end: f64, min_pause: f64) -> Option<f64> {
        let (from, to) = (self.frame(start), self.frame(end));
        let last = (from..to).rev().find(|&index| self.speech[index])?;
        let trailing = to - last - 1;
        (trailing as f64 / FRAME_RATE as f64 >= min_pause)
            .then(|| (last + 1) as f64 / FRAME_RATE as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(seconds: f64, amplitude: f32) -> Vec<f32> {
        let n = (seconds * f64::from(SAMPLE_RATE)) as usize;
        (0..n).map(|i| amplitude * (i as f32 * 0.2).sin()).collect()
    }

    #[test]
    fn finds_onsets_and_ends_around_pauses() {
        let mut pcm = vec![0.0; 8000]; // 0.5 s silence
        pcm.extend(tone(1.0, 0.3)); // speech 0.5..1.5
        pcm.extend(vec![0.0; 8000]); // pause 1.5..2.0
        pcm.extend(tone(0.5, 0.3)); // speech 2.0..2.5
        let envelope = Envelope::new(&pcm);
        assert_eq!(envelope.onset_after_pause(0.0, 1.0, 0.15), Some(0.5));
        assert_eq!(envelope.onset_after_pause(1.0, 2.4, 0.15), Some(2.0));
        assert_eq!(envelope.onset_after_pause(0.6, 1.4, 0.15), None);
        assert_eq!(envelope.speech_end_before(0.5, 1.9, 0.15), Some(1.5));
        assert_eq!(
            envelope.pauses(0.0, 2.5, 0.15),
            vec![(0.0, 0.5), (1.5, 2.0)]
        );
        assert_eq!(envelope.pauses(0.6, 1.6, 0.15), vec![]);
        assert_eq!(envelope.pauses(0.6, 1.8, 0.15), vec![(1.5, 1.8)]);
        assert!(envelope.speech_ratio(0.5, 1.5) > 0.95);
        assert!(envelope.speech_ratio(1.55, 1.95) < 0.05);
    }

    #[test]
    fn silence_and_steady_noise_carry_no_speech() {
        assert_eq!(Envelope::new(&vec![0.0; 32000]).speech_ratio(0.0, 2.0), 0.0);
        // Deterministic white-ish noise at a steady level: nothing stands out of the floor.
        let mut state = 12345u32;
        let noise: Vec<f32> = (0..32000)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                ((state >> 16) as f32 / 32768.0 - 1.0) * 0.1
            })
            .collect();
        assert!(Envelope::new(&noise).speech_ratio(0.0, 2.0) < 0.05);
    }

    #[test]
    fn levels_gathered_in_pieces_make_the_same_envelope() {
        let mut pcm = tone(0.7, 0.3);
        pcm.extend(vec![0.0; 5000]);
        pcm.extend(tone(0.33, 0.2));
        let whole = Envelope::new(&pcm);
        let cut = FRAME * 37;
        let mut pieces = levels(&pcm[..cut]);
        pieces.extend(levels(&pcm[cut..]));
        assert_eq!(Envelope::from_levels(pieces).speech, whole.speech);
    }
}
