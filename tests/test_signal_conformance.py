"""Every registered signal passes the same checks (as scikit-learn's ``check_estimator``):
versioned name, pure, deterministic, bounded finite scores, hits inside the turn."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from empathy_signals.signals import REGISTRY, History, LanguagePack, TurnInput
from empathy_signals.signals.base import Span
from empathy_signals.text import tokenize

SPECS = sorted(REGISTRY.values(), key=lambda s: s.name)
PACKS = {language: LanguagePack(language) for language in ("fr", "en")}
HISTORY = History(
    customer_turns=(frozenset({"conseiller", "prelevement"}),),
    valences=(0.2, -0.4),
    bot_failures=(Span(1, 0, 10, "pas compris", "rule:test"),),
    bot_repeated=True,
)
TEXTS = [
    "",
    "   ",
    "!!!",
    "Je veux parler à un conseiller, c'est INADMISSIBLE !!!",
    "I already told you, my card was stolen and I want a refund",
    "Mon père est décédé, je voudrais résilier son abonnement",
    "merci beaucoup 🙏",
    "ok",
    "agent",
    "0",
]


def _turn(text: str, language: str) -> TurnInput:
    return TurnInput(index=3, text=tokenize(text), language=language, pack=PACKS[language], history=HISTORY)


def _check(spec, text: str, language: str) -> None:
    turn = _turn(text, language)
    finding = spec.fn(turn)
    again = spec.fn(_turn(text, language))
    assert finding == again, "deterministic"
    low = -1.0 if spec.family == "sentiment" else 0.0
    assert math.isfinite(finding.score) and low <= finding.score <= 1.0, finding.score
    for label, value in finding.scores.items():
        assert isinstance(label, str) and math.isfinite(value) and 0.0 <= value <= 1.0, (label, value)
    n = len(turn.text.words)
    for hit in finding.hits:
        assert 0 <= hit.first <= hit.last < n, (hit, n)
        evidence = hit.evidence(turn)
        assert turn.text.original[evidence.start : evidence.end] == evidence.text
    assert turn.history == HISTORY, "pure: the history is not touched"


def test_every_signal_has_a_versioned_name_and_a_family() -> None:
    assert {s.family for s in SPECS} == {"human_request", "topics", "sentiment", "emotion", "friction"}
    for spec in SPECS:
        assert re.fullmatch(r"text\.[a-z_]+\.[a-z_]+\.v\d+", spec.name), spec.name


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("text", TEXTS)
def test_signal_conformance_on_known_texts(spec, language: str, text: str) -> None:
    _check(spec, text, language)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=200), language=st.sampled_from(["fr", "en"]))
def test_signal_conformance_on_arbitrary_text(spec, text: str, language: str) -> None:
    _check(spec, text, language)
