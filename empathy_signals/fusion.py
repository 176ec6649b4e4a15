"""Fusion: signals -> additive contributions in logit space -> score -> decision.

``logit = bias + sum(contributions)`` exactly; ``score = sigmoid(logit)``. Each contribution
is one signal's weight times its value (see ``docs/fusion.md``), so every number in an
explanation can be traced to a weight in the policy. The decision comes from the policy's
thresholds, then overrides (crisis escalates at once, a repeated request escalates, a
high-stakes topic offers a human), then hysteresis (a held decision is released only after
several calm turns).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .config import Policy
from .schema import DECISIONS, EMOTIONS, TOPICS

__all__ = [
    "Contributions",
    "DecisionState",
    "Override",
    "TurnValues",
    "combine",
    "decide",
    "features",
    "sigmoid",
    "weight_vector",
]

#: Fraction of a request's weight that stays while earlier requests are still pending.
PENDING_REQUEST_FRACTION = 0.5
#: Fraction of a topic's earlier peak that stays at the next customer turn ...
TOPIC_MEMORY = 0.5
#: ... and the factor it fades by with each further customer turn.
TOPIC_FADE = 0.7
#: Contributions smaller than this (in logit units) are dropped, from the logit too.
MIN_CONTRIBUTION = 0.05


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(frozen=True, slots=True)
class TurnValues:
    """The numbers fusion reads from one customer turn (and the session's memory)."""

    request_score: float = 0.0
    request_count: int = 0  # explicit requests so far, this turn included
    valence: float = 0.0
    emotions: dict[str, float] = field(default_factory=dict)
    topics: dict[str, float] = field(default_factory=dict)  # this turn, with memory applied
    friction: float = 0.0
    arousal: float | None = None


class Contributions(NamedTuple):
    """Per-signal contributions; ``logit`` is exactly ``bias`` plus their sum."""

    bias: float
    parts: dict[str, float]
    logit: float
    score: float


class _Plan(NamedTuple):
    """A policy's fusion weights as plain numbers, read once per policy (the hot path)."""

    bias: float
    request: float | None  # None: the signal is off
    repeat_gain: float
    negative_valence: float | None
    emotions: tuple[tuple[str, float], ...] | None
    topics: dict[str, float] | None
    friction: float | None
    prosody: float | None
    prosody_neutral: float


_PLANS: dict[int, tuple[Policy, _Plan]] = {}


def _plan(policy: Policy) -> _Plan:
    cached = _PLANS.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1]
    w = policy.weights

    def on(signal: str, value: Any) -> Any:
        return value if policy.enabled(signal) else None

    plan = _Plan(
        bias=w.bias,
        request=on("human_request", w.human_request),
        repeat_gain=w.human_request_repeat_gain,
        negative_valence=on("sentiment", w.negative_valence),
        emotions=on("emotion", tuple((e, w.emotion[e]) for e in EMOTIONS if w.emotion.get(e))),
        topics=on("topics", dict(w.topics)),
        friction=on("friction", w.friction),
        prosody=on("prosody", w.prosody_arousal),
        prosody_neutral=w.prosody_neutral,
    )
    if len(_PLANS) > 64:  # policies are few; keep the cache small anyway
        _PLANS.clear()
    _PLANS[id(policy)] = (policy, plan)
    return plan


def _request_input(values: TurnValues, repeat_gain: float) -> float:
    """What ``weights.human_request`` multiplies: this turn's request score (or the pending
    fraction while earlier requests stand), times the repeat gain of the requests so far."""
    count = values.request_count
    level = max(values.request_score, PENDING_REQUEST_FRACTION if count > 0 else 0.0)
    return level * (1.0 + repeat_gain * max(0, count - 1))


