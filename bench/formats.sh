#!/usr/bin/env bash
# The weight formats our converter can write (f16, bf16, q8_0), side by side with
# faster-whisper, in one interleaved run on this CPU: which one `--quantize auto` should pick
# here (WeightFormat::best_for_this_cpu). One release `vsl`, the long clip and the LibriVox
# join (as bench/levers.sh makes it), whole-transcription times from `vsl bench transcribe`.
#   ROUNDS=2 THREADS="1 2" MODELS="tiny.en base" FORMATS="bf16 q8_0" bench/formats.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
FORMATS="${FORMATS:-bf16 q8_0}"
out="${BENCH_OUT:-$CACHE/bench/formats-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
cargo build --quiet --release --workspace --bin vsl
vsl="$out/vsl"
cp "$CARGO_TARGET_DIR/release/vsl" "$vsl"
for model in $MODELS; do
  for format in $FORMATS; do
    [ -f "$VSL_MODELS_DIR/ggml-$model-$format.bin" ] ||
      "$vsl" models import-ct2 "$TEST_DATA/ct2/$model" --name "$model-$format" --quantize "$format" >/dev/null
  done
done
join_librivox "$out"

results="$out/results.jsonl"
: > "$results"
for round in $(seq 1 "$ROUNDS"); do
  for threads in $THREADS; do
    for model in $MODELS; do
      for clip in long librivox; do
        audio="$long" reference=crates/vsl-core/tests/fixtures/long_en.txt
        [ "$clip" = librivox ] && audio="$librivox" reference="$out/librivox.txt"
        echo "round $round/$ROUNDS, $threads threads: $model on $clip (load $(cut -d' ' -f1 /proc/loadavg))" >&2
        for format in $FORMATS; do
          bench_vsl "$vsl" "$model-$format" "$audio" "$reference" "$threads" "vsl-$format" "$clip" >> "$results"
        done
        bench_faster_whisper "$model" "$audio" "$reference" "$threads" "$clip" >> "$results"
      done
    done
  done
done
python3 bench/summarise.py "$results" | tee "$out/table.md"
echo "raw results: $results" >&2
