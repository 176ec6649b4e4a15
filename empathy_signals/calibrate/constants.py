"""The named constants of the calibration, in one light module.

No numpy here: the command line shows some of them (``--l2``'s default, the ECE bins) in its
help and tables before anything heavy loads. The solver reads ``DEFAULT_L2`` to
``OBJECTIVE_TOLERANCE``, the fit ``L2_GRID``, ``CV_FOLDS``, ``WEIGHT_DECIMALS`` and
``SAFETY_FLOOR_TOPICS``, the metrics ``ECE_BINS`` and ``LOG_LOSS_EPS``.
"""

from __future__ import annotations

#: Default L2 strength: a Gaussian prior of standard deviation 1/sqrt(l2) logit on each weight,
#: centred on the base policy's weight (``prior="base"``). The loss is summed, not averaged,
#: so the prior weighs less as the data grows.
DEFAULT_L2 = 1.0
#: ``l2="auto"`` picks the strength from this grid by cross-validated log-loss ...
L2_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
#: ... over this many folds of conversations.
CV_FOLDS = 5
#: Temperature (logit units) of the smooth maximum ``t * log(sum(exp(z / t)))`` that stands for
#: the peak over a conversation's turns while fitting; it exceeds the true peak by at most
#: ``t * log(turns)`` (0.08 logit for five tied turns).
SMOOTH_MAX_TEMPERATURE = 0.05
#: Newton steps per convex sub-problem, and rounds of the multiple-instance iteration.
MAX_NEWTON_STEPS = 100
MAX_MIL_ROUNDS = 50
#: Convergence: projected gradient (per labelled group) and relative objective decrease.
GRADIENT_TOLERANCE = 1e-9
OBJECTIVE_TOLERANCE = 1e-12
#: Fitted weights are written with this many decimals (readable policy files).
WEIGHT_DECIMALS = 4
#: Equal-width bins of the expected calibration error and the reliability diagram.
ECE_BINS = 10
#: Probabilities are clipped to [eps, 1 - eps] in the log-loss.
LOG_LOSS_EPS = 1e-15
#: Topics whose weight a fitted policy never lowers below the base (with every topic of
#: ``overrides.escalate_topics``): safety floors.
SAFETY_FLOOR_TOPICS = ("self_harm",)
