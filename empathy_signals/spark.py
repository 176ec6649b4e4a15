"""Batch scoring on Apache Spark: a DataFrame of turns (or of conversations) in, one row per
conversation out, scored exactly as the command line scores it.

Needs ``pip install 'empathy-signals[spark]'`` (pyspark, pandas, pyarrow) and Java 17 or later;
``import empathy_signals`` never imports this module, and this module imports pyspark only
when one of its functions runs. ``docs/spark.md`` is the user guide.

Turns table (:func:`score_turns`), one row per turn:

=================  ===========  =============================================================
column             type         meaning
=================  ===========  =============================================================
conversation_id    any          cast to string; the rows of one conversation share it
turn_index         integer      the turn's place in its conversation (sorted on it, 0-based
                                by convention: ``turns[i]`` in error messages is the i-th turn
                                after sorting)
speaker            string       ``customer``, ``agent`` or ``bot`` (as in JSONL: no aliases)
text               string       the turn's text (null is an error record)
language           string       optional; ``fr``, ``en`` or ``auto``; rows of one conversation
                                must agree
audio              string       optional; WAV/FLAC path (resolved against ``audio_root``)
start, end         number       optional; seconds of the segment within ``audio``
=================  ===========  =============================================================

Other columns are ignored. Conversations table (:func:`score_conversations`): columns ``id``,
``turns`` (array of structs with the fields of a JSONL turn) and optionally ``language``, as
``spark.read.json("calls.jsonl")`` gives; or one string column holding each conversation's JSON
(``json_column=``, as ``spark.read.text("calls.jsonl")`` gives).

Output, one row per input conversation (:data:`OUTPUT_SCHEMA`): ``id``, ``language``,
``escalation_score``, ``decision``, ``decision_turn``, ``turns`` (the turns of the output
contract as a JSON array), ``record`` (the exact line ``empathy-signals score`` writes for the
conversation, a result or an error record), ``error`` and ``error_field`` (null unless the row
is an error record). A bad row never fails the task: its conversation becomes an error record.

The detector is built once per Python worker process and policy/model (a module-level cache;
with ``spark.python.worker.reuse``, Spark's default, it serves every task the worker runs).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import InputError, MissingExtraError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

    from .config import Policy
    from .readers import ErrorRecord, Record
    from .schema import ConversationAssessment

__all__ = [
    "OUTPUT_COLUMNS",
    "OUTPUT_SCHEMA",
    "TURN_COLUMNS",
    "local_spark",
    "run_score",
    "score_conversations",
    "score_turns",
]

#: Columns of the turns table: required, then optional.
TURN_COLUMNS = ("conversation_id", "turn_index", "speaker", "text", "language", "audio", "start", "end")
_TURN_REQUIRED = TURN_COLUMNS[:4]
#: The output columns, in order (``worker`` is added with ``with_worker=True``).
OUTPUT_COLUMNS = ("id", "language", "escalation_score", "decision", "decision_turn", "turns",
                  "record", "error", "error_field")
#: The output schema (Spark DDL).
OUTPUT_SCHEMA = ("id string, language string, escalation_score double, decision string, "
                 "decision_turn int, turns string, record string, error string, error_field string")
_WORKER_FIELD = ", worker string"
#: Fields of a JSONL conversation kept from a conversations table (other columns are ignored).
_CONVERSATION_FIELDS = ("id", "language", "turns")
#: Tasks per core when the caller does not say how many partitions to score in: small tasks
#: spread uneven conversations over the workers; each task costs a few milliseconds.
TASKS_PER_CORE = 4

_INTEGER_TYPES = ("tinyint", "smallint", "int", "bigint")


# ---------------------------------------------------------------- the Python API


def score_turns(
    df: DataFrame,
    *,
    policy: Policy | str | os.PathLike[str] | None = None,
    model: Literal["none", "e5-small"] = "none",
    lang: Literal["auto", "fr", "en"] = "auto",
    audio_root: str | os.PathLike[str] | None = None,
    source: str = "dataframe",
    partitions: int | None = None,
    with_worker: bool = False,
) -> DataFrame:
    """Score a table of turns: one output row per conversation (see the module docstring).

    The rows of a conversation are brought together (hash-partitioned on
    ``conversation_id``, then sorted on ``conversation_id, turn_index`` within each
    partition) and scored in one session, in ``turn_index`` order.

    Parameters
    ----------
    df
        The turns, one row each: ``conversation_id``, ``turn_index``, ``speaker``, ``text``
        and optionally ``language``, ``audio``, ``start``, ``end``.
    policy
        A :class:`~empathy_signals.config.Policy`, a policy file (read on the driver), or
        None for the default policy.
    model
        ``"none"`` (lexicons and rules) or ``"e5-small"`` (the bundled text model; each
        worker then needs ``empathy-signals[model]``).
    lang
        ``"fr"`` or ``"en"`` overrides every conversation's language (as ``--lang``).
    audio_root
        Relative audio paths resolve against this folder, and a path outside it makes its
        conversation an error record (default: the driver's current folder).
    source
        Named as ``error.source`` in error records (the CLI passes the input path).
    partitions
        Tasks to score in (default: 4 per core of the session).
    with_worker
        Add a ``worker`` column, ``host:pid`` of the Python worker that scored the row.

    Returns
    -------
    DataFrame
        :data:`OUTPUT_SCHEMA`, one row per conversation (and one per row without a
        ``conversation_id``); unordered.

    Raises
    ------
    InputError
        A required column is missing or ``turn_index`` is not an integer column.
    """
    from pyspark.sql import functions as F

    _check_columns(df, _TURN_REQUIRED, what="a turns table")
    types = dict(df.dtypes)
    if types["turn_index"] not in _INTEGER_TYPES:
        raise InputError(f"column 'turn_index' must be of an integer type; got {types['turn_index']}",
                         field="turn_index", value=types["turn_index"])
    optional = [c for c in TURN_COLUMNS[4:] if c in df.columns]
    columns = [F.col("conversation_id").cast("string").alias("conversation_id"),
               F.col("turn_index").cast("long").alias("turn_index"),
               *(F.col(c).cast("string").alias(c) for c in ("speaker", "text", "language", "audio")
                 if c in _TURN_REQUIRED or c in optional),
               *(F.col(c).cast("double").alias(c) for c in ("start", "end") if c in optional)]
    job = _job(df, policy=policy, model=model, lang=lang, audio_root=audio_root, source=source,
               with_worker=with_worker, turn_columns=tuple(TURN_COLUMNS[:4]) + tuple(optional))
    n = partitions or _default_partitions(df.sparkSession)
    # All the turns of a conversation in one partition, consecutive and in turn order; then one
    # pass of mapInPandas scores each run of rows as one session. (groupBy().applyInPandas
    # does the same grouping but pays a pandas DataFrame in and out per conversation: about
    # 5 times slower on 7-turn conversations, see docs/spark.md.)
    turns = (df.select(*columns).repartition(n, "conversation_id")
             .sortWithinPartitions("conversation_id", "turn_index"))
    return turns.mapInPandas(job.turns_function(), job.schema)


def score_conversations(
    df: DataFrame,
    *,
    policy: Policy | str | os.PathLike[str] | None = None,
    model: Literal["none", "e5-small"] = "none",
    lang: Literal["auto", "fr", "en"] = "auto",
    audio_root: str | os.PathLike[str] | None = None,
    source: str = "dataframe",
    partitions: int | None = None,
    json_column: str | None = None,
    with_worker: bool = False,
) -> DataFrame:
    """Score a table of conversations, one row each: one output row per input row.

    Each row is read exactly as a JSONL line by ``empathy-signals score``.

    Parameters
    ----------
    df
        Columns ``id``, ``turns`` (array of structs: ``speaker``, ``text``, optionally
        ``audio`` ...) and optionally ``language`` (other columns are ignored); or, with
        ``json_column``, a string column holding each conversation's JSON text.
    json_column
        The column of JSON text (``"value"`` for ``spark.read.text("calls.jsonl")``).
    policy, model, lang, audio_root, source, partitions, with_worker
        As in :func:`score_turns`.

    Returns
    -------
    DataFrame
        :data:`OUTPUT_SCHEMA`, one row per input row; unordered.
    """
    from pyspark.sql import functions as F

    if json_column is not None:
        _check_columns(df, (json_column,), what="the conversations table")
        texts = df.select(F.col(json_column).cast("string").alias("json"))
    else:
        _check_columns(df, ("id", "turns"), what="a conversations table (or pass json_column=)")
        fields = [c for c in _CONVERSATION_FIELDS if c in df.columns]
        # nulls kept, so that a null id, speaker or text is an error record, not a default
        texts = df.select(F.to_json(F.struct(*fields), {"ignoreNullFields": "false"}).alias("json"))
    job = _job(df, policy=policy, model=model, lang=lang, audio_root=audio_root, source=source,
               with_worker=with_worker, json_field=json_column)
    n = partitions or _default_partitions(df.sparkSession)
    return texts.repartition(n).mapInPandas(job.map_function(), job.schema)


def local_spark(workers: int = 2, *, progress: bool = False,
                app_name: str = "empathy-signals") -> SparkSession:
    """A SparkSession in local mode with ``workers`` Python workers, as ``--engine spark`` starts.

    Binds to the loopback interface, no web UI, Python workers reused, this interpreter as the
    workers' Python. An already running session is returned as it is (Spark allows one per
    process).
    """
    _require_pyspark()
    from pyspark.sql import SparkSession

    if workers < 1:
        raise InputError(f"workers must be at least 1; got {workers}", field="workers", value=workers)
    builder = (
        SparkSession.builder.master(f"local[{workers}]").appName(app_name)
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={_quiet_log4j()}")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "true" if progress else "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.python.worker.reuse", "true")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


#: The local JVM's log configuration while it starts: warnings on stderr, less those that say
#: nothing to someone scoring files on one machine (a loopback hostname, no native Hadoop);
#: :func:`local_spark` then keeps errors only. A root level of ``warn`` also keeps Spark from
#: printing "Setting default log level" at start.
_LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark: %p %c{1}: %m%n%ex
logger.utils.name = org.apache.spark.util.Utils
logger.utils.level = error
logger.hadoop.name = org.apache.hadoop
logger.hadoop.level = error
"""


