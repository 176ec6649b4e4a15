"""The page's two summary plots (SVG): the decision bar and the histogram of the peak scores
with the policy's thresholds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..schema import DECISIONS
from .aggregate import HISTOGRAM_BINS
from .drawing import _COLORS, _axes, _e

if TYPE_CHECKING:  # pragma: no cover
    from .aggregate import _Report


def _decision_bar(r: _Report) -> str:
    t, n = r.t, r.conversations
    width, height = 1000.0, 34.0
    parts = [(f'<svg class="bar" role="img" aria-labelledby="bar-title" viewBox="0 0 {width:g} {height:g}" '
              f'width="{width:g}" height="{height:g}">'),
             f'<title id="bar-title">{_e(t["decisions_caption"])}: ' + _e(", ".join(
                 f"{r.decision(d)} {r.fpct(r.decisions[d], n)}" for d in reversed(DECISIONS)))
             + "</title>"]
    x = 0.0
    for decision in reversed(DECISIONS):
        count = r.decisions[decision]
        w = width * count / n
        if count:
            label = f"{r.decision(decision)}: {r.fint(count)} ({r.fpct(count, n)})"
            parts.append(f'<rect x="{x:.2f}" y="0" width="{w:.2f}" height="{height:g}" '
                         f'fill="{_COLORS[decision]}"><title>{_e(label)}</title></rect>')
            if w > 60:
                parts.append(f'<text x="{x + 6:.2f}" y="22" class="onbar">{_e(r.fpct(count, n))}</text>')
        x += w
    parts.append("</svg>")
    return "".join(parts)


def _histogram(r: _Report) -> str:
    t, n = r.t, r.conversations
    width, height, left, right, top, bottom = 600.0, 210.0, 44.0, 16.0, 12.0, 34.0
    pw, ph = width - left - right, height - top - bottom
    tallest = max(sum(b) for b in r.histogram) or 1
    bin_w = pw / HISTOGRAM_BINS
    desc = t["histogram_desc"].format(n=r.fint(n), bins=HISTOGRAM_BINS,
                                      width=r.fnum(1 / HISTOGRAM_BINS))
    parts = [(f'<figure class="plot"><svg role="img" aria-labelledby="hist-title hist-desc" '
              f'viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}">'),
             f'<title id="hist-title">{_e(t["histogram"])}</title>',
             f'<desc id="hist-desc">{_e(desc)}</desc>']
    parts += _axes(left, top, pw, ph, y_max=tallest, y_label=t["count"], integer=True, fmt=r)
    for i, counts in enumerate(r.histogram):
        y = top + ph
        lo = i / HISTOGRAM_BINS
        for decision, count in zip(DECISIONS, counts, strict=True):
            if not count:
                continue
            h = ph * count / tallest
            y -= h
            label = (f"{r.fnum(lo)}\u2013{r.fnum(lo + 1 / HISTOGRAM_BINS)}: "
                     f"{r.fint(count)} {r.decision(decision)}")
            parts.append(f'<rect x="{left + i * bin_w + 1:.2f}" y="{y:.2f}" width="{bin_w - 2:.2f}" '
                         f'height="{h:.2f}" fill="{_COLORS[decision]}"><title>{_e(label)}</title></rect>')
    for value, key, decision in ((r.offer, "offer_line", "offer_human"),
                                 (r.escalate, "escalate_line", "escalate")):
        x = left + pw * value
        parts.append(f'<line x1="{x:.2f}" y1="{top:g}" x2="{x:.2f}" y2="{top + ph:g}" '
                     f'class="threshold" stroke="{_COLORS[decision]}"/>')
        parts.append(f'<text x="{x + 3:.2f}" y="{top + 10:g}" class="small" fill="{_COLORS[decision]}">'
                     f'{_e(t[key])} {_e(r.fnum(value))}</text>')
    for tick in range(0, 11, 2):
        x = left + pw * tick / 10
        parts.append(f'<text x="{x:.2f}" y="{top + ph + 16:g}" class="small" text-anchor="middle">'
                     f'{_e(r.fnum(tick / 10, 1))}</text>')
    parts.append(f'<text x="{left + pw / 2:.2f}" y="{height - 4:g}" class="small" text-anchor="middle">'
                 f'{_e(t["score"])}</text>')
    parts.append(f'</svg><figcaption>{_e(t["histogram"])}</figcaption></figure>')
    return "".join(parts)
