"""Hostile input (issue 7): the API and the CLI never crash on junk, account for every record,
exit with the documented codes, never read audio they should not, and never reach the network.

Cited rather than repeated here: tests/test_cli.py (broken JSON lines, wrong types, missing
fields, binary garbage, exit codes 0/1/2/3, no traceback through ``python -m``),
tests/test_readers.py (each reader's error records), tests/test_properties.py (arbitrary
Unicode text), tests/test_session_audio.py (text-only and agent/bot audio never read),
tests/test_encoder.py (sha256 mismatch of a text file; no network while loading the model).
Confirmed bugs are ``xfail(strict=True)`` with the exact input; docs/reliability.md lists them.
"""

from __future__ import annotations

import json
import logging
import math
import random
import socket
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from conftest import NetworkBlockedError, block_network, network_blocked
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from empathy_signals import Assessment, ConversationAssessment, Detector, cli
from empathy_signals.errors import InputError, ModelError

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=1)
def detector() -> Detector:
    return Detector()


# ---------------------------------------------------------------- API fuzzing

#: Integers below CPython's 4,300-digit str() limit (the limit itself is a known bug, below).
small_ints = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from([10**100, -(10**1000), 10**4000]))
floats = st.floats(allow_nan=True, allow_infinity=True)
scalars = st.one_of(st.none(), st.booleans(), small_ints, floats, st.text(max_size=30), st.binary(max_size=10))
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), inner, max_size=4),
        st.sets(st.integers(), max_size=3),
    ),
    max_leaves=12,
)
speakers = st.one_of(st.sampled_from(["customer", "agent", "bot"]), junk)
texts = st.one_of(st.text(max_size=80), st.sampled_from(["Je veux parler à un conseiller !", "I want a human"]), junk)
seconds = st.one_of(st.none(), st.floats(0, 1e6), floats, small_ints, st.text(max_size=5))
audio_refs = st.one_of(
    junk,
    st.fixed_dictionaries(
        {},
        optional={"path": st.one_of(st.text(max_size=20), junk), "start": seconds, "end": seconds, "extra": junk},
    ),
)
turn_like = st.one_of(
    junk,
    st.fixed_dictionaries(
        {},
        optional={
            "speaker": speakers,
            "text": texts,
            "audio": audio_refs,
            "timestamp": st.one_of(floats, small_ints, st.text(max_size=25), junk),
            "metadata": junk,
            "unknown_key": junk,
        },
    ),
)
conversation_like = st.one_of(
    junk,
    st.fixed_dictionaries(
        {},
        optional={
            "id": st.one_of(st.text(max_size=10), junk),
            "language": st.one_of(st.sampled_from(["fr", "en", "auto"]), junk),
            "turns": st.one_of(st.lists(turn_like, max_size=5), junk),
            "extra": junk,
        },
    ),
)


def _check_input_error(exc: InputError) -> None:
    message = str(exc)
    assert exc.field, message
    assert "got" in message, message  # the bad value (or its type) is quoted
    assert len(message) < 400, message  # a huge bad value is never echoed whole


@SETTINGS
@given(turns=st.lists(turn_like, min_size=1, max_size=6), language=st.sampled_from(["fr", "en", "auto"]))
def test_session_add_on_junk_raises_only_input_error(turns: list[Any], language: str) -> None:
    session = detector().session(language)
    for turn in turns:
        try:
            a = session.add(turn)
        except InputError as exc:
            _check_input_error(exc)
        else:
            assert isinstance(a, Assessment)
            assert Assessment.model_validate_json(a.model_dump_json()) == a
            assert math.isfinite(a.escalation_score) and math.isfinite(a.logit)


@SETTINGS
@given(conversation=conversation_like)
def test_detector_assess_on_junk_raises_only_input_error(conversation: Any) -> None:
    try:
        result = detector().assess(conversation)
    except InputError as exc:
        _check_input_error(exc)
    else:
        assert isinstance(result, ConversationAssessment)
        assert json.loads(json.dumps(result.model_dump(mode="json"), allow_nan=False))


@SETTINGS
@given(audio=junk, rate=st.one_of(st.none(), st.sampled_from([8000, 16000, 44100.0]), junk))
def test_junk_audio_argument_gives_a_neutral_prosody_not_a_crash(audio: Any, rate: Any) -> None:
    """``session.add(turn, audio=..., sample_rate_hz=...)`` with junk: never an exception."""
    pytest.importorskip("librosa")
    if isinstance(rate, int | float) and not isinstance(rate, bool) and not 1000 <= rate <= 200_000:
        rate = None  # absurd rates are a known bug (test_absurd_sample_rates_are_refused)
    if _known_array_bug(audio):
        return
    a = detector().session("fr").add({"speaker": "customer", "text": "allô"}, audio=audio, sample_rate_hz=rate)
    assert a.signals is not None


