"""Text folding and tokenisation: offsets in folded text are offsets in the original."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from empathy_signals.lexicons import Speller
from empathy_signals.text import CLAUSE_PUNCTUATION, TokenizedText, fold, tokenize

#: Characters that have tripped up case folding elsewhere: a dotted capital I that lowers to
#: two code points, sharp s, combining marks, ligatures, emoji (astral), RTL, Greek sigma.
TRICKY = [
    "İ", "ı", "ß", "ẞ", "e\u0301", "\u0301", "\u0327", "ﬁ", "ﬀ", "Ⅻ", "ǅ", "Σ", "ς",
    "😡", "👍🏽", "🤦‍♀️", "\u200d", "\u00a0", "\u2019", "\u02bc", "`", "´", "ع", "中",
    "Œ", "æ", "ŉ", "\t", "\n", "\x00", "\x7f", "…", "«", "»", "-", "'",
]

unicode_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
tricky_text = st.lists(
    st.one_of(st.sampled_from(TRICKY), st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=3)),
    max_size=25,
).map("".join)
any_text = st.one_of(unicode_text, tricky_text)


# ------------------------------------------------------------------ fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Désolé, ÇA NE VA PAS", "desole, ca ne va pas"),
        ("Énervé À L'ÉCOUTE", "enerve a l'ecoute"),
        ("l\u2019agent", "l'agent"),
        ("l\u02bcagent", "l'agent"),
        ("Noël, maïs, cœur", "noel, mais, cœur"),
        ("ß", "ß"),
    ],
)
def test_fold_examples(text, folded):
    assert fold(text) == folded


@settings(max_examples=300)
@given(any_text)
def test_fold_keeps_one_character_per_character(text):
    folded = fold(text)
    assert len(folded) == len(text)
    # Folding is a per-code-point map: folding a slice is slicing the fold.
    for start in range(0, len(text), 3):
        assert fold(text[start : start + 4]) == folded[start : start + 4]


@given(any_text)
def test_fold_is_idempotent_in_length(text):
    assert len(fold(fold(text))) == len(text)


@pytest.mark.parametrize("char", [c for c in TRICKY if len(c) == 1])
def test_fold_of_single_tricky_character_is_single(char):
    assert len(fold(char)) == 1
    assert len(fold(char * 5)) == 5


# ------------------------------------------------------------------ tokens and offsets


@settings(max_examples=300)
@given(any_text)
def test_tokens_point_into_the_original(text):
    tt = tokenize(text)
    assert tt.original == text
    assert len(tt.words) == len(tt.starts) == len(tt.ends)
    previous_end = 0
    for word, start, end in zip(tt.words, tt.starts, tt.ends):
        assert previous_end <= start < end <= len(text)
        previous_end = end
        raw_folded = fold(text[start:end])
        assert raw_folded == tt.folded[start:end]
        if not any(raw_folded[i] == raw_folded[i + 1] == raw_folded[i + 2] for i in range(len(raw_folded) - 2)):
            assert word == raw_folded  # no elongation: the word is exactly the folded slice
        assert len(word) <= end - start
    for first in range(len(tt.words)):
        for last in range(first, min(first + 3, len(tt.words))):
            start, end = tt.span(first, last)
            assert text[start:end] == text[tt.starts[first] : tt.ends[last]]


@settings(max_examples=200)
@given(any_text)
def test_canonical_string_offsets_agree_with_words(text):
    tt = tokenize(text)
    canonical = tt.canonical
    assert canonical == ("".join(w + " " for w in tt.words))
    for i, (word, cstart, cend) in enumerate(zip(tt.words, tt.canonical_starts, tt.canonical_ends)):
        assert canonical[cstart:cend] == word
        assert tt.token_range(cstart, cend) == (i, i)


@settings(max_examples=200)
@given(any_text)
def test_tokens_objects_are_parallel_to_words(text):
    tt = tokenize(text)
    assert [t.text for t in tt.tokens] == list(tt.words)
    assert [(t.start, t.end) for t in tt.tokens] == list(zip(tt.starts, tt.ends))


def test_offsets_survive_a_capital_dotted_i_and_emoji():
    text = "İstanbul 😡 l'AGENT, s'il vous plaît"
    tt = tokenize(text)
    agent = tt.words.index("agent")
    assert text[tt.starts[agent] : tt.ends[agent]] == "AGENT"
    plait = tt.words.index("plait")
    assert text[tt.starts[plait] : tt.ends[plait]] == "plaît"


def test_offsets_survive_combining_marks():
    text = "Je suis de\u0301c\u0327u, conseiller"  # "déçu" written with combining marks
    tt = tokenize(text)
    i = tt.words.index("conseiller")
    assert text[tt.starts[i] : tt.ends[i]] == "conseiller"
    assert len(tt.folded) == len(text)


# ------------------------------------------------------------------ word boundaries


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("l'agent", ("l", "agent")),
        ("l\u2019agent", ("l", "agent")),
        ("quelqu'un", ("quelqu", "un")),
        ("ras-le-bol", ("ras", "le", "bol")),
        ("passez-moi un humain", ("passez", "moi", "un", "humain")),
        ("I don't need", ("i", "don", "t", "need")),
        ("Really?! No.", ("really", "?", "!", "no", ".")),
        ("a,b;c:d", ("a", ",", "b", ";", "c", ":", "d")),
        ("e-mail / SMS", ("e", "mail", "sms")),
        ("", ()),
        ("   ", ()),
    ],
)
def test_apostrophes_and_hyphens_split_words_and_clause_punctuation_is_kept(text, words):
    assert tokenize(text).words == words


def test_clause_punctuation_is_the_documented_set():
    assert CLAUSE_PUNCTUATION == frozenset(".,;:!?")


@pytest.mark.parametrize(("text", "empty"), [("", True), ("  \n\t", True), ("?!...", True), ("ok", False), ("0", False)])
def test_is_empty(text, empty):
    assert tokenize(text).is_empty is empty


# ------------------------------------------------------------------ elongation and capitals


@pytest.mark.parametrize(
    ("text", "word", "elongated"),
    [
        ("noooon", "noon", True),
        ("NUUUUL", "nuul", True),
        ("siiiiiiii", "sii", True),
        ("nul", "nul", False),
        ("noon", "noon", False),  # two letters is ordinary spelling
        ("1000", "1000", False),  # digits are never elongation
        ("0000000", "0000000", False),
    ],
)
def test_elongation_collapses_to_two_letters(text, word, elongated):
    tt = tokenize(text)
    assert tt.words == (word,)
    assert tt.tokens[0].elongated is elongated
    assert (tt.starts[0], tt.ends[0]) == (0, len(text))  # the span still covers what was written


def test_elongated_word_keeps_its_full_span_among_others():
    text = "c'est nuuuuul franchement"
    tt = tokenize(text)
    i = tt.words.index("nuul")
    assert text[tt.starts[i] : tt.ends[i]] == "nuuuuul"


@pytest.mark.parametrize(
    ("text", "shouted"),
    [("NUL", True), ("Nul", False), ("A", False), ("OK", True), ("ÉNERVÉ", True), ("123", False)],
)
def test_shouted_flag(text, shouted):
    assert tokenize(text).tokens[0].shouted is shouted


def test_correct_hook_rewrites_words_not_offsets():
    speller = Speller(["agent", "conseiller"])
    text = "un AGEMT ou un conseilelr"
    tt = tokenize(text, correct=speller)
    assert tt.words == ("un", "agent", "ou", "un", "conseiller")
    assert text[tt.starts[1] : tt.ends[1]] == "AGEMT"
    assert text[tt.starts[4] : tt.ends[4]] == "conseilelr"


def test_tokenized_text_type():
    assert isinstance(tokenize("x"), TokenizedText)
