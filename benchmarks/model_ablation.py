"""With and without the text model: the same tasks through the public API, per language.

    python benchmarks/model_ablation.py [--data ../shared/data] [--out benchmarks/results/model_ablation.json]

Every number comes from the output contract of ``Detector(model="none")`` and
``Detector(model="e5-small")`` (the default policy, so ``model_blend`` 0.5), each text the
single customer turn of a fresh session, the language fixed to the set's:

* human request: P/R/F1 of ``signals.human_request.detected`` on ``agent_request_en.csv``
  test rows (per source), on **all** Rasa rows (the heads were fitted on Bitext only, so Rasa
  is a source neither the lexicons' weights nor the heads were fitted on; the lexicon was
  written after reading Bitext rows and Rasa's train-split positives), and on the French smoke
  set (written by the project, never tuned on);
* sentiment: macro-F1 of ``signals.sentiment.label`` on UMSAB val, French and English;
* anger/frustration: ROC AUC of ``1 - (1 - anger)(1 - frustration)`` from
  ``signals.emotion.scores`` on GoEmotions dev (anger, annoyance, disgust) and on the
  held-out 20 % of XED French (label 1, anger; the French derived emotion lexicon was fitted on
  the other 80 %, see models/lexicons/derive_weights.py). The heads' emotion training used XED
  *English*, not French.

Nothing here chose a weight or a threshold. The model runs in batches of 64 (its outputs are
passed to ``Session.add(..., model_output=...)``, exactly what ``Detector.assess`` does).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import _data  # noqa: E402
from quality import prf  # noqa: E402
from quality_sentiment import auc, macro_f1  # noqa: E402

sys.path.insert(0, str(ROOT / "models" / "lexicons"))
from derive_weights import xed_split  # noqa: E402

from empathy_signals import Detector, Turn  # noqa: E402

BATCH = 64
LABELS = {"negative": 0, "neutral": 1, "positive": 2}


def assess(detector: Detector, texts: list[str], language: str) -> list[Any]:
    """Each text as the one customer turn of a fresh session (model outputs batched)."""
    outputs: list[Any] = [None] * len(texts)
    if detector.text_model is not None:
        for start in range(0, len(texts), BATCH):
            chunk = [t if t.strip() else "." for t in texts[start : start + BATCH]]
            outputs[start : start + BATCH] = detector.text_model.predict(chunk)
    return [
        detector.session(language).add(Turn(speaker="customer", text=t), model_output=o)
        for t, o in zip(texts, outputs, strict=True)
    ]


def tasks(data: Path) -> dict[str, dict[str, Any]]:
    test = _data.agent_requests(data, "test")
    rasa = [r for r in _data.agent_requests(data, None) if r["source"] == "rasa-demo"]
    smoke = _data.fr_smoke()
    return {
        "human_request_en_test": {"language": "en", "kind": "request", "texts": [r["text"] for r in test],
                                  "labels": [int(r["asks_for_human"]) for r in test],
                                  "groups": [r["source"] for r in test]},
        "human_request_en_rasa_all_rows": {"language": "en", "kind": "request", "texts": [r["text"] for r in rasa],
                                           "labels": [int(r["asks_for_human"]) for r in rasa]},
        "human_request_fr_smoke": {"language": "fr", "kind": "request", "texts": [r["text"] for r in smoke],
                                   "labels": [int(r["label"]) for r in smoke]},
        "sentiment_fr_umsab_val": {"language": "fr", "kind": "sentiment", "rows": _data.umsab(data, "french")},
        "sentiment_en_umsab_val": {"language": "en", "kind": "sentiment", "rows": _data.umsab(data, "english")},
        "anger_en_goemotions_dev": {"language": "en", "kind": "anger", "rows": _data.goemotions_dev(data),
                                    "gold": {"anger", "annoyance", "disgust"}},
        "anger_fr_xed_heldout": {"language": "fr", "kind": "anger", "gold": {1},
                                 "rows": [r for r in _data.xed_fr(data) if xed_split(r[0]) == "heldout"]},
    }


def measure(detector: Detector, task: dict[str, Any]) -> dict[str, Any]:
    kind, language = task["kind"], task["language"]
    if kind == "request":
        pred = [int(a.signals.human_request.detected) for a in assess(detector, task["texts"], language)]
        row = prf(task["labels"], pred)
        if "groups" in task:
            for group in sorted(set(task["groups"])):
                idx = [i for i, g in enumerate(task["groups"]) if g == group]
                row[group] = prf([task["labels"][i] for i in idx], [pred[i] for i in idx])
        return row
    if kind == "sentiment":
        texts, gold = [t for t, _ in task["rows"]], [g for _, g in task["rows"]]
        pred = [LABELS[a.signals.sentiment.label] for a in assess(detector, texts, language)]
        return {"macro_f1": round(macro_f1(gold, pred), 4), "n": len(gold)}
    texts = [t for t, _ in task["rows"]]
    labels = [int(bool(g & task["gold"])) for _, g in task["rows"]]
    scores = [a.signals.emotion.scores for a in assess(detector, texts, language)]
    values = [1.0 - (1.0 - s.anger) * (1.0 - s.frustration) for s in scores]
    return {"auc": round(auc(labels, values), 4), "n": len(labels), "positives": sum(labels)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "model_ablation.json")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"model_ablation: no data folder at {args.data}; nothing measured")
        return 0
    try:
        with_model = Detector(model="e5-small")
    except ImportError as exc:  # MissingExtraError is an ImportError
        print(f"model_ablation: the model extra is not installed ({exc}); nothing measured")
        return 0
    detectors = {"none": Detector(model="none"), "e5-small": with_model}
    result: dict[str, Any] = {"what": __doc__.split("\n\n")[2].strip(), "policy_sha256": with_model.policy.sha256}
    t0 = time.perf_counter()
    for name, task in tasks(args.data).items():
        result[name] = {model: measure(detector, task) for model, detector in detectors.items()}
        print(name, json.dumps(result[name]))
    result["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
