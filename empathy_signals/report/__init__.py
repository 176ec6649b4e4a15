"""A static HTML report over many scored conversations (``empathy-signals report``).

The input is what ``empathy-signals score`` writes: one
:class:`~empathy_signals.schema.ConversationAssessment` per conversation and an error record
``{"id", "error"}`` for each one that could not be scored. The report is one self-contained
HTML file (inline CSS and hand-drawn inline SVG; no script, no external resource of any
kind) in English or French. It shows:

* the share of conversations the bot may ``continue``, should ``offer_human`` or must
  ``escalate``, and the distribution of their peak scores against the policy's thresholds;
* the reasons: for each signal and override rule, how often it is the top reason of a
  conversation's decision and its mean contribution to the logit at that turn;
* the topics detected, the emotions and the tone of the customer turns, a per-language split;
* the error records and the input lines that could not be read;
* a timeline per conversation (escalation score per turn, the thresholds, the decision
  changes; hovering a point shows the turn's top reason) for the highest-scoring
  conversations, and a table of them linking to each timeline.

Aggregates take bounded memory whatever the input size: counters over known keys, and at
most ``max_timelines`` compact timelines kept in a heap.

The package, from the records to the page:

* :mod:`~empathy_signals.report.aggregate`: the counters and the kept timelines, fed one
  record (or one JSONL line) at a time;
* :mod:`~empathy_signals.report.labels`: the words of the page in English and French, and
  numbers written in either language;
* :mod:`~empathy_signals.report.drawing`, :mod:`~empathy_signals.report.charts` and
  :mod:`~empathy_signals.report.timeline`: the inline SVG;
* :mod:`~empathy_signals.report.page`: :func:`build_report` and the HTML sections;
* :mod:`~empathy_signals.report.commands`: ``empathy-signals report``.

None of them imports numpy: the command line imports this package when it builds its parser.

>>> from empathy_signals import Detector
>>> from empathy_signals.report import build_report
>>> scored = Detector().assess({"id": "c-1", "language": "en", "turns": [
...     {"speaker": "customer", "text": "I want to talk to a real person"}]})
>>> failed = {"id": "c-2", "error": {"source": "calls.jsonl", "line": 2, "message": "not valid JSON"}}
>>> page = build_report([scored, failed], lang="en")
>>> page.startswith("<!DOCTYPE html>")
True
>>> 'data-stat="offer_human">1<' in page, 'data-stat="errors">1<' in page
(True, True)
"""

from __future__ import annotations

# The other limits stay importable from here too, as before the split (not in __all__).
from .aggregate import (  # noqa: F401
    HISTOGRAM_BINS,
    MAX_LINE_BYTES,
    MAX_LISTED_PROBLEMS,
    MAX_REASON_KEYS,
    MAX_TEXT_CHARS,
    MAX_TIMELINES,
    TIMELINE_MAX_POINTS,
)
from .commands import add_arguments, run
from .page import build_report

__all__ = ["MAX_TIMELINES", "add_arguments", "build_report", "run"]
