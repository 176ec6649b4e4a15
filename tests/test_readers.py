"""Readers: every format, every kind of broken input, one record out per record in."""

from __future__ import annotations

import io
import json
import os
import sys
from importlib import resources
from pathlib import Path

import pytest

from empathy_signals.errors import InputError
from empathy_signals.readers import (
    SPEAKER_ALIASES,
    ErrorRecord,
    format_for,
    normalize_speaker,
    read_bytes,
    read_input,
)
from empathy_signals.schema import Conversation


def _write(path: Path, data: str | bytes) -> Path:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def _turn(speaker: str = "customer", text: str = "bonjour", **extra: object) -> dict:
    return {"speaker": speaker, "text": text, **extra}


def _line(conv_id: str, *turns: dict, **extra: object) -> str:
    return json.dumps({"id": conv_id, "turns": list(turns), **extra})


def _errors(records: list) -> list[ErrorRecord]:
    return [r for r in records if isinstance(r, ErrorRecord)]


# ---------------------------------------------------------------- formats


def test_format_from_extension() -> None:
    assert format_for("a.jsonl") == "jsonl"
    assert format_for("a.NDJSON") == "jsonl"
    assert format_for("a.json") == "json"
    assert format_for("dir/a.CSV") == "csv"
    assert format_for("a.txt") == "text"
    assert format_for("-") == "jsonl"
    with pytest.raises(InputError, match=r"'\.dat'"):
        format_for("calls.dat")


def test_jsonl(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.jsonl", "\n".join([
        _line("a", _turn(), language="fr"),
        "",
        "   ",
        _line("b", _turn("bot", "Hello"), _turn("customer", "hi")),
    ]) + "\n")
    records = list(read_input(path))
    assert [r.id for r in records] == ["a", "b"]
    assert all(isinstance(r, Conversation) for r in records)
    assert records[0].language == "fr"
    assert records[1].language == "auto"
    assert records[1].turns[0].speaker == "bot"


def test_jsonl_bom_and_crlf(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.jsonl", b"\xef\xbb\xbf" + (_line("a", _turn()) + "\r\n").encode() * 2)
    assert [r.id for r in read_input(path)] == ["a", "a"]


def test_json_object_and_list(tmp_path: Path) -> None:
    one = _write(tmp_path / "one.json", json.dumps({"id": "a", "turns": [_turn()]}, indent=2))
    assert [r.id for r in read_input(one)] == ["a"]
    many = _write(tmp_path / "many.json", json.dumps(
        [{"id": "a", "turns": [_turn()]}, {"id": "b", "turns": [_turn("robot")]}, {"id": "c"}], indent=2))
    records = list(read_input(many))
    assert [r.id for r in records] == ["a", "b", "c"]
    (bad,) = _errors(records)
    assert bad.error.field == "turns[0].speaker"
    assert "'robot'" in bad.error.message
    # The line is where the bad element starts in the file.
    assert many.read_text().splitlines()[bad.error.line - 1].strip() == "{"
    assert '"b"' in many.read_text().splitlines()[bad.error.line]


def test_json_empty_list_and_empty_file(tmp_path: Path) -> None:
    assert list(read_input(_write(tmp_path / "a.json", "[ ]"))) == []
    assert list(read_input(_write(tmp_path / "b.json", ""))) == []


def test_json_syntax_error_keeps_earlier_elements(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.json", '[{"id": "a"},\n {"id": ]')
    records = list(read_input(path))
    assert isinstance(records[0], Conversation)
    assert isinstance(records[1], ErrorRecord)
    assert records[1].error.line == 2
    assert "not valid JSON" in records[1].error.message


def test_json_trailing_data_is_an_error(tmp_path: Path) -> None:
    (record,) = read_input(_write(tmp_path / "a.json", '{"id": "a"}\n{"id": "b"}'))
    assert isinstance(record, ErrorRecord)
    assert record.error.line == 2


def test_csv_groups_rows_in_order_of_first_appearance(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.csv", (
        "conversation_id,speaker,text\n"
        "c2,Bot,Bonjour\n"
        "c1,CLIENT,je veux un conseiller\n"
        "c2,utilisateur,\"Bonjour, j'ai un souci\nsur deux lignes\"\n"
        "c1,Conseillère,Je vous écoute\n"
        "\n"
        "c2,assistant,Je vous écoute\n"
    ))
    records = list(read_input(path))
    assert [r.id for r in records] == ["c2", "c1"]
    c2, c1 = records
    assert [t.speaker for t in c2.turns] == ["bot", "customer", "bot"]
    assert c2.turns[1].text == "Bonjour, j'ai un souci\nsur deux lignes"
    assert [t.speaker for t in c1.turns] == ["customer", "agent"]


def test_csv_audio_columns_resolve_against_the_file(tmp_path: Path) -> None:
    (tmp_path / "calls").mkdir()
    path = _write(tmp_path / "calls" / "in.csv", (
        "conversation_id,speaker,text,audio,start,end\n"
        "a,customer,allô,audio/a.wav,1.5,4\n"
        "a,bot,oui,,,\n"
        f"a,customer,encore,{tmp_path / 'abs.wav'},,\n"
    ))
    (conv,) = read_input(path, audio_root=tmp_path)  # abs.wav is outside the input's folder
    audio = conv.turns[0].audio
    assert audio.path == os.path.normpath(tmp_path / "calls" / "audio" / "a.wav")
    assert (audio.start, audio.end) == (1.5, 4.0)
    assert conv.turns[1].audio is None
    assert conv.turns[2].audio.path == str(tmp_path / "abs.wav")


def test_csv_extra_columns_go_to_metadata_and_language_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.csv", (
        "conversation_id,speaker,text,channel,language\n"
        "a,customer,hello,web,en\n"
        "a,bot,hi,,\n"
    ))
    (conv,) = read_input(path)
    assert conv.language == "en"
    assert conv.turns[0].metadata == {"channel": "web"}
    assert conv.turns[1].metadata == {}


