"""A synthetic voice with known prosody, for tests, examples and demos (numpy only).

The signal is a harmonic complex (glottal source with a chosen spectral tilt) whose pitch
follows a known contour, shaped into syllables by an amplitude envelope, with optional
silent pauses and a faint noise floor. Every knob is a known answer for the features.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from empathy_signals.errors import InputError

__all__ = ["synthetic_voice", "tone"]


def tone(
    *, freq_hz: float, duration_s: float, sr_hz: float = 16000, level_dbfs: float = -20.0
) -> np.ndarray:
    """A sine of ``freq_hz`` at ``level_dbfs`` (AES17: a full-scale sine is 0 dBFS).

    Returns
    -------
    np.ndarray, shape (round(duration_s * sr_hz),), float64
    """
    t = np.arange(round(duration_s * sr_hz)) / sr_hz
    return 10.0 ** (level_dbfs / 20.0) * np.sin(2.0 * np.pi * freq_hz * t)


def synthetic_voice(
    *,
    f0_hz: float = 120.0,
    duration_s: float = 2.0,
    sr_hz: float = 16000,
    tilt_db_per_oct: float = -12.0,
    syllable_rate_per_s: float = 4.0,
    intonation_st: float = 2.0,
    declination_st_per_s: float = -1.0,
    pauses_s: Sequence[tuple[float, float]] = (),
    level_dbfs: float = -20.0,
    noise_db: float = -50.0,
    seed: int = 0,
) -> np.ndarray:
    """Speech-like signal with known pitch, tilt, syllable rate, pauses and level.

    Parameters
    ----------
    f0_hz : float
        Pitch at the start, in Hz.
    duration_s : float
        Length in seconds.
    sr_hz : float
        Sample rate in Hz.
    tilt_db_per_oct : float
        Source spectral tilt: harmonic ``k`` is ``tilt_db_per_oct * log2(k)`` dB below the
        fundamental (about -12 dB/oct for a relaxed voice, -6 for a pressed, loud one).
    syllable_rate_per_s : float
        Syllables (amplitude bumps with 12 dB dips) per second.
    intonation_st : float
        Depth of a slow (0.7 Hz) pitch undulation, in semitones.
    declination_st_per_s : float
        Linear pitch drift in semitones per second.
    pauses_s : sequence of (start_s, end_s)
        Stretches replaced by the noise floor only.
    level_dbfs : float
        Peak level of the voiced part in dBFS.
    noise_db : float
        White-noise floor relative to that peak, in dB.
    seed : int
        Seed of the noise and of the intonation phase.

    Returns
    -------
    np.ndarray, shape (round(duration_s * sr_hz),), float64

    Examples
    --------
    >>> y = synthetic_voice(f0_hz=150.0, duration_s=1.0)
    >>> y.shape
    (16000,)
    """
    if not (0 < f0_hz < sr_hz / 4):
        raise InputError(
            f"f0_hz must be in (0, sr_hz / 4); got {f0_hz!r}", field="f0_hz", value=f0_hz
        )
    rng = np.random.default_rng(seed)
    n = round(duration_s * sr_hz)
    t = np.arange(n) / sr_hz
    phase0 = rng.uniform(0, 2 * np.pi)
    st = declination_st_per_s * t + intonation_st * np.sin(2 * np.pi * 0.7 * t + phase0)
    f0 = f0_hz * 2.0 ** (st / 12.0)
    phase = 2.0 * np.pi * np.cumsum(f0) / sr_hz
    top_hz = min(0.45 * sr_hz, 7000.0)
    n_harm = int(top_hz // (f0_hz * 2.0 ** (max(0.0, st.max()) / 12.0)))
    y = np.zeros(n)
    for k in range(1, max(n_harm, 1) + 1):
        y += 10.0 ** (tilt_db_per_oct * np.log2(k) / 20.0) * np.sin(k * phase)
    env = 0.25 + 0.75 * np.sin(np.pi * syllable_rate_per_s * t) ** 2
    y *= env
    for start, end in pauses_s:
        y[int(start * sr_hz) : int(end * sr_hz)] = 0.0
    y *= 10.0 ** (level_dbfs / 20.0) / max(np.max(np.abs(y)), 1e-12)
    y += 10.0 ** ((level_dbfs + noise_db) / 20.0) * rng.standard_normal(n)
    return y
