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

import argparse
import copy
import heapq
import html
import io
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pydantic import ValidationError

from .errors import InputError
from .explain import EMOTION_NAMES, TOPIC_NAMES, decision_name
from .readers import ErrorRecord
from .schema import DECISIONS, EMOTIONS, TOPICS, Assessment, ConversationAssessment

if TYPE_CHECKING:  # pragma: no cover
    from .config import Policy

__all__ = ["MAX_TIMELINES", "add_arguments", "build_report", "run"]

#: Timelines drawn by default (``--max-timelines``): those of the highest-scoring conversations.
MAX_TIMELINES = 200
#: A timeline longer than this many turns is thinned to the highest score of each stretch
#: (decision changes are always kept), so a 10,000-turn conversation stays a light drawing.
TIMELINE_MAX_POINTS = 400
#: Error records and unreadable lines listed one by one (all are counted).
MAX_LISTED_PROBLEMS = 50
#: Distinct reason names tracked; any further name (a hand-edited file) counts as "other".
MAX_REASON_KEYS = 64
#: Bins of the peak-score histogram over [0, 1].
HISTOGRAM_BINS = 20
#: Reason messages, ids and error messages are cut to this many characters in the page.
MAX_TEXT_CHARS = 200
#: A JSONL line longer than this is an unreadable line (it is skipped, not loaded).
MAX_LINE_BYTES = 64 * 1024 * 1024

_OTHER = "(other)"
_NONE = "(none)"
_MARKERS = ("override", "hysteresis")  # zero-contribution reasons that name a rule
_COLORS = {"continue": "#2e7d32", "offer_human": "#a15c00", "escalate": "#c62828"}
# Characters that cannot appear in an HTML page: lone surrogates, C0 controls but tab/newlines.
_UNPRINTABLE = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Escalation report",
        "made_by": "Made by empathy_signals {version} from the results of empathy-signals score.",
        "inputs": "Input:",
        "thresholds": "Thresholds of the policy: offer a human at {offer}, escalate at {escalate}.",
        "summary": "Summary",
        "conversations": "conversations scored",
        "needs_human": "need a human (offer or escalate)",
        "errors": "error records",
        "bad_lines": "unreadable lines",
        "turns": "turns",
        "customer_turns": "customer turns",
        "decisions": "Decisions",
        "decisions_caption": "Decision of each conversation (the most severe of its turns)",
        "decision": "Decision",
        "count": "Conversations",
        "share": "Share",
        "total": "Total",
        "histogram": "Peak escalation score of the conversations, by decision",
        "histogram_desc": "{n} conversations in {bins} bins of width {width}; dashed lines: thresholds",
        "score": "score",
        "reasons": "Reasons",
        "reasons_caption": "Reasons at the turn of each conversation's decision (its peak turn when "
                           "the decision is continue). The top reason is the override rule that set "
                           "the decision, else the signal with the largest positive contribution.",
        "reason": "Reason",
        "key": "Name",
        "present": "Present in",
        "top": "Top reason of",
        "top_share": "Top share",
        "mean_contribution": "Mean contribution (logit)",
        "no_reason": "(no reason raised the score)",
        "other_reason": "(other names)",
        "rule": "Rule",
        "topics": "Topics detected",
        "topics_caption": "Sensitive topics detected in at least one customer turn",
        "topic": "Topic",
        "conversations_with": "Conversations",
        "turns_with": "Customer turns",
        "no_topics": "No sensitive topic was detected.",
        "emotions": "Emotions and tone",
        "emotions_caption": "Emotion perceived in each customer turn",
        "sentiment_caption": "Tone of each customer turn",
        "emotion": "Emotion",
        "tone": "Tone",
        "negative": "negative",
        "neutral": "neutral",
        "positive": "positive",
        "languages": "By language",
        "languages_caption": "Decisions per conversation language",
        "language": "Language",
        "mean_peak": "Mean peak score",
        "lang_fr": "French",
        "lang_en": "English",
        "problems": "Errors",
        "errors_text": "Error records: {n} (conversations that could not be scored).",
        "bad_text": "Unreadable input lines: {n} (left out of the report).",
        "no_problems": "No error record, no unreadable line.",
        "listed": "The first {n} are listed.",
        "turns_col": "Turns",
        "errors_caption": "Error records",
        "bad_caption": "Unreadable lines",
        "id": "Conversation",
        "where": "Where",
        "field": "Field",
        "message": "Message",
        "table": "Conversations",
        "table_caption": "Conversations with a timeline, highest peak score first",
        "position": "#",
        "peak": "Peak score",
        "decision_turn": "Decision turn",
        "top_reason": "Top reason",
        "timelines": "Timelines",
        "timelines_all": "Timelines of all {n} conversations, highest peak score first.",
        "timelines_some": "Timelines of the {shown} highest-scoring conversations; {left} other "
                          "conversations are left out (--max-timelines {max}).",
        "timelines_none": "No timeline is drawn (--max-timelines 0); {left} conversations left out.",
        "legend": "Score per turn (line); filled points are customer turns, hollow ones bot or "
                  "agent turns (they carry the score); larger marks show where the decision "
                  "changed: square offer a human, triangle escalate, diamond back to continue. "
                  "Hover a point for the turn's top reason.",
        "timeline_title": "Escalation score per turn of conversation {id}",
        "timeline_desc": "{turns} turns; peak score {peak} at turn {peak_turn}; decision {decision}{at}.",
        "at_turn": " from turn {turn}",
        "thinned": "Showing {shown} of {turns} turns (the highest score of each stretch and every "
                   "decision change).",
        "turn": "turn",
        "turn_title": "Turn {turn} ({speaker}): score {score}, {decision}",
        "change_title": "Decision: {before} \u2192 {after} ({rule})",
        "customer": "customer",
        "agent": "agent",
        "bot": "bot",
        "offer_line": "offer",
        "escalate_line": "escalate",
        "empty": "No conversation in the input.",
        "back": "back to the table",
        "none": "\u2014",
    },
    "fr": {
        "title": "Rapport d'escalade",
        "made_by": "Produit par empathy_signals {version} \u00e0 partir des r\u00e9sultats de "
                   "empathy-signals score.",
        "inputs": "Entr\u00e9e\u00a0:",
        "thresholds": "Seuils de la politique : proposer un conseiller \u00e0 {offer}, escalader "
                      "\u00e0 {escalate}.",
        "summary": "R\u00e9sum\u00e9",
        "conversations": "conversations \u00e9valu\u00e9es",
        "needs_human": "ont besoin d'un humain (proposer ou escalader)",
        "errors": "enregistrements d'erreur",
        "bad_lines": "lignes illisibles",
        "turns": "tours",
        "customer_turns": "tours du client",
        "decisions": "D\u00e9cisions",
        "decisions_caption": "D\u00e9cision de chaque conversation (la plus s\u00e9v\u00e8re de ses tours)",
        "decision": "D\u00e9cision",
        "count": "Conversations",
        "share": "Part",
        "total": "Total",
        "histogram": "Score d'escalade maximal des conversations, par d\u00e9cision",
        "histogram_desc": "{n} conversations en {bins} classes de largeur {width} ; pointill\u00e9s : seuils",
        "score": "score",
        "reasons": "Raisons",
        "reasons_caption": "Raisons au tour de la d\u00e9cision de chaque conversation (son tour au "
                           "score maximal quand la d\u00e9cision est continuer). La raison principale "
                           "est la r\u00e8gle qui a fix\u00e9 la d\u00e9cision, sinon le signal \u00e0 la plus "
                           "forte contribution positive.",
        "reason": "Raison",
        "key": "Nom",
        "present": "Pr\u00e9sente dans",
        "top": "Raison principale de",
        "top_share": "Part",
        "mean_contribution": "Contribution moyenne (logit)",
        "no_reason": "(aucune raison n'a augment\u00e9 le score)",
        "other_reason": "(autres noms)",
        "rule": "R\u00e8gle",
        "topics": "Sujets d\u00e9tect\u00e9s",
        "topics_caption": "Sujets sensibles d\u00e9tect\u00e9s dans au moins un tour du client",
        "topic": "Sujet",
        "conversations_with": "Conversations",
        "turns_with": "Tours du client",
        "no_topics": "Aucun sujet sensible n'a \u00e9t\u00e9 d\u00e9tect\u00e9.",
        "emotions": "\u00c9motions et ton",
        "emotions_caption": "\u00c9motion per\u00e7ue dans chaque tour du client",
        "sentiment_caption": "Ton de chaque tour du client",
        "emotion": "\u00c9motion",
        "tone": "Ton",
        "negative": "n\u00e9gatif",
        "neutral": "neutre",
        "positive": "positif",
        "languages": "Par langue",
        "languages_caption": "D\u00e9cisions selon la langue de la conversation",
        "language": "Langue",
        "mean_peak": "Score maximal moyen",
        "lang_fr": "fran\u00e7ais",
        "lang_en": "anglais",
        "problems": "Erreurs",
        "errors_text": "Enregistrements d'erreur : {n} (conversations qui n'ont pas pu \u00eatre "
                       "\u00e9valu\u00e9es).",
        "bad_text": "Lignes illisibles de l'entr\u00e9e : {n} (ignor\u00e9es par le rapport).",
        "no_problems": "Aucun enregistrement d'erreur, aucune ligne illisible.",
        "listed": "Les {n} premiers sont list\u00e9s.",
        "turns_col": "Tours",
        "errors_caption": "Enregistrements d'erreur",
        "bad_caption": "Lignes illisibles",
        "id": "Conversation",
        "where": "O\u00f9",
        "field": "Champ",
        "message": "Message",
        "table": "Conversations",
        "table_caption": "Conversations avec une chronologie, du score maximal le plus haut au plus bas",
        "position": "n\u00ba",
        "peak": "Score maximal",
        "decision_turn": "Tour de la d\u00e9cision",
        "top_reason": "Raison principale",
        "timelines": "Chronologies",
        "timelines_all": "Chronologies des {n} conversations, du score maximal le plus haut au plus bas.",
        "timelines_some": "Chronologies des {shown} conversations au score le plus haut ; {left} "
                          "autres conversations sont omises (--max-timelines {max}).",
        "timelines_none": "Aucune chronologie (--max-timelines 0) ; {left} conversations omises.",
        "legend": "Score \u00e0 chaque tour (ligne) ; points pleins : tours du client, points creux : "
                  "tours du bot ou du conseiller (ils reprennent le score) ; les grandes marques "
                  "montrent un changement de d\u00e9cision : carr\u00e9 proposer un conseiller, "
                  "triangle escalader, losange retour \u00e0 continuer. Survolez un point pour la "
                  "raison principale du tour.",
        "timeline_title": "Score d'escalade \u00e0 chaque tour de la conversation {id}",
        "timeline_desc": "{turns} tours ; score maximal {peak} au tour {peak_turn} ; d\u00e9cision "
                         "{decision}{at}.",
        "at_turn": " depuis le tour {turn}",
        "thinned": "{shown} tours montr\u00e9s sur {turns} (le score maximal de chaque tron\u00e7on et "
                   "chaque changement de d\u00e9cision).",
        "turn": "tour",
        "turn_title": "Tour {turn} ({speaker}) : score {score}, {decision}",
        "change_title": "D\u00e9cision : {before} \u2192 {after} ({rule})",
        "customer": "client",
        "agent": "conseiller",
        "bot": "bot",
        "offer_line": "proposer",
        "escalate_line": "escalader",
        "empty": "Aucune conversation dans l'entr\u00e9e.",
        "back": "retour au tableau",
        "none": "\u2014",
    },
}

