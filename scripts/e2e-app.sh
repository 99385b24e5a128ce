#!/usr/bin/env bash
# End-to-end test of the real app: Xvfb + tauri-driver (+ WebKitWebDriver) drive a
# debug build with the `e2e-hooks` feature (the Open dialogs, the script's and the music's included,
# answer from the VSL_TEST_PICK_* variables below) through ui/e2e/app.e2e.mjs, with a real model
# (tiny.en for speed, set in the test's settings.toml) and jfk.wav. Data, settings,
# cache and exports go to a temporary folder; models come from the user's store, where
# `make setup` installed them. Then ui/e2e/restart.e2e.mjs kills the app mid-export and
# starts it again. Screenshots: $VSL_SCREENSHOTS. Needs ui-dist (make ui).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${CACHE:-$HOME/.cache/vsl-studio}/target}"
if [ -z "${VSL_APP_BIN:-}" ]; then
  # --workspace: the feature resolution of `make app`, so only the app crate is rebuilt.
  # The binary replaces the plain one in the same place; `make app` puts that back.
  cargo build --workspace --bin vsl-studio --features vsl-studio/e2e-hooks
  export VSL_APP_BIN="$CARGO_TARGET_DIR/debug/vsl-studio"
fi
# The hooks' variable names are in the binary only when the feature is (smoke-app.sh checks
# the plain build has none).
[ -x "$VSL_APP_BIN" ] || { echo "e2e-app: no app at $VSL_APP_BIN" >&2; exit 1; }
hooks="$(grep -a -c VSL_TEST_PICK_FOLDER "$VSL_APP_BIN" || true)"
if [ "${hooks:-0}" = 0 ]; then
  echo "e2e-app: $VSL_APP_BIN was built without the e2e-hooks feature" >&2
  exit 1
fi
export VSL_E2E_AUDIO="${VSL_E2E_AUDIO:-${VSL_TEST_DATA:-$HOME/.cache/vsl-studio/test-data}/jfk.wav}"
export VSL_SCREENSHOTS="${VSL_SCREENSHOTS:-${CACHE:-$HOME/.cache/vsl-studio}/screenshots}"
# The models stay where setup put them even though the data folder moves below.
export VSL_MODELS_DIR="${VSL_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/vsl-studio/models}"

for tool in tauri-driver WebKitWebDriver Xvfb ffprobe; do
  command -v "$tool" >/dev/null || { echo "e2e-app: $tool is missing; run make setup" >&2; exit 1; }
done

work="$(mktemp -d /tmp/vsl-e2e.XXXXXX)"
export VSL_DATA_DIR="$work/data" VSL_CACHE_DIR="$work/cache" VSL_CONFIG_DIR="$work/config"
# The app's settings pick the model (the other settings keep their defaults).
mkdir -p "$VSL_CONFIG_DIR"
printf 'model = "%s"\n' "${VSL_E2E_MODEL:-tiny.en}" >"$VSL_CONFIG_DIR/settings.toml"
# The folder dialog answers in turn: the export folder, the export with music's, the export
# with a look's, then a watched folder and its output. The script dialog answers a file the
# test writes, the music dialog a steady tone made here, the look's image dialog an orange
# logo made here.
export VSL_TEST_PICK_FILES="$VSL_E2E_AUDIO"
export VSL_TEST_PICK_FOLDER="$work/export:$work/export-music:$work/export-look:$work/inbox:$work/out"
export VSL_TEST_PICK_SCRIPT="$work/speech.md" VSL_TEST_PICK_MUSIC="$work/bed.wav"
export VSL_TEST_PICK_ASSET="$work/logo.png"
mkdir -p "$work/export" "$work/export-music" "$work/export-look" "$work/inbox" "$work/out"
ffmpeg -v error -f lavfi -i "aevalsrc=0.5*sin(2*PI*330*t):s=44100:d=4" -ac 2 "$work/bed.wav"
ffmpeg -v error -f lavfi -i "color=c=0xFF6600:s=128x128" -frames:v 1 "$work/logo.png"

# shellcheck source=scripts/webdriver-lib.sh
source scripts/webdriver-lib.sh

# VSL_E2E_ONLY=restart runs the restart test alone (for working on it).
if [ "${VSL_E2E_ONLY:-}" != restart ]; then
  start_driver
  node ui/e2e/app.e2e.mjs || failed
  stop_driver
fi

# Restart safety: the app killed mid-export (its engine stalled there by the test-only fault
# switch), then started again on the same, fresh, data folder (ui/e2e/restart.e2e.mjs).
restart="$work/restart"
export VSL_DATA_DIR="$restart/data" VSL_CACHE_DIR="$restart/cache" VSL_CONFIG_DIR="$restart/config"
export VSL_TEST_PICK_FOLDER="$restart/export"
mkdir -p "$VSL_CONFIG_DIR" "$VSL_TEST_PICK_FOLDER"
# Fresh settings: the first test's have its watched folder.
printf 'model = "%s"\n' "${VSL_E2E_MODEL:-tiny.en}" >"$VSL_CONFIG_DIR/settings.toml"
start_driver VSL_FAULT=stall:export
node ui/e2e/restart.e2e.mjs kill || failed
stop_driver
start_driver
node ui/e2e/restart.e2e.mjs resume || failed
stop_driver
