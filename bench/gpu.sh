#!/usr/bin/env bash
# GPU benchmark (`make bench-gpu`): vsl on the GPU against vsl on the CPU and, where
# CTranslate2 sees CUDA, faster-whisper on the GPU; jfk (11 s) and a 10-minute read, tiny.en
# and base, word timestamps on every side, greedy. Prints one JSON line a run and a table.
# Meant for a machine with an NVIDIA GPU and the CUDA toolkit (nvcc); made to finish within
# 10 minutes there after `make setup`. BACKEND=vulkan measures the Vulkan build instead (with
# GGML_VK_VISIBLE_DEVICES=0 it runs on lavapipe, which checks the script, not a GPU's speed).
#   bench/gpu.sh                          BACKEND=vulkan MODELS=tiny.en LONG=0 bench/gpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
BACKEND="${BACKEND:-cuda}"
LONG="${LONG:-1}"
out="${BENCH_OUT:-$CACHE/bench/gpu-$BACKEND-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"

if [ -z "${VSL_BIN:-}" ]; then
  cargo build --quiet --release -p vsl-cli --bin vsl --features "vsl-cli/$BACKEND"
  VSL_BIN="$CARGO_TARGET_DIR/release/vsl"
fi
"$VSL_BIN" health | grep -E '^(device|gpu) ' | tee "$out/devices.txt"
grep -q '^gpu ' "$out/devices.txt" || { echo "bench-gpu: the $BACKEND build sees no GPU here" >&2; exit 1; }

for model in $MODELS; do
  [ -f "$VSL_MODELS_DIR/ggml-$model.bin" ] || "$VSL_BIN" models import-ct2 "$TEST_DATA/ct2/$model" --name "$model" --quantize f16
done

clips=("$TEST_DATA/jfk.wav")
references=("")
if [ "$LONG" = 1 ]; then
  # Ten minutes: espeak-ng's 128 s read, five times over.
  ten="$TEST_DATA/generated/long_en_x5.wav"
  [ -f "$ten" ] || ffmpeg -v error -stream_loop 4 -i "$long" -c copy "$ten"
  yes "$(cat crates/vsl-core/tests/fixtures/long_en.txt)" | head -n 5 >"$out/long_x5.txt"
  clips+=("$ten")
  references+=("$out/long_x5.txt")
fi

# faster-whisper on CUDA only where its CTranslate2 build can use it.
peer_cuda=0
if "$venv/bin/python" -c "import ctranslate2, sys; sys.exit(0 if ctranslate2.get_cuda_device_count() > 0 else 1)" 2>/dev/null; then
  peer_cuda=1
fi

results="$out/results.jsonl"
: >"$results"
threads="$(nproc)"
for model in $MODELS; do
  for index in "${!clips[@]}"; do
    clip="${clips[$index]}"
    reference=()
    [ -n "${references[$index]}" ] && reference=(--reference "${references[$index]}")
    echo "$model on $(basename "$clip")" >&2
    # The first GPU run also compiles the backend's kernels or pipelines: a warm-up run first.
    for device in auto cpu; do
      "$VSL_BIN" bench transcribe --model "$model" --audio "$clip" "${reference[@]}" --language en \
        --runs 2 --threads "$threads" --device "$device" | tail -n 1 >>"$results"
    done
    if [ "$peer_cuda" = 1 ]; then
      "$venv/bin/python" bench/peers/faster_whisper_bench.py --model-dir "$TEST_DATA/ct2/$model" \
        --name "$model" --audio "$clip" "${reference[@]}" --threads "$threads" --runs 2 \
        --device cuda --compute-type float16 --word-timestamps | tail -n 1 >>"$results"
    fi
  done
done

python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print(f"{'model':8} {'audio s':>8} {'engine':28} {'device':44} {'RTF':>7} {'WER':>6}")
for row in rows:
    wer = row.get("wer")
    print(f"{row['model']:8} {row['audio_s']:8.1f} {row['engine']:28} {str(row.get('device'))[:44]:44} "
          f"{row['rtf']:7.4f} {'' if wer is None else f'{wer:.1%}':>6}")
PY
echo "results: $results"
