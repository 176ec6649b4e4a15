"""Arousal from prosody, per caller, with explanations in physical units (fr, en).

The score only uses cues that survive a phone line: pitch level (relative to the caller),
pitch range and stability, spectral balance (vocal effort) and articulation rate. The clip's
absolute level is measured and reported relative to the caller's earlier turns, but it never
enters the score: automatic gain control and per-file normalisation set it, not the caller.
So the arousal of a clip does not move when its gain changes or when it goes through 8 kHz.

How to read ``arousal``
-----------------------
``arousal = sigmoid(logit)`` with ``logit = AROUSAL_BIAS + sum(contributions)``. A turn that
sounds exactly like the caller's usual voice (every deviation zero) scores
:data:`NEUTRAL_AROUSAL` (about 0.2); 0.5 means the weighted deviations add up to
``-AROUSAL_BIAS / AROUSAL_GAIN`` = 1.5 standard deviations (of turn-to-turn variation)
towards an aroused voice; above 0.8 is a clearly raised, tense voice. Degenerate audio
(silence, too short, clipping, NaN, no voiced speech) returns :data:`NEUTRAL_AROUSAL` with
a ``neutral_reason``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from empathy_signals.audio.baseline import CallerBaseline, baseline_features
from empathy_signals.errors import InputError

if TYPE_CHECKING:
    from empathy_signals.audio.stream import AudioStream

__all__ = [
    "AROUSAL_BIAS",
    "AROUSAL_GAIN",
    "AROUSAL_WEIGHTS",
    "MIN_DURATION_S",
    "NEUTRAL_AROUSAL",
    "ProsodyResult",
    "ProsodyTracker",
    "analyze_prosody",
    "arousal_score",
    "neutral_reason",
]

SR_HZ = 16000

# --- Hand-set constants ---------------------------------------------------------------------
#: Weight of each baseline feature's z-score in the arousal logit. Signs follow the
#: literature on vocal arousal (Juslin & Laukka 2003; Eyben et al. 2016, GeMAPS): higher
#: pitch, wider pitch range, flatter spectrum (more energy above 1 kHz: higher alpha ratio
#: and slope, lower Hammarberg index) and faster articulation go with high arousal. The
#: magnitudes are round numbers (1 for the primary cues, 0.5 for the secondary ones); the
#: larger weight of ``f0_perturbation_pct`` (pitch instability between 10 ms frames) was
#: chosen by looking at RAVDESS actors 1-16 only (eval-only data: nothing fitted).
AROUSAL_WEIGHTS: dict[str, float] = {
    "pitch_st": 1.0,
    "spectral_slope_db_per_oct": 1.0,
    "f0_perturbation_pct": 1.0,
    "alpha_ratio_db": 0.5,
    "hammarberg_db": -0.5,
    "f0_range_st": 0.5,
    "syllable_rate_per_s": 0.5,
}
#: z-scores are clipped to +-Z_CLIP so one wild feature cannot decide alone.
Z_CLIP = 4.0
#: logit = AROUSAL_BIAS + AROUSAL_GAIN * sum(w * z) / sqrt(sum(w**2)).
AROUSAL_GAIN = 1.0
AROUSAL_BIAS = -1.5
#: Arousal of a turn whose voice is exactly the caller's usual one (and of degenerate audio).
NEUTRAL_AROUSAL = 1.0 / (1.0 + math.exp(-AROUSAL_BIAS))
#: Degenerate audio thresholds.
MIN_DURATION_S = 0.3
MIN_ACTIVE_S = 0.1
SILENCE_PEAK = 1e-5  # -100 dBFS: below any real recording's noise floor
CLIPPED_FRACTION = 0.01  # 1 % of samples stuck at the peak (clean speech: ~0.002 %)
#: A deviation that raises arousal is worth a message when its |z| reaches this.
MESSAGE_MIN_Z = 1.0
MAX_MESSAGES = 3
#: Level rise (dB) worth reporting relative to the caller's earlier turns.
MESSAGE_MIN_LEVEL_DB = 3.0

LANGUAGES = ("fr", "en")

_REASONS = {
    "non_finite": {
        "fr": "audio invalide (valeurs NaN ou infinies) : prosodie neutre",
        "en": "invalid audio (NaN or infinite samples): neutral prosody",
    },
    "too_short": {
        "fr": "audio trop court (moins de 0,3 s) : prosodie neutre",
        "en": "audio too short (under 0.3 s): neutral prosody",
    },
    "silence": {
        "fr": "silence : pas de voix à analyser",
        "en": "silence: no voice to analyse",
    },
    "clipping": {
        "fr": "audio saturé (écrêtage) : prosodie neutre",
        "en": "clipped (saturated) audio: neutral prosody",
    },
    "no_voiced_speech": {
        "fr": "pas de parole voisée détectée : prosodie neutre",
        "en": "no voiced speech detected: neutral prosody",
    },
}


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise InputError(
            f"language must be one of {LANGUAGES!r}; got {language!r}",
            field="language",
            value=language,
        )
    return language


def neutral_reason(y: np.ndarray, *, sr_hz: float = SR_HZ) -> str | None:
    """Why a clip cannot be analysed, or None when it can.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono samples.
    sr_hz : float
        Sample rate in Hz.

    Returns
    -------
    str or None
        ``"non_finite"``, ``"too_short"`` (under :data:`MIN_DURATION_S`), ``"silence"``
        (peak under -100 dBFS) or ``"clipping"`` (over 1 % of samples at the clip's peak).
    """
    from empathy_signals.audio.features import clipping_fraction

    if y.size and not np.all(np.isfinite(y)):
        return "non_finite"
    if y.size < MIN_DURATION_S * sr_hz:
        return "too_short"
    if float(np.max(np.abs(y))) < SILENCE_PEAK:
        return "silence"
    if clipping_fraction(y) > CLIPPED_FRACTION:
        return "clipping"
    return None


def arousal_score(
    z: dict[str, float], *, weights: dict[str, float] | None = None
) -> tuple[float, dict[str, float]]:
    """Arousal in [0, 1] from baseline z-scores, with the logit contribution of each cue.

    Parameters
    ----------
    z : dict[str, float]
        z-scores from :meth:`CallerBaseline.deviations`; missing cues are skipped.
    weights : dict[str, float], optional
        Defaults to :data:`AROUSAL_WEIGHTS`.

    Returns
    -------
    arousal : float
        ``sigmoid(AROUSAL_BIAS + sum(contributions))``.
    contributions : dict[str, float]
        Logit contribution per cue; with the bias they add up to the logit.

    Examples
    --------
    >>> a, c = arousal_score({})
    >>> round(a, 3) == round(NEUTRAL_AROUSAL, 3)
    True
    """
    w = AROUSAL_WEIGHTS if weights is None else weights
    used = {k: v for k, v in z.items() if k in w and w[k] != 0.0 and math.isfinite(v)}
    if not used:
        return NEUTRAL_AROUSAL, {}
    norm = math.sqrt(sum(w[k] ** 2 for k in used))
    contributions = {
        k: AROUSAL_GAIN * w[k] * max(-Z_CLIP, min(Z_CLIP, v)) / norm for k, v in used.items()
    }
    logit = AROUSAL_BIAS + sum(contributions.values())
    return 1.0 / (1.0 + math.exp(-logit)), contributions


def _fmt(x: float, language: str, *, digits: int = 0, sign: bool = True) -> str:
    s = f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"
    return s.replace(".", ",") if language == "fr" else s


def _messages(
    *,
    language: str,
    delta: dict[str, float],
    z: dict[str, float],
    contributions: dict[str, float],
    values: dict[str, float],
    baseline: CallerBaseline,
) -> list[str]:
    """Explanations in physical units, strongest contribution first."""
    msgs: list[tuple[float, str]] = []

    def ref_phrase(name: str) -> str:
        known = baseline.turns(name) > 0
        if language == "fr":
            return "la voix habituelle du client" if known else "une voix typique"
        return "the caller's usual voice" if known else "a typical voice"

    def que(ref: str) -> str:
        return f"qu'{ref}" if ref[0] in "aeiouy" else f"que {ref}"

    spectral = ("spectral_slope_db_per_oct", "alpha_ratio_db", "hammarberg_db")
    strongest_spectral = max(
        (k for k in spectral if k in contributions),
        key=lambda k: abs(contributions[k]),
        default=None,
    )

    for name, c in contributions.items():
        # Explain what raises arousal; a calmer-than-usual cue is not worth a message.
        if c <= 0.0 or abs(z.get(name, 0.0)) < MESSAGE_MIN_Z:
            continue
        d = delta[name]
        ref = ref_phrase(name)
        text: str | None = None
        if name == "pitch_st":
            if baseline.turns(name) == 0:
                continue  # vs a population mean, pitch mostly says male/female: not worth it
            pct = 100.0 * (2.0 ** (d / 12.0) - 1.0)
            text = (
                f"hauteur {_fmt(pct, language)} % par rapport à {ref}"
                if language == "fr"
                else f"pitch {_fmt(pct, language)}% relative to {ref}"
            )
        elif name == "f0_range_st":
            text = (
                f"intonation plus {'étendue' if d > 0 else 'plate'} "
                f"({_fmt(d, language, digits=1)} demi-tons d'écart par rapport à {ref})"
                if language == "fr"
                else f"{'wider' if d > 0 else 'flatter'} intonation "
                f"({_fmt(d, language, digits=1)} semitones of range relative to {ref})"
            )
        elif name == "f0_perturbation_pct":
            text = (
                f"voix {'plus instable' if d > 0 else 'plus stable'} {que(ref)} "
                f"(variation de hauteur {_fmt(values[name], language, digits=1, sign=False)} %)"
                if language == "fr"
                else f"{'less' if d > 0 else 'more'} steady voice than {ref} "
                f"(pitch perturbation {_fmt(values[name], language, digits=1, sign=False)}%)"
            )
        elif name in spectral:
            if name != strongest_spectral:
                continue  # three views of one cue (vocal effort): say it once
            tense = c > 0
            unit = "dB/octave" if name == "spectral_slope_db_per_oct" else "dB"
            label = {
                "spectral_slope_db_per_oct": ("pente spectrale", "spectral slope"),
                "alpha_ratio_db": ("énergie au-dessus de 1 kHz", "energy above 1 kHz"),
                "hammarberg_db": ("indice de Hammarberg", "Hammarberg index"),
            }[name]
            text = (
                f"voix {'plus tendue, plus forcée' if tense else 'plus relâchée'} {que(ref)} "
                f"({label[0]} {_fmt(d, language, digits=1)} {unit})"
                if language == "fr"
                else f"{'tenser, more forced' if tense else 'more relaxed'} voice than {ref} "
                f"({label[1]} {_fmt(d, language, digits=1)} {unit})"
            )
        elif name == "syllable_rate_per_s":
            ref_value = values[name] - d
            pct = 100.0 * d / ref_value if ref_value > 0 else 0.0
            text = (
                f"débit {_fmt(pct, language)} % par rapport à {ref}"
                if language == "fr"
                else f"speaking rate {_fmt(pct, language)}% relative to {ref}"
            )
        if text is not None:
            msgs.append((abs(c), text))
    msgs.sort(key=lambda m: -m[0])
    out = [m[1] for m in msgs[:MAX_MESSAGES]]

    d_level = delta.get("loudness_dbfs")
    if (
        d_level is not None
        and baseline.turns("loudness_dbfs") > 0
        and d_level >= MESSAGE_MIN_LEVEL_DB
    ):
        where = ("au-dessus de", "above") if d_level > 0 else ("en dessous de", "below")
        out.append(
            f"{_fmt(d_level, language)} dB {where[0]} la voix habituelle du client "
            "(niveau relatif, non utilisé dans le score : le gain de la ligne peut varier)"
            if language == "fr"
            else f"{_fmt(d_level, language)} dB {where[1]} the caller's usual voice "
            "(relative level, not used in the score: line gain may vary)"
        )
    return out


@dataclass(frozen=True)
class ProsodyResult:
    """Prosody of one caller turn.

    Attributes
    ----------
    arousal : float
        In [0, 1]; :data:`NEUTRAL_AROUSAL` (~0.18) for a voice exactly like the caller's
        usual one and for degenerate audio.
    features : dict[str, float]
        Measured features (finite values only), see
        :func:`empathy_signals.audio.features.extract_features`.
    deviations : dict[str, float]
        Deviation of each baseline feature from the caller's reference, in the feature's
        unit (``pitch_st`` in semitones, ``loudness_dbfs`` in dB, ...).
    z_scores : dict[str, float]
        The same deviations divided by their expected spread.
    contributions : dict[str, float]
        Logit contribution of each cue; ``logit = AROUSAL_BIAS + sum(contributions)``.
    messages : list[str]
        Explanations in physical units, in the tracker's language.
    neutral_reason : str or None
        Why the result is neutral (``"silence"``, ``"too_short"``, ``"clipping"``,
        ``"non_finite"``, ``"no_voiced_speech"``), else None.
    baseline_turns : int
        Earlier turns of this caller the pitch reference is built on.
    """

    arousal: float
    features: dict[str, float] = field(default_factory=dict)
    deviations: dict[str, float] = field(default_factory=dict)
    z_scores: dict[str, float] = field(default_factory=dict)
    contributions: dict[str, float] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    neutral_reason: str | None = None
    baseline_turns: int = 0

    @property
    def logit(self) -> float:
        """``AROUSAL_BIAS + sum(contributions)``."""
        return AROUSAL_BIAS + sum(self.contributions.values())

    def to_contract(self) -> dict[str, Any]:
        """The fusion contract's ``prosody`` value: ``{"arousal": float, "features": {...}}``."""
        return {"arousal": float(self.arousal), "features": dict(self.features)}


class ProsodyTracker:
    """Prosody of one caller across a conversation (holds the per-caller baseline).

    One tracker per conversation, fed only the **caller's** turns: never the agent's or the
    bot's audio. Each :meth:`add` is O(1) in the number of earlier turns.

    Parameters
    ----------
    language : {"fr", "en"}
        Language of the explanation messages.

    Examples
    --------
    >>> import numpy as np
    >>> tracker = ProsodyTracker(language="en")
    >>> res = tracker.add(np.zeros(16000, dtype=np.float32))
    >>> res.neutral_reason
    'silence'
    """

    def __init__(self, *, language: str = "fr") -> None:
        self.language = _check_language(language)
        self.baseline = CallerBaseline()
        self.turns = 0

    def _neutral(self, reason: str, features: dict[str, float] | None = None) -> ProsodyResult:
        return ProsodyResult(
            arousal=NEUTRAL_AROUSAL,
            features=dict(features or {}),
            messages=[_REASONS[reason][self.language]],
            neutral_reason=reason,
            baseline_turns=self.baseline.turns("pitch_st"),
        )

    def add(
        self,
        y: np.ndarray,
        *,
        sr_hz: float = SR_HZ,
        word_timestamps: Sequence[Any] | None = None,
        update_baseline: bool = True,
    ) -> ProsodyResult:
        """Score one caller turn, then add it to the caller's baseline.

        Parameters
        ----------
        y : np.ndarray, shape (n,)
            Mono samples of the turn (see :func:`empathy_signals.audio.load_audio`).
        sr_hz : float
            Sample rate of ``y`` in Hz (16 kHz from ``load_audio``).
        word_timestamps : sequence, optional
            Word timings in seconds from the start of ``y``: ``(start_s, end_s)`` pairs or
            mappings with ``start`` and ``end``; adds ``words_per_s``.
        update_baseline : bool
            False scores the turn without remembering it (e.g. a partial result).

        Returns
        -------
        ProsodyResult
        """
        from empathy_signals.audio.features import extract_features

        y = np.asarray(y)
        if y.ndim != 1:
            raise InputError(
                f"y must be mono, shape (n,); got shape {y.shape!r} (use load_audio to mix down)",
                field="y",
                value=y.shape,
            )
        if not (isinstance(sr_hz, int | float) and math.isfinite(sr_hz) and sr_hz > 0):
            raise InputError(
                f"sr_hz must be a positive number; got {sr_hz!r}", field="sr_hz", value=sr_hz
            )
        y = y.astype(np.float64, copy=False)
        reason = neutral_reason(y, sr_hz=sr_hz)
        if reason is not None:
            return self._neutral(reason)
        feats = extract_features(y, sr_hz=sr_hz, word_timestamps=word_timestamps)
        return self.add_features(feats, update_baseline=update_baseline)

    def add_features(
        self, features: dict[str, float], *, update_baseline: bool = True
    ) -> ProsodyResult:
        """Score one turn from already extracted features (see :meth:`add`).

        Parameters
        ----------
        features : dict[str, float]
            Output of :func:`empathy_signals.audio.features.extract_features`.
        update_baseline : bool
            False scores the turn without remembering it.

        Returns
        -------
        ProsodyResult
        """
        feats = {k: float(v) for k, v in features.items() if math.isfinite(v)}
        if feats.get("active_s", 0.0) < MIN_ACTIVE_S:
            return self._neutral("silence", feats)
        if "f0_median_hz" not in feats:
            return self._neutral("no_voiced_speech", feats)
        values = baseline_features(feats)
        delta, z = self.baseline.deviations(values)
        arousal, contributions = arousal_score(z)
        messages = _messages(
            language=self.language,
            delta=delta,
            z=z,
            contributions=contributions,
            values=values,
            baseline=self.baseline,
        )
        result = ProsodyResult(
            arousal=float(arousal),
            features=feats,
            deviations=delta,
            z_scores=z,
            contributions=contributions,
            messages=messages,
            neutral_reason=None,
            baseline_turns=self.baseline.turns("pitch_st"),
        )
        if update_baseline:
            self.baseline.update(values)
            self.turns += 1
        return result

    def stream(self, *, sr_hz: float = SR_HZ) -> AudioStream:
        """A chunk buffer for a live call; ``end_turn()`` scores the turn with this tracker."""
        from empathy_signals.audio.stream import AudioStream

        return AudioStream(self, sr_hz=sr_hz)


def analyze_prosody(
    y: np.ndarray,
    *,
    sr_hz: float = SR_HZ,
    language: str = "fr",
    word_timestamps: Sequence[Any] | None = None,
) -> ProsodyResult:
    """One-shot prosody of a single clip against the population prior (no caller history).

    Same as ``ProsodyTracker(language=language).add(y, sr_hz=sr_hz, ...)``.
    """
    return ProsodyTracker(language=language).add(y, sr_hz=sr_hz, word_timestamps=word_timestamps)
