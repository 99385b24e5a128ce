#!/usr/bin/env bash
# Runs the pipeline headless on the JFK sample the set-up fetched and prints where the output is.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${VSL_DEMO_OUT:-$(mktemp -d -t vsl-demo-XXXX)}"
cargo build --quiet --workspace --bin vsl
"$CARGO_TARGET_DIR/debug/vsl" transcribe "$VSL_TEST_DATA/jfk.wav" --out "$out"
echo
echo "transcript: $out/jfk.json"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print(" ".join(s["text"] for s in t["segments"]))' "$out/jfk.json"
