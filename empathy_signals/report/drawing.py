"""Drawing blocks of the page: HTML escaping, decision colours, swatches and meters, the
decision-change marks, and the axes of the SVG plots (hand-drawn, no plotting library)."""

from __future__ import annotations

import html
import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .labels import _Wording

#: The colour of each decision, wherever the page draws one.
_COLORS = {"continue": "#2e7d32", "offer_human": "#a15c00", "escalate": "#c62828"}
# Characters that cannot appear in an HTML page: lone surrogates, C0 controls but tab/newlines.
_UNPRINTABLE = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _e(text: object) -> str:
    """Text escaped for HTML (element content and quoted attributes alike)."""
    return html.escape(_UNPRINTABLE.sub("\ufffd", str(text)), quote=True)


def _swatch(decision: str) -> str:
    return f'<span class="sw" style="background:{_COLORS.get(decision, "#555")}" aria-hidden="true"></span>'


def _meter(share: float) -> str:
    share = min(max(share, 0.0), 1.0)
    return f'<span class="meter" aria-hidden="true"><span style="width:{100 * share:.1f}%"></span></span>'


def _mark(decision: str, cx: float, cy: float, size: float = 10.0) -> str:
    """A decision-change mark: square (offer), triangle (escalate), diamond (back to continue)."""
    color = _COLORS.get(decision, "#555")
    if decision == "offer_human":
        return (f'<rect x="{cx - size / 2:.2f}" y="{cy - size / 2:.2f}" width="{size:g}" height="{size:g}" '
                f'fill="{color}" class="mark"/>')
    if decision == "escalate":
        h = size * 0.9
        return (f'<polygon points="{cx:.2f},{cy - h:.2f} {cx + h:.2f},{cy + h * 0.7:.2f} '
                f'{cx - h:.2f},{cy + h * 0.7:.2f}" fill="{color}" class="mark"/>')
    return (f'<polygon points="{cx:.2f},{cy - size:.2f} {cx + size:.2f},{cy:.2f} {cx:.2f},{cy + size:.2f} '
            f'{cx - size:.2f},{cy:.2f}" fill="{color}" class="mark"/>')


def _legend() -> str:
    parts = ['<svg class="legend-marks" aria-hidden="true" width="72" height="16" viewBox="0 0 72 16">']
    for i, decision in enumerate(("offer_human", "escalate", "continue")):
        parts.append(_mark(decision, 10 + 24 * i, 9, 7))
    parts.append("</svg>")
    return "".join(parts)


def _ticks(turns: int, most: int = 10) -> list[int]:
    """0-based indices of the turns to label on an axis of ``turns`` turns: the first turn,
    then every ``step``-th (1, 2, 5, 10, 20, ...), at most about ``most`` labels.

    >>> [i + 1 for i in _ticks(8)], [i + 1 for i in _ticks(45)]
    ([1, 2, 3, 4, 5, 6, 7, 8], [1, 5, 10, 15, 20, 25, 30, 35, 40, 45])
    """
    step = 1
    while math.ceil(turns / step) > most:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return [0] + [n - 1 for n in range(step, turns + 1, step) if n > 1]


def _axes(left: float, top: float, pw: float, ph: float, *, y_max: float, y_label: str,
          integer: bool, fmt: _Wording) -> list[str]:
    """The frame, horizontal grid lines and y labels of a plot."""
    parts = [f'<rect x="{left:g}" y="{top:g}" width="{pw:g}" height="{ph:g}" class="frame"/>']
    steps = 4
    for k in range(steps + 1):
        value = y_max * k / steps
        yy = top + ph * (1 - k / steps)
        if k:
            parts.append(f'<line x1="{left:g}" y1="{yy:.2f}" x2="{left + pw:g}" y2="{yy:.2f}" class="grid"/>')
        if integer and k and value != int(value):
            continue
        label = fmt.fint(int(value)) if integer else fmt.fnum(value, 2)
        parts.append(f'<text x="{left - 6:g}" y="{yy + 4:.2f}" class="small" text-anchor="end">{_e(label)}</text>')
    parts.append(f'<text x="12" y="{top + ph / 2:.2f}" class="small" text-anchor="middle" '
                 f'transform="rotate(-90 12 {top + ph / 2:.2f})">{_e(y_label)}</text>')
    return parts

