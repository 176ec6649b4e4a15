"""Choose the fusion parameters of the text model on train-OK held-out data.

    python models/fusion/choose_model_blend.py [--threads 1] [--cache DIR] [--match-fr]

* ``model_blend`` ``b`` (share of the model in the fused valence) and
  ``VALENCE_NEUTRAL_BAND`` ``m`` (empathy_signals/encoder/heads.py: the model's own neutral
  band; the fused valence ``(1 - b) * lexicon + b * model`` is labelled with the band
  ``(1 - b) * lexicon band + b * m``, so ``b = 0`` gives the lexicon's labels exactly), chosen
  together by the mean sentiment macro-F1 (negative / neutral / positive) of four English
  cases, all train OK:

  - in domain, the shipped valence head (fitted on GoEmotions train + XED EN train):
    GoEmotions **dev** rows whose labels all fall in one sentiment group of the GoEmotions
    paper (ambiguous and mixed rows left out), and XED EN **dev** lines with a clear valence
    plus XED EN neutral dev lines;
  - across domains, a valence head refitted with the same recipe (models/train_heads.py) on
    one source only and measured on the other: GoEmotions train -> XED EN dev, XED EN train
    -> GoEmotions dev. Customer turns are neither Reddit comments nor subtitles: these two
    cases stand for text unlike the head's training text, where the in-domain cases alone
    overrate the model (they chose ``b`` with the lexicon's band before, and the head alone
    is far weaker out of its domain).

  The French lexicon band is the language's ``NEUTRAL_BAND``; XED FR dev (polar lines only,
  no neutral) is printed for information and chooses nothing.
* ``VALENCE_NEUTRAL_BAND["fr"]`` (``--match-fr``): no train-OK French text has a neutral
  class, so the French band of the *fused* value is carried over from English by quantile
  matching, as the lexicon's French band is (``benchmarks/quality_sentiment.py
  --match-band``): the share of XED EN annotated lines whose fused |valence| falls inside the
  English fused band, ``(1 - b) * NEUTRAL_BAND["en"] + b * m_en``, is the share of XED FR
  *train*-split lines that the French fused band must leave inside; the French model band is
  then ``(fused band - (1 - b) * NEUTRAL_BAND["fr"]) / b``.
* ``model_request_threshold`` (a model probability that counts as a request on its own): F1
  of the fused ``detected`` on Bitext **validation** rows of agent_request_en.csv (train OK,
  never fitted by the heads, which used the train rows) plus two sets of extra negatives,
  none of which asks this bot for a human: the GoEmotions dev rows (Reddit comments) and the
  CLINC150 validation rows, out-of-scope included (assistant queries and chit-chat such as
  "are you a bot?", "hello", "thanks"; train OK; the human_request head was fitted on CLINC150
  *train* only), so that the threshold pays for false alarms on ordinary and conversational
  text, not only on templates.

Model outputs are the shipped heads on the embedding (``TextModel.embed``, cached like
models/train_heads.py does). Eval-only sets (UMSAB, Rasa, the French smoke set) play no part.
Prints a table and the chosen values; the defaults are set from it by hand
(data/default_policy.toml, encoder/heads.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "models"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import _corpora as C
import quality_sentiment as Q
import train_heads as T
from quality_sentiment import macro_f1

from empathy_signals import Detector, Policy, Turn
from empathy_signals.encoder import TextModel
from empathy_signals.encoder.heads import VALENCE_NEUTRAL_BAND, Heads
from empathy_signals.signals.sentiment import NEUTRAL_BAND

BLENDS = (0.0, 0.25, 0.5, 0.75, 1.0)
POLICY_BLEND = Policy().weights.model_blend
MODEL_BANDS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)
THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 1.01)  # 1.01: the model never detects alone


def group(labels: set[str]) -> int | None:
    if labels == {"neutral"}:
        return 1
    if labels <= T.GOEMO_POSITIVE:
        return 2
    if labels <= T.GOEMO_NEGATIVE:
        return 0
    return None


def softmax(z: np.ndarray) -> np.ndarray:
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def labels(v: np.ndarray, band: float) -> np.ndarray:
    return np.where(v >= band, 2, np.where(v <= -band, 0, 1))


def match_french_band(emb: T.Embedder, heads: Heads, lexicon: Detector, b: float) -> dict:
    """French model band by quantile matching of the fused |valence| to English (train-OK XED)."""
    derive = Q._derive_module()
    en = [t for t, _ in derive.xed_fr_rows(C.DATA / "emotion" / "xed" / "en-annotated.tsv")]
    fr = [t for t, _ in derive.xed_fr_rows(C.DATA / "emotion" / "xed" / "fr-projections.tsv")
          if derive.xed_split(t) == "train"]

    def fused(texts: list[str], language: str, tag: str) -> np.ndarray:
        z = emb(tag, texts) @ heads.weights["valence"].T + heads.biases["valence"]
        p = softmax(z)
        lex = np.array([lexicon.session(language).add(Turn(speaker="customer", text=t))
                        .signals.sentiment.valence for t in texts])
        return np.abs((1 - b) * lex + b * (p[:, 2] - p[:, 0]))

    en_band = (1 - b) * NEUTRAL_BAND["en"] + b * VALENCE_NEUTRAL_BAND["en"]
    v_en, v_fr = fused(en, "en", "match_xed_en_annotated"), np.sort(fused(fr, "fr", "match_xed_fr_train"))
    fr_band = Q.matched_band(v_en, en_band, v_fr)
    return {"model_blend": b, "english_fused_band": round(en_band, 4),
            "english_share_inside": round(Q.share_inside(v_en, en_band), 4),
            "french_fused_band": round(fr_band, 4),
            "french_model_band": round((fr_band - (1 - b) * NEUTRAL_BAND["fr"]) / b, 4),
            "n_english": len(en), "n_french_train": len(fr)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cache", type=Path,
                        default=Path.home() / ".cache" / "empathy_signals_heads")
    parser.add_argument("--match-fr", action="store_true",
                        help="only the French model band, by quantile matching to English")
    args = parser.parse_args()
    model = TextModel.load(num_threads=args.threads)
    emb = T.Embedder(model, args.cache)
    heads = Heads.load(T.OUT_HEADS)
    lexicon = Detector(model="none")
    if args.match_fr:
        print(json.dumps(match_french_band(emb, heads, lexicon, POLICY_BLEND), indent=2))
        return 0
    emb("em_dev", [t for t, _, _ in T.emotion_rows("dev")])  # the dev text, cached

    def lex(texts: list[str], language: str) -> np.ndarray:
        return np.array([lexicon.session(language).add(Turn(speaker="customer", text=t))
                         .signals.sentiment.valence for t in texts])

    ge = [(t, g) for t, labs in T.goemotions("dev") if (g := group(set(labs))) is not None]
    xe = [(t, v) for t, labs in T.xed("en", "dev") if (v := T.valence_of("xed", labs)) is not None]
    xe += [(t, 1) for t in T.xed_neutral_en("dev")]
    xf = [(t, v) for t, labs in T.xed("fr", "dev") if (v := T.valence_of("xed", labs)) is not None]
    dev = {}
    for name, rows, language in (("goemotions_dev", ge, "en"), ("xed_en_dev", xe, "en"),
                                 ("xed_fr_dev", xf, "fr")):
        texts = [t for t, _ in rows]
        dev[name] = {"y": [g for _, g in rows], "lex": lex(texts, language), "lang": language,
                     "emb": emb(f"blend_{name}", texts)}

    # valence heads refitted on one source (same recipe as train_heads.py)
    va_train = T.valence_rows("train")
    n_ge = sum(1 for _, labs in T.goemotions("train") if T.valence_of("goemotions", labs) is not None)
    seeds = [(t, lang, T.SEED_VALENCE[lab]) for h, lab, lang, t in T.read_seeds()
             if h == "emotion" and lab in T.SEED_VALENCE]
    x = np.concatenate([emb("va_train", [t for t, _, _ in va_train]),
                        emb("seeds_va", [t for t, _, _ in seeds])])
    y = np.array([v for *_, v in va_train] + [v for *_, v in seeds])
    source = np.array(["goemotions"] * n_ge + ["xed"] * (len(va_train) - n_ge) + ["seed"] * len(seeds))
    proj, _ = T.language_nullspace(emb)

    def model_valence(w: np.ndarray, b: np.ndarray, e: np.ndarray) -> np.ndarray:
        p = softmax(e @ w.T + b)
        return p[:, 2] - p[:, 0]

    shipped = (heads.weights["valence"], heads.biases["valence"])
    cases = {"in: goemotions_dev": (shipped, "goemotions_dev"),
             "in: xed_en_dev": (shipped, "xed_en_dev")}
    for fit_on, name in (("goemotions", "xed_en_dev"), ("xed", "goemotions_dev")):
        keep = source != ("xed" if fit_on == "goemotions" else "goemotions")
        w, b = T.fit_logreg(x[keep] @ proj, y[keep], balanced=True, multiclass=True)
        cases[f"across: {fit_on} train -> {name}"] = ((w @ proj, b), name)
    values = {c: model_valence(*wb, dev[d]["emb"]) for c, (wb, d) in cases.items()}
    fr_value = model_valence(*shipped, dev["xed_fr_dev"]["emb"])

    print("model_blend b x VALENCE_NEUTRAL_BAND m: sentiment macro-F1 (fused label, band "
          "(1-b)*lexicon band + b*m)")
    print("  " + " | ".join(f"{c} ({len(dev[d]['y'])})" for c, (_, d) in cases.items())
          + " || mean || XED FR dev polar rows, neg/pos F1 (information)")
    table = []
    for bl in BLENDS:
        for m in MODEL_BANDS if bl > 0 else (MODEL_BANDS[0],):
            row = []
            for c, (_, d) in cases.items():
                v = (1 - bl) * dev[d]["lex"] + bl * values[c]
                row.append(macro_f1(dev[d]["y"], list(labels(v, (1 - bl) * NEUTRAL_BAND["en"] + bl * m))))
            fr = dev["xed_fr_dev"]
            v = (1 - bl) * fr["lex"] + bl * fr_value
            pred = labels(v, (1 - bl) * NEUTRAL_BAND["fr"] + bl * m)
            f1s = []
            for k in (0, 2):
                tp = sum(1 for g, p in zip(fr["y"], pred, strict=True) if g == k and p == k)
                npred, ngold = int((pred == k).sum()), fr["y"].count(k)
                f1s.append(2 * tp / max(1, npred + ngold))
            table.append((float(np.mean(row)), bl, m))
            print(f"  b={bl:<5} m={m:<5} " + " | ".join(f"{r:.4f}" for r in row)
                  + f" || {np.mean(row):.4f} || {np.mean(f1s):.4f}")
    best = max(table)
    print(f"  best: b={best[1]} m={best[2]} (mean {best[0]:.4f}); shipped: "
          f"VALENCE_NEUTRAL_BAND={VALENCE_NEUTRAL_BAND} (fr: --match-fr), lexicon bands {NEUTRAL_BAND}")

    # ---------------- model_request_threshold
    data = C.DATA
    ar = C.agent_request_rows()
    val = [r for r in ar if r["source"] == "bitext-intent-detection" and r["source_split"] == "validation"]
    clinc = json.loads((data / "topics" / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    clinc_texts = [t for t, _ in clinc["val"] + clinc["oos_val"]]
    ge_texts = [t for t, _ in ge]
    req_texts = [r["text"] for r in val] + ge_texts + clinc_texts
    req_gold = [int(r["asks_for_human"]) for r in val] + [0] * (len(ge_texts) + len(clinc_texts))
    src = ["bitext"] * len(val) + ["goemotions"] * len(ge_texts) + ["clinc150"] * len(clinc_texts)
    lex_det = [lexicon.session("en").add(Turn(speaker="customer", text=t)).signals.human_request.detected
               for t in req_texts]
    e = np.concatenate([emb("blend_bitext_val", [r["text"] for r in val]), dev["goemotions_dev"]["emb"],
                        emb("blend_clinc_val", clinc_texts)])
    p = heads.scores(e)["human_request"]
    print(f"model_request_threshold on Bitext validation + GoEmotions dev + CLINC150 val negatives "
          f"({len(req_texts)} rows, {sum(req_gold)} positives): P / R / F1")
    for t in THRESHOLDS:
        pred = [int(d or q >= t) for d, q in zip(lex_det, p, strict=True)]
        tp = sum(a and b for a, b in zip(pred, req_gold, strict=True))
        fp = sum(a and not b for a, b in zip(pred, req_gold, strict=True))
        fn = sum(b and not a for a, b in zip(pred, req_gold, strict=True))
        prec, rec = tp / max(1, tp + fp), tp / max(1, tp + fn)
        per = {s: sum(a and not b for a, b, z in zip(pred, req_gold, src, strict=True) if z == s)
               for s in ("bitext", "goemotions", "clinc150")}
        print(f"  t={t:<5} {prec:.4f} {rec:.4f} {2 * prec * rec / max(1e-9, prec + rec):.4f}  (false alarms {fp}: "
              + ", ".join(f"{k} {v}" for k, v in per.items()) + ")")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
