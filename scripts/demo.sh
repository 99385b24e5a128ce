#!/usr/bin/env bash
# Runs the whole pipeline headless on the JFK sample the set-up fetched (transcribe, correct,
# slides, render, export) and prints where the MP4 and the other outputs are.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${VSL_DEMO_OUT:-$(mktemp -d -t vsl-demo-XXXX)}"
cargo build --quiet --workspace --bin vsl
"$CARGO_TARGET_DIR/debug/vsl" run "$VSL_TEST_DATA/jfk.wav" --out "$out" --overwrite
echo
echo "MP4: $out/jfk.mp4"
echo "subtitles: $out/jfk.srt $out/jfk.vtt; text: $out/jfk.txt; transcript + slides: $out/jfk.json"
echo "slides (edit, then re-export): $out/jfk_slides/slides.json"
echo "  vsl export $out/jfk_slides/slides.json --audio $VSL_TEST_DATA/jfk.wav --out $out/jfk-edited.mp4"
