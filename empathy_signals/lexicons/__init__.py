"""Lexicons: versioned package data, one file per language and topic.

File format (see ``docs/lexicons.md``)::

    # source: empathy_signals (hand-written)
    # licence: Apache-2.0
    # version: 1
    [request]
    (parler|discuter) (a|avec) .. (conseiller*|humain*) = 1.0
    ^ agent $ = 0.9

Each entry is a *pattern* optionally followed by ``= weight`` (default 1.0). Patterns are
case- and accent-insensitive and match whole tokens of the canonical string of
:mod:`empathy_signals.text`:

``word``      that word;  ``word*``  any word starting with ``word`` (inflection);
``(a|b c)``   one of the alternatives (each a sequence);  ``x?`` / ``(a|b)?``  optional;
``..`` / ``..N``  up to 3 / N arbitrary words (never across clause punctuation);
``^`` / ``$``  start / end of the turn (trailing punctuation allowed).

Compiled patterns contain no nested unbounded quantifier: word tokens and the single
space that separates them are disjoint character classes and gaps are bounded, so
matching is linear in the length of the turn (no catastrophic backtracking).

Every data file of this folder is read through :func:`read_data` (or :func:`read_rows`), which checks it against
its sha256 in ``MANIFEST.json`` (written by ``models/lexicons/write_manifest.py``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import NamedTuple

from ..errors import EmpathySignalsError
from ..text import TokenizedText, fold

__all__ = [
    "Entry",
    "Lexicon",
    "LexiconError",
    "LexiconIndex",
    "Match",
    "Section",
    "Speller",
    "compile_pattern",
    "has_data",
    "index_for",
    "leftmost_longest",
    "lexicon_names",
    "load_lexicon",
    "parse_lexicon",
    "read_data",
    "read_rows",
]

_END = r"(?:[.,;:!?] )*$"


class LexiconError(EmpathySignalsError, ValueError):
    """A lexicon file that does not follow the format (names the file and the line)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One lexicon line: its pattern, weight, section and where it comes from."""

    pattern: str
    weight: float
    section: str
    source: str  # "fr/human_request.txt:12"


class Match(NamedTuple):
    """An entry that matched tokens ``first..last`` (inclusive) of a turn."""

    entry: Entry
    first: int
    last: int


#: First-token keys of a pattern: ("w", word) for a word, ("p", prefix) for ``prefix*``.
Key = tuple[str, str]


class _Item(NamedTuple):
    regex: str
    first: frozenset[Key]  # keys a match can start with
    nullable: bool  # the item can match no token (optional, gap, anchors)
    gap: bool = False
    #: The exact words one of which this item is (None if it can be anything else).
    words: frozenset[str] | None = None
    #: For a sequence, or an alternation of sequences: exact words one of which every match
    #: contains (None if unknown).
    required: frozenset[str] | None = None
    #: Every match starts at the start of the turn (``^`` first, in every alternative).
    anchored: bool = False


class _PatternParser:
    """Recursive-descent parser of the pattern syntax into a regular expression plus the
    set of tokens a match can start with (used to dispatch turns to candidate entries)."""

    def __init__(self, pattern: str) -> None:
        text = fold(pattern).replace("'", " ").replace("-", " ")
        self.text = " ".join(text.split())
        self.pos = 0

    def error(self, what: str) -> LexiconError:
        return LexiconError(f"{what} at column {self.pos + 1} of pattern {self.text!r}")

    def parse(self) -> _Item:
        item = self.sequence()
        if self.pos != len(self.text):
            raise self.error("unexpected character " + repr(self.text[self.pos]))
        if item.nullable:
            raise self.error("a pattern must match at least one word")
        return item

    def sequence(self) -> _Item:
        items: list[_Item] = []
        while self.pos < len(self.text) and self.text[self.pos] not in "|)":
            if self.text[self.pos] == " ":
                self.pos += 1
                continue
            items.append(self.item())
        if not items:
            raise self.error("empty sequence")
        first: set[Key] = set()
        for item in items:
            if item.gap:
                raise self.error("a pattern (or an alternative) must not start with a gap '..'")
            first |= item.first
            if not item.nullable:
                break
        # Words every match must contain (those of the last item that has them): a cheap
        # filter before running the regex.
        required = next(
            (i.words or i.required for i in reversed(items) if not i.nullable and (i.words or i.required)), None
        )
        nullable = all(i.nullable for i in items)
        words = items[0].words if len(items) == 1 else None
        regex = "".join(i.regex for i in items)
        return _Item(regex, frozenset(first), nullable, False, words, required, items[0].anchored)

    def item(self) -> _Item:
        char = self.text[self.pos]
        if char == "^":
            self.pos += 1
            return _Item("^", frozenset(), True, anchored=True)
        if char == "$":
            self.pos += 1
            return _Item(_END, frozenset(), True)
        if self.text.startswith("..", self.pos):
            self.pos += 2
            digits = re.match(r"\d*", self.text[self.pos :]).group()
            self.pos += len(digits)
            return _Item(rf"(?:\w+ ){{0,{int(digits) if digits else 3}}}", frozenset(), True, gap=True)
        if char == "(":
            self.pos += 1
            alternatives = [self.sequence()]
            while self.pos < len(self.text) and self.text[self.pos] == "|":
                self.pos += 1
                alternatives.append(self.sequence())
            if self.pos >= len(self.text) or self.text[self.pos] != ")":
                raise self.error("missing ')'")
            self.pos += 1
            regex = "(?:" + "|".join(a.regex for a in alternatives) + ")"
            first = frozenset().union(*(a.first for a in alternatives))
            nullable = any(a.nullable for a in alternatives)
            words = None
            if all(a.words for a in alternatives):
                words = frozenset().union(*(a.words for a in alternatives))
            # a match is a match of one alternative, so it has a word one of them requires
            required = None
            if all(a.required for a in alternatives):
                required = frozenset().union(*(a.required for a in alternatives))
            anchored = all(a.anchored for a in alternatives)
        else:
            word = re.match(r"\w+", self.text[self.pos :])
            if word is None:
                raise self.error("unexpected character " + repr(char))
            self.pos += len(word.group())
            regex = re.escape(word.group())
            key: Key = ("w", word.group())
            words = frozenset([word.group()])
            if self.pos < len(self.text) and self.text[self.pos] == "*":
                self.pos += 1
                regex += r"\w*"
                key = ("p", word.group())
                words = None
            regex = "(?:" + regex + " )"
            first, nullable = frozenset([key]), False
            required, anchored = None, False
        if self.pos < len(self.text) and self.text[self.pos] == "?":
            self.pos += 1
            regex += "?"
            nullable = True
            anchored = False
        return _Item(regex, first, nullable, False, words, required, anchored)


def compile_pattern(pattern: str) -> str:
    """Regular expression (source) of one lexicon pattern, to run on a canonical string."""
    return r"(?<![^ ])" + _PatternParser(pattern).parse().regex


class LexiconIndex:
    """All the sections of one language, indexed by the tokens their entries start with.

    A turn is scanned once per language: each token looks up (with a per-word cache) the
    entries that can start there, and only those are tried, anchored at that token. The
    cost is proportional to the turn's length and to the candidates, not to the size of
    the lexicons. Results are cached on the :class:`TokenizedText`.
    """

    _WORD_CACHE_LIMIT = 200_000

    def __init__(self, language: str) -> None:
        self.language = language
        self._exact: dict[str, list[tuple[int, int]]] = {}
        self._prefix: dict[str, list[tuple[int, int]]] = {}
        self._prefix_lengths: list[int] = []
        self._sections: list[Section] = []
        self._word_cache: dict[str, tuple[_Candidate, ...]] = {}
        self._lock = threading.Lock()

    def add(self, section: Section) -> int:
        """Index ``section``; returns its id in this index."""
        with self._lock:
            sid = len(self._sections)
            self._sections.append(section)
            for number, compiled in enumerate(section.compiled):
                for kind, token in compiled.first:
                    table = self._exact if kind == "w" else self._prefix
                    table.setdefault(token, []).append((sid, number))
            self._prefix_lengths = sorted({len(p) for p in self._prefix})
            self._word_cache = {}
        return sid

    def _candidates(self, word: str) -> tuple[_Candidate, ...]:
        """The entries a match may start with at ``word``, by section id then entry number."""
        found = self._word_cache.get(word)
        if found is None:
            hits = list(self._exact.get(word, ()))
            for length in self._prefix_lengths:
                if length > len(word):
                    break
                hits.extend(self._prefix.get(word[:length], ()))
            sections = self._sections
            found = tuple(
                _Candidate(sid, compiled.regex.match, compiled.required, compiled.anchored, compiled.entry)
                for sid, number in sorted(set(hits))
                for compiled in (sections[sid].compiled[number],)
            )
            cache = self._word_cache
            if len(cache) >= self._WORD_CACHE_LIMIT:
                cache = self._word_cache = {}
            cache[word] = found
        return found

    def scan(self, text: TokenizedText) -> dict[int, list[Match]]:
        """Every match of every section in ``text``, overlapping ones included, by section id."""
        if text.scan_owner is self and text.scan_sections == len(self._sections):
            return text.scan_result  # type: ignore[return-value]
        words = text.words
        candidates = list(map(self._word_cache.get, words))
        if None in candidates:
            candidates = [self._candidates(w) for w in words]
        canonical = text.canonical
        offsets = text.canonical_starts
        present = set(words)
        found: dict[int, list[Match]] = {}
        for position, cands in enumerate(candidates):
            for sid, match, required, anchored, entry in cands:
                if required is not None and required.isdisjoint(present):
                    continue
                if anchored and position:
                    continue  # "^ agent $" starts at the first token or nowhere
                m = match(canonical, offsets[position])
                if m is not None:
                    last = bisect_right(offsets, m.end() - 1) - 1
                    found.setdefault(sid, []).append(Match(entry, position, last))
        text.scan_owner, text.scan_sections, text.scan_result = self, len(self._sections), found
        return found


class _Candidate(NamedTuple):
    """An entry that may match from a given token, unpacked for the scan's inner loop."""

    sid: int
    #: ``match`` of the entry's compiled regular expression.
    match: Callable[[str, int], re.Match[str] | None]
    #: Exact words one of which every match contains (a filter), or None.
    required: frozenset[str] | None
    #: Matches start at the first token only.
    anchored: bool
    entry: Entry


