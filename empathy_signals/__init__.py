"""empathy_signals: tells a customer-care bot, in real time and with reasons, when a
conversation needs a human. French and English.

>>> from empathy_signals import analyze
>>> analyze("Je veux parler à un conseiller", lang="fr").decision
'offer_human'

Heavy modules load on first use: ``import empathy_signals`` imports neither torch nor
librosa, and not even the detector until a name that needs it is touched.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "Conversation",
    "ConversationAssessment",
    "Detector",
    "EmpathySignalsError",
    "InputError",
    "ModelError",
    "Policy",
    "Session",
    "Turn",
    "__version__",
    "analyze",
]

_LAZY = {
    "Assessment": "schema",
    "Conversation": "schema",
    "ConversationAssessment": "schema",
    "Turn": "schema",
    "Detector": "detector",
    "Session": "detector",
    "analyze": "detector",
    "Policy": "config",
    "EmpathySignalsError": "errors",
    "InputError": "errors",
    "ModelError": "errors",
}

if TYPE_CHECKING:  # pragma: no cover
    from .config import Policy
    from .detector import Detector, Session, analyze
    from .errors import EmpathySignalsError, InputError, ModelError
    from .schema import Assessment, Conversation, ConversationAssessment, Turn


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'empathy_signals' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