def _quiet_log4j() -> str:
    import atexit
    import tempfile

    fd, path = tempfile.mkstemp(prefix="empathy-signals-log4j2-", suffix=".properties")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(_LOG4J2)
    atexit.register(_remove, path)
    return path


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


# ---------------------------------------------------------------- the CLI: score --engine spark


def run_score(args: argparse.Namespace) -> int:
    """``empathy-signals score --engine spark``: Parquet in, Parquet out; returns the exit code.

    Uses ``args.inputs`` (Parquet files or folders: a turns table, or a conversations table),
    ``args.output`` (the Parquet folder to write, required), ``args.policy``, ``args.model``,
    ``args.lang``, ``args.workers`` (Python workers of the local session), ``args.progress``
    and ``args.audio_root``. Runs in the active SparkSession if there is one (or the one
    ``spark-submit`` configures), else in a local one with ``args.workers`` workers.

    Returns 0 when every conversation was scored, 3 when some are error records; raises
    :class:`~empathy_signals.cli.UsageError` (exit 2) for a command line that cannot run.
    """
    from . import cli

    UsageError = cli.UsageError
    inputs = list(getattr(args, "inputs", None) or [])
    if getattr(args, "example", None):
        raise UsageError("--example cannot be used with --engine spark "
                         "(its inputs are Parquet files or folders)")
    if not inputs:
        raise UsageError("score --engine spark needs at least one INPUT (a Parquet file or folder)")
    if "-" in inputs:
        raise UsageError("--engine spark cannot read the standard input; give Parquet files or folders")
    if getattr(args, "format", "auto") not in ("auto", None):
        raise UsageError(f"--format {args.format} does not apply to --engine spark (its inputs are Parquet)")
    if getattr(args, "output_format", "auto") == "table" or getattr(args, "explain", False):
        raise UsageError("--engine spark writes Parquet; the table view (--output-format table, --explain) "
                         "is for the local engine")
    output = getattr(args, "output", None)
    if output in (None, "-"):
        raise UsageError("score --engine spark needs -o OUT, the Parquet folder to write")
    workers = getattr(args, "workers", None)
    workers = (os.cpu_count() or 1) if workers is None else workers
    if workers < 1:
        raise UsageError(f"--workers must be at least 1; got {workers}")
    local = [name for name in inputs if not _is_uri(name)]
    for name in local:
        if not Path(name).exists():
            raise UsageError(f"input {name!r} does not exist")
        if Path(name).is_file() and not _looks_like_parquet(Path(name)):
            raise UsageError(f"input {name!r} is not a Parquet file; --engine spark reads Parquet "
                             f"files or folders (the local engine reads JSONL, JSON, CSV and text)")
    if output in inputs or (not _is_uri(output)
                            and Path(output).resolve() in {Path(n).resolve() for n in local}):
        raise UsageError(f"the output {output!r} is also an input")
    if not _is_uri(output):
        _check_output(Path(output), UsageError)

    _require_pyspark()  # the extra: fail before any work
    policy = cli._load_policy(getattr(args, "policy", None))
    model = getattr(args, "model", "none")
    cli._make_detector(policy, model=model)  # the model and its extra: fail here, not in a worker
    lang = getattr(args, "lang", "auto") or "auto"
    audio_root = getattr(args, "audio_root", None)
    asked = getattr(args, "progress", None)
    progress = asked is True or (asked is None and cli._isatty(sys.stderr))
    # Spark draws its own stage bars; this one says, at the end, records, records/s and failures.
    bar = cli.Progress(sys.stderr, forced=progress, allowed=progress, eager=True)

    spark = _session(workers, progress=progress, UsageError=UsageError)
    scored = None
    for name in inputs:
        try:
            df = spark.read.parquet(name)
        except _spark_errors() as exc:
            raise UsageError(f"cannot read {name!r} as Parquet: {_first_line(exc)}") from None
        # relative audio paths: against the input's folder, as the local engine does
        root = audio_root if audio_root is not None or _is_uri(name) else str(Path(name).absolute().parent)
        options = {"policy": policy, "model": model, "lang": lang, "audio_root": root, "source": name}
        if "turn_index" in df.columns:
            part = score_turns(df, **options)
        elif "turns" in df.columns:
            part = score_conversations(df, **options)
        else:
            raise UsageError(
                f"{name!r} is neither a turns table (columns {', '.join(_TURN_REQUIRED)}) nor a "
                f"conversations table (columns id, turns); its columns are {df.columns}")
        scored = part if scored is None else scored.unionByName(part)
    assert scored is not None
    scored.write.mode("overwrite").parquet(output)

    from pyspark.sql import functions as F

    # (toPandas, not collect: pyspark < 4.3 leaves collect's socket open)
    summary = spark.read.parquet(output).agg(
        F.count(F.lit(1)).alias("total"), F.count("error").alias("failed")).toPandas()
    total, failed = int(summary["total"].iloc[0]), int(summary["failed"].iloc[0])
    bar.state = (total, failed, output)
    bar.close()
    if total == 0:
        cli.warn("no conversations in the input (empty tables?)")
    if failed:
        cli.warn(f"{failed} of {total} records failed; each is written as an error record")
        return cli.EXIT_FAILED_RECORDS
    return cli.EXIT_OK


