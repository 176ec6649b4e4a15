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

from .config import Policy
from .schema import DECISIONS, EMOTIONS

__all__ = ["Contributions", "DecisionState", "Override", "TurnValues", "combine", "decide", "sigmoid"]

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
    model: dict[str, float] = field(default_factory=dict)  # model contributions, already weighted


@dataclass(frozen=True, slots=True)
class Contributions:
    """Per-signal contributions; ``logit`` is exactly ``bias`` plus their sum."""

    bias: float
    parts: dict[str, float]

    @property
    def logit(self) -> float:
        return self.bias + math.fsum(self.parts.values())

    @property
    def score(self) -> float:
        return sigmoid(self.logit)


def combine(values: TurnValues, policy: Policy) -> Contributions:
    """Weighted contributions of every enabled signal (zero ones left out)."""
    w = policy.weights
    parts: dict[str, float] = {}

    if policy.enabled("human_request"):
        count = values.request_count
        level = max(values.request_score, PENDING_REQUEST_FRACTION if count > 0 else 0.0)
        repeat = 1.0 + w.human_request_repeat_gain * max(0, count - 1)
        parts["human_request"] = w.human_request * level * repeat
    if policy.enabled("sentiment"):
        parts["sentiment"] = w.negative_valence * max(0.0, -values.valence)
    if policy.enabled("emotion"):
        parts["emotion"] = math.fsum(w.emotion.get(e, 0.0) * values.emotions.get(e, 0.0) for e in EMOTIONS)
    if policy.enabled("topics"):
        parts["topics"] = math.fsum(w.topics.get(t, 0.0) * s for t, s in values.topics.items())
    if policy.enabled("friction"):
        parts["friction"] = w.friction * values.friction
    if policy.enabled("prosody") and values.arousal is not None:
        parts["prosody"] = w.prosody_arousal * (values.arousal - w.prosody_neutral)
    if policy.enabled("model"):
        for name, value in values.model.items():
            parts[name] = value
    return Contributions(w.bias, {k: v for k, v in parts.items() if abs(v) >= MIN_CONTRIBUTION})


def severity(decision: str) -> int:
    return DECISIONS.index(decision)


def decide(score: float, policy: Policy) -> str:
    """The decision of ``score`` by the thresholds alone (no overrides, no memory)."""
    t = policy.thresholds
    return "escalate" if score >= t.escalate else "offer_human" if score >= t.offer_human else "continue"


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

    def update(self, score: float, overrides: list[Override], policy: Policy, turn: int) -> tuple[str, str]:
        """Decision at ``turn`` and the rule that set it (``threshold``, ``override:*``, ``hysteresis``)."""
        decision, rule = decide(score, policy), "threshold"
        for override in overrides:  # an override that reaches the decision names it
            if severity(override.decision) >= severity(decision) and override.decision != "continue":
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
