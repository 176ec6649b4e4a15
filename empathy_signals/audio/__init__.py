"""Prosody from the caller's audio: loading, pure feature functions, per-caller arousal.

Importing this package is cheap: numpy-only modules load on first use of a name, and
librosa/soundfile load inside the functions that need them (``pip install
empathy-signals[audio]``).

>>> from empathy_signals.audio import ProsodyTracker, load_audio
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from empathy_signals.audio.arousal import (
        NEUTRAL_AROUSAL,
        ProsodyResult,
        ProsodyTracker,
        analyze_prosody,
    )
    from empathy_signals.audio.io import load_audio, resolve_audio_path
    from empathy_signals.audio.stream import AudioStream

__all__ = [
    "NEUTRAL_AROUSAL",
    "AudioStream",
    "ProsodyResult",
    "ProsodyTracker",
    "analyze_prosody",
    "load_audio",
    "resolve_audio_path",
]

_LAZY = {
    "NEUTRAL_AROUSAL": "empathy_signals.audio.arousal",
    "ProsodyResult": "empathy_signals.audio.arousal",
    "ProsodyTracker": "empathy_signals.audio.arousal",
    "analyze_prosody": "empathy_signals.audio.arousal",
    "load_audio": "empathy_signals.audio.io",
    "resolve_audio_path": "empathy_signals.audio.io",
    "AudioStream": "empathy_signals.audio.stream",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'empathy_signals.audio' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
