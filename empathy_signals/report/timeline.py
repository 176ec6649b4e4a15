"""One conversation's timeline (SVG): its escalation score per turn against the thresholds,
customer and bot turns told apart, decision changes marked, each point titled with the
turn's top reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .aggregate import _cut
from .drawing import _COLORS, _axes, _e, _mark, _swatch, _ticks

if TYPE_CHECKING:  # pragma: no cover
    from .aggregate import _Report, _Timeline


def _timeline_figure(r: _Report, tl: _Timeline) -> str:
    t = r.t
    width, height, left, right, top, bottom = 1000.0, 200.0, 44.0, 86.0, 10.0, 34.0
    pw, ph = width - left - right, height - top - bottom
    span = max(tl.turns - 1, 1)

    def x(index: int) -> float:
        return left + (pw * index / span if tl.turns > 1 else pw / 2)

    def y(score: float) -> float:
        return top + ph * (1.0 - score)

    uid = f"t-{tl.seq}"
    shown_id = _cut(tl.id, 80)
    at = (t["at_turn"].format(turn=r.fint(tl.decision_turn + 1))
          if tl.decision_turn is not None else "")
    desc = t["timeline_desc"].format(turns=r.fint(tl.turns), peak=r.fnum(tl.score),
                                     peak_turn=r.fint(tl.peak_turn + 1),
                                     decision=r.decision(tl.decision), at=at)
    parts = [(f'<figure class="timeline" id="{uid}" data-decision="{tl.decision}" '
              f'data-turns="{tl.turns}" data-peak="{tl.score:.4f}">'),
             (f'<svg role="img" aria-labelledby="{uid}-title {uid}-desc" viewBox="0 0 {width:g} {height:g}" '
              f'width="{width:g}" height="{height:g}">'),
             f'<title id="{uid}-title">{_e(t["timeline_title"].format(id=shown_id))}</title>',
             f'<desc id="{uid}-desc">{_e(desc)}</desc>']
    parts += _axes(left, top, pw, ph, y_max=1.0, y_label=t["score"], integer=False, fmt=r)
    for value, key, decision in ((r.offer, "offer_line", "offer_human"),
                                 (r.escalate, "escalate_line", "escalate")):
        parts.append(f'<line x1="{left:g}" y1="{y(value):.2f}" x2="{left + pw:g}" y2="{y(value):.2f}" '
                     f'class="threshold" stroke="{_COLORS[decision]}" data-threshold="{key}"/>')
        parts.append(f'<text x="{left + pw + 4:g}" y="{y(value) + 4:.2f}" class="small" '
                     f'fill="{_COLORS[decision]}">{_e(t[key])} {_e(r.fnum(value))}</text>')
    for tick in _ticks(tl.turns):
        parts.append(f'<text x="{x(tick):.2f}" y="{top + ph + 16:g}" class="small" '
                     f'text-anchor="middle">{_e(r.fint(tick + 1))}</text>')
    parts.append(f'<text x="{left + pw / 2:.2f}" y="{height - 4:g}" class="small" '
                 f'text-anchor="middle">{_e(t["turn"])}</text>')
    path = " ".join(f"{x(p.index):.2f},{y(p.score):.2f}" for p in tl.points)
    parts.append(f'<polyline class="score" points="{path}"/>')
    parts.append(f'<g lang="{tl.language}">')
    changes = {c.index: c for c in tl.changes}
    for p in tl.points:
        if p.index in changes:  # drawn as a change mark below, with the same title
            continue
        customer = p.speaker == "customer"
        fill = _COLORS.get(p.decision, "#555") if customer else "#fff"
        parts.append(f'<circle class="pt" cx="{x(p.index):.2f}" cy="{y(p.score):.2f}" '
                     f'r="{4 if customer else 2.5}" fill="{fill}" stroke="{_COLORS.get(p.decision, "#555")}">'
                     f"<title>{_e(p.title)}</title></circle>")
    titles = {p.index: p.title for p in tl.points}
    for c in tl.changes:
        title = t["change_title"].format(before=r.decision(c.before),
                                         after=r.decision(c.after), rule=c.rule)
        title = titles.get(c.index, t["turn"] + " " + r.fint(c.index + 1)) + ". " + title
        parts.append(f'<g class="change" data-turn="{c.index}" data-to="{c.after}">'
                     f"{_mark(c.after, x(c.index), y(c.score))}<title>{_e(title)}</title></g>")
    parts.append("</g></svg>")
    caption = (f'<a href="#row-{tl.seq}">{_e(shown_id)}</a> \u00b7 '
               f"{_swatch(tl.decision)}{_e(r.decision(tl.decision))} \u00b7 {_e(desc)}")
    if len(tl.points) < tl.turns:
        caption += " " + _e(t["thinned"].format(shown=r.fint(len(tl.points)),
                                                turns=r.fint(tl.turns)))
    parts.append(f"<figcaption>{caption} <a class=\"back\" href=\"#conversation-table\">"
                 f"\u2191 {_e(t['back'])}</a></figcaption></figure>")
    return "\n".join(parts)
