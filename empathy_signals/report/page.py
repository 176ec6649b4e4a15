"""The HTML page: :func:`build_report`, the one-shot API, and :func:`render`, which writes the
page of a report's aggregates section by section (summary, decisions, reasons, topics and
languages, emotions, errors, the conversation table and the timelines), with its CSS inline.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..explain import EMOTION_NAMES, TOPIC_NAMES
from ..readers import ErrorRecord
from ..schema import DECISIONS, EMOTIONS, TOPICS, ConversationAssessment
from .aggregate import _MARKERS, MAX_LISTED_PROBLEMS, MAX_TIMELINES, _cut, _Report
from .charts import _decision_bar, _histogram
from .drawing import _e, _legend, _meter, _swatch
from .labels import _NONE, _OTHER
from .timeline import _timeline_figure

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Policy


def build_report(
    results: Iterable[ConversationAssessment | ErrorRecord | dict[str, Any]],
    *,
    policy: Policy | None = None,
    lang: str = "en",
    title: str | None = None,
    max_timelines: int = MAX_TIMELINES,
) -> str:
    """The HTML report (one self-contained page) over scored conversations.

    Parameters
    ----------
    results : iterable of ConversationAssessment, ErrorRecord or dict
        What ``empathy-signals score`` writes, as models or as parsed JSON objects: a
        conversation's assessment, or an error record ``{"id", "error"}``. Consumed once,
        as a stream. An item that is neither (a dict that does not validate) is counted as
        an unreadable record and listed in the report; it never raises.
    policy : Policy, optional
        Where the offer and escalate thresholds drawn on the plots come from (default: the
        bundled policy). Use the policy the conversations were scored with.
    lang : {"en", "fr"}
        Language of the report's labels (the reason messages stay in each conversation's
        language).
    title : str, optional
        The page title (default: "Escalation report" / "Rapport d'escalade").
    max_timelines : int
        Timelines drawn, of the highest-scoring conversations (ties: the first in input
        order); the page says how many were left out. 0 draws none.

    Returns
    -------
    str
        The HTML page (UTF-8 text, no script, no external resource).

    Raises
    ------
    InputError
        ``lang`` is not ``"en"`` or ``"fr"``, or ``max_timelines`` is negative.
    """
    report = _Report(policy=policy, lang=lang, title=title, max_timelines=max_timelines)
    for position, item in enumerate(results, start=1):
        report.feed(item, line=position)  # a bad item is listed by its position ("#3")
    return render(report)


def render(r: _Report) -> str:
    """The HTML page of the aggregates ``r``."""
    from .. import __version__

    t = r.t
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{r.lang}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="empathy_signals">',
        f"<title>{_e(r.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        '<header id="top">',
        f"<h1>{_e(r.title)}</h1>",
        (f'<p class="meta">{_e(t["made_by"].format(version=__version__))} '
         f'{_e(t["thresholds"].format(offer=r.fnum(r.offer), escalate=r.fnum(r.escalate)))}</p>'),
    ]
    if r.sources:
        shown = ", ".join(_cut(s, 120) for s in r.sources[:20])
        more = f" (+{len(r.sources) - 20})" if len(r.sources) > 20 else ""
        parts.append(f'<p class="meta">{_e(t["inputs"])} <code>{_e(shown)}</code>{_e(more)}</p>')
    parts.append("</header>")
    parts.append("<main>")
    parts += _summary(r)
    if r.conversations:
        parts += _decisions(r)
        parts += _reasons(r)
        parts.append('<div class="cols">')
        parts += _topics(r)
        parts += _languages(r)
        parts.append("</div>")
        parts += _emotions(r)
    parts += _problems(r)
    if r.conversations:
        parts += _timelines(r)
    parts.append("</main>")
    parts.append("</body>")
    parts.append("</html>")
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------- sections


def _summary(r: _Report) -> list[str]:
    t, n = r.t, r.conversations
    needs = r.decisions["offer_human"] + r.decisions["escalate"]
    cards = [
        ("conversations", r.fint(n), t["conversations"]),
        ("needs_human", r.fpct(needs, n), t["needs_human"]),
        ("escalate", r.fint(r.decisions["escalate"]), r.decision("escalate")),
        ("offer_human", r.fint(r.decisions["offer_human"]), r.decision("offer_human")),
        ("continue", r.fint(r.decisions["continue"]), r.decision("continue")),
        ("customer_turns", r.fint(r.customer_turns), t["customer_turns"]),
        ("errors", r.fint(r.errors), t["errors"]),
        ("bad_lines", r.fint(r.bad), t["bad_lines"]),
    ]
    out = ['<section aria-labelledby="s-summary">', f'<h2 id="s-summary">{_e(t["summary"])}</h2>',
           '<dl class="cards">']
    for key, value, label in cards:
        out.append(f'<div class="card {key}"><dt>{_e(label)}</dt>'
                   f'<dd data-stat="{key}">{_e(value)}</dd></div>')
    out.append("</dl>")
    if not n:
        out.append(f'<p class="empty">{_e(t["empty"])}</p>')
    out.append("</section>")
    return out


def _decisions(r: _Report) -> list[str]:
    t, n = r.t, r.conversations
    out = ['<section aria-labelledby="s-decisions">',
           f'<h2 id="s-decisions">{_e(t["decisions"])}</h2>',
           _decision_bar(r), '<div class="pair">']
    out.append('<table class="data" id="decisions">')
    out.append(f'<caption>{_e(t["decisions_caption"])}</caption>')
    out.append(f'<thead><tr><th scope="col">{_e(t["decision"])}</th>'
               f'<th scope="col" class="n">{_e(t["count"])}</th>'
               f'<th scope="col" class="n">{_e(t["share"])}</th></tr></thead><tbody>')
    for decision in reversed(DECISIONS):
        count = r.decisions[decision]
        out.append(f'<tr data-decision="{decision}"><th scope="row">{_swatch(decision)}'
                   f'{_e(r.decision(decision))}</th>'
                   f'<td class="n" data-count="{count}">{_e(r.fint(count))}</td>'
                   f'<td class="n" data-share="{count / n:.6f}">{_e(r.fpct(count, n))}</td></tr>')
    out.append(f'</tbody><tfoot><tr><th scope="row">{_e(t["total"])}</th>'
               f'<td class="n">{_e(r.fint(n))}</td><td class="n">{_e(r.fpct(n, n))}</td>'
               "</tr></tfoot></table>")
    out.append(_histogram(r))
    out.append("</div></section>")
    return out


def _reasons(r: _Report) -> list[str]:
    t, n = r.t, r.conversations
    out = ['<section aria-labelledby="s-reasons">', f'<h2 id="s-reasons">{_e(t["reasons"])}</h2>',
           '<table class="data" id="reasons">', f'<caption>{_e(t["reasons_caption"])}</caption>',
           (f'<thead><tr><th scope="col">{_e(t["reason"])}</th><th scope="col">{_e(t["key"])}</th>'
            f'<th scope="col" class="n">{_e(t["present"])}</th>'
            f'<th scope="col" class="n">{_e(t["top"])}</th>'
            f'<th scope="col" class="n">{_e(t["top_share"])}</th>'
            f'<th scope="col" class="n">{_e(t["mean_contribution"])}</th></tr></thead><tbody>')]
    rows = sorted(r.reasons.items(), key=lambda kv: (-kv[1].top, -kv[1].present, kv[0]))
    for name, stat in rows:
        is_signal = not name.startswith(_MARKERS) and name not in (_NONE, _OTHER)
        mean = (r.fnum(stat.total / stat.present) if is_signal and stat.present
                else t["none"])
        present = r.fint(stat.present) if name != _NONE else t["none"]
        share = stat.top / n
        out.append(
            f'<tr data-reason="{_e(name)}"><th scope="row">{_e(r.reason_name(name))}</th>'
            f'<td class="nowrap"><code>{_e(name)}</code></td>'
            f'<td class="n" data-present="{stat.present}">{_e(present)}</td>'
            f'<td class="n" data-top="{stat.top}">{_e(r.fint(stat.top))}</td>'
            f'<td class="n bar-cell" data-share="{share:.6f}">{_meter(share)}{_e(r.fpct(stat.top, n))}</td>'
            f'<td class="n">{_e(mean)}</td></tr>'
        )
    out.append("</tbody></table></section>")
    return out


def _topics(r: _Report) -> list[str]:
    t, n = r.t, r.conversations
    out = ['<section aria-labelledby="s-topics">', f'<h2 id="s-topics">{_e(t["topics"])}</h2>']
    found = [topic for topic in TOPICS if r.topic_turns[topic]]
    if not found:
        out.append(f"<p>{_e(t['no_topics'])}</p></section>")
        return out
    found.sort(key=lambda k: (-r.topic_conversations[k], TOPICS.index(k)))
    out += ['<table class="data" id="topics">', f'<caption>{_e(t["topics_caption"])}</caption>',
            (f'<thead><tr><th scope="col">{_e(t["topic"])}</th>'
             f'<th scope="col" class="n">{_e(t["conversations_with"])}</th>'
             f'<th scope="col" class="n">{_e(t["share"])}</th>'
             f'<th scope="col" class="n">{_e(t["turns_with"])}</th></tr></thead><tbody>')]
    for topic in found:
        convs = r.topic_conversations[topic]
        out.append(f'<tr data-topic="{topic}"><th scope="row">{_e(TOPIC_NAMES[r.lang][topic])}</th>'
                   f'<td class="n" data-count="{convs}">{_e(r.fint(convs))}</td>'
                   f'<td class="n bar-cell">{_meter(convs / n)}{_e(r.fpct(convs, n))}</td>'
                   f'<td class="n" data-turns="{r.topic_turns[topic]}">'
                   f"{_e(r.fint(r.topic_turns[topic]))}</td></tr>")
    out.append("</tbody></table></section>")
    return out


def _emotions(r: _Report) -> list[str]:
    t, total = r.t, r.customer_turns
    out = ['<section aria-labelledby="s-emotions">', f'<h2 id="s-emotions">{_e(t["emotions"])}</h2>',
           '<div class="pair">']
    out += ['<table class="data" id="emotions">', f'<caption>{_e(t["emotions_caption"])}</caption>',
            (f'<thead><tr><th scope="col">{_e(t["emotion"])}</th>'
             f'<th scope="col" class="n">{_e(t["turns_with"])}</th>'
             f'<th scope="col" class="n">{_e(t["share"])}</th></tr></thead><tbody>')]
    for emotion in sorted(EMOTIONS, key=lambda k: (-r.emotions[k], EMOTIONS.index(k))):
        count = r.emotions[emotion]
        out.append(f'<tr data-emotion="{emotion}"><th scope="row">'
                   f"{_e(EMOTION_NAMES[r.lang][emotion])}</th>"
                   f'<td class="n" data-count="{count}">{_e(r.fint(count))}</td>'
                   f'<td class="n bar-cell">{_meter(count / total if total else 0)}'
                   f"{_e(r.fpct(count, total))}</td></tr>")
    out.append("</tbody></table>")
    out += ['<table class="data" id="tone">', f'<caption>{_e(t["sentiment_caption"])}</caption>',
            (f'<thead><tr><th scope="col">{_e(t["tone"])}</th>'
             f'<th scope="col" class="n">{_e(t["turns_with"])}</th>'
             f'<th scope="col" class="n">{_e(t["share"])}</th></tr></thead><tbody>')]
    for label in ("negative", "neutral", "positive"):
        count = r.sentiments[label]
        out.append(f'<tr data-tone="{label}"><th scope="row">{_e(t[label])}</th>'
                   f'<td class="n" data-count="{count}">{_e(r.fint(count))}</td>'
                   f'<td class="n bar-cell">{_meter(count / total if total else 0)}'
                   f"{_e(r.fpct(count, total))}</td></tr>")
    out.append("</tbody></table></div></section>")
    return out


def _languages(r: _Report) -> list[str]:
    t, n = r.t, r.conversations
    out = ['<section aria-labelledby="s-languages">', f'<h2 id="s-languages">{_e(t["languages"])}</h2>',
           '<table class="data" id="languages">', f'<caption>{_e(t["languages_caption"])}</caption>',
           (f'<thead><tr><th scope="col">{_e(t["language"])}</th>'
            f'<th scope="col" class="n">{_e(t["count"])}</th>'
            f'<th scope="col" class="n">{_e(t["share"])}</th>')]
    for decision in reversed(DECISIONS):
        out.append(f'<th scope="col" class="n">{_e(r.decision(decision))}</th>')
    out.append(f'<th scope="col" class="n">{_e(t["mean_peak"])}</th></tr></thead><tbody>')
    for language in sorted(r.by_language):
        counts = r.by_language[language]
        total = sum(counts.values())
        out.append(f'<tr data-language="{_e(language)}"><th scope="row">'
                   f'{_e(t.get("lang_" + language, language))} <code>{_e(language)}</code></th>'
                   f'<td class="n" data-count="{total}">{_e(r.fint(total))}</td>'
                   f'<td class="n">{_e(r.fpct(total, n))}</td>')
        for decision in reversed(DECISIONS):
            out.append(f'<td class="n" data-{decision}="{counts[decision]}">'
                       f"{_e(r.fint(counts[decision]))} ({_e(r.fpct(counts[decision], total))})</td>")
        out.append(f'<td class="n">{_e(r.fnum(r.peak_sum[language] / total))}</td></tr>')
    out.append("</tbody></table></section>")
    return out


def _problems(r: _Report) -> list[str]:
    t = r.t
    out = ['<section aria-labelledby="s-problems" id="problems">',
           f'<h2 id="s-problems">{_e(t["problems"])}</h2>']
    if not r.errors and not r.bad:
        out.append(f"<p>{_e(t['no_problems'])}</p></section>")
        return out
    if r.errors:
        listed = (" " + t["listed"].format(n=MAX_LISTED_PROBLEMS)
                  if r.errors > MAX_LISTED_PROBLEMS else "")
        out.append(f'<p data-errors="{r.errors}">'
                   f'{_e(t["errors_text"].format(n=r.fint(r.errors)) + listed)}</p>')
        out += ['<table class="data" id="errors">', f'<caption>{_e(t["errors_caption"])}</caption>',
                (f'<thead><tr><th scope="col">{_e(t["id"])}</th><th scope="col">{_e(t["where"])}</th>'
                 f'<th scope="col">{_e(t["field"])}</th><th scope="col">{_e(t["message"])}</th>'
                 "</tr></thead><tbody>")]
        for record in r.error_samples:
            err = record.error
            where = err.source + (f":{err.line}" if err.line is not None else "")
            out.append(f'<tr><th scope="row" class="msg">{_e(_cut(record.id or t["none"]))}</th>'
                       f"<td><code>{_e(_cut(where))}</code></td>"
                       f"<td><code>{_e(_cut(err.field or t['none']))}</code></td>"
                       f'<td class="msg">{_e(_cut(err.message))}</td></tr>')
        out.append("</tbody></table>")
    if r.bad:
        listed = (" " + t["listed"].format(n=MAX_LISTED_PROBLEMS)
                  if r.bad > MAX_LISTED_PROBLEMS else "")
        out.append(f'<p data-bad="{r.bad}">'
                   f'{_e(t["bad_text"].format(n=r.fint(r.bad)) + listed)}</p>')
        out += ['<table class="data" id="bad-lines">', f'<caption>{_e(t["bad_caption"])}</caption>',
                (f'<thead><tr><th scope="col">{_e(t["where"])}</th>'
                 f'<th scope="col">{_e(t["message"])}</th></tr></thead><tbody>')]
        for source, line, message in r.bad_samples:
            where = (f"{source}:{line}" if source is not None
                     else f"#{line}" if line is not None else t["none"])
            out.append(f'<tr><th scope="row"><code>{_e(_cut(where))}</code></th>'
                       f'<td class="msg">{_e(_cut(message))}</td></tr>')
        out.append("</tbody></table>")
    out.append("</section>")
    return out


def _timelines(r: _Report) -> list[str]:
    t, n = r.t, r.conversations
    kept = r.timelines()
    left = n - len(kept)
    if not kept:
        note = t["timelines_none"].format(left=r.fint(left))
    elif left:
        note = t["timelines_some"].format(shown=r.fint(len(kept)), left=r.fint(left),
                                          max=r.max_timelines)
    else:
        note = t["timelines_all"].format(n=r.fint(n))
    out = ['<section aria-labelledby="s-table" id="conversations">',
           f'<h2 id="s-table">{_e(t["table"])}</h2>',
           f'<p data-timelines="{len(kept)}" data-left-out="{left}">{_e(note)}</p>']
    if kept:
        out += ['<table class="data" id="conversation-table">',
                f'<caption>{_e(t["table_caption"])}</caption>',
                (f'<thead><tr><th scope="col" class="n">{_e(t["position"])}</th>'
                 f'<th scope="col">{_e(t["id"])}</th><th scope="col">{_e(t["language"])}</th>'
                 f'<th scope="col">{_e(t["decision"])}</th><th scope="col" class="n">{_e(t["peak"])}</th>'
                 f'<th scope="col" class="n">{_e(t["decision_turn"])}</th>'
                 f'<th scope="col" class="n">{_e(t["turns_col"])}</th>'
                 f'<th scope="col">{_e(t["top_reason"])}</th></tr></thead><tbody>')]
        for tl in kept:
            turn = t["none"] if tl.decision_turn is None else r.fint(tl.decision_turn + 1)
            out.append(
                f'<tr id="row-{tl.seq}" data-decision="{tl.decision}">'
                f'<td class="n">{tl.seq + 1}</td>'
                f'<th scope="row" class="msg"><a href="#t-{tl.seq}">{_e(_cut(tl.id, 80))}</a></th>'
                f"<td><code>{tl.language}</code></td>"
                f'<td class="nowrap">{_swatch(tl.decision)}{_e(r.decision(tl.decision))}</td>'
                f'<td class="n">{_e(r.fnum(tl.score))}</td><td class="n">{_e(turn)}</td>'
                f'<td class="n">{_e(r.fint(tl.turns))}</td>'
                f'<td lang="{tl.language}">{_e(tl.top_reason or t["none"])}</td></tr>'
            )
        out.append("</tbody></table>")
    out.append("</section>")
    if kept:
        out += ['<section aria-labelledby="s-timelines" id="timelines">',
                f'<h2 id="s-timelines">{_e(t["timelines"])}</h2>',
                f'<p class="legend">{_legend()} {_e(t["legend"])}</p>']
        for tl in kept:
            out.append(_timeline_figure(r, tl))
        out.append("</section>")
    return out


_CSS = """
:root{--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);background:#fff;margin:0 auto;max-width:1120px;padding:24px}
h1{font-size:1.7em;margin:0 0 .3em}h2{font-size:1.3em;margin:1.6em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}
.meta{color:var(--muted);margin:.2em 0}
code{font:.9em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);padding:0 .25em;border-radius:3px}
.nowrap{white-space:nowrap}.msg{overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(165px,1fr));gap:10px;margin:0}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;display:flex;flex-direction:column-reverse}
.card dt{color:var(--muted);font-size:.85em}.card dd{margin:0;font-size:1.6em;font-weight:600}
.card.escalate dd{color:#c62828}.card.offer_human dd{color:#a15c00}.card.continue dd{color:#2e7d32}
table.data{border-collapse:collapse;margin:.8em 0;min-width:50%}
table.data caption{text-align:left;color:var(--muted);padding:.3em 0;caption-side:top}
table.data th,table.data td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top}
table.data thead th{background:var(--soft);font-weight:600}
table.data tbody th{font-weight:normal}
.n{text-align:right!important;font-variant-numeric:tabular-nums}
td.n{white-space:nowrap}
.sw{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.4em;vertical-align:-.05em}
.meter{display:inline-block;width:70px;height:.6em;background:var(--soft);border:1px solid var(--line);margin-right:.5em;vertical-align:middle}
.meter span{display:block;height:100%;background:#57606a}
.pair,.cols{display:flex;flex-wrap:wrap;gap:0 40px;align-items:flex-start}
.pair table.data,.cols table.data{min-width:0}
svg{max-width:100%;height:auto;overflow:visible}
svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:var(--ink)}
svg text.onbar{fill:#fff;font-weight:600;font-size:12px}
svg .frame{fill:#fff;stroke:var(--line)}svg .grid{stroke:#eaeef2}
svg .threshold{stroke-dasharray:5 4;stroke-width:1.5}
svg .score{fill:none;stroke:#24292f;stroke-width:1.6}
svg .pt{stroke-width:1.3}svg .mark{stroke:#fff;stroke-width:1}
figure{margin:1em 0}figure.timeline{border:1px solid var(--line);border-radius:6px;padding:8px 10px}
figure.timeline:target{outline:3px solid #0969da}
figcaption{color:var(--muted);font-size:.9em}
a{color:#0969da}.back{margin-left:.5em;white-space:nowrap}
.legend{color:var(--muted)}.legend-marks{vertical-align:middle;margin-right:.4em}
@media print{figure.timeline{break-inside:avoid}}
""".strip()
