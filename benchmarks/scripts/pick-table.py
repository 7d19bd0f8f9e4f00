#!/usr/bin/env python3
"""Turns PickBenchmark JSON results (-rf json) into the Markdown table in benchmarks/README.md.

usage: pick-table.py pick-t1.json pick-t2.json
(runs of 'benchmarks\\.Pick(Benchmark|Baseline)': PickBaseline holds the baseline)
Each cell: ns/op (ratio to the baseline of the same size and thread count, same run), B/op.
"""
import json
import sys

rows = {}
for path in sys.argv[1:]:
    for r in json.load(open(path)):
        bench = r["benchmark"].rsplit(".", 1)[1]
        p = r["params"]
        # The baseline is PickBaseline.baseline, with no strategy parameter.
        if bench == "baseline":
            key = ("pick", r["threads"], int(p["instances"]), "baseline")
        else:
            key = (bench, r["threads"], int(p["instances"]), p["strategy"])
        alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        rows[key] = (r["primaryMetric"]["score"], r["primaryMetric"]["scoreError"], alloc)

strategies = ["baseline", "round-robin", "random", "weighted-random", "least-in-flight",
              "peak-ewma", "sticky"]
for bench in ("pick", "selectAndReport"):
    keys = sorted({(t, n) for (b, t, n, s) in rows if b == bench})
    if not keys:
        continue
    print(f"\n`{bench}`: ns/op (x baseline), allocated B/op\n")
    print("| strategy | " + " | ".join(f"{n} inst, {t} thr" for t, n in keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for s in strategies:
        cells = []
        for t, n in keys:
            if (bench, t, n, s) not in rows:
                cells.append("")
                continue
            score, err, alloc = rows[(bench, t, n, s)]
            base = rows.get(("pick", t, n, "baseline"), (None,))[0]
            ratio = f" ({score / base:.2f}x)" if base and s != "baseline" else ""
            a = f", {alloc:.0f} B" if alloc is not None else ""
            cells.append(f"{score:.1f} ±{err:.1f}{ratio}{a}")
        print(f"| {s} | " + " | ".join(cells) + " |")
