"""Loading audio: files, segments, arrays, any rate and channel count, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

sf = pytest.importorskip("soundfile")
pytest.importorskip("librosa")

from empathy_signals.audio import load_audio, resolve_audio_path
from empathy_signals.audio.synth import tone
from empathy_signals.errors import EmpathySignalsError, InputError


def _write(path: Path, y: np.ndarray, sr: int, subtype: str | None = None) -> Path:
    sf.write(str(path), y, sr, subtype=subtype)
    return path


@pytest.mark.parametrize(
    ("sr", "fmt"), [(8000, "wav"), (16000, "flac"), (44100, "wav"), (48000, "flac")]
)
def test_any_rate_becomes_16k_mono_float32(tmp_path: Path, sr: int, fmt: str) -> None:
    y = tone(freq_hz=300.0, duration_s=1.0, sr_hz=sr, level_dbfs=-10.0)
    stereo = np.stack([y, y], axis=1)
    out = load_audio(_write(tmp_path / f"a.{fmt}", stereo, sr))
    assert out.dtype == np.float32 and out.ndim == 1
    assert out.size == pytest.approx(16000, abs=2)
    assert np.max(np.abs(out[100:-100])) == pytest.approx(10 ** (-10 / 20), rel=0.02)


def test_channels_are_averaged(tmp_path: Path) -> None:
    y = tone(freq_hz=300.0, duration_s=0.5, sr_hz=16000, level_dbfs=-6.0)
    out = load_audio(_write(tmp_path / "a.wav", np.stack([y, np.zeros_like(y)], axis=1), 16000))
    assert np.max(np.abs(out)) == pytest.approx(0.5 * 10 ** (-6 / 20), rel=0.01)


def test_segment_is_read_by_seeking(tmp_path: Path) -> None:
    sr = 16000
    y = np.concatenate([np.zeros(sr), tone(freq_hz=200.0, duration_s=1.0, sr_hz=sr), np.zeros(sr)])
    path = _write(tmp_path / "call.flac", y, sr)
    seg = load_audio(path, start_s=1.0, end_s=2.0)
    assert seg.size == sr
    assert np.max(np.abs(seg)) > 0.09
    tail = load_audio(path, start_s=2.5)
    assert tail.size == sr // 2 and np.max(np.abs(tail)) < 1e-3
    # A segment end past the end of the file is cut at the end of the file.
    assert load_audio(path, start_s=2.0, end_s=10.0).size == sr


def test_relative_path_resolves_against_base_dir(tmp_path: Path) -> None:
    (tmp_path / "audio").mkdir()
    _write(tmp_path / "audio" / "t1.wav", tone(freq_hz=200.0, duration_s=0.5), 16000)
    assert resolve_audio_path("audio/t1.wav", base_dir=tmp_path) == tmp_path / "audio/t1.wav"
    assert load_audio("audio/t1.wav", base_dir=tmp_path).size == 8000


def test_arrays_any_layout_and_integer_pcm() -> None:
    y = (tone(freq_hz=200.0, duration_s=0.5, sr_hz=8000, level_dbfs=-6.0) * 32767).astype(np.int16)
    a = load_audio(y, sr_hz=8000)
    b = load_audio(np.stack([y, y]), sr_hz=8000)  # (channels, n)
    c = load_audio(np.stack([y, y], axis=1), sr_hz=8000)  # (n, channels)
    assert a.size == 8000
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(a, c, atol=1e-6)
    assert np.max(np.abs(a)) == pytest.approx(10 ** (-6 / 20), rel=0.02)
    seg = load_audio(y, sr_hz=8000, start_s=0.25)
    assert seg.size == 4000


def test_nan_samples_pass_through_for_a_neutral_result() -> None:
    y = np.full(8000, np.nan, dtype=np.float32)
    out = load_audio(y, sr_hz=8000)
    assert out.size == 16000 and np.isnan(out).all()


def test_missing_file_error_names_field_and_value(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"audio\.path .*nope\.wav") as info:
        load_audio(tmp_path / "nope.wav")
    assert info.value.field == "audio.path"


def test_unreadable_file_is_a_clear_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_text("this is not audio")
    with pytest.raises(InputError, match="could not be read as audio"):
        load_audio(bad)
    assert issubclass(InputError, EmpathySignalsError)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start_s": -1.0}, "start_s"),
        ({"start_s": 2.0, "end_s": 1.0}, "end_s"),
        ({"start_s": float("nan")}, "start_s"),
        ({"start_s": 5.0}, "start_s"),
    ],
)
def test_bad_segments(tmp_path: Path, kwargs: dict, field: str) -> None:
    path = _write(tmp_path / "a.wav", tone(freq_hz=200.0, duration_s=1.0), 16000)
    with pytest.raises(InputError, match=field):
        load_audio(path, **kwargs)


def test_array_errors() -> None:
    with pytest.raises(InputError, match="sr_hz"):
        load_audio(np.zeros(100))
    with pytest.raises(InputError, match="sr_hz"):
        load_audio(np.zeros(100), sr_hz=-5)
    with pytest.raises(InputError, match="shape"):
        load_audio(np.zeros((2, 2, 100)), sr_hz=8000)
    with pytest.raises(InputError, match="numeric"):
        load_audio(np.array(["a", "b"]), sr_hz=8000)


@pytest.mark.parametrize("samples", [np.float32(0.5), np.zeros((2, 2, 2), dtype=np.float32)])
def test_a_segment_of_samples_that_are_not_1d_or_2d_is_an_input_error(samples) -> None:
    with pytest.raises(InputError, match="1-D or 2-D"):
        load_audio(samples, sr_hz=8000, start_s=0.1)