_SIGNAL_NAMES = {
    "en": {
        "human_request": "Request for a human",
        "topics": "Sensitive topic",
        "sentiment": "Negative tone",
        "emotion": "Emotion",
        "friction": "Friction (going in circles)",
        "prosody": "Agitated voice",
        "model": "Text model",
    },
    "fr": {
        "human_request": "Demande de conseiller",
        "topics": "Sujet sensible",
        "sentiment": "Ton n\u00e9gatif",
        "emotion": "\u00c9motion",
        "friction": "Friction (la conversation tourne en rond)",
        "prosody": "Voix agit\u00e9e",
        "model": "Mod\u00e8le de texte",
    },
}

_RULE_NAMES = {
    "en": {
        "override:human_request": "Rule: the customer asked for a human (offer one)",
        "override:repeated_human_request": "Rule: the customer asked again (escalate)",
        "topic": "Rule: high-stakes topic, {topic} (offer a human)",
        "escalate_topic": "Rule: {topic} (escalate now)",
        "hysteresis": "Rule: decision held (hysteresis)",
    },
    "fr": {
        "override:human_request": "R\u00e8gle : le client a demand\u00e9 un conseiller (le proposer)",
        "override:repeated_human_request": "R\u00e8gle : le client a redemand\u00e9 un conseiller (escalader)",
        "topic": "R\u00e8gle : sujet \u00e0 fort enjeu, {topic} (proposer un conseiller)",
        "escalate_topic": "R\u00e8gle : {topic} (escalade imm\u00e9diate)",
        "hysteresis": "R\u00e8gle : d\u00e9cision maintenue (hyst\u00e9r\u00e9sis)",
    },
}


