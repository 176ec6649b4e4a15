"""Spark scoring (``empathy_signals.spark``) against the single-process CLI, for real.

Spark runs in local mode with two Python workers (``local[2]``) on this machine: a few thousand
generated French and English conversations, some of them bad, are scored by
``empathy-signals score calls.jsonl`` and by Spark from the same conversations as a Parquet
turns table (rows shuffled over several files) and as JSONL text; every output record must be
the CLI's, byte for byte. Error records differ only where they must: ``error.source`` names
each input, and a table has no line numbers (``error.line`` is null).

Skipped without pyspark (``pip install 'empathy-signals[spark]'``) or without Java.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java 17 or later: no 'java' on PATH", allow_module_level=True)

import pandas as pd

from empathy_signals import cli
from empathy_signals.config import Policy
from empathy_signals.spark import (
    OUTPUT_COLUMNS,
    local_spark,
    run_score,
    score_conversations,
    score_turns,
)

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
#: A Python example of docs/spark.md followed by the output it shows.
_DOC_EXAMPLE = re.compile(r"```py\n((?:(?!```).)*)```\n\n```text\n((?:(?!```).)*)```", re.DOTALL)
sys.path.insert(0, str(BENCHMARKS))
try:
    import spark_throughput as generate  # the generator of the benchmark: same data
finally:
    sys.path.remove(str(BENCHMARKS))

# pyspark before 4.3 leaves the loopback socket of DataFrame.collect() to the garbage collector.
pytestmark = [
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"),
]

#: Conversations scored by both engines (about 7 turns each); one in 100 is bad.
N_CONVERSATIONS = 3000
BAD_EVERY = 100


@pytest.fixture(scope="module")
def spark():
    session = local_spark(2)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Any]:
    """calls.jsonl and turns.parquet/ of the same conversations, and the CLI's records by id."""
    folder = tmp_path_factory.mktemp("spark")
    convs = generate.conversations(N_CONVERSATIONS, seed=7, bad_every=BAD_EVERY)
    jsonl, table = generate.write_inputs(convs, folder, files=4, seed=7)
    scored = folder / "cli.jsonl"
    assert cli.main(["score", str(jsonl), "-o", str(scored)]) == cli.EXIT_FAILED_RECORDS
    lines = scored.read_text(encoding="utf-8").splitlines()
    by_id = {json.loads(line)["id"]: line for line in lines}
    assert len(by_id) == len(lines) == N_CONVERSATIONS
    return {"folder": folder, "jsonl": jsonl, "table": table, "cli": by_id, "convs": convs}


def _namespace(**overrides: Any) -> argparse.Namespace:
    args = {"inputs": [], "output": None, "policy": None, "model": "none", "lang": "auto", "workers": 2,
            "progress": False, "audio_root": None, "example": [], "format": "auto",
            "output_format": "auto", "explain": False}
    args.update(overrides)
    return argparse.Namespace(**args)


def _same_as_cli(got: pd.DataFrame, cli_lines: dict[str, str], *, source: str) -> int:
    """Every row is the CLI's record; returns the number of error records."""
    assert list(got.columns[: len(OUTPUT_COLUMNS)]) == list(OUTPUT_COLUMNS)
    assert got["id"].notna().all()
    assert sorted(got["id"]) == sorted(cli_lines), "one output row per input conversation"
    failed = 0
    for row in got.itertuples(index=False):
        expected = cli_lines[row.id]
        record = json.loads(row.record)
        if "error" not in record:
            assert row.record == expected, row.id
            assert row.error is None and row.error_field is None
            assert (row.language, row.escalation_score, row.decision) == (
                record["language"], record["escalation_score"], record["decision"])
            assert (None if pd.isna(row.decision_turn) else int(row.decision_turn)) == record["decision_turn"]
            assert json.loads(row.turns) == record["turns"]
            continue
        failed += 1
        want = json.loads(expected)
        assert record["error"]["source"] == source
        assert record["error"]["line"] is None
        want["error"].update(source=source, line=None)
        assert record == want, row.id
        assert (row.error, row.error_field) == (record["error"]["message"], record["error"]["field"])
        assert row.language is None and row.turns is None
    return failed


# ---------------------------------------------------------------- the CLI entry


def test_turns_table_scores_as_the_cli_does(spark, data):
    out = data["folder"] / "scored.parquet"
    args = _namespace(inputs=[str(data["table"])], output=str(out))
    assert run_score(args) == cli.EXIT_FAILED_RECORDS
    got = pd.read_parquet(out)
    failed = _same_as_cli(got, data["cli"], source=str(data["table"]))
    assert failed == N_CONVERSATIONS // BAD_EVERY
    fields = set(got["error_field"].dropna())
    for kind in (".speaker", ".text", ".audio.path"):  # each kind of bad row of the generator
        assert any(f.endswith(kind) for f in fields), kind
    assert "language" in fields
    speaker = got.loc[got["error_field"].fillna("").str.endswith(".speaker"), "error"].iloc[0]
    assert "got 'client'" in speaker


