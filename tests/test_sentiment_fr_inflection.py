"""French valence: inflected forms of vendored words, care additions, neutral band.

Sentences written for these tests (never taken from eval-only data).
"""

from __future__ import annotations

import pytest

from empathy_signals.signals import sentiment
from empathy_signals.signals.base import TurnInput
from empathy_signals.signals.resources import LanguagePack
from empathy_signals.text import fold, tokenize

PACKS = {language: LanguagePack(language) for language in ("fr", "en")}


def v(text: str, language: str = "fr") -> float:
    return sentiment.valence(TurnInput(0, tokenize(text), language, PACKS[language])).score


def rec(word: str, language: str = "fr"):
    tables = sentiment._Tables(language)
    word = fold(word)
    return tables.cache[word] if word in tables.cache else tables.lookup(word)


def valence_of(word: str, language: str = "fr") -> float | None:
    r = rec(word, language)
    return r.valence if r is not None and r.flags & sentiment._VALENCE else None


@pytest.mark.parametrize(
    ("form", "lemma"),
    [
        ("aimais", "aimer"),  # imperfect of an -er verb
        ("aimerais", "aimer"),  # conditional
        ("détestent", "détester"),  # present, 3rd plural
        ("trahissait", "trahir"),  # second-group -ir verb
        ("bienfaisante", "bienfaisant"),  # -ant -> -ante
        ("inquiétait", "inquiéter"),  # imperfect
        ("jolies", "joli"),  # feminine plural
        ("cadeaux", "cadeau"),  # -eau -> -eaux
    ],
)
def test_inflected_form_takes_its_lemma_valence(form: str, lemma: str) -> None:
    assert valence_of(lemma) is not None
    assert valence_of(form) == pytest.approx(valence_of(lemma))
    assert rec(form).source == rec(lemma).source  # the lemma's line explains the hit


def test_forms_the_lexicon_lists_keep_their_own_valence() -> None:
    tables = sentiment._Tables("fr")
    listed = tables.cache["perdus"]  # listed in fr/valence.tsv itself
    assert listed.source.startswith("fr/valence.tsv:")
    without = sentiment.INFLECT_VALENCE
    try:
        sentiment.INFLECT_VALENCE = {}
        plain = sentiment._Tables("fr").cache["perdus"]
    finally:
        sentiment.INFLECT_VALENCE = without
    assert (listed.valence, listed.source) == (plain.valence, plain.source)


@pytest.mark.parametrize("word", ["enfant", "rations", "galerie", "fraise"])
def test_collision_guards(word: str) -> None:
    # "enfer" -> "enfant" (no -ant participle), "rater" -> "rations" (no -ions), "galère*"
    # does not cover "galerie"; "fraise" is not a feminine of "frais"... except by "-is":
    # it must at least not come from a verb or a care prefix.
    r = rec(word)
    if word == "fraise":
        assert r is None or "care.txt" not in r.source
    else:
        assert r is None or not r.flags & sentiment._VALENCE


def test_care_and_function_words_override_inflections() -> None:
    assert "care.txt" in rec("contente").source  # content* in care.txt
    assert rec("trop").flags & sentiment._BOOSTER and not rec("trop").flags & sentiment._VALENCE


def test_english_is_not_inflected() -> None:
    assert "en" not in sentiment.INFLECT_VALENCE
    assert sentiment._french_inflections("aimer") >= {"aime", "aimais", "aimerais", "aimee"}
    assert sentiment._french_inflections("bon") == set()  # shorter than 4 letters


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("Je les aimais tellement", 1),
        ("Des conseillères charmantes et jolies", 1),
        ("Ils détestent ce nouveau service", -1),
        ("Vous m'avez trahie", -1),
        ("J'ai trop hâte de recevoir ma commande", 1),
        ("J'adore cette appli", 1),
        ("Quelle galère avec ce colis", -1),
        ("Service client injoignable depuis lundi", -1),
        ("Livraison rapide, conseiller serviable", 1),
    ],
)
def test_written_sentences(text: str, sign: int) -> None:
    assert v(text) * sign > sentiment.NEUTRAL_BAND["fr"]


def test_negation_still_applies_to_inflected_forms() -> None:
    assert v("Je les aimais") > 0 > v("Je ne les aimais pas")
    assert v("Ils ne détestent pas ce service") > v("Ils détestent ce service")


def test_french_band_is_documented_and_inside_vader_range() -> None:
    assert 0.05 <= sentiment.NEUTRAL_BAND["fr"] <= sentiment.NEUTRAL_BAND["en"]
