"""Invariants of one customer turn over arbitrary text (Hypothesis)."""

from __future__ import annotations

import math
import time
from functools import lru_cache

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from empathy_signals import Assessment, Detector, analyze
from empathy_signals.fusion import sigmoid
from empathy_signals.text import tokenize

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

any_char = st.characters(exclude_categories=("Cs",))
arbitrary_text = st.one_of(
    st.text(alphabet=any_char, max_size=200),
    st.text(alphabet=st.characters(codec="latin-1"), max_size=80),
    st.text(alphabet=st.sampled_from(list("aeiouçéèÀ'’- .,;:!?\t\n\x00\x1b\u200b\u202e😡🙏İß\u0301")), max_size=120),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", "!", "😡", "ha", "no", " ", "\u0301"]), st.integers(500, 5_000)),
)
language = st.sampled_from(["fr", "en", "auto"])

FR_PREFIX = [
    ("customer", "Bonjour, ma box ne marche plus"),
    ("customer", "C'est INADMISSIBLE !!!"),
    ("customer", "Je vous l'ai déjà dit"),
    ("customer", "mon père est décédé"),
    ("customer", "merci beaucoup"),
    ("customer", "Je veux parler à un conseiller"),
    ("customer", "je ne veux pas de conseiller"),
    ("customer", ""),
    ("bot", "Je n'ai pas compris votre demande."),
    ("bot", "Pouvez-vous reformuler ?"),
    ("agent", "Bonjour, je suis Julie."),
]
EN_PREFIX = [
    ("customer", "Hello, my internet is down"),
    ("customer", "This is RIDICULOUS!!!"),
    ("customer", "I already told you"),
    ("customer", "My mother passed away"),
    ("customer", "thanks a lot"),
    ("customer", "I want to talk to an agent"),
    ("customer", "I don't need an agent"),
    ("customer", "   "),
    ("bot", "Sorry, I didn't understand that."),
    ("bot", "Could you rephrase?"),
    ("agent", "Hi, this is Sam."),
]

REQUESTS = [
    ("fr", "je veux parler à un conseiller"),
    ("fr", "passez-moi un humain s'il vous plaît"),
    ("fr", "est-ce que je peux parler à quelqu'un"),
    ("fr", "je voudrais joindre un conseiller"),
    ("en", "i want to talk to a real person"),
    ("en", "can i speak to a human please"),
    ("en", "please connect me to an agent"),
    ("en", "let me speak to your supervisor"),
]


@lru_cache(maxsize=1)
def detector() -> Detector:
    return Detector()


def checked(a: Assessment) -> Assessment:
    assert Assessment.model_validate(a.model_dump()) == a
    return a


def one_turn(text: str, lang: str = "auto") -> Assessment:
    return checked(detector().session(lang).add({"speaker": "customer", "text": text}))


def decision_view(a: Assessment) -> tuple:
    """What must not depend on layout: the numbers, the decision and the signals."""
    return (
        a.escalation_score,
        a.decision,
        a.decision_rule,
        a.signals.model_dump(),
        tuple((r.signal, r.contribution) for r in a.reasons),
    )


# ------------------------------------------------------------------ bounded, finite, never crashes


@SETTINGS
@given(arbitrary_text, language)
def test_any_text_gives_a_bounded_finite_valid_assessment(text, lang):
    a = one_turn(text, lang)
    assert 0.0 <= a.escalation_score <= 1.0
    assert math.isfinite(a.logit) and math.isfinite(a.bias)
    assert a.escalation_score == sigmoid(a.logit) or abs(a.escalation_score - sigmoid(a.logit)) < 1e-12
    assert a.bias + sum(r.contribution for r in a.reasons) == a.logit or abs(
        a.bias + sum(r.contribution for r in a.reasons) - a.logit
    ) < 1e-9
    s = a.signals
    assert 0.0 <= s.human_request.score <= 1.0
    assert -1.0 <= s.sentiment.valence <= 1.0
    assert 0.0 <= s.friction.score <= 1.0
    assert all(0.0 <= v <= 1.0 for v in s.emotion.scores.model_dump().values())
    assert all(0.0 <= v <= 1.0 for v in s.topics.scores.values())
    for reason in a.reasons:
        assert math.isfinite(reason.contribution)
        for e in reason.evidence:
            assert e.turn == 0
            assert 0 <= e.start <= e.end <= len(text)
            assert text[e.start : e.end] == e.text


@SETTINGS
@given(arbitrary_text, language)
def test_same_input_gives_the_same_json(text, lang):
    first = one_turn(text, lang).model_dump_json()
    second = one_turn(text, lang).model_dump_json()
    assert first == second


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["customer", "bot", "agent"]), arbitrary_text), min_size=1, max_size=6))
def test_any_conversation_never_crashes_and_is_deterministic(turns):
    conversation = {"id": "x", "turns": [{"speaker": s, "text": t} for s, t in turns]}
    first = detector().assess(conversation)
    second = detector().assess(conversation)
    assert first.model_dump_json() == second.model_dump_json()
    for a in first.turns:
        checked(a)
        assert 0.0 <= a.escalation_score <= 1.0


