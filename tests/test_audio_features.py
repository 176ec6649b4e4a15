"""Known-answer tests for the pure prosodic feature functions (synthetic signals)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("librosa")

from empathy_signals.audio import features as F
from empathy_signals.audio.synth import synthetic_voice, tone
from empathy_signals.errors import InputError

SR = 16000


@pytest.mark.parametrize("freq_hz", [70.0, 100.0, 150.0, 220.0, 330.0, 450.0])
def test_pitch_track_tone_known_f0(freq_hz: float) -> None:
    y8 = F.to_analysis_rate(tone(freq_hz=freq_hz, duration_s=1.0, sr_hz=SR), sr_hz=SR)
    f0, aperiodicity = F.pitch_track(y8, sr_hz=F.ANALYSIS_SR_HZ)
    inner = slice(5, -5)
    np.testing.assert_allclose(f0[inner], freq_hz, rtol=0.005)
    assert np.all(aperiodicity[inner] < 0.05)


def test_pitch_track_follows_chirp_like_librosa_yin() -> None:
    import librosa

    # Exponential chirp 100 -> 300 Hz in 2 s (librosa's own yin test uses a chirp too).
    t = np.arange(2 * SR) / SR
    f_inst = 100.0 * 3.0 ** (t / 2.0)
    y = 0.3 * np.sin(2 * np.pi * np.cumsum(f_inst) / SR)
    f0, _ = F.pitch_track(F.to_analysis_rate(y, sr_hz=SR), sr_hz=F.ANALYSIS_SR_HZ)
    centres = np.arange(f0.size) * F.HOP_S
    truth = 100.0 * 3.0 ** (centres / 2.0)
    inner = slice(5, -5)
    np.testing.assert_allclose(f0[inner], truth[inner], rtol=0.02)
    ref = librosa.yin(y, fmin=60, fmax=500, sr=SR, frame_length=1024, hop_length=160)
    n = min(ref.size, f0.size)
    cents = 1200 * np.abs(np.log2(f0[5 : n - 5] / ref[5 : n - 5]))
    assert np.median(cents) < 10


def test_pitch_track_rejects_bad_range() -> None:
    with pytest.raises(InputError, match="fmin_hz"):
        F.pitch_track(np.zeros(800), sr_hz=8000, fmin_hz=300.0, fmax_hz=200.0)


@pytest.mark.parametrize("level_dbfs", [-6.0, -20.0, -45.0])
def test_frame_levels_known_dbfs(level_dbfs: float) -> None:
    y = tone(freq_hz=440.0, duration_s=1.0, sr_hz=SR, level_dbfs=level_dbfs)
    levels = F.frame_levels_dbfs(y, sr_hz=SR)
    np.testing.assert_allclose(np.median(levels), level_dbfs, atol=0.1)


def test_level_statistics_two_steps() -> None:
    y = np.concatenate(
        [
            tone(freq_hz=200.0, duration_s=1.0, level_dbfs=-20.0),
            tone(freq_hz=200.0, duration_s=1.0, level_dbfs=-30.0),
        ]
    )
    levels = F.frame_levels_dbfs(y, sr_hz=SR)
    stats = F.level_statistics(levels_dbfs=levels, active=F.activity_mask(levels))
    # power mean of -20 and -30 dB halves: 10*log10((0.01 + 0.001) / 2) = -22.6 dBFS
    assert stats["loudness_dbfs"] == pytest.approx(-22.6, abs=0.3)
    assert stats["loudness_sd_db"] == pytest.approx(5.0, abs=0.3)
    assert stats["loudness_range_db"] == pytest.approx(10.0, abs=0.5)


def test_level_statistics_do_not_depend_on_gain() -> None:
    y = synthetic_voice(seed=3)
    a = F.extract_features(y, sr_hz=SR)
    b = F.extract_features(y * 0.01, sr_hz=SR)
    assert b["loudness_dbfs"] == pytest.approx(a["loudness_dbfs"] - 40.0, abs=1e-4)
    for key in ("loudness_sd_db", "loudness_range_db", "loudness_peak_db", "alpha_ratio_db"):
        assert b[key] == pytest.approx(a[key], abs=1e-4)


def test_pauses_and_long_silences() -> None:
    voice = tone(freq_hz=150.0, duration_s=0.5)
    gap = np.zeros(int(0.5 * SR))
    long_gap = np.zeros(int(1.3 * SR))
    y = np.concatenate([voice, gap, voice, long_gap, voice])
    levels = F.frame_levels_dbfs(y, sr_hz=SR)
    stats = F.pause_statistics(active=F.activity_mask(levels))
    assert stats["pause_count"] == 2
    assert stats["long_silence_count"] == 1
    assert stats["longest_pause_s"] == pytest.approx(1.3, abs=0.05)
    assert stats["speech_s"] == pytest.approx(3.3, abs=0.05)


def test_silence_has_no_activity() -> None:
    levels = F.frame_levels_dbfs(np.zeros(SR), sr_hz=SR)
    assert not F.activity_mask(levels).any()


@pytest.mark.parametrize("rate", [3.0, 5.0])
def test_syllable_rate_of_known_envelope(rate: float) -> None:
    y = synthetic_voice(syllable_rate_per_s=rate, duration_s=3.0, intonation_st=0.0)
    feats = F.extract_features(y, sr_hz=SR)
    assert feats["syllable_rate_per_s"] == pytest.approx(rate, rel=0.15)


def test_f0_statistics_of_a_glide() -> None:
    # One octave up in one second: 12 semitones per second, 10-90 % range ~ 9.6 st.
    glide = synthetic_voice(
        f0_hz=110.0,
        duration_s=1.0,
        intonation_st=0.0,
        declination_st_per_s=12.0,
        syllable_rate_per_s=0.0,
    )
    feats = F.extract_features(glide, sr_hz=SR)
    assert feats["f0_slope_st_per_s"] == pytest.approx(12.0, rel=0.05)
    assert feats["f0_range_st"] == pytest.approx(9.6, abs=0.6)
    steady = F.extract_features(
        synthetic_voice(f0_hz=180.0, intonation_st=0.0, declination_st_per_s=0.0), sr_hz=SR
    )
    assert steady["f0_median_hz"] == pytest.approx(180.0, rel=0.005)
    assert steady["f0_range_st"] < 0.1
    assert steady["f0_perturbation_pct"] < 0.1


def test_flatter_spectrum_reads_as_more_effort() -> None:
    relaxed = F.extract_features(synthetic_voice(tilt_db_per_oct=-12.0), sr_hz=SR)
    pressed = F.extract_features(synthetic_voice(tilt_db_per_oct=-6.0), sr_hz=SR)
    assert pressed["alpha_ratio_db"] > relaxed["alpha_ratio_db"] + 4.0
    assert pressed["hammarberg_db"] < relaxed["hammarberg_db"] - 4.0
    # The slope of the long-term spectrum follows the source tilt (6 dB/oct apart).
    diff = pressed["spectral_slope_db_per_oct"] - relaxed["spectral_slope_db_per_oct"]
    assert diff == pytest.approx(6.0, abs=1.0)


def test_noise_is_not_voiced() -> None:
    rng = np.random.default_rng(0)
    feats = F.extract_features(0.1 * rng.standard_normal(SR), sr_hz=SR)
    assert feats["voiced_ratio"] < 0.05
    assert "f0_median_hz" not in feats


def test_features_are_finite_and_8k_input_is_accepted() -> None:
    y = synthetic_voice(pauses_s=[(0.8, 1.1)], duration_s=2.5)
    wide = F.extract_features(y, sr_hz=SR)
    narrow = F.extract_features(F.to_analysis_rate(y, sr_hz=SR), sr_hz=8000)
    assert all(np.isfinite(v) for v in wide.values())
    assert narrow["f0_median_hz"] == pytest.approx(wide["f0_median_hz"], rel=0.002)
    assert narrow["alpha_ratio_db"] == pytest.approx(wide["alpha_ratio_db"], abs=0.1)


def test_clipping_fraction() -> None:
    y = synthetic_voice()
    assert F.clipping_fraction(y) < 1e-3
    clipped = np.clip(y * 4.0, -0.1, 0.1)
    assert F.clipping_fraction(clipped) > 0.05
    assert F.clipping_fraction(np.zeros(10)) == 0.0


def test_words_per_second() -> None:
    words = [(0.0, 0.3), (0.35, 0.6), {"word": "x", "start": 0.7, "end": 1.0}]
    assert F.words_per_second(words) == pytest.approx(3.0)
    assert F.words_per_second([(0.0, 0.5)]) is None
    feats = F.extract_features(synthetic_voice(), sr_hz=SR, word_timestamps=words)
    assert feats["words_per_s"] == pytest.approx(3.0)


@pytest.mark.parametrize("bad", [[(0.5, 0.2)], [("a", 1)], [{"start": 0.1}], [(float("nan"), 1)]])
def test_words_per_second_errors_name_the_field(bad: list) -> None:
    with pytest.raises(InputError, match=r"word_timestamps\[0\]"):
        F.words_per_second(bad)
