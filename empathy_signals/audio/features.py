"""Pure prosodic feature functions (pitch, loudness, rate, pauses, vocal effort).

Every function here is pure: arrays in, arrays or numbers out, no state and no I/O.
Tuning parameters are keyword-only and carry their unit in their name.

Analysis happens in the **telephone band**: :func:`extract_features` first converts the
16 kHz input to 8 kHz (:data:`ANALYSIS_SR_HZ`) and measures spectral balance between 300 Hz
and 3.4 kHz only, so a clip that already went through an 8 kHz phone line gives the same
features as the wide-band original. Nothing that feeds the arousal score depends on the
absolute level of the clip (AGC on phone lines and per-file normalisation make it
meaningless); the absolute level is measured and reported (``loudness_dbfs``) only.

Conventions
-----------
* Frames are 10 ms apart (:data:`HOP_S`); frame ``i`` is centred on ``i * HOP_S`` seconds.
* Levels are in dBFS with the AES17 convention: a full-scale sine reads 0 dBFS, so a sine of
  amplitude ``a`` reads ``20 * log10(a)`` dBFS.
* Pitch is in Hz, pitch spans in semitones (12 per octave).

References
----------
.. [1] A. de Cheveigné and H. Kawahara, "YIN, a fundamental frequency estimator for speech
   and music", JASA 111(4), 2002 (the pitch tracker).
.. [2] N. H. de Jong and T. Wempe, "Praat script to detect syllable nuclei and measure speech
   rate automatically", Behavior Research Methods 41(2), 2009 (syllable nuclei: intensity
   peaks with a 2 dB dip on each side, in voiced frames).
.. [3] F. Eyben et al., "The Geneva Minimalistic Acoustic Parameter Set (GeMAPS) for voice
   research and affective computing", IEEE Trans. Affective Computing 7(2), 2016 (alpha
   ratio, Hammarberg index, loudness and F0 statistics as arousal correlates).
.. [4] P. N. Juslin and P. Laukka, "Communication of emotions in vocal expression and music
   performance", Psychological Bulletin 129(5), 2003 (direction of the arousal cues: higher
   and wider F0, more high-frequency energy, faster rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from empathy_signals.errors import InputError

__all__ = [
    "ANALYSIS_SR_HZ",
    "HOP_S",
    "activity_mask",
    "clipping_fraction",
    "extract_features",
    "f0_statistics",
    "frame_levels_dbfs",
    "level_statistics",
    "pause_statistics",
    "pitch_track",
    "spectral_balance",
    "syllable_nuclei",
    "to_analysis_rate",
    "words_per_second",
]

# --- Physical and hand-set constants (named here, used below) -------------------------------

#: Internal analysis rate: the narrow-band telephone rate, so a clip that was sent through an
#: 8 kHz line and a wide-band clip are analysed on the same band.
ANALYSIS_SR_HZ = 8000
#: Frame step (10 ms, the usual prosody frame rate).
HOP_S = 0.010
#: Window for levels and spectra (32 ms: 256 samples at 8 kHz, ~3 pitch periods at 100 Hz).
LEVEL_FRAME_S = 0.032
#: YIN integration window (30 ms).
YIN_WINDOW_S = 0.030
#: Pitch search range: covers adult speech including shouting (Titze, "Principles of voice
#: production", 1994: ~70-250 Hz male, ~140-500 Hz female conversational to loud).
F0_MIN_HZ = 60.0
F0_MAX_HZ = 500.0
#: Frames per vectorised YIN block (keeps the FFT work arrays in cache on long turns).
YIN_BLOCK_FRAMES = 256
#: YIN absolute threshold on the cumulative mean normalised difference (0.1-0.15 in [1]).
YIN_THRESHOLD = 0.15
#: A frame is voiced when its best YIN dip is below this aperiodicity (looser than the
#: threshold above, which only picks the first dip).
VOICED_APERIODICITY_MAX = 0.30
#: Speech activity: frames within this many dB of the clip's loud frames (95th percentile)
#: count as speech. 35 dB is about the dynamic range of running speech.
ACTIVITY_RANGE_DB = 35.0
#: ...and at least this many dB above the clip's quietest frames (5th percentile), so that
#: steady background noise is not counted as speech. That floor rule only applies when the
#: quietest frames are clearly apart from the loud ones (ACTIVITY_FLOOR_GAP_DB): otherwise
#: the clip has no silence and its quietest frames are quiet speech, not noise.
ACTIVITY_ABOVE_FLOOR_DB = 6.0
ACTIVITY_FLOOR_GAP_DB = 20.0
#: Frame powers are floored this many dB below the clip's loudest frame, and frames at that
#: floor are digital silence. Relative, so that digital silence shifts with the gain like
#: everything else (an absolute floor would break gain invariance for quiet clips).
LEVEL_FLOOR_DB = 150.0
#: de Jong & Wempe [2]: a syllable nucleus is a level peak with at least a 2 dB dip on
#: both sides; at most ~12 syllables per second (80 ms apart).
SYLLABLE_DIP_DB = 2.0
SYLLABLE_MIN_GAP_S = 0.080
#: Pauses: a silent gap of 200 ms or more is a pause; 1 s or more is a long silence
#: (Goldman-Eisler, 1968; 200-250 ms is the usual lower bound for a silent pause).
PAUSE_MIN_S = 0.20
LONG_SILENCE_MIN_S = 1.0
#: Spectral balance bands in the telephone band (GeMAPS [3] uses 50-1000 / 1000-5000 Hz;
#: the low edge moves to 300 Hz and the top to 3.4 kHz so that a phone line keeps them).
LOW_BAND_HZ = (300.0, 1000.0)
HIGH_BAND_HZ = (1000.0, 3400.0)
HAMMARBERG_SPLIT_HZ = 2000.0
#: Clipping: share of samples sitting within 0.1 % of the clip's own peak.
CLIP_PEAK_TOLERANCE = 1e-3

_EPS = 1e-20


def _librosa() -> Any:
    try:
        import librosa
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        from empathy_signals.errors import MissingExtraError

        raise MissingExtraError("prosody from audio", "audio") from exc
    return librosa


def to_analysis_rate(y: np.ndarray, *, sr_hz: float) -> np.ndarray:
    """Resample a mono signal to the 8 kHz analysis rate.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono samples.
    sr_hz : float
        Sample rate of ``y`` in Hz.

    Returns
    -------
    np.ndarray, shape (m,), float64
        ``y`` at :data:`ANALYSIS_SR_HZ` (band-limited below 4 kHz by soxr's HQ filter).
    """
    y = np.asarray(y, dtype=np.float64)
    if sr_hz == ANALYSIS_SR_HZ:
        return y
    return _librosa().resample(y, orig_sr=sr_hz, target_sr=ANALYSIS_SR_HZ, res_type="soxr_hq")


def _frames(y: np.ndarray, *, frame_len: int, hop: int) -> np.ndarray:
    """Centred frames, zero-padded: frame ``i`` is centred on sample ``i * hop``."""
    pad = frame_len // 2
    ypad = np.pad(y, (pad, pad + hop))
    n_frames = 1 + len(y) // hop
    view = np.lib.stride_tricks.sliding_window_view(ypad, frame_len)[::hop]
    return view[:n_frames]


def frame_levels_dbfs(
    y: np.ndarray, *, sr_hz: float, frame_s: float = LEVEL_FRAME_S, hop_s: float = HOP_S
) -> np.ndarray:
    """Short-term level of each frame in dBFS (a full-scale sine reads 0 dBFS).

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono samples.
    sr_hz : float
        Sample rate in Hz.
    frame_s, hop_s : float
        Window length and step in seconds.

    Returns
    -------
    np.ndarray, shape (n_frames,)
        ``10 * log10(2 * mean(x**2))`` per frame; digital silence is floored
        :data:`LEVEL_FLOOR_DB` below the loudest frame; ``-inf`` everywhere for an
        all-zero signal.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(8000) / 8000
    >>> lv = frame_levels_dbfs(0.1 * np.sin(2 * np.pi * 440 * t), sr_hz=8000)
    >>> round(float(np.median(lv)), 1)
    -20.0
    """
    frame_len = round(frame_s * sr_hz)
    hop = round(hop_s * sr_hz)
    fr = _frames(np.asarray(y, dtype=np.float64), frame_len=frame_len, hop=hop)
    power = np.mean(fr * fr, axis=1)
    top = float(power.max()) if power.size else 0.0
    if top <= 0.0:  # all digital silence: no level at all
        return np.full(power.shape, -np.inf)
    floor = top * 10.0 ** (-LEVEL_FLOOR_DB / 10.0)
    return 10.0 * np.log10(2.0 * np.maximum(power, floor))


def activity_mask(
    levels_dbfs: np.ndarray,
    *,
    range_db: float = ACTIVITY_RANGE_DB,
    above_floor_db: float = ACTIVITY_ABOVE_FLOOR_DB,
    floor_gap_db: float = ACTIVITY_FLOOR_GAP_DB,
) -> np.ndarray:
    """Speech-activity decision per frame, relative to the clip's own level distribution.

    A frame is active when it is within ``range_db`` of the clip's 95th-percentile level and,
    when the 5th percentile is at least ``floor_gap_db`` below that (the clip has silences),
    at least ``above_floor_db`` above the 5th percentile. All thresholds move with the clip's
    gain, so the decision does not change when the gain does.

    Parameters
    ----------
    levels_dbfs : np.ndarray, shape (n_frames,)
        Output of :func:`frame_levels_dbfs`.
    range_db, above_floor_db, floor_gap_db : float
        Thresholds in dB.

    Returns
    -------
    np.ndarray of bool, shape (n_frames,)
    """
    lv = np.asarray(levels_dbfs, dtype=np.float64)
    if lv.size == 0 or not np.isfinite(lv.max()):
        return np.zeros(lv.shape, dtype=bool)
    audible = lv > lv.max() - LEVEL_FLOOR_DB + 1.0
    if not np.any(audible):
        return np.zeros(lv.shape, dtype=bool)
    loud = np.percentile(lv[audible], 95)
    floor = np.percentile(lv, 5)
    threshold = loud - range_db
    if loud - floor >= floor_gap_db:
        threshold = max(threshold, floor + above_floor_db)
    return audible & (lv >= threshold)


def pitch_track(
    y: np.ndarray,
    *,
    sr_hz: float,
    fmin_hz: float = F0_MIN_HZ,
    fmax_hz: float = F0_MAX_HZ,
    hop_s: float = HOP_S,
    window_s: float = YIN_WINDOW_S,
    threshold: float = YIN_THRESHOLD,
    frame_mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fundamental frequency with a vectorised YIN [1]_ (fast; no probabilistic decoding).

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono samples.
    sr_hz : float
        Sample rate in Hz (8 kHz is enough, see :func:`to_analysis_rate`).
    fmin_hz, fmax_hz : float
        Pitch search range in Hz.
    hop_s, window_s : float
        Frame step and YIN integration window in seconds.
    threshold : float
        YIN absolute threshold: the first dip of the normalised difference below it wins.
    frame_mask : np.ndarray of bool, shape (n_frames,), optional
        Only analyse these frames (e.g. speech-active ones); the others get NaN pitch and
        aperiodicity 1. Frames are those of :func:`frame_levels_dbfs` with the same hop.

    Returns
    -------
    f0_hz : np.ndarray, shape (n_frames,)
        Best period candidate of each frame, as a frequency in Hz (NaN outside
        ``frame_mask``).
    aperiodicity : np.ndarray, shape (n_frames,)
        Normalised difference at that period, 0 (perfectly periodic) to ~1 (noise). A frame
        is voiced when it is low (see :data:`VOICED_APERIODICITY_MAX`).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(8000) / 8000
    >>> f0, ap = pitch_track(np.sin(2 * np.pi * 150 * t), sr_hz=8000)
    >>> round(float(np.median(f0)))
    150
    """
    if not (0 < fmin_hz < fmax_hz < sr_hz / 2):
        raise InputError(
            f"pitch_track needs 0 < fmin_hz < fmax_hz < sr_hz / 2; "
            f"got fmin_hz={fmin_hz!r}, fmax_hz={fmax_hz!r}, sr_hz={sr_hz!r}",
            field="fmin_hz",
            value=fmin_hz,
        )
    y = np.asarray(y, dtype=np.float64)
    hop = round(hop_s * sr_hz)
    win = round(window_s * sr_hz)
    max_lag = int(np.ceil(sr_hz / fmin_hz)) + 1
    min_lag = max(2, int(np.floor(sr_hz / fmax_hz)))
    frame_len = win + max_lag + 1
    all_frames = _frames(y, frame_len=frame_len, hop=hop)
    n_total = all_frames.shape[0]
    if frame_mask is None:
        selected = np.arange(n_total)
    else:
        selected = np.flatnonzero(np.asarray(frame_mask, dtype=bool)[:n_total])
    f0_out = np.full(n_total, np.nan)
    ap_out = np.ones(n_total)
    if selected.size == 0:
        return f0_out, ap_out
    for i0 in range(0, selected.size, YIN_BLOCK_FRAMES):
        block = selected[i0 : i0 + YIN_BLOCK_FRAMES]
        period, cmin = _yin_block(
            all_frames[block], win=win, min_lag=min_lag, max_lag=max_lag, threshold=threshold
        )
        f0_out[block] = sr_hz / period
        ap_out[block] = cmin
    return f0_out, ap_out


def _yin_block(
    frames: np.ndarray, *, win: int, min_lag: int, max_lag: int, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """YIN on a block of frames: period in samples (parabolic-interpolated), aperiodicity."""
    frame_len = frames.shape[1]
    # Remove each frame's mean so that DC offsets do not bias the difference function.
    frames = frames - frames.mean(axis=1, keepdims=True)
    # Lags up to max_lag read samples below win + max_lag < frame_len: no circular wrap.
    n_fft = 1 << int(np.ceil(np.log2(frame_len)))
    spec_full = np.fft.rfft(frames, n=n_fft, axis=1)
    spec_win = np.fft.rfft(frames[:, :win], n=n_fft, axis=1)
    # r[t, tau] = sum_{j < win} x[j] x[j + tau]
    acf = np.fft.irfft(np.conj(spec_win) * spec_full, n=n_fft, axis=1)[:, : max_lag + 1]
    sq_cum = np.concatenate(
        [np.zeros((frames.shape[0], 1)), np.cumsum(frames * frames, axis=1)], axis=1
    )
    lags = np.arange(max_lag + 1)
    energy_lag = sq_cum[:, lags + win] - sq_cum[:, lags]  # sum_{j<win} x[j+tau]^2
    diff = energy_lag[:, :1] + energy_lag - 2.0 * acf
    diff = np.maximum(diff, 0.0)
    diff[:, 0] = 0.0
    cum = np.cumsum(diff[:, 1:], axis=1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] * lags[1:] / np.maximum(cum, _EPS)

    search = cmnd[:, min_lag : max_lag + 1]
    idx = np.arange(search.shape[1])
    below = search < threshold
    has_dip = below.any(axis=1)
    first = np.argmax(below, axis=1)
    after = idx[None, :] > first[:, None]
    breaks = after & ~below
    run_end = np.where(breaks.any(axis=1), np.argmax(breaks, axis=1), search.shape[1])
    in_run = (idx[None, :] >= first[:, None]) & (idx[None, :] < run_end[:, None])
    best_thr = np.argmin(np.where(in_run, search, np.inf), axis=1)
    best_glob = np.argmin(search, axis=1)
    best = np.where(has_dip, best_thr, best_glob) + min_lag

    rows = np.arange(search.shape[0])
    lo = np.clip(best - 1, 1, max_lag)
    hi = np.clip(best + 1, 1, max_lag)
    c_lo, c_mid, c_hi = cmnd[rows, lo], cmnd[rows, best], cmnd[rows, hi]
    denom = c_lo - 2.0 * c_mid + c_hi
    shift = np.where(np.abs(denom) > _EPS, 0.5 * (c_lo - c_hi) / np.where(denom == 0, 1, denom), 0)
    shift = np.clip(shift, -1.0, 1.0)
    return best + shift, np.clip(c_mid, 0.0, None)


def _clean_f0(f0_hz: np.ndarray, voiced: np.ndarray) -> np.ndarray:
    """Voiced F0 with octave jumps and isolated voiced frames removed (NaN when unvoiced)."""
    f0 = np.where(voiced, f0_hz, np.nan)
    if np.count_nonzero(voiced) < 3:
        return np.full_like(f0, np.nan)
    # Drop voiced runs shorter than 3 frames (30 ms): too short to be a vowel.
    v = voiced.astype(np.int8)
    edges = np.diff(np.concatenate([[0], v, [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    for s, e in zip(starts, ends, strict=True):
        if e - s < 3:
            f0[s:e] = np.nan
    # Octave errors: more than 0.7 octave away from the clip's median voiced pitch.
    ok = np.isfinite(f0)
    if np.count_nonzero(ok) >= 3:
        med = np.median(f0[ok])
        bad = ok & (np.abs(np.log2(np.where(ok, f0, med) / med)) > 0.7)
        f0[bad] = np.nan
    return f0


def f0_statistics(*, f0_hz: np.ndarray, hop_s: float = HOP_S) -> dict[str, float]:
    """Pitch level, range, slope and perturbation from a cleaned F0 track.

    Parameters
    ----------
    f0_hz : np.ndarray, shape (n_frames,)
        F0 in Hz, NaN in unvoiced frames.
    hop_s : float
        Frame step in seconds.

    Returns
    -------
    dict
        ``f0_median_hz`` (median pitch), ``f0_range_st`` (10th to 90th percentile span in
        semitones), ``f0_sd_st`` (standard deviation in semitones), ``f0_slope_st_per_s``
        (least-squares slope over the turn), ``f0_perturbation_pct`` (median absolute change
        of the period between consecutive voiced frames, in % of the period: a frame-level
        jitter that includes intonation movement). Empty when fewer than 5 voiced frames.
    """
    ok = np.isfinite(f0_hz)
    if np.count_nonzero(ok) < 5:
        return {}
    f0 = f0_hz[ok]
    st = 12.0 * np.log2(f0 / 100.0)
    t = np.flatnonzero(ok) * hop_s
    p10, p90 = np.percentile(st, [10, 90])
    slope = float(np.polyfit(t, st, 1)[0]) if np.ptp(t) > 0 else 0.0
    period = 1.0 / f0_hz
    consecutive = ok[1:] & ok[:-1]
    if np.any(consecutive):
        jump = np.abs(np.diff(period))[consecutive]
        mean_period = 0.5 * (period[1:] + period[:-1])[consecutive]
        # Median, not mean: a few pitch-tracking glitches (or a phone codec) must not decide.
        perturbation = float(100.0 * np.median(jump / mean_period))
    else:
        perturbation = 0.0
    return {
        "f0_median_hz": float(np.median(f0)),
        "f0_range_st": float(p90 - p10),
        "f0_sd_st": float(np.std(st)),
        "f0_slope_st_per_s": slope,
        "f0_perturbation_pct": perturbation,
    }


def level_statistics(*, levels_dbfs: np.ndarray, active: np.ndarray) -> dict[str, float]:
    """Speech level and its variability over the active frames.

    Parameters
    ----------
    levels_dbfs : np.ndarray, shape (n_frames,)
        Output of :func:`frame_levels_dbfs`.
    active : np.ndarray of bool, shape (n_frames,)
        Output of :func:`activity_mask`.

    Returns
    -------
    dict
        ``loudness_dbfs``: active speech level (power mean over active frames; depends on
        the recording gain, reported but never used for arousal); ``loudness_sd_db``:
        standard deviation of the active frame levels; ``loudness_range_db``: 10th to 95th
        percentile span; ``loudness_peak_db``: loudest frame above the active speech level.
        The last three are differences of levels, so they do not depend on the gain.
    """
    lv = levels_dbfs[active]
    if lv.size < 3:
        return {}
    speech_level = 10.0 * np.log10(np.mean(10.0 ** (lv / 10.0)))
    p10, p95 = np.percentile(lv, [10, 95])
    return {
        "loudness_dbfs": float(speech_level),
        "loudness_sd_db": float(np.std(lv)),
        "loudness_range_db": float(p95 - p10),
        "loudness_peak_db": float(np.max(lv) - speech_level),
    }


def syllable_nuclei(
    *,
    levels_dbfs: np.ndarray,
    voiced: np.ndarray,
    active: np.ndarray,
    hop_s: float = HOP_S,
    dip_db: float = SYLLABLE_DIP_DB,
    min_gap_s: float = SYLLABLE_MIN_GAP_S,
) -> np.ndarray:
    """Frame indices of syllable nuclei, after de Jong and Wempe [2]_.

    A nucleus is a peak of the (3-frame smoothed) level contour, in an active frame with a
    voiced frame within 20 ms, that stands at least ``dip_db`` above the lowest point between
    it and the neighbouring peaks on both sides (its prominence).

    Returns
    -------
    np.ndarray of int
        Frame indices, increasing.
    """
    from scipy.signal import find_peaks

    lv = np.convolve(levels_dbfs, np.ones(3) / 3.0, mode="same")
    distance = max(1, round(min_gap_s / hop_s))
    peaks, _ = find_peaks(lv, prominence=dip_db, distance=distance)
    if peaks.size == 0:
        return peaks
    near_voiced = np.convolve(voiced.astype(float), np.ones(5), mode="same") > 0
    keep = active[peaks] & near_voiced[peaks]
    return peaks[keep]


def pause_statistics(
    *,
    active: np.ndarray,
    hop_s: float = HOP_S,
    min_pause_s: float = PAUSE_MIN_S,
    long_silence_s: float = LONG_SILENCE_MIN_S,
) -> dict[str, float]:
    """Silent pauses between the first and the last active frame.

    Returns
    -------
    dict
        ``speech_s`` (span from first to last active frame), ``phonation_s`` (that span less
        its pauses), ``pause_count``, ``pause_ratio`` (pause time / span),
        ``long_silence_count`` (pauses of ``long_silence_s`` or more), ``longest_pause_s``.
    """
    idx = np.flatnonzero(active)
    if idx.size == 0:
        return {}
    span = active[idx[0] : idx[-1] + 1]
    inactive = (~span).astype(np.int8)
    edges = np.diff(np.concatenate([[0], inactive, [0]]))
    lengths = (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)) * hop_s
    pauses = lengths[lengths >= min_pause_s - 1e-9]
    speech_s = span.size * hop_s
    pause_s = float(np.sum(pauses))
    return {
        "speech_s": float(speech_s),
        "phonation_s": float(speech_s - pause_s),
        "pause_count": float(pauses.size),
        "pause_ratio": float(pause_s / speech_s),
        "long_silence_count": float(np.count_nonzero(pauses >= long_silence_s - 1e-9)),
        "longest_pause_s": float(pauses.max()) if pauses.size else 0.0,
    }


def spectral_balance(
    y: np.ndarray,
    *,
    sr_hz: float,
    frame_mask: np.ndarray,
    frame_s: float = LEVEL_FRAME_S,
    hop_s: float = HOP_S,
    low_band_hz: tuple[float, float] = LOW_BAND_HZ,
    high_band_hz: tuple[float, float] = HIGH_BAND_HZ,
    hammarberg_split_hz: float = HAMMARBERG_SPLIT_HZ,
) -> dict[str, float]:
    """Vocal-effort cues from the long-term spectrum of the selected (voiced) frames.

    Louder, tenser voices put relatively more energy in the upper harmonics: the spectrum
    gets flatter. These are ratios of energies, so they do not depend on the gain.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono samples (8 kHz is enough).
    sr_hz : float
        Sample rate in Hz; must be at least twice the top of ``high_band_hz``.
    frame_mask : np.ndarray of bool, shape (n_frames,)
        Frames to average (voiced frames); frames are those of :func:`frame_levels_dbfs`.

    Returns
    -------
    dict
        ``alpha_ratio_db``: energy in ``high_band_hz`` over energy in ``low_band_hz`` (GeMAPS
        alpha ratio on the telephone band, higher = more effort); ``hammarberg_db``: strongest
        spectral peak below ``hammarberg_split_hz`` minus strongest above it (lower = more
        effort); ``spectral_slope_db_per_oct``: least-squares slope of the long-term spectrum
        in dB per octave between the bottom of ``low_band_hz`` and the top of ``high_band_hz``.
    """
    if np.count_nonzero(frame_mask) < 3:
        return {}
    frame_len = round(frame_s * sr_hz)
    hop = round(hop_s * sr_hz)
    fr = _frames(np.asarray(y, dtype=np.float64), frame_len=frame_len, hop=hop)[frame_mask]
    window = np.hanning(frame_len)
    power = np.abs(np.fft.rfft(fr * window, axis=1)) ** 2
    ltas = power.mean(axis=0)
    freqs = np.fft.rfftfreq(frame_len, d=1.0 / sr_hz)

    def band(lo: float, hi: float) -> np.ndarray:
        return (freqs >= lo) & (freqs < hi)

    low = ltas[band(*low_band_hz)].sum()
    high = ltas[band(*high_band_hz)].sum()
    ltas_db = 10.0 * np.log10(ltas + _EPS)
    h_low = ltas_db[band(low_band_hz[0], hammarberg_split_hz)].max()
    h_high = ltas_db[band(hammarberg_split_hz, high_band_hz[1])].max()
    sel = band(low_band_hz[0], high_band_hz[1])
    slope = np.polyfit(np.log2(freqs[sel]), ltas_db[sel], 1)[0]
    return {
        "alpha_ratio_db": float(10.0 * np.log10((high + _EPS) / (low + _EPS))),
        "hammarberg_db": float(h_low - h_high),
        "spectral_slope_db_per_oct": float(slope),
    }


def clipping_fraction(y: np.ndarray, *, peak_tolerance: float = CLIP_PEAK_TOLERANCE) -> float:
    """Share of samples within ``peak_tolerance`` (relative) of the clip's absolute peak.

    A clipped recording piles samples up at its ceiling; a clean one has only a handful of
    samples near its peak. Relative to the clip's own peak, so gain does not matter.

    Returns
    -------
    float
        In [0, 1]; 0 for an all-zero clip.
    """
    a = np.abs(np.asarray(y, dtype=np.float64))
    peak = float(a.max()) if a.size else 0.0
    if peak <= 0.0:
        return 0.0
    return float(np.count_nonzero(a >= peak * (1.0 - peak_tolerance)) / a.size)


def words_per_second(word_timestamps: Sequence[Any]) -> float | None:
    """Speaking rate from word timings: words over the span from first start to last end.

    Parameters
    ----------
    word_timestamps : sequence
        ``(start_s, end_s)`` pairs, or mappings with ``start`` and ``end`` keys (seconds),
        optionally with a ``word`` key.

    Returns
    -------
    float or None
        Words per second; None for fewer than 2 words or a zero span.

    Raises
    ------
    InputError
        When an entry has no start/end or times that are not finite, negative or reversed.
    """
    spans: list[tuple[float, float]] = []
    for i, w in enumerate(word_timestamps):
        try:
            if isinstance(w, dict):
                start, end = float(w["start"]), float(w["end"])
            else:
                start, end = float(w[0]), float(w[1])
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise InputError(
                f"word_timestamps[{i}] must be a (start_s, end_s) pair or a mapping with "
                f"'start' and 'end' in seconds; got {w!r}",
                field=f"word_timestamps[{i}]",
                value=w,
            ) from exc
        if not (np.isfinite(start) and np.isfinite(end) and 0 <= start <= end):
            raise InputError(
                f"word_timestamps[{i}] must satisfy 0 <= start <= end (seconds); got {w!r}",
                field=f"word_timestamps[{i}]",
                value=w,
            )
        spans.append((start, end))
    if len(spans) < 2:
        return None
    span = max(e for _, e in spans) - min(s for s, _ in spans)
    return len(spans) / span if span > 0 else None


def extract_features(
    y: np.ndarray,
    *,
    sr_hz: float,
    word_timestamps: Sequence[Any] | None = None,
    fmin_hz: float = F0_MIN_HZ,
    fmax_hz: float = F0_MAX_HZ,
) -> dict[str, float]:
    """All prosodic features of one turn (finite values only; missing when undefined).

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono samples, finite.
    sr_hz : float
        Sample rate in Hz.
    word_timestamps : sequence, optional
        Word timings in seconds relative to the start of ``y`` (see :func:`words_per_second`).
    fmin_hz, fmax_hz : float
        Pitch search range in Hz.

    Returns
    -------
    dict[str, float]
        ``duration_s``, ``active_s``, ``voiced_ratio`` (voiced share of active frames),
        the keys of :func:`f0_statistics`, :func:`level_statistics`,
        :func:`pause_statistics` and :func:`spectral_balance`, ``syllable_count``,
        ``syllable_rate_per_s`` (nuclei per second of phonation: articulation rate),
        ``words_per_s`` when word timings are given. A key is absent when its quantity is
        undefined (no voiced frames: no pitch).
    """
    y8 = to_analysis_rate(y, sr_hz=sr_hz)
    levels = frame_levels_dbfs(y8, sr_hz=ANALYSIS_SR_HZ)
    active = activity_mask(levels)
    f0_raw, aperiodicity = pitch_track(
        y8, sr_hz=ANALYSIS_SR_HZ, fmin_hz=fmin_hz, fmax_hz=fmax_hz, frame_mask=active
    )
    voiced = active & (aperiodicity < VOICED_APERIODICITY_MAX)
    f0 = _clean_f0(f0_raw, voiced)
    voiced = np.isfinite(f0)

    feats: dict[str, float] = {
        "duration_s": float(len(y8) / ANALYSIS_SR_HZ),
        "active_s": float(np.count_nonzero(active) * HOP_S),
    }
    n_active = int(np.count_nonzero(active))
    feats["voiced_ratio"] = float(np.count_nonzero(voiced) / n_active) if n_active else 0.0
    feats.update(f0_statistics(f0_hz=f0))
    feats.update(level_statistics(levels_dbfs=levels, active=active))
    pauses = pause_statistics(active=active)
    feats.update(pauses)
    feats.update(spectral_balance(y8, sr_hz=ANALYSIS_SR_HZ, frame_mask=voiced))
    nuclei = syllable_nuclei(levels_dbfs=levels, voiced=voiced, active=active)
    feats["syllable_count"] = float(nuclei.size)
    if pauses.get("phonation_s", 0.0) > 0.0:
        feats["syllable_rate_per_s"] = float(nuclei.size / pauses["phonation_s"])
    if word_timestamps is not None:
        wps = words_per_second(word_timestamps)
        if wps is not None:
            feats["words_per_s"] = float(wps)
    return {k: v for k, v in feats.items() if np.isfinite(v)}
