"""Spark throughput: conversations/s and turns/s with 1 and 2 Python workers, next to the CLI.

The same generated conversations (French and English, from the project's own customer turns
``empathy_signals.bench.GENERATED_TURNS`` and bot prompts below; no data set) are scored three
ways on this machine:

* ``cli``: ``python -m empathy_signals score calls.jsonl -o scored.jsonl`` (one process, the
  peer: what a data team runs without Spark);
* ``spark_local_1`` and ``spark_local_2``: ``empathy-signals score turns.parquet -o OUT
  --engine spark --workers N`` (``local[N]``), on the same conversations as a turns table.

Every path is timed as a whole command in a fresh process (interpreter and, for Spark, JVM start
included), then the Spark runs are also timed inside one warm session
(:func:`empathy_signals.spark.score_turns` then a Parquet write), which is what a job on a
running cluster pays. The resident memory of a Python worker (``VmHWM``, read from
``/proc/PID/status`` for the PIDs of the ``worker`` column) is measured with ``model="none"``
and, when the ``model`` extra is installed, ``model="e5-small"``.

Run from the source tree (about 3-4 minutes on 2 cores)::

    pip install -e '.[spark]'
    python benchmarks/spark_throughput.py              # writes benchmarks/results/spark_throughput.json
    python benchmarks/spark_throughput.py --conversations 2000 --no-model --out /tmp/x.json
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "spark_throughput.json"

#: Bot prompts written by this project (some are failures, which feed the friction signal).
BOT_TURNS = {
    "fr": ("Bonjour, que puis-je faire pour vous ?", "Pouvez-vous préciser votre demande ?",
           "Je n'ai pas bien compris, pouvez-vous reformuler ?", "Je vérifie votre dossier.",
           "Voici le lien vers notre page d'aide."),
    "en": ("Hello, how can I help you today?", "Could you tell me more?",
           "Sorry, I didn't get that. Could you rephrase?", "Let me check your account.",
           "Here is the link to our help page."),
}
AGENT_TURNS = {
    "fr": ("Bonjour, je suis Claire, conseillère. Je reprends votre dossier.",),
    "en": ("Hi, I'm Sam from the support team. I'm looking at your account now.",),
}
#: Timed runs in a warm session after the first (the best is kept: least disturbed by other load).
WARM_RUNS = 3
#: The bad conversations :func:`conversations` mixes in, cycled: what each breaks.
BAD_KINDS = ("speaker", "text", "language", "audio")


def conversations(n: int, *, seed: int = 0, bad_every: int = 0) -> list[dict[str, Any]]:
    """``n`` JSONL conversations (French and English, 2-12 turns), the same for the same seed.

    With ``bad_every``, every ``bad_every``-th conversation is broken in one of the ways of
    :data:`BAD_KINDS`: a speaker outside the schema (``client``), a null text, an unknown
    language (``de``), an audio path outside the input's folder.
    """
    from empathy_signals.bench import GENERATED_TURNS

    rng = random.Random(seed)
    customer = {lang: [t for lg, t in GENERATED_TURNS if lg == lang] for lang in ("fr", "en")}
    out = []
    for c in range(n):
        lang = "fr" if rng.random() < 0.5 else "en"
        turns: list[dict[str, Any]] = []
        for i in range(rng.randint(2, 12)):
            if i % 2 == 0:
                if i >= 6 and rng.random() < 0.3:
                    turns.append({"speaker": "agent", "text": rng.choice(AGENT_TURNS[lang])})
                else:
                    turns.append({"speaker": "bot", "text": rng.choice(BOT_TURNS[lang])})
            else:
                text = rng.choice(customer[lang])
                if rng.random() < 0.2:
                    text += " " + rng.choice(customer[lang])
                turns.append({"speaker": "customer", "text": text})
        conv: dict[str, Any] = {"id": f"{lang}-{c:05d}", "turns": turns}
        if rng.random() < 0.5:
            conv["language"] = lang
        if bad_every and c % bad_every == bad_every - 1:
            kind = BAD_KINDS[(c // bad_every) % len(BAD_KINDS)]
            at = rng.randrange(len(turns))
            if kind == "speaker":
                turns[at]["speaker"] = "client"
            elif kind == "text":
                turns[at]["text"] = None
            elif kind == "language":
                conv["language"] = "de"
            else:
                turns[at]["audio"] = {"path": "../../outside/call.wav"}
        out.append(conv)
    return out


def turn_rows(convs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversations as a turns table (one dict per turn), columns of ``score_turns``."""
    rows = []
    for conv in convs:
        for i, turn in enumerate(conv["turns"]):
            audio = turn.get("audio") or {}
            rows.append({"conversation_id": conv["id"], "turn_index": i, "speaker": turn["speaker"],
                         "text": turn["text"], "language": conv.get("language"),
                         "audio": audio.get("path")})
    return rows