def _session(workers: int, *, progress: bool, UsageError: type[Exception]) -> SparkSession:
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if os.environ.get("PYSPARK_GATEWAY_PORT"):  # under spark-submit: its master, its settings
        return SparkSession.builder.appName("empathy-signals").getOrCreate()
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise UsageError("--engine spark needs Java 17 or later: no 'java' on PATH and JAVA_HOME is not set")
    try:
        return local_spark(workers, progress=progress)
    except _spark_errors() as exc:
        raise UsageError(f"Spark could not start: {_first_line(exc)}") from None


def _looks_like_parquet(path: Path) -> bool:
    """A Parquet file starts and ends with the magic bytes ``PAR1``."""
    try:
        with path.open("rb") as f:
            head = f.read(4)
            f.seek(-4, os.SEEK_END)
            return head == b"PAR1" and f.read(4) == b"PAR1"
    except OSError:  # shorter than 8 bytes, or unreadable: Spark says which
        return False


def _check_output(out: Path, UsageError: type[Exception]) -> None:
    """Overwrite only what looks like an earlier Parquet output, never another folder or file."""
    if not out.exists():
        return
    if not out.is_dir():
        raise UsageError(f"the output {str(out)!r} is a file; --engine spark writes a Parquet folder")
    strays = [p.name for p in out.iterdir()
              if not (p.name.startswith(("part-", "_", ".")) and p.is_file())]
    if strays:
        raise UsageError(f"the output folder {str(out)!r} holds other files ({strays[0]!r}, ...); "
                         f"refusing to overwrite it: give a new or a Parquet output folder")


