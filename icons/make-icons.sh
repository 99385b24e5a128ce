#!/usr/bin/env sh
# Regenerates the app icons with ImageMagick 6 (`convert`).
# The artwork is drawn once at 1024 px and scaled down, which gives the small
# sizes their anti-aliasing. Tauri needs 8-bit RGBA PNGs, hence `PNG32:`.
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

convert -size 1024x1024 gradient:'#343c63'-'#13151f' "$work/bg.png"
convert -size 1024x1024 xc:black -fill white \
  -draw "roundrectangle 40,40 983,983 210,210" "$work/mask.png"
convert "$work/bg.png" "$work/mask.png" -alpha off -compose CopyOpacity \
  -composite "$work/base.png"

# Five rounded bars under the slide: a voice waveform.
bars=""
i=0
for height in 56 104 168 104 56; do
  x=$((400 + i * 56))
  bars="$bars roundrectangle $((x - 17)),$((790 - height / 2)) $((x + 17)),$((790 + height / 2)) 17,17"
  i=$((i + 1))
done

convert "$work/base.png" \
  -fill none -stroke white -strokewidth 46 -draw "roundrectangle 236,236 788,640 60,60" \
  -stroke none -fill white -draw "polygon 458,352 458,524 606,438" \
  -fill '#8fb0ff' -draw "$bars" "$work/icon1024.png"

for spec in "icon.png 512" "128x128@2x.png 256" "128x128.png 128" "32x32.png 32"; do
  set -- $spec
  convert "$work/icon1024.png" -resize "$2x$2" -strip "PNG32:$1"
done
