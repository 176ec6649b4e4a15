"""French induced valence (models/lexicons/induce_fr_valence.py): data file and blend."""

from __future__ import annotations

from importlib import resources

import pytest

from empathy_signals.signals import sentiment


def _induced_file() -> str:
    return resources.files("empathy_signals.lexicons").joinpath("fr", "valence_induced.tsv").read_text(encoding="utf-8")


def test_file_has_provenance_and_values_in_range() -> None:
    text = _induced_file()
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any(line.startswith("# input sha256: lexicons/en/valence.tsv") for line in header)
    assert any(line.startswith("# blend: INDUCED_VALENCE_BLEND['fr']=") for line in header)
    values = sentiment._load_induced("fr")
    assert len(values) > 5000
    assert all(-4.0 <= v <= 4.0 for v in values.values())


def test_blend_constant_matches_header() -> None:
    share = sentiment.INDUCED_VALENCE_BLEND["fr"]
    assert 0.0 < share <= 1.0
    assert f"INDUCED_VALENCE_BLEND['fr']={share} " in _induced_file()
    assert "en" not in sentiment.INDUCED_VALENCE_BLEND


def test_blend_applied_to_vendored_word() -> None:
    induced = sentiment._load_induced("fr")
    share = sentiment.INDUCED_VALENCE_BLEND["fr"]
    rec = sentiment._Tables("fr").cache["magnifique"]  # vendored 2.3, not a care.txt word
    assert rec.source.startswith("fr/valence.tsv:")
    assert rec.valence == pytest.approx((1 - share) * 2.3 + share * induced["magnifique"])


def test_blend_off_restores_vendored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentiment, "INDUCED_VALENCE_BLEND", {})
    assert sentiment._Tables("fr").cache["magnifique"].valence == pytest.approx(2.3)


def test_care_words_keep_their_hand_written_valence() -> None:
    tables = sentiment._Tables("fr")
    care = [w for w, r in tables.cache.items() if r is not None and "care.txt" in r.source]
    assert care
    entries = {e.source: e.weight for e in tables.care.entries}
    for word in care[:50]:
        rec = tables.cache[word]
        assert rec.valence == pytest.approx(entries[rec.source])
