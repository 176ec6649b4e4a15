"""Requests to reach a human: explicit, indirect and refusals of the bot.

Negation-aware ("je ne veux pas de conseiller", "I don't need an agent") and not fooled
by false friends ("my insurance agent said", "votre conseiller m'a dit"). Counting the
repeats belongs to the session: this signal only says whether *this* turn asks.
"""

from __future__ import annotations

from typing import NamedTuple

from ..lexicons import Match, Section, load_lexicon
from .base import Finding, Hit, TurnInput, register

__all__ = ["DETECTION_THRESHOLD", "NEGATION_REACH_TOKENS", "human_request"]

#: A turn whose best request scores at least this is a detected (and counted) request.
DETECTION_THRESHOLD = 0.6
#: A negation cue cancels a request that starts at most this many tokens after it ends ...
NEGATION_REACH_TOKENS = 3
#: ... when every token in between is one of these ("I don't want *to* talk to an agent");
#: another word means the negation is about something else ("je ne veux pas *attendre*,
#: passez-moi un conseiller").
NEGATION_GAP_WORDS = frozenset(
    "to a an the any ever really even just at all de d du des un une le la l me m moi vraiment du tout".split()
)
_SCORED_SECTIONS = ("request", "indirect", "anti_bot")


def _negated(match: Match, negations: list[Match], words: tuple[str, ...]) -> bool:
    for cue in negations:
        if cue.first > match.last:
            continue
        if cue.last >= match.first:  # overlaps the request ("ne veux pas de conseiller")
            return True
        gap = words[cue.last + 1 : match.first]
        if len(gap) <= NEGATION_REACH_TOKENS and all(w in NEGATION_GAP_WORDS for w in gap):
            return True
    return False


class _Sections(NamedTuple):
    """The sections of ``human_request.txt`` this signal reads, looked up once per pack."""

    exclude: Section
    negation: Section
    #: (name, section) of each of :data:`_SCORED_SECTIONS`, in that order.
    scored: tuple[tuple[str, Section], ...]


def _load_sections(language: str) -> _Sections:
    lexicon = load_lexicon(language, "human_request")
    scored = tuple((name, lexicon.section(name)) for name in _SCORED_SECTIONS)
    return _Sections(lexicon.section("exclude"), lexicon.section("negation"), scored)


@register("text.requests.human_agent.v1", family="human_request")
def human_request(turn: TurnInput) -> Finding:
    """Score in [0, 1] that this customer turn asks for a human; hits locate the request."""
    sections = turn.pack.resource("signal:text.requests.human_agent.v1", _load_sections)
    text = turn.text
    if not any(section.matches(text) for _, section in sections.scored):
        return Finding(0.0)  # no request at all (most turns): excludes and negations are moot
    excludes = list(sections.exclude.finditer(text))
    negations = list(sections.negation.finditer(text))
    best: Hit | None = None
    for section_name, section in sections.scored:
        for match in section.finditer(text):
            if any(e.first <= match.last and match.first <= e.last for e in excludes):
                continue
            if section_name != "anti_bot" and _negated(match, negations, text.words):
                continue
            if best is None or match.entry.weight > best.weight:
                best = Hit(match.first, match.last, match.entry.source, match.entry.weight, section_name)
    if best is None:
        return Finding(0.0)
    return Finding(best.weight, hits=(best,), detail={"detected": best.weight >= DETECTION_THRESHOLD})