def test_csv_bad_row_makes_its_conversation_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.csv", (
        "conversation_id,speaker,text,audio,start,end\n"
        "a,customer,bonjour,,,\n"
        "b,robot,bonjour,,,\n"        # line 3: unknown speaker
        "a,bot,oui,,,\n"
        "b,customer,ok,,,\n"
        "c,customer,ok,x.wav,abc,\n"  # line 6: start not a number
        "d,customer,ok,,2,\n"         # line 7: start without audio
        "e,customer,ok,x.wav,3,1\n"   # line 8: end before start
        ",customer,ok,,,\n"           # line 9: no id
        "f,customer\n"                # line 10: short row
    ))
    records = list(read_input(path))
    assert [r.id for r in records] == ["a", "b", "c", "d", "e", None, "f"]
    assert isinstance(records[0], Conversation) and len(records[0].turns) == 2
    fields = {r.id: (r.error.line, r.error.field) for r in _errors(records)}
    assert fields == {
        "b": (3, "speaker"), "c": (6, "start"), "d": (7, "start"), "e": (8, "audio"),
        None: (9, "conversation_id"), "f": (10, None),
    }
    assert "'robot'" in records[1].error.message


def test_csv_missing_column_is_one_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.csv", "id,speaker,text\na,customer,hi\n")
    (record,) = read_input(path)
    assert isinstance(record, ErrorRecord)
    assert (record.error.line, record.error.field) == (1, "conversation_id")


def test_csv_header_only_and_empty(tmp_path: Path) -> None:
    assert list(read_input(_write(tmp_path / "a.csv", "conversation_id,speaker,text\n"))) == []
    assert list(read_input(_write(tmp_path / "b.csv", ""))) == []


