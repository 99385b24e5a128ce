# Sourced by the scripts that drive the real app (e2e-app.sh, bench-webview-memory.sh): an
# Xvfb display and tauri-driver sessions. The caller sets $work (a temporary folder, removed
# at exit) before sourcing.

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

# One tauri-driver per app session; the variables given are the driver's own, so its app's
# (and the app's engine's) too.
start_driver() {
  local port=$((4444 + RANDOM % 500))
  env "$@" tauri-driver --port "$port" --native-port $((port + 600)) >>"$work/driver.log" 2>&1 &
  driver=$!
  for _ in $(seq 1 50); do
    if curl -fs "http://127.0.0.1:$port/status" >/dev/null 2>&1; then break; fi
    sleep 0.2
  done
  export WEBDRIVER_URL="http://127.0.0.1:$port"
}
stop_driver() {
  kill -TERM "$driver" 2>/dev/null || true
  wait "$driver" 2>/dev/null || true
  driver=""
}
failed() {
  echo "${0##*/}: driver log:" >&2
  tail -n 40 "$work/driver.log" >&2
  exit 1
}
