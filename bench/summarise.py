"""Turns the JSON lines of `vsl bench` and the peers into a markdown table of medians."""
import json
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    record = json.loads(line)
    label = record["engine"] + (f" ({record['file']})" if record.get("file") else "")
    model = record["model"].split("-q8_0")[0].split("-bf16")[0]
    rows[(model, label, record.get("threads"))].append(record)

print("| model | engine | threads | runs | load s | transcribe s (median) | min | real-time factor | WER |")
print("|---|---|---|---|---|---|---|---|---|")
for (model, label, threads), records in sorted(rows.items(), key=lambda item: (item[0][0], item[0][2] or 0, item[0][1])):
    times = [r["transcribe_s"] for r in records]
    median = statistics.median(times)
    wer = records[-1].get("wer")
    print(
        f"| {model} | {label} | {threads} | {len(records)} | {statistics.median(r['load_s'] for r in records):.2f} | "
        f"{median:.2f} | {min(times):.2f} | {median / records[-1]['audio_s']:.3f} | "
        f"{'' if wer is None else f'{wer:.1%}'} |"
    )
