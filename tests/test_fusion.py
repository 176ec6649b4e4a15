"""Fusion: contributions add up to the logit, the score is its sigmoid, weights act monotonically."""

from __future__ import annotations

import math
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from empathy_signals import Assessment, Detector, Policy
from empathy_signals.fusion import Contributions, TurnValues, combine, decide, sigmoid

#: Phrases that make every text signal fire, in both languages, plus neutral ones.
CUSTOMER_PHRASES = [
    "Je veux parler à un conseiller",
    "Passez-moi un conseiller, vite !",
    "je ne veux pas de conseiller",
    "C'est INADMISSIBLE, je suis furieux !!!",
    "Je vous l'ai déjà dit, ça ne marche toujours pas",
    "mon père est décédé la semaine dernière",
    "je vais porter plainte",
    "je n'arrive plus à payer mes factures",
    "merci beaucoup, c'est parfait",
    "d'accord",
    "I want to talk to a real person",
    "I already told you, this is useless",
    "My mother passed away last month",
    "I'm so angry right now, this is a scam",
    "thank you so much, great service",
    "ok",
    "",
    "???",
    "😡😡😡",
]
OTHER_PHRASES = [
    "Je n'ai pas compris votre demande.",
    "Sorry, I didn't understand that.",
    "Pouvez-vous reformuler ?",
    "Un conseiller va vous répondre.",
    "How can I help you?",
]
turns = st.lists(
    st.one_of(
        st.tuples(st.just("customer"), st.sampled_from(CUSTOMER_PHRASES)),
        st.tuples(st.sampled_from(["bot", "agent"]), st.sampled_from(OTHER_PHRASES)),
    ),
    min_size=1,
    max_size=10,
)
SIGNALS = ("human_request", "topics", "sentiment", "emotion", "friction")


@cache
def _detector(policy_json: str | None) -> Detector:
    return Detector(None if policy_json is None else Policy.model_validate_json(policy_json))


def detector(policy: Policy | None = None) -> Detector:
    # a Policy holds dicts, so it is not hashable: cache detectors by the policy's JSON
    return _detector(None if policy is None else policy.model_dump_json())


def run(conversation, policy: Policy | None = None, language: str = "auto") -> list[Assessment]:
    session = detector(policy).session(language)
    out = []
    for speaker, text in conversation:
        a = session.add({"speaker": speaker, "text": text})
        assert Assessment.model_validate(a.model_dump()) == a
        out.append(a)
    return out


def with_weights(**weights) -> Policy:
    base = Policy.default()
    return base.model_copy(update={"weights": base.weights.model_copy(update=weights)})


def with_signal_off(signal: str) -> Policy:
    base = Policy.default()
    return base.model_copy(update={"signals": {**base.signals, signal: False}})


def customer(assessments):
    return [a for a in assessments if a.speaker == "customer"]


# ------------------------------------------------------------------ the sum


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns)
def test_contributions_sum_to_the_logit(conversation):
    for a in customer(run(conversation)):
        assert a.bias + sum(r.contribution for r in a.reasons) == pytest.approx(a.logit, abs=1e-9)
        assert a.escalation_score == pytest.approx(sigmoid(a.logit), rel=1e-12, abs=1e-15)
        assert 0.0 <= a.escalation_score <= 1.0
        assert math.isfinite(a.logit)
        signals = [r.signal for r in a.reasons]
        assert len(signals) == len(set(signals)), "one reason per signal"
        assert all(r.contribution != 0.0 for r in a.reasons if r.signal not in ("override", "hysteresis"))


def test_contributions_sum_on_a_long_mixed_conversation():
    conversation = [("customer", p) for p in CUSTOMER_PHRASES] + [("bot", p) for p in OTHER_PHRASES]
    conversation = conversation * 3
    for a in customer(run(conversation, language="fr")):
        assert a.bias + sum(r.contribution for r in a.reasons) == pytest.approx(a.logit, abs=1e-9)
        assert a.escalation_score == pytest.approx(sigmoid(a.logit))


@pytest.mark.parametrize("x", [-800.0, -40.0, -3.0, -1e-9, 0.0, 1e-9, 2.5, 40.0, 800.0])
def test_sigmoid_is_stable_and_bounded(x):
    y = sigmoid(x)
    assert 0.0 <= y <= 1.0 and math.isfinite(y)
    assert sigmoid(-x) == pytest.approx(1.0 - y, abs=1e-12)


def test_combine_is_weights_times_values():
    policy = Policy.default()
    w = policy.weights
    values = TurnValues(
        request_score=1.0,
        request_count=2,
        valence=-0.5,
        emotions={"anger": 0.5, "joy": 0.25},
        topics={"bereavement": 1.0, "health": 0.5},
        friction=0.25,
        arousal=0.5,
    )
    c = combine(values, policy)
    assert isinstance(c, Contributions)
    assert c.bias == w.bias
    assert c.parts["human_request"] == pytest.approx(w.human_request * 1.0 * (1 + w.human_request_repeat_gain))
    assert c.parts["sentiment"] == pytest.approx(w.negative_valence * 0.5)
    assert c.parts["emotion"] == pytest.approx(w.emotion["anger"] * 0.5 + w.emotion["joy"] * 0.25)
    assert c.parts["topics"] == pytest.approx(w.topics["bereavement"] + w.topics["health"] * 0.5)
    assert c.parts["friction"] == pytest.approx(w.friction * 0.25)
    assert c.parts["prosody"] == pytest.approx(w.prosody_arousal * (0.5 - w.prosody_neutral))
    assert c.logit == pytest.approx(w.bias + sum(c.parts.values()), abs=1e-12)
    assert c.score == sigmoid(c.logit)


