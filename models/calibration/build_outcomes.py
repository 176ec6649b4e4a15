"""Build labelled conversations for the calibration demonstration (docs/calibration.md).

    python models/calibration/build_outcomes.py [--data ../shared/data] [--out DIR]

No public set labels "this conversation needed a human", so the outcomes are PROXIES built
from rows of **train-OK** sets only (../shared/data/README.md), by the rule of each source:

=============  =====  ========================================  ================================
source         lang   label 1 (needs a human)                   label 0
=============  =====  ========================================  ================================
Bitext         EN     intent ``contact_human_agent``            the other intents (``complaint``
                                                                left out: ambiguous)
Banking77      EN     ``compromised_card``,                     the other intents (the other
                      ``lost_or_stolen_card``,                  "not recognised" and lost-phone
                      ``card_payment_not_recognised``           intents left out)
CLINC150       EN     ``report_fraud``                          the other intents and out-of-scope
                                                                (``freeze_account``,
                                                                ``report_lost_card`` left out)
GoEmotions     EN     ``anger`` or ``annoyance``                exactly ``neutral``
XED (French)   FR     anger, sadness or fear                    joy, trust, anticipation or
                                                                surprise only
=============  =====  ========================================  ================================

A conversation takes its 2-5 customer turns from one source (so one language), with a bot
turn before each (neutral templates, the same whatever the label: no leak). A positive
conversation holds one label-1 row (two with probability 0.2) among label-0 rows; a negative
one only label-0 rows. About 25 % of conversations are positive. Seeded: the same files on
every run.

**Split by source row**: a row goes to test when the first byte of sha1(its normalised text)
is below 77 (30 %), else to train; train conversations are assembled from train rows only,
test ones from test rows only, so no text is in both.

Written (to ``--out``, default ``/tmp/empathy_signals_calibration``; never into the
repository: the data may not be copied there):

* ``train.jsonl``, ``test.jsonl``: conversation labels (top-level ``"label"``);
* ``train_turns.jsonl``, ``test_turns.jsonl``: the same conversations with per-turn labels
  (``metadata.label`` 1 on the needs-a-human turn, 0 on the turns before it, none after);
* ``eval_rasa.jsonl``, ``eval_airline.jsonl``, ``eval_umsab_fr.jsonl``: **eval-only** sets as
  one-turn conversations, never fitted on: Rasa rows of agent_request_en.csv
  (``asks_for_human``), twitter-us-airline negative (1) vs positive (0) tweets, UMSAB French
  negative (1) vs positive (0) tweets;
* ``manifest.json``: counts, rules, seed and the sha256 of every source file read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from models import _corpora as corpora  # noqa: E402

DEFAULT_OUT = Path("/tmp/empathy_signals_calibration")
SEED = 20240601
#: Rows whose sha1 first byte is below this go to test (77 / 256 = 30 %).
TEST_BYTE_THRESHOLD = 77
POSITIVE_RATE = 0.25
SECOND_POSITIVE_RATE = 0.2
TURNS = (2, 5)
#: Share of conversations drawn from each source.
SOURCE_WEIGHTS = {"bitext": 0.25, "banking77": 0.2, "clinc150": 0.15, "goemotions": 0.2, "xed_fr": 0.2}
LANGUAGE = {"bitext": "en", "banking77": "en", "clinc150": "en", "goemotions": "en", "xed_fr": "fr"}

BANKING_POSITIVE = {"compromised_card", "lost_or_stolen_card", "card_payment_not_recognised"}
BANKING_LEFT_OUT = {"cash_withdrawal_not_recognised", "direct_debit_payment_not_recognised",
                    "lost_or_stolen_phone"}
CLINC_POSITIVE = {"report_fraud"}
CLINC_LEFT_OUT = {"freeze_account", "report_lost_card"}
GOEMOTIONS_POSITIVE = {"anger", "annoyance"}
XED_POSITIVE = {"anger", "sadness", "fear"}
XED_NEGATIVE = {"joy", "trust", "anticipation", "surprise"}

BOT = {
    "en": {
        "open": ["Hello, how can I help you today?", "Hi! What can I do for you?",
                 "Welcome. How may I help?"],
        "next": ["Let me look into that.", "Thank you, one moment please.",
                 "I see. Is there anything else?", "Noted. What else can I do for you?",
                 "Thanks for the details."],
    },
    "fr": {
        "open": ["Bonjour, que puis-je faire pour vous ?", "Bonjour ! Comment puis-je vous aider ?",
                 "Bienvenue. En quoi puis-je vous aider ?"],
        "next": ["Je regarde cela.", "Merci, un instant s'il vous plaît.",
                 "Je vois. Autre chose ?", "C'est noté. Que puis-je faire d'autre ?",
                 "Merci pour ces précisions."],
    },
}


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def split_of(text: str) -> str:
    digest = hashlib.sha1(normalise(text).encode("utf-8")).digest()
    return "test" if digest[0] < TEST_BYTE_THRESHOLD else "train"


def pools() -> dict[str, dict[int, list[str]]]:
    """source -> label -> texts (deduplicated, in a stable order)."""
    out: dict[str, dict[int, list[str]]] = {}

    def add(source: str, text: str, label: int | None) -> None:
        if label is None or not text.strip():
            return
        out.setdefault(source, {0: [], 1: []})[label].append(text.strip())

    for split in ("train", "validation", "test"):
        for text, intent in corpora.bitext_intent(split):
            add("bitext", text, None if intent == "complaint" else int(intent == "contact_human_agent"))
    for split in ("train", "test"):
        for text, intent in corpora.banking77(split):
            add("banking77", text, None if intent in BANKING_LEFT_OUT else int(intent in BANKING_POSITIVE))
    for split in ("train", "val", "test"):
        for text, intent in corpora.clinc150(split):
            add("clinc150", text, None if intent in CLINC_LEFT_OUT else int(intent in CLINC_POSITIVE))
    for split in ("train", "dev"):
        for text, labels in corpora.goemotions(split):
            positive = bool(GOEMOTIONS_POSITIVE & set(labels))
            add("goemotions", text, 1 if positive else 0 if labels == ["neutral"] else None)
    for text, labels in corpora.xed("fr"):
        labels = set(labels)
        add("xed_fr", text, 1 if labels & XED_POSITIVE else 0 if labels <= XED_NEGATIVE else None)
    for by_label in out.values():
        for label in (0, 1):
            seen: dict[str, str] = {}
            for text in by_label[label]:
                seen.setdefault(normalise(text), text)
            by_label[label] = list(seen.values())
        # a text under both labels (multi-label rows, duplicates) is ambiguous: left out
        both = {normalise(t) for t in by_label[0]} & {normalise(t) for t in by_label[1]}
        for label in (0, 1):
            by_label[label] = [t for t in by_label[label] if normalise(t) not in both]
    return out


class _Deck:
    """Draws rows without replacement, reshuffling once every row has been drawn."""

    def __init__(self, rows: list[str], rng: random.Random) -> None:
        self.rows, self.rng, self.left = list(rows), rng, []

    def draw(self) -> str:
        if not self.left:
            self.left = self.rows[:]
            self.rng.shuffle(self.left)
        return self.left.pop()


def conversations(split_pools: dict[str, dict[int, list[str]]], n: int, *, split: str,
                  seed: int) -> list[dict]:
    """``n`` labelled conversations (conversation label and per-turn labels both recorded)."""
    rng = random.Random(f"{seed}:{split}")
    decks = {(s, y): _Deck(rows, rng) for s, by in split_pools.items() for y, rows in by.items()}
    sources = sorted(SOURCE_WEIGHTS)
    weights = [SOURCE_WEIGHTS[s] for s in sources]
    out = []
    for i in range(n):
        source = rng.choices(sources, weights)[0]
        lang = LANGUAGE[source]
        k = rng.randint(*TURNS)
        label = int(rng.random() < POSITIVE_RATE)
        kinds = [0] * k
        if label:
            for j in rng.sample(range(k), 2 if k > 2 and rng.random() < SECOND_POSITIVE_RATE else 1):
                kinds[j] = 1
        first = kinds.index(1) if label else None
        turns = []
        for j, kind in enumerate(kinds):
            turns.append({"speaker": "bot", "text": rng.choice(BOT[lang]["open" if j == 0 else "next"])})
            turn: dict = {"speaker": "customer", "text": decks[(source, kind)].draw()}
            if first is None or j <= first:
                turn["metadata"] = {"label": kind}
            turns.append(turn)
        out.append({"id": f"{split}-{i:05d}", "language": lang, "source": source,
                    "label": label, "turns": turns})
    return out


def _conversation_labels(records: list[dict]) -> list[dict]:
    """The records with their top-level label only (``source`` kept out of the score input)."""
    out = []
    for r in records:
        turns = [{k: v for k, v in t.items() if k != "metadata"} for t in r["turns"]]
        out.append({"id": r["id"], "language": r["language"], "label": r["label"], "turns": turns})
    return out


def _turn_labels(records: list[dict]) -> list[dict]:
    return [{"id": r["id"], "language": r["language"], "turns": r["turns"]} for r in records]


def one_turn(rows: list[tuple[str, int]], prefix: str, language: str) -> list[dict]:
    return [{"id": f"{prefix}-{i:05d}", "language": language, "label": label,
             "turns": [{"speaker": "customer", "text": text}]}
            for i, (text, label) in enumerate(rows) if text.strip()]


def eval_only_sets() -> dict[str, list[dict]]:
    """Eval-only sets as one-turn conversations (measured, never fitted)."""
    rasa = [(r["text"], int(r["asks_for_human"])) for r in corpora.agent_request_rows()
            if r["source"] == "rasa-demo"]
    airline_rows = corpora._csv_rows(corpora.DATA / "sentiment/twitter-us-airline/Tweets.csv")
    airline = [(r["text"], int(r["airline_sentiment"] == "negative")) for r in airline_rows
               if r["airline_sentiment"] in ("negative", "positive")]
    umsab = [(t, int(y == 0)) for split in ("train", "val") for t, y in corpora.umsab("french", split)
             if y in (0, 2)]
    return {
        "eval_rasa": one_turn(rasa, "rasa", "en"),
        "eval_airline": one_turn(airline, "airline", "en"),
        "eval_umsab_fr": one_turn(umsab, "umsab-fr", "fr"),
    }


SOURCE_FILES = [
    "agent-requests/bitext-customer-support/intent_detection/Bitext_Sample_Customer_Service_Training_Dataset.csv",
    "agent-requests/bitext-customer-support/intent_detection/Bitext_Sample_Customer_Service_Validation_Dataset.csv",
    "agent-requests/bitext-customer-support/intent_detection/Bitext_Sample_Customer_Service_Testing_Dataset.csv",
    "topics/banking77/train.csv", "topics/banking77/test.csv",
    "topics/clinc150/data_full.json",
    "emotion/goemotions/train.tsv", "emotion/goemotions/dev.tsv",
    "emotion/xed/fr-projections.tsv",
    "agent-requests/agent_request_en.csv",
    "sentiment/twitter-us-airline/Tweets.csv",
    "sentiment/umsab/french/train_text.txt", "sentiment/umsab/french/val_text.txt",
]


def write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def build(out: Path, *, n_train: int = 4000, n_test: int = 2000, seed: int = SEED) -> dict:
    """Write every file to ``out``; returns the manifest."""
    if not corpora.available():
        raise SystemExit(f"no development data at {corpora.DATA} (set EMPATHY_SIGNALS_DATA)")
    out.mkdir(parents=True, exist_ok=True)
    everything = pools()
    by_split: dict[str, dict[str, dict[int, list[str]]]] = {"train": {}, "test": {}}
    for source, by_label in everything.items():
        for split, split_pools in by_split.items():
            split_pools[source] = {y: [t for t in rows if split_of(t) == split]
                                   for y, rows in by_label.items()}
    train_texts = {normalise(t) for s in by_split["train"].values() for rows in s.values() for t in rows}
    test_texts = {normalise(t) for s in by_split["test"].values() for rows in s.values() for t in rows}
    assert not train_texts & test_texts, "a text in both splits"
    manifest: dict = {
        "seed": seed, "positive_rate": POSITIVE_RATE, "turns": list(TURNS),
        "split": f"test when sha1(normalised text)[0] < {TEST_BYTE_THRESHOLD} (30 %), else train",
        "source_weights": SOURCE_WEIGHTS,
        "rows": {split: {s: {str(y): len(rows) for y, rows in by.items()} for s, by in pools_.items()}
                 for split, pools_ in by_split.items()},
        "files": {},
        "licences": {s: corpora.SOURCES[s if s != "xed_fr" else "xed"].licence for s in everything},
        "eval_only": {"eval_rasa": "rasa-demo rows of agent_request_en.csv (GPL-3.0, eval only)",
                      "eval_airline": "twitter-us-airline negative vs positive (CC BY-NC-SA 4.0, eval only)",
                      "eval_umsab_fr": "UMSAB French (DEFT-2017) negative vs positive (eval only)"},
        "sources_sha256": {p: corpora.file_sha256(corpora.DATA / p) for p in SOURCE_FILES},
    }
    for split, n in (("train", n_train), ("test", n_test)):
        records = conversations(by_split[split], n, split=split, seed=seed)
        write_jsonl(out / f"{split}.jsonl", _conversation_labels(records))
        write_jsonl(out / f"{split}_turns.jsonl", _turn_labels(records))
        manifest["files"][f"{split}.jsonl"] = {
            "conversations": len(records), "positive": sum(r["label"] for r in records),
            "customer_turns": sum(1 for r in records for t in r["turns"] if t["speaker"] == "customer"),
            "by_source": {s: sum(r["source"] == s for r in records) for s in sorted(SOURCE_WEIGHTS)},
        }
    for name, records in eval_only_sets().items():
        write_jsonl(out / f"{name}.jsonl", records)
        manifest["files"][f"{name}.jsonl"] = {"conversations": len(records),
                                              "positive": sum(r["label"] for r in records)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder to write to (default {DEFAULT_OUT}; never the repository)")
    parser.add_argument("--train", type=int, default=4000, help="train conversations")
    parser.add_argument("--test", type=int, default=2000, help="test conversations")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    if args.out.resolve().is_relative_to(ROOT.resolve()):
        parser.error(f"--out {args.out} is inside the repository; the data may not be copied there")
    manifest = build(args.out, n_train=args.train, n_test=args.test, seed=args.seed)
    print(json.dumps(manifest["files"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
