#!/usr/bin/env bash
# whisper-rs-sys builds whisper.cpp once per target folder and never notices a changed patch
# here, a changed GGML_* setting in .cargo/config.toml, or a GGML_*/WHISPER_*/CMAKE_* variable
# or VSL_PATCHES_OFF in the environment. So this keeps their digest beside the build, and
# when it differs removes whisper-rs-sys's build (both profiles), which the next cargo build
# makes again, patched.
# scripts/setup.sh runs it before every build; run it yourself after changing a patch.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
digest="$({
  cat whisper-patches/apply.cmake whisper-patches/patches/*.cmake .cargo/config.toml
  env | grep -E '^(GGML|WHISPER|CMAKE)_' | sort || true
  echo "VSL_PATCHES_OFF=${VSL_PATCHES_OFF:-}"
} | sha256sum | cut -c1-64)"
stamp="$target/whisper-patches.digest"
[ "$(cat "$stamp" 2>/dev/null || true)" = "$digest" ] && exit 0
if [ -d "$target/debug/build" ] || [ -d "$target/release/build" ]; then
  echo "whisper-patches: the patches or the build settings changed: whisper.cpp will be built again"
  cargo clean --quiet -p whisper-rs-sys
  cargo clean --quiet --release -p whisper-rs-sys
fi
mkdir -p "$target"
echo "$digest" >"$stamp"
