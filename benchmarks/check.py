"""Regression gate of the quick speed profile (run by ``.ci/run``).

Compares this run's ``gated_ratios`` (``ours / peer`` p50 per path, measured in the same run on
the same inputs, and the streaming ratio turn ~1,000 / turn ~10) with the committed baseline
``benchmarks/results/baseline_quick.json``, and fails (exit 1) when a ratio is worse than the
baseline's by more than :data:`MARGIN`. Absolute times are reported, never gated: on a shared
2-core machine they move with whoever else is running, while a ratio to a peer timed
interleaved with us moves far less.

Why a margin of 50 %: five quick runs back to back on the shared 2-core machine (load average
4-5, ``benchmarks/results/quick_spread.json``) moved the gated ratios by up to 28 % from the
lowest to the highest (text + audio vs pyin 28 %, model vs XLM-R 22 %, no-model vs VADER 8 %,
streaming 7 %), i.e. up to about 20 % above the median that the baseline holds
(``--make-baseline``). A 50 % margin stays clear of that noise and still catches what matters
on a hot path: an accidental quadratic, a per-turn resource load, a heavier model or
tokenizer, a lost vectorisation (each x1.5 to x10). Smaller drifts are for a person reading
the full profile's committed numbers. The streaming ratio also has a fixed ceiling of 1.5:
the session state is bounded, so turn 1,000 must cost what turn 10 costs.

A ratio missing from the run but present in the baseline (a peer not installed) is reported
and skipped, not failed; ``--strict`` fails it. Usage::

    python benchmarks/check.py --result benchmarks/results/speed_quick.json
    python benchmarks/check.py --spread run1/speed_quick.json run2/speed_quick.json ...  # noise
    python benchmarks/check.py --make-baseline run1/speed_quick.json ...  # median of each ratio
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: A gated ratio fails when it exceeds ``baseline * (1 + MARGIN)`` (higher ratio = we got slower).
MARGIN = 0.5
#: Streaming must stay flat whatever the baseline: turn ~1,000 may cost at most this much
#: more than turn ~10 (bounded session state).
STREAMING_LIMIT = 1.5


def compare(result: dict, baseline: dict, *, margin: float = MARGIN, strict: bool = False) -> tuple[bool, list[dict]]:
    """Compare ``gated_ratios`` of two speed results; returns (ok, one row per ratio)."""
    now = result.get("gated_ratios", {})
    base = baseline.get("gated_ratios", {})
    rows = []
    ok = True
    for name in sorted(set(base) | set(now)):
        b, n = base.get(name), now.get(name)
        row = {"ratio": name, "baseline": b, "now": n, "limit": None, "status": "ok"}
        if n is None:
            row["status"] = "missing" if strict else "skipped (not measured in this run)"
            ok = ok and not strict
        elif b is None:
            row["status"] = "new (no baseline)"
        else:
            limit = b * (1.0 + margin)
            if name.startswith("streaming"):
                limit = max(limit, STREAMING_LIMIT)
            row["limit"] = round(limit, 3)
            row["change"] = f"{(n / b - 1.0) * 100:+.0f}%"
            if n > limit:
                row["status"] = "REGRESSED"
                ok = False
        rows.append(row)
    return ok, rows


def render(ok: bool, rows: list[dict], margin: float) -> str:
    lines = [f"speed gate: ours/peer ratios vs baseline, margin +{margin:.0%} (lower is better)"]
    for r in rows:
        b = "-" if r["baseline"] is None else f"{r['baseline']:.3f}"
        n = "-" if r["now"] is None else f"{r['now']:.3f}"
        lim = "-" if r["limit"] is None else f"{r['limit']:.3f}"
        lines.append(f"  {r['ratio']:<36} baseline {b:>7}  now {n:>7}  limit {lim:>7}  {r.get('change', ''):>6}  {r['status']}")
    lines.append("speed gate: " + ("passed" if ok else "FAILED"))
    return "\n".join(lines)


def spread(results: list[dict]) -> dict:
    """Min, median, max and ``max/min - 1`` of each gated ratio over several runs (noise)."""
    import statistics

    names = sorted({k for r in results for k in r.get("gated_ratios", {})})
    loads = [r.get("machine", {}).get("load_average_1_5_15", [None])[0] for r in results]
    out: dict = {"runs": len(results), "load": f"{min(x for x in loads if x is not None)}-"
                 f"{max(x for x in loads if x is not None)}" if any(x is not None for x in loads) else None,
                 "ratios": {}}
    for name in names:
        xs = [r["gated_ratios"][name] for r in results if name in r.get("gated_ratios", {})]
        out["ratios"][name] = {"min": min(xs), "median": round(statistics.median(xs), 4), "max": max(xs),
                               "spread": round(max(xs) / min(xs) - 1.0, 3), "values": xs}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--result", type=Path, default=HERE / "results" / "speed_quick.json")
    ap.add_argument("--baseline", type=Path, default=HERE / "results" / "baseline_quick.json")
    ap.add_argument("--margin", type=float, default=MARGIN)
    ap.add_argument("--strict", action="store_true", help="fail when a baseline ratio was not measured")
    ap.add_argument("--spread", type=Path, nargs="+", metavar="RESULT",
                    help="print the noise (min/median/max) of the gated ratios over these results, as JSON")
    ap.add_argument("--make-baseline", type=Path, nargs="+", metavar="RESULT",
                    help="write --baseline from these results: the median of each gated ratio")
    args = ap.parse_args(argv)
    if args.make_baseline:
        results = [json.loads(p.read_text(encoding="utf-8")) for p in args.make_baseline]
        noise = spread(results)
        base = dict(results[-1])
        base["gated_ratios"] = {k: v["median"] for k, v in noise["ratios"].items()}
        base["baseline_from"] = {"runs": len(results), "how": "median of each gated ratio", "spread": noise}
        args.baseline.write_text(json.dumps(base, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"speed gate: wrote {args.baseline} from {len(results)} runs", file=sys.stderr)
        return 0
    if args.spread:
        results = [json.loads(p.read_text(encoding="utf-8")) for p in args.spread]
        print(json.dumps(spread(results), indent=1))
        return 0
    if not args.baseline.is_file():
        print(f"speed gate: no baseline at {args.baseline}; nothing to compare (create it with "
              "run.py --profile quick --suite speed --update-baseline)", file=sys.stderr)
        return 1 if args.strict else 0
    result = json.loads(args.result.read_text(encoding="utf-8"))
    baseline = json.loads(args.baseline.read_text(encoding="utf-8"))
    ok, rows = compare(result, baseline, margin=args.margin, strict=args.strict)
    print(render(ok, rows, args.margin))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
