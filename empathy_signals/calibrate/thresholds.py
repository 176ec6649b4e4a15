"""Thresholds for decision rates: the score at which about a chosen share of conversations
reaches a decision, written as the shortest decimal that gives that share."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..errors import InputError


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
