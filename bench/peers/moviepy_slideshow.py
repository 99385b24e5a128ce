"""MoviePy peer for bench/export.sh: the usual Python slideshow, one ImageClip per slide.

    python moviepy_slideshow.py SLIDES_JSON AUDIO OUT.mp4
"""
import json
import os
import sys

from moviepy import AudioFileClip, ImageClip, concatenate_videoclips

deck_path, audio_path, out = sys.argv[1:4]
deck = json.load(open(deck_path))
folder = os.path.dirname(os.path.abspath(deck_path))
audio = AudioFileClip(audio_path)
clips = []
for slide in deck["slides"]:
    end = min(slide["end"], audio.duration)
    if end > slide["start"]:
        clips.append(ImageClip(os.path.join(folder, slide["image"])).with_duration(end - slide["start"]))
video = concatenate_videoclips(clips, method="chain").with_audio(audio)
video.write_videofile(out, fps=30, codec="libx264", preset="veryfast", threads=2,
                      audio_codec="aac", logger=None)
