"""Seeks headless Chromium to random points of each MP4 and checks it shows the right slide.

    python3 bench/seek_check.py SLIDES_JSON VIDEO.mp4 [VIDEO.mp4 ...]

The videos are served from a loopback server with byte ranges (as a web server or the app's
player would); the page seeks to SEEKS random times, draws each shown frame onto a 48x27
canvas and reports its grey levels; each is matched to the nearest slide thumbnail.
"""
import http.server
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

W, H, SEEKS = 48, 27, int(os.environ.get("SEEKS", "40"))


def thumbnail(path, time=None):
    args = ["ffmpeg", "-v", "error"] + (["-ss", str(time)] if time is not None else []) + [
        "-i", path, "-frames:v", "1", "-vf", f"scale={W}:{H}", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    return subprocess.run(args, capture_output=True, check=True).stdout


class Ranges(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_head(self):
        path = self.translate_path(self.path)
        match = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if not match or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        start = int(match.group(1))
        end = min(int(match.group(2) or size - 1), size - 1)
        handle = open(path, "rb")
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self.remaining = end - start + 1
        return handle

    def copyfile(self, source, destination):
        remaining = getattr(self, "remaining", None)
        while remaining is None or remaining > 0:
            chunk = source.read(65536 if remaining is None else min(65536, remaining))
            if not chunk:
                break
            try:
                destination.write(chunk)
            except ConnectionError:
                return  # the browser cancels range requests it no longer needs
            if remaining is not None:
                remaining -= len(chunk)


PAGE = """<!doctype html><video id=v muted preload=auto src="%s"></video>
<canvas id=c width=%d height=%d></canvas><script>
const v = document.getElementById('v'), c = document.getElementById('c').getContext('2d');
const seeked = () => new Promise(r => v.addEventListener('seeked', r, {once: true}));
const metadata = new Promise((resolve, reject) => {
  v.addEventListener('loadedmetadata', resolve, {once: true});
  v.addEventListener('error', () => reject('error ' + v.error.code + ' ' + v.error.message));
});
// Seeks to each time in turn; returns what was on screen and how long each seek took.
window.seekAll = async (times) => {
  await metadata;
  const out = [];
  for (const t of times) {
    const started = performance.now();
    const done = seeked(); v.currentTime = t; await done;
    const ms = performance.now() - started;
    await new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)));
    c.drawImage(v, 0, 0, %d, %d);
    const px = c.getImageData(0, 0, %d, %d).data;
    const grey = []; for (let i = 0; i < px.length; i += 4) grey.push(Math.round((px[i] + px[i+1] + px[i+2]) / 3));
    out.push({t, current: v.currentTime, ready: v.readyState, ms, grey});
  }
  return out;
};
</script>"""


def wire(commands, replies):
    commands, replies = os.dup(commands), os.dup(replies)
    os.dup2(commands, 3)
    os.dup2(replies, 4)


class Chromium:
    """Headless Chromium driven over --remote-debugging-pipe (DevTools protocol, no libraries)."""

    def __init__(self, profile):
        to_child, self.commands = os.pipe()
        self.responses, from_child = os.pipe()
        self.process = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--mute-audio", f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            # Chromium reads commands on fd 3 and writes replies on fd 4; 3 and 4 are kept
            # open through exec (close_fds runs after preexec_fn).
            pass_fds=(3, 4, to_child, from_child), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=lambda: wire(to_child, from_child), start_new_session=True)
        os.close(to_child)
        os.close(from_child)
        self.buffer = b""
        self.next_id = 0

    def call(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self.buffer:
                chunk = os.read(self.responses, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium exited")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(reply["error"])
                return reply["result"]

    def close(self):
        # Browser.close ends Chromium and its helper processes; the process group is the
        # fallback for a browser that no longer answers.
        try:
            os.write(self.commands, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def main():
    deck_path, videos = sys.argv[1], sys.argv[2:]
    deck = json.load(open(deck_path))
    folder = os.path.dirname(os.path.abspath(deck_path))
    thumbs = [thumbnail(os.path.join(folder, s["image"])) for s in deck["slides"]]
    rng = random.Random(7)
    times = [round(rng.uniform(0.5, deck["duration"] - 0.5), 3) for _ in range(SEEKS)]
    for video in videos:
        root = os.path.dirname(os.path.abspath(video))
        name = os.path.basename(video)
        page = tempfile.NamedTemporaryFile("w", suffix=".html", dir=root, delete=False)
        page.write(PAGE % (name, W, H, W, H, W, H))
        page.close()
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), lambda *a: Ranges(*a, directory=root))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/{os.path.basename(page.name)}"
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
            browser = Chromium(profile)
            try:
                target = browser.call("Target.createTarget", {"url": url})["targetId"]
                session = browser.call("Target.attachToTarget",
                                       {"targetId": target, "flatten": True})["sessionId"]
                while browser.call("Runtime.evaluate", {"expression": "typeof window.seekAll"},
                                   session)["result"].get("value") != "function":
                    time.sleep(0.1)
                reply = browser.call("Runtime.evaluate", {
                    "expression": f"window.seekAll({json.dumps(times)})",
                    "awaitPromise": True, "returnByValue": True}, session)
            finally:
                browser.close()
        server.shutdown()
        os.unlink(page.name)
        if "exceptionDetails" in reply:
            print(json.dumps({"video": name, "error": reply["exceptionDetails"].get("text")}))
            continue
        samples = reply["result"]["value"]
        right = 0
        for sample in samples:
            expected = max(i for i, s in enumerate(deck["slides"]) if s["start"] <= sample["t"])
            grey = bytes(sample["grey"])
            errors = [sum((a - b) ** 2 for a, b in zip(grey, thumb)) for thumb in thumbs]
            right += errors.index(min(errors)) == expected and abs(sample["current"] - sample["t"]) < 0.01
        seek_ms = sorted(sample["ms"] for sample in samples)
        print(json.dumps({"video": name, "seeks": len(samples), "right_slide": right,
                          "ready_min": min((s["ready"] for s in samples), default=None),
                          "seek_ms_median": round(seek_ms[len(seek_ms) // 2], 1),
                          "seek_ms_max": round(seek_ms[-1], 1)}))


main()