def test_csv_language_conflict(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.csv", "conversation_id,speaker,text,language\na,customer,x,fr\na,bot,y,en\n")
    (record,) = read_input(path)
    assert (record.error.line, record.error.field) == (3, "language")


def test_text_transcript(tmp_path: Path) -> None:
    path = _write(tmp_path / "appel 12.txt", (
        "Bot: Bonjour, que puis-je faire pour vous ?\n"
        "Client : J'ai un problème\n"
        "avec ma facture.\n"
        "\n"
        "Elle est fausse.\n"
        "[00:01:05] Conseillère\u00a0: Je regarde.\n"
        "Vous: Merci. Note: urgent\n"
        "Note: ceci continue le tour précédent\n"
    ))
    (conv,) = read_input(path)
    assert conv.id == "appel 12"
    assert conv.language == "auto"
    assert [t.speaker for t in conv.turns] == ["bot", "customer", "agent", "customer"]
    assert conv.turns[1].text == "J'ai un problème\navec ma facture.\n\nElle est fausse."
    assert conv.turns[2].timestamp == 65.0
    assert conv.turns[3].text == "Merci. Note: urgent\nNote: ceci continue le tour précédent"


def test_text_first_line_without_speaker_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.txt", "\nRobot: bonjour\nClient: ok\n")
    (record,) = read_input(path)
    assert isinstance(record, ErrorRecord)
    assert record.id == "t"
    assert (record.error.line, record.error.field) == (2, "speaker")
    assert "'Robot'" in record.error.message


def test_text_empty_file(tmp_path: Path) -> None:
    assert list(read_input(_write(tmp_path / "t.txt", "\n  \n"))) == []


@pytest.mark.parametrize("label, speaker", [
    ("Client", "customer"), ("CUSTOMER", "customer"), ("user", "customer"), ("Caller", "customer"),
    ("Utilisateur", "customer"), ("vous", "customer"), ("Agent", "agent"), ("conseiller", "agent"),
    ("Conseillère", "agent"), ("Human", "agent"), ("bot", "bot"), ("Assistant", "bot"), ("IA", "bot"),
    ("system", "bot"), ("robot", None), ("", None),
])
def test_speaker_aliases(label: str, speaker: str | None) -> None:
    assert normalize_speaker(label) == speaker


def test_every_alias_maps_to_a_speaker() -> None:
    assert set(SPEAKER_ALIASES.values()) == {"customer", "agent", "bot"}
    assert all(normalize_speaker(alias) == speaker for alias, speaker in SPEAKER_ALIASES.items())


# ---------------------------------------------------------------- broken input


def test_jsonl_broken_lines_each_give_one_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.jsonl", b"\n".join([
        _line("ok", _turn()).encode(),
        b'{"id": "x", "turns": [',                                         # 2: not JSON
        _line("t", _turn(), _turn(), _turn("client")).encode(),            # 3: bad speaker
        json.dumps({"id": "m", "turns": [{"text": "hi"}]}).encode(),       # 4: missing speaker
        json.dumps({"id": 5, "turns": []}).encode(),                       # 5: id not a string
        json.dumps({"id": "e", "turns": [], "extra": 1}).encode(),         # 6: unknown key
        b'{"id": "u", "turns": [{"speaker": "bot", "text": "caf\xe9"}]}',  # 7: Latin-1, not UTF-8
        b"[1, 2]",                                                         # 8: not an object
        json.dumps({"id": "n", "turns": [_turn(audio={"path": "a.wav", "start": "NaN"})]}).encode(),
        _line("ok2", _turn()).encode(),
    ]))
    records = list(read_input(path))
    assert len(records) == 10
    assert [r.id for r in records] == ["ok", None, "t", "m", None, "e", None, None, "n", "ok2"]
    got = {r.error.line: (r.error.field, r.error.message) for r in _errors(records)}
    assert set(got) == {2, 3, 4, 5, 6, 7, 8, 9}
    assert got[2][0] is None and got[2][1].startswith("not valid JSON")
    assert got[3][0] == "turns[2].speaker" and "got 'client'" in got[3][1]
    assert got[4][0] == "turns[0].speaker" and "required" in got[4][1]
    assert got[5][0] == "id" and "got 5" in got[5][1]
    assert got[6][0] == "extra"
    assert got[7][0] is None and "UTF-8" in got[7][1] and "0xe9" in got[7][1]
    assert got[8][0] is None
    assert got[9][0] == "turns[0].audio.start"