def _known_array_bug(audio: Any) -> bool:
    """Ragged nested sequences and empty 2-D arrays: see the two tests below."""
    import numpy as np

    try:
        x = np.asarray(audio)
    except ValueError:
        return True
    return x.ndim == 2 and x.dtype.kind in "iuf" and 0 in x.shape


@pytest.mark.parametrize("audio", [[None, []], [[1.0], [2.0, 3.0]]])
def test_ragged_samples_give_a_neutral_prosody(audio: Any) -> None:
    pytest.importorskip("librosa")
    a = detector().session("fr").add({"speaker": "customer", "text": "allô"}, audio=audio, sample_rate_hz=8000)
    assert a.signals.prosody.neutral_reason.startswith("unreadable audio")


def test_empty_two_dimensional_samples_warn_nothing() -> None:
    pytest.importorskip("librosa")
    import numpy as np

    a = detector().session("fr").add({"speaker": "customer", "text": "allô"},
                                     audio=np.zeros((1, 0), dtype=np.float32), sample_rate_hz=8000)
    assert a.signals.prosody.neutral_reason


@pytest.mark.parametrize("turn", [
    {"speaker": "customer", "text": 10**5000},
    {"speaker": 10**5000},
    {"speaker": "customer", "timestamp": 10**5000},
])
def test_huge_int_is_an_input_error(turn: dict) -> None:
    with pytest.raises(InputError):
        detector().session("fr").add(turn)


def _wav(path: Path, *, seconds: float = 1.0, rate: int = 8000) -> Path:
    soundfile = pytest.importorskip("soundfile")
    from empathy_signals.audio import synth

    voice = synth.synthetic_voice(f0_hz=150.0, duration_s=seconds, sr_hz=rate)
    soundfile.write(path, voice, rate, subtype="PCM_16")
    return path


@pytest.mark.parametrize("segment", [{"start": 1e308}, {"end": 1e308}])
def test_astronomic_segment_bounds_give_a_neutral_prosody(tmp_path: Path, segment: dict) -> None:
    path = _wav(tmp_path / "v.wav")
    a = detector().session("fr").add({"speaker": "customer", "text": "allô", "audio": {"path": str(path), **segment}})
    if "start" in segment:  # past the end: nothing to hear
        assert a.signals.prosody.neutral_reason.startswith("unreadable audio")
    else:  # an end past the end of the file is the end of the file
        assert a.signals.prosody is not None


@pytest.mark.parametrize("case", ["array", "file"])
def test_absurd_sample_rates_are_refused(tmp_path: Path, case: str) -> None:
    pytest.importorskip("librosa")
    import numpy as np

    from empathy_signals.audio import load_audio

    if case == "array":
        with pytest.raises(InputError, match="sr_hz"):
            load_audio(np.zeros(10, dtype=np.float32), sr_hz=0.5)
    else:
        soundfile = pytest.importorskip("soundfile")
        soundfile.write(tmp_path / "one_hz.wav", np.zeros(10, dtype=np.int16), 1, subtype="PCM_16")
        with pytest.raises(InputError, match="rate"):
            load_audio(tmp_path / "one_hz.wav")


# ---------------------------------------------------------------- CLI on a corpus of malformed files


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict], str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert all(line.startswith("empathy-signals: ") for line in err.splitlines() if line.strip()), err
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


def _conv(conv_id: str, *texts: str, **extra: Any) -> str:
    return json.dumps({"id": conv_id, "turns": [{"speaker": "customer", "text": t} for t in texts], **extra})


def _truncated_wav(path: Path) -> Path:
    header = b"RIFF" + struct.pack("<I", 36 + 16000) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", 16000)
    path.write_bytes(header + bytes(1000))  # the header promises 16,000 bytes of data; 1,000 follow
    return path


