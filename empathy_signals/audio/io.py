"""Audio loading: a path, a segment of a long recording, or samples -> 16 kHz mono float32.

Any sample rate and channel count is accepted: channels are averaged, the rate is converted
with soxr's high-quality band-limited resampler (through librosa). A ``start_s``/``end_s``
segment of a file is read by seeking, so a one-hour call recording is never loaded whole.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from empathy_signals.errors import InputError, MissingExtraError

__all__ = ["SR_HZ", "load_audio", "resolve_audio_path", "to_mono_16k"]

#: Sample rate of everything :func:`load_audio` returns.
SR_HZ = 16000
#: A 2-D array's channel axis is the one of at most this length (and the shorter one).
MAX_CHANNELS = 16
#: Sample rates accepted (Hz): below 1 kHz is not speech audio, and resampling from it would
#: multiply the samples a thousandfold; above 384 kHz no audio interface records.
MIN_SR_HZ = 1000.0
MAX_SR_HZ = 384000.0


def _soundfile() -> Any:
    try:
        import soundfile
    except ImportError as exc:  # pragma: no cover - only without the extra
        raise MissingExtraError("loading audio files", "audio") from exc
    return soundfile


def _check_seconds(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{name} must be a number of seconds; got {value!r}", field=name, value=value
        ) from exc
    if not math.isfinite(v) or v < 0:
        raise InputError(
            f"{name} must be a finite number of seconds >= 0; got {value!r}",
            field=name,
            value=value,
        )
    return v


def resolve_audio_path(
    path: str | os.PathLike[str], *, base_dir: str | os.PathLike[str] | None = None
) -> Path:
    """Resolve a relative audio path against the directory of the input file that names it.

    Parameters
    ----------
    path : str or PathLike
        Path as written in the input (absolute, or relative to ``base_dir``).
    base_dir : str or PathLike, optional
        Directory of the conversation file; the current directory when None.

    Returns
    -------
    Path
    """
    p = Path(path).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    return p


def _check_sr(sr_hz: Any) -> None:
    if isinstance(sr_hz, bool) or not isinstance(sr_hz, int | float | np.integer | np.floating):
        raise InputError(
            f"sr_hz must be a positive number of Hz for an array input; got {sr_hz!r}",
            field="sr_hz",
            value=sr_hz,
        )
    if not (math.isfinite(float(sr_hz)) and MIN_SR_HZ <= sr_hz <= MAX_SR_HZ):
        raise InputError(
            f"sr_hz must be between {MIN_SR_HZ:g} and {MAX_SR_HZ:g} Hz; got {sr_hz!r}",
            field="sr_hz",
            value=sr_hz,
        )


def to_mono_16k(samples: Any, *, sr_hz: float) -> np.ndarray:
    """Convert an array of samples (any rate, any channel layout) to 16 kHz mono float32.

    Parameters
    ----------
    samples : array-like, shape (n,), (n, channels) or (channels, n)
        Float samples in [-1, 1], or integer PCM (int16, int32, uint8) which is scaled to it.
        For 2-D input the channel axis is the shorter one (at most 16 long).
    sr_hz : float
        Sample rate of ``samples`` in Hz.

    Returns
    -------
    np.ndarray, shape (m,), float32
        Non-finite samples are kept (the prosody result then says ``non_finite``).

    Raises
    ------
    InputError
        For a non-numeric array, more than 2 dimensions, or an invalid ``sr_hz``.
    """
    _check_sr(sr_hz)
    x = _as_samples(samples)
    if x.dtype.kind not in "iuf":
        raise InputError(
            f"audio samples must be a numeric array; got dtype {x.dtype}",
            field="samples",
            value=str(x.dtype),
        )
    if x.dtype.kind == "i":
        x = x.astype(np.float64) / float(2 ** (8 * x.dtype.itemsize - 1))
    elif x.dtype.kind == "u":
        half = float(2 ** (8 * x.dtype.itemsize - 1))
        x = (x.astype(np.float64) - half) / half
    if x.size == 0:
        return np.zeros(0, dtype=np.float32)
    if x.ndim == 2:
        ch_axis = int(np.argmin(x.shape))
        if x.shape[ch_axis] > MAX_CHANNELS:
            raise InputError(
                f"a 2-D audio array needs a channel axis of at most {MAX_CHANNELS}; "
                f"got shape {x.shape!r}",
                field="samples",
                value=x.shape,
            )
        x = x.mean(axis=ch_axis)
    elif x.ndim != 1:
        raise InputError(
            f"audio samples must be 1-D or 2-D; got shape {x.shape!r}",
            field="samples",
            value=x.shape,
        )
    with np.errstate(over="ignore"):  # beyond float32: inf, which the analysis reports as non-finite
        x = x.astype(np.float32, copy=False)
    if sr_hz != SR_HZ and x.size:
        import librosa

        if np.all(np.isfinite(x)):
            x = librosa.resample(x, orig_sr=float(sr_hz), target_sr=SR_HZ, res_type="soxr_hq")
        else:  # keep the length and the NaN: the analysis reports it instead of crashing here
            n = math.ceil(x.size * SR_HZ / float(sr_hz))
            x = np.full(n, np.nan, dtype=np.float32)
    return np.ascontiguousarray(x, dtype=np.float32)


def load_audio(
    source: str | os.PathLike[str] | np.ndarray | Any,
    sr_hz: float | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    *,
    base_dir: str | os.PathLike[str] | None = None,
    max_s: float | None = None,
) -> np.ndarray:
    """Load a turn's audio as 16 kHz mono float32.

    Parameters
    ----------
    source : path or array-like
        A WAV/FLAC/OGG (anything libsndfile reads) file path, or samples.
    sr_hz : float, optional
        Sample rate of array samples in Hz (required for arrays; ignored for files, whose
        header gives it).
    start_s, end_s : float, optional
        Segment of the recording to keep, in seconds from its start (files and arrays).
        A file segment is read by seeking, without loading the rest.
    base_dir : path, optional
        Directory a relative file path is resolved against (the input file's directory).
    max_s : float, optional
        Refuse audio (or the segment) longer than this many seconds, before decoding it
        (a file's length comes from its header).

    Returns
    -------
    np.ndarray, shape (n,), float32
        Mono samples at 16 kHz (:data:`SR_HZ`).

    Raises
    ------
    InputError
        Missing or unreadable file, a segment outside the recording, bad sample rate, audio
        longer than ``max_s`` (the message starts with "too long").
    MissingExtraError
        When librosa/soundfile are not installed (``pip install empathy-signals[audio]``).

    Examples
    --------
    >>> import numpy as np
    >>> y = load_audio(np.zeros((8000, 2), dtype=np.int16), sr_hz=8000)
    >>> y.shape, y.dtype
    ((16000,), dtype('float32'))
    """
    start = _check_seconds("start_s", start_s)
    end = _check_seconds("end_s", end_s)
    if start is not None and end is not None and end <= start:
        raise InputError(
            f"end_s must be greater than start_s; got start_s={start_s!r}, end_s={end_s!r}",
            field="end_s",
            value=end_s,
        )
    if isinstance(source, str | os.PathLike):
        return _load_file(resolve_audio_path(source, base_dir=base_dir), start, end, max_s)
    if sr_hz is None:
        raise InputError(
            "sr_hz is required when audio is given as samples; got None", field="sr_hz", value=None
        )
    x = _as_samples(source)
    if (start is not None or end is not None) and x.ndim in (1, 2):  # else to_mono_16k says why
        axis = _time_axis(x)
        n = x.shape[axis]
        i0 = round(min((start or 0.0) * float(sr_hz), n))  # min first: 1e308 s is no overflow
        i1 = n if end is None else round(min(end * float(sr_hz), n))
        if i0 >= n:
            raise InputError(
                f"start_s={start_s!r} is past the end of the audio ({n / float(sr_hz):.3f} s)",
                field="start_s",
                value=start_s,
            )
        x = np.take(x, np.arange(i0, i1), axis=axis)
    if max_s is not None and x.ndim in (1, 2) and x.size:
        _check_sr(sr_hz)
        _check_length(x.shape[_time_axis(x)] / float(sr_hz), max_s)
    return to_mono_16k(x, sr_hz=sr_hz)


def _as_samples(samples: Any) -> np.ndarray:
    """``samples`` as an array; ragged nested sequences are an :class:`InputError`."""
    try:
        return np.asarray(samples)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"audio samples must be a rectangular numeric array: {exc}", field="samples", value=None
        ) from None


def _time_axis(x: np.ndarray) -> int:
    """The samples' axis of a 1-D or 2-D array: the longer one (the other holds the channels)."""
    return 0 if x.ndim <= 1 or np.argmin(x.shape) == 1 else 1


def _check_length(seconds: float, max_s: float) -> None:
    if seconds > max_s:
        raise InputError(
            f"too long: {seconds:.1f} s of audio in one turn; the limit "
            f"(limits.max_turn_audio_s) is {max_s:g} s",
            field="audio",
            value=round(seconds, 1),
        )


def _load_file(
    path: Path, start: float | None, end: float | None, max_s: float | None = None
) -> np.ndarray:
    sf = _soundfile()
    if not path.is_file():
        raise InputError(
            f"audio.path {str(path)!r} does not exist or is not a file",
            field="audio.path",
            value=str(path),
        )
    try:
        with sf.SoundFile(str(path)) as f:
            sr = f.samplerate
            if not MIN_SR_HZ <= sr <= MAX_SR_HZ:
                raise InputError(
                    f"audio.path {str(path)!r} has a sample rate of {sr} Hz; expected "
                    f"{MIN_SR_HZ:g} to {MAX_SR_HZ:g} Hz",
                    field="audio.path",
                    value=str(path),
                )
            n = f.frames
            i0 = 0 if start is None else round(min(start * sr, n))  # min first: no overflow
            i1 = n if end is None else round(min(end * sr, n))
            if n == 0:
                raise InputError(
                    f"audio.path {str(path)!r} holds no samples", field="audio.path", value=str(path)
                )
            if i0 >= n:
                raise InputError(
                    f"audio.start_s={start!r} is past the end of {str(path)!r} ({n / sr:.3f} s)",
                    field="audio.start_s",
                    value=start,
                )
            if max_s is not None:
                _check_length((i1 - i0) / sr, max_s)
            if i0:
                f.seek(i0)
            data = f.read(frames=max(0, i1 - i0), dtype="float32", always_2d=True)
    except InputError:
        raise
    except (RuntimeError, sf.LibsndfileError, OSError) as exc:
        raise InputError(
            f"audio.path {str(path)!r} could not be read as audio: {exc}",
            field="audio.path",
            value=str(path),
        ) from exc
    return to_mono_16k(data, sr_hz=sr)
