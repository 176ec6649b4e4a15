"""Calibration from outcomes: fit a policy's fusion weights and thresholds on labelled
conversations, and measure a policy on them (``docs/calibration.md``).

Every contact centre has its own tolerance. :func:`fit` learns the weights of the additive
logit (``fusion.features`` are its inputs, ``fusion.weight_vector`` its weights) from the
outcomes of past conversations, by L2-regularised logistic regression shrunk towards the
base policy, and places ``thresholds.offer_human`` (and ``escalate``) so that a chosen share
of conversations reaches the decision. :func:`evaluate` measures any policy on labelled
conversations (ROC AUC, average precision, Brier, log-loss, ECE, decision precision/recall).

>>> from empathy_signals.calibrate import threshold_for_rate
>>> threshold_for_rate([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95], 0.2)
0.9

Labelled data is the score input (``{"id", "language", "turns": [...]}``) plus a top-level
``"label"`` (did this conversation need a human: 0/1, true/false, ``"escalated"`` /
``"not_escalated"``) or per-turn labels in ``turns[i].metadata.label`` (customer turns).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import io
import json
import math
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple
from xml.sax.saxutils import escape

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .config import Policy
from .errors import InputError
from .readers import ErrorDetail, ErrorRecord, format_for, read_bytes, read_input
from .schema import DECISIONS, Conversation

__all__ = [
    "DecisionMetrics",
    "FitReport",
    "FitResult",
    "Labelled",
    "Metrics",
    "RateReport",
    "ReliabilityBin",
    "ScoreMetrics",
    "add_evaluate_arguments",
    "add_fit_arguments",
    "as_labelled",
    "evaluate",
    "fit",
    "fit_weights",
    "read_labelled",
    "reliability_svg",
    "run_evaluate",
    "run_fit",
    "score_metrics",
    "threshold_for_rate",
]

#: Default L2 strength: a Gaussian prior of standard deviation 1/sqrt(l2) logit on each weight,
#: centred on the base policy's weight (``prior="base"``). The loss is summed, not averaged,
#: so the prior weighs less as the data grows.
DEFAULT_L2 = 1.0
#: ``l2="auto"`` picks the strength from this grid by cross-validated log-loss ...
L2_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
#: ... over this many folds of conversations.
CV_FOLDS = 5
#: Temperature (logit units) of the smooth maximum ``t * log(sum(exp(z / t)))`` that stands for
#: the peak over a conversation's turns while fitting; it exceeds the true peak by at most
#: ``t * log(turns)`` (0.08 logit for five tied turns).
SMOOTH_MAX_TEMPERATURE = 0.05
#: Newton steps per convex sub-problem, and rounds of the multiple-instance iteration.
MAX_NEWTON_STEPS = 100
MAX_MIL_ROUNDS = 50
#: Convergence: projected gradient (per labelled group) and relative objective decrease.
GRADIENT_TOLERANCE = 1e-9
OBJECTIVE_TOLERANCE = 1e-12
#: Fitted weights are written with this many decimals (readable policy files).
WEIGHT_DECIMALS = 4
#: Equal-width bins of the expected calibration error and the reliability diagram.
ECE_BINS = 10
#: Probabilities are clipped to [eps, 1 - eps] in the log-loss.
LOG_LOSS_EPS = 1e-15
#: Topics whose weight a fitted policy never lowers below the base (with every topic of
#: ``overrides.escalate_topics``): safety floors.
SAFETY_FLOOR_TOPICS = ("self_harm",)
#: Accepted spellings of an outcome label (besides the numbers 0 and 1 and the booleans).
LABEL_VALUES: Mapping[str, int] = {
    "1": 1, "0": 0, "true": 1, "false": 0, "escalated": 1, "not_escalated": 0,
}
_LABEL_HELP = '0/1, true/false or "escalated"/"not_escalated"'
_BIAS = "bias"
_PROG = "empathy-signals"


# ---------------------------------------------------------------- labelled data


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Labelled(_Frozen):
    """A conversation and its outcome.

    ``label``: whether the conversation needed a human (1) or not (0). ``turn_labels``: turn
    index -> whether, at that customer turn, the conversation needed a human. At least one
    of the two is given; when both are, they agree (a 0 conversation has no 1 turn; a 1
    conversation whose customer turns are all labelled has a 1 turn).
    """

    conversation: Conversation
    label: Literal[0, 1] | None = None
    turn_labels: dict[int, Literal[0, 1]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Labelled:
        turns = self.conversation.turns
        customer = [i for i, t in enumerate(turns) if t.speaker == "customer"]
        if not customer:
            raise ValueError("turns: no customer turn, nothing to score")
        if self.label is None and not self.turn_labels:
            raise ValueError(
                f'label: no outcome; give a top-level "label" ({_LABEL_HELP}) '
                "or turns[i].metadata.label on customer turns"
            )
        for i in sorted(self.turn_labels):
            if not 0 <= i < len(turns):
                raise ValueError(f"turns[{i}].metadata.label: no turn {i} in this conversation")
            if turns[i].speaker != "customer":
                raise ValueError(
                    f"turns[{i}].metadata.label: labels belong on customer turns; "
                    f"turn {i} is a {turns[i].speaker} turn"
                )
        if self.label is not None and self.turn_labels:
            positive = [i for i, y in sorted(self.turn_labels.items()) if y == 1]
            if self.label == 0 and positive:
                raise ValueError(
                    f"label: 0 contradicts turns[{positive[0]}].metadata.label = 1"
                )
            if self.label == 1 and not positive and set(customer) <= set(self.turn_labels):
                raise ValueError("label: 1 but every customer turn is labelled 0")
        return self

    @property
    def outcome(self) -> int:
        """The conversation's label (the peak of its turn labels when only those are given)."""
        if self.label is not None:
            return self.label
        return max(self.turn_labels.values())


