#!/usr/bin/env bash
# The engine's levers on and off, side by side with faster-whisper, in one interleaved run:
# a release `vsl` is built for each variant (VSL_PATCHES_OFF leaves our whisper.cpp patches
# out, whisper-patches/), and each round runs every variant and faster-whisper (int8, word
# timestamps) on the same audio, model and thread count. Whole-transcription times from
# `vsl bench transcribe` (DTW word timestamps are always on in vsl).
#   ROUNDS=3 THREADS="1 2" MODELS="tiny.en base" bench/levers.sh       (after `make setup`)
#   VARIANTS="on:- dtw-off:dtw-threads"   label:patches-left-out (- for none)
#   VARIANTS="on:- omp:-:openmp:OMP_WAIT_POLICY=passive blas:-:openblas"
#     label:patches-left-out[:vsl-core features, comma-separated[:VAR=value,... at run time]]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
VARIANTS="${VARIANTS:-on:- dtw-off:dtw-threads}"
# whisper-rs-sys's `openblas` feature wants OpenBLAS's headers named (Debian's libopenblas-dev).
export BLAS_INCLUDE_DIRS="${BLAS_INCLUDE_DIRS:-/usr/include/x86_64-linux-gnu/openblas-pthread}"
out="${BENCH_OUT:-$CACHE/bench/levers-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"

# One binary per variant; the build is put back to every patch on at the end. A variant with
# run-time variables gets a wrapper that sets them.
for variant in $VARIANTS; do
  IFS=: read -r label off features vars <<<"$variant"
  [ "$off" = - ] && off=""
  flags=()
  [ -n "${features:-}" ] && flags=(--features "$(sed 's/[^,]*/vsl-core\/&/g' <<<"$features")")
  VSL_PATCHES_OFF="$off" whisper-patches/check-build.sh
  VSL_PATCHES_OFF="$off" cargo build --quiet --release --workspace --bin vsl "${flags[@]}"
  bin="$out/vsl-$label"
  if [ -n "${vars:-}" ]; then
    bin="$out/vsl-$label.bin"
    printf '#!/bin/sh\nexec env %s "%s" "$@"\n' "${vars//,/ }" "$bin" >"$out/vsl-$label"
    chmod +x "$out/vsl-$label"
  fi
  cp "$CARGO_TARGET_DIR/release/vsl" "$bin"
  echo "$label: $("$out/vsl-$label" health --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["backend"])')" >&2
done
whisper-patches/check-build.sh

# The models as our converter makes them (bf16, the default).
for model in $MODELS; do
  [ -f "$VSL_MODELS_DIR/ggml-$model-bf16.bin" ] || "$out/vsl-${VARIANTS%%:*}" models import-ct2 "$TEST_DATA/ct2/$model" --name "$model-bf16" --quantize bf16
done

# The long clip (bench/lib.sh), then the five LibriVox utterances joined (real read speech).
join_librivox "$out"

# Same words and timings: each variant's transcripts against the first's (jfk, both clips).
first="${VARIANTS%% *}"; first="${first%%:*}"
for variant in $VARIANTS; do
  label="${variant%%:*}"
  for model in $MODELS; do
    "$out/vsl-$label" transcribe "$TEST_DATA/jfk.wav" "$long" "$librivox" --model "$model-bf16" \
      --language en --out "$out/words-$label-$model" >/dev/null 2>&1
  done
done
for variant in $VARIANTS; do
  label="${variant%%:*}"
  [ "$label" = "$first" ] && continue
  for model in $MODELS; do
    python3 - "$out/words-$first-$model" "$out/words-$label-$model" "$first" "$label" "$model" <<'PY' | tee -a "$out/same-words.txt"
import json, pathlib, sys
a, b = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
first, label, model = sys.argv[3:6]
words = lambda path: [w for s in json.load(open(path))["segments"] for w in s["words"]]
for file in sorted(a.glob("*.json")):
    x, y = words(file), words(b / file.name)
    same = [w["text"] for w in x] == [w["text"] for w in y]
    worst = max((abs(p["start"] - q["start"]) for p, q in zip(x, y)), default=0.0)
    print(f"{model} {file.stem}: {label} against {first}: {len(x)} words, same words {same}, worst start difference {worst:.3f} s")
PY
  done
done

results="$out/results.jsonl"
: > "$results"
for round in $(seq 1 "$ROUNDS"); do
  for threads in $THREADS; do
    for model in $MODELS; do
      for clip in long librivox; do
        audio="$long" reference=crates/vsl-core/tests/fixtures/long_en.txt
        [ "$clip" = librivox ] && audio="$librivox" reference="$out/librivox.txt"
        echo "round $round/$ROUNDS, $threads threads: $model on $clip (load $(cut -d' ' -f1 /proc/loadavg))" >&2
        for variant in $VARIANTS; do
          label="${variant%%:*}"
          bench_vsl "$out/vsl-$label" "$model-bf16" "$audio" "$reference" "$threads" "vsl-$label" "$clip" >> "$results"
        done
        bench_faster_whisper "$model" "$audio" "$reference" "$threads" "$clip" >> "$results"
      done
    done
  done
done
python3 bench/summarise.py "$results" | tee "$out/table.md"
echo "raw results: $results" >&2
