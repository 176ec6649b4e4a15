"""Readers for the development data in ``../shared/data`` (build-time and evaluation only).

Nothing here ships in the wheel. Every reader returns plain Python lists and records the
licence class of its source, so scripts can refuse to fit on *eval only* sets.

The data root is ``$EMPATHY_SIGNALS_DATA`` or ``<repo>/../shared/data``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("EMPATHY_SIGNALS_DATA", REPO.parent / "shared" / "data"))

TRAIN_OK = "train OK"
EVAL_ONLY = "eval only"

# Deterministic 80/20 split for sets that have no official split (XED): a row is "dev" when
# the first byte of sha1(text) is < 52 (52/256 = 20.3 %). Stable across runs and machines.
DEV_BYTE_THRESHOLD = 52


@dataclass(frozen=True)
class Source:
    """A file of the development data, with its licence class."""

    name: str
    path: str
    licence: str
    use: str


SOURCES = {
    "bitext": Source("bitext", "agent-requests/bitext-customer-support", "CDLA-Sharing-1.0", TRAIN_OK),
    "rasa": Source("rasa", "agent-requests/rasa-demo", "GPL-3.0", EVAL_ONLY),
    "goemotions": Source("goemotions", "emotion/goemotions", "Apache-2.0", TRAIN_OK),
    "xed": Source("xed", "emotion/xed", "CC BY 4.0", TRAIN_OK),
    "banking77": Source("banking77", "topics/banking77", "CC BY 4.0", TRAIN_OK),
    "clinc150": Source("clinc150", "topics/clinc150", "CC BY 3.0", TRAIN_OK),
    "umsab": Source("umsab", "sentiment/umsab", "DEFT/SemEval research terms", EVAL_ONLY),
    "tweeteval": Source("tweeteval", "emotion/tweeteval", "SemEval + Twitter terms", EVAL_ONLY),
    "fr_tv": Source("fr_tv", "sentiment/fr-tv-series-reviews", "not stated", EVAL_ONLY),
}


def available() -> bool:
    """True when the development data folder exists."""
    return DATA.is_dir()


def split_of(text: str) -> str:
    """Deterministic ``"train"`` / ``"dev"`` split for sets without an official one."""
    return "dev" if hashlib.sha1(text.encode("utf-8")).digest()[0] < DEV_BYTE_THRESHOLD else "train"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- agent requests
def agent_request_rows() -> list[dict[str, str]]:
    """``agent_request_en.csv`` rows: text, asks_for_human, source, source_label, source_split."""
    return _csv_rows(DATA / "agent-requests" / "agent_request_en.csv")


def bitext_intent(split: str) -> list[tuple[str, str]]:
    """Bitext intent-detection (utterance, intent); split in train / validation / test."""
    name = {"train": "Training", "validation": "Validation", "test": "Testing"}[split]
    path = DATA / SOURCES["bitext"].path / "intent_detection" / (
        f"Bitext_Sample_Customer_Service_{name}_Dataset.csv"
    )
    return [(r["utterance"], r["intent"]) for r in _csv_rows(path)]


def bitext_llm() -> list[tuple[str, str]]:
    path = DATA / SOURCES["bitext"].path / "llm_chatbot_training_4514_commit8b6ca3d.csv"
    return [(r["instruction"], r["intent"]) for r in _csv_rows(path)]


def rasa(split: str) -> list[tuple[str, str]]:
    path = DATA / SOURCES["rasa"].path / f"nlu_{split}.csv"
    return [(r["text"], r["intent"]) for r in _csv_rows(path)]


# --------------------------------------------------------------------------- emotion
def goemotions_labels() -> list[str]:
    return (DATA / "emotion/goemotions/labels.txt").read_text(encoding="utf-8").split()


def goemotions(split: str) -> list[tuple[str, list[str]]]:
    """GoEmotions (text, [label names]); split in train / dev."""
    names = goemotions_labels()
    out = []
    with open(DATA / "emotion/goemotions" / f"{split}.tsv", encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2:
                continue
            out.append((parts[0], [names[int(i)] for i in parts[1].split(",")]))
    return out


XED_LABELS = {1: "anger", 2: "anticipation", 3: "disgust", 4: "fear", 5: "joy", 6: "sadness",
              7: "surprise", 8: "trust"}


def _xed_file(name: str) -> list[tuple[str, list[str]]]:
    out = []
    with open(DATA / "emotion/xed" / name, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2:
                continue
            try:
                ids = [int(x) for x in parts[1].split(",")]
            except ValueError:
                continue
            if not ids or any(i not in XED_LABELS for i in ids):
                continue
            out.append((parts[0], [XED_LABELS[i] for i in ids]))
    return out


def xed(lang: str, split: str | None = None) -> list[tuple[str, list[str]]]:
    """XED (text, [Plutchik labels]); lang ``en`` (annotated) or ``fr`` (projections).

    English neutral lines come from :func:`xed_neutral_en`. ``split`` uses :func:`split_of`.
    """
    rows = _xed_file("en-annotated.tsv" if lang == "en" else "fr-projections.tsv")
    if split is not None:
        rows = [r for r in rows if split_of(r[0]) == split]
    return rows


def xed_neutral_en(split: str | None = None) -> list[str]:
    out = []
    with open(DATA / "emotion/xed/neu_en.txt", encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2 and parts[1].strip():
                out.append(parts[1])
    if split is not None:
        out = [t for t in out if split_of(t) == split]
    return out


# --------------------------------------------------------------------------- sentiment
def umsab(lang: str, split: str) -> list[tuple[str, int]]:
    """UMSAB (text, label 0 negative / 1 neutral / 2 positive); lang ``french`` / ``english``."""
    base = DATA / "sentiment/umsab" / lang
    texts = (base / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (base / f"{split}_labels.txt").read_text(encoding="utf-8").split("\n")
    return [(t, int(y)) for t, y in zip(texts, labels, strict=False) if y.strip()]


def tweeteval_sentiment(split: str) -> list[tuple[str, int]]:
    base = DATA / "emotion/tweeteval/sentiment"
    texts = (base / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (base / f"{split}_labels.txt").read_text(encoding="utf-8").split("\n")
    return [(t, int(y)) for t, y in zip(texts, labels, strict=False) if y.strip()]


def fr_tv(split: str) -> list[tuple[str, int]]:
    out = []
    with open(DATA / "sentiment/fr-tv-series-reviews" / f"{split}.tsv", encoding="utf-8") as f:
        for line in f:
            label, _, text = line.rstrip("\n").partition("\t")
            if label in ("0", "1") and text.strip():
                out.append((text, int(label)))
    return out


# --------------------------------------------------------------------------- topics
def banking77(split: str) -> list[tuple[str, str]]:
    return [(r["text"], r["category"]) for r in _csv_rows(DATA / "topics/banking77" / f"{split}.csv")]


def clinc150(split: str) -> list[tuple[str, str]]:
    """CLINC150 (text, intent); split in train / val / test, out-of-scope rows as ``oos``."""
    d = json.loads((DATA / "topics/clinc150/data_full.json").read_text(encoding="utf-8"))
    return [(t, y) for t, y in d[split] + d[f"oos_{split}"]]
