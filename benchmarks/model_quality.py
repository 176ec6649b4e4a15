"""Acceptance metrics of the shipped text model (issue 3), for one precision.

Only held-out rows, never fitted on (see models/train_heads.py for what was fitted):

- human request: F1 at 0.5 (and AUC) on the test rows of agent_request_en.csv, split by
  source, and on every Rasa row (a source not fitted: generalisation);
- sentiment: macro-F1 of the 3-class valence head on UMSAB val, French and English;
- anger / frustration: AUC on GoEmotions dev (EN); anger on the XED FR dev split (XED has no
  frustration label).

Writes benchmarks/results/model_quality_<precision>.json. Needs ../shared/data.
Usage: ``python benchmarks/model_quality.py [--precision fp32|int8]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "models"))

import _corpora as C
import train_heads as T

from empathy_signals.encoder import EMOTIONS, TextModel


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--precision", default="fp32", choices=["fp32", "int8"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "empathy_signals_heads")
    args = ap.parse_args(argv)
    if not C.available():
        raise SystemExit(f"no data at {C.DATA}")
    t0 = time.time()
    model = TextModel.load(num_threads=args.threads, precision=args.precision)
    if model.heads is None:
        raise SystemExit("heads not built: run models/train_heads.py")
    emb = T.Embedder(model, args.cache)

    def scores(name: str, texts: list[str]) -> dict[str, np.ndarray]:
        return model.heads.scores(emb(name, texts))

    from sklearn.metrics import f1_score

    out: dict = {"precision": args.precision, "threshold": 0.5}
    ar = C.agent_request_rows()
    hr = {}
    for name, rows in [
        ("agent_request_en_test_all", [r for r in ar if r["source_split"] == "test"]),
        ("agent_request_en_test_bitext", [r for r in ar if r["source_split"] == "test"
                                          and r["source"].startswith("bitext")]),
        ("agent_request_en_test_rasa", [r for r in ar if r["source_split"] == "test"
                                        and r["source"].startswith("rasa")]),
        ("rasa_all_rows_generalisation", [r for r in ar if r["source"].startswith("rasa")]),
    ]:
        p = scores(f"q_{name}", [r["text"] for r in rows])["human_request"]
        hr[name] = T.binary_metrics(np.array([int(r["asks_for_human"]) for r in rows]), p)
    out["human_request"] = hr

    va = {}
    for name, lang in [("umsab_val_fr", "french"), ("umsab_val_en", "english")]:
        rows = C.umsab(lang, "val")
        probs = scores(f"q_{name}", [t for t, _ in rows])["valence_probs"]
        y = np.array([v for _, v in rows])
        va[name] = {"n": len(rows),
                    "macro_f1": round(float(f1_score(y, probs.argmax(1), average="macro")), 4),
                    "target": 0.65}
    out["sentiment"] = va

    em = {}
    go = C.goemotions("dev")
    p = scores("q_goemotions_dev", [t for t, _ in go])["emotion"]
    for label in ("anger", "frustration"):
        y = np.array([int(any(T.GOEMO_TO_EMOTION.get(x) == label for x in labs))
                      for _, labs in go])
        em[f"goemotions_dev_en/{label}"] = T.binary_metrics(y, p[:, EMOTIONS.index(label)])
    xf = C.xed("fr", "dev")
    p = scores("q_xed_fr_dev", [t for t, _ in xf])["emotion"]
    y = np.array([int("anger" in labs) for _, labs in xf])
    em["xed_fr_dev/anger"] = T.binary_metrics(y, p[:, EMOTIONS.index("anger")])
    out["anger_frustration"] = em
    out["seconds"] = round(time.time() - t0)
    path = REPO / "benchmarks" / "results" / f"model_quality_{args.precision}.json"
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
