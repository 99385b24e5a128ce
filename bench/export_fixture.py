"""Writes a synthetic transcript for the export benchmark: N sentences, one every
DURATION/N seconds, each ending in a full stop so `vsl slides` cuts one slide per sentence.

    python3 bench/export_fixture.py TEXT_FILE SLIDES DURATION > transcript.json
"""
import json
import sys

text_file, count, duration = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
words = open(text_file).read().replace(".", "").replace(",", "").split()
span = duration / count
segments = []
cursor = 0
for index in range(count):
    chosen = [words[(cursor + k) % len(words)] for k in range(9)]
    cursor += 9
    chosen[0] = chosen[0].capitalize()
    chosen[-1] += "."
    start = index * span
    # Speech fills 90% of the slot; the rest is the pause before the next sentence.
    step = span * 0.9 / len(chosen)
    timed = [
        {"text": word, "start": round(start + k * step, 3),
         "end": round(start + (k + 1) * step, 3), "probability": 0.95}
        for k, word in enumerate(chosen)
    ]
    segments.append({"start": timed[0]["start"], "end": timed[-1]["end"],
                     "text": " ".join(chosen), "words": timed})
json.dump({"language": "en", "duration": duration, "model": "synthetic",
           "segments": segments}, sys.stdout, indent=1)