class _BadRecord(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _parse_label(value: object, field: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float) and value in (0, 1):
        return int(value)
    if isinstance(value, str) and value.strip().lower() in LABEL_VALUES:
        return LABEL_VALUES[value.strip().lower()]
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise _BadRecord(field, f"{field}: must be {_LABEL_HELP}; got {shown}")


def _split_labels(obj: dict[str, Any]) -> tuple[dict[str, Any], int | None, dict[int, int]]:
    """The conversation part of a labelled record, its label and its turn labels."""
    obj = dict(obj)
    label = obj.pop("label", None)  # null: no conversation label (turn labels may say it)
    if label is not None:
        label = _parse_label(label, "label")
    turn_labels: dict[int, int] = {}
    turns = obj.get("turns")
    if isinstance(turns, list | tuple):
        for i, turn in enumerate(turns):
            metadata = turn.get("metadata") if isinstance(turn, dict) else None
            if isinstance(metadata, dict) and "label" in metadata:
                turn_labels[i] = _parse_label(metadata["label"], f"turns[{i}].metadata.label")
    return obj, label, turn_labels


def _labelled_of(conversation: Conversation, label: int | None, turn_labels: dict[int, int]) -> Labelled:
    try:
        return Labelled(conversation=conversation, label=label, turn_labels=turn_labels)
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        field = message.split(":", 1)[0] if ":" in message else None
        raise _BadRecord(field, message) from None


def as_labelled(item: Labelled | Mapping[str, Any] | tuple[Any, Any]) -> Labelled:
    """A :class:`Labelled` from a labelled record (the JSONL shape), a ``(conversation,
    label)`` pair, or a :class:`Labelled`.

    Raises
    ------
    InputError
        Naming the bad field (``label``, ``turns[2].metadata.label``, ``turns[0].speaker``).
    """
    if isinstance(item, Labelled):
        return item
    try:
        if isinstance(item, tuple) and len(item) == 2:
            conversation, label = item
            if not isinstance(conversation, Conversation):
                conversation = Conversation.model_validate(conversation)
            parsed = None if label is None else _parse_label(label, "label")
            _, _, turn_labels = _split_labels(conversation.model_dump())
            return _labelled_of(conversation, parsed, turn_labels)
        if not isinstance(item, Mapping):
            raise InputError(
                "a labelled conversation must be a Labelled, a mapping or a (conversation, "
                f"label) pair; got {type(item).__name__}", field="labelled", value=item,
            )
        obj, label, turn_labels = _split_labels(dict(item))
        return _labelled_of(Conversation.model_validate(obj), label, turn_labels)
    except _BadRecord as bad:
        raise InputError(bad.message, field=bad.field) from None
    except ValidationError as exc:
        from .detector import validation_error

        raise validation_error(exc) from None


def read_labelled(
    path: str | Path,
    *,
    format: Literal["auto", "jsonl", "csv"] = "auto",
    language: Literal["fr", "en"] | None = None,
) -> Iterator[Labelled | ErrorRecord]:
    """Read labelled conversations: one :class:`Labelled` or :class:`ErrorRecord` per record.

    JSONL (``-``: stdin): a conversation per line with a top-level ``label`` and/or
    ``turns[i].metadata.label``. CSV: the score input's columns plus a ``label`` column (each
    row's label lands in ``metadata.label``: per-turn labels; leave it empty on bot rows).
    Like :mod:`empathy_signals.readers`, a bad record becomes an error record naming its line
    and field; none is dropped.

    Raises
    ------
    InputError
        If the format is not JSONL or CSV.
    """
    fmt = format_for(path) if format == "auto" else format
    if fmt == "csv":
        for record in read_input(path, format="csv", language=language):
            if isinstance(record, ErrorRecord):
                yield record
                continue
            try:
                _, label, turn_labels = _split_labels(record.model_dump())
                yield _labelled_of(record, label, turn_labels)
            except _BadRecord as bad:
                yield _error(str(path), None, bad.field, bad.message, record.id)
        return
    if fmt != "jsonl":
        raise InputError(
            f"labelled data must be JSONL or CSV; got {fmt!r} for {str(path)!r}",
            field="format", value=fmt,
        )
    if str(path) == "-":
        yield from _read_labelled_jsonl(sys.stdin.buffer, "-", Path.cwd(), language)
        return
    path = Path(path)
    with path.open("rb") as stream:
        yield from _read_labelled_jsonl(stream, str(path), path.parent.absolute(), language)


def _error(source: str, line: int | None, field: str | None, message: str, id: object) -> ErrorRecord:
    return ErrorRecord(
        id=id if isinstance(id, str) and id else None,
        error=ErrorDetail(source=source, line=line, field=field, message=message),
    )


def _read_labelled_jsonl(
    stream: Any, source: str, base_dir: Path, language: str | None
) -> Iterator[Labelled | ErrorRecord]:
    for lineno, raw in enumerate(stream, start=1):
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            obj = None
        label: int | None = None
        turn_labels: dict[int, int] = {}
        if isinstance(obj, dict):
            try:
                obj, label, turn_labels = _split_labels(obj)
            except _BadRecord as bad:
                yield _error(source, lineno, bad.field, bad.message, obj.get("id"))
                continue
            raw = json.dumps(obj).encode("utf-8")
        # The readers validate the conversation (and describe a line that is not one).
        records = list(read_bytes(raw, format="jsonl", source=source, base_dir=base_dir,
                                  language=language))  # type: ignore[arg-type]
        record = records[0] if records else _error(source, lineno, None, "empty record", None)
        if isinstance(record, ErrorRecord):
            yield record.model_copy(update={"error": record.error.model_copy(update={"line": lineno})})
            continue
        try:
            yield _labelled_of(record, label, turn_labels)
        except _BadRecord as bad:
            yield _error(source, lineno, bad.field, bad.message, record.id)


# ---------------------------------------------------------------- observing conversations


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
    from .fusion import TurnValues, features

    return (_BIAS, *features(TurnValues(), policy))


def _observe(detector: Any, items: Sequence[Labelled]) -> list[_Observed]:
    from .fusion import features, severity

    policy = detector.policy
    keys = _feature_keys(policy)[1:]
    observed = []
    for item in items:
        conversation = item.conversation
        session = detector.session(conversation.language)
        outputs: dict[int, Any] = {}
        if detector.text_model is not None:  # one batched pass, as Detector.assess does
            customer = [i for i, t in enumerate(conversation.turns)
                        if t.speaker == "customer" and t.text.strip()]
            predicted = detector.text_model.predict([conversation.turns[i].text for i in customer])
            outputs = dict(zip(customer, predicted, strict=True))
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


# ---------------------------------------------------------------- the numerical core


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))


