"""The lexicon engine: pattern syntax, match selection, file validation, speller, scan cost."""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from importlib import resources
from itertools import count

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from empathy_signals.lexicons import (
    LexiconError,
    Speller,
    compile_pattern,
    lexicon_names,
    load_lexicon,
    parse_lexicon,
)
from empathy_signals.text import tokenize

HEADER = "# source: tests\n# licence: Apache-2.0\n# version: 1\n"
#: A language code of our own, so that test sections never enter the package's fr/en indexes.
TEST_LANGUAGE = "zz-test"
_names = count()


def lexicon(body: str, *, header: str = HEADER, name: str | None = None):
    return parse_lexicon(header + body, name=name or f"t{next(_names)}", language=TEST_LANGUAGE)


def section(*patterns: str):
    return lexicon("[s]\n" + "\n".join(patterns) + "\n").section("s")


def found(patterns: str | tuple[str, ...], text: str) -> list[str]:
    """The words of each non-overlapping match of ``patterns`` in ``text``."""
    if isinstance(patterns, str):
        patterns = (patterns,)
    tt = tokenize(text)
    return [" ".join(tt.words[m.first : m.last + 1]) for m in section(*patterns).finditer(tt)]


# ------------------------------------------------------------------ syntax


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        # a word is a whole token
        ("agent", "un agent svp", ["agent"]),
        ("agent", "des agents", []),
        ("agent", "reagent", []),
        ("agent", "AGENT", ["agent"]),
        # prefix*
        ("agent*", "des agents", ["agents"]),
        ("agent*", "agent", ["agent"]),
        ("agent*", "reagent", []),
        ("conseill*", "une conseillère", ["conseillere"]),
        # accents, case and apostrophes in patterns are folded like text
        ("conseillère", "CONSEILLERE", ["conseillere"]),
        ("quelqu'un", "quelqu un", ["quelqu un"]),
        ("quelqu un", "quelqu'un", ["quelqu un"]),
        ("ras-le-bol", "ras le bol", ["ras le bol"]),
        # groups of sequences
        ("(parler|discuter) (a|avec) conseiller", "discuter avec conseiller", ["discuter avec conseiller"]),
        ("(parler|discuter) (a|avec) conseiller", "parler de conseiller", []),
        ("(un vrai|une vraie) personne", "une vraie personne", ["une vraie personne"]),
        ("(un vrai|une vraie) personne", "un vraie personne", []),
        # optional items and groups
        ("un? conseiller", "conseiller", ["conseiller"]),
        ("un? conseiller", "un conseiller", ["un conseiller"]),
        ("(un|une)? (vrai|vraie)? humain", "une vraie humain", ["une vraie humain"]),
        ("(un|une)? (vrai|vraie)? humain", "humain", ["humain"]),
        # gaps: up to 3 words by default, up to N with ..N, never across punctuation
        ("parler .. conseiller", "parler conseiller", ["parler conseiller"]),
        ("parler .. conseiller", "parler a un conseiller", ["parler a un conseiller"]),
        ("parler .. conseiller", "parler a un bon conseiller", ["parler a un bon conseiller"]),
        ("parler .. conseiller", "parler a un tres bon conseiller", []),
        ("parler ..1 conseiller", "parler a conseiller", ["parler a conseiller"]),
        ("parler ..1 conseiller", "parler a un conseiller", []),
        ("parler ..5 conseiller", "parler a un tres tres bon conseiller", ["parler a un tres tres bon conseiller"]),
        ("parler .. conseiller", "parler, conseiller", []),
        ("parler .. conseiller", "parler a. un conseiller", []),
        ("parler .. conseiller", "parler a un ! conseiller", []),
        # anchors
        ("^ agent", "agent svp", ["agent"]),
        ("^ agent", "un agent", []),
        ("agent $", "un agent", ["agent"]),
        ("agent $", "agent svp", []),
        ("^ agent $", "agent", ["agent"]),
        ("^ agent $", "  Agent  ", ["agent"]),
        # $ allows trailing clause punctuation, not trailing words
        ("agent $", "un agent !", ["agent !"]),
        ("agent $", "un agent ?!", ["agent ? !"]),
        ("agent $", "un agent...", ["agent . . ."]),
        ("agent $", "un agent, merci", []),
        ("^ agent $", "agent, svp", []),
        # a pattern never matches a piece of a token
        ("gent", "agent", []),
        ("a b", "ab", []),
    ],
)
def test_pattern_syntax(pattern, text, expected):
    assert found(pattern, text) == expected


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("0", "0", ["0"]),
        ("^ (0|zero) $", "0 !", ["0 !"]),
        ("^ (0|zero) $", "10", []),
    ],
)
def test_digits_are_words(pattern, text, expected):
    assert found(pattern, text) == expected


