"""Would compiling the no-model path close the gap to VADER? A measured experiment.

The foundation target is "the no-model path per customer turn no slower than VADER's
``polarity_scores``"; pure Python is 3-7x slower (``docs/benchmarks.md``). This script checks
the cheapest way to compile that path without rewriting it: Cython on the *unchanged* source
of the hot modules (:data:`HOT_MODULES`), built in a temporary copy of the package.

Two child processes time the same turns the speed suite times (``no_model``:
``session.add(Turn(...))`` with the Assessment, sessions of 10 customer turns, interleaved
turn by turn with VADER): one imports the pure copy, one the compiled copy. The ratio to
VADER in each process is the comparable figure; the speed-up is pure p50 / compiled p50.

Needs Cython and a C compiler (``pip install cython``); exits 0 with a message without them.
Writes ``benchmarks/results/compiled_core.json``. Usage::

    python benchmarks/compiled_core.py [--data ../shared/data] [--n 400]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "compiled_core.json"
#: The modules a customer turn spends its time in (cProfile of ``Session.add``).
HOT_MODULES = (
    "detector.py", "explain.py", "fusion.py", "text.py", "lexicons/__init__.py",
    "signals/base.py", "signals/friction.py", "signals/requests.py",
    "signals/sentiment.py", "signals/topics.py",
)  # fmt: skip

_CHILD = r"""
import json, statistics, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])            # the copy of the package (pure or compiled)
sys.path.insert(1, sys.argv[2])            # benchmarks/ (for _data)
import _data
from empathy_signals import Detector, bench
compiled = [m for m in ("detector", "signals.sentiment")
            if __import__("empathy_signals." + m, fromlist=["x"]).__file__.endswith(".so")]
data = Path(sys.argv[3]) if sys.argv[3] else None
sets = _data.latency_sets(data, int(sys.argv[4]))
vader = bench.vader_or_none()
detector = Detector()
out = {"compiled_modules_seen": compiled, "sets": {}}
all_ours, all_peer = [], []
for name, spec in sets.items():
    ours, peer = bench.time_turns(detector, spec["texts"], peer=vader)
    all_ours += ours
    all_peer += peer
    out["sets"][name] = {"p50_us": round(statistics.median(ours) * 1e6, 1),
                         "vader_p50_us": round(statistics.median(peer) * 1e6, 1),
                         "ratio_p50": round(statistics.median(ours) / statistics.median(peer), 3)}
out["sets"]["overall"] = {"p50_us": round(statistics.median(all_ours) * 1e6, 1),
                          "vader_p50_us": round(statistics.median(all_peer) * 1e6, 1),
                          "ratio_p50": round(statistics.median(all_ours) / statistics.median(all_peer), 3)}
print(json.dumps(out))
"""


def _copy(dest: Path) -> Path:
    pkg = dest / "empathy_signals"
    shutil.copytree(ROOT / "empathy_signals", pkg, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    return dest


def _measure(site: Path, data: Path | None, n: int) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", _CHILD, str(site), str(ROOT / "benchmarks"), str(data or ""), str(n)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--n", type=int, default=400, help="turns per set")
    args = ap.parse_args(argv)
    try:
        import Cython
        from Cython.Build import Cythonize  # noqa: F401
    except ImportError:
        print("compiled_core: Cython is not installed (pip install cython); nothing measured")
        return 0
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        print("compiled_core: no C compiler; nothing measured")
        return 0
    data = args.data if args.data.is_dir() else None
    with tempfile.TemporaryDirectory() as tmp:
        pure = _copy(Path(tmp) / "pure")
        compiled = _copy(Path(tmp) / "compiled")
        sources = [str(compiled / "empathy_signals" / m) for m in HOT_MODULES]
        subprocess.run(
            [sys.executable, "-m", "Cython.Build.Cythonize", "-i", "-3", "-q", *sources],
            check=True, capture_output=True,
        )
        results = {"pure": _measure(pure, data, args.n), "compiled": _measure(compiled, data, args.n)}
    p, c = results["pure"]["sets"]["overall"], results["compiled"]["sets"]["overall"]
    out = {
        "what": "no-model Session.add per customer turn, pure Python vs the same source compiled by "
                "Cython (no annotations added), each interleaved with VADER polarity_scores in its own process",
        "cython_version": Cython.__version__,
        "python": sys.version.split()[0],
        "hot_modules": list(HOT_MODULES),
        "data": "shared data sets (benchmarks/_data.latency_sets)" if data else "generated turns",
        "turns_per_set": args.n,
        **results,
        "speedup_p50": round(p["p50_us"] / c["p50_us"], 3),
        "note": "2-vCPU VM shared with other jobs: the ratios to VADER, not the microseconds, compare",
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"pure {p['p50_us']} us ({p['ratio_p50']}x VADER), cython {c['p50_us']} us "
          f"({c['ratio_p50']}x VADER): speed-up {out['speedup_p50']}x -> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
