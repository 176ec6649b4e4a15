"""The command line: formats, views, exit codes, error records, no tracebacks, docs examples."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import empathy_signals
from empathy_signals import cli
from empathy_signals.config import Policy
from empathy_signals.detector import Detector
from empathy_signals.errors import InputError
from empathy_signals.readers import read_input

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_PARENT = Path(empathy_signals.__file__).resolve().parents[1]


# ---------------------------------------------------------------- helpers


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _conv(conv_id: str, *texts: str, speaker: str = "customer", **extra: object) -> str:
    return json.dumps({"id": conv_id, "turns": [{"speaker": speaker, "text": t} for t in texts], **extra})


def _assert_no_traceback(err: str) -> None:
    assert "Traceback" not in err
    assert all(line.startswith("empathy-signals: ") or not line.strip() for line in err.splitlines()), err


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch):
    def feed(data: str | bytes) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))

    return feed


@pytest.fixture
def broken_inputs(tmp_path: Path) -> dict[str, Path]:
    good = _conv("good", "Bonjour, je voudrais parler à un conseiller")
    return {
        "bad_json_line": _write(tmp_path / "a.jsonl", f'{good}\n{{"id": "x", "turns": [\n'),
        "wrong_types": _write(tmp_path / "b.jsonl", f'{good}\n{{"id": 3, "turns": "hello"}}\n'),
        "missing_fields": _write(tmp_path / "c.jsonl", f'{good}\n{{"turns": [{{"text": "hi"}}]}}\n'),
        "invalid_utf8": _write(tmp_path / "d.jsonl", good.encode() + b'\n{"id": "u", "turns": [{"speaker": "customer", "text": "caf\xe9"}]}\n'),
        "unknown_speaker": _write(tmp_path / "e.jsonl", f'{good}\n{_conv("s", "hi", speaker="robot")}\n'),
        "csv_missing_column": _write(tmp_path / "f.csv", "conversation_id,text\na,hello\n"),
        "csv_bad_row": _write(tmp_path / "g.csv", "conversation_id,speaker,text\na,client,allo\nb,martien,x\n"),
        "text_no_speaker": _write(tmp_path / "h.txt", "hello there\nClient: hi\n"),
        "json_bad_element": _write(tmp_path / "i.json", f'[{good}, {{"id": "z", "turns": [{{"speaker": 1}}]}}]'),
        "binary_garbage": _write(tmp_path / "j.jsonl", bytes(range(256)) * 4),
    }


# ---------------------------------------------------------------- score: formats


def test_score_jsonl_writes_one_record_per_line(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "in.jsonl", "\n".join([
        _conv("a", "Bonjour, je voudrais parler à un conseiller", language="fr"),
        "",
        _conv("b", "What time do you open tomorrow?", language="en"),
    ]))
    code, out, err = _run(capsys, "score", str(path))
    assert code == 0, err
    records = _records(out)
    assert [r["id"] for r in records] == ["a", "b"]
    assert [r["language"] for r in records] == ["fr", "en"]
    assert err == ""


def test_jsonl_result_is_the_assessment_model_dump(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "in.jsonl", _conv("a", "Je veux un conseiller !", "Passez-moi un conseiller"))
    code, out, _ = _run(capsys, "score", str(path))
    assert code == 0
    (conv,) = read_input(path)
    expected = Detector().assess(conv).model_dump(mode="json")
    (record,) = _records(out)
    assert record == json.loads(json.dumps(expected))
    # The contract keeps the reasons in every turn, with or without --explain.
    assert any(turn["reasons"] for turn in record["turns"])
    assert record["decision"] == "escalate"


@pytest.mark.parametrize("example, ids", [
    ("fr", ["appel_fr"]),
    ("en", ["chat-en-001", "chat-en-002", "chat-en-003"]),
    ("csv", ["appel-0412", "call-0413"]),
])
def test_examples_score_cleanly(capsys, example: str, ids: list[str]) -> None:
    code, out, err = _run(capsys, "score", "--example", example)
    assert code == 0, err
    assert [r["id"] for r in _records(out)] == ids


def test_french_example_escalates_on_the_second_request(capsys) -> None:
    _, out, _ = _run(capsys, "score", "--example", "fr")
    (record,) = _records(out)
    assert record["language"] == "fr"
    assert record["decision"] == "escalate"
    decided = record["turns"][record["decision_turn"]]
    assert decided["speaker"] == "customer"
    assert "conseiller" in json.dumps(decided["reasons"], ensure_ascii=False)


def test_score_every_file_format(tmp_path: Path, capsys) -> None:
    files = [
        _write(tmp_path / "a.jsonl", _conv("jl", "hello")),
        _write(tmp_path / "b.json", f'[{_conv("j1", "hello")}, {_conv("j2", "bonjour")}]'),
        _write(tmp_path / "c.csv", "conversation_id,speaker,text\nc1,client,bonjour\nc1,bot,oui\n"),
        _write(tmp_path / "t.txt", "Bot: Bonjour\nClient : je veux parler à un humain\n"),
    ]
    code, out, err = _run(capsys, "score", *map(str, files))
    assert code == 0, err
    assert [r["id"] for r in _records(out)] == ["jl", "j1", "j2", "c1", "t"]


def test_explicit_format(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "call.log", "Client: bonjour\n")
    code, _, err = _run(capsys, "score", str(path))
    assert code == 2 and "--format" in err or "extension" in err
    code, out, err = _run(capsys, "score", str(path), "--format", "text")
    assert code == 0, err
    assert _records(out)[0]["id"] == "call"


def test_stdin_jsonl(capsys, stdin) -> None:
    stdin(_conv("s1", "hello") + "\n" + _conv("s2", "bonjour") + "\n")
    code, out, err = _run(capsys, "score", "-")
    assert code == 0, err
    assert [r["id"] for r in _records(out)] == ["s1", "s2"]


def test_stdin_with_format(capsys, stdin) -> None:
    stdin("Client: je veux un conseiller\n")
    code, out, err = _run(capsys, "score", "-", "--format", "text")
    assert code == 0, err
    assert _records(out)[0]["id"] == "stdin"


def test_lang_override(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "in.jsonl", _conv("a", "ok", language="en"))
    _, out, _ = _run(capsys, "score", str(path), "--lang", "fr")
    assert _records(out)[0]["language"] == "fr"


def test_output_file_jsonl_and_table(tmp_path: Path, capsys) -> None:
    out_jsonl = tmp_path / "res.jsonl"
    code, out, err = _run(capsys, "score", "--example", "en", "-o", str(out_jsonl))
    assert code == 0, err
    assert out == ""
    assert len(_records(out_jsonl.read_text("utf-8"))) == 3
    out_txt = tmp_path / "report.txt"
    code, out, _ = _run(capsys, "score", "--example", "en", "-o", str(out_txt))
    assert out_txt.read_text("utf-8").startswith("ID ")


def test_output_cannot_overwrite_an_input(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "in.jsonl", _conv("a", "ok"))
    code, _, err = _run(capsys, "score", str(path), "-o", str(path))
    assert code == 2 and "also an input" in err
    assert path.read_text() == _conv("a", "ok")


# ---------------------------------------------------------------- table view


def test_table_view(capsys) -> None:
    code, out, _ = _run(capsys, "score", "--example", "fr", "--example", "en", "--output-format", "table")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "LANG", "DECISION", "SCORE", "TURN"]
    row = next(line for line in lines if line.startswith("appel_fr"))
    assert row.split()[1:3] == ["fr", "escalate"]
    assert lines[-1].startswith("4 conversations:")
    assert "tour" not in out  # reasons only with --explain


def test_table_explain_speaks_the_conversation_language(capsys) -> None:
    _, out, _ = _run(capsys, "score", "--example", "fr", "--example", "en", "--output-format", "table", "--explain")
    french = out.split("chat-en-001")[0]
    english = out.split("chat-en-001")[1]
    assert re.search(r"tour \d+ \(client\): escalate", french)
    assert "conseiller" in french and "\u00ab" in french
    assert "turn " in english and "tour " not in english


def test_table_shows_errors(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "in.jsonl", _conv("ok", "hello") + "\nnope\n")
    code, out, _ = _run(capsys, "score", str(path), "--output-format", "table")
    assert code == 3
    assert re.search(r"ERROR\s+\S*in\.jsonl:2\s+not valid JSON", out)
    assert out.splitlines()[-1] == "2 conversations: 1 continue, 1 failed"


# ---------------------------------------------------------------- broken input


@pytest.mark.parametrize("case", [
    "bad_json_line", "wrong_types", "missing_fields", "invalid_utf8", "unknown_speaker",
    "csv_bad_row", "json_bad_element",
])
def test_broken_record_exit_3_keeps_good_records(broken_inputs, capsys, case: str) -> None:
    path = broken_inputs[case]
    code, out, err = _run(capsys, "score", str(path))
    assert code == 3
    records = _records(out)
    assert len(records) == 2
    good, bad = records
    assert "decision" in good and "error" not in good
    assert set(bad) == {"id", "error"}
    assert set(bad["error"]) == {"source", "line", "field", "message"}
    assert bad["error"]["source"] == str(path)
    assert isinstance(bad["error"]["line"], int)
    assert "1 of 2 records failed" in err
    _assert_no_traceback(err)


def test_error_record_names_line_field_and_value(broken_inputs, capsys) -> None:
    _, out, _ = _run(capsys, "score", str(broken_inputs["unknown_speaker"]))
    bad = _records(out)[1]
    assert bad == {"id": "s", "error": {
        "source": str(broken_inputs["unknown_speaker"]), "line": 2, "field": "turns[0].speaker",
        "message": "turns[0].speaker: Input should be 'customer', 'agent' or 'bot'; got 'robot'"}}


@pytest.mark.parametrize("case", ["csv_missing_column", "text_no_speaker"])
def test_whole_file_errors(broken_inputs, capsys, case: str) -> None:
    code, out, err = _run(capsys, "score", str(broken_inputs[case]))
    assert code == 3
    (bad,) = _records(out)
    assert bad["error"]["line"] == 1
    assert bad["error"]["field"] == {"csv_missing_column": "speaker", "text_no_speaker": "speaker"}[case]
    _assert_no_traceback(err)


def test_binary_garbage_never_crashes(broken_inputs, capsys) -> None:
    code, out, err = _run(capsys, "score", str(broken_inputs["binary_garbage"]))
    assert code == 3
    assert all("error" in r for r in _records(out))
    _assert_no_traceback(err)


def test_record_accounting_across_files(broken_inputs, capsys) -> None:
    paths = [p for name, p in broken_inputs.items() if name != "binary_garbage"]
    expected = sum(1 for p in paths for _ in read_input(p))
    code, out, err = _run(capsys, "score", *map(str, paths))
    assert code == 3
    assert len(_records(out)) == expected == 16
    _assert_no_traceback(err)


def test_empty_file_warns(tmp_path: Path, capsys) -> None:
    empty = _write(tmp_path / "empty.jsonl", "")
    code, out, err = _run(capsys, "score", str(empty))
    assert code == 0
    assert out == ""
    assert f"warning: {empty}: no conversations" in err


def test_missing_file_exit_2(tmp_path: Path, capsys) -> None:
    good = _write(tmp_path / "in.jsonl", _conv("a", "hello"))
    code, out, err = _run(capsys, "score", str(good), str(tmp_path / "nope.jsonl"))
    assert code == 2
    assert out == ""  # checked before anything is scored
    assert err == f"empathy-signals: error: input file '{tmp_path / 'nope.jsonl'}' does not exist\n"


def test_directory_input_exit_2(tmp_path: Path, capsys) -> None:
    code, _, err = _run(capsys, "score", str(tmp_path))
    assert code == 2 and "is not a file" in err


@pytest.mark.parametrize("content, needle", [
    ("weights = [", "not valid TOML"),
    ("[thresholds]\noffer_human = 0.9\nescalate = 0.5\n", "must be greater"),
    ("surprise = 1\n", "surprise"),
])
def test_bad_policy_exit_2(tmp_path: Path, capsys, content: str, needle: str) -> None:
    policy = _write(tmp_path / "p.toml", content)
    code, out, err = _run(capsys, "score", "--example", "fr", "--policy", str(policy))
    assert code == 2
    assert out == ""
    assert err.startswith("empathy-signals: error: ") and needle in err
    assert err.count("\n") == 1


def test_missing_policy_exit_2(tmp_path: Path, capsys) -> None:
    code, _, err = _run(capsys, "score", "--example", "fr", "--policy", str(tmp_path / "none.toml"))
    assert code == 2 and "cannot read policy file" in err


def test_usage_errors_exit_2(capsys) -> None:
    assert _run(capsys, "score")[0] == 2
    assert _run(capsys, "score", "--example", "fr", "--lang", "de")[0] == 2
    assert _run(capsys, "score", "-", "-")[0] == 2
    assert _run(capsys)[0] == 2
    assert _run(capsys, "frobnicate")[0] == 2


def test_input_error_from_the_detector_becomes_an_error_record(monkeypatch, capsys) -> None:
    class Picky:
        def assess(self, conversation):
            if conversation.id == "chat-en-002":
                raise InputError("audio file 'x.wav' cannot be read", field="turns[1].audio.path")
            return Detector().assess(conversation)

    monkeypatch.setattr(cli, "_make_detector", lambda policy, model: Picky())
    code, out, _ = _run(capsys, "score", "--example", "en")
    assert code == 3
    records = _records(out)
    assert len(records) == 3
    assert records[1] == {"id": "chat-en-002", "error": {
        "source": "example:en", "line": None, "field": "turns[1].audio.path",
        "message": "audio file 'x.wav' cannot be read"}}


def test_unexpected_error_exit_1_without_traceback(monkeypatch, capsys) -> None:
    class Buggy:
        def assess(self, conversation):
            raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "_make_detector", lambda policy, model: Buggy())
    monkeypatch.delenv("EMPATHY_SIGNALS_DEBUG", raising=False)
    code, _, err = _run(capsys, "score", "--example", "fr")
    assert code == 1
    assert "please report" in err and "ZeroDivisionError" in err
    assert err.count("\n") == 1
    _assert_no_traceback(err)
    monkeypatch.setenv("EMPATHY_SIGNALS_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(["score", "--example", "fr"])


# ---------------------------------------------------------------- progress


def test_progress_with_flag(capsys) -> None:
    code, out, err = _run(capsys, "score", "--example", "en", "--progress")
    assert code == 0
    assert len(_records(out)) == 3
    assert "3 records" in err and "records/s" in err
    assert err.endswith("\n")


def test_no_progress_when_not_a_terminal(tmp_path: Path, capsys) -> None:
    big = _write(tmp_path / "big.jsonl", "\n".join(_conv(f"c{i}", "hello") for i in range(250)))
    code, out, err = _run(capsys, "score", str(big))
    assert code == 0 and err == ""
    assert len(_records(out)) == 250
    code, _, err = _run(capsys, "score", str(big), "--no-progress")
    assert err == ""


def test_progress_is_throttled_and_waits_for_long_inputs() -> None:
    now = [0.0]
    stream = io.StringIO()
    bar = cli.Progress(stream, forced=False, allowed=True, eager=False, clock=lambda: now[0])
    for done in range(1, cli.PROGRESS_MIN_RECORDS + 1):
        now[0] += 0.001
        bar.update(done, 0, "in.jsonl")
    assert stream.getvalue() == ""  # short inputs show nothing
    for done in range(cli.PROGRESS_MIN_RECORDS + 1, 701):
        now[0] += 0.001
        bar.update(done, 2, "in.jsonl")
    assert stream.getvalue() == ""  # nor quick runs
    for done in range(701, 4201):
        now[0] += 0.001  # 3500 records over 3.5 s, past the delay
        bar.update(done, 2, "in.jsonl")
    draws = stream.getvalue().count("\r")
    seconds_shown = 4.2 - cli.PROGRESS_DELAY_S
    assert 1 <= draws <= seconds_shown * cli.PROGRESS_MAX_HZ + 1
    bar.close()
    assert stream.getvalue().endswith("\n")
    assert "4,200 records" in stream.getvalue() and "2 failed" in stream.getvalue()


def test_progress_disallowed_draws_nothing() -> None:
    stream = io.StringIO()
    bar = cli.Progress(stream, forced=False, allowed=False, eager=True)
    for done in range(1, 500):
        bar.update(done, 0, "x")
    bar.close()
    assert stream.getvalue() == ""


# ---------------------------------------------------------------- schema, policy, version


def test_schema_command(tmp_path: Path, capsys) -> None:
    code, out, _ = _run(capsys, "schema", "--out", str(tmp_path))
    assert code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["conversation.schema.json", "conversation_assessment.schema.json",
                     "error_record.schema.json"]
    schema = json.loads((tmp_path / "conversation.schema.json").read_text())
    assert schema["title"] == "Conversation"
    assert len(out.splitlines()) == 3


def test_committed_schemas_are_up_to_date() -> None:
    for name, text in cli.schema_documents().items():
        committed = ROOT / "docs" / "schema" / name
        assert committed.read_text("utf-8") == text, (
            f"{committed} is stale: run `python -m empathy_signals schema --out docs/schema`")


def test_policy_prints_the_default(capsys) -> None:
    code, out, _ = _run(capsys, "policy")
    assert code == 0
    assert out.startswith("#")  # comments are kept
    assert Policy.from_dict(tomllib.loads(out)) == Policy.default()


@pytest.mark.parametrize("name", ["p.toml", "p.json"])
def test_policy_out_round_trips(tmp_path: Path, capsys, name: str) -> None:
    code, _, _ = _run(capsys, "policy", "--out", str(tmp_path / name))
    assert code == 0
    assert Policy.load(tmp_path / name) == Policy.default()
    code, _, err = _run(capsys, "score", "--example", "fr", "--policy", str(tmp_path / name))
    assert code == 0, err


def test_version(capsys) -> None:
    code, out, _ = _run(capsys, "--version")
    assert code == 0
    assert out.startswith("empathy-signals ")


# ---------------------------------------------------------------- the real console script


def _subprocess(*args: str, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_PARENT), os.environ.get("PYTHONPATH")]))}
    env.pop("EMPATHY_SIGNALS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "empathy_signals", *args], input=stdin,
                          check=False, capture_output=True, env=env, cwd=cwd, timeout=120)


def test_python_m_empathy_signals(tmp_path: Path) -> None:
    done = _subprocess("score", "--example", "fr", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (record,) = _records(done.stdout.decode("utf-8"))
    assert record["id"] == "appel_fr" and record["decision"] == "escalate"


def test_python_m_broken_stdin_has_no_traceback(tmp_path: Path) -> None:
    data = _conv("a", "bonjour").encode() + b"\n\xff\xfe garbage\n{bad json\n"
    done = _subprocess("score", "-", stdin=data, cwd=tmp_path)
    assert done.returncode == 3
    assert len(done.stdout.splitlines()) == 3
    _assert_no_traceback(done.stderr.decode("utf-8"))


def test_python_m_missing_file(tmp_path: Path) -> None:
    done = _subprocess("score", "nope.jsonl", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.decode() == "empathy-signals: error: input file 'nope.jsonl' does not exist\n"


def test_python_m_closed_pipe_is_quiet(tmp_path: Path) -> None:
    big = _write(tmp_path / "big.jsonl", "\n".join(_conv(f"c{i}", "hello") for i in range(3000)))
    proc = subprocess.Popen([sys.executable, "-m", "empathy_signals", "score", str(big)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(PACKAGE_PARENT)})
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) in (0, 141)
    _assert_no_traceback(err)


# ---------------------------------------------------------------- docs/cli.md examples run

DOCS = ROOT / "docs" / "cli.md"
_BLOCK_RE = re.compile(r"```console\n(.*?)```", re.DOTALL)


def _doc_commands(block: str) -> list[tuple[str, list[str]]]:
    commands: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif commands:
            commands[-1][1].append(line)
    return commands


def _run_doc_command(command: str, last_code: int, monkeypatch, capsys) -> tuple[int, str]:
    if command == "echo $?":
        return last_code, f"{last_code}\n"
    stdin = None
    if " | empathy-signals " in command:
        left, command = command.split(" | ", 1)
        stdin = subprocess.run(left, shell=True, check=True, capture_output=True).stdout
    argv = shlex.split(command)
    assert argv[0] == "empathy-signals", command
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = cli.main(argv[1:])
    out, err = capsys.readouterr()
    return code, out + err


def test_docs_cli_examples_run(tmp_path: Path, monkeypatch, capsys) -> None:
    """Each ```console block of docs/cli.md runs and prints what the page shows."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EMPATHY_SIGNALS_DEBUG", raising=False)
    text = DOCS.read_text("utf-8")
    blocks = _BLOCK_RE.findall(text)
    assert len(blocks) >= 5
    updated = text
    for block in blocks:
        code = 0
        new_block = []
        for command, expected in _doc_commands(block):
            code, output = _run_doc_command(command, code, monkeypatch, capsys)
            assert code in (0, 2, 3), (command, output)
            assert "Traceback" not in output
            new_block.append(f"$ {command}\n{output}")
            if not os.environ.get("EMPATHY_SIGNALS_UPDATE_DOCS"):
                assert output.splitlines() == expected, (
                    f"docs/cli.md: the output of `{command}` changed; if that is intended run "
                    "EMPATHY_SIGNALS_UPDATE_DOCS=1 pytest tests/test_cli.py -k docs")
        updated = updated.replace(f"```console\n{block}```", "```console\n" + "".join(new_block) + "```", 1)
    if os.environ.get("EMPATHY_SIGNALS_UPDATE_DOCS") and updated != text:
        DOCS.write_text(updated, encoding="utf-8")


@pytest.mark.parametrize("command", ["score", "handoff", "report", "fit", "evaluate", "serve", "schema", "policy", "bench"])
def test_every_command_has_help(command: str, capsys) -> None:
    assert cli.main([command, "--help"]) == 0
    assert "usage: empathy-signals" in capsys.readouterr().out
