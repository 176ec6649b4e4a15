"""The shortcuts taken for speed never change a result.

* the lexicon index (dispatch on first tokens, the required-word filter, ``^`` anchoring)
  finds exactly what trying every entry at every token finds;
* valence and emotion share one per-turn analysis, which a rebuilt table
  (``_Tables.set_derived``, as in ``models/lexicons/derive_weights.py``) invalidates;
* cached per-turn values equal a fresh computation.
"""

from __future__ import annotations

import re

import pytest

from empathy_signals.bench import GENERATED_TURNS
from empathy_signals.lexicons import (
    LexiconIndex,
    Match,
    index_for,
    lexicon_names,
    load_lexicon,
    parse_lexicon,
)
from empathy_signals.signals import LanguagePack, TurnInput, sentiment
from empathy_signals.signals.friction import MIN_CONTENT_WORD_CHARS, content_words
from empathy_signals.text import fold, tokenize


def _sample(pattern: str) -> str:
    """A text the pattern probably matches: first alternatives, no gaps, prefixes completed."""
    text = fold(pattern).replace("'", " ").replace("-", " ")
    text = re.sub(r"\.\.\d*|[\^$?]", " ", text)
    while "(" in text:
        text = re.sub(r"\(([^()|]*)(?:\|[^()]*)?\)", r"\1", text)
    return re.sub(r"\*", "s", text)


def _texts(language: str) -> list[str]:
    texts = [t for lang, t in GENERATED_TURNS if lang == language]
    for name in lexicon_names(language) + lexicon_names(language, "topics"):
        for section in load_lexicon(language, name).sections.values():
            for entry in section.entries:
                sample = _sample(entry.pattern)
                texts += [sample, f"well , {sample} !", f"{sample} {sample}"]
    return texts


def _every_entry_everywhere(index: LexiconIndex, text) -> dict[int, list[Match]]:
    """The scan without dispatch or filters: every entry tried at every token."""
    found: dict[int, list[Match]] = {}
    offsets = text.canonical_starts
    for position, offset in enumerate(offsets):
        for sid, section in enumerate(index._sections):
            for compiled in section.compiled:
                m = compiled.regex.match(text.canonical, offset)
                if m is not None:
                    last = max(i for i, start in enumerate(offsets) if start < m.end())
                    found.setdefault(sid, []).append(Match(compiled.entry, position, last))
    return found


@pytest.mark.parametrize("language", ["fr", "en"])
def test_index_scan_finds_what_brute_force_finds(language: str) -> None:
    sentiment._tables_of(language)  # its phrase sections join the index too
    index = index_for(language)
    for raw in _texts(language)[::7]:  # a stride keeps the brute force quick
        text = tokenize(raw)
        assert index.scan(text) == _every_entry_everywhere(index, text), raw


def test_anchored_entries_match_only_at_the_start() -> None:
    index = LexiconIndex("en")
    parse_lexicon(
        "# source: t\n# licence: t\n# version: 1\n^ (agent|human) $\n(^ a|^ b) c\n",
        name="t",
        language="en",
        index=index,
    )
    assert [m.first for m in index.scan(tokenize("agent")).get(0, [])] == [0]
    assert index.scan(tokenize("an agent")) == {}
    assert [m.first for m in index.scan(tokenize("a c")).get(0, [])] == [0]
    assert index.scan(tokenize("x a c")) == {}


def test_shared_sentiment_pass_follows_a_rebuilt_table() -> None:
    pack = LanguagePack("fr")
    tables = sentiment._Tables("fr")
    pack.resource("sentiment.tables.v1", lambda language: tables)
    text = tokenize("Je regarde la table, vraiment")
    before = [
        signal(TurnInput(0, text, "fr", pack)) for signal in (sentiment.valence, sentiment.emotion)
    ]
    tables.set_derived(
        {"table": (3.0, "test:1")}, {"table": [("joy", 2.0, "test:2")]}, blend=1.0, gain=1.0
    )
    fresh = tokenize(text.original)
    after = [
        signal(TurnInput(0, text, "fr", pack)) for signal in (sentiment.valence, sentiment.emotion)
    ]
    assert after == [
        signal(TurnInput(0, fresh, "fr", pack)) for signal in (sentiment.valence, sentiment.emotion)
    ]
    assert after[0].score > before[0].score
    assert after[1].scores["joy"] > before[1].scores["joy"]


def test_content_words_are_cached_per_turn() -> None:
    text = tokenize("I already told you, I already told you twice")
    first = content_words(text)
    assert first == frozenset(w for w in text.words if len(w) >= MIN_CONTENT_WORD_CHARS)
    assert content_words(text) is first
