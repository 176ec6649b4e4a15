"""The session and the caller's voice: only the customer's audio is read, never in text-only
mode; prosody joins fusion and explains itself; bad audio gives a neutral result that says why."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("librosa")

from empathy_signals import Detector, Policy  # noqa: E402
from empathy_signals.audio import synth  # noqa: E402


@pytest.fixture
def no_audio_reads(monkeypatch):
    """Fail the test if anything loads audio."""
    import empathy_signals.audio as audio

    def refuse(*args, **kwargs):
        raise AssertionError("audio was read")

    monkeypatch.setattr(audio, "load_audio", refuse)
    import empathy_signals.audio.io as io

    monkeypatch.setattr(io, "load_audio", refuse)


def _voice(f0_hz: float, level_dbfs: float = -20.0) -> np.ndarray:
    return synth.synthetic_voice(f0_hz=f0_hz, duration_s=2.0, level_dbfs=level_dbfs)


@pytest.mark.parametrize("policy", [
    Policy(text_only=True),
    Policy(signals={**Policy().signals, "prosody": False}),
])
def test_text_only_reads_no_audio(policy, no_audio_reads, tmp_path):
    session = Detector(policy).session("fr")
    turn = {"speaker": "customer", "text": "allô ?", "audio": {"path": str(tmp_path / "call.wav")}}
    a = session.add(turn)
    assert a.signals.prosody is None
    a = session.add({"speaker": "customer", "text": "allô ?"}, audio=_voice(200.0), sample_rate_hz=16000)
    assert a.signals.prosody is None


@pytest.mark.parametrize("speaker", ["agent", "bot"])
def test_agent_and_bot_audio_is_never_read(speaker, no_audio_reads, tmp_path):
    session = Detector().session("fr")
    a = session.add({"speaker": speaker, "text": "Bonjour", "audio": {"path": str(tmp_path / "x.wav")}})
    assert a.signals is None
    a = session.add({"speaker": speaker, "text": "Bonjour"}, audio=_voice(150.0), sample_rate_hz=16000)
    assert a.signals is None


def test_customer_voice_joins_fusion_and_explains_itself():
    session = Detector().session("fr")
    for _ in range(3):  # the caller's usual voice
        calm = session.add({"speaker": "customer", "text": "d'accord"}, audio=_voice(120.0), sample_rate_hz=16000)
    raised = session.add({"speaker": "customer", "text": "d'accord"}, audio=_voice(210.0, -8.0), sample_rate_hz=16000)
    assert raised.signals.prosody.arousal > calm.signals.prosody.arousal
    reasons = {r.signal: r for r in raised.reasons}
    assert reasons["prosody"].contribution > 0
    assert "hauteur" in reasons["prosody"].message
    assert raised.escalation_score > calm.escalation_score
    assert raised.bias + sum(r.contribution for r in raised.reasons) == pytest.approx(raised.logit, abs=1e-9)


def test_unreadable_audio_is_neutral_and_says_why(tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really a wave file")
    session = Detector().session("en")
    for path in (broken, tmp_path / "missing.wav"):
        a = session.add({"speaker": "customer", "text": "hello?", "audio": {"path": str(path)}})
        assert a.signals.prosody.neutral_reason.startswith("unreadable audio")
        assert "prosody" not in {r.signal for r in a.reasons}


def test_silence_is_neutral_with_its_reason():
    session = Detector().session("en")
    a = session.add({"speaker": "customer", "text": "hello?"}, audio=np.zeros(16000, dtype=np.float32), sample_rate_hz=16000)
    assert a.signals.prosody.neutral_reason == "silence"
    assert "prosody" not in {r.signal for r in a.reasons}


def test_relative_audio_paths_resolve_against_base_dir(tmp_path):
    soundfile = pytest.importorskip("soundfile")
    soundfile.write(tmp_path / "turn.wav", _voice(140.0), 16000)
    detector = Detector()
    conversation = {"id": "c", "turns": [{"speaker": "customer", "text": "oui", "audio": {"path": "turn.wav"}}]}
    result = detector.assess(conversation, base_dir=tmp_path)
    assert result.turns[0].signals.prosody.neutral_reason is None


def test_samples_beyond_float32_are_non_finite_not_a_warning():
    # Regression (found by Hypothesis in CI): a float64 sample past float32's range.
    session = Detector().session("fr")
    a = session.add({"speaker": "customer", "text": "allô"}, audio=[3.4028235677973366e38] * 8000, sample_rate_hz=8000)
    assert a.signals.prosody.neutral_reason
