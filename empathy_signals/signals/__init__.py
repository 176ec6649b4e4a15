"""Signals: pure, registered, versioned functions of one customer turn.

Importing this package registers every signal of the library (see :data:`REGISTRY`).
"""

from __future__ import annotations

import importlib
import importlib.util

from . import friction, requests  # noqa: F401  (registers the signals)
from .base import REGISTRY, Finding, History, Hit, SignalSpec, Span, TurnInput, register, signals_of
from .resources import LanguagePack

for _name in ("topics", "sentiment"):
    if importlib.util.find_spec(f"{__name__}.{_name}") is not None:
        importlib.import_module(f"{__name__}.{_name}")

__all__ = [
    "REGISTRY",
    "Finding",
    "History",
    "Hit",
    "LanguagePack",
    "SignalSpec",
    "Span",
    "TurnInput",
    "register",
    "signals_of",
]
