"""Measuring scores and policies against outcomes.

:func:`score_metrics`: ranking (ROC AUC, average precision) and calibration (Brier, log-loss,
expected calibration error and the reliability table) of probabilities against 0/1 labels;
:func:`evaluate`: a policy's detector run on labelled conversations, its scores and its
decisions (precision, recall, F1, rate) measured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..config import Policy
from ..errors import InputError
from ..schema import DECISIONS
from .constants import ECE_BINS, LOG_LOSS_EPS
from .data import Labelled, _Frozen, _labelled_items
from .observe import _observe, _Observed


class ReliabilityBin(_Frozen):
    lower: float
    upper: float
    n: int
    mean_score: float
    observed_rate: float


class ScoreMetrics(_Frozen):
    """How well scores rank and how well they are calibrated against 0/1 outcomes."""

    n: int
    positives: int
    base_rate: float
    mean_score: float
    #: None when only one outcome is present.
    roc_auc: float | None
    #: Area under the precision-recall curve as average precision (step-wise, no interpolation).
    average_precision: float | None
    brier: float
    log_loss: float
    #: Expected calibration error, :data:`ECE_BINS` equal-width bins weighted by count.
    ece: float
    reliability: tuple[ReliabilityBin, ...]


class DecisionMetrics(_Frozen):
    """A decision (``offer_human`` or more, or ``escalate``) against the outcome."""

    decision: Literal["offer_human", "escalate"]
    rate: float
    #: None when the decision never fired (precision) or no outcome is positive (recall).
    precision: float | None
    recall: float | None
    f1: float | None
    tp: int
    fp: int
    fn: int


class Metrics(_Frozen):
    """A policy on labelled conversations (see :func:`evaluate`)."""

    policy_sha256: str
    #: Conversation outcome against the conversation's escalation_score (its peak).
    conversations: ScoreMetrics
    offer_human: DecisionMetrics
    escalate: DecisionMetrics
    #: Labelled customer turns against their turn scores (None without turn labels).
    turns: ScoreMetrics | None = None


def _loss_of(p: np.ndarray, y: np.ndarray) -> dict[str, float]:
    q = np.clip(p, LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS)
    return {
        "log_loss": round(float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))), 6),
        "brier": round(float(np.mean((p - y) ** 2)), 6),
    }



def roc_auc(labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float | None:
    """ROC AUC as the Mann-Whitney statistic, ties counted one half (mid-ranks); any real
    scores (not only probabilities). ``None`` when one class is missing.

    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.4, 0.8])
    0.875
    """
    y = np.asarray(labels, dtype=np.float64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    if not pos or not neg:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2.0) / (pos * neg))


def _average_precision(y: np.ndarray, s: np.ndarray) -> float | None:
    """Σ (R_k - R_{k-1}) P_k over the distinct thresholds (tied scores move together)."""
    if not y.sum():
        return None
    order = np.argsort(-s, kind="mergesort")
    ys, ss = y[order], s[order]
    ends = np.r_[np.flatnonzero(np.diff(ss)), len(ss) - 1]
    tps = np.cumsum(ys)[ends]
    precision = tps / (ends + 1)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def score_metrics(
    labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, *, bins: int = ECE_BINS
) -> ScoreMetrics:
    """Ranking and calibration of probabilities ``scores`` against 0/1 ``labels`` (shape (n,)).

    ROC AUC counts ties one half; average precision is the step-wise area under the
    precision-recall curve (tied scores enter together); ECE uses ``bins`` equal-width bins
    weighted by count.

    >>> m = score_metrics([0, 0, 1, 1], [0.1, 0.4, 0.4, 0.8])
    >>> m.roc_auc, m.brier
    (0.875, 0.1425)
    """
    y = np.asarray(labels, dtype=np.float64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape or not len(y):
        raise InputError(f"labels and scores must be non-empty and of one length; got {y.shape} "
                         f"and {s.shape}", field="scores")
    if not np.all((y == 0) | (y == 1)):
        raise InputError("labels must be 0 or 1", field="labels")
    if not np.all(np.isfinite(s)) or s.min() < 0.0 or s.max() > 1.0:
        raise InputError("scores must be probabilities in [0, 1] (no NaN)", field="scores")
    idx = np.minimum((s * bins).astype(int), bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        mask = idx == b
        if not mask.any():
            continue
        conf, rate, n = float(s[mask].mean()), float(y[mask].mean()), int(mask.sum())
        ece += n / len(s) * abs(conf - rate)
        table.append(ReliabilityBin(lower=b / bins, upper=(b + 1) / bins, n=n,
                                    mean_score=round(conf, 6), observed_rate=round(rate, 6)))
    losses = _loss_of(s, y)
    auc, ap = roc_auc(y, s), _average_precision(y, s)
    return ScoreMetrics(
        n=len(y), positives=int(y.sum()), base_rate=round(float(y.mean()), 6),
        mean_score=round(float(s.mean()), 6),
        roc_auc=None if auc is None else round(auc, 6),
        average_precision=None if ap is None else round(ap, 6),
        brier=losses["brier"], log_loss=losses["log_loss"], ece=round(ece, 6),
        reliability=tuple(table),
    )


def _decision_metrics(decision: str, y: np.ndarray, fired: np.ndarray) -> DecisionMetrics:
    tp = int(np.sum(fired & (y == 1)))
    fp = int(np.sum(fired & (y == 0)))
    fn = int(np.sum(~fired & (y == 1)))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = None
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return DecisionMetrics(
        decision=decision, rate=round(float(fired.mean()), 6),  # type: ignore[arg-type]
        precision=None if precision is None else round(precision, 6),
        recall=None if recall is None else round(recall, 6),
        f1=None if f1 is None else round(f1, 6), tp=tp, fp=fp, fn=fn,
    )


def evaluate(
    policy: Policy | str | Path | None,
    labelled: Iterable[Labelled | Mapping[str, Any] | tuple[Any, Any]],
    *,
    model: Literal["none", "e5-small"] = "none",
    bins: int = ECE_BINS,
) -> Metrics:
    """Measure ``policy`` (None: the default) on labelled conversations.

    Scores each conversation with ``Detector(policy).assess`` semantics: the conversation's
    score is its ``escalation_score`` (the peak) and its decision the most severe reached,
    overrides included.

    Returns
    -------
    Metrics
        ROC AUC, average precision, Brier, log-loss and ECE (``bins`` equal-width bins) of the
        conversation scores (and of the labelled turns' scores, if any); precision, recall,
        F1 and rate of ``offer_human``-or-more and of ``escalate``.

    Examples
    --------
    >>> m = evaluate(None, [
    ...     {"id": "a", "label": 1, "turns": [{"speaker": "customer", "text": "I want a human agent"}]},
    ...     {"id": "b", "label": 0, "turns": [{"speaker": "customer", "text": "Thanks, all good"}]},
    ... ])
    >>> m.conversations.roc_auc, m.offer_human.recall
    (1.0, 1.0)
    """
    from ..detector import Detector

    if not isinstance(bins, int) or isinstance(bins, bool) or bins < 1:
        raise InputError(f"bins must be an integer >= 1; got {bins!r}", field="bins", value=bins)
    items = _labelled_items(labelled)
    if not items:
        raise InputError("no labelled conversation to evaluate", field="labelled")
    detector = Detector(policy, model=model)
    observed = _observe(detector, items)
    return _measure(detector.policy, observed, bins)


def _measure(policy: Policy, observed: Sequence[_Observed], bins: int = ECE_BINS) -> Metrics:
    """:class:`Metrics` of conversations observed under ``policy``."""
    y = np.asarray([obs.labelled.outcome for obs in observed], dtype=np.float64)
    s = np.asarray([obs.score for obs in observed])
    decision = np.asarray([obs.decision for obs in observed])
    turn_y, turn_s = [], []
    for obs in observed:
        for r, turn in enumerate(obs.turn_index):
            if turn in obs.labelled.turn_labels:
                turn_y.append(obs.labelled.turn_labels[turn])
                turn_s.append(obs.turn_scores[r])
    return Metrics(
        policy_sha256=policy.sha256,
        conversations=score_metrics(y, s, bins=bins),
        offer_human=_decision_metrics("offer_human", y, decision >= DECISIONS.index("offer_human")),
        escalate=_decision_metrics("escalate", y, decision >= DECISIONS.index("escalate")),
        turns=score_metrics(turn_y, turn_s, bins=bins) if turn_y else None,
    )
