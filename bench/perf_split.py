"""Where a `vsl bench transcribe` run spends its time, from a `perf record` call graph.

    perf record -F 499 --call-graph dwarf,16384 -o vsl.perf \
        $CARGO_TARGET_DIR/release/vsl bench transcribe --model tiny.en --audio A --runs 1 --threads 1
    python3 bench/perf_split.py vsl.perf [--kernels]

Each sample goes to the first matching stage (whisper.cpp 1.8 function names): DTW, encoder,
decoder, mel; percentages of the samples inside whisper_full on the calling thread.
`--kernels` also lists, per stage, the leaf functions (ggml kernels) that took the samples.
"""
import collections
import subprocess
import sys

STAGES = [
    ("DTW (its extra decoder pass + alignment)", "token_level_timestamps_dtw"),
    ("encoder", "whisper_encode_internal"),
    ("decoder (greedy steps and prompts)", "whisper_decode_internal"),
    ("log-mel spectrogram", "log_mel_spectrogram"),
]


def main():
    script = subprocess.run(
        ["perf", "script", "-i", sys.argv[1], "-F", "comm,tid,ip,sym", "--no-demangle"],
        capture_output=True, text=True, check=True,
    ).stdout
    counts = collections.Counter()
    kernels = collections.Counter()
    for block in script.split("\n\n"):
        stack = block.strip()
        if not stack:
            continue
        if "ggml_graph_compute_secondary_thread" in stack:
            counts["pool threads (other cores)"] += 1
        elif "whisper_full_with_state" not in stack:
            counts["outside whisper_full (load, audio decoding)"] += 1
        else:
            stage = next((name for name, symbol in STAGES if symbol in stack), "rest of whisper_full")
            counts[stage] += 1
            frames = stack.split("\n")[1:]
            if frames:
                leaf = frames[0].split(None, 1)[-1].split("+")[0]
                kernels[(stage, leaf)] += 1
    inside = sum(n for stage, n in counts.items() if not stage.startswith(("pool", "outside")))
    for stage, n in counts.most_common():
        share = "" if stage.startswith(("pool", "outside")) else f"{100 * n / inside:5.1f}% of whisper_full"
        print(f"{stage:45} {n:6d} samples  {share}")
    if "--kernels" in sys.argv[2:]:
        print()
        for (stage, leaf), n in kernels.most_common(30):
            print(f"{n:6d} {100 * n / inside:5.1f}%  {stage[:20]:20}  {leaf[:90]}")


if __name__ == "__main__":
    main()
