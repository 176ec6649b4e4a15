"""Signals: pure, registered, versioned functions of one customer turn.

Importing this package registers every signal of the library (see :data:`REGISTRY`).
"""

from __future__ import annotations

import importlib
import importlib.util

from .base import REGISTRY, Finding, Hit, History, SignalSpec, Span, TurnInput, register, signals_of
from .resources import LanguagePack

from . import friction, requests  # noqa: E402,F401  (registers the signals)

for _name in ("topics", "sentiment"):
    if importlib.util.find_spec(f"{__name__}.{_name}") is not None:
        importlib.import_module(f"{__name__}.{_name}")

__all__ = [
    "REGISTRY",
    "Finding",
    "Hit",
    "History",
    "LanguagePack",
    "SignalSpec",
    "Span",
    "TurnInput",
    "register",
    "signals_of",
]
