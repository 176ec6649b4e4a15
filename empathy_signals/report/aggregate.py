"""Streaming aggregation of scored conversations: counters over known keys and the
timelines of the highest-scoring conversations kept in a heap, so memory stays bounded
whatever the input size; and the reader that feeds it a JSONL stream, counting (never
raising on) the lines it cannot read.
"""

from __future__ import annotations

import copy
import heapq
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from pydantic import ValidationError

from ..errors import InputError
from ..readers import ErrorRecord, jsonl_lines
from ..schema import DECISIONS, Assessment, ConversationAssessment
from .labels import _NONE, _OTHER, _Wording

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Policy

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

_MARKERS = ("override", "hysteresis")  # zero-contribution reasons that name a rule


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


class _Report(_Wording):
    """The aggregates of one report, fed one record at a time (bounded memory), in the
    report's language (see :class:`~empathy_signals.report.labels._Wording`)."""

    def __init__(self, *, policy: Policy | None, lang: str, title: str | None,
                 max_timelines: int, sources: Sequence[str] = ()) -> None:
        super().__init__(lang)
        if isinstance(max_timelines, bool) or not isinstance(max_timelines, int) or max_timelines < 0:
            raise InputError(f"max_timelines must be an int, 0 or more; got {max_timelines!r}",
                             field="max_timelines", value=max_timelines)
        if policy is None:
            from ..config import Policy

            policy = Policy.default()
        self.offer = policy.thresholds.offer_human
        self.escalate = policy.thresholds.escalate
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

    # ------------------------------------------------------------ reading back

    def timelines(self) -> list[_Timeline]:
        """The kept timelines, highest peak score first (ties: input order)."""
        return [entry[2] for entry in sorted(self._heap, key=lambda e: (-e[0], -e[1]))]


# ---------------------------------------------------------------- reading


def _feed_jsonl(report: _Report, stream: IO[bytes], source: str) -> None:
    """Feed each line of a JSONL stream to ``report``; an unreadable line is counted, never raised."""

    def too_long(lineno: int) -> None:
        report.add_bad(f"line longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB", source, lineno)

    for lineno, raw in jsonl_lines(stream, max_line_bytes=MAX_LINE_BYTES, too_long=too_long):
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

