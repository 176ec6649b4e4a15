"""Text normalisation shared by every lexicon signal.

A turn's text is folded once (lower case, accents removed, typographic apostrophes
unified) with a one-to-one character mapping, so that every character offset in the
folded text is also an offset in the original text: evidence spans point at what the
customer wrote, not at a normalised copy.

The folded text is then cut into *tokens*: runs of word characters and the clause
punctuation ``. , ; : ! ?``. Apostrophes and hyphens separate words and are dropped
("l'agent" -> ``l agent``, "ras-le-bol" -> ``ras le bol``). Lexicon patterns are compiled
against the *canonical string*, the tokens joined by single spaces; a match there maps
back to a token range and from it to a character span of the original text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate, repeat
from operator import add
from typing import Protocol

__all__ = ["CLAUSE_PUNCTUATION", "Token", "TokenizedText", "fold", "tokenize"]

#: Punctuation kept as tokens: it ends a clause, so gaps and negation scopes stop there.
CLAUSE_PUNCTUATION = frozenset(".,;:!?")

_TOKEN_RE = re.compile(r"\w+|[.,;:!?]")
#: Three or more repetitions of one letter are elongation ("noooon" -> "noon").
_ELONGATION_RE = re.compile(r"(\w)\1{2,}")
#: Any character three times in a row: a quick test that must pass before elongation can
#: be there (a word character thrice is a character thrice); it rules out most turns.
_TRIPLE_RE = re.compile(r"(.)\1\1")
_APOSTROPHES = "\u2019\u2018\u02bc\u00b4\u0060\u2032"
_MATCH_START = re.Match.start
_MATCH_END = re.Match.end


class Corrector(Protocol):
    """Fixes the spelling of folded words (see :class:`~empathy_signals.lexicons.Speller`)."""

    def correct_all(self, words: list[str]) -> list[str]: ...


class _FoldTable(dict):
    """``str.translate`` table folding one code point to exactly one code point.

    Built lazily: ``__missing__`` computes the fold of a code point the first time it is
    seen. Folding keeps one character per character so offsets survive.
    """

    def __missing__(self, codepoint: int) -> int:
        char = chr(codepoint)
        if char in _APOSTROPHES:
            folded = "'"
        else:
            lowered = char.lower()
            if len(lowered) != 1:  # e.g. U+0130 lowers to two code points
                lowered = char
            decomposed = unicodedata.normalize("NFKD", lowered)
            base = "".join(c for c in decomposed if not unicodedata.combining(c))
            folded = base if len(base) == 1 else lowered
        self[codepoint] = ord(folded)
        return self[codepoint]


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents, keeping exactly one character per character.

    >>> fold("Désolé, ÇA NE VA PAS")
    'desole, ca ne va pas'
    """
    if text.isascii():  # the table maps ASCII to its lower case, and the backquote to "'"
        return text.lower().replace("`", "'")
    return text.translate(_FOLD_TABLE)


def has_elongation(folded: str) -> bool:
    """Whether a word of ``folded`` repeats one character three times or more ("nuuul")."""
    return _TRIPLE_RE.search(folded) is not None and _ELONGATION_RE.search(folded) is not None


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a turn: ``text`` is folded; ``start``/``end`` index the original text."""

    text: str
    start: int
    end: int
    #: The original spelling was all capitals and at least two letters long ("NUL").
    shouted: bool
    #: The original spelling repeated one letter three times or more ("nuuul").
    elongated: bool


class TokenizedText:
    """A turn's text, folded and tokenised once, shared by all the signals of that turn.

    ``words`` (folded, elongation collapsed, typos of key words corrected), ``starts`` and
    ``ends`` (offsets in the original text) are parallel tuples; ``tokens`` builds
    :class:`Token` objects with the ``shouted``/``elongated`` flags on demand.
    """

    __slots__ = (
        "__dict__",
        "elongation",
        "folded",
        "original",
        "scan_owner",
        "scan_result",
        "scan_sections",
        "words"
    )  # fmt: skip

    def __init__(self, original: str, *, correct: Corrector | None = None) -> None:
        self.original = original
        folded = self.folded = fold(original)
        words = _TOKEN_RE.findall(folded)
        #: Some word was elongated (see :func:`has_elongation`); no token is when this is False.
        self.elongation = has_elongation(folded)
        if self.elongation:
            words = [w if w.isdigit() else _ELONGATION_RE.sub(r"\1\1", w) for w in words]
        if correct is not None:
            words = correct.correct_all(words)
        self.words: tuple[str, ...] = tuple(words)
        #: The lexicon index whose scan of this text is cached in ``scan_result``.
        self.scan_owner: object = None
        self.scan_sections = 0
        self.scan_result: object = None

    @cached_property
    def _spans(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        found = list(_TOKEN_RE.finditer(self.folded))
        return tuple(map(_MATCH_START, found)), tuple(map(_MATCH_END, found))

    @property
    def starts(self) -> tuple[int, ...]:
        """Offset of each token in the original text."""
        return self._spans[0]

    @property
    def ends(self) -> tuple[int, ...]:
        """Offset just past each token in the original text."""
        return self._spans[1]

    @cached_property
    def tokens(self) -> tuple[Token, ...]:
        """The tokens as objects, with their ``shouted`` and ``elongated`` flags."""
        out = []
        for word, start, end in zip(self.words, self.starts, self.ends):
            raw = self.original[start:end]
            folded = self.folded[start:end]
            elongated = self.elongation and not folded.isdigit() and _ELONGATION_RE.search(folded) is not None
            out.append(Token(word, start, end, len(raw) >= 2 and raw.isupper(), elongated))
        return tuple(out)

    @cached_property
    def canonical(self) -> str:
        """Tokens each followed by one space: the string lexicon patterns run on."""
        return " ".join(self.words) + " " if self.words else ""

    @cached_property
    def canonical_starts(self) -> list[int]:
        """Offset of each token in :attr:`canonical`."""
        # token k starts after tokens 0..k-1 and one space after each (all at C speed)
        starts = list(accumulate(map(add, map(len, self.words), repeat(1)), initial=0))
        starts.pop()
        return starts

    @cached_property
    def canonical_ends(self) -> list[int]:
        """Offset just past each token in :attr:`canonical`."""
        return [start + len(word) for start, word in zip(self.canonical_starts, self.words)]

    def token_range(self, start: int, end: int) -> tuple[int, int]:
        """Token indices ``[first, last]`` covered by canonical-string offsets ``[start, end)``."""
        starts = self.canonical_starts
        first = bisect_right(starts, start) - 1
        last = bisect_right(starts, max(start, end - 1)) - 1
        return first, last

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Character span in the original text of tokens ``first..last`` (inclusive)."""
        starts, ends = self._spans
        return starts[first], ends[last]

    @cached_property
    def is_empty(self) -> bool:
        """No word at all (empty, blank or punctuation only)."""
        return CLAUSE_PUNCTUATION.issuperset(self.words)


def tokenize(text: str, *, correct: Corrector | None = None) -> TokenizedText:
    """Fold and tokenise ``text``; see the module docstring.

    ``correct`` fixes typos of key words (see :class:`~empathy_signals.lexicons.Speller`).
    """
    return TokenizedText(text, correct=correct)
