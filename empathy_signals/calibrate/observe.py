"""Observing labelled conversations: each customer turn as the observing policy's detector
sees it (the features of ``fusion.features``, the overrides, the score), for the fit and the
metrics alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import Policy
from .data import Labelled

#: The intercept's key, first of the feature keys (``fusion.features`` names the others).
_BIAS = "bias"


@dataclass(frozen=True)
class _Observed:
    """What the detector saw in one labelled conversation under the base policy."""

    rows: np.ndarray  # (customer turns, 1 + features): bias column first
    turn_index: tuple[int, ...]  # the turn of each row
    lead_row: bool  # a bot/agent turn before the first customer turn carries sigmoid(bias)
    override: np.ndarray  # (customer turns,): severity an override forces (0, 1, 2)
    turn_scores: np.ndarray  # the detector's score of each customer turn
    values: tuple[Any, ...]  # the fusion.TurnValues of each customer turn
    score: float  # the conversation's escalation_score (peak) under the observing policy
    decision: int  # its decision's severity
    labelled: Labelled


def _feature_keys(policy: Policy) -> tuple[str, ...]:
    from ..fusion import TurnValues, features

    return (_BIAS, *features(TurnValues(), policy))


def _observe(detector: Any, items: Sequence[Labelled]) -> list[_Observed]:
    from ..fusion import features, severity

    policy = detector.policy
    keys = _feature_keys(policy)[1:]
    observed = []
    for item in items:
        conversation = item.conversation
        session = detector.session(conversation.language)
        outputs = detector.model_outputs(conversation)  # one batched pass, as assess does
        rows, index, overrides, scores, values = [], [], [], [], []
        peak, decision, lead = 0.0, 0, False
        for i, turn in enumerate(conversation.turns):
            a = session.add(turn, model_output=outputs.get(i))
            peak = max(peak, a.escalation_score)
            decision = max(decision, severity(a.decision))
            if turn.speaker != "customer":
                lead = lead or not rows
                continue
            values.append(session.last_values)
            x = features(session.last_values, policy)
            rows.append([1.0, *(x[k] for k in keys)])
            index.append(i)
            overrides.append(max((severity(o.decision) for o in session.last_overrides), default=0))
            scores.append(a.escalation_score)
        observed.append(_Observed(
            rows=np.asarray(rows, dtype=np.float64), turn_index=tuple(index), lead_row=lead,
            override=np.asarray(overrides, dtype=np.int64), turn_scores=np.asarray(scores),
            values=tuple(values),
            score=peak, decision=decision, labelled=item,
        ))
    return observed
