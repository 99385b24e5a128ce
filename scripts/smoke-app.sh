#!/usr/bin/env bash
# Launches the real desktop app under Xvfb, waits for its window, checks that it is
# mapped with the right title, saves a screenshot and closes the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$CARGO_TARGET_DIR/debug/vsl-studio"
# The plain build (`make app`) must carry neither the end-to-end test's dialog stubs (the
# e2e-hooks feature) nor the engine's fault switch (fault-injection, which e2e-hooks turns
# on). grep -c, not grep -q in a pipe: pipefail would see grep's early exit.
[ -x "$bin" ] || { echo "smoke-app: no app at $bin; run make app" >&2; exit 1; }
for marker in VSL_TEST_PICK VSL_FAULT; do
  hooks="$(grep -a -c "$marker" "$bin" || true)"
  if [ "${hooks:-0}" != 0 ]; then
    echo "smoke-app: $bin contains $marker: it was built with a test feature; run make app" >&2
    exit 1
  fi
done
shots="${VSL_SCREENSHOTS:-${CACHE:-$HOME/.cache/vsl-studio}/screenshots}"
mkdir -p "$shots"
# The app's data, settings and cache go to a temporary folder, so the smoke run neither
# starts a person's watched folders nor touches their queue; models stay where setup put them.
export VSL_MODELS_DIR="${VSL_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/vsl-studio/models}"
work="$(mktemp -d /tmp/vsl-smoke.XXXXXX)"
export VSL_DATA_DIR="$work/data" VSL_CONFIG_DIR="$work/config" VSL_CACHE_DIR="$work/cache"
display=":$((90 + RANDOM % 9))"
Xvfb "$display" -screen 0 1280x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$app" "$xvfb" 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 1
DISPLAY="$display" WEBKIT_DISABLE_COMPOSITING_MODE=1 "$bin" >/tmp/vsl-smoke.log 2>&1 &
app=$!
for _ in $(seq 1 60); do
  if DISPLAY="$display" xwininfo -name "VSL Studio" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
if ! DISPLAY="$display" xwininfo -name "VSL Studio" | grep "IsViewable" >/dev/null; then
  echo "smoke-app: no viewable 'VSL Studio' window; app log:" >&2
  cat /tmp/vsl-smoke.log >&2
  exit 1
fi
sleep 4 # let the page fetch the model list over IPC and paint
DISPLAY="$display" import -window root "$shots/app.png"
kill -0 "$app" || { echo "smoke-app: the app exited" >&2; exit 1; }
echo "smoke-app: window 'VSL Studio' is up; screenshot at $shots/app.png"
echo "app-smoke: 1 passed, 0 failed"
