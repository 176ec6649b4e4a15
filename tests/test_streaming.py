"""The asyncio stream processor: real audio (espeak-ng speech when installed, synthetic voices
and tones otherwise) and transcripts in, the same assessments as the synchronous Session path
out; scoring off the event loop, order kept, a bounded read-ahead, clean cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from empathy_signals import Detector, Policy
from empathy_signals.errors import InputError
from empathy_signals.streaming import (
    AssessmentEvent,
    AudioChunk,
    DecisionChange,
    StreamProcessor,
    Transcript,
    process,
)

FR_TURNS = [
    ("bot", "Bonjour, que puis-je faire pour vous ?"),
    ("customer", "Bonjour, je n'arrive plus à me connecter à mon compte."),
    ("bot", "Je n'ai pas compris votre demande."),
    ("customer", "C'est la troisième fois que j'appelle, c'est inadmissible !"),
    ("agent", "Je comprends, c'est vraiment insupportable pour vous."),
    ("customer", "Je veux parler à un conseiller."),
    ("customer", "Passez-moi un conseiller, maintenant !"),
]


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


def _dump(assessment: Any) -> Any:
    return json.loads(assessment.model_dump_json())


async def _aiter(events: Iterable[Any]) -> AsyncIterator[Any]:
    for event in events:
        yield event
        await asyncio.sleep(0)  # a live source: other tasks run between events


async def _collect(events: Iterable[Any], **kwargs: Any) -> list[Any]:
    return [out async for out in process(_aiter(events), **kwargs)]


def _frames(samples: np.ndarray, frame: int) -> list[np.ndarray]:
    return [samples[i : i + frame] for i in range(0, len(samples), frame)]


def _pcm16(samples: np.ndarray) -> np.ndarray:
    return np.round(np.clip(samples, -1, 1) * 32767).astype("<i2")


def _sync_reference(
    detector: Detector, turns: list[tuple[str, str, list[Any], float]], language: str
) -> list[Any]:
    """The synchronous path: Session.add, with a Session.audio_stream for customer audio."""
    session = detector.session(language)
    stream = None
    out = []
    for speaker, text, chunks, rate in turns:
        audio = None
        if speaker == "customer" and chunks:
            if stream is None:
                stream = session.audio_stream(sample_rate_hz=rate)
            for chunk in chunks:
                if isinstance(chunk, bytes):
                    chunk = np.frombuffer(chunk, dtype="<i2")
                stream.push(chunk, sr_hz=rate)
            audio = stream
        assessment = session.add({"speaker": speaker, "text": text}, audio=audio)
        if speaker == "customer":
            out.append(_dump(assessment))
    return out


def _events(
    turns: list[tuple[str, str, list[Any], float]], *, agent_audio: bool = True
) -> list[Any]:
    """Audio frames first, a partial transcript in the middle, the final transcript last."""
    events: list[Any] = []
    for speaker, text, chunks, rate in turns:
        half = len(chunks) // 2
        for i, chunk in enumerate(chunks):
            if i == half:
                events.append(Transcript(speaker, text[: len(text) // 2], final=False))
            events.append(AudioChunk(chunk, sample_rate_hz=rate, speaker=speaker))
        if agent_audio and speaker == "customer":  # the agent's line bleeding in: dropped unread
            events.append(
                AudioChunk(np.ones(160, dtype=np.float32), sample_rate_hz=rate, speaker="agent")
            )
        events.append(Transcript(speaker, text))
    return events


def _check(outputs: list[Any], expected: list[Any]) -> None:
    assessments = [o for o in outputs if isinstance(o, AssessmentEvent)]
    assert [_dump(o.assessment) for o in assessments] == expected
    changes = [o for o in outputs if isinstance(o, DecisionChange)]
    previous, wanted = "continue", []
    for a in expected:
        if a["decision"] != previous:
            wanted.append((previous, a["decision"], a["index"]))
            previous = a["decision"]
    assert [(c.previous, c.decision, c.assessment.index) for c in changes] == wanted
    for i, out in enumerate(outputs):  # each change follows its own assessment
        if isinstance(out, DecisionChange):
            assert isinstance(outputs[i - 1], AssessmentEvent)
            assert outputs[i - 1].assessment is out.assessment


# ---------------------------------------------------------------- equal to the synchronous path


def test_text_only_stream_equals_the_session_path(detector: Detector) -> None:
    turns = [(s, t, [], 16000.0) for s, t in FR_TURNS]
    outputs = asyncio.run(_collect(_events(turns), detector=detector, language="fr"))
    expected = _sync_reference(detector, turns, "fr")
    _check(outputs, expected)
    assert [a["decision"] for a in expected][-1] == "escalate"
    assert all(o.audio_s == 0.0 for o in outputs if isinstance(o, AssessmentEvent))
    assert all(
        o.assessment.signals.prosody is None for o in outputs if isinstance(o, AssessmentEvent)
    )


def test_synthetic_voice_and_tones_equal_the_session_path(detector: Detector) -> None:
    pytest.importorskip("librosa")
    from empathy_signals.audio.synth import synthetic_voice, tone

    rate = 8000.0
    calm = synthetic_voice(f0_hz=110.0, duration_s=2.5, sr_hz=rate, seed=1)
    agitated = synthetic_voice(
        f0_hz=230.0,
        duration_s=2.5,
        sr_hz=rate,
        tilt_db_per_oct=-6.0,
        syllable_rate_per_s=6.5,
        level_dbfs=-8.0,
        seed=2,
    )
    beep = tone(freq_hz=440.0, duration_s=1.0, sr_hz=rate)
    turns = [
        ("bot", "Hello, how can I help?", [], rate),
        # float32 frames of 20 ms
        ("customer", "My card was charged twice.", _frames(calm.astype(np.float32), 160), rate),
        ("bot", "Sorry, I didn't get that.", [], rate),
        # 16-bit PCM bytes, as a telephony media stream sends them
        (
            "customer",
            "I already told you, this is ridiculous!",
            [f.tobytes() for f in _frames(_pcm16(agitated), 160)],
            rate,
        ),
        ("customer", "Hello?", [f.tobytes() for f in _frames(_pcm16(beep), 160)], rate),
        ("customer", "I want to talk to an agent.", [], rate),
    ]
    outputs = asyncio.run(
        _collect(_events(turns), detector=detector, language="en", sample_rate_hz=rate)
    )
    expected = _sync_reference(detector, turns, "en")
    _check(outputs, expected)
    events = [o for o in outputs if isinstance(o, AssessmentEvent)]
    assert [round(e.audio_s, 3) for e in events] == [2.5, 2.5, 1.0, 0.0]
    prosody = [e.assessment.signals.prosody for e in events]
    assert prosody[0] is not None and prosody[0].neutral_reason is None
    assert prosody[1].arousal > prosody[0].arousal
    assert prosody[3] is None  # no audio for that turn: text only


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
@pytest.mark.parametrize("language", ["fr", "en"])
def test_real_speech_equals_the_session_path(
    detector: Detector, tmp_path: Path, language: str
) -> None:
    sf = pytest.importorskip("soundfile")
    pytest.importorskip("librosa")
    lines = {
        "fr": [
            "Bonjour, ma carte bancaire ne fonctionne plus depuis trois jours.",
            "C'est inadmissible, je veux parler à un conseiller tout de suite !",
        ],
        "en": [
            "Hello, my bank card has not worked for three days.",
            "This is unacceptable, I want to talk to a person right now!",
        ],
    }[language]
    turns: list[tuple[str, str, list[Any], float]] = []
    for i, (text, pitch, speed) in enumerate(zip(lines, (35, 80), (150, 230), strict=True)):
        wav = tmp_path / f"{language}{i}.wav"
        subprocess.run(
            ["espeak-ng", "-v", language, "-p", str(pitch), "-s", str(speed), "-w", str(wav), text],
            check=True,
            capture_output=True,
        )
        pcm, rate = sf.read(wav, dtype="int16")
        frame = int(rate * 0.02)
        turns.append(
            ("bot", "Que puis-je faire ?" if language == "fr" else "How can I help?", [], rate)
        )
        turns.append(("customer", text, [f.tobytes() for f in _frames(pcm, frame)], float(rate)))
    outputs = asyncio.run(
        _collect(_events(turns), detector=detector, language=language, sample_rate_hz=turns[1][3])
    )
    expected = _sync_reference(detector, turns, language)
    _check(outputs, expected)
    prosody = [o.assessment.signals.prosody for o in outputs if isinstance(o, AssessmentEvent)]
    assert all(p is not None and p.neutral_reason is None for p in prosody)
    assert prosody[1].features["f0_median_hz"] > prosody[0].features["f0_median_hz"]
    assert expected[-1]["decision"] != "continue"


def test_a_text_only_policy_drops_audio_unread(detector: Detector) -> None:
    policy = Policy.default().model_copy(update={"text_only": True})
    text_only = Detector(policy)
    chunk = AudioChunk(np.zeros(4, dtype=np.float32))  # would fail if ever analysed (too short)
    events = [chunk, Transcript("customer", "Je veux parler à un conseiller")]
    outputs = asyncio.run(_collect(events, detector=text_only, language="fr"))
    assert outputs[0].audio_s == 0.0 and outputs[0].assessment.signals.prosody is None


# ---------------------------------------------------------------- the event loop


def test_scoring_runs_off_the_event_loop_and_in_order(detector: Detector) -> None:
    threads: list[int] = []

    async def main() -> list[Any]:
        processor = StreamProcessor(detector, language="fr")
        add = processor.session.add

        def observed_add(*args: Any, **kwargs: Any) -> Any:
            threads.append(threading.get_ident())
            return add(*args, **kwargs)

        processor.session.add = observed_add  # type: ignore[method-assign]
        loop_thread = threading.get_ident()
        # concurrent handle() calls are served one at a time, in call order
        results = await asyncio.gather(*(processor.handle(Transcript(s, t)) for s, t in FR_TURNS))
        assert loop_thread not in threads
        return [out for outs in results for out in outs]

    outputs = asyncio.run(main())
    assert len(threads) == len(FR_TURNS)
    indices = [o.assessment.index for o in outputs if isinstance(o, AssessmentEvent)]
    assert indices == [i for i, (s, _) in enumerate(FR_TURNS) if s == "customer"]


def test_the_loop_stays_responsive_while_a_long_turn_is_scored(detector: Detector) -> None:
    pytest.importorskip("librosa")
    from empathy_signals.audio.synth import synthetic_voice

    voice = synthetic_voice(duration_s=60.0, sr_hz=16000).astype(np.float32)

    async def main() -> tuple[float, float]:
        processor = StreamProcessor(detector, language="en")
        await processor.handle(AudioChunk(voice[:160]))  # warm-up: the audio stack loads
        await processor.handle(Transcript("customer", "warm-up"))
        for frame in _frames(voice, 16000):
            await processor.handle(AudioChunk(frame))
        gaps: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        tick = asyncio.create_task(ticker())
        started = time.perf_counter()
        await processor.handle(Transcript("customer", "I have been waiting for an hour"))
        took = time.perf_counter() - started
        stop.set()
        await tick
        return took, max(gaps)

    took, worst_gap = asyncio.run(main())
    # the ticker kept running while 60 s of audio were scored (GIL hand-offs aside)
    assert worst_gap < max(0.5 * took, 0.05), (took, worst_gap)


# ---------------------------------------------------------------- backpressure and cancellation


def test_read_ahead_is_bounded(detector: Detector) -> None:
    produced = 0

    async def endless() -> AsyncIterator[Any]:
        nonlocal produced
        while True:
            produced += 1
            yield Transcript("customer", f"message {produced}")

    async def main() -> None:
        processor = StreamProcessor(detector, language="en", max_pending=4)
        async with contextlib.aclosing(processor.run(endless())) as results:
            consumed = 0
            async for out in results:
                if isinstance(out, AssessmentEvent):
                    consumed += 1
                if consumed == 3:
                    await asyncio.sleep(0.2)  # a slow consumer: the reader must stop
                    # handled (3) + the queue (4) + one the reader holds, waiting for room
                    assert produced <= consumed + 4 + 1, produced
                    break

    asyncio.run(main())


def test_cancelling_the_consumer_closes_the_source_and_the_reader(detector: Detector) -> None:
    state = {"closed": False, "sent": 0}

    async def live_call() -> AsyncIterator[Any]:
        try:
            while True:
                state["sent"] += 1
                yield AudioChunk(np.zeros(160, dtype=np.int16))
                yield Transcript("customer", "allô ?")
                await asyncio.sleep(0.001)
        finally:
            state["closed"] = True

    async def main() -> None:
        processor = StreamProcessor(detector, language="fr")
        got: list[Any] = []

        async def consume() -> None:
            async with contextlib.aclosing(processor.run(live_call())) as results:
                async for out in results:
                    got.append(out)

        task = asyncio.create_task(consume())
        while len(got) < 3:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert state["closed"]
        assert asyncio.all_tasks() == {asyncio.current_task()}
        # the processor is still whole: the next turn continues the session (after a turn
        # whose scoring was under way when the consumer was cancelled, if there was one)
        out = await processor.handle(Transcript("customer", "Je veux parler à un conseiller"))
        assert out[0].assessment.index == processor.session.turns_seen - 1
        indices = [o.assessment.index for o in got if isinstance(o, AssessmentEvent)]
        assert indices == list(range(len(indices)))
        assert out[0].assessment.index in (len(indices), len(indices) + 1)

    asyncio.run(main())


def test_a_turn_cancelled_while_scored_finishes_before_the_next(detector: Detector) -> None:
    class SlowPool(ThreadPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            def slow() -> Any:
                time.sleep(0.1)
                return fn(*args, **kwargs)

            return super().submit(slow)

    async def main() -> None:
        with SlowPool(max_workers=4) as pool:
            processor = StreamProcessor(detector, language="en", executor=pool)
            first = asyncio.create_task(
                processor.handle(Transcript("customer", "I want to talk to an agent"))
            )
            await asyncio.sleep(0.02)  # the first turn is being scored
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first
            second = await processor.handle(Transcript("customer", "I want to talk to an agent!"))
            # the cancelled turn was still added, first; the session saw both, in order
            assert second[0].assessment.index == 1
            assert second[0].assessment.signals.human_request.count == 2

    asyncio.run(main())


def test_a_failing_source_raises_after_the_earlier_results(detector: Detector) -> None:
    async def broken() -> AsyncIterator[Any]:
        yield Transcript("customer", "Je veux parler à un conseiller")
        raise ConnectionResetError("the media stream dropped")

    async def main() -> list[Any]:
        got: list[Any] = []
        with pytest.raises(ConnectionResetError):
            async for out in process(broken(), detector=detector, language="fr"):
                got.append(out)
        return got

    got = asyncio.run(main())
    assert [type(o).__name__ for o in got] == ["AssessmentEvent", "DecisionChange"]


def test_bad_events_and_arguments_raise_input_errors(detector: Detector) -> None:
    async def main() -> None:
        processor = StreamProcessor(detector)
        with pytest.raises(InputError, match="AudioChunk or Transcript"):
            await processor.handle({"speaker": "customer", "text": "hi"})  # type: ignore[arg-type]
        with pytest.raises(InputError, match="even number of bytes"):
            await processor.handle(AudioChunk(b"\x00\x01\x02"))
        with pytest.raises(InputError, match="speaker"):
            await processor.handle(Transcript("client", "hi"))  # type: ignore[arg-type]

    asyncio.run(main())
    with pytest.raises(InputError, match="max_pending"):
        StreamProcessor(detector, max_pending=0)
    with pytest.raises(InputError, match="sample_rate_hz"):
        StreamProcessor(detector, sample_rate_hz=-8000)
