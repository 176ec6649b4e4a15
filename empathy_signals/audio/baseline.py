"""Per-caller baseline: how far a turn's voice is from the same caller's earlier turns.

A caller's "usual voice" is unknown at the first turn and gets sharper with every turn. The
baseline is a conjugate normal model per feature: the caller's own mean ``mu`` is drawn from
the population (mean ``m0``, between-speaker sd ``sb``), and each turn scatters around ``mu``
with the within-speaker sd ``sw``. After ``n`` turns with feature sum ``S``::

    precision = 1 / sb**2 + n / sw**2
    reference = (m0 / sb**2 + S / sw**2) / precision      # posterior mean of mu
    spread    = sqrt(sw**2 + 1 / precision)                # posterior predictive sd
    z         = (x - reference) / spread

With no earlier turn the reference is the population mean and the spread the population sd
(so a high-pitched voice is not mistaken for an excited one); after a few turns the reference
is the caller's own average and the spread shrinks to the within-speaker sd. The state is
``n`` and ``S`` per feature: O(1) memory and time per turn.

Population constants
--------------------
The means and spreads below are hand-set, rounded constants. They were read off the neutral
and calm clips of RAVDESS actors 1-16 (acted, studio, English; eval-only licence: these few
numbers are the only thing taken from it, nothing is fitted), after checking them against
what the literature expects: a mixed-sex population mean F0 near 150 Hz with a ~6 semitone
between-speaker spread (adult male ~120 Hz, female ~210 Hz; Titze 1994), and within-speaker
utterance-to-utterance F0 variation of 1-2 semitones. Spectral-balance values depend on this
package's exact definitions (telephone band, 32 ms Hann frames), so they cannot come from
published tables. RAVDESS actors 17-24 are kept for reporting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["POPULATION_PRIORS", "CallerBaseline", "FeaturePrior", "baseline_features"]


@dataclass(frozen=True)
class FeaturePrior:
    """Population prior of one baseline feature.

    Attributes
    ----------
    mean : float
        Population mean (``m0``), in the feature's unit.
    between_sd : float
        Spread of speakers' own means around ``mean`` (``sb``).
    within_sd : float
        Spread of one speaker's turns around the speaker's mean (``sw``).
    unit : str
        Unit of the feature, for explanations.
    """

    mean: float
    between_sd: float
    within_sd: float
    unit: str


#: Baseline features and their population priors (see the module docstring for provenance).
#: ``pitch_st`` is the median F0 in semitones above 100 Hz.
POPULATION_PRIORS: dict[str, FeaturePrior] = {
    "pitch_st": FeaturePrior(mean=7.3, between_sd=5.8, within_sd=1.5, unit="st"),
    "f0_range_st": FeaturePrior(mean=6.4, between_sd=1.1, within_sd=1.8, unit="st"),
    "f0_perturbation_pct": FeaturePrior(mean=0.74, between_sd=0.12, within_sd=0.15, unit="%"),
    "spectral_slope_db_per_oct": FeaturePrior(
        mean=-8.6, between_sd=0.8, within_sd=1.1, unit="dB/oct"
    ),
    "alpha_ratio_db": FeaturePrior(mean=-8.0, between_sd=2.0, within_sd=2.4, unit="dB"),
    "hammarberg_db": FeaturePrior(mean=19.6, between_sd=2.8, within_sd=3.9, unit="dB"),
    "syllable_rate_per_s": FeaturePrior(mean=3.6, between_sd=0.55, within_sd=0.8, unit="1/s"),
    # Reported only (relative level across turns); never part of the arousal score, because
    # the absolute level of a clip is set by the channel's gain, not by the caller.
    "loudness_dbfs": FeaturePrior(mean=-26.0, between_sd=6.0, within_sd=3.0, unit="dB"),
}


def baseline_features(features: dict[str, float]) -> dict[str, float]:
    """Map extracted features to the baseline's feature space (e.g. F0 to semitones).

    Parameters
    ----------
    features : dict[str, float]
        Output of :func:`empathy_signals.audio.features.extract_features`.

    Returns
    -------
    dict[str, float]
        The keys of :data:`POPULATION_PRIORS` that are defined for this turn.
    """
    out: dict[str, float] = {}
    f0 = features.get("f0_median_hz")
    if f0 is not None and f0 > 0:
        out["pitch_st"] = 12.0 * math.log2(f0 / 100.0)
    for name in POPULATION_PRIORS:
        if name != "pitch_st" and name in features:
            out[name] = float(features[name])
    return out


@dataclass
class CallerBaseline:
    """Running per-caller reference for each baseline feature (mutable; one per caller).

    Parameters
    ----------
    priors : dict[str, FeaturePrior], optional
        Population priors; defaults to :data:`POPULATION_PRIORS`.

    Examples
    --------
    >>> b = CallerBaseline()
    >>> round(b.reference("pitch_st")[0], 1)
    7.3
    >>> b.update({"pitch_st": 2.0})
    >>> b.turns("pitch_st")
    1
    """

    priors: dict[str, FeaturePrior] = field(default_factory=lambda: dict(POPULATION_PRIORS))
    _n: dict[str, float] = field(default_factory=dict, repr=False)
    _sum: dict[str, float] = field(default_factory=dict, repr=False)

    def turns(self, name: str) -> int:
        """Number of earlier turns that measured ``name``."""
        return round(self._n.get(name, 0.0))

    def reference(self, name: str) -> tuple[float, float]:
        """Reference value and spread of feature ``name`` (posterior mean, predictive sd)."""
        p = self.priors[name]
        n = self._n.get(name, 0.0)
        s = self._sum.get(name, 0.0)
        precision = 1.0 / p.between_sd**2 + n / p.within_sd**2
        mean = (p.mean / p.between_sd**2 + s / p.within_sd**2) / precision
        spread = math.sqrt(p.within_sd**2 + 1.0 / precision)
        return mean, spread

    def deviations(self, values: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
        """Physical deviations and z-scores of ``values`` from the current references.

        Returns
        -------
        delta : dict[str, float]
            ``value - reference`` in the feature's unit.
        z : dict[str, float]
            ``delta / spread`` (dimensionless).
        """
        delta: dict[str, float] = {}
        z: dict[str, float] = {}
        for name, x in values.items():
            if name not in self.priors or not math.isfinite(x):
                continue
            ref, spread = self.reference(name)
            delta[name] = x - ref
            z[name] = (x - ref) / spread
        return delta, z

    def update(self, values: dict[str, float]) -> None:
        """Add one turn's values to the caller's history (O(1))."""
        for name, x in values.items():
            if name in self.priors and math.isfinite(x):
                self._n[name] = self._n.get(name, 0.0) + 1.0
                self._sum[name] = self._sum.get(name, 0.0) + float(x)

    def state(self) -> dict[str, Any]:
        """Plain-data snapshot (turn counts and sums), e.g. to persist a session."""
        return {"n": dict(self._n), "sum": dict(self._sum)}