def combine(values: TurnValues, policy: Policy) -> Contributions:
    """Weighted contributions of every enabled signal (those under MIN_CONTRIBUTION left out)."""
    plan = _plan(policy)
    parts: dict[str, float] = {}
    if plan.request is not None:
        parts["human_request"] = plan.request * _request_input(values, plan.repeat_gain)
    if plan.negative_valence is not None and values.valence < 0.0:
        parts["sentiment"] = plan.negative_valence * -values.valence
    if plan.emotions is not None and values.emotions:
        emotions = values.emotions
        parts["emotion"] = math.fsum([w * emotions.get(e, 0.0) for e, w in plan.emotions])
    if plan.topics is not None and values.topics:
        weights = plan.topics
        parts["topics"] = math.fsum([weights.get(t, 0.0) * s for t, s in values.topics.items()])
    if plan.friction is not None:
        parts["friction"] = plan.friction * values.friction
    if plan.prosody is not None and values.arousal is not None:
        parts["prosody"] = plan.prosody * (values.arousal - plan.prosody_neutral)
    kept = {k: v for k, v in parts.items() if abs(v) >= MIN_CONTRIBUTION}
    logit = plan.bias + math.fsum(kept.values())
    return Contributions(plan.bias, kept, logit, sigmoid(logit))


def features(values: TurnValues, policy: Policy) -> dict[str, float]:
    """The turn as the inputs of a linear model: ``logit = bias + sum(w[k] * x[k])``.

    Keys name the policy weight each input multiplies (``human_request``, ``negative_valence``,
    ``emotion.anger``, ``topics.fraud_security``, ``friction``, ``prosody_arousal``); signals the
    policy switches off are absent. :func:`combine` computes the same sum (less contributions
    under ``MIN_CONTRIBUTION``); ``empathy_signals.calibrate`` fits the weights from outcomes.
    """
    plan = _plan(policy)
    x: dict[str, float] = {}
    if plan.request is not None:
        x["human_request"] = _request_input(values, plan.repeat_gain)
    if plan.negative_valence is not None:
        x["negative_valence"] = max(0.0, -values.valence)
    if plan.emotions is not None:
        for emotion in EMOTIONS:
            x[f"emotion.{emotion}"] = values.emotions.get(emotion, 0.0)
    if plan.topics is not None:
        for topic in TOPICS:
            x[f"topics.{topic}"] = values.topics.get(topic, 0.0)
    if plan.friction is not None:
        x["friction"] = values.friction
    if plan.prosody is not None:
        x["prosody_arousal"] = (
            0.0 if values.arousal is None else values.arousal - plan.prosody_neutral
        )
    return x


def weight_vector(policy: Policy) -> dict[str, float]:
    """The policy's weight for every key :func:`features` can return."""
    w = policy.weights
    vector = {
        "human_request": w.human_request,
        "negative_valence": w.negative_valence,
        "friction": w.friction,
        "prosody_arousal": w.prosody_arousal,
    }
    vector.update({f"emotion.{e}": w.emotion.get(e, 0.0) for e in EMOTIONS})
    vector.update({f"topics.{t}": w.topics.get(t, 0.0) for t in TOPICS})
    return vector


def severity(decision: str) -> int:
    return DECISIONS.index(decision)


def decide(score: float, policy: Policy) -> str:
    """The decision of ``score`` by the thresholds alone (no overrides, no memory)."""
    t = policy.thresholds
    return (
        "escalate"
        if score >= t.escalate
        else "offer_human"
        if score >= t.offer_human
        else "continue"
    )


@dataclass(frozen=True, slots=True)
class Override:
    """A rule that forces at least ``decision``; a ``sticky`` one is never released."""

    decision: str
    rule: str
    sticky: bool = False


@dataclass(slots=True)
class DecisionState:
    """The session's held decision, for hysteresis. Mutable; owned by one session."""

    held: str = "continue"
    held_since: int | None = None
    calm_turns: int = 0
    sticky: bool = False

    def update(
        self, score: float, overrides: list[Override], policy: Policy, turn: int
    ) -> tuple[str, str]:
        """Decision at ``turn`` and the rule that set it (``threshold``, ``override:*``, ``hysteresis``)."""
        decision, rule = decide(score, policy), "threshold"
        for override in overrides:  # an override that reaches the decision names it
            if (
                severity(override.decision) >= severity(decision)
                and override.decision != "continue"
            ):
                decision, rule = override.decision, override.rule
            self.sticky = self.sticky or override.sticky
        if severity(decision) < severity(self.held):
            t = policy.thresholds
            threshold = t.escalate if self.held == "escalate" else t.offer_human
            calm = score < threshold - t.release_margin
            self.calm_turns = self.calm_turns + 1 if calm else 0
            if self.sticky or self.calm_turns < t.release_after_turns:
                return self.held, "hysteresis"
        if decision != self.held:
            self.held, self.held_since = decision, turn
        self.calm_turns = 0
        return decision, rule