def write_inputs(convs: list[dict[str, Any]], folder: Path, *, files: int = 4,
                 seed: int = 0) -> tuple[Path, Path]:
    """``calls.jsonl`` and ``turns.parquet/`` (``files`` part files, rows shuffled) in ``folder``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    jsonl = folder / "calls.jsonl"
    with jsonl.open("w", encoding="utf-8") as f:
        for conv in convs:
            f.write(json.dumps(conv, ensure_ascii=False) + "\n")
    rows = turn_rows(convs)
    random.Random(seed).shuffle(rows)
    schema = pa.schema([("conversation_id", pa.string()), ("turn_index", pa.int32()),
                        ("speaker", pa.string()), ("text", pa.string()), ("language", pa.string()),
                        ("audio", pa.string())])
    table_dir = folder / "turns.parquet"
    table_dir.mkdir()
    size = -(-len(rows) // files)
    for k in range(files):
        chunk = rows[k * size:(k + 1) * size]
        pq.write_table(pa.Table.from_pylist(chunk, schema=schema), table_dir / f"part-{k:05d}.parquet")
    return jsonl, table_dir


# ---------------------------------------------------------------- measures


#: ``score --engine spark`` through :func:`empathy_signals.spark.run_score` directly, for a CLI
#: that does not have the option yet (the result records which way was taken).
_RUN_SCORE = """
import argparse, sys
from empathy_signals import spark
sys.exit(spark.run_score(argparse.Namespace(
    inputs=[sys.argv[1]], output=sys.argv[2], workers=int(sys.argv[3]), policy=None, model="none",
    lang="auto", progress=False, audio_root=None, example=[], format="auto", output_format="auto",
    explain=False)))