def _corpus(folder: Path) -> dict[str, tuple[Path, int, int]]:
    """name -> (file, input records, expected exit code). Every file is inside ``folder``."""
    folder.mkdir()
    rng = random.Random(7)
    good = _conv("good", "Bonjour, je voudrais parler à un conseiller")
    _truncated_wav(folder / "truncated.wav")
    (folder / "not_audio.wav").write_bytes(b"RIFF" + rng.randbytes(200))
    files: dict[str, tuple[bytes, int, int]] = {
        "mixed.jsonl": ("\n".join([  # noqa: FLY002  (one input line per line here)
            good,
            '{"id": "x", "turns": [',                                        # broken JSON
            '{"id": 3, "turns": "hello"}',                                    # wrong types
            '{"turns": [{"text": "hi"}]}',                                    # missing id, speaker
            '{"id": "n", "turns": [{"speaker": "customer", "text": NaN}]}',   # NaN literal
            '{"id": "t", "turns": [{"speaker": "customer", "timestamp": Infinity}]}',
            '[1, 2, 3]',                                                       # not an object
            '"just a string"',
            '',                                                                # blank: skipped
            '{"id": "k", "turns": [], "unknown": true}',                      # unknown key
            '{"id": "w", "turns": [{"speaker": "customer", "text": "x", "audio": {"path": "truncated.wav"}}]}',
            '{"id": "v", "turns": [{"speaker": "customer", "text": "x", "audio": {"path": "not_audio.wav"}}]}',
            '{"id": "m", "turns": [{"speaker": "customer", "text": "x", "audio": {"path": "missing.wav"}}]}',
            '{"id": "s", "turns": [{"speaker": "customer", "text": "x", "audio": {"path": "truncated.wav", "start": 5, "end": 1}}]}',
        ]).encode(), 13, 3),
        "garbage.jsonl": (rng.randbytes(4096), -1, 3),
        "garbage.json": (rng.randbytes(4096), -1, 3),
        "garbage.csv": (b"conversation_id,speaker,text\n" + rng.randbytes(2048), -1, 3),
        "garbage.txt": (b"Client: " + rng.randbytes(2048), 1, 3),
        "invalid_utf8.jsonl": (good.encode() + b'\n{"id": "u", "turns": [{"speaker": "customer", "text": "caf\xe9"}]}\n', 2, 3),
        "invalid_utf8.txt": (b"Client: bonjour\nBot: caf\xe9\n", 1, 3),
        "empty.jsonl": (b"", 0, 0),
        "empty.json": (b"", 0, 0),
        "empty.csv": (b"", 0, 0),
        "empty.txt": (b"", 0, 0),
        "blank.jsonl": (b"\n\n   \n\t\n", 0, 0),
        "huge_broken.jsonl": (b'{"id": "big", "turns": [{"speaker": "customer", "text": "' + b"a" * 5_000_000 + b"\n" + good.encode() + b"\n", 2, 3),
        "huge_padded.jsonl": (b'{"id": "pad", ' + b" " * 5_000_000 + b'"turns": [{"speaker": "customer", "text": "allo"}]}\n', 1, 0),
        "missing_columns.csv": (b"conversation_id,text\na,hello\n", 1, 3),
        "ragged.csv": (b"conversation_id,speaker,text\na,client,un,deux\nb,client\nc,client,ok\n", 3, 3),
        "bad_segment.csv": (b"conversation_id,speaker,text,audio,start,end\na,client,x,,1,\nb,client,y,truncated.wav,abc,\n", 2, 3),
        "no_speaker.txt": (b"hello there\nClient: hi\n", 1, 3),
        "only_text.json": (b'"hello"', 1, 3),
        "list_of_junk.json": (b'[1, null, {"id": "ok", "turns": []}, [], "x"]', 5, 3),
        "truncated_list.json": (b'[' + good.encode() + b', {"id": "y"', 2, 3),
    }
    corpus = {}
    for name, (data, records, code) in files.items():
        path = folder / name
        path.write_bytes(data)
        corpus[name] = (path, records, code)
    return corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int, int]]:
    return _corpus(tmp_path_factory.mktemp("hostile") / "in")


def test_each_malformed_file_accounts_for_every_record(corpus, capsys) -> None:
    for name, (path, n_records, exit_code) in corpus.items():
        code, records, err = _run(capsys, "score", str(path))
        assert code == exit_code, (name, err)
        if n_records >= 0:
            assert len(records) == n_records, name
        else:  # random bytes: at least one error record, never a crash
            assert records and all("error" in r for r in records), name
        for record in records:
            if "error" in record:
                assert set(record) == {"id", "error"}
                assert set(record["error"]) == {"source", "line", "field", "message"}
                assert record["error"]["source"] == str(path)
                assert len(record["error"]["message"]) < 1_000  # a 5 MB bad value is not echoed
            else:
                ConversationAssessment.model_validate(record)
        if n_records == 0:
            assert "no conversations in this input" in err


