"""Bounded cost (issue 7): huge messages, adversarial regex input, a 10,000-turn conversation and a
one-hour recording finish in bounded time and memory.

Wall-clock bounds here are hang guards (generous, for a shared 2-core machine), not speed
targets: speed is measured in benchmarks/. Cited rather than repeated: tests/test_lexicon_engine.py
(100 kB adversarial turns through each lexicon section), tests/test_properties.py (a 40 kB word).
"""

from __future__ import annotations

import time
import tracemalloc
from functools import lru_cache
from pathlib import Path

import pytest

from empathy_signals import Assessment, Detector
from empathy_signals.readers import read_bytes
from empathy_signals.schema import TOPICS

#: A hang guard for one step, not a performance target.
HANG_GUARD_S = 20.0


@lru_cache(maxsize=1)
def detector() -> Detector:
    return Detector()


def _timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def _valid(a: Assessment) -> Assessment:
    assert Assessment.model_validate_json(a.model_dump_json()) == a
    return a


# ---------------------------------------------------------------- one huge message

PROSE = ("Bonjour, j'ai été prélevé deux fois ce mois-ci et personne ne me répond, c'est INADMISSIBLE !!! "
         "I already told you, this is ridiculous 😡. Mon père est décédé la semaine dernière. ")


@pytest.mark.parametrize("language", ["fr", "en", "auto"])
def test_a_one_megabyte_message_is_scored(language: str) -> None:
    text = (PROSE * (1_000_000 // len(PROSE) + 1))[:1_000_000]
    a, elapsed = _timed(detector().session(language).add, {"speaker": "customer", "text": text})
    _valid(a)
    assert a.decision == "escalate"  # bereavement is an escalate topic
    assert a.truncated and "50000 to 950000" in a.truncated  # limits.max_text_chars = 100,000
    assert elapsed < HANG_GUARD_S


def test_max_text_chars_scores_the_start_and_the_end_with_true_offsets() -> None:
    from empathy_signals import Policy

    policy = Policy.default().model_copy(update={"limits": Policy().limits.model_copy(update={"max_text_chars": 1_000})})
    middle = "Je veux parler à un conseiller. " * 100  # left out: no request counted from it
    text = "Bonjour. " + "x" * 600 + middle + "ok " * 200 + "Mon père est décédé."
    a = Detector(policy).session("fr").add({"speaker": "customer", "text": text})
    assert a.truncated == (f"text of {len(text)} characters: characters 500 to {len(text) - 500} were "
                           "not scored (limits.max_text_chars = 1000)")
    assert not a.signals.human_request.detected
    assert a.signals.topics.detected == ("bereavement",)
    quote = next(e for r in a.reasons for e in r.evidence if "décédé" in e.text)
    assert text[quote.start:quote.end] == quote.text  # offsets are the original text's
    short = Detector(policy).session("fr").add({"speaker": "customer", "text": "Mon père est décédé."})
    assert short.truncated is None


@pytest.mark.parametrize("value", [999, 0, -5, "many"])
def test_limits_are_validated_with_the_field_named(value) -> None:
    from empathy_signals import Policy
    from empathy_signals.errors import PolicyError

    with pytest.raises(PolicyError, match="limits.max_text_chars"):
        Policy.from_dict({"limits": {"max_text_chars": value}})


ADVERSARIAL = {
    "letters": "a " * 100_000,
    "negations": "pas " * 50_000,
    "ne_pas": "je ne veux pas ne pas ne " * 8_000,
    "apostrophes": "'" * 200_000,
    "elisions": "l'l'd'qu'" * 22_000,
    "hyphens": "-" * 200_000,
    "hyphenated": "ras-le-bol-" * 18_000,
    "emoji": "😡" * 100_000,
    "emoji_words": "😡 🙏 xD :) :( " * 15_000,
    "punctuation": "!?.,;:" * 33_000,
    "digits": "1" * 200_000,
    "digit_groups": "1 000 " * 33_000,
    "currency_words": "eur dollar livre " * 12_000,
    "combining": "e\u0301" * 100_000,
    "elongation": "noooooooooooooooooooooooooooooooooon " * 5_000,
    "capitals": "INADMISSIBLE " * 15_000,
    "requests": "conseiller humain agent " * 8_000,
    "no_spaces": "conseillerhumainagent" * 9_000,
    "speaker_labels": "Client : Bot : " * 13_000,
    "zero_width": "a\u200b" * 100_000,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_strings_through_every_signal(name: str) -> None:
    """Every package lexicon of both languages (the whole session: lexicon index, speller,
    sentiment, emoji, amounts, friction): no catastrophic backtracking."""
    text = ADVERSARIAL[name]
    for language in ("fr", "en"):
        a, elapsed = _timed(detector().session(language).add, {"speaker": "customer", "text": text})
        _valid(a)
        assert elapsed < HANG_GUARD_S, (name, language, elapsed)


def test_adversarial_transcript_lines_are_read_in_linear_time() -> None:
    """The transcript line regex (readers._TRANSCRIPT_RE) on long lines that almost match."""
    for line in (" " * 500_000 + "x", "a" * 500_000, "Client" + " " * 500_000 + "x", "[00:00" * 80_000):
        records, elapsed = _timed(lambda data: list(read_bytes(data, format="text", source="t")),
                                  line.encode())
        assert len(records) == 1 and elapsed < HANG_GUARD_S


def test_a_megabyte_of_amounts_is_scored() -> None:
    # Regression: each amount once scanned every token (quadratic: minutes for this message).
    # A hang guard, not a speed target (those live in benchmarks/).
    a, seconds = _timed(detector().session("fr").add, {"speaker": "customer", "text": "50000 € " * 125_000})
    assert "large_purchase" in a.signals.topics.scores
    assert seconds < HANG_GUARD_S


# ---------------------------------------------------------------- a 10,000-turn conversation

TURNS = [
    ("customer", "Je veux parler à un conseiller, c'est inadmissible !"),
    ("bot", "Je n'ai pas compris votre demande."),
    ("agent", "Bonjour, je suis Julie."),
    ("customer", "Mon père est décédé et il y a une fraude de 20 000 € sur ma carte"),
    ("bot", "Pouvez-vous reformuler ?"),
    ("customer", "I already told you, I want a human"),
    ("customer", ""),
]


def _state_sizes(session) -> dict[str, int]:
    sizes = {}
    for name, value in vars(session).items():
        if isinstance(value, list | dict | set | tuple | frozenset) or hasattr(value, "maxlen"):
            sizes[name] = len(value)
    return sizes


def test_a_ten_thousand_turn_session_keeps_bounded_state() -> None:
    session = detector().session("auto")
    sizes: list[dict[str, int]] = []

    def play(turns: range) -> None:
        for i in turns:
            speaker, text = TURNS[i % len(TURNS)]
            session.add({"speaker": speaker, "text": f"{text} {i}"})
            if i % 10 == 0:
                sizes.append(_state_sizes(session))

    play(range(1_000))
    early = {name: max(s[name] for s in sizes) for name in sizes[0]}
    play(range(1_000, 9_000))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        (_, elapsed) = _timed(play, range(9_000, 10_000))
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert session.turns_seen == 10_000
    late = {name: max(s[name] for s in sizes[100:]) for name in sizes[0]}
    topic_maps = {"_topic_peaks", "_topic_seen"}  # one entry per topic at most (a later turn may add one)
    assert {k: v for k, v in late.items() if k not in topic_maps} == {
        k: v for k, v in early.items() if k not in topic_maps}  # nothing grows with the turns
    assert session._customer_words.maxlen == 3 and session._request_evidence.maxlen == 5
    assert len(session._topic_peaks) <= len(TOPICS) and len(session._topic_seen) <= len(TOPICS)
    assert current - before < 1_000_000  # the last 1,000 turns left nothing behind
    assert peak - before < 50_000_000
    assert elapsed < HANG_GUARD_S


# ---------------------------------------------------------------- a one-hour recording


@pytest.fixture(scope="module")
def one_hour_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 h of 8 kHz int16 telephony (57.6 MB), written a minute at a time; a voice at 30:00."""
    np = pytest.importorskip("numpy")
    soundfile = pytest.importorskip("soundfile")
    pytest.importorskip("librosa")
    from empathy_signals.audio import synth

    path = tmp_path_factory.mktemp("audio") / "call.wav"
    rng = np.random.default_rng(0)
    hiss = (rng.normal(0.0, 0.003, 8000 * 60) * 32767).astype(np.int16)
    voice = (synth.synthetic_voice(f0_hz=180.0, duration_s=60.0, sr_hz=8000) * 32767).astype(np.int16)
    with soundfile.SoundFile(path, "w", samplerate=8000, channels=1, subtype="PCM_16") as f:
        for minute in range(60):
            f.write(voice if minute == 30 else hiss)
    assert path.stat().st_size > 57_000_000
    return path


@pytest.mark.parametrize("segment", [(1800.0, 1810.0), (3590.0, 3600.0), (3595.0, None)])
def test_a_segment_of_a_one_hour_recording_is_read_by_seeking(one_hour_wav: Path, segment) -> None:
    start, end = segment
    session = detector().session("fr", base_dir=one_hour_wav.parent)
    session.add({"speaker": "customer", "text": "allô", "audio": {"path": "call.wav", "start": 1.0, "end": 2.0}})
    audio = {"path": "call.wav", "start": start, **({} if end is None else {"end": end})}
    tracemalloc.start()
    try:
        a, elapsed = _timed(session.add, {"speaker": "customer", "text": "allô ?", "audio": audio})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _valid(a)
    prosody = a.signals.prosody
    assert prosody is not None
    if start == 1800.0:
        assert prosody.neutral_reason is None  # the voice at 30:00 was found and analysed
    decoded_16k_float32 = 3600 * 16000 * 4  # 230 MB: what loading it whole would cost
    assert peak < decoded_16k_float32 / 10, peak
    assert elapsed < HANG_GUARD_S


def test_a_whole_hour_as_one_turn_is_refused_cheaply(one_hour_wav: Path) -> None:
    """limits.max_turn_audio_s (600 s by default) is checked from the header: nothing is decoded."""
    session = detector().session("fr", base_dir=one_hour_wav.parent)
    tracemalloc.start()
    try:
        a, elapsed = _timed(session.add, {"speaker": "customer", "text": "allô", "audio": {"path": "call.wav"}})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert a.signals.prosody.neutral_reason == (
        "too long: 3600.0 s of audio in one turn; the limit (limits.max_turn_audio_s) is 600 s")
    assert peak < 20_000_000 and elapsed < HANG_GUARD_S


def test_max_turn_audio_s_is_configurable_and_applies_to_samples_too() -> None:
    import numpy as np

    from empathy_signals import Policy

    policy = Policy.from_dict({"limits": {"max_turn_audio_s": 2.0}})
    session = Detector(policy).session("fr")
    tone = np.sin(np.arange(3 * 8000) * 2 * np.pi * 180 / 8000).astype(np.float32)
    a = session.add({"speaker": "customer", "text": "allô"}, audio=tone, sample_rate_hz=8000)
    assert a.signals.prosody.neutral_reason.startswith("too long: 3.0 s of audio")
    b = session.add({"speaker": "customer", "text": "allô"}, audio=tone[:8000], sample_rate_hz=8000)
    assert not (b.signals.prosody.neutral_reason or "").startswith("too long")
