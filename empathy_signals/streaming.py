"""An asyncio stream processor for voice pipelines: audio and transcripts in, assessments out.

A voice bot receives the caller's audio in small frames and the speech recogniser's
transcripts (partial, then final) as they come. :class:`StreamProcessor` buffers the
customer's frames of the current turn (a :meth:`Session.audio_stream`), and when the customer's
*final* transcript arrives, scores the turn with that audio and yields an
:class:`AssessmentEvent`, followed by a :class:`DecisionChange` when the decision moved.
Bot and agent transcripts feed the session too (friction), but their audio is dropped unread
and they are never scored for emotion; partial transcripts are ignored.

The scoring (text signals, prosody, the text model when on) runs in a worker thread, so the
event loop keeps serving audio; events are handled one at a time, in order. Input is read ahead
into a queue of at most ``max_pending`` events: past that the source is not read (backpressure).

>>> import asyncio
>>> from empathy_signals import Detector
>>> from empathy_signals.streaming import Transcript, process
>>> async def events():
...     yield Transcript("bot", "Bonjour, que puis-je faire pour vous ?")
...     yield Transcript("customer", "je veux parler à un", final=False)
...     yield Transcript("customer", "Je veux parler à un conseiller")
>>> async def main():
...     return [event async for event in process(events(), detector=Detector(), language="fr")]
>>> [type(event).__name__ for event in asyncio.run(main())]
['AssessmentEvent', 'DecisionChange']
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np

from .errors import InputError
from .schema import Assessment, Decision, Speaker, Turn

__all__ = [
    "MAX_PENDING",
    "AssessmentEvent",
    "AudioChunk",
    "DecisionChange",
    "Event",
    "OutputEvent",
    "StreamProcessor",
    "Transcript",
    "process",
]

#: Input events read ahead of the one being handled, at most (then the source waits).
MAX_PENDING = 64
_T = TypeVar("_T")


# ---------------------------------------------------------------- events in


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """A frame of one speaker's audio.

    Parameters
    ----------
    samples
        A numpy array, shape (n,) or (n, channels): float samples in [-1, 1] or integer PCM
        (int16, ...); or ``bytes`` of 16-bit little-endian mono PCM (telephony, WebSocket
        media streams).
    sample_rate_hz
        The chunk's sample rate in Hz (default: the processor's ``sample_rate_hz``). It must
        stay the same within a turn.
    speaker
        Whose audio it is; only the customer's is kept (and only when the policy reads voice).
    """

    samples: Any
    sample_rate_hz: float | None = None
    speaker: Speaker = "customer"


@dataclass(frozen=True, slots=True)
class Transcript:
    """What the recogniser (or the bot) said a speaker said; ``final=False`` for a partial one."""

    speaker: Speaker
    text: str
    final: bool = True
    #: Seconds (or a datetime) as the pipeline counts them; copied into the turn.
    timestamp: Any = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


#: What :meth:`StreamProcessor.run` and :func:`process` read.
Event = AudioChunk | Transcript


# ---------------------------------------------------------------- events out


@dataclass(frozen=True, slots=True)
class AssessmentEvent:
    """The assessment after a customer's final transcript."""

    assessment: Assessment
    turn: Turn
    #: Seconds of the customer's audio scored with the turn (0.0: text only).
    audio_s: float


@dataclass(frozen=True, slots=True)
class DecisionChange:
    """The decision moved (``continue`` -> ``offer_human``, ...); follows its assessment."""

    previous: Decision
    decision: Decision
    assessment: Assessment


#: What :meth:`StreamProcessor.run` and :func:`process` yield.
OutputEvent = AssessmentEvent | DecisionChange


class _End:
    """The source is exhausted."""


@dataclass(frozen=True, slots=True)
class _Failed:
    """Reading the source raised ``error``."""

    error: BaseException


# ---------------------------------------------------------------- the processor