"""


def _cli_has_engine() -> bool:
    import contextlib

    from empathy_signals.cli import _build_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            _build_parser().parse_args(["score", "x.parquet", "--engine", "spark", "--workers", "2"])
    except SystemExit:
        return False
    return True


def _spark_args(table: Path, dst: Path, workers: int) -> list[str]:
    if _cli_has_engine():
        return ["-m", "empathy_signals", "score", str(table), "-o", str(dst), "--engine", "spark",
                "--workers", str(workers)]
    return ["-c", _RUN_SCORE, str(table), str(dst), str(workers)]


def _command(args: list[str]) -> dict[str, Any]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    return {"wall_s": round(wall, 2), "exit_code": done.returncode,
            "stderr_tail": done.stderr.strip()[-300:] if done.returncode not in (0, 3) else ""}


def _rates(row: dict[str, Any], n_conv: int, n_turns: int, key: str = "wall_s") -> dict[str, Any]:
    wall = row[key]
    return {**row, "conversations_per_s": round(n_conv / wall, 1), "turns_per_s": round(n_turns / wall, 1)}


def whole_commands(jsonl: Path, table: Path, tmp: Path, n_conv: int, n_turns: int) -> dict[str, Any]:
    """Each path as one command in a fresh process (start-up included)."""
    out: dict[str, Any] = {}
    row = _command(["-m", "empathy_signals", "score", str(jsonl), "-o", str(tmp / "cli.jsonl")])
    row["records_out"] = sum(1 for _ in (tmp / "cli.jsonl").open(encoding="utf-8"))
    out["cli"] = _rates({"command": "python -m empathy_signals score calls.jsonl -o scored.jsonl", **row},
                        n_conv, n_turns)
    for workers in (1, 2):
        dst = tmp / f"spark{workers}.parquet"
        args = _spark_args(table, dst, workers)
        row = _command(args)
        command = (f"python -m empathy_signals score turns.parquet -o OUT --engine spark --workers {workers}"
                   if args[0] == "-m" else
                   f"python -c 'empathy_signals.spark.run_score(<the same arguments>)' (workers={workers}; "
                   f"the CLI had no --engine yet)")
        out[f"spark_local_{workers}"] = _rates({"command": command, **row}, n_conv, n_turns)
    return out


def _worker_memory(pids: set[int]) -> dict[str, Any]:
    mib = []
    for pid in sorted(pids):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        mib.append({"pid": pid, "vmhwm_mib": round(int(fields["VmHWM"].split()[0]) / 1024, 1),
                    "vmrss_mib": round(int(fields["VmRSS"].split()[0]) / 1024, 1)})
    return {"workers": mib, "max_vmhwm_mib": max((m["vmhwm_mib"] for m in mib), default=None)}


def warm_session(jsonl: Path, table: Path, tmp: Path, n_conv: int, n_turns: int, *,
                 model_too: bool) -> dict[str, Any]:
    """In one warm local session per worker count: score_turns + Parquet write, timed; worker RSS.
    The CLI's peer here is ``cli.main`` in this process (no interpreter start)."""
    from empathy_signals import cli
    from empathy_signals.spark import local_spark, score_turns

    out: dict[str, Any] = {}
    runs = []
    for _ in range(WARM_RUNS):
        t0 = time.perf_counter()
        cli.main(["score", str(jsonl), "-o", str(tmp / "cli_warm.jsonl")])
        runs.append(time.perf_counter() - t0)
    out["cli"] = _rates({"command": "empathy_signals.cli.main(['score', 'calls.jsonl', '-o', "
                                    "'scored.jsonl']) in this process (Detector load included)",
                         "runs_s": [round(r, 2) for r in runs], "wall_s": round(min(runs), 2)},
                        n_conv, n_turns)
    for workers in (1, 2):
        spark = local_spark(workers)
        try:
            df = spark.read.parquet(str(table)).cache()
            df.count()
            runs = []
            for _ in range(1 + WARM_RUNS):  # the first run also starts the workers and loads the detector
                t0 = time.perf_counter()
                score_turns(df, with_worker=True).write.mode("overwrite").parquet(str(tmp / f"warm{workers}"))
                runs.append(time.perf_counter() - t0)
            pids = {int(w.split(":")[1]) for (w,) in
                    spark.read.parquet(str(tmp / f"warm{workers}")).select("worker").distinct().collect()}
            row = {"first_run_s": round(runs[0], 2), "runs_s": [round(r, 2) for r in runs[1:]],
                   "wall_s": round(min(runs[1:]), 2), "python_workers_used": len(pids),
                   "memory_model_none": _worker_memory(pids),
                   "jvm_memory": _worker_memory({spark._jvm.ProcessHandle.current().pid()})["workers"]}
            if workers == 2:
                t0 = time.perf_counter()
                _grouped_apply(df).write.mode("overwrite").parquet(str(tmp / "grouped"))
                row["groupby_apply_in_pandas"] = {
                    "wall_s": round(time.perf_counter() - t0, 2),
                    "what": "the design not taken: the same scoring in groupBy('conversation_id')"
                            ".applyInPandas, one pandas DataFrame in and out per conversation"}
            if model_too and workers == 2:
                t0 = time.perf_counter()
                sample = df.where(df.conversation_id.isin([f"fr-{i:05d}" for i in range(200)] +
                                                           [f"en-{i:05d}" for i in range(200)]))
                score_turns(sample, model="e5-small", with_worker=True).write.mode("overwrite").parquet(
                    str(tmp / "warm_model"))
                got = spark.read.parquet(str(tmp / "warm_model"))
                m_pids = {int(w.split(":")[1]) for (w,) in got.select("worker").distinct().collect()}
                row["memory_model_e5_small"] = {
                    **_worker_memory(m_pids), "conversations": got.count(),
                    "wall_s": round(time.perf_counter() - t0, 2),
                    "note": "a sample of the conversations, scored after the no-model runs by the "
                            "same workers"}
            out[f"spark_local_{workers}"] = _rates(row, n_conv, n_turns)
        finally:
            spark.stop()  # the JVM stays up: local_spark(2) starts a new local[2] context in it
    return out