def _spd_solve(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Solve ``h d = g`` for a symmetric (semi)definite ``h``, damping it if needed."""
    ridge = 0.0
    scale = max(1.0, float(np.max(np.abs(np.diag(h))))) if h.size else 1.0
    for _ in range(30):
        try:
            c = np.linalg.cholesky(h + ridge * np.eye(len(h)))
            return np.linalg.solve(c.T, np.linalg.solve(c, g))
        except np.linalg.LinAlgError:
            ridge = max(ridge * 10.0, 1e-10 * scale)
    return g / scale


class _Groups(NamedTuple):
    """Rows sorted by group; a group's logit is the smooth max of its rows' logits."""

    x: np.ndarray  # (R, D)
    offset: np.ndarray  # (R,)
    starts: np.ndarray  # (G,) first row of each group
    y: np.ndarray  # (G,) 0/1


def _group_logits(groups: _Groups, w: np.ndarray, temperature: float) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    z = groups.x @ w + groups.offset
    sizes = np.diff(np.append(groups.starts, len(z)))
    gid = np.repeat(np.arange(len(groups.starts)), sizes)
    if np.all(sizes == 1):
        return z, None, gid
    top = np.maximum.reduceat(z, groups.starts)
    if temperature <= 0.0:
        return top, None, gid
    e = np.exp((z - top[gid]) / temperature)
    total = np.add.reduceat(e, groups.starts)
    return top + temperature * np.log(total), e / total[gid], gid


def _objective(groups: _Groups, w: np.ndarray, penalty: np.ndarray, center: np.ndarray,
               temperature: float, order: int) -> Any:
    m, pi, gid = _group_logits(groups, w, temperature)
    y = groups.y
    f = float(np.sum(np.logaddexp(0.0, m) - y * m) + 0.5 * np.sum(penalty * (w - center) ** 2))
    if order == 0:
        return f
    p = _sigmoid(m)
    r = p - y
    xbar = groups.x if pi is None else np.add.reduceat(groups.x * pi[:, None], groups.starts)
    g = xbar.T @ r + penalty * (w - center)
    if order == 1:
        return f, g
    h = (xbar * (p * (1.0 - p))[:, None]).T @ xbar + np.diag(penalty)
    if pi is not None:  # curvature of the smooth max (PSD for groups labelled 0)
        h += ((groups.x * (r[gid] * pi)[:, None]).T @ groups.x - (xbar * r[:, None]).T @ xbar) / temperature
    return f, g, h


def _newton(groups: _Groups, w: np.ndarray, penalty: np.ndarray, center: np.ndarray,
            lower: np.ndarray, upper: np.ndarray, temperature: float) -> tuple[np.ndarray, int, bool]:
    """Projected Newton (Bertsekas 1982) on the convex sub-problem within the box bounds."""
    fixed = lower >= upper
    w = np.clip(w, lower, upper)
    tol = GRADIENT_TOLERANCE * max(1, len(groups.starts))
    for step in range(1, MAX_NEWTON_STEPS + 1):
        f, g, h = _objective(groups, w, penalty, center, temperature, 2)
        projected = w - np.clip(w - g, lower, upper)
        if np.max(np.abs(projected)) <= tol:
            return w, step, True
        blocked = fixed | ((w <= lower) & (g > 0)) | ((w >= upper) & (g < 0))
        free = ~blocked
        direction = np.zeros_like(w)
        direction[free] = -_spd_solve(h[np.ix_(free, free)], g[free])
        for candidate in (direction, -np.where(blocked, 0.0, g)):
            t = 1.0
            while t > 1e-12:
                trial = np.clip(w + t * candidate, lower, upper)
                f_trial = _objective(groups, trial, penalty, center, temperature, 0)
                if f_trial <= f + 1e-4 * float(g @ (trial - w)):
                    break
                t *= 0.5
            else:
                continue
            break
        else:
            return w, step, False  # no descent: at the optimum to machine precision
        done = f - f_trial <= OBJECTIVE_TOLERANCE * (1.0 + abs(f))
        w = trial
        if done:
            return w, step, True
    return w, MAX_NEWTON_STEPS, False


def _stack(parts: Sequence[tuple[np.ndarray, int]]) -> _Groups:
    """Groups from (rows, label) pairs."""
    sizes = [len(rows) for rows, _ in parts]
    x = np.concatenate([rows for rows, _ in parts])
    return _Groups(
        x=x,
        offset=np.zeros(len(x)),
        starts=np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64),
        y=np.asarray([y for _, y in parts], dtype=np.float64),
    )


def _sizes(groups: _Groups) -> np.ndarray:
    return np.diff(np.append(groups.starts, len(groups.x)))


def _subset(groups: _Groups, keep: np.ndarray) -> _Groups:
    """The groups where ``keep`` (shape (G,)) is true."""
    sizes = _sizes(groups)
    rows = np.repeat(keep, sizes)
    kept = sizes[keep]
    return _Groups(groups.x[rows], groups.offset[rows],
                   np.concatenate([[0], np.cumsum(kept)[:-1]]).astype(np.int64), groups.y[keep])


def _round(groups: _Groups, w: np.ndarray, mil: str, temperature: float) -> tuple[_Groups, np.ndarray]:
    """The convex sub-problem of one multiple-instance round at ``w``, and the witnesses.

    Positive groups of several rows become one row: the tangent of the smooth max at ``w``
    (``peak``: a lower bound of the convex smooth max, so the sub-problem majorises the
    objective) or their highest-scoring row (``witness``). Negative groups stay whole
    (``peak``: their smooth max is convex) or split into rows (``witness``).
    """
    sizes = _sizes(groups)
    gid = np.repeat(np.arange(len(sizes)), sizes)
    merged = (sizes > 1) & (groups.y == 1)
    keep = ~merged[gid]
    x, offset = groups.x[keep], groups.offset[keep]
    if mil == "witness":
        starts, y = np.arange(len(x), dtype=np.int64), groups.y[gid[keep]]
    else:
        starts = np.concatenate([[0], np.cumsum(sizes[~merged])[:-1]]).astype(np.int64)
        y = groups.y[~merged]
    if not merged.any():
        return _Groups(x, offset, starts, y), np.zeros(0, np.int64)
    rows = np.flatnonzero(~keep)
    local_sizes = sizes[merged]
    local = np.repeat(np.arange(len(local_sizes)), local_sizes)
    local_starts = np.concatenate([[0], np.cumsum(local_sizes)[:-1]]).astype(np.int64)
    z = groups.x[rows] @ w + groups.offset[rows]
    top = np.maximum.reduceat(z, local_starts)
    if mil == "witness":
        hits = np.flatnonzero(z == top[local])
        _, first = np.unique(local[hits], return_index=True)
        chosen = rows[hits[first]]
        new_x, new_offset = groups.x[chosen], groups.offset[chosen]
    else:
        e = np.exp((z - top[local]) / temperature)
        pi = e / np.add.reduceat(e, local_starts)[local]
        new_x = np.add.reduceat(groups.x[rows] * pi[:, None], local_starts)
        plogp = np.where(pi > 0, pi * np.log(np.where(pi > 0, pi, 1.0)), 0.0)
        new_offset = (np.add.reduceat(pi * groups.offset[rows], local_starts)
                      - temperature * np.add.reduceat(plogp, local_starts))
        chosen = np.zeros(0, np.int64)
    return _Groups(
        np.vstack([x, new_x]), np.concatenate([offset, new_offset]),
        np.concatenate([starts, len(x) + np.arange(len(new_x))]).astype(np.int64),
        np.concatenate([y, np.ones(len(new_x))]),
    ), chosen


def _fit_groups(groups: _Groups, w: np.ndarray, penalty: np.ndarray, center: np.ndarray,
                lower: np.ndarray, upper: np.ndarray, mil: str,
                temperature: float) -> tuple[np.ndarray, dict[str, Any]]:
    """Multiple-instance rounds around :func:`_newton` (one round when every group is one row)."""
    several = bool(np.any(_sizes(groups) > 1))
    steps, converged = 0, True
    previous: np.ndarray | None = None
    objective = math.inf
    for rounds in range(1, MAX_MIL_ROUNDS + 1):
        sub, witnesses = _round(groups, w, mil, temperature)
        w, n, ok = _newton(sub, w, penalty, center, lower, upper, temperature)
        steps += n
        converged = converged and ok
        if not several:
            break
        if mil == "witness":
            if previous is not None and np.array_equal(witnesses, previous):
                break
            previous = witnesses
        else:  # majorise-minimise: the smoothed objective never increases
            exact = _objective(groups, w, penalty, center, temperature, 0)
            if objective - exact <= 10 * OBJECTIVE_TOLERANCE * (1.0 + abs(exact)):
                break
            objective = exact
    else:
        converged = False
    return w, {"rounds": rounds, "newton_steps": steps, "converged": bool(converged)}

def fit_weights(
    x: np.ndarray,
    y: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    l2: float = DEFAULT_L2,
    center: np.ndarray | None = None,
    penalty: np.ndarray | None = None,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    mil: Literal["peak", "witness"] = "peak",
    temperature: float = SMOOTH_MAX_TEMPERATURE,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Fit ``w`` of ``P(y = 1) = sigmoid(x @ w)``, one label per row or per group of rows.

    The numerical core of :func:`fit`, for features computed elsewhere. Minimises the
    negative log-likelihood plus ``l2 / 2 * sum(penalty * (w - center) ** 2)`` within
    ``lower <= w <= upper`` (projected Newton). With ``groups``, the rows sharing a group id
    are the turns of one conversation and ``y`` holds one label per group (in order of first
    appearance); the group's logit is the peak of its rows' logits (``mil``: see
    ``docs/calibration.md``).

    Parameters
    ----------
    x
        Features, shape (rows, d); put a column of ones in for an intercept.
    y
        Labels 0/1, shape (rows,) or, with ``groups``, (number of groups,).
    groups
        Group id of each row, shape (rows,), or None (every row its own group).
    l2
        Strength of the penalty (0: none).
    center, penalty, lower, upper
        Shape (d,): prior centre (default 0), per-weight penalty factor (default 1; 0 leaves
        a weight, such as the intercept, unpenalised), bounds (default unbounded; equal
        bounds freeze a weight).
    mil
        ``peak``: the likelihood of the peak itself, the max smoothed at ``temperature``
        (logit units), fitted by majorise-minimise rounds; ``witness``: the highest-scoring
        row of each positive group and every row of negative groups (MI-SVM style).
    start
        Initial weights (default: ``center`` clipped to the bounds).

    Returns
    -------
    w, info
        The weights, shape (d,), and ``{"rounds", "newton_steps", "converged"}``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.column_stack([np.ones(20000), rng.uniform(size=20000)])
    >>> y = (rng.uniform(size=20000) < 1 / (1 + np.exp(-(x @ [-2.0, 3.0])))).astype(float)
    >>> w, info = fit_weights(x, y, l2=0.0)
    >>> np.round(w, 1).tolist(), info["converged"]
    ([-2.0, 3.0], True)
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or not len(x):
        raise InputError(f"x must be a non-empty 2-D array; got shape {x.shape}", field="x")
    d = x.shape[1]
    if not np.all(np.isfinite(x)):
        raise InputError("x must be finite (no NaN or infinity)", field="x")
    if not math.isfinite(l2) or l2 < 0:
        raise InputError(f"l2 must be a finite number >= 0; got {l2!r}", field="l2", value=l2)
    if mil not in ("peak", "witness"):
        raise InputError(f"mil must be 'peak' or 'witness'; got {mil!r}", field="mil", value=mil)
    if not temperature > 0:
        raise InputError(f"temperature must be > 0; got {temperature!r}", field="temperature",
                         value=temperature)
    center = np.zeros(d) if center is None else np.asarray(center, dtype=np.float64)
    penalty = l2 * (np.ones(d) if penalty is None else np.asarray(penalty, dtype=np.float64))
    lower = np.full(d, -np.inf) if lower is None else np.asarray(lower, dtype=np.float64)
    upper = np.full(d, np.inf) if upper is None else np.asarray(upper, dtype=np.float64)
    if np.any(lower > upper):
        raise InputError("lower must be <= upper for every weight", field="lower")
    if groups is None:
        members = [np.asarray([i]) for i in range(len(x))]
    else:
        ids = np.asarray(groups)
        if ids.shape != (len(x),):
            raise InputError(f"groups must have shape ({len(x)},); got {ids.shape}", field="groups")
        _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")  # groups in order of first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        by_group = rank[inverse]
        rows = np.argsort(by_group, kind="stable")
        members = np.split(rows, np.cumsum(np.bincount(by_group))[:-1])
    if y.shape != (len(members),) or not np.all((y == 0) | (y == 1)):
        raise InputError(f"y must hold {len(members)} labels, each 0 or 1", field="y")
    if y.min() == y.max():
        raise InputError(
            f"the labels are all {int(y[0])}: fitting needs both outcomes", field="y",
        )
    w = np.clip(center if start is None else np.asarray(start, dtype=np.float64), lower, upper)
    groups_ = _stack([(x[idx], int(label)) for idx, label in zip(members, y, strict=True)])
    return _fit_groups(groups_, w, penalty, center, lower, upper, mil, temperature)


# ---------------------------------------------------------------- thresholds


def threshold_for_rate(
    scores: Sequence[float] | np.ndarray,
    rate: float,
    *,
    forced: Sequence[bool] | np.ndarray | None = None,
) -> float:
    """The threshold at which about ``rate`` of the items score at least it.

    Chooses, among the gaps between distinct scores, the one whose share of items at or
    above is closest to ``rate`` (the smaller share on a tie), and returns the shortest decimal in that gap nearest its
    middle (so ``score >= threshold`` reproduces the share on these scores). ``forced`` marks
    items that reach the decision whatever their score (overrides): they count towards the
    rate, and the threshold is set on the others.

    Parameters
    ----------
    scores
        Probabilities in [0, 1], shape (n,).
    rate
        The wanted share, in [0, 1].
    forced
        Optional booleans, shape (n,).

    Returns
    -------
    float
        A threshold strictly between 0 and 1.

    Examples
    --------
    >>> threshold_for_rate([0.1, 0.5, 0.5, 0.9], 0.5)   # ties: 25 % or 75 %; the lower wins
    0.7
    >>> threshold_for_rate([0.1, 0.2, 0.3, 0.4], 0.5, forced=[True, False, False, False])
    0.4
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    if not len(s):
        raise InputError("scores must not be empty", field="scores")
    if not np.all(np.isfinite(s)) or s.min() < 0.0 or s.max() > 1.0:
        raise InputError("scores must be probabilities in [0, 1] (no NaN)", field="scores")
    if not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
        raise InputError(f"rate must be a share in [0, 1]; got {rate!r}", field="rate", value=rate)
    mask = np.zeros(len(s), bool) if forced is None else np.asarray(forced, dtype=bool).ravel()
    if mask.shape != s.shape:
        raise InputError(f"forced must have shape {s.shape}; got {mask.shape}", field="forced")
    free = np.sort(s[~mask])[::-1]
    wanted = rate * len(s) - int(mask.sum())
    distinct = np.unique(free)[::-1]
    counts = np.searchsorted(-free, -distinct, side="right")  # items >= each distinct score
    options = [(0, 1.0, float(distinct[0]) if len(distinct) else 0.0)]  # (count, above, below)
    for j, value in enumerate(distinct):
        below = float(distinct[j + 1]) if j + 1 < len(distinct) else 0.0
        options.append((int(counts[j]), float(value), below))
    count, high, low = min(options, key=lambda o: (abs(o[0] - wanted), o[0]))
    if count == 0:  # above every free score
        low, high = (float(distinct[0]) if len(distinct) else 0.0), 1.0
        return _decimal_between(low, high, include_high=False)
    return _decimal_between(low, high, include_high=True)


def _decimal_between(low: float, high: float, *, include_high: bool) -> float:
    """The shortest decimal in ``(low, high]`` (or ``(low, high)``) nearest the middle, in (0, 1)."""
    low, high = max(low, 0.0), min(high, 1.0)
    middle = (low + high) / 2.0

    def inside(v: float) -> bool:
        return low < v < 1.0 and v > 0.0 and (v <= high if include_high else v < high)

    for digits in range(1, 18):
        scale = 10.0**digits
        first, last = math.floor(low * scale) + 1, math.floor(high * scale)
        if first > last:
            continue
        k = min(max(round(middle * scale), first), last)
        for candidate in (k, k - 1, k + 1):
            value = round(candidate / scale, digits)
            if inside(value):
                return value
    if inside(middle):
        return middle
    return float(np.nextafter(low, 1.0)) if low < 1.0 else float(np.nextafter(1.0, 0.0))


# ---------------------------------------------------------------- fit


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
    from . import __version__

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
    from .fusion import weight_vector

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
    from .fusion import combine, sigmoid

    rest = sigmoid(policy.weights.bias)
    out = np.empty(len(observed))
    for c, obs in enumerate(observed):
        peak = max(combine(v, policy).score for v in obs.values)
        out[c] = max(peak, rest) if lead and obs.lead_row else peak
    return out


def _loss_of(p: np.ndarray, y: np.ndarray) -> dict[str, float]:
    q = np.clip(p, LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS)
    return {
        "log_loss": round(float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))), 6),
        "brier": round(float(np.mean((p - y) ** 2)), 6),
    }


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
    from .detector import Detector

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

    items = []
    for i, item in enumerate(labelled):
        try:
            items.append(as_labelled(item))
        except InputError as exc:
            raise InputError(f"labelled[{i}]: {exc}", field=exc.field, value=exc.value) from None
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


