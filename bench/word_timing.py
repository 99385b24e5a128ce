#!/usr/bin/env python3
"""Word-timing accuracy against a forced alignment of real read speech.

    word_timing.py align WAV "known text"          # pocketsphinx forced alignment, as JSON
    word_timing.py faster-whisper CT2_DIR OUT CLIP...  # the peer's word times, as transcript JSON
    word_timing.py score OUT REF_DIR...            # start errors of OUT/<clip>.json vs <clip>.json refs

The references are pocketsphinx 5.1.1 alignments (its LibriVox test data, and jfk made with
`align`); a word counts when both sides have it in the same order (difflib matching blocks).
Run through bench/word_timing.sh, which makes the venv and the transcripts.
"""
import difflib
import json
import os
import re
import statistics
import sys
import wave


def align(wav, text):
    from pocketsphinx import Decoder

    with wave.open(wav) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1, "16 kHz mono WAV only"
        data = w.readframes(w.getnframes())
    decoder = Decoder(samprate=16000, bestpath=False)
    decoder.set_align_text(text)
    decoder.start_utt()
    decoder.process_raw(data, full_utt=True)
    decoder.end_utt()
    words = [{"t": s.word, "b": s.start_frame / 100, "d": (s.end_frame - s.start_frame + 1) / 100}
             for s in decoder.seg()]
    print(json.dumps({"t": text, "w": words}))


def faster_whisper(model_dir, out, clips):
    from faster_whisper import WhisperModel

    os.makedirs(out, exist_ok=True)
    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=2)
    for clip in clips:
        segments, _ = model.transcribe(clip, language="en", beam_size=1, word_timestamps=True,
                                       condition_on_previous_text=False)
        words = [{"text": w.word.strip(), "start": w.start, "end": w.end} for s in segments for w in s.words]
        name = os.path.splitext(os.path.basename(clip))[0]
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            json.dump({"segments": [{"words": words}]}, f)


def key(text):
    return re.sub(r"[^a-z0-9']", "", re.sub(r"\(\d+\)$", "", text).lower())


def score(out, ref_dirs):
    errors = []
    words = 0
    for name in sorted(os.listdir(out)):
        ref = next((os.path.join(d, name) for d in ref_dirs if os.path.isfile(os.path.join(d, name))), None)
        if not name.endswith(".json") or ref is None:
            continue
        reference = [(key(w["t"]), w["b"]) for w in json.load(open(ref))["w"]
                     if not w["t"].startswith(("<", "(", "["))]
        heard = [(key(w["text"]), w["start"]) for s in json.load(open(os.path.join(out, name)))["segments"]
                 for w in s["words"] if key(w["text"])]
        words += len(reference)
        blocks = difflib.SequenceMatcher(a=[r[0] for r in reference], b=[h[0] for h in heard], autojunk=False)
        for a, b, n in blocks.get_matching_blocks():
            errors += [abs(heard[b + i][1] - reference[a + i][1]) for i in range(n)]
    errors.sort()
    q = lambda f: errors[round((len(errors) - 1) * f)]
    print(f"{out}: {len(errors)} of {words} words, start error median {statistics.median(errors):.3f} s, "
          f"p90 {q(0.9):.3f} s, p95 {q(0.95):.3f} s, worst {errors[-1]:.3f} s")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"align": lambda: align(*args), "faster-whisper": lambda: faster_whisper(args[0], args[1], args[2:]),
     "score": lambda: score(args[0], args[1:])}[command]()
