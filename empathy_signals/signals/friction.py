"""Friction: the conversation is stuck.

Five cues, combined with a noisy-or: the customer says so ("je l'ai déjà dit", "I already
told you"), the customer repeats an earlier turn, the bot recently failed to understand,
the bot repeats its own prompt, and the customer's valence has been falling.
"""

from __future__ import annotations

from ..lexicons import Section, load_lexicon
from ..text import TokenizedText
from .base import Finding, Hit, TurnInput, register

__all__ = ["bot_failed", "content_words", "friction", "jaccard"]

#: Word overlap (Jaccard) above which a customer turn repeats an earlier one.
REPEAT_SIMILARITY = 0.6
#: Weight of a repeated customer turn at similarity 1.
REPEAT_WEIGHT = 0.7
#: Weight of each recent bot failure, and the cap of their sum.
BOT_FAILURE_WEIGHT = 0.35
BOT_FAILURE_CAP = 0.8
#: Weight of the bot repeating its previous prompt.
BOT_REPEAT_WEIGHT = 0.5
#: Weight of a valence falling over the last three customer turns (this one included) to below this.
WORSENING_WEIGHT = 0.3
WORSENING_BELOW = -0.2
#: Words this short are ignored when comparing turns ("je", "a", "le").
MIN_CONTENT_WORD_CHARS = 3


#: Key under which a turn's content words are kept in its ``TokenizedText.__dict__``.
_CONTENT_WORDS_KEY = "_content_words"


def content_words(text: TokenizedText) -> frozenset[str]:
    """The words of a turn that count when comparing it with another (computed once per turn)."""
    found = text.__dict__.get(_CONTENT_WORDS_KEY)
    if found is None:
        found = text.__dict__[_CONTENT_WORDS_KEY] = frozenset(
            w for w in text.words if len(w) >= MIN_CONTENT_WORD_CHARS
        )
    return found


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap of two word sets in [0, 1] (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _sections(turn_pack) -> tuple[Section, Section]:
    """The ``customer`` and ``bot_failure`` sections of ``friction.txt``, looked up once per pack."""
    return turn_pack.resource("signal:text.friction.loop.v1", _load_sections)


def _load_sections(language: str) -> tuple[Section, Section]:
    lexicon = load_lexicon(language, "friction")
    return lexicon.section("customer"), lexicon.section("bot_failure")


def bot_failed(text: TokenizedText, pack) -> Hit | None:
    """The hit of a bot turn that says it did not understand, if any (used by the session)."""
    match = _sections(pack)[1].search(text)
    if match is None:
        return None
    return Hit(match.first, match.last, match.entry.source, match.entry.weight, "bot_failure")


@register("text.friction.loop.v1", family="friction")
def friction(turn: TurnInput) -> Finding:
    """Score in [0, 1] that the conversation is stuck, as seen at this customer turn."""
    history = turn.history
    parts: dict[str, float] = {}
    hits: list[Hit] = []
    match = _sections(turn.pack)[0].search(turn.text)
    if match is not None:
        parts["customer_says"] = match.entry.weight
        hits.append(Hit(match.first, match.last, match.entry.source, match.entry.weight, "customer_says"))
    words = content_words(turn.text)
    similarity = max((jaccard(words, earlier) for earlier in history.customer_turns), default=0.0)
    if similarity >= REPEAT_SIMILARITY and len(words) >= 2:
        parts["customer_repeats"] = REPEAT_WEIGHT * similarity
        if turn.text.words:
            hits.append(Hit(0, len(turn.text.words) - 1, "rule:customer_repeats", parts["customer_repeats"]))
    if history.bot_failures:
        parts["bot_failures"] = min(BOT_FAILURE_CAP, BOT_FAILURE_WEIGHT * len(history.bot_failures))
    if history.bot_repeated:
        parts["bot_repeats"] = BOT_REPEAT_WEIGHT
    valences = history.valences[-3:]
    if len(valences) == 3 and valences[0] > valences[1] > valences[2] and valences[2] < WORSENING_BELOW:
        parts["worsening"] = WORSENING_WEIGHT
    keep = 1.0
    for value in parts.values():
        keep *= 1.0 - value
    return Finding(1.0 - keep, hits=tuple(hits), scores=parts, evidence=history.bot_failures)
