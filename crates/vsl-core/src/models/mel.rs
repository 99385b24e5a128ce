//! The log-mel filter bank whisper.cpp reads from the model file.
//!
//! OpenAI's Whisper uses librosa's Slaney-style bank (sr 16 kHz, n_fft 400, area
//! normalised); CTranslate2 models do not carry it, so the converter computes it here
//! in `f64` exactly as librosa does and stores it as `f32`.

const SAMPLE_RATE: f64 = 16_000.0;
const N_FFT: usize = 400;
/// Number of frequency bins of a 400-point real FFT.
pub const N_BINS: usize = N_FFT / 2 + 1;

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / log_step()
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (log_step() * (mel - MIN_LOG_MEL)).exp()
    } else {
        F_SP * mel
    }
}

/// `n_mels × 201` weights, row-major.
pub fn filters(n_mels: usize) -> Vec<f32> {
    let nyquist = SAMPLE_RATE / 2.0;
    let fft_freqs: Vec<f64> = (0..N_BINS)
        .map(|bin| bin as f64 * nyquist / (N_BINS - 1) as f64)
        .collect();
    let (mel_min, mel_max) = (hz_to_mel(0.0), hz_to_mel(nyquist));
    let points = n_mels + 2;
    let mel_freqs: Vec<f64> = (0..points)
        .map(|index| mel_to_hz(mel_min + (mel_max - mel_min) * index as f64 / (points - 1) as f64))
        .collect();

    let mut weights = Vec::with_capacity(n_mels * N_BINS);
    for band in 0..n_mels {
        let (low, center, high) = (mel_freqs[band], mel_freqs[band + 1], mel_freqs[band + 2]);
        let norm = 2.0 / (high - low);
        for &freq in &fft_freqs {
            let rising = (freq - low) / (center - low);
            let falling = (high - freq) / (high - center);
            weights.push((rising.min(falling).max(0.0) * norm) as f32);
        }
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_librosa_reference_values() {
        // Values printed by librosa 0.11 `librosa.filters.mel(sr=16000, n_fft=400, n_mels=N)`.
        let bank = filters(80);
        assert_eq!(bank.len(), 80 * N_BINS);
        let at = |band: usize, bin: usize| bank[band * N_BINS + bin];
        assert!((at(0, 1) - 0.024_862_595).abs() < 1e-7, "{}", at(0, 1));
        assert!(
            (at(79, 199) - 0.000_448_759).abs() < 1e-8,
            "{}",
            at(79, 199)
        );
        assert_eq!(at(0, 2), 0.0);
        let sum: f64 = bank.iter().map(|&w| f64::from(w)).sum();
        assert!((sum - 1.999_024_2).abs() < 1e-5, "{sum}");

        let large = filters(128);
        assert!((large[1] - 0.012_373_987).abs() < 1e-7, "{}", large[1]);
        let sum: f64 = large.iter().map(|&w| f64::from(w)).sum();
        assert!((sum - 3.190_985_7).abs() < 1e-5, "{sum}");
    }

    #[test]
    fn mel_scale_round_trips() {
        for hz in [0.0, 440.0, 999.0, 1000.0, 4000.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-6);
        }
    }
}
