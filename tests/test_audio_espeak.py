"""Real speech from Debian's espeak-ng: higher, faster speech raises arousal.

Skipped when espeak-ng is not installed (``apt-get install espeak-ng``).

espeak-ng's ``-a`` (amplitude) is a pure gain on its output: the voice itself does not change.
Since the arousal of a clip is gain-invariant by design (phone AGC makes absolute level
meaningless), louder espeak speech must leave arousal unchanged and be *reported* as louder
relative to the caller's earlier turns; together with a higher pitch it raises arousal.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("librosa")

from empathy_signals.audio import ProsodyTracker, load_audio

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")

TEXT = {
    "fr": "Bonjour, je vous appelle parce que ma carte bancaire ne fonctionne plus depuis "
    "trois jours.",
    "en": "Hello, I am calling because my bank card has not worked for three days.",
}


def speak(
    tmp_path: Path,
    language: str,
    *,
    pitch: int = 40,
    rate_wpm: int = 160,
    amplitude: int = 100,
    text: str | None = None,
):
    wav = tmp_path / f"{language}_{pitch}_{rate_wpm}_{amplitude}_{hash(text)}.wav"
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            language,
            "-p",
            str(pitch),
            "-s",
            str(rate_wpm),
            "-a",
            str(amplitude),
            "-w",
            str(wav),
            text or TEXT[language],
        ],
        check=True,
    )
    return load_audio(wav)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_higher_pitch_raises_arousal(tmp_path: Path, language: str) -> None:
    low = ProsodyTracker(language=language).add(speak(tmp_path, language, pitch=30))
    high = ProsodyTracker(language=language).add(speak(tmp_path, language, pitch=85))
    assert high.features["f0_median_hz"] > 1.3 * low.features["f0_median_hz"]
    assert high.arousal > low.arousal


@pytest.mark.parametrize("language", ["fr", "en"])
def test_faster_speech_raises_rate_and_arousal(tmp_path: Path, language: str) -> None:
    slow = ProsodyTracker(language=language).add(speak(tmp_path, language, rate_wpm=130))
    fast = ProsodyTracker(language=language).add(speak(tmp_path, language, rate_wpm=260))
    assert fast.features["syllable_rate_per_s"] > 1.3 * slow.features["syllable_rate_per_s"]
    assert fast.arousal > slow.arousal


@pytest.mark.parametrize("language", ["fr", "en"])
def test_louder_and_higher_raises_arousal_against_the_callers_baseline(
    tmp_path: Path, language: str
) -> None:
    tracker = ProsodyTracker(language=language)
    calm_texts = (
        ["Oui, bonjour.", "D'accord, merci.", "Je comprends."]
        if language == "fr"
        else ["Yes, hello.", "All right, thank you.", "I understand."]
    )
    for text in calm_texts:
        tracker.add(speak(tmp_path, language, pitch=35, amplitude=60, text=text))
    normal = tracker.add(speak(tmp_path, language, pitch=35, amplitude=60), update_baseline=False)
    louder = tracker.add(speak(tmp_path, language, pitch=35, amplitude=120), update_baseline=False)
    louder_higher = tracker.add(
        speak(tmp_path, language, pitch=75, amplitude=120), update_baseline=False
    )
    # Louder alone: same voice, +6 dB: reported, but the score is gain-invariant (up to
    # espeak's 16-bit rounding, which differs between the two amplitudes).
    assert louder.arousal == pytest.approx(normal.arousal, abs=0.01)
    assert louder.deviations["loudness_dbfs"] - normal.deviations["loudness_dbfs"] == pytest.approx(
        6.0, abs=0.2
    )
    assert any("+" in m and "dB" in m for m in louder.messages)
    # Louder and higher: arousal goes up, and the explanation says how much higher.
    assert louder_higher.arousal > normal.arousal + 0.2
    pitch_word = "hauteur" if language == "fr" else "pitch"
    assert any(m.startswith(pitch_word) for m in louder_higher.messages)
