#!/usr/bin/env bash
# ffmpeg CLI peer for bench/export.sh: the concat-demuxer slideshow most tutorials give.
#   ffmpeg_slideshow.sh SLIDES_JSON AUDIO OUT.mp4
# AAC sources are stream-copied (the best this recipe can do); anything else becomes AAC.
set -euo pipefail
deck=$1 audio=$2 out=$3
folder=$(cd "$(dirname "$deck")" && pwd)
list=$(mktemp --suffix=.txt)
trap 'rm -f "$list"' EXIT
python3 - "$deck" "$folder" > "$list" <<'PY'
import json, sys
deck = json.load(open(sys.argv[1]))
for slide in deck["slides"]:
    print(f"file '{sys.argv[2]}/{slide['image']}'")
    print(f"duration {slide['end'] - slide['start']:.6f}")
# The concat demuxer ignores the last duration unless the last file is listed again.
print(f"file '{sys.argv[2]}/{deck['slides'][-1]['image']}'")
PY
codec=$(ffprobe -v error -select_streams a:0 -show_entries stream=codec_name -of csv=p=0 "$audio")
audio_args=(-c:a aac)
[ "$codec" = aac ] && audio_args=(-c:a copy)
ffmpeg -v error -y -f concat -safe 0 -i "$list" -i "$audio" -map 0:v -map 1:a \
  -vf fps=30,format=yuv420p -c:v libx264 -preset veryfast "${audio_args[@]}" \
  -shortest -movflags +faststart "$out"