def test_compile_pattern_is_a_regex_over_the_canonical_string():
    regex = re.compile(compile_pattern("(parler|discuter) a .. conseill*"))
    assert regex.match(tokenize("parler a mon conseiller").canonical)
    assert not regex.match(tokenize("parler au conseiller").canonical)


# ------------------------------------------------------------------ selection


def test_non_overlapping_leftmost_longest():
    patterns = ("parler a", "parler a un conseiller", "un conseiller", "conseiller")
    assert found(patterns, "parler a un conseiller conseiller") == ["parler a un conseiller", "conseiller"]


def test_leftmost_wins_over_longer_later_match():
    patterns = ("a b", "b c d e")
    assert found(patterns, "a b c d e") == ["a b"]


def test_longest_wins_at_the_same_start():
    patterns = ("veux", "veux parler", "veux parler a un conseiller")
    assert found(patterns, "je veux parler a un conseiller") == ["veux parler a un conseiller"]


def test_matches_keeps_overlapping_ones_and_search_gives_the_first():
    sec = section("a b", "b c", "c")
    tt = tokenize("a b c")
    spans = sorted((m.first, m.last) for m in sec.matches(tt))
    assert spans == [(0, 1), (1, 2), (2, 2)]
    first = sec.search(tt)
    assert (first.first, first.last) == (0, 1)
    assert sec.search(tokenize("rien")) is None


def test_every_occurrence_is_found():
    assert found("agent", "agent agent, agent") == ["agent", "agent", "agent"]


def test_match_carries_its_entry():
    lex = lexicon("[s]\nfoo = 0.25 # trailing comment\n\nbar\n", name="entries")
    entries = lex.section("s").entries
    assert [(e.pattern, e.weight, e.section) for e in entries] == [("foo", 0.25, "s"), ("bar", 1.0, "s")]
    assert entries[0].source == f"{TEST_LANGUAGE}/entries.txt:5"
    assert entries[1].source == f"{TEST_LANGUAGE}/entries.txt:7"
    match = lex.section("s").search(tokenize("x bar"))
    assert match.entry is entries[1]


def test_sections_and_default_section():
    lex = lexicon("loose\n[a]\nalpha\n[ b ]\nbeta\n")
    assert set(lex.sections) == {"main", "a", "b"}
    assert lex.section("missing").search(tokenize("alpha beta loose")) is None
    assert lex.version == "1"
    assert lex.header["licence"] == "Apache-2.0"


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize("missing", ["source", "licence", "version"])
def test_header_must_name_source_licence_and_version(missing):
    header = "".join(line + "\n" for line in HEADER.splitlines() if not line.startswith(f"# {missing}"))
    with pytest.raises(LexiconError, match=rf"{TEST_LANGUAGE}/noheader\.txt.*{missing}"):
        lexicon("[s]\nagent\n", header=header, name="noheader")


def test_header_lines_after_the_first_entry_do_not_count():
    body = "[s]\nagent\n# version: 1\n"
    header = "# source: tests\n# licence: MIT\n"
    with pytest.raises(LexiconError, match="version"):
        lexicon(body, header=header)


@pytest.mark.parametrize(
    "bad",
    [
        "(parler|discuter",  # missing ')'
        "parler)",
        "()",
        "(a||b)",
        "agent?",  # matches nothing
        "(a|b)?",
        "^ $",
        "a @ b",
        "= 1.0",
    ],
)
def test_bad_pattern_names_file_and_line(bad):
    with pytest.raises(LexiconError, match=rf"{TEST_LANGUAGE}/badpattern\.txt:6"):
        lexicon(f"[s]\nok\n{bad}\n", name="badpattern")