def leftmost_longest(found: list[Match]) -> list[Match]:
    """The non-overlapping matches among ``found``: leftmost first, then the longest."""
    if len(found) < 2:
        return found
    kept = []
    last_taken = -1
    for match in sorted(found, key=lambda m: (m.first, -m.last)):
        if match.first > last_taken:
            last_taken = match.last
            kept.append(match)
    return kept


_INDEXES: dict[str, LexiconIndex] = {}
_INDEXES_LOCK = threading.Lock()


def index_for(language: str) -> LexiconIndex:
    """The (process-wide) index of the sections of ``language``."""
    with _INDEXES_LOCK:
        index = _INDEXES.get(language)
        if index is None:
            index = _INDEXES[language] = LexiconIndex(language)
        return index


class _Compiled(NamedTuple):
    entry: Entry
    regex: re.Pattern[str]
    first: frozenset[Key]
    #: Exact words one of which every match contains (a filter), or None.
    required: frozenset[str] | None
    #: Matches start at the first token only (the pattern starts with ``^``).
    anchored: bool = False


class Section:
    """The entries of one section of a lexicon, registered in their language's index."""

    def __init__(self, entries: tuple[Entry, ...], *, index: LexiconIndex) -> None:
        self.entries = entries
        compiled = []
        for entry in entries:
            item = _PatternParser(entry.pattern).parse()
            regex = re.compile(r"(?<![^ ])" + item.regex)
            compiled.append(_Compiled(entry, regex, item.first, item.required, item.anchored))
        self.compiled: tuple[_Compiled, ...] = tuple(compiled)
        self._index = index
        self._sid = index.add(self) if entries else -1

    @property
    def sid(self) -> int:
        """This section's id in its index (-1 when it has no entry)."""
        return self._sid

    @property
    def index(self) -> LexiconIndex:
        return self._index

    def matches(self, text: TokenizedText) -> list[Match]:
        """Every match in ``text``, overlapping ones included, in token order."""
        if self._sid < 0:
            return []
        return self._index.scan(text).get(self._sid, [])

    def finditer(self, text: TokenizedText) -> Iterator[Match]:
        """The non-overlapping matches in ``text``: leftmost first, then the longest."""
        return iter(leftmost_longest(self.matches(text)))

    def search(self, text: TokenizedText) -> Match | None:
        """The first (leftmost, longest) match, or ``None``."""
        found = self.matches(text)
        return leftmost_longest(found)[0] if found else None


