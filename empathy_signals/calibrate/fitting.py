"""Fitting a policy on labelled conversations: :func:`fit` learns the weights (by the solver,
from what the base policy's detector observes) and places the thresholds for target rates;
:class:`FitReport` says what it did, and :class:`FitResult` writes the policy file under a
header that says what it was fitted on.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np

from ..config import Policy
from ..errors import InputError
from .constants import (
    CV_FOLDS,
    DEFAULT_L2,
    L2_GRID,
    SAFETY_FLOOR_TOPICS,
    SMOOTH_MAX_TEMPERATURE,
    WEIGHT_DECIMALS,
)
from .data import Labelled, _Frozen, _labelled_items
from .metrics import _loss_of
from .observe import _BIAS, _feature_keys, _observe, _Observed
from .solver import _fit_groups, _Groups, _sigmoid, _stack, _subset
from .thresholds import _decimal_between, threshold_for_rate


class RateReport(_Frozen):
    """How a threshold chosen for a decision rate did on the training conversations."""

    decision: Literal["offer_human", "escalate"]
    target: float
    threshold: float
    #: ``scores``: the share of conversations whose peak reaches the threshold; ``decisions``:
    #: the share reaching the decision, overrides included.
    basis: Literal["decisions", "scores"]
    #: Share of conversations whose peak score (fitted weights) reaches the threshold.
    by_score: float
    #: Share that overrides alone bring to this decision (or more).
    by_overrides: float
    #: Share reaching the decision, by score or override, predicted from the fitted weights.
    predicted: float
    #: The same share measured by rerunning the Detector with the fitted policy.
    measured: float | None = None


class FitReport(_Frozen):
    """What :func:`fit` did, on what, and how it went (written as the policy file's header)."""

    labels: Literal["conversation", "turn", "mixed"]
    n_conversations: int
    n_positive: int
    n_customer_turns: int
    n_labelled_turns: int
    method: str
    mil: Literal["peak", "witness"]
    l2: float
    #: ``l2="auto"``: cross-validated log-loss of each strength of :data:`L2_GRID`.
    l2_cv: dict[str, float] | None = None
    prior: Literal["base", "zero"]
    signs: Literal["base", "free"]
    frozen: tuple[str, ...]
    safety_floors: dict[str, float]
    #: Weights that ended on a bound (a sign constraint or a safety floor holds them).
    at_bound: tuple[str, ...]
    weights_base: dict[str, float]
    weights_fitted: dict[str, float]
    rounds: int
    newton_steps: int
    converged: bool
    #: Conversation-level log-loss and Brier of the peak score on the training data.
    train_base: dict[str, float]
    train_fitted: dict[str, float]
    thresholds: dict[str, float]
    rates: tuple[RateReport, ...] = ()
    #: Decision rates (offer_human or more, escalate) of the base policy on the training data.
    base_decision_rates: dict[str, float]
    notes: tuple[str, ...] = ()


class FitResult(NamedTuple):
    """The fitted policy and its :class:`FitReport`."""

    policy: Policy
    report: FitReport

    def to_toml(self, *, sources: Sequence[str] = ()) -> str:
        """The policy as TOML under a comment header that says what it was fitted on."""
        return _header(self.report, sources) + self.policy.to_toml()

    def dump(self, path: str | Path, *, sources: Sequence[str] = ()) -> None:
        """Write the policy (TOML with the header; ``.json``: JSON without comments)."""
        path = Path(path)
        if path.suffix.lower() == ".json":
            self.policy.dump(path)
        else:
            path.write_text(self.to_toml(sources=sources), encoding="utf-8")


def _header(report: FitReport, sources: Sequence[str]) -> str:
    from .. import __version__

    r = report
    lines = [
        f"Fitted by `empathy-signals fit` (empathy_signals.calibrate, version {__version__}); "
        "refit rather than edit the weights.",
        f"Fitted on: {', '.join(sources) if sources else 'labelled conversations given in Python'}",
        f"Data: {r.n_conversations:,} conversations ({r.n_positive:,} needed a human), "
        f"{r.n_customer_turns:,} customer turns; labels per {r.labels}"
        + (f" ({r.n_labelled_turns:,} labelled turns)" if r.n_labelled_turns else "") + ".",
        f"Method: {r.method}.",
        "Kept from the base policy: signals, overrides, languages, hysteresis, "
        "human_request_repeat_gain, prosody_neutral and the text-model settings.",
        "Safety floors: " + (", ".join(f"{k} >= {v:g}" for k, v in r.safety_floors.items()) or "none")
        + "; frozen: " + (", ".join(r.frozen) or "none") + ".",
        f"Training log-loss of the conversation peak: base {r.train_base['log_loss']:.4f} -> "
        f"fitted {r.train_fitted['log_loss']:.4f} (Brier {r.train_base['brier']:.4f} -> "
        f"{r.train_fitted['brier']:.4f}).",
    ]
    for rate in r.rates:
        measured = f"{rate.measured:.1%} measured" if rate.measured is not None else f"{rate.predicted:.1%} predicted"
        lines.append(
            f"thresholds.{rate.decision} = {rate.threshold:g} for a {rate.target:.1%} "
            f"{'decision' if rate.basis == 'decisions' else 'score'} rate: {measured} on the "
            f"training data, overrides included ({rate.by_overrides:.1%} by overrides alone)."
        )
    lines += list(r.notes)
    return "".join(f"# {line}\n" for line in lines) + "\n"


def _bounds(keys: Sequence[str], base: Policy, *, signs: str, freeze: Sequence[str],
            prior: str) -> tuple[np.ndarray, ...]:
    from ..fusion import weight_vector

    w0 = {_BIAS: base.weights.bias, **weight_vector(base)}
    start = np.asarray([w0[k] for k in keys])
    center = start.copy() if prior == "base" else np.where(np.asarray(keys) == _BIAS, start, 0.0)
    penalty = np.asarray([0.0 if k == _BIAS else 1.0 for k in keys])
    lower, upper = np.full(len(keys), -np.inf), np.full(len(keys), np.inf)
    if signs == "base":
        for i, k in enumerate(keys):
            if k != _BIAS and start[i] > 0:
                lower[i] = 0.0
            elif k != _BIAS and start[i] < 0:
                upper[i] = 0.0
    floors = {}
    for topic in dict.fromkeys((*SAFETY_FLOOR_TOPICS, *base.overrides.escalate_topics)):
        key = f"topics.{topic}"
        if key in keys:
            i = keys.index(key)
            lower[i] = max(lower[i], start[i])
            floors[key] = float(start[i])
    frozen = []
    for pattern in freeze:
        hits = [k for k in keys if fnmatch.fnmatchcase(k, pattern)]
        if not hits:
            raise InputError(
                f"freeze pattern {pattern!r} matches no weight; the weights are {list(keys)}",
                field="freeze", value=pattern,
            )
        frozen += [k for k in hits if k not in frozen]
    for k in frozen:
        i = keys.index(k)
        lower[i] = upper[i] = start[i]
    return start, center, penalty, lower, upper, floors, tuple(frozen)


def _problem(observed: Sequence[_Observed]) -> tuple[_Groups, np.ndarray]:
    """The labelled groups of rows of each conversation, and the conversation of each group."""
    problem, owner = [], []
    for c, obs in enumerate(observed):
        item = obs.labelled
        lead = np.zeros((1, obs.rows.shape[1]))
        lead[0, 0] = 1.0
        whole = np.vstack([lead, obs.rows]) if obs.lead_row else obs.rows
        if not item.turn_labels:
            problem.append((whole, item.outcome))
            owner.append(c)
            continue
        unlabelled = []
        for r, turn in enumerate(obs.turn_index):
            label = item.turn_labels.get(turn)
            if label is None and item.label == 0:
                label = 0
            if label is None:
                unlabelled.append(r)
            else:
                problem.append((obs.rows[r][None, :], label))
                owner.append(c)
        if item.label == 1 and 1 not in item.turn_labels.values() and unlabelled:
            problem.append((obs.rows[unlabelled], 1))  # the positive is among the unlabelled
            owner.append(c)
    return _stack(problem), np.asarray(owner)


def _peaks(observed: Sequence[_Observed], policy: Policy, *, lead: bool) -> np.ndarray:
    """Each conversation's peak score under ``policy``, exactly as the detector computes it
    (``fusion.combine``); with ``lead``, a leading bot turn's ``sigmoid(bias)`` counts, as in
    ``ConversationAssessment.escalation_score``; without, the customer turns only (decisions)."""
    from ..fusion import combine, sigmoid

    rest = sigmoid(policy.weights.bias)
    out = np.empty(len(observed))
    for c, obs in enumerate(observed):
        peak = max(combine(v, policy).score for v in obs.values)
        out[c] = max(peak, rest) if lead and obs.lead_row else peak
    return out



def _cv_l2(groups: _Groups, owner: np.ndarray, n_conv: int, start: np.ndarray,
           center: np.ndarray, penalty: np.ndarray, lower: np.ndarray, upper: np.ndarray,
           mil: str) -> tuple[float, dict[str, float]]:
    """The L2 strength of :data:`L2_GRID` with the best held-out log-loss (folds of conversations)."""
    fold_of = (np.random.default_rng(0).permutation(n_conv) % CV_FOLDS)[owner]
    table = {}
    for l2 in L2_GRID:
        total, count = 0.0, 0
        for k in range(CV_FOLDS):
            train, test = _subset(groups, fold_of != k), _subset(groups, fold_of == k)
            if not len(test.y) or train.y.min() == train.y.max():
                continue
            w, _ = _fit_groups(train, start.copy(), l2 * penalty, center, lower, upper, mil,
                               SMOOTH_MAX_TEMPERATURE)
            p = _sigmoid(np.maximum.reduceat(test.x @ w, test.starts))
            total += _loss_of(p, test.y)["log_loss"] * len(test.y)
            count += len(test.y)
        table[f"{l2:g}"] = round(total / max(count, 1), 6)
    best = min(L2_GRID, key=lambda v: (table[f"{v:g}"], -v))
    return best, table


def fit(
    labelled: Iterable[Labelled | Mapping[str, Any] | tuple[Any, Any]],
    *,
    base_policy: Policy | str | Path | None = None,
    l2: float | Literal["auto"] = DEFAULT_L2,
    prior: Literal["base", "zero"] = "base",
    signs: Literal["base", "free"] = "base",
    freeze: Iterable[str] = (),
    mil: Literal["peak", "witness"] = "peak",
    target_rate: float | None = None,
    escalate_rate: float | None = None,
    rate_basis: Literal["decisions", "scores"] = "decisions",
    model: Literal["none", "e5-small"] = "none",
    measure: bool = True,
) -> FitResult:
    """Fit the fusion weights (and, for target rates, the thresholds) on labelled conversations.

    L2-regularised logistic regression on ``fusion.features`` of every customer turn, as the
    base policy's detector sees them; the fitted policy keeps everything of the base but the
    weights and the thresholds. See ``docs/calibration.md`` for the method.

    Parameters
    ----------
    labelled
        :class:`Labelled` conversations, or labelled records (``{"id", "turns", "label"}``), or
        ``(conversation, label)`` pairs.
    base_policy
        The policy to start from (default: the shipped one): a Policy or a policy file.
    l2
        Penalty strength towards the prior (``"auto"``: 5-fold cross-validation over
        :data:`L2_GRID`).
    prior
        Centre of the penalty: the base policy's weights, or zero.
    signs
        ``base``: a weight keeps the sign of its base value (anger never lowers the score, joy
        never raises it); weights that are 0 in the base are free. ``free``: no constraint.
    freeze
        Weights kept at their base value, as glob patterns (``"topics.*"``, ``"bias"``).
    mil
        With conversation labels, how the peak over turns is fitted: ``peak`` (the
        likelihood of the smoothed peak, majorise-minimise) or ``witness`` (MI-SVM style).
    target_rate, escalate_rate
        Shares of conversations that should reach ``offer_human`` (or more) and ``escalate``
        on these data; None keeps the base thresholds.
    rate_basis
        ``decisions``: the rate counts conversations an override brings to the decision too
        (the real rate); ``scores``: the score quantile alone.
    model
        Text model of the detector that computes the features (as in :class:`Detector`).
    measure
        Rerun the Detector with the fitted policy to measure the decision rates it reaches.

    Returns
    -------
    FitResult
        ``(policy, report)``.

    Raises
    ------
    InputError
        Bad data (a bad record, a single outcome) or a bad parameter, named.
    """
    from ..detector import Detector

    if base_policy is None:
        base = Policy.default()
    elif isinstance(base_policy, Policy):
        base = base_policy
    else:
        base = Policy.load(base_policy)
    choices = {"prior": (prior, ("base", "zero")), "signs": (signs, ("base", "free")),
               "mil": (mil, ("peak", "witness")), "rate_basis": (rate_basis, ("decisions", "scores"))}
    for name, (value, allowed) in choices.items():
        if value not in allowed:
            raise InputError(f"{name} must be one of {list(allowed)}; got {value!r}", field=name, value=value)
    if l2 != "auto" and (isinstance(l2, bool) or not isinstance(l2, int | float)
                         or not math.isfinite(l2) or l2 < 0):
        raise InputError(f"l2 must be a number >= 0 or 'auto'; got {l2!r}", field="l2", value=l2)
    for name, rate in (("target_rate", target_rate), ("escalate_rate", escalate_rate)):
        if rate is not None and not (isinstance(rate, int | float) and 0.0 < rate < 1.0):
            raise InputError(f"{name} must be a share strictly between 0 and 1; got {rate!r}",
                             field=name, value=rate)
    if target_rate is not None and escalate_rate is not None and escalate_rate >= target_rate:
        raise InputError(
            f"escalate_rate ({escalate_rate}) must be smaller than target_rate ({target_rate}): "
            "every escalation also offers a human", field="escalate_rate", value=escalate_rate,
        )

    items = _labelled_items(labelled)
    if not items:
        raise InputError("no labelled conversation to fit on", field="labelled")
    outcomes = np.asarray([it.outcome for it in items], dtype=np.float64)
    if outcomes.min() == outcomes.max():
        raise InputError(
            f"all {len(items)} conversations are labelled {int(outcomes[0])}: fitting needs "
            "conversations of both outcomes", field="label",
        )

    detector = Detector(base, model=model)
    observed = _observe(detector, items)
    keys = _feature_keys(base)
    start, center, penalty, lower, upper, floors, frozen = _bounds(
        keys, base, signs=signs, freeze=tuple(freeze), prior=prior)
    groups, owner = _problem(observed)
    if groups.y.min() == groups.y.max():
        raise InputError("the labelled turns are all of one outcome: fitting needs both",
                         field="label")
    cv_table = None
    if l2 == "auto":
        l2, cv_table = _cv_l2(groups, owner, len(observed), start, center, penalty, lower, upper, mil)
    w, info = _fit_groups(groups, start.copy(), float(l2) * penalty, center, lower, upper, mil,
                          SMOOTH_MAX_TEMPERATURE)
    w = np.clip(np.round(w, WEIGHT_DECIMALS), lower, upper) + 0.0  # -0.0 -> 0.0
    fitted_weights = dict(zip(keys, (float(v) for v in w), strict=True))
    policy = _with_weights(base, fitted_weights)

    # thresholds for the target rates, on the peaks of the customer turns under the fitted weights
    peaks = _peaks(observed, policy, lead=False)
    override = np.asarray([int(obs.override.max()) for obs in observed])
    thresholds = {"offer_human": base.thresholds.offer_human, "escalate": base.thresholds.escalate}
    notes: list[str] = []
    plans = [("offer_human", target_rate, 1), ("escalate", escalate_rate, 2)]
    for decision, rate, level in plans:
        if rate is None:
            continue
        forced = override >= level if rate_basis == "decisions" else None
        thresholds[decision] = threshold_for_rate(peaks, rate, forced=forced)
        floor = float(np.mean(override >= level))
        if rate_basis == "decisions" and floor > rate:
            notes.append(
                f"Overrides alone bring {floor:.1%} of these conversations to {decision}, above "
                f"the {rate:.1%} target: no threshold can lower that (see overrides in the policy)."
            )
    if thresholds["escalate"] <= thresholds["offer_human"]:
        if escalate_rate is not None:  # keep the escalation rate: every escalation offers a human
            below = peaks[peaks < thresholds["escalate"]]
            thresholds["offer_human"] = _decimal_between(
                float(below.max()) if len(below) else 0.0, thresholds["escalate"], include_high=False)
            notes.append(
                "thresholds.offer_human was set just below thresholds.escalate (an escalation "
                "also offers a human; no other conversation reaches offer_human by its score)."
            )
        else:
            thresholds["escalate"] = _decimal_between(thresholds["offer_human"], 1.0, include_high=False)
            notes.append("thresholds.escalate was raised above thresholds.offer_human.")
    policy = policy.model_copy(update={"thresholds": base.thresholds.model_copy(update=thresholds)})
    policy = Policy.model_validate(policy.model_dump())  # re-validated (ordered thresholds)

    measured: dict[str, float] = {}
    if measure and (target_rate is not None or escalate_rate is not None):
        check = _observe(Detector(policy, model=model), items)
        for decision, _, level in plans:
            measured[decision] = float(np.mean([obs.decision >= level for obs in check]))
    rates = []
    for decision, rate, level in plans:
        if rate is None:
            continue
        t = thresholds[decision]
        by_score = peaks >= t
        rates.append(RateReport(
            decision=decision, target=rate, threshold=t, basis=rate_basis,
            by_score=round(float(np.mean(by_score)), 6),
            by_overrides=round(float(np.mean(override >= level)), 6),
            predicted=round(float(np.mean(by_score | (override >= level))), 6),
            measured=round(measured[decision], 6) if decision in measured else None,
        ))

    y = outcomes
    base_w = np.asarray(start)
    at_bound = tuple(k for k, v, lo, hi in zip(keys, w, lower, upper, strict=True)
                     if k not in frozen and (v == lo or v == hi))
    kind = ("turn" if all(it.turn_labels for it in items)
            else "conversation" if not any(it.turn_labels for it in items) else "mixed")
    method = (
        f"L2-regularised logistic regression on fusion.features (l2 = {float(l2):g}"
        f"{', chosen by 5-fold cross-validation' if cv_table else ''}, prior: "
        f"{'the base weights' if prior == 'base' else 'zero'}, bias unpenalised); "
        + ("per-turn labels" if kind == "turn" else
           "conversation outcome = peak over customer turns, multiple instance: "
           + ("'peak' (smooth max, temperature "
              f"{SMOOTH_MAX_TEMPERATURE:g}, majorise-minimise)" if mil == "peak" else
              "'witness' (top turn of positives, all turns of negatives)"))
        + f"; sign constraints: {signs}"
    )
    report = FitReport(
        labels=kind,
        n_conversations=len(items),
        n_positive=int(y.sum()),
        n_customer_turns=int(sum(len(obs.rows) for obs in observed)),
        n_labelled_turns=int(sum(len(it.turn_labels) for it in items)),
        method=method, mil=mil, l2=float(l2), l2_cv=cv_table, prior=prior, signs=signs,
        frozen=frozen, safety_floors=floors, at_bound=at_bound,
        weights_base={k: float(v) for k, v in zip(keys, base_w, strict=True)},
        weights_fitted=fitted_weights,
        rounds=info["rounds"], newton_steps=info["newton_steps"], converged=info["converged"],
        train_base=_loss_of(np.asarray([obs.score for obs in observed]), y),
        train_fitted=_loss_of(_peaks(observed, policy, lead=True), y),
        thresholds=thresholds, rates=tuple(rates),
        base_decision_rates={
            "offer_human": round(float(np.mean([obs.decision >= 1 for obs in observed])), 6),
            "escalate": round(float(np.mean([obs.decision >= 2 for obs in observed])), 6),
        },
        notes=tuple(notes),
    )
    return FitResult(policy, report)


def _with_weights(base: Policy, fitted: Mapping[str, float]) -> Policy:
    """``base`` with the fitted weights (keys as in ``fusion.weight_vector``, plus ``bias``)."""
    w = base.weights
    update: dict[str, Any] = {}
    emotion, topics = dict(w.emotion), dict(w.topics)
    for key, value in fitted.items():
        family, _, name = key.partition(".")
        if family == "emotion":
            emotion[name] = value
        elif family == "topics":
            topics[name] = value
        else:
            update[key] = value
    update["emotion"], update["topics"] = emotion, topics
    weights = w.model_copy(update=update)
    return Policy.model_validate({**base.model_dump(), "weights": weights.model_dump()})