# ---------------------------------------------------------------- public API


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
    return report.render()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``empathy-signals report`` to ``parser``."""
    parser.description = (
        "Write a static HTML report (one self-contained file) over the JSONL written by "
        "'empathy-signals score': decisions, reasons, topics, emotions, languages, errors, and "
        "a timeline per conversation."
    )
    parser.epilog = ("exit codes: 0 report written, 3 report written but some input lines could "
                     "not be read, 2 usage error or unreadable input file, 1 internal error")
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="JSONL files written by 'empathy-signals score'; '-' reads the "
                             "standard input")
    parser.add_argument("-o", "--output", metavar="OUT", default="-",
                        help="write the HTML page to OUT (default: the standard output)")
    parser.add_argument("--lang", choices=("en", "fr"), default="en",
                        help="language of the report (default: en)")
    parser.add_argument("--policy", metavar="FILE",
                        help="the policy the conversations were scored with, for the thresholds "
                             "(default: the bundled policy)")
    parser.add_argument("--title", metavar="TEXT", default=None, help="title of the page")
    parser.add_argument("--max-timelines", type=int, default=MAX_TIMELINES, metavar="N",
                        help=f"draw the timelines of the N highest-scoring conversations "
                             f"(default: {MAX_TIMELINES}; 0: none)")


def run(args: argparse.Namespace) -> int:
    """Run ``empathy-signals report`` with parsed ``args``; returns the exit code.

    0: the report is written; 3: it is written, but some input lines could not be read
    (they are counted and listed in the report). A usage error (missing input file, bad
    policy, negative ``--max-timelines``) raises :class:`empathy_signals.cli.UsageError`.
    """
    from .cli import UsageError
    from .errors import PolicyError

    if args.max_timelines < 0:
        raise UsageError(f"--max-timelines must be 0 or more; got {args.max_timelines}")
    if args.inputs.count("-") > 1:
        raise UsageError("'-' (standard input) can be given only once")
    for name in args.inputs:
        if name != "-":
            path = Path(name)
            if not path.exists():
                raise UsageError(f"input file {name!r} does not exist")
            if not path.is_file():
                raise UsageError(f"input {name!r} is not a file")
    to_file = args.output not in (None, "-")
    if to_file and Path(args.output).resolve() in {
        Path(name).resolve() for name in args.inputs if name != "-"
    }:
        raise UsageError(f"the output {args.output!r} is also an input")
    if to_file and not Path(args.output).resolve().parent.is_dir():
        raise UsageError(f"the folder of the output {args.output!r} does not exist")
    policy = None
    if args.policy:
        from .config import Policy

        try:
            policy = Policy.load(args.policy)
        except PolicyError as exc:
            raise UsageError(" ".join(str(exc).split())) from None

    report = _Report(policy=policy, lang=args.lang, title=args.title,
                     max_timelines=args.max_timelines, sources=list(args.inputs))
    for name in args.inputs:
        if name == "-":
            stdin = getattr(sys.stdin, "buffer", None)
            if stdin is None:  # a text-only stream (a test's StringIO)
                stdin = io.BytesIO(sys.stdin.read().encode("utf-8", "surrogateescape"))
            _feed_jsonl(report, stdin, "-")
        else:
            with open(name, "rb") as stream:
                _feed_jsonl(report, stream, name)
    page = report.render()
    if to_file:
        with open(args.output, "w", encoding="utf-8", newline="\n") as out:
            out.write(page)
    else:  # UTF-8 whatever the terminal's encoding: the page says <meta charset="utf-8">
        binary = getattr(sys.stdout, "buffer", None)
        if binary is None:  # a text-only stream (a test's StringIO)
            sys.stdout.write(page)
        else:
            sys.stdout.flush()
            binary.write(page.encode("utf-8"))
            binary.flush()
    if report.conversations == 0 and report.errors == 0:
        _warn("no conversation in the input (empty file?)")
    if report.bad:
        _warn(f"{report.bad} input line(s) could not be read; they are listed in the report")
        return 3
    return 0


# ---------------------------------------------------------------- reading


def _feed_jsonl(report: _Report, stream: IO[bytes], source: str) -> None:
    """Feed each line of a JSONL stream to ``report``; an unreadable line is counted, never raised."""
    lineno = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        lineno += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line, a chunk at a time
                raw = stream.readline(MAX_LINE_BYTES)
            report.add_bad(f"line longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB", source, lineno)
            continue
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            report.add_bad(f"not UTF-8 (byte {exc.start + 1})", source, lineno)
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            report.add_bad(f"not valid JSON: {exc.msg} (column {exc.colno})", source, lineno)
            continue
        except (ValueError, RecursionError) as exc:  # a 5,000-digit integer, 100,000 nested '['
            report.add_bad(f"not valid JSON here: {type(exc).__name__}", source, lineno)
            continue
        report.feed(obj, source=source, line=lineno)


def _validation_message(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    path = ""
    for part in err["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    more = len(exc.errors()) - 1
    return f"{path or 'record'}: {err['msg']}" + (f" (and {more} more)" if more > 0 else "")


def _drop_unknown_keys(obj: Any, exc: ValidationError) -> bool:
    """Remove the keys a newer version added (the output contract only adds keys); True if all
    the errors were unknown keys and they are gone."""
    errors = exc.errors()
    if not errors or any(err["type"] != "extra_forbidden" for err in errors):
        return False
    for err in errors:
        *parents, key = err["loc"]
        node = obj
        try:
            for part in parents:
                node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
        if not isinstance(node, dict):
            return False
        node.pop(key, None)
    return True


# ---------------------------------------------------------------- aggregation


@dataclass(slots=True)
class _ReasonStat:
    present: int = 0
    top: int = 0
    total: float = 0.0


@dataclass(slots=True)
class _Point:
    index: int
    score: float
    decision: str
    speaker: str
    title: str


@dataclass(slots=True)
class _Change:
    index: int
    score: float
    before: str
    after: str
    rule: str


@dataclass(slots=True)
class _Timeline:
    seq: int
    id: str
    language: str
    decision: str
    score: float
    decision_turn: int | None
    peak_turn: int
    turns: int
    top_reason: str
    points: list[_Point] = field(default_factory=list)
    changes: list[_Change] = field(default_factory=list)


def _cut(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _key_turn(result: ConversationAssessment) -> Assessment | None:
    """The turn that explains the conversation: its decision's turn, else its peak turn."""
    if not result.turns:
        return None
    if result.decision != "continue" and result.decision_turn is not None:
        for turn in result.turns:
            if turn.index == result.decision_turn:
                return turn
    return max(result.turns, key=lambda t: (t.escalation_score, t.speaker == "customer"))


