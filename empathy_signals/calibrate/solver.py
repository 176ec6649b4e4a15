"""The numerical core: L2-regularised logistic regression by projected Newton within box
bounds, with one label per row or per group of rows (the customer turns of a conversation),
a group's logit being the smooth maximum of its rows' logits (multiple instance).

:func:`fit_weights` is the entry point, for features computed anywhere;
:func:`~empathy_signals.calibrate.fit` builds its problem from labelled conversations.
Every matrix is features x features (about 24 x 24): a multithreaded BLAS only slows it down
(``OPENBLAS_NUM_THREADS=1``, see :mod:`empathy_signals.calibrate`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import numpy as np

from ..errors import InputError
from .constants import (
    DEFAULT_L2,
    GRADIENT_TOLERANCE,
    MAX_MIL_ROUNDS,
    MAX_NEWTON_STEPS,
    OBJECTIVE_TOLERANCE,
    SMOOTH_MAX_TEMPERATURE,
)


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
