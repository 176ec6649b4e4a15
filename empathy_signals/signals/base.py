"""What every signal receives and returns, and the registry of signals.

A signal is a pure function ``fn(turn: TurnInput) -> Finding`` registered under a
versioned name (``text.requests.human_agent.v1``). It does no I/O and keeps no state:
what it needs from earlier turns arrives in ``turn.history``, a bounded, immutable
snapshot kept by the :class:`~empathy_signals.detector.Session`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from ..text import TokenizedText

if TYPE_CHECKING:  # pragma: no cover
    from .resources import LanguagePack

__all__ = [
    "REGISTRY",
    "Finding",
    "History",
    "Hit",
    "SignalSpec",
    "Span",
    "TurnInput",
    "register",
    "signals_of",
]


class Span(NamedTuple):
    """Where evidence is: the fields of :class:`~empathy_signals.schema.Evidence`, cheap to make."""

    turn: int
    start: int
    end: int
    text: str
    source: str


class Hit(NamedTuple):
    """A span of the turn that made a signal fire: tokens ``first..last`` and the rule."""

    first: int
    last: int
    source: str  # lexicon entry "fr/topics/health.txt:12" or rule "rule:capitals"
    weight: float = 1.0
    label: str = ""  # e.g. the emotion or topic the hit counts for

    def evidence(self, turn: TurnInput) -> Span:
        start, end = turn.text.span(self.first, self.last)
        return Span(turn.index, start, end, turn.text.original[start:end], self.source)


class History(NamedTuple):
    """Bounded facts about earlier turns of the session (never the whole transcript)."""

    #: Folded word sets of the last few customer turns, most recent last.
    customer_turns: tuple[frozenset[str], ...] = ()
    #: Valences of the last few customer turns, most recent last (for friction, which runs
    #: after sentiment, this turn's valence is the last one).
    valences: tuple[float, ...] = ()
    #: Bot turns among the last few that said they did not understand, as evidence.
    bot_failures: tuple[Span, ...] = ()
    #: The last bot turn repeated the one before it (the bot is looping).
    bot_repeated: bool = False


class TurnInput(NamedTuple):
    """One customer turn, tokenised once, with its language resources and history."""

    index: int
    text: TokenizedText
    language: str
    pack: LanguagePack
    history: History = History()


@dataclass(frozen=True, slots=True)
class Finding:
    """What a signal found in one turn.

    ``score`` is in [0, 1] except for sentiment valence in [-1, 1]; ``scores`` holds
    per-label scores (emotions, topics); ``hits`` locate the evidence.
    """

    score: float
    hits: tuple[Hit, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    #: Evidence in *earlier* turns (e.g. the bot turns that failed), carried by the history.
    evidence: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class SignalSpec:
    name: str  # versioned registry name
    family: str  # human_request, topics, sentiment, emotion, friction
    fn: Callable[[TurnInput], Finding]


REGISTRY: dict[str, SignalSpec] = {}


def register(
    name: str, *, family: str
) -> Callable[[Callable[[TurnInput], Finding]], Callable[[TurnInput], Finding]]:
    """Register a signal function under a versioned ``name`` (``family.what.vN``)."""

    def decorate(fn: Callable[[TurnInput], Finding]) -> Callable[[TurnInput], Finding]:
        if name in REGISTRY:
            raise ValueError(f"signal {name!r} is already registered")
        REGISTRY[name] = SignalSpec(name, family, fn)
        return fn

    return decorate


def signals_of(family: str) -> list[SignalSpec]:
    """Registered signals of one family, sorted by name."""
    return sorted((s for s in REGISTRY.values() if s.family == family), key=lambda s: s.name)