def _grouped_apply(df: Any) -> Any:
    """score_turns written with groupBy().applyInPandas (to measure the per-group cost)."""
    from empathy_signals import spark as module

    columns = module.TURN_COLUMNS[:5] + ("audio",)
    job = module._job(df, policy=None, model="none", lang="auto", audio_root=None, source="turns",
                      with_worker=False, turn_columns=columns)

    def one_conversation(pdf: Any) -> Any:
        rows = list(zip(*(map(module._index if c == "turn_index" else module._value, pdf[c].tolist())
                          for c in columns), strict=True))
        rows.sort(key=lambda r: r[1] if r[1] is not None else -1)
        return job._rows(job._records(rows, job._context()))

    turns = df.select(*columns).repartition(module._default_partitions(df.sparkSession), "conversation_id")
    return turns.groupBy("conversation_id").applyInPandas(one_conversation, job.schema)


def _model_available() -> bool:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


def run(n_conv: int, *, model: bool) -> dict[str, Any]:
    import pyspark

    from empathy_signals.bench import machine_facts

    convs = conversations(n_conv, seed=1)
    n_turns = sum(len(c["turns"]) for c in convs)
    facts = machine_facts()
    facts["packages"].update({name: _version(name) for name in ("pyspark", "pandas", "pyarrow")})
    facts["java"] = _java_version()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        jsonl, table = write_inputs(convs, tmp)
        result = {
            "what": "throughput of batch scoring, model none: the single-process CLI on JSONL "
                    "against --engine spark on the same conversations as a Parquet turns table, "
                    "local[1] and local[2]",
            "machine": facts,
            "data": {"conversations": n_conv, "turns": n_turns,
                     "customer_turns": sum(t["speaker"] == "customer" for c in convs for t in c["turns"]),
                     "source": "benchmarks/spark_throughput.py conversations(seed=1): FR/EN, 2-12 turns, "
                               "customer turns from empathy_signals.bench.GENERATED_TURNS"},
            "whole_command": whole_commands(jsonl, table, tmp, n_conv, n_turns),
            "warm_session": warm_session(jsonl, table, tmp, n_conv, n_turns,
                                         model_too=model and _model_available()),
            "pyspark": pyspark.__version__,
        }
    whole = result["whole_command"]
    warm = result["warm_session"]
    result["speedup_2_over_1"] = {
        "whole_command": round(whole["spark_local_1"]["wall_s"] / whole["spark_local_2"]["wall_s"], 2),
        "warm_session": round(warm["spark_local_1"]["wall_s"] / warm["spark_local_2"]["wall_s"], 2),
    }
    return result


def _version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _java_version() -> str | None:
    try:
        done = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    except OSError:
        return None
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[0] if lines else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=6000,
                        help="conversations to score (default 6000)")
    parser.add_argument("--no-model", action="store_true", help="skip the worker memory with model=e5-small")
    parser.add_argument("--out", type=Path, default=RESULT,
                        help=f"result file (default {RESULT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    result = run(args.conversations, model=not args.no_model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("whole_command", "speedup_2_over_1")}, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
