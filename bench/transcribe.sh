#!/usr/bin/env bash
# Side-by-side transcription benchmark: vsl (whisper.cpp via whisper-rs) against faster-whisper,
# on the same CTranslate2 weights (converted by `vsl models import-ct2`), the same audio, the same
# thread count, greedy decoding, runs interleaved so machine load hits both alike.
#   ROUNDS=3 THREADS="1 2" bench/transcribe.sh        (after `make setup`)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
out="${BENCH_OUT:-$CACHE/bench/transcribe-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"

cargo build --quiet --release --workspace --bin vsl
vsl="$CARGO_TARGET_DIR/release/vsl"

for model in $MODELS; do
  for format in f16 bf16 q8_0; do
    name="$model-$format"; [ "$format" = f16 ] && name="$model"
    [ -f "$VSL_MODELS_DIR/ggml-$name.bin" ] || "$vsl" models import-ct2 "$TEST_DATA/ct2/$model" --name "$name" --quantize "$format"
  done
done

reference=crates/vsl-core/tests/fixtures/long_en.txt

results="$out/results.jsonl"
: > "$results"
for round in $(seq 1 "$ROUNDS"); do
  for threads in $THREADS; do
    for model in $MODELS; do
      echo "round $round/$ROUNDS, $threads threads: $model (load $(cut -d' ' -f1 /proc/loadavg))" >&2
      for variant in "$model" "$model-bf16" "$model-q8_0"; do
        "$vsl" bench transcribe --model "$variant" --audio "$long" --reference "$reference" \
          --language en --runs 1 --threads "$threads" >> "$results"
      done
      for words in "" --word-timestamps; do
        "$venv/bin/python" bench/peers/faster_whisper_bench.py --model-dir "$TEST_DATA/ct2/$model" \
          --name "$model" --audio "$long" --reference "$reference" --threads "$threads" $words >> "$results"
      done
    done
  done
done
python3 bench/summarise.py "$results" | tee "$out/table.md"
echo "raw results: $results" >&2
