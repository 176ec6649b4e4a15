"""Speed of the prosody path on one CPU core, next to librosa's pitch trackers, same clips.

Real-time factor (RTF) = processing seconds / audio seconds (lower is faster; target for
the prosody path: <= 0.005). Measured in one process pinned to one core with BLAS/OpenMP
threads set to 1, after a warm-up call of each method (numba JIT, FFT plans).

* ``prosody_path``: ``ProsodyTracker.add`` on 16 kHz samples already in memory: resampling
  to 8 kHz, pitch (vectorised YIN), levels, activity, pauses, spectral balance, syllable
  nuclei, baseline deviations, arousal and messages.
* ``load_audio``: decoding the FLAC file to 16 kHz mono (reported apart: it depends on the
  codec, not on the analysis).
* ``librosa_pyin_default``: ``librosa.pyin(y, sr=16000, fmin=60, fmax=500)`` with its
  default frames (2048 samples, hop 512 = 32 ms at 16 kHz): pitch only.
* ``librosa_pyin_10ms``: the same with 10 ms hop (1024/160), the frame rate used here.
* ``librosa_yin_10ms``: ``librosa.yin`` with 1024/160, pitch only, for reference.

By default the clips are RAVDESS speech (eval-only data, only timed here), 5 per actor of
actors 17-24; ``--synthetic`` times synthetic voices instead when the data is absent.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import csv
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from empathy_signals.audio import ProsodyTracker, load_audio
from empathy_signals.audio.synth import synthetic_voice

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "speech" / "ravdess-16k"
SR = 16000


def timed(fn, repeats: int, *, stat=min) -> float:
    """Wall time of ``fn()`` in seconds over ``repeats`` runs (best by default)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(stat(times))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--per-actor", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--synthetic", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/prosody_speed.json")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import librosa

    clips: list[tuple[str, np.ndarray, float]] = []
    labels = args.data / "labels.csv"
    if not args.synthetic and labels.is_file():
        rows = list(csv.DictReader(labels.open()))
        source = "RAVDESS actors 17-24"
        for actor in range(17, 25):
            mine = [r for r in rows if int(r["actor"]) == actor]
            step = max(1, len(mine) // args.per_actor)
            for r in mine[::step][: args.per_actor]:
                path = str(args.data / r["path"])
                load_s = timed(lambda p=path: load_audio(p), 1)
                clips.append((path, load_audio(path), load_s))
    else:
        source = "synthetic voices"
        for i in range(40):
            clips.append(
                (f"synthetic-{i}", synthetic_voice(seed=i, duration_s=3.5, f0_hz=90 + 4 * i), 0.0)
            )

    def prosody(y: np.ndarray) -> None:
        ProsodyTracker(language="fr").add(y)

    def pyin_default(y: np.ndarray) -> None:
        librosa.pyin(y, sr=SR, fmin=60.0, fmax=500.0)

    def pyin_10ms(y: np.ndarray) -> None:
        librosa.pyin(y, sr=SR, fmin=60.0, fmax=500.0, frame_length=1024, hop_length=160)

    def yin_10ms(y: np.ndarray) -> None:
        librosa.yin(y, sr=SR, fmin=60.0, fmax=500.0, frame_length=1024, hop_length=160)

    methods = {
        "prosody_path": (prosody, args.repeats),
        "librosa_yin_10ms": (yin_10ms, args.repeats),
        "librosa_pyin_default": (pyin_default, 1),
        "librosa_pyin_10ms": (pyin_10ms, 1),
    }
    warm = clips[0][1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyin may warn on edge frames; not what is timed
        for fn, _ in methods.values():
            fn(warm)
        audio_s = float(sum(y.size for _, y, _ in clips) / SR)
        totals = {name: 0.0 for name in methods}
        totals["prosody_path_median"] = 0.0
        for _, y, _ in clips:
            for name, (fn, reps) in methods.items():
                totals[name] += timed(lambda f=fn, yy=y: f(yy), reps)
            totals["prosody_path_median"] += timed(
                lambda yy=y: prosody(yy), args.repeats, stat=np.median
            )
    load_total = float(sum(s for _, _, s in clips))

    rtf = {name: round(t / audio_s, 5) for name, t in totals.items()}
    rtf["load_audio"] = round(load_total / audio_s, 5)
    result = {
        "benchmark": "prosody_speed",
        "clips": len(clips),
        "source": source,
        "audio_s": round(audio_s, 2),
        "rtf": rtf,
        "ms_per_second_of_audio": {k: round(1000 * v, 2) for k, v in rtf.items()},
        "pyin_default_over_prosody_path": round(
            rtf["librosa_pyin_default"] / rtf["prosody_path"], 1
        ),
        "target_rtf_prosody_path": 0.005,
        "timing": f"best of {args.repeats} for the prosody path and yin (prosody_path_median: "
        f"median of {args.repeats}), one run for pyin; "
        "one core (sched_setaffinity), BLAS/OpenMP threads = 1",
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "librosa": librosa.__version__,
        "date": time.strftime("%Y-%m-%d"),
    }
    print(json.dumps(result, indent=2))
    if not args.no_write:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
