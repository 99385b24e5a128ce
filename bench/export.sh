#!/usr/bin/env bash
# Side-by-side MP4 export benchmark: `vsl export` against the ffmpeg CLI concat-demuxer slideshow
# and MoviePy's ImageClip slideshow (bench/peers/), on the same 100 slides (1920x1080, rendered by
# `vsl slides`) and the same 10-minute voice-over, once as AAC (m4a) and once as WAV. Runs are
# interleaved so machine load hits every tool alike; each line of results.jsonl is one run.
#   ROUNDS=1 bench/export.sh                     (after `make setup`; MoviePy takes ~6 min a run)
#   TOOLS="vsl vsl-repeat0 vsl-repeat5 vsl-fps30" SOURCES=m4a ROUNDS=3 bench/export.sh
#   TOOLS="vsl vsl-music vsl-off vsl-music-off" SOURCES="wav m4a room" ROUNDS=3 bench/export.sh
#                                                                     (music bed and loudness)
#   TOOLS="vsl vsl-active vsl-bar" SOURCES=m4a ROUNDS=3 bench/export.sh  (looks: a picture per
#                                  spoken word; a progress bar, a picture every 0.5 s)
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${CACHE:-$HOME/.cache/vsl-studio}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
ROUNDS="${ROUNDS:-1}"
TOOLS="${TOOLS:-vsl ffmpeg moviepy}"
SOURCES="${SOURCES:-m4a wav}"
out="${BENCH_OUT:-$CACHE/bench/export-$(date +%Y%m%d-%H%M%S)}"
data="$CACHE/bench/export-data"
mkdir -p "$out" "$data"

if [[ " $TOOLS " == *" moviepy "* ]]; then
  venv="$CACHE/bench-moviepy-venv"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import moviepy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check moviepy==2.2.1
  fi
  # MoviePy drives the system ffmpeg, so all three use the same libx264 and AAC encoder.
  IMAGEIO_FFMPEG_EXE="$(command -v ffmpeg)"
  export IMAGEIO_FFMPEG_EXE
fi
cargo build --quiet --release --workspace --bin vsl
vsl="$CARGO_TARGET_DIR/release/vsl"

# The voice-over: espeak-ng reading tests/fixtures/long_en.txt, looped to 10 minutes, at
# 48 kHz stereo 16-bit (a typical export from an audio editor); the AAC copy at 160 kb/s.
if [ ! -f "$data/voiceover.wav" ]; then
  espeak-ng -v en-us -s 145 -f crates/vsl-core/tests/fixtures/long_en.txt -w "$data/speech.wav"
  sox "$data/speech.wav" -r 48000 -c 2 -b 16 "$data/voiceover.tmp.wav" repeat 5 trim 0 600
  mv "$data/voiceover.tmp.wav" "$data/voiceover.wav"
fi
# The same voice-over over a room's noise floor (pink noise at -60 dBFS), as a microphone
# records it: espeak-ng's pauses are digital silence, which FFmpeg's AAC encoder is slow on.
if [[ " $SOURCES " == *" room "* ]] && [ ! -f "$data/voiceover-room.wav" ]; then
  sox -n -r 48000 -c 2 -b 16 "$data/noise.tmp.wav" synth 600 pinknoise vol 0.001
  sox -m -v 1 "$data/voiceover.wav" -v 1 "$data/noise.tmp.wav" -b 16 "$data/voiceover-room.tmp.wav"
  mv "$data/voiceover-room.tmp.wav" "$data/voiceover-room.wav"
  rm -f "$data/noise.tmp.wav"
fi
if [ ! -f "$data/voiceover.m4a" ]; then
  ffmpeg -v error -y -i "$data/voiceover.wav" -c:a aac -b:a 160k -f mp4 "$data/voiceover.tmp.m4a"
  mv "$data/voiceover.tmp.m4a" "$data/voiceover.m4a"
fi
# The music bed for the vsl-music tools: 3 minutes of synthetic chords (three sines, a slow
# tremolo, a little pink noise for the high end) as a 44.1 kHz stereo MP3 at 192 kb/s, the
# way stock music is delivered; it is looped to the voice-over's length.
if [ ! -f "$data/music.mp3" ]; then
  sox -n -r 44100 -c 2 "$data/music.tmp.wav" synth 180 sine 220 sine 277 sine 330 pinknoise \
    tremolo 0.5 40 vol 0.6
  ffmpeg -v error -y -i "$data/music.tmp.wav" -c:a libmp3lame -b:a 192k "$data/music.tmp.mp3"
  mv "$data/music.tmp.mp3" "$data/music.mp3"
  rm -f "$data/music.tmp.wav"
