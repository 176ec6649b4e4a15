"""Signals: pure, registered, versioned functions of one customer turn.

Importing this package registers every signal of the library (see :data:`REGISTRY`).
"""

from __future__ import annotations

from . import friction, requests, sentiment, topics  # noqa: F401  (importing registers the signals)
from .base import REGISTRY, Finding, History, Hit, SignalSpec, Span, TurnInput, register, signals_of
from .resources import LanguagePack

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