def test_a_second_run_overwrites_its_own_output(spark, data, tmp_path):
    _, table = generate.write_inputs(data["convs"][:20], tmp_path, files=1)
    out = tmp_path / "scored.parquet"
    for _ in range(2):  # a Parquet folder it wrote is replaced (anything else is refused: below)
        assert run_score(_namespace(inputs=[str(table)], output=str(out))) == cli.EXIT_OK
        assert len(pd.read_parquet(out)) == 20


# ---------------------------------------------------------------- the Python API


def test_two_python_workers_score_jsonl_text_as_the_cli(spark, data):
    lines = spark.read.text(str(data["jsonl"]))
    scored = score_conversations(lines, json_column="value", source=str(data["jsonl"]),
                                 audio_root=data["folder"], with_worker=True)
    got = scored.toPandas()
    _same_as_cli(got, data["cli"], source=str(data["jsonl"]))
    pids = {int(worker.rsplit(":", 1)[1]) for worker in got["worker"]}
    assert len(pids) >= 2, f"rows were scored by {len(pids)} Python worker process(es), expected 2"
    assert os.getpid() not in pids


def test_conversations_table_scores_as_the_cli(spark, data):
    table = spark.read.json(str(data["jsonl"]))  # struct columns: null = not given, except text/speaker
    got = score_conversations(table, source="calls", audio_root=data["folder"]).toPandas()
    _same_as_cli(got, data["cli"], source="calls")


def test_policy_and_language_reach_the_workers(spark, data, tmp_path):
    convs = data["convs"][:200]
    raw = Policy.default().model_dump(mode="json")
    raw["thresholds"].update(offer_human=0.2, escalate=0.6)
    policy = tmp_path / "policy.toml"
    Policy.from_dict(raw).dump(policy)
    jsonl, table = generate.write_inputs(convs, tmp_path, files=2)
    cli_out = tmp_path / "cli.jsonl"
    cli.main(["score", str(jsonl), "-o", str(cli_out), "--policy", str(policy), "--lang", "en"])
    expected = {json.loads(line)["id"]: line for line in cli_out.read_text(encoding="utf-8").splitlines()}
    default = {json.loads(line)["id"]: line for line in map(data["cli"].get, expected)}
    assert expected != default  # the policy and the language change the records

    # Arrow batches of 5 rows: most conversations straddle two batches of their partition.
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "5")
    try:
        got = score_turns(spark.read.parquet(str(table)), policy=policy, lang="en", source=str(table),
                          audio_root=tmp_path).toPandas()
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
    _same_as_cli(got, expected, source=str(table))