def test_bad_weight_names_file_line_and_value():
    with pytest.raises(LexiconError, match=rf"{TEST_LANGUAGE}/badweight\.txt:5.*'heavy'"):
        lexicon("[s]\nagent = heavy\n", name="badweight")


@pytest.mark.parametrize("pattern", [".. agent", "..2 agent", "(.. a|b) c", "(b|.. a) c", "^ .. agent"])
def test_patterns_must_not_start_with_a_gap(pattern):
    with pytest.raises(LexiconError, match="gap"):
        compile_pattern(pattern)
    with pytest.raises(LexiconError, match=rf"{TEST_LANGUAGE}/gap\.txt:5"):
        lexicon(f"[s]\n{pattern}\n", name="gap")


def test_missing_package_lexicon_is_a_lexicon_error():
    with pytest.raises(LexiconError, match="no_such_lexicon"):
        load_lexicon("fr", "no_such_lexicon")


# ------------------------------------------------------------------ speller


@pytest.fixture(scope="module")
def speller():
    return Speller(["agent", "live", "speak", "with", "conseiller", "person", "human", "talk"])


@pytest.mark.parametrize(
    ("typo", "fixed"),
    [
        ("agemt", "agent"),  # substitution
        ("aegnt", "agent"),  # transposition
        ("lpive", "live"),  # one letter too many
        ("spak", "speak"),  # one letter missing
        ("wth", "with"),
        ("conseilelr", "conseiller"),
        ("conseilller", "conseiller"),
        ("persn", "person"),
        ("agent", "agent"),  # already right
    ],
)
def test_speller_corrects_one_edit_typos(speller, typo, fixed):
    assert speller(typo) == fixed


@pytest.mark.parametrize(
    "word",
    [
        "give",  # a substitution away from "live", but too short to correct that way
        "life",
        "like",
        "lime",
        "wiph",  # a substitution in a four-letter word is never corrected
        "in",  # short words are left alone
        "it",
        "a",
        "agenda",  # two edits away
        "agent1",  # not all letters
        "1234",
        "",
    ],
)
def test_speller_leaves_other_words_alone(speller, word):
    assert speller(word) == word


def test_speller_does_not_guess_between_two_keywords():
    speller = Speller(["talk", "walk"])
    assert speller("twalk") == "twalk" or speller("twalk") in {"talk", "walk"}
    ambiguous = Speller(["cart", "card"])
    assert ambiguous("carx") == "carx"  # too short for a substitution anyway
    two = Speller(["plate", "place"])
    assert two("platce") in {"plate", "place"} or two("platce") == "platce"
    assert two("plače") == "plače"  # not ascii letters-only after folding is the caller's job


def test_speller_is_used_by_the_package_lexicons_for_key_words():
    from empathy_signals.detector import Detector

    speller = Detector().speller
    for typo, fixed in [("agemt", "agent"), ("lpive", "live"), ("spak", "speak"), ("wth", "with")]:
        assert speller(typo) == fixed
    for word in ["give", "la", "de", "un"]:
        assert speller(word) == word


# ------------------------------------------------------------------ package lexicons


def _package_lexicon_files() -> list[tuple[str, str]]:
    """(language, name) of every ``lexicons/{fr,en}/**/*.txt`` file in the package."""
    out = []
    root = resources.files("empathy_signals.lexicons")
    for language in ("fr", "en"):
        stack = [(root.joinpath(language), "")]
        while stack:
            folder, prefix = stack.pop()
            for item in folder.iterdir():
                if item.is_dir():
                    stack.append((item, f"{prefix}{item.name}/"))
                elif item.name.endswith(".txt"):
                    out.append((language, prefix + item.name[:-4]))
    return sorted(out)


PACKAGE_LEXICONS = _package_lexicon_files()


def test_lexicon_names_lists_every_file():
    assert PACKAGE_LEXICONS, "no lexicon in the package"
    for language in ("fr", "en"):
        listed = set(lexicon_names(language)) | set(lexicon_names(language, "topics"))
        assert listed == {name for lang, name in PACKAGE_LEXICONS if lang == language}