@dataclass(frozen=True)
class Lexicon:
    """A parsed lexicon file: header fields and compiled sections."""

    name: str
    language: str
    header: dict[str, str]
    sections: dict[str, Section]

    def section(self, name: str) -> Section:
        try:
            return self.sections[name]
        except KeyError:
            return Section((), index=LexiconIndex(self.language))

    @property
    def version(self) -> str:
        return self.header.get("version", "0")


_REQUIRED_HEADER = ("source", "licence", "version")


def parse_lexicon(text: str, *, name: str, language: str, index: LexiconIndex | None = None) -> Lexicon:
    """Parse the text of a lexicon file (see the module docstring).

    Its sections join ``index`` (package lexicons share their language's index, see
    :func:`index_for`); by default the lexicon gets an index of its own.
    """
    if index is None:
        index = LexiconIndex(language)
    header: dict[str, str] = {}
    sections: dict[str, list[Entry]] = {}
    section = "main"
    where = f"{language}/{name}.txt"
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep and not sections and key.strip().isidentifier():
                header[key.strip().lower()] = value.strip()
            continue
        line = line.split(" #", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        pattern, sep, weight_text = line.rpartition(" = ")
        if not sep:
            pattern, weight_text = line, "1.0"
        try:
            weight = float(weight_text)
        except ValueError:
            raise LexiconError(f"{where}:{number}: weight must be a number; got {weight_text!r}") from None
        try:
            compile_pattern(pattern)
        except LexiconError as exc:
            raise LexiconError(f"{where}:{number}: {exc}") from None
        sections.setdefault(section, []).append(Entry(pattern.strip(), weight, section, f"{where}:{number}"))
    missing = [key for key in _REQUIRED_HEADER if key not in header]
    if missing:
        raise LexiconError(f"{where}: provenance header lacks {', '.join(missing)}")
    return Lexicon(name, language, header, {k: Section(tuple(v), index=index) for k, v in sections.items()})


#: The sha256 of every data file of this package folder (``<language>/<name>.txt``,
#: ``*.tsv``), written by ``models/lexicons/write_manifest.py`` and checked on every read.
MANIFEST = "MANIFEST.json"


@cache
def _manifest() -> dict[str, str]:
    try:
        text = resources.files(__name__).joinpath(MANIFEST).read_text(encoding="utf-8")
        files = json.loads(text)["files"]
    except (FileNotFoundError, ValueError, KeyError, TypeError) as exc:
        raise LexiconError(f"lexicons/{MANIFEST} is missing or unreadable ({exc}); reinstall the package") from None
    return dict(files)


def has_data(path: str) -> bool:
    """Whether the package ships the lexicon data file ``path`` (e.g. ``"fr/valence_induced.tsv"``)."""
    return path in _manifest()


def read_data(path: str) -> str:
    """Text of the lexicon data file ``path`` (relative to this folder), sha256-checked.

    Raises
    ------
    LexiconError
        The file is absent, not listed in ``MANIFEST.json``, or its content does not match
        the listed sha256 (a modified or corrupted install); the message names the file and
        both hashes.
    """
    expected = _manifest().get(path)
    if expected is None:
        raise LexiconError(
            f"lexicon file {path} is not listed in lexicons/{MANIFEST}; after a deliberate change "
            "run: python models/lexicons/write_manifest.py"
        )
    try:
        raw = resources.files(__name__).joinpath(*path.split("/")).read_bytes()
    except FileNotFoundError:
        raise LexiconError(f"lexicon file {path} is listed in lexicons/{MANIFEST} but absent; reinstall the package") from None
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected:
        raise LexiconError(
            f"lexicon file {path} does not match its sha256 in lexicons/{MANIFEST} (expected {expected}, "
            f"got {actual}): the install was modified or corrupted; reinstall it, or after a deliberate "
            "change run: python models/lexicons/write_manifest.py"
        )
    return raw.decode("utf-8")


def read_rows(path: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, tab-separated fields) of each data line of the TSV file ``path``
    (:func:`read_data`: sha256-checked); blank lines and ``#`` comments are skipped."""
    for number, line in enumerate(read_data(path).splitlines(), start=1):
        if line and not line.startswith("#"):
            yield number, line.split("\t")


@cache
def load_lexicon(language: str, name: str) -> Lexicon:
    """Load package lexicon ``<language>/<name>.txt`` (cached; lexicons are immutable)."""
    path = f"{language}/{name}.txt"
    if not has_data(path):
        raise LexiconError(f"no lexicon {path} in the package")
    return parse_lexicon(read_data(path), name=name, language=language, index=index_for(language))


def lexicon_names(language: str, folder: str = "") -> list[str]:
    """Names of the lexicon files of ``language`` (inside ``folder``), sorted."""
    root = resources.files(__name__).joinpath(language)
    if folder:
        root = root.joinpath(folder)
    prefix = f"{folder}/" if folder else ""
    return sorted(prefix + p.name[:-4] for p in root.iterdir() if p.name.endswith(".txt"))


class Speller:
    """Corrects one-edit typos of a small set of key words ("agemt" -> "agent").

    Symmetric-delete lookup (as in SymSpell): a word and a key word within one
    insertion, deletion, substitution or adjacent transposition share a one-deletion
    variant. A word is corrected only to a unique key word; a substitution or a
    transposition only in words longer than ``min_length_chars`` ("give" never becomes
    "live"). Results are cached (bounded).
    """

    _CACHE_LIMIT = 100_000

    def __init__(self, keywords: list[str], *, min_length_chars: int = 4) -> None:
        self.min_length_chars = min_length_chars
        self.keywords = frozenset(fold(k) for k in keywords if len(k) >= min_length_chars)
        index: dict[str, set[str]] = {}
        for key in self.keywords:
            for variant in {key, *self._deletes(key)}:
                index.setdefault(variant, set()).add(key)
        self._index = index
        self._longest = max(map(len, self.keywords), default=0)
        self._cache: dict[str, str] = {}

    @staticmethod
    def _deletes(word: str) -> set[str]:
        return {word[:i] + word[i + 1 :] for i in range(len(word))}

    def __call__(self, word: str) -> str:
        """``word`` with its typo fixed (or unchanged)."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        fixed = self._correct(word)
        if len(self._cache) >= self._CACHE_LIMIT:
            self._cache.clear()
        self._cache[word] = fixed
        return fixed

    def correct_all(self, words: list[str]) -> list[str]:
        """Every word of a turn, fixed; a C-level map when all are cached (the usual case)."""
        fixed = list(map(self._cache.get, words))
        if None in fixed:
            fixed = [self(w) for w in words]
        return fixed

    def _correct(self, word: str) -> str:
        if word in self.keywords or len(word) < 3 or len(word) > self._longest + 1 or not word.isalpha():
            return word  # a word longer than every key word plus one letter is one edit from none
        # The word lacks one letter of a key word ("spak" -> "speak", "wth" -> "with").
        candidates = {k for k in self._index.get(word, ()) if len(k) == len(word) + 1}
        for variant in self._deletes(word):
            for key in self._index.get(variant, ()):
                if len(key) == len(word) - 1 and len(key) >= self.min_length_chars:
                    candidates.add(key)  # one letter too many ("talkk", "lpive")
                elif len(key) == len(word) and len(word) > self.min_length_chars:
                    candidates.add(key)  # one letter wrong or two swapped ("agemt")
        return candidates.pop() if len(candidates) == 1 else word
