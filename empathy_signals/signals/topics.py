"""Sensitive topics: is the customer in a situation a human should handle?

One lexicon per language and topic (``lexicons/<lang>/topics/<topic>.txt``, topic ids in
:data:`empathy_signals.schema.TOPICS`). Each file has a ``[match]`` section of weighted
entries (1.0 = unambiguous, 0.5 = suggestive) and an ``[exclude]`` section of idioms and
false friends: a match that overlaps an exclude match of the same file is dropped
("mort de rire", "this is killing me").

Scoring, per topic:

* every surviving match is a :class:`~empathy_signals.signals.base.Hit` with the entry's
  weight;
* a hit preceded in its clause by a negator ("je ne veux pas résilier", "not a fraud") is
  scaled by :data:`NEGATION_FACTOR` -- except for topics in :data:`NEVER_NEGATED`
  (``self_harm``: "I don't want to live" *is* the signal, written as a match);
* hits of one topic combine by noisy-or, ``1 - prod(1 - w)``;
* a topic is *detected* when its score reaches :data:`DETECTION_THRESHOLD`.

One rule is not a lexicon entry: an amount of money of at least :data:`LARGE_AMOUNT_MIN`
with a currency ("15 000 €", "$12,500", "20k€") adds a ``large_purchase`` hit of weight
:data:`LARGE_AMOUNT_WEIGHT` (suggestive only: a large amount may also be a debt).

Negation rule (small on purpose, see the tests): look back at most
:data:`NEGATION_WINDOW_TOKENS` words before the first token of the match, skipping a few
filler words ("to", "really", "de"...); stop at clause punctuation or at a clause word
("mais", "que", "but", "because"...). A negator there scales the hit down. Negations the
entry itself contains ("je n'arrive plus à payer", "I don't recognise this payment") are
part of the pattern and so are not negators of it.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from math import prod

from ..lexicons import LexiconIndex, Section, leftmost_longest
from ..schema import TOPICS
from ..text import CLAUSE_PUNCTUATION, TokenizedText
from .base import Finding, Hit, TurnInput, register

__all__ = [
    "DETECTION_THRESHOLD",
    "LARGE_AMOUNT_MIN",
    "LARGE_AMOUNT_WEIGHT",
    "NEGATION_FACTOR",
    "NEGATION_WINDOW_TOKENS",
    "NEVER_NEGATED",
    "SIGNAL_NAME",
    "is_negated",
    "sensitive_topics",
]

SIGNAL_NAME = "text.topics.sensitive.v1"

#: A topic whose noisy-or score reaches this is listed in ``detail["detected"]``.
DETECTION_THRESHOLD = 0.5
#: Weight multiplier of a negated hit (0.2: a 1.0 entry becomes 0.2, below the threshold).
NEGATION_FACTOR = 0.2
#: How many words before a match are searched for a negator (filler words not counted).
NEGATION_WINDOW_TOKENS = 3
#: Topics whose hits are never scaled down by negation.
NEVER_NEGATED = frozenset({"self_harm"})
#: Smallest amount (in units of any currency) that counts as a large amount.
LARGE_AMOUNT_MIN = 10_000
#: Weight of a large-amount hit for ``large_purchase``: suggestive, below the threshold alone.
LARGE_AMOUNT_WEIGHT = 0.4
LARGE_AMOUNT_SOURCE = "rule:large_amount"

_NEGATORS = {
    "fr": frozenset({"ne", "n", "pas", "jamais", "plus", "aucun", "aucune", "sans", "ni", "nullement"}),
    "en": frozenset(
        {
            "not", "no", "never", "without", "nor", "neither", "cannot", "t",  # "t" of "don't"
            "dont", "didnt", "doesnt", "isnt", "wasnt", "arent", "werent", "cant", "wont",
            "wouldnt", "shouldnt", "couldnt", "havent", "hasnt", "hadnt", "aint",
        }
    ),
}  # fmt: skip
#: A negator followed by one of these words is not a negation ("pas mal de", "plus de 10 000",
#: "sans doute", "not only", "no doubt").
_NOT_NEGATING_BEFORE = {
    "fr": {
        "pas": frozenset({"mal"}),
        "plus": frozenset({"de", "d", "du", "des", "que", "qu", "tard", "tot", "ou", "et", "en"}),
        "sans": frozenset({"doute", "compter"}),
    },
    "en": {
        "not": frozenset({"only", "just", "sure"}),
        "no": frozenset({"doubt", "matter"}),
        "never": frozenset({"mind"}),
    },
}
#: Words skipped when counting the negation window ("je ne veux pas DE résiliation").
_FILLERS = {
    "fr": frozenset({"de", "d", "a", "l", "le", "la", "vraiment", "du", "tout", "encore"}),
    "en": frozenset({"to", "really", "even", "actually", "just", "the", "a", "be"}),
}
#: Words that open a new clause: the look-back stops there.
_CLAUSE_WORDS = {
    "fr": frozenset({"mais", "que", "qu", "car", "donc", "alors", "parce", "si", "puisque"}),
    "en": frozenset({"but", "because", "so", "that", "if", "unless", "until", "since", "though"}),
}

# An amount with a currency sign or word before or after it. Run on the folded text, whose
# offsets are those of the original text. Digit groups of exactly three after a space, dot,
# comma or apostrophe are thousands ("10 000", "10.000", "10,000"); a group of one or two
# digits is a decimal part.
#: A digit: the only way an amount can be there (the amount regex runs only then).
_AMOUNT_HINT = re.compile(r"\d")
#: What every currency of _AMOUNT_RE contains: an amount without one is never counted.
_CURRENCY_HINT = re.compile(r"[€$£]|eur|dollar|usd|gbp|pound|livre|balles")
_AMOUNT_RE = re.compile(
    r"""
    (?<![\w.,])
    (?:(?P<pre>[€$£])\s?)?
    (?P<int>\d{1,3}(?:[ \u00a0\u202f.,']\d{3})+|\d+)
    (?:[.,](?P<dec>\d{1,2}))?(?!\d)
    \s?(?P<mult>k|mille|millions?|m)?(?![a-z])
    \s?(?:d'|de\s)?
    (?P<cur>[€$£]|(?:eur|euros?|dollars?|usd|gbp|pounds?|livres?|balles)(?![a-z]))?
    """,
    re.VERBOSE,
)
_MULTIPLIERS = {
    "k": 1_000,
    "mille": 1_000,
    "m": 1_000_000,
    "million": 1_000_000,
    "millions": 1_000_000,
}


@dataclass(frozen=True, slots=True)
class _Topic:
    topic: str
    match: Section
    exclude: Section
    negatable: bool


@dataclass(frozen=True, slots=True)
class _Tables:
    """Everything the signal needs for one language, built once per :class:`LanguagePack`."""

    #: The lexicon index every topic section is in (None if no topic has an entry).
    index: LexiconIndex | None
    topics: tuple[_Topic, ...]
    negators: frozenset[str]
    not_negating_before: dict[str, frozenset[str]]
    fillers: frozenset[str]
    clause_words: frozenset[str]
    #: The ``[match]`` section id of every topic (a turn none of them matched has no topic
    #: but perhaps a large amount).
    match_sids: frozenset[int] = frozenset()


def _tables(turn: TurnInput) -> _Tables:
    """The compiled tables of the turn's language, cached in its :class:`LanguagePack`."""
    pack = turn.pack

    def build(language: str) -> _Tables:
        topics = []
        for topic in TOPICS:
            lexicon = pack.lexicon(f"topics/{topic}")
            negatable = topic not in NEVER_NEGATED
            topics.append(
                _Topic(topic, lexicon.section("match"), lexicon.section("exclude"), negatable)
            )
        indexes = {t.match.index for t in topics if t.match.sid >= 0}
        return _Tables(
            index=indexes.pop() if len(indexes) == 1 else None,
            topics=tuple(topics),
            negators=_NEGATORS.get(language, frozenset()),
            not_negating_before=_NOT_NEGATING_BEFORE.get(language, {}),
            fillers=_FILLERS.get(language, frozenset()),
            clause_words=_CLAUSE_WORDS.get(language, frozenset()),
            match_sids=frozenset(t.match.sid for t in topics if t.match.sid >= 0),
        )

    return pack.resource(f"signal:{SIGNAL_NAME}", build)


def is_negated(words: tuple[str, ...], first: int, tables: _Tables) -> bool:
    """Whether the match starting at token ``first`` is negated (see the module docstring)."""
    counted = 0
    index = first - 1
    while index >= 0 and counted < NEGATION_WINDOW_TOKENS:
        word = words[index]
        if word in CLAUSE_PUNCTUATION or word in tables.clause_words:
            return False
        if word in tables.negators:
            following = words[index + 1] if index + 1 < len(words) else ""
            if following not in tables.not_negating_before.get(word, ()):
                return True
        if word not in tables.fillers:
            counted += 1
        index -= 1
    return False


def _large_amounts(text: TokenizedText) -> list[tuple[int, int]]:
    """Token ranges ``(first, last)`` of amounts of at least :data:`LARGE_AMOUNT_MIN`."""
    found = []
    for m in _AMOUNT_RE.finditer(text.folded):
        if not (m.group("pre") or m.group("cur")):
            continue
        value = float(re.sub(r"\D", "", m.group("int")) + "." + (m.group("dec") or "0"))
        value *= _MULTIPLIERS.get(m.group("mult") or "", 1)
        if value < LARGE_AMOUNT_MIN:
            continue
        start, end = m.span()
        # tokens overlapping [start, end): the first ending after start .. the last starting before end
        first = bisect_right(text.ends, start)
        last = bisect_left(text.starts, end) - 1
        if first <= last:
            found.append((first, last))
    return found


@register(SIGNAL_NAME, family="topics")
def sensitive_topics(turn: TurnInput) -> Finding:
    """Score the sensitive topics of one customer turn.

    Parameters
    ----------
    turn : TurnInput
        The tokenised turn and its language pack (``fr`` or ``en``).

    Returns
    -------
    Finding
        ``scores``: ``{topic_id: score}`` in [0, 1] for topics with a score above 0;
        ``score``: the largest of them (0.0 when none); ``hits``: one per surviving lexicon
        match or large amount (``label`` = topic id, ``weight`` = weight after negation);
        ``detail["detected"]``: sorted topic ids scoring at least :data:`DETECTION_THRESHOLD`;
        ``detail["negated"]``: sorted topic ids with at least one negated hit.

    Examples
    --------
    >>> from empathy_signals.text import tokenize
    >>> from empathy_signals.signals.resources import LanguagePack
    >>> turn = TurnInput(index=0, text=tokenize("Mon père est décédé"), language="fr",
    ...                  pack=LanguagePack("fr"))
    >>> sensitive_topics(turn).detail["detected"]
    ('bereavement',)
    """
    text = turn.text
    if text.is_empty:
        return Finding(
            score=0.0, detail={"detected": (), "negated": (), "neutral_reason": "empty text"}
        )
    tables = _tables(turn)
    words = text.words
    hits: list[Hit] = []
    negated_topics: set[str] = set()
    # One scan of the turn serves every topic: only topics with a match are looked at.
    found = tables.index.scan(text) if tables.index is not None else {}
    folded = text.folded
    amounts = _large_amounts(text) if _AMOUNT_HINT.search(folded) and _CURRENCY_HINT.search(folded) else []
    if not amounts and found.keys().isdisjoint(tables.match_sids):
        return Finding(score=0.0, detail={"detected": (), "negated": ()})  # no topic (most turns)
    for spec in tables.topics:
        # Non-overlapping matches (leftmost, then longest); every exclude match counts.
        spans = [
            (m.first, m.last, m.entry.source, m.entry.weight)
            for m in leftmost_longest(found.get(spec.match.sid, []))
        ]
        if spec.topic == "large_purchase":
            spans += [(f, l, LARGE_AMOUNT_SOURCE, LARGE_AMOUNT_WEIGHT) for f, l in amounts]
        if not spans:
            continue
        excluded = [(e.first, e.last) for e in found.get(spec.exclude.sid, [])]
        for first, last, source, weight in spans:
            if any(e_first <= last and first <= e_last for e_first, e_last in excluded):
                continue
            if spec.negatable and is_negated(words, first, tables):
                weight *= NEGATION_FACTOR
                negated_topics.add(spec.topic)
            hits.append(Hit(first, last, source, weight, spec.topic))
    scores: dict[str, float] = {}
    hit_topics = {h.label for h in hits}
    for topic in TOPICS:
        if topic not in hit_topics:
            continue
        weights = [h.weight for h in hits if h.label == topic]
        if weights:
            score = 1.0 - prod(1.0 - min(max(w, 0.0), 1.0) for w in weights)
            if score > 0.0:
                scores[topic] = score
    detected = tuple(sorted(t for t, s in scores.items() if s >= DETECTION_THRESHOLD))
    hits.sort(key=lambda h: (h.first, h.last, h.label))
    return Finding(
        score=max(scores.values(), default=0.0),
        hits=tuple(hits),
        scores=scores,
        detail={"detected": detected, "negated": tuple(sorted(negated_topics & set(scores)))},
    )
