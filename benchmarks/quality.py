"""Quality suite: per task and per language, through the public API, with per-signal ablations.

Run through ``benchmarks/run.py --suite quality``. Everything here only *measures*: no
threshold, weight or lexicon entry was chosen by looking at these numbers.

Tasks
-----
* **Human request** (``signals.human_request.detected`` of one customer turn in a fresh
  session, language fixed to the set's): precision / recall / F1 on
  ``agent_request_en.csv`` rows with ``source_split == test``, overall and per source
  (bitext: template-generated, train OK; rasa-demo: eval only, never fitted on); French on
  ``benchmarks/data/human_request_fr.jsonl``, an 81-row smoke set (40 positives) written by the project
  before the detector was run on it (never tuned on; recall per kind of phrasing).
* **Sentiment, emotion (anger), topics, prosody**: the owners' scripts run as subprocesses,
  their JSON collected (``quality_sentiment.py``: UMSAB val macro-F1 FR/EN with VADER on EN;
  ``quality_topics.py``; ``prosody_quality.py``: RAVDESS actors 17-24, speaker-independent).
  Added here: sentiment macro-F1 on twitter-us-airline (EN customer tweets) next to VADER, and
  emotion AUC per family (GoEmotions dev EN, XED FR) from ``signals.emotion.scores``.
* **Escalation score** (``escalation_score`` of a one-turn conversation): ROC AUC, expected
  calibration error (10 equal-width bins) and the reliability diagram, and F1 of "a human is
  offered" (``decision != "continue"``). No set labels "this conversation needs a human", so
  these are PROXIES, named as such:
  - ``agent_requests_test``: ``asks_for_human`` of the agent-request test rows;
  - ``airline_customer_service``: 1 = negative tweets whose reason is "Customer Service
    Issue", 0 = positive and neutral tweets (other negative reasons left out: whether a late
    flight needs a human is not in the labels);
  - ``fr_smoke``: the French smoke set (81 rows: indicative only).
  One-turn conversations leave the friction signal (which needs earlier turns) inert.
* **Ablations**: the escalation-score proxies and the human-request sets again with each
  signal family switched off through ``Policy.signals`` (prosody is not exercised by
  text-only sets; with and without the text model: ``benchmarks/model_ablation.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import _data
from quality_sentiment import auc, macro_f1  # (the owners' metric code, reused)

sys.path.insert(0, str(ROOT / "models" / "lexicons"))
from derive_weights import xed_split  # noqa: E402  (the train / held-out split of XED FR)

from empathy_signals import Detector, Policy, Turn
from empathy_signals.calibrate import score_metrics

FAMILIES = ("human_request", "topics", "sentiment", "emotion", "friction")
ECE_BINS = 10
#: Emotion families: our score(s) -> gold labels per data set (GoEmotions names; XED Plutchik ids).
EMOTION_FAMILIES: dict[str, dict[str, Any]] = {
    "anger": {"ours": ("anger", "frustration"), "goemotions": {"anger", "annoyance", "disgust"}, "xed": {1}},
    "sadness": {"ours": ("sadness",), "goemotions": {"sadness", "grief", "disappointment", "remorse"}, "xed": {6}},
    "fear": {"ours": ("fear",), "goemotions": {"fear", "nervousness"}, "xed": {4}},
    "joy": {"ours": ("joy",), "goemotions": {"joy", "amusement", "excitement"}, "xed": {5}},
    "gratitude": {"ours": ("gratitude",), "goemotions": {"gratitude"}, "xed": set()},
    "confusion": {"ours": ("confusion",), "goemotions": {"confusion"}, "xed": set()},
}
PROFILES = {
    "quick": {"owners_scripts": False, "ablations": False, "airline_rows": 1500, "emotion_rows": 1500},
    "full": {"owners_scripts": True, "ablations": True, "airline_rows": None, "emotion_rows": None},
}


# ---------------------------------------------------------------- metrics


def prf(gold: list[int], pred: list[int]) -> dict[str, Any]:
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if not g and p)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn, "n": len(gold), "positives": sum(gold)}


def calibration(labels: list[int], scores: list[float], bins: int = ECE_BINS) -> dict[str, Any]:
    """ECE (equal-width bins, weighted by count), Brier score and the reliability table
    (``empathy_signals.calibrate.score_metrics``)."""
    m = score_metrics(labels, scores, bins=bins)
    table = [{"bin": [b.lower, b.upper], "mean_score": round(b.mean_score, 4),
              "observed_rate": round(b.observed_rate, 4), "n": b.n} for b in m.reliability]
    return {"ece": round(m.ece, 4), "brier": round(m.brier, 4), "mean_score": round(m.mean_score, 4),
            "base_rate": round(m.base_rate, 4), "bins": ECE_BINS, "reliability": table}


# ---------------------------------------------------------------- scoring


def one_turn(detector: Detector, texts: list[str], language: str) -> list[Any]:
    """The Assessment of each text as the single customer turn of a fresh session."""
    return [detector.session(language).add(Turn(speaker="customer", text=t)) for t in texts]


def human_request_sets(data: Path | None) -> dict[str, dict[str, Any]]:
    sets: dict[str, dict[str, Any]] = {}
    if data is not None:
        rows = _data.agent_requests(data, "test")
        sets["en_agent_requests_test"] = {
            "language": "en", "texts": [r["text"] for r in rows], "labels": [int(r["asks_for_human"]) for r in rows],
            "groups": {"source": [r["source"] for r in rows]},
            "source": "agent-requests/agent_request_en.csv, source_split == test",
        }
    rows = _data.fr_smoke()
    sets["fr_smoke"] = {
        "language": "fr", "texts": [r["text"] for r in rows], "labels": [r["label"] for r in rows],
        "groups": {"kind": [r["kind"] for r in rows]},
        "source": "benchmarks/data/human_request_fr.jsonl (written by the project, never tuned on)",
    }
    return sets


def human_request(detector: Detector, sets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"signal": "signals.human_request.detected (one-turn sessions)"}
    for name, spec in sets.items():
        assessed = one_turn(detector, spec["texts"], spec["language"])
        pred = [int(a.signals.human_request.detected) for a in assessed]
        row = {"source": spec["source"], "language": spec["language"], **prf(spec["labels"], pred)}
        for group, values in spec["groups"].items():
            per: dict[str, Any] = {}
            for value in sorted(set(values)):
                idx = [i for i, v in enumerate(values) if v == value]
                per[value] = prf([spec["labels"][i] for i in idx], [pred[i] for i in idx])
            row[f"by_{group}"] = per
        errors = [{"text": t, "label": g} for t, g, p in zip(spec["texts"], spec["labels"], pred, strict=True)
                  if g != p]
        row["errors"] = errors[:40]
        out[name] = row
    return out


def escalation_sets(data: Path | None, cfg: dict[str, Any]) -> dict[str, dict[str, Any]]:
    sets: dict[str, dict[str, Any]] = {}
    if data is not None:
        rows = _data.agent_requests(data, "test")
        sets["agent_requests_test"] = {
            "language": "en", "texts": [r["text"] for r in rows], "labels": [int(r["asks_for_human"]) for r in rows],
            "proxy": "label = asks_for_human (agent_request_en.csv test rows)",
        }
        tweets = [r for r in _data.airline_tweets(data)
                  if r["airline_sentiment"] in ("positive", "neutral")
                  or (r["airline_sentiment"] == "negative" and r["negativereason"] == "Customer Service Issue")]
        if cfg["airline_rows"]:
            tweets = _data.sample(tweets, cfg["airline_rows"], seed=6)
        sets["airline_customer_service"] = {
            "language": "en", "texts": [r["text"] for r in tweets],
            "labels": [int(r["airline_sentiment"] == "negative") for r in tweets],
            "proxy": "label 1 = negative tweet, reason 'Customer Service Issue'; 0 = positive or neutral tweet "
                     "(other negative reasons excluded)",
        }
    rows = _data.fr_smoke()
    sets["fr_smoke"] = {"language": "fr", "texts": [r["text"] for r in rows], "labels": [r["label"] for r in rows],
                        "proxy": "label = asks for a human (81-row French smoke set written by the project)"}
    return sets


def escalation(detector: Detector, sets: dict[str, dict[str, Any]], *, reliability: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in sets.items():
        assessed = one_turn(detector, spec["texts"], spec["language"])
        scores = [a.escalation_score for a in assessed]
        flagged = [int(a.decision != "continue") for a in assessed]
        cal = calibration(spec["labels"], scores)
        if not reliability:
            cal.pop("reliability")
        out[name] = {"proxy": spec["proxy"], "language": spec["language"],
                     "auc": round(auc(spec["labels"], scores), 4), **cal,
                     "offer_or_escalate": prf(spec["labels"], flagged)}
    return out


def ablations(policy: Policy, hr_sets: dict, esc_sets: dict) -> dict[str, Any]:
    out: dict[str, Any] = {"how": "Policy.model_copy(update={'signals': {..., family: False}}) per family"}
    for family in FAMILIES:
        ablated = policy.model_copy(update={"signals": {**policy.signals, family: False}})
        detector = Detector(ablated)
        esc = escalation(detector, esc_sets, reliability=False)
        hr = human_request(detector, hr_sets)
        out[f"without_{family}"] = {
            "policy_sha256": ablated.sha256,
            "escalation": {k: {"auc": v["auc"], "ece": v["ece"], "offer_or_escalate_f1": v["offer_or_escalate"]["f1"]}
                           for k, v in esc.items()},
            "human_request_f1": {k: v["f1"] for k, v in hr.items() if isinstance(v, dict)},
        }
    return out


# ---------------------------------------------------------------- sentiment, emotion


def airline_sentiment(detector: Detector, data: Path, cfg: dict[str, Any]) -> dict[str, Any]:
    rows = _data.airline_tweets(data)
    if cfg["airline_rows"]:
        rows = _data.sample(rows, cfg["airline_rows"], seed=7)
    index = {"negative": 0, "neutral": 1, "positive": 2}
    gold = [index[r["airline_sentiment"]] for r in rows]
    texts = [r["text"] for r in rows]
    ours = [index[a.signals.sentiment.label] for a in one_turn(detector, texts, "en")]
    result = {"source": "sentiment/twitter-us-airline/Tweets.csv (eval only)", "n": len(gold),
              "macro_f1": round(macro_f1(gold, ours), 4), "label": "signals.sentiment.label"}
    vader = _vader()
    if vader is not None:
        band = [2 if c >= 0.05 else 0 if c <= -0.05 else 1 for c in (vader(t)["compound"] for t in texts)]
        result["vader_macro_f1"] = round(macro_f1(gold, band), 4)
        result["vader_note"] = "vaderSentiment compound with its standard +-0.05 band, same tweets, same run"
    return result


def _vader():
    from empathy_signals.bench import vader_or_none

    return vader_or_none()


def emotion_families(detector: Detector, data: Path, cfg: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"score": "signals.emotion.scores; noisy-or 1-prod(1-s) when a family has several of ours",
                           "en_goemotions_dev": {}, "fr_xed": {}}
    go = _data.goemotions_dev(data)
    # XED FR: the held-out 20 % only (the French derived emotion lexicon was fitted on the rest)
    xed = [r for r in _data.xed_fr(data) if xed_split(r[0]) == "heldout"]
    if cfg["emotion_rows"]:
        go, xed = _data.sample(go, cfg["emotion_rows"], seed=8), _data.sample(xed, cfg["emotion_rows"], seed=9)
    for key, rows, lang, gold_key in (("en_goemotions_dev", go, "en", "goemotions"), ("fr_xed", xed, "fr", "xed")):
        scores = [a.signals.emotion.scores for a in one_turn(detector, [t for t, _ in rows], lang)]
        for family, spec in EMOTION_FAMILIES.items():
            gold_labels = spec[gold_key]
            if not gold_labels:
                continue
            labels = [int(bool(g & gold_labels)) for _, g in rows]
            values = [1.0 - float(np.prod([1.0 - getattr(s, e) for e in spec["ours"]])) for s in scores]
            if 0 < sum(labels) < len(labels):
                out[key][family] = {"auc": round(auc(labels, values), 4), "positives": sum(labels), "n": len(labels),
                                    "gold": sorted(map(str, gold_labels))}
    return out


# ---------------------------------------------------------------- the owners' scripts


def owners_script(script: str, args: list[str], out: Path, log: Any) -> dict[str, Any]:
    """Run ``benchmarks/<script>`` with ``--out out`` and return its JSON (or why not)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(HERE / script), *args, "--out", str(out)]
    t0 = time.perf_counter()
    log(f"quality: {script} ...")
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = round(time.perf_counter() - t0, 1)
    command = "python benchmarks/" + script + " " + " ".join([*args, "--out", str(out.relative_to(ROOT))
                                                                if out.is_relative_to(ROOT) else str(out)])
    if done.returncode or not out.is_file():
        return {"command": command, "failed": f"exit {done.returncode}: {done.stderr.strip()[-600:]}",
                "seconds": seconds}
    return {"command": command, "seconds": seconds, "result": json.loads(out.read_text(encoding="utf-8"))}


