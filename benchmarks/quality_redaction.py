"""Quality and speed of PII redaction (``empathy_signals.redact``), measured, never tuned on.

1. **Evaluation set** (``benchmarks/data/pii_eval.tsv``, written by
   ``benchmarks/data/make_pii_eval.py``): recall and precision per kind. A found span counts
   when its kind and both ends equal the expected span (*exact*); *covered* counts an
   expected span whose every character is redacted, whatever the kind (what privacy needs).
   Precision counts every span found, including those in the decoy sentences.
2. **Real text** from ``../shared/data`` (read, never copied): every span found is listed
   and was judged by hand, in :data:`JUDGEMENTS`, as ``personal`` (someone's data),
   ``contact`` (the right kind but a company's: an airline's hotline, a support address) or
   ``false_alarm`` (not that kind of data at all). A span with no judgement is reported as
   ``unjudged``: a change to the patterns that finds something new shows up there.
   Spans are keyed by data set, a hash of the text and the offsets; the results quote the
   text of false alarms only (they hold no personal data by definition).
3. **Speed**: characters per second over all the real text, and microseconds per turn on
   short customer turns (banking77 test, UMSAB French) and on the evaluation sentences.

Writes ``benchmarks/results/redaction.json``. Without the data folder, parts 2 and 3 use
the evaluation set only and say so. Run from the project root::

    python benchmarks/quality_redaction.py [--data ../shared/data] [--list]

``--list`` prints every span found in real text with its context and judgement, to judge
new ones by hand (it prints data from ../shared/data: do not paste it into the repo).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from empathy_signals.redact import KINDS, find_pii, redact

EVAL_SET = ROOT / "benchmarks" / "data" / "pii_eval.tsv"
OUT = ROOT / "benchmarks" / "results" / "redaction.json"
#: Times each timed pass is repeated; the fastest pass is kept (least disturbed by others).
REPEATS = 5


def default_data_dir() -> Path:
    return Path(os.environ.get("EMPATHY_SIGNALS_DATA", ROOT.parent / "shared" / "data"))


# ------------------------------------------------------------------ evaluation set


def read_eval_set(path: Path = EVAL_SET) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    for row in rows:
        row["spans"] = [tuple(s) for s in json.loads(row["spans"])]
    return rows


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def evaluate_set(rows: list[dict]) -> dict:
    expected: Counter = Counter()
    found: Counter = Counter()
    exact: Counter = Counter()
    covered: Counter = Counter()
    by_group: dict[str, Counter] = defaultdict(Counter)
    by_lang: dict[str, Counter] = defaultdict(Counter)
    errors = []
    for row in rows:
        text, gold = row["text"], set(row["spans"])
        spans = find_pii(text)
        predicted = {(s.start, s.end, s.kind) for s in spans}
        redacted_chars = set()
        for s in spans:
            redacted_chars.update(range(s.start, s.end))
        for start, end, kind in gold:
            expected[kind] += 1
            hit = (start, end, kind) in predicted
            cover = all(i in redacted_chars for i in range(start, end))
            exact[kind] += hit
            covered[kind] += cover
            for counter in (by_group[row["group"]], by_lang[row["lang"]]):
                counter["expected"] += 1
                counter["exact"] += hit
                counter["covered"] += cover
        for start, end, kind in predicted:
            found[kind] += 1
            if (start, end, kind) not in gold:
                by_group[row["group"]]["false_positives"] += 1
                by_lang[row["lang"]]["false_positives"] += 1
        if predicted != gold:
            errors.append({
                "id": row["id"],
                "group": row["group"],
                "missed": [[text[a:b], k] for a, b, k in sorted(gold - predicted)],
                "extra": [[text[a:b], k] for a, b, k in sorted(predicted - gold)],
            })  # fmt: skip
    per_kind = {
        kind: {
            "expected": expected[kind],
            "found": found[kind],
            "recall_exact": _ratio(exact[kind], expected[kind]),
            "recall_covered": _ratio(covered[kind], expected[kind]),
            "precision_exact": _ratio(exact[kind], found[kind]),
        }
        for kind in KINDS
    }
    total_expected = sum(expected.values())
    total_found = sum(found.values())
    total_exact = sum(exact.values())

    def summary(counter: Counter) -> dict:
        return {
            "expected": counter["expected"],
            "recall_exact": _ratio(counter["exact"], counter["expected"]),
            "recall_covered": _ratio(counter["covered"], counter["expected"]),
            "false_positives": counter["false_positives"],
        }

    return {
        "rows": len(rows),
        "rows_per_group": dict(Counter(r["group"] for r in rows)),
        "overall": {
            "expected": total_expected,
            "found": total_found,
            "recall_exact": _ratio(total_exact, total_expected),
            "recall_covered": _ratio(sum(covered.values()), total_expected),
            "precision_exact": _ratio(total_exact, total_found),
        },
        "per_kind": per_kind,
        "per_group": {g: summary(c) for g, c in sorted(by_group.items())},
        "per_lang": {g: summary(c) for g, c in sorted(by_lang.items())},
        "decoy_rows_with_a_span": sum(
            1 for r in rows if r["group"] == "decoy" and find_pii(r["text"])
        ),
        "mismatches": errors,
    }


# ------------------------------------------------------------------ real text


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


#: data set -> (licence and use, reader). Every reader returns the texts as they are.
REAL_SETS = {
    "banking77": ("CC BY 4.0, train OK", lambda d: [
        r["text"] for split in ("train", "test") for r in _csv(d / f"topics/banking77/{split}.csv")
    ]),
    "clinc150": ("CC BY 3.0, train OK", lambda d: [
        text
        for rows in json.loads((d / "topics/clinc150/data_full.json").read_text("utf-8")).values()
        for text, _ in rows
    ]),
    "bitext-llm": ("CDLA-Sharing-1.0, train OK", lambda d: [
        r["instruction"] for r in _csv(
            d / "agent-requests/bitext-customer-support/llm_chatbot_training_4514_commit8b6ca3d.csv"
        )
    ]),
    "bitext-intents": ("CDLA-Sharing-1.0, train OK", lambda d: [
        r["utterance"]
        for split in ("Training", "Validation", "Testing")
        for r in _csv(d / "agent-requests/bitext-customer-support/intent_detection"
                      / f"Bitext_Sample_Customer_Service_{split}_Dataset.csv")
    ]),
    "rasa-demo": ("GPL-3.0, eval only", lambda d: [
        r["text"] for split in ("train", "test") for r in _csv(d / f"agent-requests/rasa-demo/nlu_{split}.csv")
    ]),
    "twitter-us-airline": ("CC BY-NC-SA 4.0, eval only", lambda d: [
        r["text"] for r in _csv(d / "sentiment/twitter-us-airline/Tweets.csv")
    ]),
    "umsab-fr": ("DEFT research terms, eval only", lambda d: [
        line for split in ("train", "val") for line in _lines(d / f"sentiment/umsab/french/{split}_text.txt")
    ]),
    "umsab-en": ("SemEval research terms, eval only", lambda d: [
        line for split in ("train", "val") for line in _lines(d / f"sentiment/umsab/english/{split}_text.txt")
    ]),
    "xed-fr": ("CC BY 4.0, train OK", lambda d: [
        line.split("\t")[0] for line in _lines(d / "emotion/xed/fr-projections.tsv")
    ]),
    "fr-tv-series-reviews": ("no stated licence, eval only", lambda d: [
        line.split("\t", 1)[1]
        for split in ("train", "dev", "test")
        for line in _lines(d / f"sentiment/fr-tv-series-reviews/{split}.tsv")
        if "\t" in line
    ]),
    "dailydialog": ("CC BY-NC-SA 4.0, eval only", lambda d: [
        line.split("\t")[0]
        for split in ("test", "dev")
        for line in _lines(d / f"emotion/dailydialog/en_{split}_human.txt")
    ]),
    "meld": ("GPL-3.0, eval only", lambda d: [
        r["Utterance"] for split in ("train", "dev", "test") for r in _csv(d / f"emotion/meld/{split}_sent_emo.csv")
    ]),
}  # fmt: skip

P, C, F = "personal", "contact", "false_alarm"
RASA_USER_EMAIL = (P, "an address given as the user's own (demo data; some are dummies)")
#: (data set, sha256 of the text [:12], start, end, kind) -> (judgement, why). Judged by hand
#: from ``--list``; notes never quote personal data.
JUDGEMENTS: dict[tuple[str, str, int, int, str], tuple[str, str]] = {
    ('clinc150', '0ac85f8529bd', 12, 16, 'secret'): (P, 'a PIN the user wants to set'),
    ('rasa-demo', '7f5983bac474', 24, 43, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '17bb9d66fc77', 6, 23, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'b7d4823591da', 12, 31, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '16057272dc75', 0, 30, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '5451dcb3de0e', 0, 15, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '819da908eab9', 0, 19, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '3e9412808298', 0, 19, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '0c7aed4a28be', 0, 19, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '71142bec73f2', 0, 17, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '66a2adaa98d8', 0, 23, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'ef8cb0d56c41', 0, 16, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'fb98d44ad750', 0, 7, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '21a148fb094d', 0, 19, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '51d8525e83af', 12, 30, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '9daae8f941d3', 8, 31, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '2c04f111ea63', 5, 25, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'bd643fd3ee57', 5, 29, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '10a7810837d1', 6, 29, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '8770b96078ce', 19, 34, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'ba4c7add32ac', 20, 45, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '864284d2d3ec', 12, 27, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '1b0fe7746350', 12, 41, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '6f3a30b7297d', 12, 30, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'eca2ce6f7ef5', 12, 29, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '4b494d94e9b7', 12, 28, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'bb110ac2aa26', 12, 32, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'bd0f9c5e7418', 12, 34, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'a3a4668f3111', 12, 30, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '73b04cf729c7', 12, 31, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '5bc4537a1ae3', 8, 21, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '69c02c0797a7', 7, 27, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'a22b3dc33780', 12, 27, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '825e6518d9ff', 45, 62, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '3d1799988de0', 43, 65, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '3b313bb4c374', 25, 40, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'b5ec13f4ef37', 30, 47, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'd6c91ed33fa6', 30, 53, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '048ccf84bac0', 26, 42, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '9556dd13c852', 38, 62, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'dcb4a8184015', 44, 68, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '74a38f31c8ce', 10, 34, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '0f9c151b7536', 10, 26, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'f7f0a7168b71', 19, 34, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'c71950e45e05', 0, 15, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '80dc49cc2bba', 0, 13, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '2634c3ba2c21', 12, 29, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '83c80ff7405c', 0, 33, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'b2afbcb45e69', 0, 19, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '28cebe9f1761', 0, 11, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'e62d59a862c3', 0, 17, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '1b9113e3e205', 5, 16, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'f137c38f650d', 0, 15, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'f660ab912ec1', 0, 13, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '54d87d38f5e9', 12, 28, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', 'd1177e074024', 0, 15, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '856361513498', 12, 25, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '7e9e890ad45b', 25, 37, 'email'): RASA_USER_EMAIL,
    ('rasa-demo', '63d2acc587a0', 38, 53, 'email'): RASA_USER_EMAIL,
    ('twitter-us-airline', '217261f21261', 126, 138, 'phone'): (P, "a customer's or a relative's number"),
    ('twitter-us-airline', '054f5fbce17c', 23, 45, 'email'): (C, "the airline's info address"),
    ('twitter-us-airline', '9296efeeeb99', 41, 60, 'email'): (C, "the airline's service address"),
    ('twitter-us-airline', '892fe995ef99', 50, 62, 'phone'): (P, "a customer's or a relative's number"),
    ('twitter-us-airline', '43f104d5e2fb', 57, 69, 'phone'): (P, "a customer's or a relative's number"),
    ('twitter-us-airline', '80ca8f3e4e5a', 37, 49, 'phone'): (P, "a customer's or a relative's number"),
    ('twitter-us-airline', '70daa7cde525', 8, 38, 'email'): (P, "a customer's address"),
    ('twitter-us-airline', '3957dad39be7', 91, 103, 'phone'): (C, "a company's toll-free line"),
    ('twitter-us-airline', 'd390483a55f5', 70, 80, 'phone'): (P, "a customer's or a relative's number"),
    ('twitter-us-airline', '54bc20c42cee', 130, 140, 'phone'): (P, "a customer's or a relative's number"),
    ('twitter-us-airline', 'b5b01f07d653', 70, 90, 'email'): (P, "a customer's address"),
    ('twitter-us-airline', '99bdedf4706d', 72, 84, 'phone'): (P, "a customer's or a relative's number"),
    ('twitter-us-airline', '8a7c550acd46', 99, 111, 'phone'): (P, "a customer's or a relative's number"),
    ('twitter-us-airline', 'e6b81ece8b63', 102, 122, 'email'): (P, "a customer's address"),
    ('twitter-us-airline', 'ab5688f56113', 112, 138, 'email'): (P, "a customer's address"),
    ('twitter-us-airline', '5bd1d69954b6', 58, 71, 'phone'): (P, "a customer's or a relative's number"),
    ('twitter-us-airline', 'd14b749dc4e5', 97, 109, 'phone'): (P, "a customer's or a relative's number"),
    ('twitter-us-airline', 'e5afe6569c5c', 45, 57, 'phone'): (P, "a customer's or a relative's number"),
    ('twitter-us-airline', '944fd0951bc4', 49, 67, 'email'): (C, "the airline's service address"),
    ('twitter-us-airline', 'e5e15ad7a520', 27, 52, 'email'): (C, "the airline's service address"),
    ('twitter-us-airline', '749dd44df153', 91, 123, 'email'): (C, "the airline's service address"),
    ('twitter-us-airline', '28e160f005c9', 106, 118, 'phone'): (C, "the airline's lost-and-found line"),
    ('twitter-us-airline', 'e694748674cd', 89, 107, 'email'): (P, "a customer's address"),
    ('twitter-us-airline', '94e93a3fc3ec', 43, 55, 'phone'): (C, "the airline's hotline"),
    ('twitter-us-airline', '1a4351f47ea0', 24, 36, 'phone'): (C, "the airline's hotline"),
    ('twitter-us-airline', '63ed1ca4104f', 91, 116, 'email'): (P, "a customer's address"),
    ('twitter-us-airline', '2423f434a92d', 41, 55, 'phone'): (C, "the airline's hotline"),
    ('twitter-us-airline', 'cb3db00cf7c7', 24, 36, 'phone'): (P, "a customer's or a relative's number"),
    ('twitter-us-airline', 'c21a95a05da1', 59, 73, 'ip'): (C, "a mail server's address"),
    ('twitter-us-airline', '4ddc68159532', 63, 90, 'email'): (C, "the airline's no-reply address"),
    ('twitter-us-airline', 'f675681c06d1', 32, 56, 'email'): (P, "a customer's address"),
    ('twitter-us-airline', '6a46b8464c3f', 84, 99, 'phone'): (C, "a company's switchboard in a signature"),
    ('twitter-us-airline', 'bb116001c4ce', 50, 75, 'email'): (C, "the airline's service address"),
    ('twitter-us-airline', 'fa2e5881e5d7', 63, 75, 'phone'): (C, "the airline's hotline"),
    ('twitter-us-airline', 'f817ba78d0ae', 39, 59, 'email'): (P, "a customer's address"),
    ('twitter-us-airline', '5303d92c68cf', 43, 57, 'phone'): (C, "the airline's hotline"),
    ('twitter-us-airline', 'fc270862e455', 89, 101, 'phone'): (C, "the airline's hotline"),
    ('twitter-us-airline', '5bbe38b34e11', 36, 50, 'phone'): (C, "the airline's hotline"),
    ('twitter-us-airline', 'eba92db30f02', 67, 79, 'phone'): (C, "the airline's hotline"),
    ('twitter-us-airline', '4db581bde6ad', 106, 131, 'email'): (P, "a customer's address"),
    ('twitter-us-airline', '7f6c4184eeb9', 47, 57, 'phone'): (P, "a customer's or a relative's number"),
    ('twitter-us-airline', '32f376130a3a', 59, 69, 'phone'): (P, "a customer's or a relative's number"),
    ('twitter-us-airline', '81b10f896b20', 69, 81, 'phone'): (C, "the airline's hotline"),
    ('umsab-fr', '41fb00b7fd65', 89, 116, 'email'): (C, "an organiser's booking address"),
    ('umsab-fr', '9e822a193834', 65, 82, 'email'): (F, "a mangled 'via @handle' in a tweet, not an address"),
    ('umsab-fr', '9961bd28da70', 90, 102, 'phone'): (P, 'a phone number posted in a tweet'),
    ('dailydialog', 'c06f230d4f20', 249, 261, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', '4387901acfe6', 821, 833, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', '7b4885b9f8e4', 865, 877, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', '06a65bbf26a7', 565, 573, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', '06a65bbf26a7', 592, 604, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', '06a65bbf26a7', 627, 635, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', '06a65bbf26a7', 663, 671, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', '7ce060e9894c', 343, 351, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', 'f256947cc70f', 335, 343, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', '2e750f879f0b', 126, 134, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', '2e750f879f0b', 157, 165, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', 'afdd4614bee1', 963, 975, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', '0f3a7a5978a5', 903, 915, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', '0f3a7a5978a5', 933, 945, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', '3572ad0a5c52', 196, 208, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', '84b2d7f2bb5c', 191, 203, 'phone'): (P, "a character's phone number in a dialogue"),
    ('dailydialog', '0945d9fe403c', 615, 627, 'phone'): (P, "a character's phone number in a dialogue"),
    ('meld', '3a68c0859b62', 66, 74, 'phone'): (P, "a character's phone number in a dialogue"),
}  # fmt: skip

#: Personal data in the same texts that the redactor does not find, from a hand search of
#: every run of 7+ digits (separators allowed) and every "x@y.z"-like string, with
#: ``--list``: (data set, text hash, start, end) -> (what it is, why it is missed). Company
#: numbers and references that the search also turned up are not listed.
KNOWN_MISSES: dict[tuple[str, str, int, int], tuple[str, str]] = {
    ("clinc150", "50e0a4a0885b", 54, 62): ("account", "bank account numbers are not a kind"),
    ("twitter-us-airline", "6e930c61dd29", 125, 135): ("phone", "compact, glued to a word, no phone word before"),
    ("dailydialog", "fd29301ac4e9", 378, 385): ("phone", "7-digit local number without a dash"),
    ("dailydialog", "fd29301ac4e9", 417, 424): ("phone", "7-digit local number without a dash"),
    ("dailydialog", "d6602d7124ef", 659, 679): ("card", "fails the Luhn check (made up), 4-4-5-4 groups"),
    ("dailydialog", "33e766c3335d", 498, 509): ("phone", "8+2 grouping"),
    ("dailydialog", "b2f180c24e60", 402, 418): ("phone", "Chinese mobile, no format for it"),
    ("dailydialog", "b2f180c24e60", 429, 440): ("phone", "Chinese mobile, no format for it"),
    ("dailydialog", "4a76b5b7f8ed", 402, 418): ("phone", "Chinese mobile, no format for it"),
    ("dailydialog", "4a76b5b7f8ed", 429, 440): ("phone", "Chinese mobile, no format for it"),
    ("dailydialog", "ab8a4baaf74e", 372, 379): ("phone", "7-digit local number without a dash"),
    ("dailydialog", "aa1ed288eeb5", 226, 235): ("phone", "8-digit local number (4-4)"),
    ("dailydialog", "f256947cc70f", 112, 121): ("phone", "8-digit local number (7+1)"),
    ("dailydialog", "f256947cc70f", 188, 197): ("phone", "8-digit local number (4-4)"),
    ("dailydialog", "f256947cc70f", 553, 562): ("phone", "8-digit local number (4-4)"),
    ("dailydialog", "f256947cc70f", 607, 616): ("phone", "8-digit local number (4-4)"),
    ("dailydialog", "b2cf06333237", 191, 200): ("phone", "8-digit local number (7+1)"),
    ("dailydialog", "6705ed0faa8b", 138, 151): ("account", "membership card numbers are not a kind"),
    ("dailydialog", "c0b557fe35bc", 1391, 1403): ("ssn", "a stray space inside the number"),
    ("dailydialog", "7a7a7e503a53", 554, 563): ("phone", "8-digit local number (7+1)"),
    ("dailydialog", "c1693dec6ea2", 644, 651): ("phone", "7-digit local number without a dash"),
    ("meld", "3f1a8c45c8b2", 27, 34): ("account", "bank account numbers are not a kind"),
}  # fmt: skip


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def evaluate_real(data: Path, *, show: bool = False) -> dict:
    report: dict = {"sets": {}, "totals": Counter(), "false_alarms": [], "unjudged": []}
    for name, (licence, read) in REAL_SETS.items():
        try:
            texts = read(data)
        except FileNotFoundError:
            report["sets"][name] = {"skipped": "files not found"}
            continue
        counts: Counter = Counter()
        kinds: dict[str, Counter] = defaultdict(Counter)
        for text in texts:
            for span in find_pii(text):
                key = (name, text_key(text), span.start, span.end, span.kind)
                label, note = JUDGEMENTS.get(key, ("unjudged", ""))
                counts[label] += 1
                kinds[span.kind][label] += 1
                if label == F:
                    report["false_alarms"].append(
                        {"set": name, "kind": span.kind, "text": span.text, "why": note}
                    )
                elif label == "unjudged":
                    report["unjudged"].append({"set": name, "kind": span.kind, "key": list(key)})
                if show:
                    context = text[max(0, span.start - 60) : span.end + 30].replace("\n", " ")
                    print(f"{label:11s} {key!r}\n            {span.text!r} | {context!r}")
        missed = Counter(what for key, (what, _) in KNOWN_MISSES.items() if key[0] == name)
        row = {
            "licence": licence,
            "texts": len(texts),
            "chars": sum(map(len, texts)),
            "spans": sum(counts.values()),
            **{label: counts[label] for label in (P, C, F, "unjudged")},
            "false_alarms_per_1000_texts": round(1000 * counts[F] / max(1, len(texts)), 3),
            "per_kind": {k: dict(v) for k, v in sorted(kinds.items())},
            "known_personal_misses": dict(sorted(missed.items())),
        }
        report["sets"][name] = row
        for field in ("texts", "chars", "spans", P, C, F, "unjudged"):
            report["totals"][field] += row[field]
        report["totals"]["known_personal_misses"] += sum(missed.values())
        report["totals"]["known_personal_misses_of_a_kind"] += sum(
            n for what, n in missed.items() if what in KINDS
        )
    totals = report["totals"]
    totals["false_alarms_per_1000_texts"] = round(1000 * totals[F] / max(1, totals["texts"]), 3)
    totals["false_alarms_per_million_chars"] = round(1e6 * totals[F] / max(1, totals["chars"]), 3)
    totals["precision_judged"] = _ratio(totals[P] + totals[C], totals[P] + totals[C] + totals[F])
    # of the personal data of a redacted kind that the hand search knows of, the share found
    totals["recall_on_known_personal"] = _ratio(
        totals[P], totals[P] + totals["known_personal_misses_of_a_kind"]
    )
    report["known_misses"] = [
        {"set": key[0], "what": what, "why": why} for key, (what, why) in KNOWN_MISSES.items()
    ]
    report["totals"] = dict(totals)
    return report


# ------------------------------------------------------------------ speed


def _best_time_s(function, texts: list[str]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        for text in texts:
            function(text)
        best = min(best, time.perf_counter() - started)
    return best


def _per_turn_us(texts: list[str]) -> dict:
    """Median and tail of single calls (the fastest of ``REPEATS`` runs of each turn)."""
    timings = []
    for text in texts:
        best = float("inf")
        for _ in range(REPEATS):
            started = time.perf_counter_ns()
            find_pii(text)
            best = min(best, time.perf_counter_ns() - started)
        timings.append(best / 1000)
    timings.sort()
    return {
        "turns": len(texts),
        "mean_chars": round(statistics.fmean(map(len, texts)), 1),
        "median_us": round(statistics.median(timings), 2),
        "p95_us": round(timings[int(0.95 * (len(timings) - 1))], 2),
        "p99_us": round(timings[int(0.99 * (len(timings) - 1))], 2),
        "max_us": round(timings[-1], 2),
    }


def measure_speed(corpus: dict[str, list[str]], eval_texts: list[str]) -> dict:
    everything = [t for texts in corpus.values() for t in texts] or eval_texts
    chars = sum(map(len, everything))
    find_s = _best_time_s(find_pii, everything)
    redact_s = _best_time_s(redact, everything)
    report = {
        "corpus_texts": len(everything),
        "corpus_chars": chars,
        "find_pii_chars_per_s": round(chars / find_s),
        "redact_chars_per_s": round(chars / redact_s),
        "turns": {"eval_set_sentences": _per_turn_us(eval_texts)},
    }
    for name in ("banking77", "umsab-fr"):
        if corpus.get(name):
            report["turns"][name] = _per_turn_us(corpus[name][:3000])
    return report


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--list", action="store_true", help="print every span found in real text")
    args = parser.parse_args(argv)

    rows = read_eval_set()
    report: dict = {
        "module": "empathy_signals.redact",
        "command": "python benchmarks/quality_redaction.py",
        "eval_set": {
            "file": "benchmarks/data/pii_eval.tsv",
            "sha256": hashlib.sha256(EVAL_SET.read_bytes()).hexdigest(),
            "written_by": "benchmarks/data/make_pii_eval.py (hand-written templates, seeded values)",
            **evaluate_set(rows),
        },
    }
    corpus: dict[str, list[str]] = {}
    if args.data.is_dir():
        report["real_text"] = {"data": "../shared/data", **evaluate_real(args.data, show=args.list)}
        for name, (_, read) in REAL_SETS.items():
            try:
                corpus[name] = read(args.data)
            except FileNotFoundError:
                pass
    else:
        report["real_text"] = {"skipped": f"{args.data} not found"}
    report["speed"] = measure_speed(corpus, [r["text"] for r in rows])
    report["platform"] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
        "cpu_count": os.cpu_count(),
        # a shared machine: times move with the load of other jobs
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],
    }

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    ev = report["eval_set"]
    print(f"== evaluation set: {ev['rows']} sentences {ev['rows_per_group']}")
    print(f"   overall {ev['overall']}")
    for kind, m in ev["per_kind"].items():
        print(f"   {kind:7s} " + " ".join(f"{k}={v}" for k, v in m.items()))
    for group, m in ev["per_group"].items():
        print(f"   group {group:6s} {m}")
    real = report["real_text"]
    if "totals" in real:
        print(f"== real text: {real['totals']}")
        for name, m in real["sets"].items():
            print(f"   {name:22s} " + " ".join(
                f"{k}={v}" for k, v in m.items() if k not in ("licence", "per_kind")
            ))  # fmt: skip
        for alarm in real["false_alarms"]:
            print(f"   false alarm: {alarm}")
    speed = report["speed"]
    print(f"== speed: find_pii {speed['find_pii_chars_per_s']:,} chars/s, "
          f"redact {speed['redact_chars_per_s']:,} chars/s")  # fmt: skip
    for name, m in speed["turns"].items():
        print(f"   {name:20s} {m}")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