def test_the_whole_corpus_in_one_run_keeps_input_order(corpus, capsys) -> None:
    paths = [str(p) for p, _, _ in corpus.values()]
    alone = []
    for path in paths:
        alone += _run(capsys, "score", path)[1]
    code, records, err = _run(capsys, "score", *paths)
    assert code == 3
    assert records == alone
    assert f"of {len(records)} records failed" in err


def test_broken_audio_in_a_good_record_gives_a_neutral_prosody(corpus, capsys) -> None:
    pytest.importorskip("librosa")
    _, records, _ = _run(capsys, "score", str(corpus["mixed.jsonl"][0]))
    by_id = {r["id"]: r for r in records}
    for conv_id in ("w", "v", "m"):
        prosody = by_id[conv_id]["turns"][0]["signals"]["prosody"]
        assert prosody["neutral_reason"], conv_id
    assert "error" in by_id["s"] and by_id["s"]["error"]["field"] == "turns[0].audio"


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_huge_number_literal_is_one_error_record(tmp_path: Path, capsys, suffix: str) -> None:
    bad = '{"id": "h", "turns": [{"speaker": "customer", "text": ' + "9" * 5000 + "}]}"
    body = f"{_conv('a', 'allo')}\n{bad}\n{_conv('b', 'allo')}\n"
    if suffix == ".json":
        body = f"[{_conv('a', 'allo')}, {bad}, {_conv('b', 'allo')}]"
    path = tmp_path / f"in{suffix}"
    path.write_text(body, encoding="utf-8")
    code, records, _ = _run(capsys, "score", str(path))
    assert code == 3 and len(records) == 3 and "error" in records[1]
    assert [r.get("id") for r in records[::2]] == ["a", "b"]


@pytest.mark.parametrize("bad", [
    '{"id": "x", "turns": [1 2]}',                 # a syntax error inside the element
    '1' * 5_000,                                   # a number json refuses
    '{"id": "x", "note": "]]}}[[{{\\\\\\" ]", "turns": [1 2]}',  # brackets and escapes in strings
])
def test_a_json_list_is_read_past_a_bad_element(tmp_path: Path, capsys, bad: str) -> None:
    path = tmp_path / "in.json"
    path.write_text(f"[{_conv('a', 'allo')}, {bad}, {_conv('b', 'allo')}]", encoding="utf-8")
    code, records, _ = _run(capsys, "score", str(path))
    assert code == 3 and len(records) == 3 and "error" in records[1]
    assert [r.get("id") for r in records[::2]] == ["a", "b"]


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_deeply_nested_json_is_one_error_record(tmp_path: Path, capsys, suffix: str) -> None:
    deep = '{"id": "d", "turns": ' + "[" * 100_000 + "]" * 100_000 + "}"
    body = f"{_conv('a', 'allo')}\n{deep}\n{_conv('b', 'allo')}\n"
    if suffix == ".json":
        body = f"[{_conv('a', 'allo')}, {deep}, {_conv('b', 'allo')}]"
    path = tmp_path / f"in{suffix}"
    path.write_text(body, encoding="utf-8")
    code, records, _ = _run(capsys, "score", str(path))
    assert code == 3 and len(records) == 3 and "error" in records[1]


