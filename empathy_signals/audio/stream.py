"""Live-call streaming: push chunks of the caller's audio, score the turn at its end."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from empathy_signals.errors import InputError

if TYPE_CHECKING:
    from empathy_signals.audio.arousal import ProsodyResult, ProsodyTracker

__all__ = ["MAX_TURN_S", "AudioStream"]

#: A turn longer than this keeps only its last MAX_TURN_S seconds (bounded memory).
MAX_TURN_S = 120.0


class AudioStream:
    """Buffer of one caller turn arriving in chunks (from :meth:`ProsodyTracker.stream`).

    Chunks are kept at their own rate and converted once, at :meth:`end_turn`, so chunk
    boundaries leave no resampling edges. Memory is bounded by :data:`MAX_TURN_S`.

    Parameters
    ----------
    tracker : ProsodyTracker
        The caller's tracker; :meth:`end_turn` scores the turn with it.
    sr_hz : float
        Default sample rate of the chunks in Hz.

    Examples
    --------
    >>> import numpy as np
    >>> from empathy_signals.audio import ProsodyTracker
    >>> stream = ProsodyTracker(language="en").stream(sr_hz=8000)
    >>> for _ in range(10):
    ...     stream.push(np.zeros(800, dtype=np.int16))
    >>> round(stream.duration_s, 1)
    1.0
    >>> stream.end_turn().neutral_reason
    'silence'
    """

    def __init__(self, tracker: ProsodyTracker, *, sr_hz: float) -> None:
        self._tracker = tracker
        self._sr_hz = float(sr_hz)
        self._chunks: list[np.ndarray] = []
        self._n = 0

    @property
    def duration_s(self) -> float:
        """Seconds of audio buffered for the current turn."""
        return self._n / self._sr_hz

    def push(self, chunk: Any, *, sr_hz: float | None = None) -> None:
        """Append a chunk (mono or (n, channels); float or integer PCM) to the current turn.

        Raises
        ------
        InputError
            When ``sr_hz`` differs from the rate of the chunks already buffered.
        """
        from empathy_signals.audio.io import to_mono_16k

        rate = self._sr_hz if sr_hz is None else float(sr_hz)
        if not (math.isfinite(rate) and rate > 0):
            raise InputError(
                f"sr_hz must be a positive number of Hz; got {sr_hz!r}", field="sr_hz", value=sr_hz
            )
        if rate != self._sr_hz:
            if self._n:
                raise InputError(
                    f"sr_hz must stay the same within a turn ({self._sr_hz:g} Hz so far); "
                    f"got {sr_hz!r}",
                    field="sr_hz",
                    value=sr_hz,
                )
            self._sr_hz = rate
        # Mix down and scale now (cheap); resample once at the end of the turn.
        x = to_mono_16k(chunk, sr_hz=16000)
        self._chunks.append(x)
        self._n += x.size
        limit = int(MAX_TURN_S * self._sr_hz)
        while self._n - self._chunks[0].size >= limit and len(self._chunks) > 1:
            self._n -= self._chunks.pop(0).size

    def _samples(self) -> np.ndarray:
        from empathy_signals.audio.io import to_mono_16k

        y = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.float32)
        return to_mono_16k(y, sr_hz=self._sr_hz)

    def partial(self, *, word_timestamps: Sequence[Any] | None = None) -> ProsodyResult:
        """Score the turn so far without ending it or touching the caller's baseline."""
        return self._tracker.add(
            self._samples(), word_timestamps=word_timestamps, update_baseline=False
        )

    def end_turn(self, *, word_timestamps: Sequence[Any] | None = None) -> ProsodyResult:
        """Score the buffered turn, add it to the caller's baseline and start a new turn."""
        y = self._samples()
        self._chunks = []
        self._n = 0
        return self._tracker.add(y, word_timestamps=word_timestamps)
