"""Quality of the sensitive-topics signal (``text.topics.sensitive.v1``).

Per-topic precision and recall on the labelled intent sets of ``../shared/data/topics``
whose intents map onto our topics, the false-alarm rate on clearly unrelated intents, and a
small French smoke check written by us (``benchmarks/data/topics_fr.jsonl``).

Run from the project root::

    python benchmarks/quality_topics.py                 # test splits -> results/quality_topics.json
    python benchmarks/quality_topics.py --split train   # the split the lexicons may be tuned on

Protocol
--------
* Lexicon vocabulary was looked for in banking77 and CLINC150 *train* rows (train OK). The
  *test* rows are only measured; nothing was tuned on them. Dreaddit has no stated licence
  (eval only): measured, never used to write entries.
* An intent maps to a topic only when every row of it puts the customer in that situation
  (see ``MAPPINGS``). Some intents are *tolerated* for a topic: a detection there is neither
  a true nor a false positive (e.g. ``complaint`` on "I want to dispute this direct debit",
  labelled ``direct_debit_payment_not_recognised``). Every other detection is a false
  positive, including on rows mapped to another topic.
* Precision of topic T = TP / (TP + FP) over the whole pool of the set; recall = TP / rows
  mapped to T. The false-alarm rate is the share of *unrelated* rows (intents that map to no
  topic and are tolerated for none; the listed clearly unrelated CLINC domains and the
  out-of-scope rows) with any topic detected.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from empathy_signals.schema import TOPICS
from empathy_signals.signals.base import TurnInput
from empathy_signals.signals.resources import LanguagePack
from empathy_signals.signals.topics import DETECTION_THRESHOLD, SIGNAL_NAME, sensitive_topics
from empathy_signals.text import tokenize

#: intent -> topics, per data set. Only intents where every row is in that situation.
MAPPINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "banking77": {
        "compromised_card": ("fraud_security",),
        "card_payment_not_recognised": ("fraud_security",),
        "cash_withdrawal_not_recognised": ("fraud_security",),
        "direct_debit_payment_not_recognised": ("fraud_security",),
        "lost_or_stolen_card": ("fraud_security",),
        "lost_or_stolen_phone": ("fraud_security",),
        "terminate_account": ("cancellation",),
        "edit_personal_details": ("account_change",),
        "change_pin": ("account_change",),
    },
    "clinc150": {
        "report_fraud": ("fraud_security",),
        "freeze_account": ("fraud_security",),
        "report_lost_card": ("fraud_security",),
        "pin_change": ("account_change",),
    },
    # Reddit posts, long-form and not customer care: a recall check on real wording.
    "dreaddit": {
        "assistance": ("financial_hardship",),
        "homeless": ("financial_hardship",),
        "almosthomeless": ("financial_hardship",),
        "food_pantry": ("financial_hardship",),
        "domesticviolence": ("vulnerability",),
        "ptsd": ("health",),
        "anxiety": ("health",),
    },
}

#: intent -> topics whose detection there is plausible, so not counted either way.
TOLERATED: dict[str, dict[str, tuple[str, ...]]] = {
    "banking77": {
        # disputes about a charge are complaints as much as anything
        **{
            intent: ("complaint",)
            for intent in (
                "card_payment_not_recognised",
                "cash_withdrawal_not_recognised",
                "direct_debit_payment_not_recognised",
                "transaction_charged_twice",
                "request_refund",
                "extra_charge_on_statement",
                "card_payment_fee_charged",
                "wrong_amount_of_cash_received",
                "Refund_not_showing_up",
                "cash_withdrawal_charge",
                "transfer_fee_charged",
                "card_payment_wrong_exchange_rate",
                "wrong_exchange_rate_for_cash_withdrawal",
                "exchange_charge",
                "top_up_by_card_charge",
                "top_up_by_bank_transfer_charge",
            )
        },
        "compromised_card": ("complaint",),
        "passcode_forgotten": ("account_change",),  # resetting a passcode
        "pin_blocked": ("account_change",),
        "terminate_account": ("complaint",),  # "close my account, I'm not satisfied"
        "card_swallowed": ("fraud_security",),
        # "an extra charge I didn't authorise ... someone hacked my account"
        "extra_charge_on_statement": ("complaint", "fraud_security"),
        # "I'm buying a flat and my mortgage payment fails"
        "failed_transfer": ("large_purchase",),
    },
    "clinc150": {
        "account_blocked": ("fraud_security",),  # "why is there a hold on my account"
        "cancel_reservation": (
            "cancellation",
        ),  # cancelling a booking: out of our scope, not absurd
        "damaged_card": ("fraud_security",),
        "replacement_card_duration": ("fraud_security",),  # "how long to replace my lost card"
        "report_fraud": ("complaint",),
    },
    "dreaddit": {
        "survivorsofabuse": tuple(TOPICS),  # past abuse: vulnerability? health? ambiguous
        "stress": tuple(TOPICS),
        "ptsd": ("vulnerability", "self_harm"),
        "domesticviolence": ("health", "legal_threat", "financial_hardship", "self_harm"),
        "anxiety": ("self_harm",),
        "homeless": ("health", "vulnerability"),
        "almosthomeless": ("health", "vulnerability"),
        "assistance": ("health", "vulnerability"),
    },
}

#: CLINC150 domains with nothing to do with any sensitive topic (plus out-of-scope rows).
CLINC_UNRELATED_DOMAINS = (
    "kitchen_and_dining", "home", "auto_and_commute", "travel", "utility", "small_talk", "meta",
)  # fmt: skip


def default_data_dir() -> Path:
    return Path(os.environ.get("EMPATHY_SIGNALS_DATA", ROOT.parent / "shared" / "data"))


def load_banking77(data: Path, split: str) -> list[tuple[str, str]]:
    with open(data / "topics" / "banking77" / f"{split}.csv", newline="", encoding="utf-8") as f:
        return [(row["text"], row["category"]) for row in csv.DictReader(f)]


def load_clinc150(data: Path, split: str) -> tuple[list[tuple[str, str]], set[str]]:
    root = data / "topics" / "clinc150"
    full = json.loads((root / "data_full.json").read_text(encoding="utf-8"))
    domains = json.loads((root / "domains.json").read_text(encoding="utf-8"))
    rows = [(text, intent) for text, intent in full[split]]
    rows += [(text, "oos") for text, _ in full[f"oos_{split}"]]
    unrelated = {"oos"} | {i for d in CLINC_UNRELATED_DOMAINS for i in domains[d]}
    return rows, unrelated


def load_dreaddit(data: Path, split: str) -> list[tuple[str, str]]:
    with open(
        data / "topics" / "dreaddit" / f"dreaddit-{split}.csv", newline="", encoding="utf-8"
    ) as f:
        return [(row["text"], row["subreddit"]) for row in csv.DictReader(f)]


def detect(packs: dict[str, LanguagePack], text: str, language: str) -> tuple[str, ...]:
    turn = TurnInput(index=0, text=tokenize(text), language=language, pack=packs[language])
    return sensitive_topics(turn).detail["detected"]


def evaluate(
    name: str,
    rows: list[tuple[str, str]],
    packs: dict[str, LanguagePack],
    *,
    unrelated: set[str] | None = None,
    examples_per_topic: int = 3,
) -> dict:
    mapping, tolerated = MAPPINGS.get(name, {}), TOLERATED.get(name, {})
    if unrelated is None:  # every intent mapped or tolerated for nothing
        unrelated = {
            intent for _, intent in rows if intent not in mapping and intent not in tolerated
        }
    tp, fp, pos = defaultdict(int), defaultdict(int), defaultdict(int)
    fp_intents: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    fp_examples: dict[str, list[str]] = defaultdict(list)
    n_unrelated = alarms = 0
    started = time.perf_counter()
    for text, intent in rows:
        gold = set(mapping.get(intent, ()))
        found = set(detect(packs, text, "en"))
        for topic in gold:
            pos[topic] += 1
        for topic in found:
            if topic in gold:
                tp[topic] += 1
            elif topic not in tolerated.get(intent, ()):
                fp[topic] += 1
                fp_intents[topic][intent] += 1
                if len(fp_examples[topic]) < examples_per_topic:
                    fp_examples[topic].append(text[:160])
        if intent in unrelated:
            n_unrelated += 1
            alarms += bool(found)
    per_topic = {}
    for topic in TOPICS:
        if not (pos[topic] or tp[topic] or fp[topic]):
            continue
        detected = tp[topic] + fp[topic]
        per_topic[topic] = {
            "positives": pos[topic],
            "true_positives": tp[topic],
            "false_positives": fp[topic],
            "precision": round(tp[topic] / detected, 4) if detected else None,
            "recall": round(tp[topic] / pos[topic], 4) if pos[topic] else None,
            "false_positive_intents": dict(
                sorted(fp_intents[topic].items(), key=lambda kv: -kv[1])[:8]
            ),
            "false_positive_examples": fp_examples[topic],
        }
    return {
        "rows": len(rows),
        "seconds": round(time.perf_counter() - started, 3),
        "per_topic": per_topic,
        "unrelated_rows": n_unrelated,
        "false_alarm_rate": round(alarms / n_unrelated, 4) if n_unrelated else None,
    }


def evaluate_french_check(path: Path, packs: dict[str, LanguagePack]) -> dict:
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    exact = 0
    misses = []
    tp, fp, pos = defaultdict(int), defaultdict(int), defaultdict(int)
    for row in rows:
        gold, found = set(row["topics"]), set(detect(packs, row["text"], "fr"))
        exact += gold == found
        if gold != found:
            misses.append(
                {"text": row["text"], "expected": sorted(gold), "detected": sorted(found)}
            )
        for topic in gold:
            pos[topic] += 1
            tp[topic] += topic in found
        for topic in found - gold:
            fp[topic] += 1
    return {
        "note": "written by the empathy_signals team as a smoke check, not a benchmark",
        "rows": len(rows),
        "exact_match_rate": round(exact / len(rows), 4),
        "per_topic": {
            t: {"positives": pos[t], "true_positives": tp[t], "false_positives": fp[t]}
            for t in TOPICS
            if pos[t] or fp[t]
        },
        "mismatches": misses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=default_data_dir(), help="the shared data folder"
    )
    parser.add_argument("--split", choices=("test", "train"), default="test")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="JSON output (default: results/quality_topics.json for test)",
    )
    args = parser.parse_args(argv)
    out = args.out or (
        ROOT
        / "benchmarks"
        / "results"
        / ("quality_topics.json" if args.split == "test" else "quality_topics_train.json")
    )

    packs = {lang: LanguagePack(lang) for lang in ("fr", "en")}
    report: dict = {
        "signal": SIGNAL_NAME,
        "detection_threshold": DETECTION_THRESHOLD,
        "split": args.split,
        "command": f"python benchmarks/quality_topics.py --split {args.split}",
        "mappings": {k: {i: list(t) for i, t in v.items()} for k, v in MAPPINGS.items()},
        "tolerated": {k: {i: list(t) for i, t in v.items()} for k, v in TOLERATED.items()},
        "clinc150_unrelated_domains": list(CLINC_UNRELATED_DOMAINS) + ["oos"],
        "licences": {
            "banking77": "CC BY 4.0, train OK (vocabulary looked up in train rows only)",
            "clinc150": "CC BY 3.0, train OK (vocabulary looked up in train rows only)",
            "dreaddit": "no stated licence, eval only (measured, never tuned on)",
            "topics_fr": "written by the empathy_signals team",
        },
        "datasets": {},
    }
    topics_dir = args.data / "topics"
    if (topics_dir / "banking77").is_dir():
        report["datasets"]["banking77"] = evaluate(
            "banking77", load_banking77(args.data, args.split), packs
        )
    if (topics_dir / "clinc150").is_dir():
        rows, unrelated = load_clinc150(args.data, args.split)
        report["datasets"]["clinc150"] = evaluate("clinc150", rows, packs, unrelated=unrelated)
    if (topics_dir / "dreaddit").is_dir():
        report["datasets"]["dreaddit"] = evaluate(
            "dreaddit", load_dreaddit(args.data, args.split), packs, unrelated={"relationships"}
        )
    report["datasets"]["topics_fr"] = evaluate_french_check(
        ROOT / "benchmarks" / "data" / "topics_fr.jsonl", packs
    )

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, result in report["datasets"].items():
        print(f"== {name}: {result['rows']} rows", end="")
        if "false_alarm_rate" in result:
            print(
                f", false-alarm rate {result['false_alarm_rate']} on {result['unrelated_rows']} unrelated rows"
            )
        else:
            print(f", exact match {result['exact_match_rate']}")
        for topic, m in result["per_topic"].items():
            print(
                f"   {topic:20s} "
                + " ".join(f"{k}={v}" for k, v in m.items() if not isinstance(v, (dict, list)))
            )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