@pytest.mark.parametrize("record", [
    '{"id": "\\ud800", "turns": [{"speaker": "customer", "text": "allo"}]}',
    '{"id": "s", "turns": [{"speaker": "customer", "text": "je veux parler \\ud800 a un conseiller"}]}',
])
def test_lone_surrogate_escape_is_accounted_for(tmp_path: Path, capsys, record: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(f"{record}\n{_conv('b', 'allo')}\n", encoding="utf-8")
    code, records, _ = _run(capsys, "score", str(path))
    assert code in (0, 3) and len(records) == 2


def test_audio_outside_the_input_folder_is_never_opened(tmp_path: Path, capsys, monkeypatch) -> None:
    pytest.importorskip("librosa")
    import empathy_signals.audio.io as audio_io

    outside = _wav(tmp_path / "outside.wav")
    folder = tmp_path / "calls"
    (folder / "audio").mkdir(parents=True)
    inside = _wav(folder / "audio" / "inside.wav")
    opened: list[Path] = []
    real_load_file = audio_io._load_file

    def recording(path: Path, *args: Any) -> Any:
        opened.append(Path(path).resolve())
        return real_load_file(path, *args)

    monkeypatch.setattr(audio_io, "_load_file", recording)
    turns = {
        "relative_escape": "../outside.wav",
        "deep_escape": "../" * 12 + "etc/passwd",
        "absolute": str(outside),
        "absolute_system": "/etc/passwd",
        "inside": "audio/inside.wav",
        "inside_absolute": str(inside),
    }
    lines = [json.dumps({"id": k, "turns": [{"speaker": "customer", "text": "allô", "audio": {"path": p}}]})
             for k, p in turns.items()]
    (folder / "calls.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, records, _ = _run(capsys, "score", str(folder / "calls.jsonl"))
    assert len(records) == len(turns) and code == 3
    assert all(p.is_relative_to(folder.resolve()) for p in opened), opened
    by_id = {r["id"]: r for r in records}
    for escaping in ("relative_escape", "deep_escape", "absolute", "absolute_system"):
        assert by_id[escaping]["error"]["field"] == "turns[0].audio.path"
        assert "outside" in by_id[escaping]["error"]["message"]
    assert by_id["inside"]["turns"][0]["signals"]["prosody"]["neutral_reason"] is None


# ---------------------------------------------------------------- privacy and compliance


def test_text_only_policy_reads_no_audio_from_the_cli(tmp_path: Path, capsys, monkeypatch) -> None:
    """The CLI path of tests/test_session_audio.py::test_text_only_reads_no_audio."""
    import empathy_signals.audio.io as audio_io

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("audio was read")

    monkeypatch.setattr(audio_io, "load_audio", refuse)
    monkeypatch.setattr(audio_io, "_load_file", refuse)
    assert cli.main(["policy", "--out", str(tmp_path / "p.toml")]) == 0
    policy = tmp_path / "p.toml"
    text = policy.read_text(encoding="utf-8")
    assert "text_only = false" in text
    policy.write_text(text.replace("text_only = false", "text_only = true"), encoding="utf-8")
    _truncated_wav(tmp_path / "a.wav")
    (tmp_path / "in.jsonl").write_text(
        json.dumps({"id": "c", "turns": [{"speaker": "customer", "text": "allô", "audio": {"path": "a.wav"}}]}) + "\n",
        encoding="utf-8")
    capsys.readouterr()
    code, records, _ = _run(capsys, "score", str(tmp_path / "in.jsonl"), "--policy", str(policy))
    assert code == 0 and records[0]["turns"][0]["signals"]["prosody"] is None


AGENT_TEXTS = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["Je veux parler à un conseiller", "C'est INADMISSIBLE !!! 😡", "mon père est décédé",
                     "I want to talk to a human", "this is ridiculous, I'm furious", "fraude sur la carte"]),
)


@SETTINGS
@given(agent_texts=st.lists(AGENT_TEXTS, min_size=3, max_size=3), language=st.sampled_from(["fr", "en"]))
def test_the_agent_side_is_never_scored(agent_texts: list[str], language: str) -> None:
    """Whatever the agent says changes nothing in the output (language fixed: see
    docs/reliability.md for ``auto``, where agent words take part in the language vote)."""
    def conversation(agent: list[str]) -> dict:
        turns = []
        for i, customer in enumerate(["bonjour", "ma box ne marche plus", "merci"]):
            turns += [{"speaker": "agent", "text": agent[i]}, {"speaker": "customer", "text": customer}]
        return {"id": "c", "language": language, "turns": turns}

    with_agent = detector().assess(conversation(agent_texts)).model_dump(mode="json")
    neutral = detector().assess(conversation(["", "", ""])).model_dump(mode="json")
    assert with_agent == neutral
    for turn in with_agent["turns"][::2]:
        assert turn["speaker"] == "agent" and turn["signals"] is None and turn["decision_rule"] == "carried"


def test_scoring_logs_and_prints_nothing(caplog, capsys) -> None:
    """No text is ever logged (the library has no logger) nor printed."""
    caplog.set_level(logging.DEBUG)
    session = detector().session("fr")
    for text in ["Je m'appelle Jeanne Martin, IBAN FR76 3000 6000 0112 3456 7890 189", "passez-moi un conseiller"]:
        session.add({"speaker": "customer", "text": text})
    with pytest.raises(InputError):
        session.add({"speaker": "customre", "text": "secret"})
    assert [r for r in caplog.records if r.name.startswith("empathy_signals")] == []
    assert capsys.readouterr() == ("", "")