def test_combine_leaves_out_zero_parts_and_positive_valence():
    c = combine(TurnValues(valence=0.9), Policy.default())
    assert c.parts == {}
    assert c.logit == Policy.default().weights.bias


@pytest.mark.parametrize(
    ("score", "decision"),
    [(0.0, "continue"), (0.4999, "continue"), (0.5, "offer_human"), (0.7999, "offer_human"), (0.8, "escalate"), (1.0, "escalate")],
)
def test_thresholds(score, decision):
    assert decide(score, Policy.default()) == decision


# ------------------------------------------------------------------ switching signals off

FIRES_EVERYTHING = [
    ("customer", "Bonjour, ma box ne marche plus"),
    ("bot", "Je n'ai pas compris votre demande."),
    ("customer", "C'est INADMISSIBLE, je vous l'ai déjà dit, ma box ne marche plus !!!"),
    ("customer", "mon père est décédé, je vais porter plainte, je veux parler à un conseiller"),
]


def test_every_text_signal_fires_on_the_reference_conversation():
    fired = {r.signal for a in run(FIRES_EVERYTHING, language="fr") for r in a.reasons}
    assert set(SIGNALS) <= fired


@pytest.mark.parametrize("signal", SIGNALS)
def test_disabling_a_signal_removes_its_reason(signal):
    policy = with_signal_off(signal)
    assert not policy.enabled(signal)
    out = run(FIRES_EVERYTHING, policy, language="fr")
    assert all(r.signal != signal for a in out for r in a.reasons)
    for a in customer(out):
        assert a.bias + sum(r.contribution for r in a.reasons) == pytest.approx(a.logit, abs=1e-9)
    others = [s for s in SIGNALS if s != signal]
    fired = {r.signal for a in out for r in a.reasons}
    assert set(others) <= fired  # only that one went away


def test_disabling_human_request_disables_its_override():
    out = run([("customer", "Je veux parler à un conseiller")] * 2, with_signal_off("human_request"), language="fr")
    assert all(not a.decision_rule.endswith("human_request") for a in out)


# ------------------------------------------------------------------ monotonic weights


def _scores(conversation, policy, language="auto"):
    return [a.escalation_score for a in customer(run(conversation, policy, language))]


@pytest.mark.parametrize(
    ("weight", "low", "high"),
    [
        ("bias", -4.0, -2.0),
        ("human_request", 1.0, 4.0),
        ("human_request_repeat_gain", 0.0, 1.0),
        ("negative_valence", 0.0, 3.0),
        ("friction", 0.0, 4.0),
    ],
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversation=turns)
def test_raising_a_weight_never_lowers_a_score(weight, low, high, conversation):
    lower = _scores(conversation, with_weights(**{weight: low}))
    higher = _scores(conversation, with_weights(**{weight: high}))
    assert all(h >= l - 1e-12 for l, h in zip(lower, higher))


@pytest.mark.parametrize(
    ("weight", "text", "language"),
    [
        ("human_request", "Je veux parler à un conseiller", "fr"),
        ("negative_valence", "C'est nul, je suis vraiment déçu", "fr"),
        ("friction", "I already told you, you don't understand", "en"),
    ],
)
def test_raising_a_weight_strictly_raises_the_score_where_it_fires(weight, text, language):
    conversation = [("customer", text)]
    scores = [_scores(conversation, with_weights(**{weight: w}), language)[0] for w in (0.5, 1.0, 2.0, 4.0)]
    assert scores == sorted(scores)
    assert len(set(scores)) == len(scores)


def test_topic_and_emotion_weights_act_through_their_tables():
    conversation = [("customer", "Mon père est décédé la semaine dernière")]
    base = Policy.default().weights
    low = with_weights(topics={**base.topics, "bereavement": 0.5})
    high = with_weights(topics={**base.topics, "bereavement": 3.0})
    assert _scores(conversation, low, "fr")[0] < _scores(conversation, high, "fr")[0]
    angry = [("customer", "Je suis furieux, c'est scandaleux")]
    calm = with_weights(emotion={**base.emotion, "anger": 0.0})
    hot = with_weights(emotion={**base.emotion, "anger": 4.0})
    assert _scores(angry, calm, "fr")[0] < _scores(angry, hot, "fr")[0]


def test_features_times_weights_is_the_logit_of_combine() -> None:
    """fusion.features is the linear model combine computes (what calibrate fits)."""
    from empathy_signals.detector import Detector
    from empathy_signals.fusion import combine, features, weight_vector

    policy = Policy.default()
    session = Detector(policy).session("fr")
    texts = [
        "Bonjour, je voudrais parler à un conseiller, c'est inadmissible !",
        "Mon père est décédé et on me prélève encore, je suis à découvert.",
        "Je veux un humain. UN HUMAIN.",
        "Merci beaucoup, c'est parfait.",
    ]
    for text in texts:
        session.add({"speaker": "customer", "text": text})
        values = session.last_values
        x, w = features(values, policy), weight_vector(policy)
        linear = policy.weights.bias + sum(w[k] * v for k, v in x.items())
        parts = combine(values, policy)
        dropped = sum(w[k] * v for k, v in x.items()) - sum(parts.parts.values())
        assert abs(dropped) <= 0.05 * len(x)  # only contributions under MIN_CONTRIBUTION differ
        assert linear == pytest.approx(parts.logit, abs=abs(dropped) + 1e-9)
