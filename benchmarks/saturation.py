"""The saturation curve from a load-test result: screens → tick latency, as a table and a PNG.

    python benchmarks/saturation.py benchmarks/results/saturation-pg.json --png benchmarks/saturation.png

Prints a Markdown table (screens, requests/s, tick p50/p95/p99, region change p95,
errors, SQL statements and PostgreSQL transactions per 5 s interval, max worker RSS)
and the first screen count whose tick p95 passes 1 s (or says it was not reached).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def rows(result: dict) -> list[dict]:
    out = []
    for step in result["steps"]:
        req = step["requests"]
        tick = req.get("tick", {})
        errors = sum(v["errors"] for v in req.values())
        total = sum(v["requests"] for v in req.values())
        rss = [v for sample in step.get("rss_mb", []) for k, v in sample.items() if k != "t"]
        out.append({
            "screens": step["screens"], "rps": round(total / step["seconds"], 1) if step["seconds"] else None,
            "tick_p50": tick.get("ms_p50"), "tick_p95": tick.get("ms_p95"), "tick_p99": tick.get("ms_p99"),
            "region_p95": req.get("region", {}).get("ms_p95"), "errors": errors, "requests": total,
            "statements": step.get("statements_per_interval"),
            "pg_xact": (step.get("pg_per_interval") or {}).get("transactions"),
            "rss_max": max(rss) if rss else None,
        })
    return out


def table(data: list[dict]) -> str:
    lines = ["| screens | requests/s | tick p50 ms | tick p95 ms | tick p99 ms | region change p95 ms | errors / requests "
             "| SQL statements / 5 s | PG transactions / 5 s | max worker RSS MB |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in data:
        lines.append(f"| {r['screens']} | {r['rps']} | {r['tick_p50']} | {r['tick_p95']} | {r['tick_p99']} | "
                     f"{r['region_p95'] if r['region_p95'] is not None else '—'} | {r['errors']} / {r['requests']} | "
                     f"{r['statements']} | {r['pg_xact'] if r['pg_xact'] is not None else '—'} | {r['rss_max']} |")
    return "\n".join(lines)


def knee(data: list[dict], limit_ms: float = 1000.0) -> int | None:
    for r in sorted(data, key=lambda r: r["screens"]):
        if r["tick_p95"] is not None and r["tick_p95"] > limit_ms:
            return r["screens"]
    return None


def plot(data: list[dict], path: str, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    data = sorted(data, key=lambda r: r["screens"])
    x = [r["screens"] for r in data]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    ax.plot(x, [r["tick_p50"] for r in data], "o-", label="tick p50")
    ax.plot(x, [r["tick_p95"] for r in data], "s-", label="tick p95")
    ax.plot(x, [r["tick_p99"] for r in data], "^-", label="tick p99", alpha=0.6)
    ax.axhline(300, color="#16a34a", ls="--", lw=1, label="target p95 300 ms")
    ax.axhline(1000, color="#dc2626", ls="--", lw=1, label="1 s")
    ax.set_xlabel("simulated screens (each polls every 5 s)")
    ax.set_ylabel("latency ms (log)")
    ax.set_yscale("log")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("result", nargs="+", help="load_test.py JSON file(s); steps are merged")
    ap.add_argument("--png")
    ap.add_argument("--title", default="RedGrid Command: screens → tick latency")
    args = ap.parse_args()
    data = []
    for f in args.result:
        data += rows(json.loads(Path(f).read_text()))
    data.sort(key=lambda r: r["screens"])
    print(table(data))
    k = knee(data)
    print(f"\ntick p95 passes 1 s at {k} screens" if k else "\ntick p95 stayed under 1 s at every step")
    if args.png:
        plot(data, args.png, args.title)
        print(f"plot: {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
