"""Concurrency (issue 7): one shared Detector, many sessions, in threads and in asyncio, gives
exactly what a sequential run gives; a conversation scored alone or inside a CLI batch gives the
same record."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from empathy_signals import Detector, cli

THREADS = 8
CONVERSATIONS = 20

FR = ["Bonjour, ma box ne marche plus", "C'est INADMISSIBLE !!!", "Je vous l'ai déjà dit", "mon père est décédé",
      "merci beaucoup", "Je veux parler à un conseiller", "je ne veux pas de conseiller", "prélèvement frauduleux",
      "je vais porter plainte", "j'ai perdu mon emploi, je ne peux pas payer", ""]
EN = ["Hello, my internet is down", "This is RIDICULOUS!!!", "I already told you", "My mother passed away",
      "thanks a lot", "I want to talk to an agent", "I don't need an agent", "someone stole my card",
      "I'll see you in court", "I want to cancel, 20 000 dollars is too much", "   "]
BOT = {"fr": ["Je n'ai pas compris votre demande.", "Pouvez-vous reformuler ?"],
       "en": ["Sorry, I didn't understand that.", "Could you rephrase?"]}


def _conversations(n: int = CONVERSATIONS) -> list[dict]:
    rng = random.Random(11)
    out = []
    for k in range(n):
        language = rng.choice(["fr", "en"])
        words = FR if language == "fr" else EN
        turns = []
        for _ in range(rng.randint(3, 14)):
            speaker = rng.choice(["customer", "customer", "customer", "bot", "agent"])
            text = rng.choice(BOT[language]) if speaker == "bot" else rng.choice(words)
            turns.append({"speaker": speaker, "text": text})
        out.append({"id": f"c{k}", "language": rng.choice([language, "auto"]), "turns": turns})
    return out


def _dump(result) -> str:
    return json.dumps(result.model_dump(mode="json"), sort_keys=True)


@pytest.fixture(scope="module")
def shared() -> Detector:
    return Detector()


@pytest.fixture(scope="module")
def sequential(shared: Detector) -> list[str]:
    return [_dump(shared.assess(c)) for c in _conversations()]


@pytest.fixture
def fast_switching():
    """Switch threads every microsecond so that sessions interleave inside turns."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def test_threads_on_one_detector_match_a_sequential_run(shared, sequential, fast_switching) -> None:
    conversations = _conversations()
    barrier = threading.Barrier(THREADS)
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        order = list(range(len(conversations)))
        random.Random(t).shuffle(order)
        try:
            barrier.wait()
            got = {i: _dump(shared.assess(conversations[i])) for i in order}
            results[t] = [got[i] for i in range(len(conversations))]
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(results) == list(range(THREADS))
    for t in range(THREADS):
        assert results[t] == sequential, f"thread {t}"


def test_streaming_sessions_interleaved_turn_by_turn(shared, sequential, fast_switching) -> None:
    """Sessions fed turn by turn from a pool of threads, every session's turns in order."""
    conversations = _conversations()
    sessions = [shared.session(c["language"]) for c in conversations]
    outputs: list[list] = [[] for _ in conversations]
    with ThreadPoolExecutor(THREADS) as pool:
        for step in range(max(len(c["turns"]) for c in conversations)):
            todo = [(i, c["turns"][step]) for i, c in enumerate(conversations) if step < len(c["turns"])]
            for i, a in zip([i for i, _ in todo], pool.map(lambda it: sessions[it[0]].add(it[1]), todo), strict=True):
                outputs[i].append(a)
    for i, assessments in enumerate(outputs):
        expected = json.loads(sequential[i])["turns"]
        assert [a.model_dump(mode="json") for a in assessments] == expected, conversations[i]["id"]


def test_asyncio_tasks_on_one_detector_match_a_sequential_run(shared, sequential) -> None:
    conversations = _conversations()

    async def main() -> list[str]:
        async def one(c: dict) -> str:
            return _dump(await asyncio.to_thread(shared.assess, c))

        runs = [asyncio.gather(*(one(c) for c in conversations)) for _ in range(THREADS)]
        return await asyncio.gather(*runs)

    for run in asyncio.run(main()):
        assert list(run) == sequential


def test_alone_or_inside_a_cli_batch_gives_the_same_record(tmp_path: Path, capsys, sequential) -> None:
    conversations = _conversations()
    batch = tmp_path / "batch.jsonl"
    batch.write_text("".join(json.dumps(c) + "\n" for c in conversations), encoding="utf-8")
    assert cli.main(["score", str(batch)]) == 0
    in_batch = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [json.dumps(r, sort_keys=True) for r in in_batch] == sequential
    for i in (0, 7, len(conversations) - 1):
        alone = tmp_path / f"alone{i}.jsonl"
        alone.write_text(json.dumps(conversations[i]) + "\n", encoding="utf-8")
        assert cli.main(["score", str(alone)]) == 0
        (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert record == in_batch[i]


def test_threads_on_one_detector_with_the_text_model(fast_switching) -> None:
    """The same with the bundled text model (torch, batched per conversation): 4 threads x 5."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    model_detector = Detector(model="e5-small")
    conversations = _conversations(5)
    expected = [_dump(model_detector.assess(c)) for c in conversations]
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda _: [_dump(model_detector.assess(c)) for c in conversations], range(4)))
    assert all(run == expected for run in runs)