def test_very_long_inputs_do_not_crash():
    for text in [
        "a" * 100_000,
        "conseiller" * 500,
        "je veux parler à un conseiller " * 2_000,
        "!" * 50_000,
        "😡" * 20_000,
        "\u0301" * 20_000,
    ]:
        a = one_turn(text, "fr")
        assert 0.0 <= a.escalation_score <= 1.0


def test_a_very_long_word_is_scored_quickly():
    """Regression: the speller once built every one-deletion variant of any word, quadratic in its
    length (a 100 kB token took ~30 s)."""
    text = "conseiller" * 4_000  # one 40 kB token of letters, no elongation to collapse
    assert len(tokenize(text).words) == 1
    started = time.perf_counter()
    one_turn(text, "fr")
    assert time.perf_counter() - started < 0.5


# ------------------------------------------------------------------ layout does not matter

whitespace = st.text(alphabet=st.sampled_from([" ", "\t", "\n", "\u00a0", "\u3000"]), min_size=1, max_size=5)
word = st.text(alphabet=st.characters(exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=10)
sentences = st.one_of(
    st.sampled_from([t for _, t in REQUESTS] + [t for _, t in FR_PREFIX + EN_PREFIX if t.strip()]),
    st.lists(word, min_size=2, max_size=8).map(" ".join),
).filter(lambda t: t == t.strip())


@SETTINGS
@given(sentences, whitespace, whitespace, language)
def test_surrounding_whitespace_does_not_change_the_result(text, before, after, lang):
    assert decision_view(one_turn(before + text + after, lang)) == decision_view(one_turn(text, lang))


@SETTINGS
@given(sentences, language)
def test_doubling_inner_spaces_does_not_change_the_result(text, lang):
    assume(" " in text)
    assert decision_view(one_turn(text.replace(" ", "  "), lang)) == decision_view(one_turn(text, lang))


@SETTINGS
@given(st.sampled_from(REQUESTS), st.data())
def test_title_case_of_a_request_does_not_change_the_request_score(request, data):
    lang, text = request
    words = text.split(" ")
    capitalised = data.draw(st.lists(st.booleans(), min_size=len(words), max_size=len(words)))
    titled = " ".join(w[:1].upper() + w[1:] if up else w for w, up in zip(words, capitalised))
    plain = one_turn(text, lang).signals.human_request
    mixed = one_turn(titled, lang).signals.human_request
    assert mixed == plain
    assert plain.detected


# ------------------------------------------------------------------ a request never lowers the score


def _score_after(prefix, last: str, lang: str) -> float:
    session = detector().session(lang)
    for speaker, text in prefix:
        checked(session.add({"speaker": speaker, "text": text}))
    return checked(session.add({"speaker": "customer", "text": last})).escalation_score


@SETTINGS
@given(st.lists(st.sampled_from(FR_PREFIX), max_size=8))
def test_french_request_never_lowers_the_score(prefix):
    assert _score_after(prefix, "je veux parler à un conseiller", "fr") >= _score_after(prefix, "d'accord", "fr")


@SETTINGS
@given(st.lists(st.sampled_from(EN_PREFIX), max_size=8))
def test_english_request_never_lowers_the_score(prefix):
    assert _score_after(prefix, "I want to talk to an agent", "en") >= _score_after(prefix, "okay", "en")


# ------------------------------------------------------------------ empty and blank text


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from([" ", "\t", "\n", "\r", "\u00a0", "\u2003", ".", ",", "?", "!", ";", ":"]), max_size=20), language)
def test_blank_text_is_neutral_and_says_why(text, lang):
    a = one_turn(text, lang)
    assert a.neutral_reason
    assert a.reasons == ()
    assert a.logit == a.bias
    assert a.decision == "continue"
    s = a.signals
    assert not s.human_request.detected and s.human_request.score == 0.0
    assert s.sentiment.valence == 0.0 and s.sentiment.label == "neutral"
    assert s.friction.score == 0.0
    assert s.topics.detected == ()


def test_blank_turn_inside_a_conversation_is_neutral_but_keeps_the_memory():
    session = detector().session("fr")
    first = checked(session.add({"speaker": "customer", "text": "Je veux parler à un conseiller"}))
    blank = checked(session.add({"speaker": "customer", "text": "   "}))
    assert blank.neutral_reason
    assert not blank.signals.human_request.detected
    assert blank.signals.human_request.count == 1
    assert blank.decision in ("offer_human", "continue")
    assert blank.escalation_score <= first.escalation_score


def test_text_with_words_has_no_neutral_reason():
    assert one_turn("bonjour", "fr").neutral_reason is None
    assert analyze("", lang="fr").neutral_reason
