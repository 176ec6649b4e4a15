"""The benchmark harness: speed and quality suites, results as JSON, a Markdown summary.

Usage (from the project root)::

    python benchmarks/run.py --profile full                  # both suites, ~3-5 min; writes
                                                             # results/{speed,quality}_full.json,
                                                             # docs/benchmarks.md, docs/img/*.png
    python benchmarks/run.py --profile quick --suite speed --check    # CI: ~30-60 s, gated

A new baseline for the gate (after a deliberate speed change): five quick runs, then the median
of each ratio (``check.py`` explains the margin)::

    for i in 1 2 3 4 5; do python benchmarks/run.py --profile quick --suite speed --out /tmp/q$i; done
    python benchmarks/check.py --make-baseline /tmp/q*/speed_quick.json
    python benchmarks/check.py --spread /tmp/q*/speed_quick.json > benchmarks/results/quick_spread.json

(``--update-baseline`` writes one run as the baseline.)

Options: ``--data PATH`` (default ``../shared/data``; the quality suite skips cleanly and the
speed suite falls back to generated turns when it is absent), ``--out DIR`` (default
``benchmarks/results``), ``--no-report``.

Every result file records the profile, the command, the git commit (and whether the tree was
dirty), machine facts (CPU, cores, load average, Python, package versions) and
``Policy.default().sha256``.
"""

from __future__ import annotations

import os

# One thread everywhere, for ours and for the peers alike (and to leave the other core to
# whoever shares the machine). Must be set before numpy/torch load.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import _data

RESULTS = HERE / "results"


def git_facts() -> dict[str, object]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    return {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}


def meta(profile: str, argv: list[str]) -> dict[str, object]:
    from empathy_signals.bench import machine_facts

    return {
        "profile": profile,
        "command": "python benchmarks/run.py " + " ".join(argv),
        "git": git_facts(),
        "machine": machine_facts(),
    }


def write(path: Path, result: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", choices=("quick", "full"), default="quick")
    ap.add_argument("--suite", choices=("speed", "quality", "all"), default="all")
    ap.add_argument("--data", type=Path, default=_data.DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--check", action="store_true", help="gate the speed ratios against the baseline")
    ap.add_argument("--baseline", type=Path, default=RESULTS / "baseline_quick.json")
    ap.add_argument("--update-baseline", action="store_true", help="write this run's speed result as the baseline")
    ap.add_argument("--no-report", action="store_true", help="do not regenerate docs/benchmarks.md")
    args = ap.parse_args(argv)

    started = time.perf_counter()
    status = 0
    if args.suite in ("speed", "all"):
        import speed

        result = meta(args.profile, argv)
        result["suite"] = "speed"
        result.update(speed.run(args.profile, args.data, log=log))
        result["gated_ratios"] = speed.gated_ratios(result)
        result["machine_load_after"] = _load()
        result["wall_s"] = round(time.perf_counter() - started, 1)
        path = args.out / f"speed_{args.profile}.json"
        write(path, result)
        log(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        if args.update_baseline:
            write(args.baseline, result)
            log(f"wrote baseline {args.baseline}")
        if args.check:
            import check

            status = check.main(["--result", str(path), "--baseline", str(args.baseline)])
    if args.suite in ("quality", "all"):
        import quality

        t0 = time.perf_counter()
        result = meta(args.profile, argv)
        result["suite"] = "quality"
        result.update(quality.run(args.profile, args.data, out_dir=args.out, log=log))
        result["wall_s"] = round(time.perf_counter() - t0, 1)
        path = args.out / f"quality_{args.profile}.json"
        write(path, result)
        log(f"wrote {path}")
    if args.profile == "full" and not args.no_report:
        import report

        report.main(["--results", str(args.out)])
    log(f"total {time.perf_counter() - started:.1f} s")
    return status


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


if __name__ == "__main__":
    raise SystemExit(main())
