# Shared by the transcription benchmarks (sourced, not run): where things live, the peer's
# Python environment and the long espeak-ng clip, so every bench measures the same audio.
CACHE="${CACHE:-$HOME/.cache/vsl-studio}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
TEST_DATA="${VSL_TEST_DATA:-$CACHE/test-data}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-1 2}"
MODELS="${MODELS:-tiny.en base}"
export VSL_MODELS_DIR="$CACHE/bench-models"

# faster-whisper, pinned, in its own venv (the peer every transcription figure is set against).
venv="$CACHE/bench-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import faster_whisper" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet faster-whisper==1.2.1
fi

# espeak-ng's 128 s read of long_en.txt.
long="$TEST_DATA/generated/long_en_v1.wav"
[ -f "$long" ] || espeak-ng -v en-us -s 145 -f crates/vsl-core/tests/fixtures/long_en.txt -w "$long"