class StreamProcessor:
    """One conversation of a voice pipeline (one :class:`~empathy_signals.detector.Session`).

    Parameters
    ----------
    detector
        A shared :class:`~empathy_signals.detector.Detector` (build it once per process; by
        default a new one is built here, which takes a moment).
    language
        ``"fr"``, ``"en"`` or ``"auto"``.
    sample_rate_hz
        Rate of audio chunks that do not give theirs, in Hz.
    max_pending
        Input events :meth:`run` reads ahead of the one being handled.
    executor
        Where the scoring runs (``None``: the event loop's default thread pool).

    Use :meth:`run` over an async iterable of events, or call :meth:`handle` for each event
    from a pipeline's own callback. One processor serves one conversation; calls to
    :meth:`handle` are serialised.
    """

    def __init__(
        self,
        detector: Any = None,
        *,
        language: Literal["fr", "en", "auto"] = "auto",
        sample_rate_hz: float = 16000.0,
        max_pending: int = MAX_PENDING,
        executor: Executor | None = None,
    ) -> None:
        if isinstance(max_pending, bool) or not isinstance(max_pending, int) or max_pending < 1:
            raise InputError(
                f"max_pending must be an integer >= 1; got {max_pending!r}",
                field="max_pending",
                value=max_pending,
            )
        if (
            isinstance(sample_rate_hz, bool)
            or not isinstance(sample_rate_hz, int | float)
            or not (0 < sample_rate_hz < float("inf"))
        ):
            raise InputError(
                f"sample_rate_hz must be a positive number of Hz; got {sample_rate_hz!r}",
                field="sample_rate_hz",
                value=sample_rate_hz,
            )
        if detector is None:
            from .detector import Detector

            detector = Detector()
        self.detector = detector
        self.session = detector.session(language)
        self.sample_rate_hz = float(sample_rate_hz)
        self.max_pending = max_pending
        self.executor = executor
        #: The decision after the last customer turn.
        self.decision: Decision = "continue"
        self._reads_audio = detector.policy.enabled("prosody")
        self._stream: Any = None
        self._lock: asyncio.Lock | None = None
        self._inflight: asyncio.Future[Any] | None = None

    # ------------------------------------------------------------ one event

    async def handle(self, event: Event) -> list[OutputEvent]:
        """Handle one event; returns what it produced (empty but for a customer's final
        transcript). Scoring runs in the executor; the customer's audio is buffered here
        (a copy and a scale of the chunk: microseconds)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._inflight is not None and not self._inflight.done():
                # a turn whose caller was cancelled is still being scored: let it finish first
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._inflight)
            if isinstance(event, AudioChunk):
                await self._push(event)
                return []
            if isinstance(event, Transcript):
                if not event.final:
                    return []
                return await self._turn(event)
            raise InputError(
                f"events must be AudioChunk or Transcript instances; got {type(event).__name__}",
                field="event",
                value=event,
            )

    async def _push(self, chunk: AudioChunk) -> None:
        if chunk.speaker != "customer" or not self._reads_audio:
            return  # the agent's and the bot's audio are never analysed
        samples = _samples_of(chunk.samples)
        if self._stream is None:  # the first chunk may import the audio stack: not on the loop
            self._stream = await self._in_thread(
                functools.partial(self.session.audio_stream, sample_rate_hz=self.sample_rate_hz)
            )
        self._stream.push(samples, sr_hz=chunk.sample_rate_hz)

    async def _turn(self, transcript: Transcript) -> list[OutputEvent]:
        if not isinstance(transcript.text, str):
            raise InputError(
                f"Transcript.text must be a string; got {type(transcript.text).__name__}",
                field="text",
                value=transcript.text,
            )
        from pydantic import ValidationError

        from .detector import validation_error

        try:
            turn = Turn.model_validate(
                {
                    "speaker": transcript.speaker,
                    "text": transcript.text,
                    "timestamp": transcript.timestamp,
                    "metadata": dict(transcript.metadata),
                }
            )
        except ValidationError as exc:
            raise validation_error(exc) from None
        assessment, audio_s, previous = await self._in_thread(functools.partial(self._score, turn))
        if turn.speaker != "customer":
            return []
        out: list[OutputEvent] = [AssessmentEvent(assessment, turn, audio_s)]
        if assessment.decision != previous:
            out.append(DecisionChange(previous, assessment.decision, assessment))
        return out

    def _score(self, turn: Turn) -> tuple[Assessment, float, Decision]:
        """In the worker thread: add the turn (with the customer's buffered audio)."""
        stream = self._stream
        audio = None
        audio_s = 0.0
        if turn.speaker == "customer" and stream is not None and stream.duration_s > 0:
            audio, audio_s = stream, stream.duration_s
        assessment = self.session.add(turn, audio=audio)
        previous = self.decision
        if turn.speaker == "customer":
            self.decision = assessment.decision
        return assessment, audio_s, previous

    async def _in_thread(self, fn: Callable[[], _T]) -> _T:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, fn)
        future.add_done_callback(_retrieve)
        self._inflight = future
        # shielded: cancelling the caller leaves the turn to finish (the session stays whole)
        return await asyncio.shield(future)

    # ------------------------------------------------------------ a stream of events

    async def run(self, events: AsyncIterable[Event]) -> AsyncIterator[OutputEvent]:
        """Handle ``events`` in order, yielding what they produce.

        The source is read ahead into a queue of at most ``max_pending`` events, so reading
        goes on while a turn is scored, and stops while the queue is full. Closing or
        cancelling the iteration cancels the reading and closes the source. Close it
        explicitly when leaving early: ``async with contextlib.aclosing(p.run(events)) as out``.
        """
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=self.max_pending)
        source = aiter(events)
        reader = asyncio.create_task(_read(source, queue), name="empathy-signals-stream-reader")
        try:
            while True:
                item = await queue.get()
                if isinstance(item, _End):
                    break
                if isinstance(item, _Failed):
                    raise item.error
                for out in await self.handle(item):
                    yield out
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()