def test_the_text_model_is_loaded_once_per_worker(spark, data, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    jsonl, table = generate.write_inputs(data["convs"][:16], tmp_path, files=1)
    cli_out = tmp_path / "cli.jsonl"
    cli.main(["score", str(jsonl), "-o", str(cli_out), "--model", "e5-small"])
    expected = {json.loads(line)["id"]: line for line in cli_out.read_text(encoding="utf-8").splitlines()}
    got = score_turns(spark.read.parquet(str(table)), model="e5-small", source=str(table),
                      audio_root=tmp_path, with_worker=True).toPandas()
    _same_as_cli(got, expected, source=str(table))
    scored_by = {int(worker.rsplit(":", 1)[1]) for worker in got["worker"]}

    def cached(frames):  # runs in the (reused) Python workers: what their cache holds
        from empathy_signals import spark as module

        for frame in frames:
            keys = [model for _, model in module._DETECTORS]
            yield pd.DataFrame({"pid": [os.getpid()] * len(frame), "models": [",".join(keys)] * len(frame)})

    probe = spark.range(0, 8, numPartitions=8).mapInPandas(cached, "pid long, models string").toPandas()
    seen = dict(zip(probe["pid"], probe["models"], strict=True))
    assert set(seen) & scored_by, "the Python workers were not reused"
    for pid in set(seen) & scored_by:
        assert seen[pid].split(",").count("e5-small") == 1, seen[pid]


def test_bad_rows_of_a_turns_table_become_error_rows(spark, tmp_path):
    rows = [
        # a good conversation, its rows out of order: scored in turn_index order
        ("ok", 2, "customer", "Passez-moi un conseiller, vite !", "fr", None, None),
        ("ok", 0, "bot", "Bonjour, que puis-je faire pour vous ?", None, None, None),
        ("ok", 1, "customer", "Je veux parler à un conseiller", "fr", None, None),
        (None, 0, "customer", "no conversation id", None, None, None),
        (None, 1, "customer", "nor here", None, None, None),
        ("no-index", 0, "customer", "hello", None, None, None),
        ("no-index", None, "customer", "hello again", None, None, None),
        ("twice", 0, "customer", "hello", None, None, None),
        ("twice", 0, "customer", "hello again", None, None, None),
        ("two-languages", 0, "customer", "bonjour", "fr", None, None),
        ("two-languages", 1, "customer", "hello", "en", None, None),
        ("segment", 0, "customer", "hello", None, None, 1.5),
        ("robot", 0, "robot", "hello", None, None, None),
        ("no-text", 0, "customer", None, None, None, None),
    ]
    pdf = pd.DataFrame(rows, columns=["conversation_id", "turn_index", "speaker", "text", "language",
                                      "audio", "start"]).astype({"turn_index": "Int64", "start": "float64"})
    schema = ("conversation_id string, turn_index long, speaker string, text string, language string, "
              "audio string, start double")
    got = score_turns(spark.createDataFrame(pdf, schema=schema), source="turns").toPandas()
    assert len(got) == 9  # 7 conversations, and one row each for the 2 rows without an id
    by_id = {row.id: row for row in got.itertuples(index=False) if row.id is not None}

    expected = cli._make_detector(None, model="none").assess(
        {"id": "ok", "language": "fr", "turns": [
            {"speaker": "bot", "text": "Bonjour, que puis-je faire pour vous ?"},
            {"speaker": "customer", "text": "Je veux parler à un conseiller"},
            {"speaker": "customer", "text": "Passez-moi un conseiller, vite !"}]})
    assert by_id["ok"].record == json.dumps(expected.model_dump(mode="json"), ensure_ascii=False,
                                            separators=(",", ":"))
    assert by_id["ok"].decision == "escalate" and by_id["ok"].error is None

    no_id = got[got["id"].isna()]
    assert len(no_id) == 2 and set(no_id["error_field"]) == {"conversation_id"}
    expectations = {
        "no-index": ("turn_index", "turn_index is null on 1 row(s)"),
        "twice": ("turn_index", "turn_index 0 appears on more than one row"),
        "two-languages": ("language", "language 'en' differs from 'fr'"),
        "segment": ("start", "start is set but audio is empty"),
        "robot": ("turns[0].speaker", "got 'robot'"),
        "no-text": ("turns[0].text", "got None"),
    }
    for conv_id, (field, message) in expectations.items():
        row = by_id[conv_id]
        assert row.error_field == field, conv_id
        assert message in row.error, (conv_id, row.error)
        record = json.loads(row.record)
        assert record == {"id": conv_id, "error": {"source": "turns", "line": None, "field": field,
                                                   "message": row.error}}


def test_usage_errors(spark, data, tmp_path):
    table = str(data["table"])
    with pytest.raises(cli.UsageError, match="needs -o OUT"):
        run_score(_namespace(inputs=[table]))
    with pytest.raises(cli.UsageError, match="does not exist"):
        run_score(_namespace(inputs=[str(tmp_path / "missing.parquet")], output=str(tmp_path / "o")))
    with pytest.raises(cli.UsageError, match="--workers must be at least 1"):
        run_score(_namespace(inputs=[table], output=str(tmp_path / "o"), workers=0))
    with pytest.raises(cli.UsageError, match="refusing to overwrite"):
        run_score(_namespace(inputs=[table], output=str(data["folder"])))
    with pytest.raises(cli.UsageError, match="is not a Parquet file"):
        run_score(_namespace(inputs=[str(data["jsonl"])], output=str(tmp_path / "o")))
    broken = tmp_path / "broken.parquet"
    broken.mkdir()
    (broken / "part-0.parquet").write_bytes(b"PAR1 truncated PAR1")
    with pytest.raises(cli.UsageError, match="cannot read .* as Parquet"):
        run_score(_namespace(inputs=[str(broken)], output=str(tmp_path / "o")))
    other = tmp_path / "other.parquet"
    pd.DataFrame({"a": [1], "b": ["x"]}).to_parquet(other)
    with pytest.raises(cli.UsageError, match="neither a turns table"):
        run_score(_namespace(inputs=[str(other)], output=str(tmp_path / "o")))


def test_importing_the_module_does_not_import_spark():
    code = ("import sys, empathy_signals, empathy_signals.spark; "
            "print(sorted(m for m in ('pyspark', 'pandas', 'pyarrow') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_docs_example_prints_what_the_docs_show(spark):
    examples = _DOC_EXAMPLE.findall((ROOT / "docs" / "spark.md").read_text(encoding="utf-8"))
    assert examples
    for code, shown in examples:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "docs/spark.md", "exec"), {"__name__": "__doc_example__"})  # noqa: S102
        assert out.getvalue() == shown