def _top_reason(turn: Assessment) -> tuple[str, str] | None:
    """``(name, message)`` of a turn's top reason: the rule that set its decision, else the
    reason with the largest positive contribution; None when nothing raised the score."""
    for reason in turn.reasons:
        if reason.signal in _MARKERS:
            name = turn.decision_rule if turn.decision_rule.startswith(reason.signal) else reason.signal
            return name, reason.message
    raising = [r for r in turn.reasons if r.contribution > 0]
    if not raising:
        return None
    best = max(raising, key=lambda r: r.contribution)
    return best.signal, best.message


class _Report:
    """The aggregates of one report, fed one record at a time (bounded memory)."""

    def __init__(self, *, policy: Policy | None, lang: str, title: str | None,
                 max_timelines: int, sources: Sequence[str] = ()) -> None:
        if lang not in _LABELS:
            raise InputError(f"lang must be 'en' or 'fr'; got {lang!r}", field="lang", value=lang)
        if isinstance(max_timelines, bool) or not isinstance(max_timelines, int) or max_timelines < 0:
            raise InputError(f"max_timelines must be an int, 0 or more; got {max_timelines!r}",
                             field="max_timelines", value=max_timelines)
        if policy is None:
            from .config import Policy

            policy = Policy.default()
        self.offer = policy.thresholds.offer_human
        self.escalate = policy.thresholds.escalate
        self.lang = lang
        self.t = _LABELS[lang]
        self.title = title if title is not None else self.t["title"]
        self.max_timelines = max_timelines
        self.sources = list(sources)
        self.conversations = 0
        self.decisions: Counter[str] = Counter()
        self.by_language: dict[str, Counter[str]] = {}
        self.peak_sum: Counter[str] = Counter()
        self.histogram = [[0, 0, 0] for _ in range(HISTOGRAM_BINS)]
        self.turns = 0
        self.customer_turns = 0
        self.topic_conversations: Counter[str] = Counter()
        self.topic_turns: Counter[str] = Counter()
        self.emotions: Counter[str] = Counter()
        self.sentiments: Counter[str] = Counter()
        self.reasons: dict[str, _ReasonStat] = {}
        self.errors = 0
        self.error_samples: list[ErrorRecord] = []
        self.bad = 0
        self.bad_samples: list[tuple[str | None, int | None, str]] = []
        self._heap: list[tuple[float, int, _Timeline]] = []

    # ------------------------------------------------------------ feeding

    def feed(self, item: Any, *, source: str | None = None, line: int | None = None) -> None:
        """Count one record: an assessment, an error record, or a dict of either."""
        if isinstance(item, ConversationAssessment):
            self.add(item)
            return
        if isinstance(item, ErrorRecord):
            self.add_error(item)
            return
        if not isinstance(item, dict):
            self.add_bad(f"not a JSON object (a {type(item).__name__})", source, line)
            return
        model: type[ConversationAssessment | ErrorRecord] = (
            ErrorRecord if "error" in item else ConversationAssessment
        )
        for _attempt in range(2):
            try:
                record = model.model_validate(item)
            except ValidationError as exc:
                if _attempt == 0:
                    item = copy.deepcopy(item)  # the caller's dict stays as it was
                    if _drop_unknown_keys(item, exc):
                        continue
                self.add_bad(_validation_message(exc), source, line)
                return
            break
        if isinstance(record, ErrorRecord):
            self.add_error(record)
        else:
            self.add(record)

    def add_bad(self, message: str, source: str | None, line: int | None) -> None:
        self.bad += 1
        if len(self.bad_samples) < MAX_LISTED_PROBLEMS:
            self.bad_samples.append((source, line, message))

    def add_error(self, record: ErrorRecord) -> None:
        self.errors += 1
        if len(self.error_samples) < MAX_LISTED_PROBLEMS:
            self.error_samples.append(record)

    def add(self, result: ConversationAssessment) -> None:
        seq = self.conversations
        self.conversations += 1
        self.decisions[result.decision] += 1
        self.by_language.setdefault(result.language, Counter())[result.decision] += 1
        self.peak_sum[result.language] += result.escalation_score
        bin_ = min(int(result.escalation_score * HISTOGRAM_BINS), HISTOGRAM_BINS - 1)
        self.histogram[bin_][DECISIONS.index(result.decision)] += 1
        topics: set[str] = set()
        for turn in result.turns:
            self.turns += 1
            signals = turn.signals
            if signals is None:
                continue
            self.customer_turns += 1
            self.emotions[signals.emotion.label] += 1
            self.sentiments[signals.sentiment.label] += 1
            for topic in signals.topics.detected:
                self.topic_turns[topic] += 1
                topics.add(topic)
        for topic in topics:
            self.topic_conversations[topic] += 1
        key_turn = _key_turn(result)
        self._count_reasons(key_turn)
        if self.max_timelines:
            rank = (result.escalation_score, -seq)
            if len(self._heap) < self.max_timelines:
                heapq.heappush(self._heap, (*rank, self._timeline(result, seq, key_turn)))
            elif rank > self._heap[0][:2]:
                heapq.heapreplace(self._heap, (*rank, self._timeline(result, seq, key_turn)))

    def _stat(self, name: str) -> _ReasonStat:
        name = _cut(name, 80)
        if name not in self.reasons and len(self.reasons) >= MAX_REASON_KEYS:
            name = _OTHER
        return self.reasons.setdefault(name, _ReasonStat())

    def _count_reasons(self, turn: Assessment | None) -> None:
        if turn is None:
            self._stat(_NONE).top += 1
            return
        for reason in turn.reasons:
            if reason.signal in _MARKERS or reason.contribution == 0:
                continue
            stat = self._stat(reason.signal)
            stat.present += 1
            stat.total += reason.contribution
        top = _top_reason(turn)
        if top is None:
            self._stat(_NONE).top += 1
            return
        stat = self._stat(top[0])
        stat.top += 1
        if top[0].startswith(_MARKERS):  # a rule has no contribution: present when it is the top
            stat.present += 1

    def _timeline(self, result: ConversationAssessment, seq: int,
                  key_turn: Assessment | None) -> _Timeline:
        """The compact drawing data of one conversation (at most about 2 x TIMELINE_MAX_POINTS points)."""
        t = self.t
        turns = result.turns
        changes: list[_Change] = []
        before = "continue"
        for turn in turns:
            if turn.decision != before and len(changes) < TIMELINE_MAX_POINTS:
                changes.append(_Change(turn.index, turn.escalation_score, before, turn.decision,
                                       _cut(turn.decision_rule, 80)))
            before = turn.decision
        if len(turns) <= TIMELINE_MAX_POINTS:
            keep = range(len(turns))
        else:  # the highest score of each stretch, and every decision change
            chosen = {c.index for c in changes}
            position = {turn.index: i for i, turn in enumerate(turns)} if chosen else {}
            picked = {position[i] for i in chosen if i in position}
            for b in range(TIMELINE_MAX_POINTS):
                lo, hi = b * len(turns) // TIMELINE_MAX_POINTS, (b + 1) * len(turns) // TIMELINE_MAX_POINTS
                if hi > lo:
                    picked.add(max(range(lo, hi), key=lambda i: (turns[i].escalation_score, -i)))
            keep = sorted(picked)
        points = []
        for i in keep:
            turn = turns[i]
            top = _top_reason(turn)
            title = t["turn_title"].format(turn=turn.index + 1, speaker=t.get(turn.speaker, turn.speaker),
                                           score=self.fnum(turn.escalation_score),
                                           decision=self.decision(turn.decision))
            if top:
                title += " \u2014 " + _cut(top[1])
            points.append(_Point(turn.index, turn.escalation_score, turn.decision, turn.speaker, title))
        peak = max(turns, key=lambda turn: turn.escalation_score).index if turns else 0
        key_top = _top_reason(key_turn) if key_turn is not None else None
        return _Timeline(
            seq=seq, id=result.id, language=result.language, decision=result.decision,
            score=result.escalation_score, decision_turn=result.decision_turn, peak_turn=peak,
            turns=max(len(turns), (turns[-1].index + 1) if turns else 0),
            top_reason=_cut(key_top[1]) if key_top else "", points=points, changes=changes,
        )

    # ------------------------------------------------------------ rendering

    def timelines(self) -> list[_Timeline]:
        """The kept timelines, highest peak score first (ties: input order)."""
        return [entry[2] for entry in sorted(self._heap, key=lambda e: (-e[0], -e[1]))]

    def render(self) -> str:
        from . import __version__

        t = self.t
        parts = [
            "<!DOCTYPE html>",
            f'<html lang="{self.lang}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="empathy_signals">',
            f"<title>{_e(self.title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            '<header id="top">',
            f"<h1>{_e(self.title)}</h1>",
            (f'<p class="meta">{_e(t["made_by"].format(version=__version__))} '
             f'{_e(t["thresholds"].format(offer=self.fnum(self.offer), escalate=self.fnum(self.escalate)))}</p>'),
        ]
        if self.sources:
            shown = ", ".join(_cut(s, 120) for s in self.sources[:20])
            more = f" (+{len(self.sources) - 20})" if len(self.sources) > 20 else ""
            parts.append(f'<p class="meta">{_e(t["inputs"])} <code>{_e(shown)}</code>{_e(more)}</p>')
        parts.append("</header>")
        parts.append("<main>")
        parts += self._summary()
        if self.conversations:
            parts += self._decisions()
            parts += self._reasons()
            parts.append('<div class="cols">')
            parts += self._topics()
            parts += self._languages()
            parts.append("</div>")
            parts += self._emotions()
        parts += self._problems()
        if self.conversations:
            parts += self._timelines()
        parts.append("</main>")
        parts.append("</body>")
        parts.append("</html>")
        return "\n".join(parts) + "\n"

    # number formatting in the report's language

    def fnum(self, value: float, digits: int = 2) -> str:
        text = f"{value:.{digits}f}"
        return text.replace(".", ",") if self.lang == "fr" else text

    def fint(self, value: int) -> str:
        text = f"{value:,}"
        return text.replace(",", "\u202f") if self.lang == "fr" else text

    def fpct(self, part: float, whole: float) -> str:
        share = 100.0 * part / whole if whole else 0.0
        text = f"{share:.1f}"
        return text.replace(".", ",") + "\u202f%" if self.lang == "fr" else text + "%"

    def decision(self, decision: str) -> str:
        return decision_name(self.lang, decision) if decision in DECISIONS else decision

    def reason_name(self, name: str) -> str:
        t = self.t
        if name == _NONE:
            return t["no_reason"]
        if name == _OTHER:
            return t["other_reason"]
        rules = _RULE_NAMES[self.lang]
        topics = TOPIC_NAMES[self.lang]
        if name in _SIGNAL_NAMES[self.lang]:
            return _SIGNAL_NAMES[self.lang][name]
        if name in rules:
            return rules[name]
        if name.startswith("override:topic:") and name.rsplit(":", 1)[1] in topics:
            return rules["topic"].format(topic=topics[name.rsplit(":", 1)[1]])
        if name.startswith("override:") and name.split(":", 1)[1] in topics:
            return rules["escalate_topic"].format(topic=topics[name.split(":", 1)[1]])
        return name

    # sections

    def _summary(self) -> list[str]:
        t, n = self.t, self.conversations
        needs = self.decisions["offer_human"] + self.decisions["escalate"]
        cards = [
            ("conversations", self.fint(n), t["conversations"]),
            ("needs_human", self.fpct(needs, n), t["needs_human"]),
            ("escalate", self.fint(self.decisions["escalate"]), self.decision("escalate")),
            ("offer_human", self.fint(self.decisions["offer_human"]), self.decision("offer_human")),
            ("continue", self.fint(self.decisions["continue"]), self.decision("continue")),
            ("customer_turns", self.fint(self.customer_turns), t["customer_turns"]),
            ("errors", self.fint(self.errors), t["errors"]),
            ("bad_lines", self.fint(self.bad), t["bad_lines"]),
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

    def _decisions(self) -> list[str]:
        t, n = self.t, self.conversations
        out = ['<section aria-labelledby="s-decisions">',
               f'<h2 id="s-decisions">{_e(t["decisions"])}</h2>',
               self._decision_bar(), '<div class="pair">']
        out.append('<table class="data" id="decisions">')
        out.append(f'<caption>{_e(t["decisions_caption"])}</caption>')
        out.append(f'<thead><tr><th scope="col">{_e(t["decision"])}</th>'
                   f'<th scope="col" class="n">{_e(t["count"])}</th>'
                   f'<th scope="col" class="n">{_e(t["share"])}</th></tr></thead><tbody>')
        for decision in reversed(DECISIONS):
            count = self.decisions[decision]
            out.append(f'<tr data-decision="{decision}"><th scope="row">{_swatch(decision)}'
                       f'{_e(self.decision(decision))}</th>'
                       f'<td class="n" data-count="{count}">{_e(self.fint(count))}</td>'
                       f'<td class="n" data-share="{count / n:.6f}">{_e(self.fpct(count, n))}</td></tr>')
        out.append(f'</tbody><tfoot><tr><th scope="row">{_e(t["total"])}</th>'
                   f'<td class="n">{_e(self.fint(n))}</td><td class="n">{_e(self.fpct(n, n))}</td>'
                   "</tr></tfoot></table>")
        out.append(self._histogram())
        out.append("</div></section>")
        return out

    def _decision_bar(self) -> str:
        t, n = self.t, self.conversations
        width, height = 1000.0, 34.0
        parts = [(f'<svg class="bar" role="img" aria-labelledby="bar-title" viewBox="0 0 {width:g} {height:g}" '
                  f'width="{width:g}" height="{height:g}">'),
                 f'<title id="bar-title">{_e(t["decisions_caption"])}: ' + _e(", ".join(
                     f"{self.decision(d)} {self.fpct(self.decisions[d], n)}" for d in reversed(DECISIONS)))
                 + "</title>"]
        x = 0.0
        for decision in reversed(DECISIONS):
            count = self.decisions[decision]
            w = width * count / n
            if count:
                label = f"{self.decision(decision)}: {self.fint(count)} ({self.fpct(count, n)})"
                parts.append(f'<rect x="{x:.2f}" y="0" width="{w:.2f}" height="{height:g}" '
                             f'fill="{_COLORS[decision]}"><title>{_e(label)}</title></rect>')
                if w > 60:
                    parts.append(f'<text x="{x + 6:.2f}" y="22" class="onbar">{_e(self.fpct(count, n))}</text>')
            x += w
        parts.append("</svg>")
        return "".join(parts)

    def _histogram(self) -> str:
        t, n = self.t, self.conversations
        width, height, left, right, top, bottom = 600.0, 210.0, 44.0, 16.0, 12.0, 34.0
        pw, ph = width - left - right, height - top - bottom
        tallest = max(sum(b) for b in self.histogram) or 1
        bin_w = pw / HISTOGRAM_BINS
        desc = t["histogram_desc"].format(n=self.fint(n), bins=HISTOGRAM_BINS,
                                          width=self.fnum(1 / HISTOGRAM_BINS))
        parts = [(f'<figure class="plot"><svg role="img" aria-labelledby="hist-title hist-desc" '
                  f'viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}">'),
                 f'<title id="hist-title">{_e(t["histogram"])}</title>',
                 f'<desc id="hist-desc">{_e(desc)}</desc>']
        parts += _axes(left, top, pw, ph, y_max=tallest, y_label=t["count"], integer=True, fmt=self)
        for i, counts in enumerate(self.histogram):
            y = top + ph
            lo = i / HISTOGRAM_BINS
            for decision, count in zip(DECISIONS, counts, strict=True):
                if not count:
                    continue
                h = ph * count / tallest
                y -= h
                label = (f"{self.fnum(lo)}\u2013{self.fnum(lo + 1 / HISTOGRAM_BINS)}: "
                         f"{self.fint(count)} {self.decision(decision)}")
                parts.append(f'<rect x="{left + i * bin_w + 1:.2f}" y="{y:.2f}" width="{bin_w - 2:.2f}" '
                             f'height="{h:.2f}" fill="{_COLORS[decision]}"><title>{_e(label)}</title></rect>')
        for value, key, decision in ((self.offer, "offer_line", "offer_human"),
                                     (self.escalate, "escalate_line", "escalate")):
            x = left + pw * value
            parts.append(f'<line x1="{x:.2f}" y1="{top:g}" x2="{x:.2f}" y2="{top + ph:g}" '
                         f'class="threshold" stroke="{_COLORS[decision]}"/>')
            parts.append(f'<text x="{x + 3:.2f}" y="{top + 10:g}" class="small" fill="{_COLORS[decision]}">'
                         f'{_e(t[key])} {_e(self.fnum(value))}</text>')
        for tick in range(0, 11, 2):
            x = left + pw * tick / 10
            parts.append(f'<text x="{x:.2f}" y="{top + ph + 16:g}" class="small" text-anchor="middle">'
                         f'{_e(self.fnum(tick / 10, 1))}</text>')
        parts.append(f'<text x="{left + pw / 2:.2f}" y="{height - 4:g}" class="small" text-anchor="middle">'
                     f'{_e(t["score"])}</text>')
        parts.append(f'</svg><figcaption>{_e(t["histogram"])}</figcaption></figure>')
        return "".join(parts)

    def _reasons(self) -> list[str]:
        t, n = self.t, self.conversations
        out = ['<section aria-labelledby="s-reasons">', f'<h2 id="s-reasons">{_e(t["reasons"])}</h2>',
               '<table class="data" id="reasons">', f'<caption>{_e(t["reasons_caption"])}</caption>',
               (f'<thead><tr><th scope="col">{_e(t["reason"])}</th><th scope="col">{_e(t["key"])}</th>'
                f'<th scope="col" class="n">{_e(t["present"])}</th>'
                f'<th scope="col" class="n">{_e(t["top"])}</th>'
                f'<th scope="col" class="n">{_e(t["top_share"])}</th>'
                f'<th scope="col" class="n">{_e(t["mean_contribution"])}</th></tr></thead><tbody>')]
        rows = sorted(self.reasons.items(), key=lambda kv: (-kv[1].top, -kv[1].present, kv[0]))
        for name, stat in rows:
            is_signal = not name.startswith(_MARKERS) and name not in (_NONE, _OTHER)
            mean = (self.fnum(stat.total / stat.present) if is_signal and stat.present
                    else t["none"])
            present = self.fint(stat.present) if name != _NONE else t["none"]
            share = stat.top / n
            out.append(
                f'<tr data-reason="{_e(name)}"><th scope="row">{_e(self.reason_name(name))}</th>'
                f'<td class="nowrap"><code>{_e(name)}</code></td>'
                f'<td class="n" data-present="{stat.present}">{_e(present)}</td>'
                f'<td class="n" data-top="{stat.top}">{_e(self.fint(stat.top))}</td>'
                f'<td class="n bar-cell" data-share="{share:.6f}">{_meter(share)}{_e(self.fpct(stat.top, n))}</td>'
                f'<td class="n">{_e(mean)}</td></tr>'
            )
        out.append("</tbody></table></section>")
        return out

    def _topics(self) -> list[str]:
        t, n = self.t, self.conversations
        out = ['<section aria-labelledby="s-topics">', f'<h2 id="s-topics">{_e(t["topics"])}</h2>']
        found = [topic for topic in TOPICS if self.topic_turns[topic]]
        if not found:
            out.append(f"<p>{_e(t['no_topics'])}</p></section>")
            return out
        found.sort(key=lambda k: (-self.topic_conversations[k], TOPICS.index(k)))
        out += ['<table class="data" id="topics">', f'<caption>{_e(t["topics_caption"])}</caption>',
                (f'<thead><tr><th scope="col">{_e(t["topic"])}</th>'
                 f'<th scope="col" class="n">{_e(t["conversations_with"])}</th>'
                 f'<th scope="col" class="n">{_e(t["share"])}</th>'
                 f'<th scope="col" class="n">{_e(t["turns_with"])}</th></tr></thead><tbody>')]
        for topic in found:
            convs = self.topic_conversations[topic]
            out.append(f'<tr data-topic="{topic}"><th scope="row">{_e(TOPIC_NAMES[self.lang][topic])}</th>'
                       f'<td class="n" data-count="{convs}">{_e(self.fint(convs))}</td>'
                       f'<td class="n bar-cell">{_meter(convs / n)}{_e(self.fpct(convs, n))}</td>'
                       f'<td class="n" data-turns="{self.topic_turns[topic]}">'
                       f"{_e(self.fint(self.topic_turns[topic]))}</td></tr>")
        out.append("</tbody></table></section>")
        return out

    def _emotions(self) -> list[str]:
        t, total = self.t, self.customer_turns
        out = ['<section aria-labelledby="s-emotions">', f'<h2 id="s-emotions">{_e(t["emotions"])}</h2>',
               '<div class="pair">']
        out += ['<table class="data" id="emotions">', f'<caption>{_e(t["emotions_caption"])}</caption>',
                (f'<thead><tr><th scope="col">{_e(t["emotion"])}</th>'
                 f'<th scope="col" class="n">{_e(t["turns_with"])}</th>'
                 f'<th scope="col" class="n">{_e(t["share"])}</th></tr></thead><tbody>')]
        for emotion in sorted(EMOTIONS, key=lambda k: (-self.emotions[k], EMOTIONS.index(k))):
            count = self.emotions[emotion]
            out.append(f'<tr data-emotion="{emotion}"><th scope="row">'
                       f"{_e(EMOTION_NAMES[self.lang][emotion])}</th>"
                       f'<td class="n" data-count="{count}">{_e(self.fint(count))}</td>'
                       f'<td class="n bar-cell">{_meter(count / total if total else 0)}'
                       f"{_e(self.fpct(count, total))}</td></tr>")
        out.append("</tbody></table>")
        out += ['<table class="data" id="tone">', f'<caption>{_e(t["sentiment_caption"])}</caption>',
                (f'<thead><tr><th scope="col">{_e(t["tone"])}</th>'
                 f'<th scope="col" class="n">{_e(t["turns_with"])}</th>'
                 f'<th scope="col" class="n">{_e(t["share"])}</th></tr></thead><tbody>')]
        for label in ("negative", "neutral", "positive"):
            count = self.sentiments[label]
            out.append(f'<tr data-tone="{label}"><th scope="row">{_e(t[label])}</th>'
                       f'<td class="n" data-count="{count}">{_e(self.fint(count))}</td>'
                       f'<td class="n bar-cell">{_meter(count / total if total else 0)}'
                       f"{_e(self.fpct(count, total))}</td></tr>")
        out.append("</tbody></table></div></section>")
        return out

    def _languages(self) -> list[str]:
        t, n = self.t, self.conversations
        out = ['<section aria-labelledby="s-languages">', f'<h2 id="s-languages">{_e(t["languages"])}</h2>',
               '<table class="data" id="languages">', f'<caption>{_e(t["languages_caption"])}</caption>',
               (f'<thead><tr><th scope="col">{_e(t["language"])}</th>'
                f'<th scope="col" class="n">{_e(t["count"])}</th>'
                f'<th scope="col" class="n">{_e(t["share"])}</th>')]
        for decision in reversed(DECISIONS):
            out.append(f'<th scope="col" class="n">{_e(self.decision(decision))}</th>')
        out.append(f'<th scope="col" class="n">{_e(t["mean_peak"])}</th></tr></thead><tbody>')
        for language in sorted(self.by_language):
            counts = self.by_language[language]
            total = sum(counts.values())
            out.append(f'<tr data-language="{_e(language)}"><th scope="row">'
                       f'{_e(t.get("lang_" + language, language))} <code>{_e(language)}</code></th>'
                       f'<td class="n" data-count="{total}">{_e(self.fint(total))}</td>'
                       f'<td class="n">{_e(self.fpct(total, n))}</td>')
            for decision in reversed(DECISIONS):
                out.append(f'<td class="n" data-{decision}="{counts[decision]}">'
                           f"{_e(self.fint(counts[decision]))} ({_e(self.fpct(counts[decision], total))})</td>")
            out.append(f'<td class="n">{_e(self.fnum(self.peak_sum[language] / total))}</td></tr>')
        out.append("</tbody></table></section>")
        return out

    def _problems(self) -> list[str]:
        t = self.t
        out = ['<section aria-labelledby="s-problems" id="problems">',
               f'<h2 id="s-problems">{_e(t["problems"])}</h2>']
        if not self.errors and not self.bad:
            out.append(f"<p>{_e(t['no_problems'])}</p></section>")
            return out
        if self.errors:
            listed = (" " + t["listed"].format(n=MAX_LISTED_PROBLEMS)
                      if self.errors > MAX_LISTED_PROBLEMS else "")
            out.append(f'<p data-errors="{self.errors}">'
                       f'{_e(t["errors_text"].format(n=self.fint(self.errors)) + listed)}</p>')
            out += ['<table class="data" id="errors">', f'<caption>{_e(t["errors_caption"])}</caption>',
                    (f'<thead><tr><th scope="col">{_e(t["id"])}</th><th scope="col">{_e(t["where"])}</th>'
                     f'<th scope="col">{_e(t["field"])}</th><th scope="col">{_e(t["message"])}</th>'
                     "</tr></thead><tbody>")]
            for record in self.error_samples:
                err = record.error
                where = err.source + (f":{err.line}" if err.line is not None else "")
                out.append(f'<tr><th scope="row" class="msg">{_e(_cut(record.id or t["none"]))}</th>'
                           f"<td><code>{_e(_cut(where))}</code></td>"
                           f"<td><code>{_e(_cut(err.field or t['none']))}</code></td>"
                           f'<td class="msg">{_e(_cut(err.message))}</td></tr>')
            out.append("</tbody></table>")
        if self.bad:
            listed = (" " + t["listed"].format(n=MAX_LISTED_PROBLEMS)
                      if self.bad > MAX_LISTED_PROBLEMS else "")
            out.append(f'<p data-bad="{self.bad}">'
                       f'{_e(t["bad_text"].format(n=self.fint(self.bad)) + listed)}</p>')
            out += ['<table class="data" id="bad-lines">', f'<caption>{_e(t["bad_caption"])}</caption>',
                    (f'<thead><tr><th scope="col">{_e(t["where"])}</th>'
                     f'<th scope="col">{_e(t["message"])}</th></tr></thead><tbody>')]
            for source, line, message in self.bad_samples:
                where = (f"{source}:{line}" if source is not None
                         else f"#{line}" if line is not None else t["none"])
                out.append(f'<tr><th scope="row"><code>{_e(_cut(where))}</code></th>'
                           f'<td class="msg">{_e(_cut(message))}</td></tr>')
            out.append("</tbody></table>")
        out.append("</section>")
        return out

    def _timelines(self) -> list[str]:
        t, n = self.t, self.conversations
        kept = self.timelines()
        left = n - len(kept)
        if not kept:
            note = t["timelines_none"].format(left=self.fint(left))
        elif left:
            note = t["timelines_some"].format(shown=self.fint(len(kept)), left=self.fint(left),
                                              max=self.max_timelines)
        else:
            note = t["timelines_all"].format(n=self.fint(n))
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
                turn = t["none"] if tl.decision_turn is None else self.fint(tl.decision_turn + 1)
                out.append(
                    f'<tr id="row-{tl.seq}" data-decision="{tl.decision}">'
                    f'<td class="n">{tl.seq + 1}</td>'
                    f'<th scope="row" class="msg"><a href="#t-{tl.seq}">{_e(_cut(tl.id, 80))}</a></th>'
                    f"<td><code>{tl.language}</code></td>"
                    f'<td class="nowrap">{_swatch(tl.decision)}{_e(self.decision(tl.decision))}</td>'
                    f'<td class="n">{_e(self.fnum(tl.score))}</td><td class="n">{_e(turn)}</td>'
                    f'<td class="n">{_e(self.fint(tl.turns))}</td>'
                    f'<td lang="{tl.language}">{_e(tl.top_reason or t["none"])}</td></tr>'
                )
            out.append("</tbody></table>")
        out.append("</section>")
        if kept:
            out += ['<section aria-labelledby="s-timelines" id="timelines">',
                    f'<h2 id="s-timelines">{_e(t["timelines"])}</h2>',
                    f'<p class="legend">{_legend()} {_e(t["legend"])}</p>']
            for tl in kept:
                out.append(self._timeline_figure(tl))
            out.append("</section>")
        return out

    def _timeline_figure(self, tl: _Timeline) -> str:
        t = self.t
        width, height, left, right, top, bottom = 1000.0, 200.0, 44.0, 86.0, 10.0, 34.0
        pw, ph = width - left - right, height - top - bottom
        span = max(tl.turns - 1, 1)

        def x(index: int) -> float:
            return left + (pw * index / span if tl.turns > 1 else pw / 2)

        def y(score: float) -> float:
            return top + ph * (1.0 - score)

        uid = f"t-{tl.seq}"
        shown_id = _cut(tl.id, 80)
        at = (t["at_turn"].format(turn=self.fint(tl.decision_turn + 1))
              if tl.decision_turn is not None else "")
        desc = t["timeline_desc"].format(turns=self.fint(tl.turns), peak=self.fnum(tl.score),
                                         peak_turn=self.fint(tl.peak_turn + 1),
                                         decision=self.decision(tl.decision), at=at)
        parts = [(f'<figure class="timeline" id="{uid}" data-decision="{tl.decision}" '
                  f'data-turns="{tl.turns}" data-peak="{tl.score:.4f}">'),
                 (f'<svg role="img" aria-labelledby="{uid}-title {uid}-desc" viewBox="0 0 {width:g} {height:g}" '
                  f'width="{width:g}" height="{height:g}">'),
                 f'<title id="{uid}-title">{_e(t["timeline_title"].format(id=shown_id))}</title>',
                 f'<desc id="{uid}-desc">{_e(desc)}</desc>']
        parts += _axes(left, top, pw, ph, y_max=1.0, y_label=t["score"], integer=False, fmt=self)
        for value, key, decision in ((self.offer, "offer_line", "offer_human"),
                                     (self.escalate, "escalate_line", "escalate")):
            parts.append(f'<line x1="{left:g}" y1="{y(value):.2f}" x2="{left + pw:g}" y2="{y(value):.2f}" '
                         f'class="threshold" stroke="{_COLORS[decision]}" data-threshold="{key}"/>')
            parts.append(f'<text x="{left + pw + 4:g}" y="{y(value) + 4:.2f}" class="small" '
                         f'fill="{_COLORS[decision]}">{_e(t[key])} {_e(self.fnum(value))}</text>')
        for tick in _ticks(tl.turns):
            parts.append(f'<text x="{x(tick):.2f}" y="{top + ph + 16:g}" class="small" '
                         f'text-anchor="middle">{_e(self.fint(tick + 1))}</text>')
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
            title = t["change_title"].format(before=self.decision(c.before),
                                             after=self.decision(c.after), rule=c.rule)
            title = titles.get(c.index, t["turn"] + " " + self.fint(c.index + 1)) + ". " + title
            parts.append(f'<g class="change" data-turn="{c.index}" data-to="{c.after}">'
                         f"{_mark(c.after, x(c.index), y(c.score))}<title>{_e(title)}</title></g>")
        parts.append("</g></svg>")
        caption = (f'<a href="#row-{tl.seq}">{_e(shown_id)}</a> \u00b7 '
                   f"{_swatch(tl.decision)}{_e(self.decision(tl.decision))} \u00b7 {_e(desc)}")
        if len(tl.points) < tl.turns:
            caption += " " + _e(t["thinned"].format(shown=self.fint(len(tl.points)),
                                                    turns=self.fint(tl.turns)))
        parts.append(f"<figcaption>{caption} <a class=\"back\" href=\"#conversation-table\">"
                     f"\u2191 {_e(t['back'])}</a></figcaption></figure>")
        return "\n".join(parts)


# ---------------------------------------------------------------- drawing helpers


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
          integer: bool, fmt: _Report) -> list[str]:
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


def _warn(message: str) -> None:
    sys.stderr.write(f"empathy-signals: warning: {message}\n")


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