# ---------------------------------------------------------------- metrics


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


def _auc(y: np.ndarray, s: np.ndarray) -> float | None:
    """ROC AUC as the Mann-Whitney statistic, ties counted one half (mid-ranks)."""
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
    auc, ap = _auc(y, s), _average_precision(y, s)
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
    from .detector import Detector

    if not isinstance(bins, int) or isinstance(bins, bool) or bins < 1:
        raise InputError(f"bins must be an integer >= 1; got {bins!r}", field="bins", value=bins)
    items = []
    for i, item in enumerate(labelled):
        try:
            items.append(as_labelled(item))
        except InputError as exc:
            raise InputError(f"labelled[{i}]: {exc}", field=exc.field, value=exc.value) from None
    if not items:
        raise InputError("no labelled conversation to evaluate", field="labelled")
    detector = Detector(policy, model=model)
    observed = _observe(detector, items)
    return _metrics(detector.policy, observed, bins)


def _metrics(policy: Policy, observed: Sequence[_Observed], bins: int = ECE_BINS) -> Metrics:
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


# ---------------------------------------------------------------- reliability diagram

#: Series colours of the diagram (colour-blind safe, Okabe-Ito).
_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def reliability_svg(series: Mapping[str, ScoreMetrics], *, title: str = "Reliability") -> str:
    """A reliability diagram as SVG text: observed rate against mean score per bin, one
    curve per entry of ``series`` (its ECE in the legend), point area proportional to the
    bin's count. Deterministic: the same metrics give the same bytes.

    >>> m = score_metrics([0, 1], [0.2, 0.8])
    >>> reliability_svg({"policy": m}).startswith("<svg")
    True
    """
    size, left, top, plot = 440, 56, 40, 300
    legend_top = top + plot + 44

    def px(v: float) -> float:
        return round(left + v * plot, 1)

    def py(v: float) -> float:
        return round(top + (1.0 - v) * plot, 1)

    height = legend_top + 18 * len(series) + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{height}" '
        f'viewBox="0 0 {size} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{size}" height="{height}" fill="white"/>',
        f'<text x="{size / 2}" y="22" text-anchor="middle" font-size="14">{escape(title)}</text>',
    ]
    for i in range(6):
        v = i / 5
        out.append(f'<line x1="{px(v)}" y1="{py(0)}" x2="{px(v)}" y2="{py(1)}" stroke="#e5e5e5"/>')
        out.append(f'<line x1="{px(0)}" y1="{py(v)}" x2="{px(1)}" y2="{py(v)}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{px(v)}" y="{py(0) + 16}" text-anchor="middle">{v:.1f}</text>')
        out.append(f'<text x="{px(0) - 6}" y="{py(v) + 4}" text-anchor="end">{v:.1f}</text>')
    out += [
        f'<rect x="{px(0)}" y="{py(1)}" width="{plot}" height="{plot}" fill="none" stroke="#333"/>',
        f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(1)}" y2="{py(1)}" stroke="#888" '
        'stroke-dasharray="4 3"/>',
        f'<text x="{px(0.5)}" y="{py(0) + 32}" text-anchor="middle">mean score in the bin</text>',
        f'<text x="14" y="{py(0.5)}" text-anchor="middle" transform="rotate(-90 14 {py(0.5)})">'
        "observed rate</text>",
    ]
    for k, (name, metrics) in enumerate(series.items()):
        colour = _COLOURS[k % len(_COLOURS)]
        bins = metrics.reliability
        points = " ".join(f"{px(b.mean_score)},{py(b.observed_rate)}" for b in bins)
        if len(bins) > 1:
            out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        for b in bins:
            radius = round(2.0 + 8.0 * math.sqrt(b.n / max(metrics.n, 1)), 1)
            out.append(
                f'<circle cx="{px(b.mean_score)}" cy="{py(b.observed_rate)}" r="{radius}" '
                f'fill="{colour}" fill-opacity="0.35" stroke="{colour}"/>'
            )
        y = legend_top + 18 * k
        out.append(f'<rect x="{left}" y="{y - 9}" width="12" height="12" fill="{colour}"/>')
        out.append(
            f'<text x="{left + 18}" y="{y + 2}">{escape(name)}: ECE {metrics.ece:.3f}, '
            f"Brier {metrics.brier:.3f}, n = {metrics.n:,}</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- command line


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1; got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be strictly between 0 and 1; got {text!r}")
    return value


def _l2(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0 or 'auto'; got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0 or 'auto'; got {text!r}")
    return value


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="labelled conversations: JSONL (top-level \"label\" or "
                             "turns[i].metadata.label) or CSV with a label column; '-' is stdin")
    parser.add_argument("--format", choices=("auto", "jsonl", "csv"), default="auto",
                        help="format of the INPUT files (default: from the extension)")
    parser.add_argument("--lang", choices=("auto", "fr", "en"), default="auto",
                        help="language of every conversation (default: as recorded, else detected)")
    parser.add_argument("--model", choices=("none", "e5-small"), default="none",
                        help="text model of the detector (as in score)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def add_fit_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``empathy-signals fit`` (see ``docs/calibration.md``)."""
    _common_arguments(parser)
    parser.add_argument("-o", "--output", metavar="FILE", required=True,
                        help="the fitted policy: TOML with a header saying what it was fitted on "
                             "(.json: JSON); '-' prints it")
    parser.add_argument("--policy", metavar="FILE", help="base policy (default: the shipped one)")
    parser.add_argument("--l2", type=_l2, default=DEFAULT_L2, metavar="L2",
                        help=f"penalty strength towards the prior (default {DEFAULT_L2:g}); "
                             "'auto' cross-validates it")
    parser.add_argument("--prior", choices=("base", "zero"), default="base",
                        help="centre of the penalty: the base weights (default) or zero")
    parser.add_argument("--signs", choices=("base", "free"), default="base",
                        help="base: each weight keeps its base sign (default); free: no constraint")
    parser.add_argument("--freeze", action="append", default=[], metavar="PATTERN",
                        help="keep matching weights at their base value (e.g. 'topics.*', 'bias'); "
                             "may be repeated")
    parser.add_argument("--mil", choices=("peak", "witness"), default="peak",
                        help="conversation labels: fit the peak's likelihood (default) or the "
                             "witness turn of positives")
    parser.add_argument("--target-rate", type=_rate, metavar="R",
                        help="set thresholds.offer_human so that about R of the conversations "
                             "reach offer_human or more")
    parser.add_argument("--escalate-rate", type=_rate, metavar="R",
                        help="set thresholds.escalate so that about R of them reach escalate")
    parser.add_argument("--rate-basis", choices=("decisions", "scores"), default="decisions",
                        help="decisions: rates count conversations that overrides bring to the "
                             "decision (default); scores: the score quantile alone")


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``empathy-signals evaluate``."""
    _common_arguments(parser)
    parser.add_argument("--policy", action="append", default=[], metavar="FILE",
                        help="policy to measure; may be repeated to compare ('default': the "
                             "shipped one, the default)")
    parser.add_argument("--diagram", metavar="OUT.svg",
                        help="write the reliability diagram of the conversation scores (SVG)")


def _warn(message: str) -> None:
    sys.stderr.write(f"{_PROG}: warning: {message}\n")


def _check_inputs(args: argparse.Namespace, outputs: Sequence[str | None]) -> None:
    from .cli import UsageError

    if args.inputs.count("-") > 1:
        raise UsageError("'-' (standard input) can be given only once")
    for name in args.inputs:
        if name == "-":
            continue
        path = Path(name)
        if not path.exists():
            raise UsageError(f"input file {name!r} does not exist")
        if not path.is_file():
            raise UsageError(f"input {name!r} is not a file")
        if args.format == "auto":
            try:
                fmt = format_for(name)
            except InputError as exc:
                raise UsageError(str(exc)) from None
            if fmt not in ("jsonl", "csv"):
                raise UsageError(f"input {name!r}: labelled data must be JSONL or CSV; got {fmt}")
    inputs = {Path(n).resolve() for n in args.inputs if n != "-"}
    for out in outputs:
        if out not in (None, "-") and Path(out).resolve() in inputs:
            raise UsageError(f"the output {out!r} is also an input")


def _read_all(args: argparse.Namespace) -> tuple[list[Labelled], list[ErrorRecord], list[str]]:
    """Every input's labelled conversations and error records, and a description of each input."""
    language = None if args.lang == "auto" else args.lang
    good: list[Labelled] = []
    bad: list[ErrorRecord] = []
    sources = []
    for name in args.inputs:
        before = len(good) + len(bad)
        if name == "-":
            data = sys.stdin.buffer.read()
            records: Iterable[Labelled | ErrorRecord] = list(
                _read_labelled_jsonl(io.BytesIO(data), "-", Path.cwd(), language))
            digest = hashlib.sha256(data).hexdigest()
        else:
            records = read_labelled(name, format=args.format, language=language)
            digest = hashlib.sha256(Path(name).read_bytes()).hexdigest()
        for record in records:
            (bad if isinstance(record, ErrorRecord) else good).append(record)  # type: ignore[arg-type]
        sources.append(f"{Path(name).name if name != '-' else 'stdin'} "
                       f"({len(good) + len(bad) - before:,} records, sha256 {digest[:16]})")
    for record in bad:
        err = record.error
        where = err.source + (f":{err.line}" if err.line is not None else "")
        field = f"{err.field}: " if err.field and not err.message.startswith(err.field) else ""
        _warn(f"{where}: {field}{err.message}")
    if bad:
        _warn(f"{len(bad)} of {len(good) + len(bad)} records are bad and were left out "
              "(each is listed above)")
    return good, bad, sources


def run_fit(args: argparse.Namespace) -> int:
    """``empathy-signals fit``: exit 0, or 3 when some records were bad (the rest fitted)."""
    from .cli import UsageError

    if args.escalate_rate is not None and args.target_rate is not None \
            and args.escalate_rate >= args.target_rate:
        raise UsageError(f"--escalate-rate ({args.escalate_rate}) must be smaller than "
                         f"--target-rate ({args.target_rate})")
    _check_inputs(args, [args.output])
    base = Policy.load(args.policy) if args.policy else Policy.default()
    good, bad, sources = _read_all(args)
    if not good:
        raise UsageError(f"no valid labelled conversation to fit on ({len(bad)} bad records)")
    result = fit(good, base_policy=base, l2=args.l2, prior=args.prior, signs=args.signs,
                 freeze=args.freeze, mil=args.mil, target_rate=args.target_rate,
                 escalate_rate=args.escalate_rate, rate_basis=args.rate_basis, model=args.model)
    if args.output == "-":
        sys.stdout.write(result.to_toml(sources=sources))
        report_out = sys.stderr
    else:
        result.dump(args.output, sources=sources)
        report_out = sys.stdout
    if args.json:
        payload = {"output": args.output, "records": {"read": len(good) + len(bad), "bad": len(bad)},
                   "report": result.report.model_dump(mode="json")}
        report_out.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        report_out.write(_fit_summary(result.report, args.output))
    return 3 if bad else 0


def _fit_summary(r: FitReport, output: str) -> str:
    lines = [
        f"fitted on {r.n_conversations:,} conversations ({r.n_positive:,} positive), "
        f"{r.n_customer_turns:,} customer turns; labels per {r.labels}",
        f"training log-loss {r.train_base['log_loss']:.4f} -> {r.train_fitted['log_loss']:.4f}, "
        f"Brier {r.train_base['brier']:.4f} -> {r.train_fitted['brier']:.4f}"
        + ("" if r.converged else " (not fully converged)"),
        f"{'weight (changed ones)':<28} {'base':>8} {'fitted':>8}",
    ]
    for key, value in r.weights_fitted.items():
        base = r.weights_base[key]
        mark = " frozen" if key in r.frozen else " (bound)" if key in r.at_bound else ""
        if value != base or mark:
            lines.append(f"{key:<28} {base:>8.3f} {value:>8.3f}{mark}")
    lines.append(f"thresholds: offer_human {r.thresholds['offer_human']:g}, "
                 f"escalate {r.thresholds['escalate']:g}")
    for rate in r.rates:
        got = rate.measured if rate.measured is not None else rate.predicted
        lines.append(f"{rate.decision}: target {rate.target:.1%}, obtained {got:.1%} "
                     f"(overrides alone {rate.by_overrides:.1%}, score alone {rate.by_score:.1%})")
    lines += list(r.notes)
    if output != "-":
        lines.append(f"policy written to {output}")
    return "\n".join(lines) + "\n"


def run_evaluate(args: argparse.Namespace) -> int:
    """``empathy-signals evaluate``: exit 0, or 3 when some records were bad (the rest measured)."""
    from .cli import UsageError
    from .detector import Detector

    if args.diagram is not None and Path(args.diagram).suffix.lower() != ".svg":
        raise UsageError(f"--diagram writes SVG: give a .svg file; got {args.diagram!r}")
    _check_inputs(args, [args.diagram])
    names = args.policy or ["default"]
    policies = [(n, Policy.default() if n == "default" else Policy.load(n)) for n in names]
    good, bad, sources = _read_all(args)
    if not good:
        raise UsageError(f"no valid labelled conversation to evaluate ({len(bad)} bad records)")
    results = []
    for name, policy in policies:
        observed = _observe(Detector(policy, model=args.model), good)
        results.append((name, _metrics(policy, observed)))
    if args.diagram:
        Path(args.diagram).write_text(
            reliability_svg({n: m.conversations for n, m in results},
                            title=f"Reliability: {len(good):,} labelled conversations"),
            encoding="utf-8")
    if args.json:
        payload = {"inputs": sources, "records": {"read": len(good) + len(bad), "bad": len(bad)},
                   "policies": [{"policy": n, "metrics": m.model_dump(mode="json")} for n, m in results]}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_metrics_table(results))
    return 3 if bad else 0


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if pct else f"{value:.3f}"


def _metrics_table(results: Sequence[tuple[str, Metrics]]) -> str:
    width = max(12, *(len(Path(n).name) for n, _ in results))
    first = results[0][1].conversations
    rows: list[tuple[str, list[str]]] = []

    def block(label: str, get: Any) -> None:
        rows.append((label, [get(m) for _, m in results]))

    lines = [f"{first.n:,} conversations, {first.positives:,} positive "
             f"(base rate {first.base_rate:.1%})"]
    block("ROC AUC", lambda m: _fmt(m.conversations.roc_auc))
    block("average precision", lambda m: _fmt(m.conversations.average_precision))
    block("Brier", lambda m: _fmt(m.conversations.brier))
    block("log-loss", lambda m: _fmt(m.conversations.log_loss))
    block(f"ECE ({ECE_BINS} bins)", lambda m: _fmt(m.conversations.ece))
    block("mean score", lambda m: _fmt(m.conversations.mean_score))
    for d in ("offer_human", "escalate"):
        name = "offer_human+" if d == "offer_human" else d
        block(f"{name} rate", lambda m, d=d: _fmt(getattr(m, d).rate, pct=True))
        block("  precision", lambda m, d=d: _fmt(getattr(m, d).precision))
        block("  recall", lambda m, d=d: _fmt(getattr(m, d).recall))
        block("  F1", lambda m, d=d: _fmt(getattr(m, d).f1))
    if any(m.turns is not None for _, m in results):
        block("turns: n", lambda m: str(m.turns.n) if m.turns else "-")
        block("turns: ROC AUC", lambda m: _fmt(m.turns.roc_auc) if m.turns else "-")
        block("turns: Brier", lambda m: _fmt(m.turns.brier) if m.turns else "-")
        block("turns: ECE", lambda m: _fmt(m.turns.ece) if m.turns else "-")
    lines.append(f"{'':<20}" + "".join(f"{Path(n).name:>{width + 2}}" for n, _ in results))
    for label, values in rows:
        lines.append(f"{label:<20}" + "".join(f"{v:>{width + 2}}" for v in values))
    return "\n".join(lines) + "\n"