# ---------------------------------------------------------------- driver helpers


def _require_pyspark() -> None:
    try:
        import pyspark.sql  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError("Spark scoring (pyspark, pandas, pyarrow)", "spark") from exc


def _spark_errors() -> tuple[type[Exception], ...]:
    """What pyspark raises for a failed call: its own errors, and the JVM's passed through."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JJavaError)


def _is_uri(name: str) -> bool:
    """``s3://...``, ``hdfs://...``, ``dbfs:/...``: a path for Spark, not for this file system."""
    head = name.split("/", 1)[0]
    return head.endswith(":") and len(head) > 2


def _check_columns(df: DataFrame, required: tuple[str, ...], *, what: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(f"{what} needs the column {missing[0]!r} (columns {', '.join(required)}); "
                         f"got {df.columns}", field=missing[0], value=df.columns)


def _default_partitions(spark: SparkSession) -> int:
    from pyspark.errors import PySparkException

    try:
        cores = spark.sparkContext.defaultParallelism
    except (AttributeError, PySparkException):  # Spark Connect has no SparkContext
        cores = int(spark.conf.get("spark.sql.shuffle.partitions") or 8) // TASKS_PER_CORE
    return max(1, cores) * TASKS_PER_CORE


def _job(df: DataFrame, *, policy: Any, model: str, lang: str, audio_root: Any, source: str,
         with_worker: bool, json_field: str | None = None, turn_columns: tuple[str, ...] = ()) -> _Job:
    from .config import Policy
    from .detector import MODELS

    if model not in MODELS:
        raise InputError(f"model must be one of {list(MODELS)}; got {model!r}", field="model", value=model)
    if lang not in ("auto", "fr", "en"):
        raise InputError(f"lang must be 'auto', 'fr' or 'en'; got {lang!r}", field="lang", value=lang)
    if policy is not None and not isinstance(policy, Policy):
        policy = Policy.load(policy)
    policy_json = None if policy is None else json.dumps(policy.model_dump(mode="json"), sort_keys=True)
    root = os.path.abspath(audio_root if audio_root is not None else os.getcwd())
    return _Job(policy_json=policy_json, model=model, language=None if lang == "auto" else lang,
                audio_root=root, source=source, with_worker=with_worker,
                json_field=json_field or "turns", structured=json_field is None,
                turn_columns=turn_columns)


def _first_line(exc: BaseException) -> str:
    java = getattr(exc, "java_exception", None)  # py4j: the JVM's exception says what went wrong
    if java is not None:
        from py4j.protocol import Py4JError

        try:
            exc = RuntimeError(java.getMessage() or java.toString())
        except Py4JError:  # the JVM is gone: keep the Python side's message
            pass
    text = str(exc).strip().splitlines()
    return " ".join(text[0].split()) if text else type(exc).__name__


# ---------------------------------------------------------------- the Python workers

#: (policy JSON or None, model) -> Detector, in each Python worker process.
_DETECTORS: dict[tuple[str | None, str], Any] = {}
_DETECTORS_LOCK = threading.Lock()


def _detector(policy_json: str | None, model: str) -> Any:
    key = (policy_json, model)
    detector = _DETECTORS.get(key)
    if detector is None:
        with _DETECTORS_LOCK:
            detector = _DETECTORS.get(key)
            if detector is None:
                from .config import Policy
                from .detector import Detector

                policy = None if policy_json is None else Policy.from_dict(json.loads(policy_json))
                detector = _DETECTORS[key] = Detector(policy=policy, model=model)
    return detector


@dataclass(frozen=True)
class _Job:
    """What a worker needs to score (pickled into the task): plain data only."""

    policy_json: str | None
    model: str
    language: str | None
    audio_root: str
    source: str
    with_worker: bool
    json_field: str = "turns"
    #: JSON made from a struct by Spark (null = absent for optional fields), not text as given.
    structured: bool = False
    #: The columns of the turns table, in the order the rows arrive.
    turn_columns: tuple[str, ...] = ()

    @property
    def schema(self) -> str:
        return OUTPUT_SCHEMA + (_WORKER_FIELD if self.with_worker else "")

    def _context(self) -> Any:
        from .readers import _Context

        root = Path(self.audio_root)
        return _Context(source=self.source, base_dir=root, language=self.language, audio_root=root.resolve())

    # Spark reads the arity of the function it is given, and a bound method counts ``self``:
    # hand it plain functions.
    def turns_function(self) -> Any:
        def score_turns(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            return self.score_turns(frames)

        return score_turns

    def map_function(self) -> Any:
        def score_json(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            return self.score_json(frames)

        return score_json

    # -- turns sorted by conversation, then turn (mapInPandas)

    def score_turns(self, frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """Score each run of rows sharing a ``conversation_id`` as one conversation.

        A conversation's rows may straddle two Arrow batches: the last run of a batch is held
        until the next batch (or the end of the partition) shows where it ends.
        """
        ctx = self._context()
        pending: list[tuple[Any, ...]] = []
        for pdf in frames:
            rows = pending + list(zip(*(map(_index if c == "turn_index" else _value, pdf[c].tolist())
                                        for c in self.turn_columns), strict=True))
            if not rows:
                continue
            last = rows[-1][0]
            cut = len(rows)
            while cut > 0 and rows[cut - 1][0] == last:
                cut -= 1
            rows, pending = rows[:cut], rows[cut:]
            if rows:
                yield self._rows(self._records(rows, ctx))
        if pending:
            yield self._rows(self._records(pending, ctx))

    def _records(self, rows: list[tuple[Any, ...]], ctx: Any) -> list[Record]:
        records: list[Record] = []
        start = 0
        while start < len(rows):
            conv_id = rows[start][0]
            end = start + 1
            while end < len(rows) and rows[end][0] == conv_id:
                end += 1
            if conv_id is None:  # rows without an id belong to no conversation: one error each
                records.extend(
                    ctx.error("conversation_id is null; every row needs one", line=None,
                              field="conversation_id")
                    for _ in range(end - start))
            else:
                records.append(_conversation_of(rows[start:end], self.turn_columns, str(conv_id), ctx))
            start = end
        return records

    # -- one conversation per row, as JSON text (mapInPandas)

    def score_json(self, frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        ctx = self._context()
        for pdf in frames:
            yield self._rows([_parse_json(text, ctx, field=self.json_field, structured=self.structured)
                              for text in pdf["json"]])

    # -- scoring and output rows

    def _rows(self, records: list[Record]) -> pd.DataFrame:
        import pandas as pd

        from .cli import _score

        detector = _detector(self.policy_json, self.model)
        rows = [_output_row(_score(detector, record, self.source)) for record in records]
        frame = pd.DataFrame.from_records(rows, columns=list(OUTPUT_COLUMNS))
        frame["escalation_score"] = frame["escalation_score"].astype("float64")
        frame["decision_turn"] = frame["decision_turn"].astype("Int32")
        if self.with_worker:
            frame["worker"] = f"{socket.gethostname()}:{os.getpid()}"
        return frame


def _conversation_of(rows: list[tuple[Any, ...]], names: tuple[str, ...], conv_id: str,
                     ctx: Any) -> Record:
    """The rows of one conversation -> a Conversation (or an ErrorRecord naming the bad field)."""
    indexes = [row[1] for row in rows]
    nulls = sum(1 for i in indexes if i is None)
    if nulls:
        return ctx.error(f"turn_index is null on {nulls} row(s) of conversation {conv_id!r}; "
                         f"every row needs one", line=None, field="turn_index", id=conv_id)
    seen: set[int] = set()
    for i in indexes:
        if i in seen:
            return ctx.error(f"turn_index {i} appears on more than one row of conversation {conv_id!r}",
                             line=None, field="turn_index", id=conv_id)
        seen.add(i)
    turns: list[dict[str, Any]] = []
    language: str | None = None
    for row in sorted(rows, key=lambda r: r[1]):
        cells = dict(zip(names, row, strict=True))
        lang = cells.get("language")
        if lang is not None and lang.strip():
            lang = lang.strip()
            if language is not None and lang != language:
                return ctx.error(f"language {lang!r} differs from {language!r} on an earlier turn of "
                                 f"conversation {conv_id!r}", line=None, field="language", id=conv_id)
            language = lang
        turn: dict[str, Any] = {"speaker": cells["speaker"], "text": cells["text"]}
        audio = cells.get("audio")
        bounds = {k: cells[k] for k in ("start", "end") if cells.get(k) is not None}
        if audio is not None and audio.strip():
            turn["audio"] = {"path": audio.strip(), **bounds}
        elif bounds:
            name = next(iter(bounds))
            return ctx.error(f"{name} is set but audio is empty; a segment needs an audio file "
                             f"(turn_index {cells['turn_index']})", line=None, field=name, id=conv_id)
        turns.append(turn)
    obj: dict[str, Any] = {"id": conv_id, "turns": turns}
    if language is not None:
        obj["language"] = language
    return ctx.conversation(obj, line=None)


#: Fields whose null, in a struct column, means "not given" (Spark cannot tell them apart).
_OPTIONAL_CONVERSATION = ("language",)
_OPTIONAL_TURN = ("audio", "timestamp", "metadata")
_OPTIONAL_AUDIO = ("start", "end")


def _drop_absent(obj: Any) -> Any:
    """Remove the nulls of optional fields that a struct column gives for fields not set."""
    if not isinstance(obj, dict):
        return obj
    for key in _OPTIONAL_CONVERSATION:
        if key in obj and obj[key] is None:
            del obj[key]
    for turn in obj.get("turns") or ():
        if isinstance(turn, dict):
            for key in _OPTIONAL_TURN:
                if key in turn and turn[key] is None:
                    del turn[key]
            audio = turn.get("audio")
            if isinstance(audio, dict):
                for key in _OPTIONAL_AUDIO:
                    if key in audio and audio[key] is None:
                        del audio[key]
    return obj


def _parse_json(text: str | None, ctx: Any, *, field: str, structured: bool = False) -> Record:
    """One conversation's JSON text, read as the JSONL reader reads a line."""
    from .readers import _short

    if text is None or not text.strip():
        return ctx.error(f"the {field} column is empty; it must hold a conversation as JSON",
                         line=None, field=field)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return ctx.error(f"not valid JSON: {exc.msg} (column {exc.colno})", line=None)
    except (ValueError, RecursionError) as exc:  # a 5,000-digit integer, 100,000 nested '['
        return ctx.error(f"not valid JSON here: {_short(exc)}", line=None)
    return ctx.conversation(_drop_absent(obj) if structured else obj, line=None)


def _value(value: Any) -> Any:
    """A pandas cell as a plain Python value (None for a missing one: None, NaN, NA, NaT)."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    item = getattr(value, "item", None)  # numpy scalars
    if item is not None:
        value = item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def _index(value: Any) -> int | None:
    """A turn index (a float when its column has nulls) as an int, or None."""
    value = _value(value)
    return None if value is None else int(value)


def _output_row(result: ConversationAssessment | ErrorRecord) -> tuple[Any, ...]:
    """The output columns of ``result``; ``record`` is the line ``empathy-signals score`` writes."""
    from .cli import json_line

    record = result.model_dump(mode="json", exclude_none=False)
    line = json_line(record)
    if "error" in record:
        error = record["error"]
        return (record["id"], None, None, None, None, None, line, error["message"], error["field"])
    turns = json_line(record["turns"])
    return (record["id"], record["language"], record["escalation_score"], record["decision"],
            record["decision_turn"], turns, line, None, None)
