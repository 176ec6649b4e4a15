"""The reliability diagram (SVG): observed rate against mean score per bin, a curve per
policy. Plain SVG text, no plotting library and no numpy."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:  # pragma: no cover
    from .metrics import ScoreMetrics

#: Series colours of the diagram (colour-blind safe, Okabe-Ito).
_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def reliability_svg(series: Mapping[str, ScoreMetrics], *, title: str = "Reliability") -> str:
    """A reliability diagram as SVG text: observed rate against mean score per bin, one
    curve per entry of ``series`` (its ECE in the legend), point area proportional to the
    bin's count. Deterministic: the same metrics give the same bytes.

    >>> from empathy_signals.calibrate import score_metrics
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
