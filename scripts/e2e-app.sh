#!/usr/bin/env bash
# End-to-end test of the real app: Xvfb + tauri-driver (+ WebKitWebDriver) drive the
# debug build through ui/e2e/app.e2e.mjs with a real model (tiny.en for speed) and
# jfk.wav. Data, cache and exports go to a temporary folder; models come from the
# user's store, where `make setup` installed them. Screenshots: $VSL_SCREENSHOTS.
set -euo pipefail
cd "$(dirname "$0")/.."
export VSL_APP_BIN="${VSL_APP_BIN:-$CARGO_TARGET_DIR/debug/vsl-studio}"
export VSL_E2E_AUDIO="${VSL_E2E_AUDIO:-${VSL_TEST_DATA:-$HOME/.cache/vsl-studio/test-data}/jfk.wav}"
export VSL_SCREENSHOTS="${VSL_SCREENSHOTS:-${CACHE:-$HOME/.cache/vsl-studio}/screenshots}"
export VSL_MODEL="${VSL_E2E_MODEL:-tiny.en}"
# The models stay where setup put them even though the data folder moves below.
export VSL_MODELS_DIR="${VSL_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/vsl-studio/models}"

for tool in tauri-driver WebKitWebDriver Xvfb ffprobe; do
  command -v "$tool" >/dev/null || { echo "e2e-app: $tool is missing; run make setup" >&2; exit 1; }
done

work="$(mktemp -d /tmp/vsl-e2e.XXXXXX)"
export VSL_DATA_DIR="$work/data" VSL_CACHE_DIR="$work/cache" VSL_CONFIG_DIR="$work/config"
# The folder dialog answers in turn: the export folder, then a watched folder and its output.
export VSL_TEST_PICK_FILES="$VSL_E2E_AUDIO" VSL_TEST_PICK_FOLDER="$work/export:$work/inbox:$work/out"
mkdir -p "$work/export" "$work/inbox" "$work/out"

display=":$((100 + RANDOM % 50))"
Xvfb "$display" -screen 0 1366x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
driver=""
cleanup() {
  # SIGTERM (not SIGKILL) lets tauri-driver stop WebKitWebDriver with it.
  if [ -n "$driver" ]; then kill -TERM "$driver" 2>/dev/null || true; wait "$driver" 2>/dev/null || true; fi
  kill "$xvfb" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export DISPLAY="$display" WEBKIT_DISABLE_COMPOSITING_MODE=1

port=$((4444 + RANDOM % 500))
tauri-driver --port "$port" --native-port $((port + 600)) >"$work/driver.log" 2>&1 &
driver=$!
for _ in $(seq 1 50); do
  if curl -fs "http://127.0.0.1:$port/status" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
WEBDRIVER_URL="http://127.0.0.1:$port" node ui/e2e/app.e2e.mjs || {
  echo "e2e-app: driver log:" >&2
  tail -n 40 "$work/driver.log" >&2
  exit 1
}
