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

# The five LibriVox utterances of the test data joined into DIR/librivox.wav, with their text
# in DIR/librivox.txt (24.7 s of real read speech); sets $librivox.
join_librivox() {
  local dir="$1" clips inputs=() clip
  librivox="$dir/librivox.wav"
  mapfile -t clips < <(ls "$TEST_DATA"/librivox/*.wav)
  for clip in "${clips[@]}"; do inputs+=(-i "$clip"); done
  ffmpeg -v error -y "${inputs[@]}" -filter_complex "concat=n=${#clips[@]}:v=0:a=1" -ar 16000 -ac 1 "$librivox"
  cat "$TEST_DATA"/librivox/*.txt | tr -d '\n' | tr -s ' ' > "$dir/librivox.txt"
}

# One `vsl bench transcribe` run as a JSON line tagged with ENGINE and CLIP:
#   bench_vsl VSL MODEL AUDIO REFERENCE THREADS ENGINE CLIP
bench_vsl() {
  "$1" bench transcribe --model "$2" --audio "$3" --reference "$4" --language en --runs 1 --threads "$5" \
    | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r['engine']='$6'; r['file']='$7'; print(json.dumps(r))"
}

# faster-whisper (int8, word timestamps) on the same, tagged with CLIP:
#   bench_faster_whisper MODEL AUDIO REFERENCE THREADS CLIP
bench_faster_whisper() {
  "$venv/bin/python" bench/peers/faster_whisper_bench.py --model-dir "$TEST_DATA/ct2/$1" \
    --name "$1" --audio "$2" --reference "$3" --threads "$4" --word-timestamps \
    | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r['file']='$5'; print(json.dumps(r))"
}