# ---------------------------------------------------------------- the suite


def run(profile: str = "quick", data: Path | None = None, *, out_dir: Path | None = None,
        log: Any = None) -> dict[str, Any]:
    cfg = PROFILES[profile]
    say = log or (lambda msg: None)
    data = data if data is not None and data.is_dir() else None
    policy = Policy.default()
    detector = Detector(policy)
    result: dict[str, Any] = {"profile": profile, "data": str(data) if data else None,
                              "policy_sha256": policy.sha256, "config": cfg}
    if data is None:
        result["skipped"] = ("no data folder: only the French smoke set (shipped in benchmarks/data) was measured; "
                             "pass --data PATH to ../shared/data")
    timings: dict[str, float] = {}

    def step(name: str, fn: Any) -> None:
        t0 = time.perf_counter()
        say(f"quality: {name} ...")
        result[name] = fn()
        timings[name] = round(time.perf_counter() - t0, 1)

    hr_sets = human_request_sets(data)
    esc_sets = escalation_sets(data, cfg)
    step("human_request", lambda: human_request(detector, hr_sets))
    step("escalation", lambda: escalation(detector, esc_sets))
    if data is not None:
        step("sentiment_airline", lambda: airline_sentiment(detector, data, cfg))
        step("emotion_families", lambda: emotion_families(detector, data, cfg))
    if cfg["ablations"]:
        step("ablations", lambda: ablations(policy, hr_sets, esc_sets))
    if cfg["owners_scripts"] and data is not None:
        parts = (out_dir or HERE / "results") / "parts"
        step("sentiment", lambda: owners_script("quality_sentiment.py", ["--data", str(data)],
                                                parts / "quality_sentiment.json", say))
        step("topics", lambda: owners_script("quality_topics.py", ["--data", str(data)],
                                             parts / "quality_topics.json", say))
        step("prosody", lambda: owners_script("prosody_quality.py",
                                              ["--data", str(data / "speech/ravdess-16k"), "--jobs", "1"],
                                              parts / "prosody_quality.json", say))
    result["suite_s"] = timings
    return result


def summary_rows(result: dict[str, Any]) -> dict[str, Any]:
    """Headline numbers (used by report.py)."""
    heads: dict[str, Any] = defaultdict(dict)
    for name, row in result.get("human_request", {}).items():
        if isinstance(row, dict):
            heads["human_request"][name] = {k: row[k] for k in ("precision", "recall", "f1", "n", "positives")}
    return dict(heads)
