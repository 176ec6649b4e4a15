"""Calibration from outcomes: fit a policy's fusion weights and thresholds on labelled
conversations, and measure a policy on them (``docs/calibration.md``).

Every contact centre has its own tolerance. :func:`fit` learns the weights of the additive
logit (``fusion.features`` are its inputs, ``fusion.weight_vector`` its weights) from the
outcomes of past conversations, by L2-regularised logistic regression shrunk towards the
base policy, and places ``thresholds.offer_human`` (and ``escalate``) so that a chosen share
of conversations reaches the decision. :func:`evaluate` measures any policy on labelled
conversations (ROC AUC, average precision, Brier, log-loss, ECE, decision precision/recall).

>>> from empathy_signals.calibrate import threshold_for_rate
>>> threshold_for_rate([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95], 0.2)
0.9

Labelled data is the score input (``{"id", "language", "turns": [...]}``) plus a top-level
``"label"`` (did this conversation need a human: 0/1, true/false, ``"escalated"`` /
``"not_escalated"``) or per-turn labels in ``turns[i].metadata.label`` (customer turns).

The package, in the order of a fit:

* :mod:`~empathy_signals.calibrate.data`: :class:`Labelled` and its readers;
* :mod:`~empathy_signals.calibrate.observe`: what the detector sees in each customer turn;
* :mod:`~empathy_signals.calibrate.solver`: :func:`fit_weights`, the numerical core;
* :mod:`~empathy_signals.calibrate.thresholds`: :func:`threshold_for_rate`;
* :mod:`~empathy_signals.calibrate.fitting`: :func:`fit`, its report and the policy file;
* :mod:`~empathy_signals.calibrate.metrics`: :func:`score_metrics` and :func:`evaluate`;
* :mod:`~empathy_signals.calibrate.diagram`: :func:`reliability_svg`;
* :mod:`~empathy_signals.calibrate.commands`: ``empathy-signals fit`` and ``evaluate``;
* :mod:`~empathy_signals.calibrate.constants`: the named constants.

Importing this package does not import numpy: the command line imports it to build its
parser, and every name but the command-line functions loads on first use.

**Threads.** The solver's matrices are tiny (features x features, about 24 x 24), so a
multithreaded OpenBLAS gains nothing and its threads contend for the cores: on a small or
shared machine it can make the solver up to about 100 times slower. Set
``OPENBLAS_NUM_THREADS=1`` (and ``OMP_NUM_THREADS=1``) before numpy is imported, as
``benchmarks/calibration_quality.py`` does.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .commands import add_evaluate_arguments, add_fit_arguments, run_evaluate, run_fit

# The named constants stay importable from here, as before the split (not in __all__).
from .constants import (  # noqa: F401
    CV_FOLDS,
    DEFAULT_L2,
    ECE_BINS,
    GRADIENT_TOLERANCE,
    L2_GRID,
    LOG_LOSS_EPS,
    MAX_MIL_ROUNDS,
    MAX_NEWTON_STEPS,
    OBJECTIVE_TOLERANCE,
    SAFETY_FLOOR_TOPICS,
    SMOOTH_MAX_TEMPERATURE,
    WEIGHT_DECIMALS,
)
from .data import LABEL_VALUES  # noqa: F401

__all__ = [
    "DecisionMetrics",
    "FitReport",
    "FitResult",
    "Labelled",
    "Metrics",
    "RateReport",
    "ReliabilityBin",
    "ScoreMetrics",
    "add_evaluate_arguments",
    "add_fit_arguments",
    "as_labelled",
    "evaluate",
    "fit",
    "fit_weights",
    "read_labelled",
    "reliability_svg",
    "roc_auc",
    "run_evaluate",
    "run_fit",
    "score_metrics",
    "threshold_for_rate",
]

#: Name -> the module of this package that defines it (imported on first use: numpy comes
#: with most of them).
_LAZY = {
    "Labelled": "data",
    "as_labelled": "data",
    "read_labelled": "data",
    "fit_weights": "solver",
    "threshold_for_rate": "thresholds",
    "FitReport": "fitting",
    "FitResult": "fitting",
    "RateReport": "fitting",
    "fit": "fitting",
    "DecisionMetrics": "metrics",
    "Metrics": "metrics",
    "ReliabilityBin": "metrics",
    "ScoreMetrics": "metrics",
    "evaluate": "metrics",
    "score_metrics": "metrics",
    "roc_auc": "metrics",
    "reliability_svg": "diagram",
}

if TYPE_CHECKING:  # pragma: no cover
    from .data import Labelled, as_labelled, read_labelled
    from .diagram import reliability_svg
    from .fitting import FitReport, FitResult, RateReport, fit
    from .metrics import (
        DecisionMetrics,
        Metrics,
        ReliabilityBin,
        ScoreMetrics,
        evaluate,
        roc_auc,
        score_metrics,
    )
    from .solver import fit_weights
    from .thresholds import threshold_for_rate


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'empathy_signals.calibrate' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
