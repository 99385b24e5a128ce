"""faster-whisper, the peer to beat on CPU: same CTranslate2 weights, audio and threads as `vsl bench`.

Prints one JSON line per run in the format of `vsl bench transcribe`.
"""
import argparse
import json
import re
import time

from faster_whisper import WhisperModel


def normalize(text):
    words = (re.sub(r"[^\w']", "", w).lower() for w in text.split())
    return [w for w in words if w]


def wer(ref, hyp):
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref):
        diagonal, row[0] = row[0], i + 1
        for j, h in enumerate(hyp):
            diagonal, row[j + 1] = row[j + 1], min(diagonal + (r != h), row[j] + 1, row[j + 1] + 1)
    return row[len(hyp)] / max(len(ref), 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--audio", required=True)
    parser.add_argument("--reference")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (CTranslate2's CUDA build)")
    parser.add_argument("--word-timestamps", action="store_true")
    args = parser.parse_args()

    reference = normalize(open(args.reference).read()) if args.reference else None
    started = time.perf_counter()
    model = WhisperModel(args.model_dir, device=args.device, compute_type=args.compute_type, cpu_threads=args.threads)
    load = time.perf_counter() - started
    for run in range(args.runs):
        started = time.perf_counter()
        segments, info = model.transcribe(
            args.audio, beam_size=1, best_of=1, word_timestamps=args.word_timestamps, vad_filter=False
        )
        text = " ".join(segment.text for segment in segments)  # decoding happens while iterating
        seconds = time.perf_counter() - started
        print(json.dumps({
            "engine": f"faster-whisper {args.compute_type}" + (" +words" if args.word_timestamps else ""),
            "model": args.name,
            "threads": args.threads,
            "device": args.device,
            "run": run,
            "load_s": load,
            "audio_s": info.duration,
            "transcribe_s": seconds,
            "rtf": seconds / info.duration,
            "wer": wer(reference, normalize(text)) if reference else None,
        }), flush=True)


if __name__ == "__main__":
    main()
