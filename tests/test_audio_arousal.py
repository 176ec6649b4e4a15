"""Arousal, per-caller baseline, explanations, degenerate audio and streaming."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("librosa")

from empathy_signals.audio import NEUTRAL_AROUSAL, ProsodyResult, ProsodyTracker
from empathy_signals.audio.arousal import AROUSAL_BIAS, analyze_prosody
from empathy_signals.audio.baseline import CallerBaseline
from empathy_signals.audio.synth import synthetic_voice
from empathy_signals.errors import InputError

SR = 16000


def calm(seed: int = 0, **kw: float) -> np.ndarray:
    return synthetic_voice(
        f0_hz=kw.pop("f0_hz", 120.0),
        tilt_db_per_oct=kw.pop("tilt", -12.0),
        seed=seed,
        duration_s=2.0,
        **kw,
    )


def test_import_is_light() -> None:
    code = (
        "import sys, empathy_signals.audio as a; a.ProsodyTracker; a.load_audio; "
        "assert 'librosa' not in sys.modules and 'soundfile' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("y", "reason"),
    [
        (np.zeros(SR), "silence"),
        (np.full(SR, 1e-7), "silence"),
        (np.ones(int(0.2 * SR)) * 0.1, "too_short"),
        (np.zeros(0), "too_short"),
        (np.where(np.arange(SR) == 5, np.nan, 0.1), "non_finite"),
        (np.where(np.arange(SR) == 5, np.inf, 0.1), "non_finite"),
        (np.clip(4 * synthetic_voice(duration_s=1.0), -0.05, 0.05), "clipping"),
        (0.1 * np.random.default_rng(0).standard_normal(SR), "no_voiced_speech"),
    ],
)
def test_degenerate_audio_is_neutral_and_says_why(y: np.ndarray, reason: str) -> None:
    for language in ("fr", "en"):
        res = ProsodyTracker(language=language).add(y)
        assert res.neutral_reason == reason
        assert res.arousal == pytest.approx(NEUTRAL_AROUSAL)
        assert res.messages and all(isinstance(m, str) for m in res.messages)
        assert all(math.isfinite(v) for v in res.features.values())
        assert res.to_contract()["arousal"] == pytest.approx(NEUTRAL_AROUSAL)


def test_result_contract_and_finiteness() -> None:
    res = analyze_prosody(calm(), language="en")
    assert isinstance(res, ProsodyResult)
    assert res.neutral_reason is None
    assert 0.0 <= res.arousal <= 1.0
    contract = res.to_contract()
    assert set(contract) == {"arousal", "features"}
    assert all(isinstance(v, float) and math.isfinite(v) for v in contract["features"].values())
    assert all(math.isfinite(v) for v in res.deviations.values())
    with pytest.raises(AttributeError):
        res.arousal = 1.0  # type: ignore[misc]


def test_contributions_add_up_to_the_logit() -> None:
    res = analyze_prosody(calm(), language="en")
    logit = AROUSAL_BIAS + sum(res.contributions.values())
    assert res.logit == pytest.approx(logit)
    assert res.arousal == pytest.approx(1.0 / (1.0 + math.exp(-logit)))


def test_higher_tenser_voice_raises_arousal_against_the_callers_baseline() -> None:
    tracker = ProsodyTracker(language="fr")
    first = [tracker.add(calm(seed=s)) for s in range(3)]
    assert tracker.baseline.turns("pitch_st") == 3
    same = tracker.add(calm(seed=10), update_baseline=False)
    raised = tracker.add(calm(seed=11, f0_hz=170.0, tilt=-7.0), update_baseline=False)
    assert raised.arousal > same.arousal + 0.3
    assert raised.deviations["pitch_st"] == pytest.approx(12 * math.log2(170 / 120), abs=1.0)
    text = " ".join(raised.messages)
    assert "hauteur +" in text and "voix habituelle du client" in text
    assert first[0].baseline_turns == 0 and same.baseline_turns == 3


def test_caller_baseline_is_sex_neutral_on_the_first_turn() -> None:
    # Without history a high voice is mostly a high voice: the pitch z-score is shrunk by
    # the between-speaker spread, so a female-range voice is not called aroused.
    # Typical adult male and female speaking pitch (about 115 and 200 Hz).
    low = analyze_prosody(calm(f0_hz=115.0, declination_st_per_s=0.0)).z_scores["pitch_st"]
    high = analyze_prosody(calm(f0_hz=200.0, declination_st_per_s=0.0)).z_scores["pitch_st"]
    assert abs(low) < 1.0 and abs(high) < 1.0


def test_baseline_reference_converges_to_the_callers_mean() -> None:
    b = CallerBaseline()
    for _ in range(50):
        b.update({"pitch_st": 2.0})
    ref, spread = b.reference("pitch_st")
    assert ref == pytest.approx(2.0, abs=0.05)
    assert spread == pytest.approx(b.priors["pitch_st"].within_sd, rel=0.05)


def test_level_change_is_reported_not_scored() -> None:
    tracker = ProsodyTracker(language="en")
    tracker.add(calm(seed=1))
    quiet = tracker.add(calm(seed=2), update_baseline=False)
    loud = tracker.add(calm(seed=2) * 2.0, update_baseline=False)  # +6 dB
    assert loud.arousal == pytest.approx(quiet.arousal, abs=1e-6)
    assert loud.deviations["loudness_dbfs"] == pytest.approx(
        quiet.deviations["loudness_dbfs"] + 6.02, abs=0.01
    )
    assert any("dB above the caller's usual voice" in m for m in loud.messages)
    assert "loudness_dbfs" not in loud.contributions


def test_word_timestamps_add_words_per_second() -> None:
    res = ProsodyTracker(language="en").add(calm(), word_timestamps=[(0.1, 0.4), (0.5, 1.1)])
    assert res.features["words_per_s"] == pytest.approx(2.0)


def test_bad_arguments_name_the_field() -> None:
    with pytest.raises(InputError, match="language"):
        ProsodyTracker(language="de")
    with pytest.raises(InputError, match="mono"):
        ProsodyTracker().add(np.zeros((2, SR)))


def test_stream_chunks_match_the_whole_turn() -> None:
    y8 = synthetic_voice(sr_hz=8000, duration_s=2.0, seed=4)
    whole = ProsodyTracker(language="en").add(y8, sr_hz=8000)
    tracker = ProsodyTracker(language="en")
    stream = tracker.stream(sr_hz=8000)
    pcm = (y8 * 32767).astype(np.int16)
    for i in range(0, pcm.size, 160):  # 20 ms chunks
        stream.push(pcm[i : i + 160])
    assert stream.duration_s == pytest.approx(2.0)
    partial = stream.partial()
    assert tracker.baseline.turns("pitch_st") == 0
    res = stream.end_turn()
    assert res.arousal == pytest.approx(whole.arousal, abs=0.01)
    assert partial.arousal == pytest.approx(res.arousal, abs=1e-9)
    assert tracker.baseline.turns("pitch_st") == 1 and stream.duration_s == 0.0
    with pytest.raises(InputError, match="sr_hz"):
        stream.push(pcm[:160])
        stream.push(pcm[:160], sr_hz=16000)
