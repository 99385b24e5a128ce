#!/usr/bin/env bash
# Captions over the video: `vsl export --over-video` against what a user would run instead,
# the ffmpeg CLI burning our SRT in with libass (`-vf subtitles=`), on the same 2-minute 1080p
# clip (testsrc2 at 25 fps with an espeak-ng voice-over as AAC). Both use libx264 with preset
# veryfast at CRF 20 and copy the AAC track. Runs are interleaved so machine load hits both
# alike; each line of results.jsonl is one run. Also writes the README's screenshot.
#   ROUNDS=3 bench/overvideo.sh                        (after `make setup`)
#   VSL_BIN=target/release/vsl ROUNDS=3 bench/overvideo.sh   (an already built binary)
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${CACHE:-$HOME/.cache/vsl-studio}"
ROUNDS="${ROUNDS:-3}"
TOOLS="${TOOLS:-vsl ffmpeg}"
out="${BENCH_OUT:-$CACHE/bench/overvideo-$(date +%Y%m%d-%H%M%S)}"
data="$CACHE/bench/overvideo-data"
mkdir -p "$out" "$data"

if [ -z "${VSL_BIN:-}" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
  cargo build --quiet --release --workspace --bin vsl
  VSL_BIN="$CARGO_TARGET_DIR/release/vsl"
fi
vsl="$VSL_BIN"
filters=$(ffmpeg -hide_banner -filters 2>/dev/null)
if ! grep -q ' subtitles ' <<<"$filters"; then
  echo "this ffmpeg has no subtitles filter (libass); install Debian's ffmpeg" >&2
  exit 2
fi

# The clip: 120 s of testsrc2 (moving bars, a counter, noise: hard to compress, like camera
# footage) at 1920x1080, 25 fps, H.264 CRF 18, with an espeak-ng voice-over as AAC.
clip="$data/clip.mp4"
if [ ! -f "$clip" ]; then
  espeak-ng -v en-us -s 145 -f crates/vsl-core/tests/fixtures/long_en.txt -w "$data/speech.wav"
  ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=25 -stream_loop -1 \
    -i "$data/speech.wav" -t 120 -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p \
    -c:a aac -b:a 128k "$data/clip.tmp.mp4"
  mv "$data/clip.tmp.mp4" "$clip"
fi
# 30 slides (one every 4 s) cut from a synthetic transcript, and our SRT of them, which is
# what the ffmpeg side burns in.
deck="$data/slides/slides.json"
if [ ! -f "$deck" ]; then
  python3 bench/export_fixture.py crates/vsl-core/tests/fixtures/long_en.txt 30 120 > "$data/transcript.json"
  VSL_CONFIG_DIR="$data/config" "$vsl" slides "$data/transcript.json" --out "$data/slides" \
    --size 1920x1080 --no-global-glossary --cache-dir "$data/render-cache" >/dev/null
fi
srt="$data/ours.srt"
"$vsl" export "$deck" --audio "$clip" --formats srt --out "$data/ours.mp4" --overwrite >/dev/null
echo "fixtures: $(ffprobe -v error -show_entries format=duration -of csv=p=0 "$clip") s of 1080p25; results in $out"

for round in $(seq "$ROUNDS"); do
  for tool in $TOOLS; do
    file="$out/$tool-$round.mp4"
    load=$(cut -d' ' -f1 /proc/loadavg)
    start=$(date +%s.%N)
    case $tool in
      vsl) /usr/bin/time -f '%U %S' -o "$out/cpu.txt" \
             "$vsl" export "$deck" --audio "$clip" --over-video --out "$file" --overwrite >/dev/null ;;
      ffmpeg) /usr/bin/time -f '%U %S' -o "$out/cpu.txt" \
                ffmpeg -v error -y -i "$clip" -vf "subtitles=$srt" -c:v libx264 -preset veryfast \
                -crf 20 -c:a copy "$file" ;;
      *) echo "unknown tool $tool" >&2; exit 2 ;;
    esac
    end=$(date +%s.%N)
    python3 - "$tool" "$start" "$end" "$file" "$load" "$(cat "$out/cpu.txt")" >> "$out/results.jsonl" <<'PY'
import json, os, subprocess, sys
tool, start, end, path, load, cpu = sys.argv[1:]
probe = json.loads(subprocess.run(
    ["ffprobe", "-v", "error", "-of", "json", "-select_streams", "v:0", "-show_entries",
     "format=duration:stream=width,height,avg_frame_rate", path],
    capture_output=True, check=True, text=True).stdout)
video = probe["streams"][0]
duration = float(probe["format"]["duration"])
wall = float(end) - float(start)
print(json.dumps({"tool": tool, "wall_s": round(wall, 3), "speed_x": round(duration / wall, 3),
                  "duration_s": duration, "size": f'{video["width"]}x{video["height"]}',
                  "fps": video["avg_frame_rate"], "mb": round(os.path.getsize(path) / 1e6, 2),
                  "cpu_s": round(sum(float(t) for t in cpu.split()), 1),
                  "load1": float(load)}))
PY
    tail -n1 "$out/results.jsonl"
    # 90 MB a run: only the first vsl output is kept, for the screenshot.
    [ "$tool-$round" = vsl-1 ] || rm -f "$file"
  done
done
python3 - "$out/results.jsonl" <<'PY' | tee "$out/table.md"
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
print("| tool | runs | median wall (s) | median speed (x real time) | median CPU (s) | MB |")
print("|---|---|---|---|---|---|")
medians = {}
for tool in dict.fromkeys(run["tool"] for run in runs):
    mine = [run for run in runs if run["tool"] == tool]
    wall = statistics.median(run["wall_s"] for run in mine)
    medians[tool] = wall
    print(f'| {tool} | {len(mine)} | {wall:.1f} | {statistics.median(r["speed_x"] for r in mine):.2f} '
          f'| {statistics.median(r["cpu_s"] for r in mine):.0f} '
          f'| {statistics.median(r["mb"] for r in mine):.1f} |')
if "vsl" in medians and "ffmpeg" in medians:
    print(f'\nvsl is {medians["ffmpeg"] / medians["vsl"]:.2f}x the speed of ffmpeg subtitles (median wall)')
    pairs = [a["wall_s"] / b["wall_s"] for a, b in zip(
        [r for r in runs if r["tool"] == "ffmpeg"], [r for r in runs if r["tool"] == "vsl"])]
    print('per round: ' + ', '.join(f'{p:.2f}x' for p in pairs))
PY

# The README's picture: one frame of our output at 640x360 (8-bit palette keeps it small).
if [ -f "$out/vsl-1.mp4" ]; then
  ffmpeg -v error -y -ss 9.5 -i "$out/vsl-1.mp4" -frames:v 1 \
    -vf "scale=640:-2:flags=lanczos,split[a][b];[a]palettegen=max_colors=128[p];[b][p]paletteuse=dither=none" \
    docs/screenshots/captions-over-video.png
  rm -f "$out/vsl-1.mp4"
fi
