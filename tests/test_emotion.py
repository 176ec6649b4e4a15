"""Emotion signal (text.emotion.lexicon.v1): French and English lexicon scores."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from empathy_signals.schema import EMOTIONS, EmotionScores
from empathy_signals.signals import sentiment
from empathy_signals.signals.base import REGISTRY, TurnInput
from empathy_signals.signals.resources import LanguagePack
from empathy_signals.text import tokenize

PACKS = {language: LanguagePack(language) for language in ("fr", "en")}


def emo(text: str, language: str):
    return sentiment.emotion(TurnInput(0, tokenize(text), language, PACKS[language]))


def test_registered():
    assert REGISTRY["text.emotion.lexicon.v1"].family == "emotion"


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("je suis énervé", "fr", "anger"),
        ("je suis furieux", "fr", "anger"),
        ("je suis en colère contre vous", "fr", "anger"),
        ("j'en ai marre", "fr", "frustration"),
        ("ça fait 3 fois que j'appelle", "fr", "frustration"),
        ("j'comprends rien", "fr", "confusion"),
        ("je suis perdu", "fr", "confusion"),
        ("je suis inquiet pour mon compte", "fr", "fear"),
        ("j'ai peur", "fr", "fear"),
        ("je suis triste", "fr", "sadness"),
        ("merci beaucoup", "fr", "gratitude"),
        ("génial, ça marche", "fr", "joy"),
        ("I am so angry", "en", "anger"),
        ("this is so annoying", "en", "frustration"),
        ("I'm fed up", "en", "frustration"),
        ("I don't understand", "en", "confusion"),
        ("I'm worried about my card", "en", "fear"),
        ("I feel sad", "en", "sadness"),
        ("thank you so much", "en", "gratitude"),
        ("great, I'm happy now", "en", "joy"),
        ("bonjour", "fr", "neutral"),
        ("what is my balance", "en", "neutral"),
    ],
)
def test_label(text, language, expected):
    finding = emo(text, language)
    assert finding.detail["label"] == expected, finding.scores


@pytest.mark.parametrize(
    ("plain", "negated", "language"),
    [("je suis énervé", "je ne suis pas énervé", "fr"), ("énervé", "pas énervé", "fr"), ("angry", "not angry", "en")],
)
def test_negated_emotion_words_do_not_count(plain, negated, language):
    assert emo(plain, language).scores["anger"] > 0.3
    assert emo(negated, language).scores["anger"] == 0.0
    assert emo(negated, language).scores["joy"] == 0.0


@pytest.mark.parametrize(
    ("plain", "intense", "language"),
    [
        ("je suis énervé", "je suis vraiment énervé", "fr"),
        ("je suis énervé contre vous", "je suis ÉNERVÉ contre vous", "fr"),
        ("je suis énervé", "je suis énervé !!!", "fr"),
        ("I am angry", "I am extremely angry", "en"),
        ("I am angry", "I am angry!!!", "en"),
        ("I am annoyed", "I am sooo annoyed", "en"),
    ],
)
def test_intensity_boosts_anger_and_frustration(plain, intense, language):
    a, b = emo(plain, language).scores, emo(intense, language).scores
    assert b["anger"] + b["frustration"] > a["anger"] + a["frustration"]


def test_shouting_alone_is_some_anger():
    assert emo("JE VEUX UN HUMAIN", "fr").scores["anger"] > 0.2
    assert emo("je veux un humain", "fr").scores["anger"] == 0.0


def test_emoji_emotion():
    assert emo("😡", "fr").detail["label"] == "anger"
    assert emo("ok 😭", "en").scores["sadness"] > 0.5


def test_negative_words_feed_frustration():
    assert emo("c'est nul", "fr").scores["frustration"] > 0.3
    assert emo("je ne suis pas content", "fr").scores["frustration"] > 0.0


def test_scores_fit_the_schema_and_neutral_is_the_complement():
    finding = emo("Je suis FURIEUX, ça fait 3 fois !!! merci pour rien 😡", "fr")
    assert set(finding.scores) == set(EMOTIONS)
    EmotionScores(**finding.scores)
    assert finding.scores["neutral"] == pytest.approx(1 - max(v for k, v in finding.scores.items() if k != "neutral"))
    assert finding.detail["label"] == max(finding.scores, key=finding.scores.__getitem__)


def test_hits_carry_the_emotion_and_add_up():
    finding = emo("je suis vraiment énervé et inquiet !!", "fr")
    labels = {h.label for h in finding.hits}
    assert {"anger", "fear"} <= labels
    for label, raw in finding.detail["raw"].items():
        assert sum(h.weight for h in finding.hits if h.label == label) == pytest.approx(raw)


def test_empty_is_neutral():
    finding = emo("", "fr")
    assert finding.detail["label"] == "neutral"
    assert finding.scores["neutral"] == 1.0
    assert finding.detail.get("neutral_reason")


def test_deterministic():
    text = "I'm SO frustrated, still not fixed!!! 😤"
    first = emo(text, "en")
    assert all(emo(text, "en") == first for _ in range(3))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["fr", "en"]))
def test_bounded_and_finite(text, language):
    finding = emo(text, language)
    assert set(finding.scores) == set(EMOTIONS)
    for value in finding.scores.values():
        assert math.isfinite(value) and 0.0 <= value <= 1.0
    assert finding.detail["label"] in EMOTIONS
    n = len(tokenize(text).words)
    for hit in finding.hits:
        assert 0 <= hit.first <= hit.last < n and hit.label in EMOTIONS


def test_derived_emotion_adds_weak_evidence_unless_negated():
    tables = sentiment._tables_of("fr")
    gain = sentiment.DERIVED_EMOTION_GAIN["fr"]
    word = next(
        w for w, rec in sorted(tables._table.items())
        if rec.derived and any(lab == "anger" for lab, _, _ in rec.derived) and w.isalpha() and not rec.flags & sentiment._EMOTION
    )
    found = emo(word, "fr")
    derived = [h for h in found.hits if h.source.startswith("fr/emotion_derived.tsv:")]
    assert derived and found.detail["raw"]["anger"] > 0
    assert all(0 < h.weight <= gain * 10 for h in derived)  # weak: gain * log-odds
    negated = emo(f"ne {word} pas", "fr")  # the word is token 1
    assert not [h for h in negated.hits if h.first == 1 and h.source.startswith("fr/emotion_derived.tsv:")]


def test_emotion_txt_words_take_no_derived_evidence():
    tables = sentiment._tables_of("fr")
    assert all(not rec.derived for rec in tables._table.values() if rec.flags & sentiment._EMOTION)
