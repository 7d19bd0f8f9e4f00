#!/usr/bin/env python3
"""Turns PeerPickBenchmark JSON results (-rf json) into the Markdown table in benchmarks/README.md.

usage: peer-table.py peers-t1.json peers-t2.json
Each cell: ns/op (ratio to the row's bare baseline at the same thread count, same run), and
allocated B/op. A last column gives the 2-thread / 1-thread ratio of the row itself.
"""
import json
import sys

# (benchmark method, label, baseline method or None)
ROWS = [
    ("bareRoundRobin", "bare `AtomicInteger` round-robin over an array", None),
    ("bareRandom", "bare `ThreadLocalRandom.nextInt(n)`", None),
    ("bareP2C", "bare power-of-two-choices pick", None),
    ("bareP2CRecord", "bare P2C pick + in-flight increment/decrement", None),
    ("clockRead", "one `System.nanoTime()`", None),
    ("lodestarHandleRoundRobin", "Lodestar handle `pick()`, round-robin", "bareRoundRobin"),
    ("lodestarIdRoundRobin", "Lodestar `pick(id)`, round-robin", "bareRoundRobin"),
    ("lodestarHandleRandom", "Lodestar handle `pick()`, random", "bareRandom"),
    ("lodestarIdRandom", "Lodestar `pick(id)`, random", "bareRandom"),
    ("lodestarHandleLeastInFlight", "Lodestar handle `pick()`, least-in-flight (P2C)", "bareP2C"),
    ("lodestarHandleSticky", "Lodestar handle `pick(key)`, sticky", "bareRoundRobin"),
    ("lodestarHandleLeastInFlightSelectSuccess",
     "Lodestar handle `select()` + `success(d)`, least-in-flight", "bareP2CRecord"),
    ("lodestarIdLeastInFlightSelectSuccess",
     "Lodestar `select(id)` + `success(d)`, least-in-flight", "bareP2CRecord"),
    ("lodestarHandlePeakEwmaSelectSuccess",
     "Lodestar handle `select()` + `success(d)`, peak EWMA", "bareP2CRecord"),
    ("grpcRoundRobin", "gRPC-Java `round_robin` picker", "bareRoundRobin"),
    ("curatorRoundRobin", "Curator x-discovery `RoundRobinStrategy`", "bareRoundRobin"),
    ("curatorRandom", "Curator x-discovery `RandomStrategy`", "bareRandom"),
    ("springRoundRobinSelect", "Spring Cloud LoadBalancer round-robin, selection only",
     "bareRoundRobin"),
    ("springRoundRobinChoose", "Spring Cloud LoadBalancer round-robin, `choose().block()`",
     "bareRoundRobin"),
    ("storkP2CRecord", "SmallRye Stork P2C + recording", "bareP2CRecord"),
    ("storkLeastRequestsRecord", "SmallRye Stork least-requests + recording", "bareP2CRecord"),
]

results = {}
for path in sys.argv[1:]:
    for r in json.load(open(path)):
        method = r["benchmark"].rsplit(".", 1)[1]
        alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        results[(method, r["threads"])] = (
            r["primaryMetric"]["score"], r["primaryMetric"]["scoreError"], alloc)

threads = sorted({t for (_, t) in results})


def fmt(value):
    return f"{value:,.0f}" if value >= 1000 else f"{value:.1f}"


header = "| pick | " + " | ".join(f"{t} thread{'s' if t > 1 else ''}" for t in threads) + " | B/op |"
if len(threads) > 1:
    header += " " + " / ".join(str(t) for t in threads[1:]) + " threads vs 1 |"
print(header)
print("|---" * header.count(" | ") + "|---|")
for method, label, base in ROWS:
    cells = []
    allocs = set()
    for t in threads:
        if (method, t) not in results:
            cells.append("")
            continue
        score, err, alloc = results[(method, t)]
        cell = f"{fmt(score)} ±{fmt(err)}"
        if base and (base, t) in results:
            cell += f" ({score / results[(base, t)][0]:.2f}x)"
        cells.append(cell)
        if alloc is not None:
            allocs.add(round(alloc))
    alloc_cell = " / ".join(str(a) for a in sorted(allocs)) if allocs else ""
    row = f"| {label} | " + " | ".join(cells) + f" | {alloc_cell} |"
    if len(threads) > 1:
        one = results.get((method, threads[0]))
        more = [results.get((method, t)) for t in threads[1:]]
        ratios = [f"{m[0] / one[0]:.2f}x" for m in more if m and one]
        row += " " + " / ".join(ratios) + " |"
    print(row)