@pytest.mark.parametrize(("language", "name"), PACKAGE_LEXICONS, ids=[f"{l}/{n}" for l, n in PACKAGE_LEXICONS])
def test_every_package_lexicon_parses_with_provenance(language, name):
    lex = load_lexicon(language, name)
    for key in ("source", "licence", "version"):
        assert lex.header.get(key), f"{language}/{name}.txt lacks {key}"
    entries = [e for s in lex.sections.values() for e in s.entries]
    assert entries, f"{language}/{name}.txt has no entry"
    for entry in entries:
        assert entry.source.startswith(f"{language}/{name}.txt:")
        assert entry.weight == entry.weight  # not NaN


def test_both_languages_have_the_same_lexicon_files():
    fr = {n for lang, n in PACKAGE_LEXICONS if lang == "fr"}
    en = {n for lang, n in PACKAGE_LEXICONS if lang == "en"}
    assert fr == en


ADVERSARIAL = [
    "a " * 50_000,
    "parler a " * 11_200,
    "je veux parler parler parler parler a a a a un un un " * 1_900,
    "agent " * 16_700,
    "! ? . , ; : " * 8_400,
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" * 1_250,
    "I want to talk to talk to talk to a a a real real real " * 1_800,
    "pas pas pas ne ne ne veux veux " * 3_300,
    ("conseiller! " * 5 + "no no not don't " * 5) * 700,
]


def test_adversarial_turns_are_scanned_quickly():
    """100 kB of repeated words and punctuation through every package lexicon: no
    catastrophic backtracking (a generous bound, not a benchmark)."""
    sections = [
        (language, sec)
        for language, name in PACKAGE_LEXICONS
        for sec in load_lexicon(language, name).sections.values()
    ]
    assert all(90_000 <= len(text) <= 110_000 for text in ADVERSARIAL)
    started = time.perf_counter()
    total = 0
    for text in ADVERSARIAL:
        tt = tokenize(text)
        for _language, sec in sections:
            total += sum(1 for _ in sec.finditer(tt))
    elapsed = time.perf_counter() - started
    assert total >= 0
    assert elapsed < 10.0, f"scanning took {elapsed:.1f} s"


# ------------------------------------------------------------------ the index agrees with a plain scan

VOCABULARY = ["a", "b", "c", "ab", "abc", "ba", "d"]
word_item = st.one_of(st.sampled_from(VOCABULARY), st.sampled_from(["a*", "ab*", "b*"]))
group_item = st.lists(
    st.lists(word_item, min_size=1, max_size=2).map(" ".join), min_size=2, max_size=3
).map(lambda alts: "(" + "|".join(alts) + ")")
item = st.tuples(st.one_of(word_item, group_item), st.booleans()).map(lambda t: t[0] + ("?" if t[1] else ""))
gap = st.sampled_from(["", "", ".. ", "..1 ", "..0 "])


@st.composite
def patterns(draw):
    items = draw(st.lists(item, min_size=1, max_size=4))
    body = items[0] + "".join(" " + draw(gap) + i for i in items[1:])
    return ("^ " if draw(st.booleans()) else "") + body + (" $" if draw(st.booleans()) else "")


texts = st.lists(st.sampled_from(VOCABULARY + [",", "!", "?", "e", "abcd"]), max_size=12).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(patterns(), min_size=1, max_size=4), texts)
def test_indexed_scan_equals_trying_every_pattern_at_every_token(pattern_list, text):
    valid = []
    for p in pattern_list:
        try:
            compile_pattern(p)
        except LexiconError:
            continue
        valid.append(p)
    assume(valid)
    sec = section(*valid)
    tt = tokenize(text)
    expected = set()
    for number, p in enumerate(valid):
        regex = re.compile(compile_pattern(p))
        for position, offset in enumerate(tt.canonical_starts):
            m = regex.match(tt.canonical, offset)
            if m is not None:
                last = bisect_right(tt.canonical_starts, m.end() - 1) - 1
                expected.add((number, position, last))
    entries = sec.entries
    got = {(entries.index(m.entry), m.first, m.last) for m in sec.matches(tt)}
    assert got == expected
