"""Turns bench/export.sh's results.jsonl into a markdown table of medians and speed-ups."""
import json
import statistics
import sys
from collections import defaultdict

runs = defaultdict(list)
for line in open(sys.argv[1]):
    if line.startswith("{"):
        record = json.loads(line)
        runs[(record["source"], record["tool"])].append(record)

print("| source | tool | runs | wall s (median) | min | frames | video s | MB | load (1 min) | time ÷ vsl |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (source, tool), records in sorted(runs.items(), key=lambda item: (item[0][0], item[0][1] != "vsl", item[0][1])):
    walls = [r["wall_s"] for r in records]
    median = statistics.median(walls)
    ours = runs.get((source, "vsl"))
    ratio = ""
    if ours and tool != "vsl":
        ratio = f"{median / statistics.median(r['wall_s'] for r in ours):.1f}x"
    last = records[-1]
    print(f"| {source} | {tool} | {len(records)} | {median:.2f} | {min(walls):.2f} | {last['frames']} | "
          f"{last['duration_s']:.2f} | {last['mb']:.1f} | {statistics.median(r['load1'] for r in records):.2f} | {ratio} |")
