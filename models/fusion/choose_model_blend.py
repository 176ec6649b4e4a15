"""Choose the two fusion parameters of the text model on train-OK held-out data.

    python models/fusion/choose_model_blend.py [--data ../shared/data]

* ``model_blend`` (share of the model in the fused valence): macro-F1 of the fused sentiment
  label on GoEmotions **dev** (train OK; the heads were fitted on GoEmotions *train*), rows
  whose labels all fall in one sentiment group of the GoEmotions paper (positive, negative,
  neutral; ambiguous and mixed rows left out).
* ``model_request_threshold`` (a model probability that counts as a request on its own): F1
  of the fused ``detected`` on Bitext **validation** rows of agent_request_en.csv (train OK,
  never fitted by the heads, which used the train rows) plus two sets of extra negatives,
  none of which asks this bot for a human: the GoEmotions dev rows (Reddit comments) and the
  CLINC150 validation rows, out-of-scope included (assistant queries and chit-chat such as
  "are you a bot?", "hello", "thanks"; train OK; the human_request head was fitted on CLINC150
  *train* only), so that the threshold pays for false alarms on ordinary and conversational
  text, not only on templates.

Eval-only sets (UMSAB, Rasa, the French smoke set) play no part. Prints a table and the
chosen values; the policy's defaults are set from it by hand (see data/default_policy.toml).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import _data  # noqa: E402
from quality_sentiment import macro_f1  # noqa: E402

from empathy_signals import Detector, Turn  # noqa: E402
from empathy_signals.signals.sentiment import label_of  # noqa: E402

POSITIVE = set("admiration amusement approval caring desire excitement gratitude joy love optimism pride relief".split())
NEGATIVE = set(
    "anger annoyance disappointment disapproval disgust embarrassment fear grief nervousness remorse sadness".split()
)
BLENDS = (0.0, 0.25, 0.5, 0.75, 1.0)
THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 1.01)  # 1.01: the model never detects alone


def group(labels: set[str]) -> int | None:
    if labels == {"neutral"}:
        return 1
    if labels <= POSITIVE:
        return 2
    if labels <= NEGATIVE:
        return 0
    return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    lexicon = Detector(model="none")
    model = Detector(model="e5-small").text_model

    rows = [(t, group(g)) for t, g in _data.goemotions_dev(args.data)]
    rows = [(t, g) for t, g in rows if g is not None]
    texts = [t for t, _ in rows]
    gold = [g for _, g in rows]
    lex_valence = [lexicon.session("en").add(Turn(speaker="customer", text=t)).signals.sentiment.valence for t in texts]
    outs = [o for i in range(0, len(texts), 64) for o in model.predict(texts[i : i + 64])]
    index = {"negative": 0, "neutral": 1, "positive": 2}
    print(f"model_blend on GoEmotions dev ({len(rows)} rows, one sentiment group each): macro-F1")
    for b in BLENDS:
        pred = [index[label_of((1 - b) * v + b * o.valence, "en")] for v, o in zip(lex_valence, outs, strict=True)]
        print(f"  b={b:<5} {macro_f1(gold, pred):.4f}")

    val = [r for r in _data.agent_requests(args.data, "validation") if r["source"] == "bitext-intent-detection"]
    clinc = json.loads((args.data / "topics" / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    clinc_texts = [t for t, _ in clinc["val"] + clinc["oos_val"]]
    req_texts = [r["text"] for r in val] + texts + clinc_texts
    req_gold = [int(r["asks_for_human"]) for r in val] + [0] * (len(texts) + len(clinc_texts))
    source = ["bitext"] * len(val) + ["goemotions"] * len(texts) + ["clinc150"] * len(clinc_texts)
    lex_det = [lexicon.session("en").add(Turn(speaker="customer", text=t)).signals.human_request.detected for t in req_texts]
    p = [o.human_request for i in range(0, len(val), 64) for o in model.predict([r["text"] for r in val][i : i + 64])]
    p += [o.human_request for o in outs]
    p += [o.human_request for i in range(0, len(clinc_texts), 64) for o in model.predict(clinc_texts[i : i + 64])]
    print(f"model_request_threshold on Bitext validation + GoEmotions dev + CLINC150 val negatives "
          f"({len(req_texts)} rows, {sum(req_gold)} positives): P / R / F1")
    for t in THRESHOLDS:
        pred = [int(d or q >= t) for d, q in zip(lex_det, p, strict=True)]
        tp = sum(a and b for a, b in zip(pred, req_gold, strict=True))
        fp = sum(a and not b for a, b in zip(pred, req_gold, strict=True))
        fn = sum(b and not a for a, b in zip(pred, req_gold, strict=True))
        prec, rec = tp / max(1, tp + fp), tp / max(1, tp + fn)
        per = {s: sum(a and not b for a, b, z in zip(pred, req_gold, source, strict=True) if z == s)
               for s in ("bitext", "goemotions", "clinc150")}
        print(f"  t={t:<5} {prec:.4f} {rec:.4f} {2 * prec * rec / max(1e-9, prec + rec):.4f}  (false alarms {fp}: "
              + ", ".join(f"{k} {v}" for k, v in per.items()) + ")")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