async def _read(source: AsyncIterator[Any], queue: asyncio.Queue[Any]) -> None:
    try:
        async for event in source:
            await queue.put(event)
    except Exception as exc:  # noqa: BLE001 (handed to the consumer, raised there)
        await queue.put(_Failed(exc))
        return
    await queue.put(_End())


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark an orphaned result's exception as seen (its caller was cancelled)."""
    if not future.cancelled():
        future.exception()


def _samples_of(samples: Any) -> Any:
    if isinstance(samples, bytes | bytearray | memoryview):
        data = bytes(samples)
        if len(data) % 2:
            raise InputError(
                f"audio bytes must be 16-bit PCM (an even number of bytes); got {len(data)} bytes",
                field="samples",
                value=None,
            )
        return np.frombuffer(data, dtype="<i2")
    return samples


async def process(
    events: AsyncIterable[Event],
    *,
    detector: Any = None,
    language: Literal["fr", "en", "auto"] = "auto",
    sample_rate_hz: float = 16000.0,
    max_pending: int = MAX_PENDING,
) -> AsyncIterator[OutputEvent]:
    """Assess a live conversation: ``events`` in, :class:`AssessmentEvent` and
    :class:`DecisionChange` out (see :class:`StreamProcessor`).

    Parameters
    ----------
    events
        :class:`AudioChunk` and :class:`Transcript` events, in the order they happened.
    detector
        A shared :class:`~empathy_signals.detector.Detector` (default: one is built, in a
        worker thread).
    language, sample_rate_hz, max_pending
        As for :class:`StreamProcessor`.
    """
    if detector is None:
        from .detector import Detector

        detector = await asyncio.to_thread(Detector)
    processor = StreamProcessor(
        detector, language=language, sample_rate_hz=sample_rate_hz, max_pending=max_pending
    )
    async with contextlib.aclosing(processor.run(events)) as results:
        async for out in results:
            yield out
