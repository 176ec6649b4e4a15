"""Readers of ../shared/data for the benchmark suites (measure only: nothing here is fitted).

Every reader takes the data root explicitly (``run.py --data``) and returns plain lists.
Licences (see ../shared/data/README.md): twitter-us-airline, UMSAB and rasa-demo are eval only,
XED, GoEmotions and Bitext are train OK; all are only measured here.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
FR_SMOKE = ROOT / "benchmarks" / "data" / "human_request_fr.jsonl"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def airline_tweets(data: Path) -> list[dict[str, str]]:
    """twitter-us-airline: ``text``, ``airline_sentiment``, ``negativereason`` (eval only)."""
    return _csv(data / "sentiment/twitter-us-airline/Tweets.csv")


def agent_requests(data: Path, split: str | None = "test") -> list[dict[str, str]]:
    """agent_request_en.csv rows (``text``, ``asks_for_human``, ``source``, ``source_split``)."""
    rows = _csv(data / "agent-requests/agent_request_en.csv")
    return [r for r in rows if split is None or r["source_split"] == split]


def umsab(data: Path, folder: str, split: str = "val") -> list[tuple[str, int]]:
    """UMSAB ``folder`` = french | english: (text, 0 negative / 1 neutral / 2 positive)."""
    base = data / "sentiment/umsab" / folder
    texts = (base / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = [int(x) for x in (base / f"{split}_labels.txt").read_text(encoding="utf-8").split()]
    if len(texts) != len(labels):
        raise ValueError(f"{base}: {len(texts)} texts but {len(labels)} labels")
    return list(zip(texts, labels, strict=True))


def xed_fr(data: Path) -> list[tuple[str, set[int]]]:
    """XED French projections: rows with exactly two columns and a label like ``4, 7``."""
    rows = []
    for line in (data / "emotion/xed/fr-projections.tsv").read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) != 2:
            continue
        try:
            rows.append((fields[0], {int(x) for x in fields[1].split(",")}))
        except ValueError:
            continue
    return rows


def goemotions_dev(data: Path) -> list[tuple[str, set[str]]]:
    folder = data / "emotion/goemotions"
    names = (folder / "labels.txt").read_text(encoding="utf-8").split()
    rows = []
    for line in (folder / "dev.tsv").read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) >= 2:
            rows.append((fields[0], {names[int(i)] for i in fields[1].split(",")}))
    return rows


def ravdess(data: Path) -> list[dict[str, str]]:
    """RAVDESS labels (eval only): ``path`` (relative to the folder), ``actor``, ``emotion``."""
    return _csv(data / "speech/ravdess-16k/labels.csv")


def fr_smoke() -> list[dict]:
    """The French human-request smoke set written by the project (first line: a comment)."""
    rows = [json.loads(line) for line in FR_SMOKE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if "text" in r]


def sample(items: list, n: int, *, seed: int = 0) -> list:
    """A seeded sample of at most ``n`` items, in a stable order."""
    if len(items) <= n:
        return list(items)
    return random.Random(seed).sample(items, n)


def latency_sets(data: Path | None, n: int) -> dict[str, dict]:
    """The customer-message sets timed by the speed suite: name -> {language, source, texts}.

    With no data folder: the project's generated turns (``empathy_signals.bench``).
    """
    if data is None or not data.is_dir():
        from empathy_signals.bench import GENERATED_TURNS

        rounds = max(1, n // 20)
        return {
            f"generated_{lang}": {
                "language": lang,
                "source": "empathy_signals.bench.GENERATED_TURNS (written by the project; data folder absent)",
                "texts": [t for lg, t in GENERATED_TURNS if lg == lang] * rounds,
            }
            for lang in ("en", "fr")
        }
    return {
        "en_airline_tweets": {
            "language": "en",
            "source": "sentiment/twitter-us-airline/Tweets.csv text (customer tweets to airlines)",
            "texts": sample([r["text"] for r in airline_tweets(data)], n),
        },
        "en_agent_requests_test": {
            "language": "en",
            "source": "agent-requests/agent_request_en.csv rows with source_split == test",
            "texts": sample([r["text"] for r in agent_requests(data, "test")], n),
        },
        "fr_umsab_val": {
            "language": "fr",
            "source": "sentiment/umsab/french/val_text.txt (DEFT-2017 tweets)",
            "texts": sample([t for t, _ in umsab(data, "french", "val")], n),
        },
        "fr_xed": {
            "language": "fr",
            "source": "emotion/xed/fr-projections.tsv text (subtitles)",
            "texts": sample([t for t, _ in xed_fr(data)], n),
        },
    }
