#!/usr/bin/env bash
# Time from launching the app to its window being viewable, under Xvfb.
# Usage: scripts/bench-app-startup.sh [BINARY] [RUNS]; prints one figure per run and the
# median. Xvfb polls cost a few ms each, so figures are upper bounds to about 20 ms.
set -euo pipefail
bin="${1:-$CARGO_TARGET_DIR/debug/vsl-studio}"
runs="${2:-5}"
display=":$((150 + RANDOM % 40))"
Xvfb "$display" -screen 0 1280x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2>/dev/null || true' EXIT
sleep 1
times=()
for _ in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  DISPLAY="$display" WEBKIT_DISABLE_COMPOSITING_MODE=1 "$bin" >/dev/null 2>&1 &
  app=$!
  deadline=$(($(date +%s) + 30))
  # grep reads all of xwininfo's output: with pipefail, `grep -q` could end the pipe early,
  # and xwininfo's SIGPIPE would make a viewable window look absent.
  until DISPLAY="$display" xwininfo -name "VSL Studio" 2>/dev/null | grep IsViewable >/dev/null; do
    if ! kill -0 "$app" 2>/dev/null; then
      # Seen under heavy load: Xvfb refused the connection and GTK could not start.
      echo "the app exited before showing its window" >&2
      exit 1
    fi
    if [ "$(date +%s)" -gt "$deadline" ]; then
      echo "no viewable window within 30 s" >&2
      kill "$app" 2>/dev/null || true
      exit 1
    fi
    sleep 0.01
  done
  ms=$((($(date +%s%N) - start) / 1000000))
  times+=("$ms")
  echo "window viewable after $ms ms"
  kill "$app"; wait "$app" 2>/dev/null || true
  sleep 0.5
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median: $median ms over $runs runs ($bin)"
