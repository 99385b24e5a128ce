#!/usr/bin/env bash
# Benchmark: the webview's peak memory with an hour-long job open in the real app (Xvfb +
# tauri-driver, ui/e2e/memory.bench.mjs). The job is made here as the pipeline would leave it:
# 60 minutes of audio (AAC), a synthetic transcript of one 6 s sentence per slide
# (bench/export_fixture.py) and its 600 slides rendered at 1920x1080 by `vsl slides`, in a
# finished job of a fresh data folder. Prints each app process's peak (VmHWM).
#   SLIDES=600 MINUTES=60 scripts/bench-webview-memory.sh      (after `make setup`)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${CACHE:-$HOME/.cache/vsl-studio}/target}"
SLIDES="${SLIDES:-600}"
MINUTES="${MINUTES:-60}"
if [ -z "${VSL_APP_BIN:-}" ]; then
  cargo build --workspace --bin vsl-studio --bin vsl
  export VSL_APP_BIN="$CARGO_TARGET_DIR/debug/vsl-studio"
fi
vsl="$(dirname "$VSL_APP_BIN")/vsl"

work="$(mktemp -d /tmp/vsl-memory.XXXXXX)"
export VSL_DATA_DIR="$work/data" VSL_CACHE_DIR="$work/cache" VSL_CONFIG_DIR="$work/config"
export VSL_MODELS_DIR="${VSL_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/vsl-studio/models}"
job="$VSL_DATA_DIR/jobs/bench"
mkdir -p "$job" "$VSL_CONFIG_DIR"
audio="$work/hour.m4a"
ffmpeg -v error -f lavfi -i "sine=frequency=220:sample_rate=48000:duration=$((MINUTES * 60))" -c:a aac -b:a 96k "$audio"
python3 bench/export_fixture.py crates/vsl-core/tests/fixtures/long_en.txt "$SLIDES" "$((MINUTES * 60))" >"$work/transcript.json"
# Where the app keeps a dropped job's slides (JobRecord::deck_dir).
"$vsl" slides "$work/transcript.json" --out "$job/slides_slides" --cache-dir "$VSL_CACHE_DIR" >/dev/null
python3 - "$audio" "$job" >"$VSL_DATA_DIR/jobs/queue.json" <<'PY'
import json, sys
audio, job = sys.argv[1:]
print(json.dumps([{"id": "bench", "name": "hour.m4a", "input": audio, "workDir": job,
                   "status": "done", "error": None}]))
PY

# shellcheck source=scripts/webdriver-lib.sh
source scripts/webdriver-lib.sh
start_driver
VSL_BENCH_SLIDES="$SLIDES" node ui/e2e/memory.bench.mjs || failed
stop_driver
