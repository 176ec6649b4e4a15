"""Session: the streaming state of one conversation (repeats, stickiness, hysteresis, memory)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sized
from functools import lru_cache

import pytest

from empathy_signals import Assessment, Conversation, Detector, Policy, Turn
from empathy_signals.schema import DECISIONS, TOPICS

SELF_HARM = [
    ("fr", "Bonjour, je voudrais changer mon forfait", "j'ai envie de mourir", ["d'accord", "merci", "ok"]),
    ("fr", "Bonjour, je voudrais changer mon forfait", "je veux en finir avec la vie", ["d'accord", "merci"]),
    ("en", "Hello, I would like to change my plan please", "I want to kill myself", ["ok", "thanks", "fine"]),
    ("en", "Hello, I would like to change my plan please", "I don't want to live anymore", ["ok", "thanks"]),
]


@lru_cache(maxsize=1)
def detector() -> Detector:
    return Detector()


def checked(a: Assessment) -> Assessment:
    assert Assessment.model_validate(a.model_dump()) == a
    return a


def feed(session, turns) -> list[Assessment]:
    out = []
    for turn in turns:
        speaker, text = turn if isinstance(turn, tuple) else ("customer", turn)
        out.append(checked(session.add({"speaker": speaker, "text": text})))
    return out


def severity(decision: str) -> int:
    return DECISIONS.index(decision)


def contribution(a: Assessment, signal: str) -> float:
    return sum(r.contribution for r in a.reasons if r.signal == signal)


# ------------------------------------------------------------------ repeated requests


@pytest.mark.parametrize(
    ("language", "requests", "agent_says", "bot_says"),
    [
        (
            "fr",
            ["Je veux parler à un conseiller", "Passez-moi un conseiller, vite !", "un conseiller svp"],
            "Je vous passe un conseiller, je veux parler à un conseiller moi aussi",
            "Vous voulez parler à un conseiller ?",
        ),
        (
            "en",
            ["I want to talk to an agent", "Get me an agent now", "agent please"],
            "I want to talk to a supervisor about your case",
            "Do you want to talk to an agent?",
        ),
    ],
)
def test_requests_are_counted_per_session(language, requests, agent_says, bot_says):
    session = detector().session(language)
    turns = [
        requests[0],
        ("bot", bot_says),
        ("agent", agent_says),
        requests[1],
        ("agent", agent_says),
        "ok",
        requests[2],
    ]
    out = feed(session, turns)
    customer = [a for a in out if a.speaker == "customer"]
    assert [a.signals.human_request.count for a in customer] == [1, 2, 2, 3]
    assert [a.signals.human_request.detected for a in customer] == [True, True, False, True]
    # each repeat weighs more
    c1, c2, c3 = (contribution(customer[i], "human_request") for i in (0, 1, 3))
    assert 0 < c1 < c2 < c3
    # first request offers a human, the second escalates
    assert out[0].decision == "offer_human"
    assert out[0].decision_rule in ("override:human_request", "threshold")
    assert out[3].decision == "escalate"
    assert out[3].decision_rule in ("override:repeated_human_request", "threshold")
    assert out[6].decision == "escalate"
    # the explanation quotes every request turn
    [reason] = [r for r in out[6].reasons if r.signal == "human_request"]
    assert {e.turn for e in reason.evidence} == {0, 3, 6}
    assert "3" in reason.message
    # a new session starts from zero
    fresh = feed(detector().session(language), ["ok"])[0]
    assert fresh.signals.human_request.count == 0
    again = feed(detector().session(language), [requests[1]])[0]
    assert again.signals.human_request.count == 1 and again.decision == "offer_human"


def test_repeat_weight_follows_the_policy_gain():
    policy = Policy.default()
    w = policy.weights
    session = detector().session("en")
    out = feed(session, ["I want to talk to an agent"] * 4)
    scores = [a.signals.human_request.score for a in out]
    for n, (a, score) in enumerate(zip(out, scores), start=1):
        expected = w.human_request * score * (1 + w.human_request_repeat_gain * (n - 1))
        assert contribution(a, "human_request") == pytest.approx(expected)


def test_first_request_offers_and_second_escalates_by_override():
    session = detector().session("fr")
    first, second = feed(session, ["Je veux parler à un conseiller", "je veux parler à un conseiller"])
    assert severity(first.decision) >= severity("offer_human")
    assert first.decision_rule == "override:human_request" or first.escalation_score >= 0.5
    assert second.decision == "escalate"
    assert second.decision_rule in ("override:repeated_human_request", "threshold")
    if second.decision_rule.startswith("override:"):
        assert second.reasons[0].signal == "override"
        assert second.reasons[0].contribution == 0.0


# ------------------------------------------------------------------ self-harm


@pytest.mark.parametrize(("language", "opening", "crisis", "calm"), SELF_HARM)
def test_self_harm_escalates_at_once_and_stays_escalated(language, opening, crisis, calm):
    session = detector().session("auto")
    out = feed(session, [opening, crisis, *calm, *calm, *calm])
    assert out[0].decision == "continue"
    assert "self_harm" in out[1].signals.topics.detected
    assert out[1].decision == "escalate"
    assert out[1].decision_rule in ("threshold", "override:self_harm")
    # sticky: many calm turns later, still escalated (more than release_after_turns)
    later = out[2:]
    assert len(later) > Policy.default().thresholds.release_after_turns
    assert all(a.decision == "escalate" for a in later)
    assert all(a.decision_rule in ("hysteresis", "override:self_harm", "threshold") for a in later)
    assert session.language == language


@pytest.mark.parametrize(("language", "opening", "crisis", "calm"), SELF_HARM)
def test_self_harm_override_escalates_even_with_low_weights(language, opening, crisis, calm):
    policy = Policy.default().model_copy(
        update={"weights": Policy.default().weights.model_copy(update={"topics": {"self_harm": 0.0}})}
    )
    session = Detector(policy).session(language)
    out = feed(session, [opening, crisis, *calm])
    assert out[1].decision == "escalate"
    assert out[1].decision_rule == "override:self_harm"
    assert out[1].reasons[0].signal == "override"
    assert all(a.decision == "escalate" for a in out[2:])


# ------------------------------------------------------------------ hysteresis


def _hysteresis_policy(release_after_turns: int) -> Policy:
    """Only the request signal, no request override: the decision comes from the score."""
    return Policy.from_dict(
        {
            "signals": {s: s == "human_request" for s in Policy.default().signals},
            "weights": {"bias": -3.0, "human_request": 4.0, "human_request_repeat_gain": 0.0},
            "thresholds": {
                "offer_human": 0.5,
                "escalate": 0.7,
                "release_margin": 0.15,
                "release_after_turns": release_after_turns,
            },
            "overrides": {
                "escalate_topics": [],
                "offer_topics": [],
                "offer_on_request_count": 1000,
                "escalate_on_request_count": 1000,
            },
        }
    )


def test_one_calm_turn_keeps_the_escalation_with_the_default_policy():
    session = detector().session("fr")
    out = feed(session, ["Je veux parler à un conseiller", "Passez-moi un conseiller !", "d'accord"])
    assert out[1].decision == "escalate"
    calm = out[2]
    assert calm.escalation_score < 0.8 - 0.15
    assert calm.decision == "escalate"
    assert calm.decision_rule == "hysteresis"
    assert calm.reasons[0].signal == "hysteresis"
    assert "tour 2" in calm.reasons[0].message  # held since the second turn, numbered from 1


@pytest.mark.parametrize("release_after_turns", [1, 2, 3, 5])
def test_release_only_after_the_configured_number_of_calm_turns(release_after_turns):
    session = Detector(_hysteresis_policy(release_after_turns)).session("en")
    out = feed(session, ["I want to talk to an agent"] + ["ok"] * (release_after_turns + 2))
    assert out[0].decision == "escalate" and out[0].decision_rule == "threshold"
    calm = out[1:]
    assert all(a.escalation_score < 0.7 - 0.15 for a in calm)
    held = calm[: release_after_turns - 1]
    assert [a.decision for a in held] == ["escalate"] * (release_after_turns - 1)
    assert all(a.decision_rule == "hysteresis" for a in held)
    released = calm[release_after_turns - 1]
    assert released.decision == "continue"
    assert released.decision_rule == "threshold"
    assert all(a.decision == "continue" for a in calm[release_after_turns - 1 :])


def test_a_new_escalation_restarts_the_calm_count():
    session = Detector(_hysteresis_policy(3)).session("en")
    out = feed(session, ["I want to talk to an agent", "ok", "ok", "I want to talk to an agent", "ok", "ok", "ok"])
    assert [a.decision for a in out] == ["escalate"] * 6 + ["continue"]
    assert [a.decision_rule for a in out] == [
        "threshold", "hysteresis", "hysteresis", "threshold", "hysteresis", "hysteresis", "threshold",
    ]


def test_agent_turns_do_not_count_as_calm_turns():
    session = Detector(_hysteresis_policy(2)).session("en")
    out = feed(session, ["I want to talk to an agent", ("agent", "ok"), ("bot", "ok"), ("agent", "ok"), "ok", "ok"])
    assert [a.decision for a in out] == ["escalate"] * 5 + ["continue"]


# ------------------------------------------------------------------ agent and bot turns


def test_agent_and_bot_turns_carry_the_last_customer_score():
    session = detector().session("fr")
    out = feed(
        session,
        [("bot", "Bonjour, que puis-je faire ?"), "Je veux parler à un conseiller", ("agent", "Je vous écoute"), ("bot", "Un instant")],
    )
    first = out[0]
    assert first.signals is None and first.decision == "continue"
    customer = out[1]
    for carried in out[2:]:
        assert carried.signals is None
        assert carried.escalation_score == customer.escalation_score
        assert carried.decision == customer.decision
        assert carried.logit == customer.logit
        assert carried.speaker in ("agent", "bot")
    assert [a.index for a in out] == [0, 1, 2, 3]


def test_a_leading_bot_turn_is_consistent_with_the_fusion_contract():
    a = feed(detector().session("fr"), [("bot", "Bonjour")])[0]
    assert a.logit == pytest.approx(a.bias + sum(r.contribution for r in a.reasons))


def test_carried_turns_keep_the_explanation_that_adds_up():
    out = feed(detector().session("fr"), ["Je veux parler à un conseiller", ("agent", "Je vous écoute")])
    a = out[1]
    assert a.logit == pytest.approx(a.bias + sum(r.contribution for r in a.reasons))


# ------------------------------------------------------------------ friction from the bot


@pytest.mark.parametrize(
    ("language", "bot", "customer", "quoted"),
    [
        ("fr", "Je n'ai pas compris votre demande.", "je voudrais changer mon forfait", "n'ai pas compris"),
        ("fr", "Désolé, je n'ai pas compris.", "je voudrais changer mon forfait", "pas compris"),
        ("en", "Sorry, I didn't understand that.", "I would like to change my plan", "didn't understand"),
    ],
)
def test_bot_failure_raises_friction_at_the_next_customer_turn(language, bot, customer, quoted):
    baseline = feed(detector().session(language), [customer])[0]
    out = feed(detector().session(language), [("customer", "Bonjour" if language == "fr" else "Hello"), ("bot", bot), customer])
    after = out[2]
    assert after.signals.friction.score > baseline.signals.friction.score
    assert after.escalation_score > baseline.escalation_score
    [reason] = [r for r in after.reasons if r.signal == "friction"]
    bot_evidence = [e for e in reason.evidence if e.turn == 1]
    assert bot_evidence, reason
    e = bot_evidence[0]
    assert bot[e.start : e.end] == e.text
    assert quoted in e.text
    assert e.source.startswith(f"{language}/friction.txt:")


def test_bot_failures_are_forgotten_after_later_bot_turns():
    session = detector().session("fr")
    replies = ["Voici votre facture", "Votre colis arrive demain", "Votre adresse est notée", "Le débit est bon",
               "Votre forfait est actif", "Tout est en ordre", "Le technicien passera lundi", "Autre chose ?"]
    turns = [("bot", "Je n'ai pas compris.")] + [("bot", r) for r in replies]
    out = feed(session, turns + ["je voudrais changer mon forfait"])
    assert out[-1].signals.friction.score == 0.0


@pytest.mark.parametrize("speaker", ["agent", "customer"])
def test_bot_failures_are_forgotten_after_a_while_whoever_speaks(speaker):
    session = detector().session("fr")
    fillers = ["un instant", "je regarde", "c'est noté", "voilà", "parfait", "très bien", "entendu", "super"]
    turns = [("bot", "Je n'ai pas compris.")] + [(speaker, f) for f in fillers]
    out = feed(session, turns + ["je voudrais changer mon forfait"])
    assert not any(e.turn == 0 for r in out[-1].reasons for e in r.evidence)


# ------------------------------------------------------------------ language


@pytest.mark.parametrize(
    ("language", "turns"),
    [
        ("fr", ["Bonjour", "Je voudrais changer mon adresse de livraison", "merci beaucoup"]),
        ("en", ["Hello", "I would like to change my delivery address please", "thanks a lot"]),
    ],
)
def test_automatic_language_settles(language, turns):
    session = detector().session("auto")
    feed(session, turns)
    assert session.language == language
    result = detector().assess({"id": "c", "language": "auto", "turns": [{"speaker": "customer", "text": t} for t in turns]})
    assert result.language == language


def test_fixed_language_is_kept():
    session = detector().session("en")
    feed(session, ["Bonjour, je voudrais changer mon adresse de livraison"])
    assert session.language == "en"


# ------------------------------------------------------------------ assess == session


CONVERSATION = [
    ("bot", "Bonjour, je suis l'assistant virtuel. Que puis-je faire pour vous ?"),
    ("customer", "Ma box ne marche plus depuis trois jours"),
    ("bot", "Je n'ai pas compris votre demande."),
    ("customer", "Je vous l'ai déjà dit, ma box ne marche plus !"),
    ("customer", "Je veux parler à un conseiller"),
    ("agent", "Bonjour, je suis Julie, votre conseillère."),
    ("customer", "Merci beaucoup"),
]


def test_assess_equals_feeding_a_session():
    conversation = Conversation(
        id="box", language="auto", turns=tuple(Turn(speaker=s, text=t) for s, t in CONVERSATION)
    )
    result = detector().assess(conversation)
    session = detector().session("auto")
    streamed = feed(session, CONVERSATION)
    assert result.turns == tuple(streamed)
    assert result.language == session.language
    assert result.escalation_score == max(a.escalation_score for a in streamed)
    worst = max((a.decision for a in streamed), key=severity)
    assert result.decision == worst
    assert result.decision_turn == next(a.index for a in streamed if a.decision == worst)
    # the same through a plain mapping
    as_dict = detector().assess(conversation.model_dump())
    assert as_dict == result


def test_assess_of_an_empty_conversation():
    result = detector().assess({"id": "empty"})
    assert result.turns == () and result.decision == "continue" and result.decision_turn is None


# ------------------------------------------------------------------ bounded state


def _sizes(session) -> dict[str, int]:
    names = set(getattr(session, "__dict__", {})) | {
        n for cls in type(session).__mro__ for n in getattr(cls, "__slots__", ())
    }
    sizes = {}
    for name in names:
        value = getattr(session, name, None)
        if isinstance(value, Sized) and not isinstance(value, (str, bytes)):
            sizes[name] = len(value)
            if isinstance(value, deque):
                assert value.maxlen is not None, f"session.{name} is an unbounded deque"
    return sizes


def test_session_state_stays_bounded_over_a_long_conversation():
    texts = [
        ("customer", "Je veux parler à un conseiller"),
        ("bot", "Je n'ai pas compris votre demande."),
        ("customer", "mon père est décédé la semaine dernière"),
        ("agent", "Je suis désolé pour votre perte"),
        ("customer", "je vais porter plainte, c'est une arnaque"),
        ("bot", "Pouvez-vous reformuler ?"),
        ("customer", "d'accord merci"),
        ("customer", "Ma facture {n} est fausse, numéro {n}"),
    ]
    session = detector().session("auto")
    snapshots = {}
    for n in range(2_000):
        speaker, text = texts[n % len(texts)]
        a = session.add({"speaker": speaker, "text": text.format(n=n)})
        if n in (199, 1_999):
            snapshots[n] = _sizes(session)
    assert a.index == 1_999
    assert session.turns_seen == 2_000
    assert snapshots[199] == snapshots[1_999], "some session state grows with the conversation"
    assert all(size <= max(16, len(TOPICS)) for size in snapshots[1_999].values()), snapshots[1_999]
    # the one unbounded thing is a counter, and the explanation still quotes only a few turns
    assert a.signals is None or a.signals.human_request.count == 250
    last_customer = session.add({"speaker": "customer", "text": "je veux parler à un conseiller"})
    [reason] = [r for r in last_customer.reasons if r.signal == "human_request"]
    assert last_customer.signals.human_request.count == 251
    assert len(reason.evidence) <= 16


def test_a_request_seen_by_the_model_alone_is_counted_with_the_turn_as_evidence():
    from empathy_signals.encoder.text_model import ModelOutput

    session = Detector().session("en")
    seen = ModelOutput(human_request=0.97, valence=-0.2, emotion={}, topics={})
    a = session.add({"speaker": "customer", "text": "anyone there who can actually help??"}, model_output=seen)
    assert a.signals.human_request.detected and a.signals.human_request.count == 1
    reason = next(r for r in a.reasons if r.signal == "human_request")
    assert reason.evidence[0].source == "model:e5-small"
    assert reason.evidence[0].text == "anyone there who can actually help??"
    assert "(model: 0.97)" in reason.message


@pytest.mark.parametrize(("p", "threshold", "detected"), [
    (0.65, 0.7, False),  # above requests.DETECTION_THRESHOLD (0.6), below the policy's threshold
    (0.75, 0.7, True),
    (0.95, 0.98, False),  # the policy's threshold decides, whatever it is
    (0.99, 0.98, True),
])
def test_the_model_alone_detects_a_request_at_the_policy_threshold(p: float, threshold: float, detected: bool) -> None:
    from empathy_signals import Policy
    from empathy_signals.encoder.text_model import ModelOutput

    policy = Policy.from_dict({"weights": {"model_request_threshold": threshold}})
    session = Detector(policy).session("en")
    seen = ModelOutput(human_request=p, valence=0.0, emotion={}, topics={})
    a = session.add({"speaker": "customer", "text": "anyone there who can actually help??"}, model_output=seen)
    assert a.signals.human_request.detected is detected
    assert a.signals.human_request.count == int(detected)