def test_json_invalid_utf8_is_an_error_of_that_element(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.json", b'[{"id": "a"},\n{"id": "b", "turns": [{"speaker": "bot", "text": "\xff"}]}]')
    records = list(read_input(path))
    assert isinstance(records[0], Conversation)
    assert records[1].error.line == 2 and "UTF-8" in records[1].error.message


def test_csv_invalid_utf8_is_an_error_of_that_conversation(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", b"conversation_id,speaker,text\na,customer,ok\nb,customer,caf\xe9\n")
    a, b = read_input(path)
    assert isinstance(a, Conversation)
    assert (b.id, b.error.line, b.error.field) == ("b", 3, "text")


def test_text_invalid_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.txt", b"Client: bonjour\nBot: caf\xe9\n")
    (record,) = read_input(path)
    assert (record.error.line, record.error.field) == (2, "text")


def test_json_error_messages_never_carry_undecodable_bytes(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.json", b'{"id": "\xff", "turns": []}')
    (record,) = read_input(path)
    assert record.id is None
    json.dumps(record.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")


# ---------------------------------------------------------------- options


def test_language_override(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.jsonl", _line("a", _turn(), language="en") + "\n" + _line("b", _turn(), language="de"))
    assert [r.language for r in read_input(path, language="fr")] == ["fr", "fr"]
    text = _write(tmp_path / "t.txt", "Client: hello\n")
    assert [r.language for r in read_input(text, language="en")] == ["en"]


def test_relative_audio_paths_resolve_against_the_input_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = _write(tmp_path / "sub" / "a.jsonl", _line("a", _turn(audio={"path": "../wav/1.wav", "start": 0.5})))
    (conv,) = read_input(path, audio_root=tmp_path)
    assert conv.turns[0].audio.path == os.path.normpath(tmp_path / "wav" / "1.wav")
    assert conv.turns[0].audio.start == 0.5


def test_audio_outside_the_audio_root_is_an_error_record(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = _write(tmp_path / "sub" / "a.jsonl", _line("a", _turn(audio={"path": "../wav/1.wav"})))
    (record,) = read_input(path)  # default root: the input file's folder
    assert record.error.field == "turns[0].audio.path"
    assert "outside the audio folder" in record.error.message


def test_explicit_format_beats_the_extension(tmp_path: Path) -> None:
    path = _write(tmp_path / "calls.log", "Client: bonjour\n")
    with pytest.raises(InputError):
        list(read_input(path))
    (conv,) = read_input(path, format="text")
    assert conv.id == "calls"


def test_stdin_is_jsonl(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (_line("a", _turn()) + "\n" + "oops\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    a, b = read_input("-")
    assert a.id == "a"
    assert (b.error.source, b.error.line) == ("-", 2)


def test_read_bytes_text_uses_default_id() -> None:
    (conv,) = read_bytes(b"Client: hi\n", format="text", source="mem", default_id="x")
    assert conv.id == "x"


def test_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        list(read_input(tmp_path / "nope.jsonl"))


@pytest.mark.parametrize("name", ["appel_fr.txt", "chat_en.jsonl", "calls.csv"])
def test_bundled_examples_read_cleanly(name: str) -> None:
    data = resources.files("empathy_signals").joinpath("examples", name).read_bytes()
    records = list(read_bytes(data, format=format_for(name), source=name, default_id=Path(name).stem))
    assert records and all(isinstance(r, Conversation) for r in records)
    assert all(any(t.speaker == "customer" for t in r.turns) for r in records)


def test_french_example_is_a_looping_bot_and_two_requests() -> None:
    text = resources.files("empathy_signals").joinpath("examples", "appel_fr.txt").read_text("utf-8")
    (conv,) = read_bytes(text.encode(), format="text", source="x", default_id="appel_fr")
    customer = [t.text.lower() for t in conv.turns if t.speaker == "customer"]
    assert sum("conseiller" in t for t in customer) == 2
    assert 8 <= len(conv.turns) <= 12


def test_error_record_shape() -> None:
    (record,) = read_bytes(b"nope\n", format="jsonl", source="in.jsonl")
    assert record.model_dump(mode="json") == {
        "id": None,
        "error": {"source": "in.jsonl", "line": 1, "field": None,
                  "message": "not valid JSON: Expecting value (column 1)"},
    }
