"""faster-whisper's encoder cost per 30 s window and its number of windows on a clip.

    python bench/peers/faster_whisper_split.py --model-dir DIR --audio A --threads 1
"""
import argparse
import time

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.audio import decode_audio


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--audio", required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    model = WhisperModel(args.model_dir, device="cpu", compute_type="int8", cpu_threads=args.threads)
    audio = decode_audio(args.audio)
    started = time.perf_counter()
    features = model.feature_extractor(audio)
    mel = time.perf_counter() - started
    window = ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None, :, :3000]))
    model.model.encode(window, to_cpu=True)  # warm-up
    encodes = []
    for _ in range(3):
        started = time.perf_counter()
        model.model.encode(window, to_cpu=True)
        encodes.append(time.perf_counter() - started)
    started = time.perf_counter()
    segments, _ = model.transcribe(args.audio, beam_size=1, best_of=1, vad_filter=False)
    segments = list(segments)
    total = time.perf_counter() - started
    windows = len({segment.seek for segment in segments})
    print(f"mel {mel:.3f} s, encoder {sorted(encodes)[1]:.3f} s per window, "
          f"transcribe {total:.3f} s over {windows} windows")


if __name__ == "__main__":
    main()