fi
# 100 slides, one per sentence of a synthetic transcript, rendered like any job's.
deck="$data/slides/slides.json"
if [ ! -f "$deck" ]; then
  python3 bench/export_fixture.py crates/vsl-core/tests/fixtures/long_en.txt 100 600 > "$data/transcript.json"
  VSL_CONFIG_DIR="$data/config" "$vsl" slides "$data/transcript.json" --out "$data/slides" \
    --size 1920x1080 --no-global-glossary --cache-dir "$data/render-cache"
fi
# The same transcript drawn with two looks (docs/formats.md, "Looks"): the spoken word in its
# own colour (a picture per word), and a progress bar (a picture at least every 0.5 s).
for look in active bar; do
  if [[ " $TOOLS " == *" vsl-$look "* ]] && [ ! -f "$data/slides-$look/slides.json" ]; then
    mkdir -p "$data/look-$look"
    case $look in
      active) printf '[words]\nhighlight = "active"\nactive_color = "#FFC233"\n' ;;
      bar) printf '[progress]\ncolor = "#FFC233"\n' ;;
    esac >"$data/look-$look/look.toml"
    VSL_CONFIG_DIR="$data/config" "$vsl" slides "$data/transcript.json" --out "$data/slides-$look" \
      --size 1920x1080 --no-global-glossary --cache-dir "$data/render-cache" --look "$data/look-$look"
  fi
done
slides=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["slides"]))' "$deck")
echo "fixtures: $slides slides at 1920x1080, $(soxi -D "$data/voiceover.wav") s of audio; results in $out"

for round in $(seq "$ROUNDS"); do
  for source in $SOURCES; do
    audio="$data/voiceover.$source"
    [ "$source" = room ] && audio="$data/voiceover-room.wav"
    for tool in $TOOLS; do
      file="$out/$tool-$source-$round.mp4"
      load=$(cut -d' ' -f1 /proc/loadavg)
      start=$(date +%s.%N)
      case $tool in
        vsl) "$vsl" export "$deck" --audio "$audio" --out "$file" --overwrite >/dev/null ;;
        vsl-repeat*) "$vsl" export "$deck" --audio "$audio" --out "$file" --overwrite \
                       --repeat-every "${tool#vsl-repeat}" >/dev/null ;;
        vsl-fps*) "$vsl" export "$deck" --audio "$audio" --out "$file" --overwrite \
                    --fps "${tool#vsl-fps}" >/dev/null ;;
        vsl-off) "$vsl" export "$deck" --audio "$audio" --out "$file" --overwrite \
                   --loudness off >/dev/null ;;
        vsl-active|vsl-bar) "$vsl" export "$data/slides-${tool#vsl-}/slides.json" --audio "$audio" \
                              --out "$file" --overwrite >/dev/null ;;
        vsl-music) "$vsl" export "$deck" --audio "$audio" --out "$file" --overwrite \
                     --music "$data/music.mp3" >/dev/null ;;
        vsl-music-off) "$vsl" export "$deck" --audio "$audio" --out "$file" --overwrite \
                         --music "$data/music.mp3" --loudness off >/dev/null ;;
        ffmpeg) bench/peers/ffmpeg_slideshow.sh "$deck" "$audio" "$file" ;;
        moviepy) "$venv/bin/python" bench/peers/moviepy_slideshow.py "$deck" "$audio" "$file" ;;
        *) echo "unknown tool $tool" >&2; exit 2 ;;
      esac
      end=$(date +%s.%N)
      python3 - "$tool" "$source" "$start" "$end" "$file" "$load" "$slides" >> "$out/results.jsonl" <<'PY'
import json, os, subprocess, sys
tool, source, start, end, path, load, slides = sys.argv[1:]
probe = json.loads(subprocess.run(
    ["ffprobe", "-v", "error", "-of", "json", "-count_packets", "-show_entries",
     "format=duration:stream=codec_type,codec_name,nb_read_packets", path],
    capture_output=True, check=True, text=True).stdout)
video = next(s for s in probe["streams"] if s["codec_type"] == "video")
print(json.dumps({"tool": tool, "source": source, "wall_s": round(float(end) - float(start), 3),
                  "duration_s": float(probe["format"]["duration"]), "mb": os.path.getsize(path) / 1e6,
                  "frames": int(video["nb_read_packets"]), "load1": float(load), "slides": int(slides)}))
PY
      tail -n1 "$out/results.jsonl"
    done
  done
done
python3 bench/summarise_export.py "$out/results.jsonl" | tee "$out/table.md"