def test_error_messages_quote_a_bounded_piece_of_the_value() -> None:
    secret = "s" * 1_000_000
    with pytest.raises(InputError) as info:
        detector().session("fr").add({"speaker": secret})
    assert len(str(info.value)) < 300


# ---------------------------------------------------------------- no network, model integrity


def test_network_guard_refuses_connections(monkeypatch) -> None:
    """The guard that EMPATHY_SIGNALS_BLOCK_NETWORK=1 installs for the whole suite works:
    every address but loopback is refused (TEST-NET-1 and a public name here)."""
    block_network(monkeypatch)
    with pytest.raises(NetworkBlockedError):
        socket.create_connection(("192.0.2.1", 9), timeout=0.1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(NetworkBlockedError):
        s.connect(("192.0.2.1", 9))
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s, pytest.raises(NetworkBlockedError):
        s.connect(("2001:db8::1", 9, 0, 0))
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("example.invalid", 80)
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("127.0.0.1.example.com", 80)
    # loopback stays open (a server on 127.0.0.1 answers; nothing listening is refused by the OS)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        socket.create_connection(server.getsockname(), timeout=1).close()
    assert socket.getaddrinfo("localhost", 80)
    a, b = socket.socketpair()  # local AF_UNIX pairs (asyncio's self-pipe) still work
    a.close(), b.close()


@pytest.mark.skipif(not network_blocked(), reason="set EMPATHY_SIGNALS_BLOCK_NETWORK=1 (as .ci/run does)")
def test_network_is_blocked_for_the_whole_suite() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(NetworkBlockedError):
        s.connect(("192.0.2.1", 9))


@pytest.mark.parametrize("weight_file", ["model.q4.safetensors", "heads.safetensors"])
def test_a_tampered_weight_file_is_refused(tmp_path: Path, weight_file: str) -> None:
    """One flipped byte in a weight file (tests/test_encoder.py covers a text file); needs no torch:
    the sha256 check runs before anything is loaded."""
    from empathy_signals.encoder import TextModel, default_artifact_dir

    folder = tmp_path / "e5-small-fr-en"
    folder.mkdir()
    for src in default_artifact_dir().iterdir():
        if src.name == weight_file:
            data = bytearray(src.read_bytes())
            data[len(data) // 2] ^= 0x01
            (folder / src.name).write_bytes(bytes(data))
        else:
            (folder / src.name).symlink_to(src)
    with pytest.raises(ModelError, match=rf"'{weight_file.replace('.', '[.]')}'.*sha256"):
        TextModel.load(artifact_dir=folder)


def test_evidence_quotes_are_redacted_unless_the_policy_says_otherwise() -> None:
    """A repeated turn is quoted whole as friction evidence: its personal data must not be."""
    from empathy_signals import Policy

    text = "Je n'ai pas reçu le virement sur FR14 2004 1010 0505 0001 3M02 606 !!! Rappelez-moi au 06 12 34 56 78"

    def quotes(policy: Policy) -> tuple[list[str], list[str]]:
        session = Detector(policy).session("fr")
        session.add({"speaker": "customer", "text": text})
        a = session.add({"speaker": "customer", "text": text})
        return [e.text for r in a.reasons for e in r.evidence], [r.message for r in a.reasons]

    evidence, messages = quotes(Policy.default())
    assert any("[IBAN]" in e and "[PHONE]" in e for e in evidence)
    assert not any("06 12 34" in t or "FR14" in t for t in evidence + messages)
    evidence, _ = quotes(Policy.from_dict({"privacy": {"redact_pii": False}}))
    assert any("06 12 34 56 78" in e for e in evidence)


@pytest.mark.skipif(not network_blocked(), reason="set EMPATHY_SIGNALS_BLOCK_NETWORK=1 (as .ci/run does)")
def test_child_processes_are_blocked_too() -> None:
    """A Python child of the suite (subprocess, a Spark worker) imports the guard first."""
    import subprocess
    import sys

    code = ("import socket\n"
            "try:\n    socket.create_connection(('192.0.2.1', 9), timeout=0.1)\n"
            "except Exception as e:\n    print(type(e).__name__)\n"
            "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)\n"
            "socket.create_connection(s.getsockname(), timeout=1).close(); print('loopback ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["NetworkBlockedError", "loopback", "ok"], out.stderr
