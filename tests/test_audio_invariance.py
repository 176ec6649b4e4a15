"""Channel robustness: arousal must not move with the clip's gain or an 8 kHz phone line.

Call audio arrives level-normalised (AGC, per-file normalisation) and band-limited (8 kHz
telephony). These property tests assert that the arousal of one clip is unchanged by an
overall gain and by a round trip through 8 kHz, on synthetic voices (Hypothesis), on
espeak-ng speech (when installed) and on a few RAVDESS clips (when the data is present).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("librosa")
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from empathy_signals.audio import ProsodyTracker, load_audio
from empathy_signals.audio.synth import synthetic_voice

SR = 16000
GAIN_TOL = 1e-6  # gain: exactly invariant up to floating-point rounding
PHONE_TOL = 0.02  # 8 kHz round trip: the analysis already runs on the telephone band
RAVDESS = Path(__file__).resolve().parents[1].parent / "shared/data/speech/ravdess-16k"


def through_8k(y: np.ndarray) -> np.ndarray:
    import librosa

    y8 = librosa.resample(y, orig_sr=SR, target_sr=8000, res_type="soxr_hq")
    return librosa.resample(y8, orig_sr=8000, target_sr=SR, res_type="soxr_hq")


def arousal(y: np.ndarray, sr_hz: float = SR) -> float:
    return ProsodyTracker(language="en").add(y, sr_hz=sr_hz).arousal


voices = st.builds(
    lambda f0, tilt, rate, pause, seed: synthetic_voice(
        f0_hz=f0,
        tilt_db_per_oct=tilt,
        syllable_rate_per_s=rate,
        duration_s=2.0,
        pauses_s=[(0.7, 0.7 + pause)],
        seed=seed,
    ),
    f0=st.floats(75.0, 300.0),
    tilt=st.floats(-15.0, -5.0),
    rate=st.floats(2.0, 7.0),
    pause=st.floats(0.0, 0.6),
    seed=st.integers(0, 2**16),
)
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(y=voices, gain_db=st.floats(-40.0, 20.0))
def test_arousal_ignores_overall_gain(y: np.ndarray, gain_db: float) -> None:
    assert arousal(y * 10 ** (gain_db / 20)) == pytest.approx(arousal(y), abs=GAIN_TOL)


@SETTINGS
@given(y=voices)
def test_arousal_survives_an_8k_phone_line(y: np.ndarray) -> None:
    assert arousal(through_8k(y)) == pytest.approx(arousal(y), abs=PHONE_TOL)


@SETTINGS
@given(y=voices, gain_db=st.floats(-30.0, 10.0))
def test_arousal_of_8k_input_at_its_own_rate(y: np.ndarray, gain_db: float) -> None:
    import librosa

    y8 = librosa.resample(y, orig_sr=SR, target_sr=8000, res_type="soxr_hq")
    assert arousal(y8 * 10 ** (gain_db / 20), 8000) == pytest.approx(arousal(y), abs=PHONE_TOL)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
@pytest.mark.parametrize("voice", ["fr", "en"])
def test_espeak_speech_gain_and_phone_invariance(tmp_path: Path, voice: str) -> None:
    wav = tmp_path / "s.wav"
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            voice,
            "-w",
            str(wav),
            "Je voudrais parler à quelqu'un, ma carte ne marche plus.",
        ],
        check=True,
    )
    y = load_audio(wav)
    base = arousal(y)
    for gain_db in (-30.0, -12.0, 6.0):
        assert arousal(y * 10 ** (gain_db / 20)) == pytest.approx(base, abs=GAIN_TOL)
    assert arousal(through_8k(y)) == pytest.approx(base, abs=PHONE_TOL)


@pytest.mark.data
@pytest.mark.skipif(not (RAVDESS / "labels.csv").is_file(), reason="../shared/data absent")
@pytest.mark.parametrize(
    "name",
    [
        "Actor_17/03-01-05-02-01-01-17.flac",  # angry, strong
        "Actor_18/03-01-01-01-02-01-18.flac",  # neutral
        "Actor_20/03-01-03-02-02-02-20.flac",  # happy, strong
    ],
)
def test_real_speech_gain_and_phone_invariance(name: str) -> None:
    y = load_audio(RAVDESS / "audio" / name)
    base = arousal(y)
    peak = float(np.max(np.abs(y)))
    for gain in (0.05, 0.5, 0.99 / peak):  # normalised to full scale, as per-file AGC does
        assert arousal(y * gain) == pytest.approx(base, abs=GAIN_TOL)
    assert arousal(through_8k(y)) == pytest.approx(base, abs=PHONE_TOL)
