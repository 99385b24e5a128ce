#!/usr/bin/env bash
# Word start times of `vsl transcribe` and faster-whisper, side by side, against pocketsphinx
# forced alignments of real read speech (five LibriVox utterances + jfk.wav; `make setup`
# fetches them). Prints one line per engine and model: median, p90, p95, worst start error.
#   bench/word_timing.sh          (after `make setup`)
#   BASELINE_VSL=/path/to/older/vsl bench/word_timing.sh   (adds that build's line, same run)
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${CACHE:-$HOME/.cache/vsl-studio}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
TEST_DATA="${VSL_TEST_DATA:-$CACHE/test-data}"
out="${BENCH_OUT:-$CACHE/bench/word-timing-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out/clips"

venv="$CACHE/bench-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import faster_whisper, pocketsphinx" 2>/dev/null ||
  "$venv/bin/pip" install --quiet faster-whisper==1.2.1 pocketsphinx==5.1.1
cargo build --quiet --workspace --bin vsl
vsl="$CARGO_TARGET_DIR/debug/vsl"

while read -r id; do
  [ -n "$id" ] && cp "$TEST_DATA/librivox/$id.wav" "$out/clips/"
done < "$TEST_DATA/librivox/fileids"
cp "$TEST_DATA/jfk.wav" "$out/clips/"
# The jfk reference is named after its clip for the scorer.
mkdir -p "$out/refs" && cp crates/vsl-core/tests/fixtures/jfk.align.json "$out/refs/jfk.json"

for model in tiny.en base; do
  # A fresh cache: the transcript cache would otherwise answer for an older build.
  VSL_CACHE_DIR="$out/cache" "$vsl" transcribe --model "$model" --language en --out "$out/vsl-$model" \
    "$out"/clips/*.wav >/dev/null
  engines="vsl faster-whisper"
  if [ -n "${BASELINE_VSL:-}" ]; then
    VSL_CACHE_DIR="$out/cache-baseline" "$BASELINE_VSL" transcribe --model "$model" --language en \
      --out "$out/baseline-$model" "$out"/clips/*.wav >/dev/null
    engines="baseline $engines"
  fi
  "$venv/bin/python" bench/word_timing.py faster-whisper "$TEST_DATA/ct2/$model" "$out/faster-whisper-$model" \
    "$out"/clips/*.wav
  for engine in $engines; do
    "$venv/bin/python" bench/word_timing.py score "$out/$engine-$model" "$TEST_DATA/librivox" "$out/refs"
  done
done
