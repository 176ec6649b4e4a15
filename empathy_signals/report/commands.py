"""``empathy-signals report``: its options and its run (a thin shell over the aggregates and
the page)."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from .aggregate import MAX_TIMELINES, _feed_jsonl, _Report
from .page import render


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``empathy-signals report`` to ``parser``."""
    parser.description = (
        "Write a static HTML report (one self-contained file) over the JSONL written by "
        "'empathy-signals score': decisions, reasons, topics, emotions, languages, errors, and "
        "a timeline per conversation."
    )
    parser.epilog = ("exit codes: 0 report written, 3 report written but some input lines could "
                     "not be read, 2 usage error or unreadable input file, 1 internal error")
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="JSONL files written by 'empathy-signals score'; '-' reads the "
                             "standard input")
    parser.add_argument("-o", "--output", metavar="OUT", default="-",
                        help="write the HTML page to OUT (default: the standard output)")
    parser.add_argument("--lang", choices=("en", "fr"), default="en",
                        help="language of the report (default: en)")
    parser.add_argument("--policy", metavar="FILE",
                        help="the policy the conversations were scored with, for the thresholds "
                             "(default: the bundled policy)")
    parser.add_argument("--title", metavar="TEXT", default=None, help="title of the page")
    parser.add_argument("--max-timelines", type=int, default=MAX_TIMELINES, metavar="N",
                        help=f"draw the timelines of the N highest-scoring conversations "
                             f"(default: {MAX_TIMELINES}; 0: none)")


def run(args: argparse.Namespace) -> int:
    """Run ``empathy-signals report`` with parsed ``args``; returns the exit code.

    0: the report is written; 3: it is written, but some input lines could not be read
    (they are counted and listed in the report). A usage error (missing input file, bad
    policy, negative ``--max-timelines``) raises :class:`empathy_signals.cli.UsageError`.
    """
    from ..cli import UsageError, warn
    from ..config import Policy
    from ..errors import PolicyError

    if args.max_timelines < 0:
        raise UsageError(f"--max-timelines must be 0 or more; got {args.max_timelines}")
    _check_paths(args)
    to_file = args.output not in (None, "-")
    policy = None
    if args.policy:
        try:
            policy = Policy.load(args.policy)
        except PolicyError as exc:
            raise UsageError(" ".join(str(exc).split())) from None

    report = _Report(policy=policy, lang=args.lang, title=args.title,
                     max_timelines=args.max_timelines, sources=list(args.inputs))
    for name in args.inputs:
        if name == "-":
            stdin = getattr(sys.stdin, "buffer", None)
            if stdin is None:  # a text-only stream (a test's StringIO)
                stdin = io.BytesIO(sys.stdin.read().encode("utf-8", "surrogateescape"))
            _feed_jsonl(report, stdin, "-")
        else:
            with open(name, "rb") as stream:
                _feed_jsonl(report, stream, name)
    page = render(report)
    if to_file:
        with open(args.output, "w", encoding="utf-8", newline="\n") as out:
            out.write(page)
    else:  # UTF-8 whatever the terminal's encoding: the page says <meta charset="utf-8">
        binary = getattr(sys.stdout, "buffer", None)
        if binary is None:  # a text-only stream (a test's StringIO)
            sys.stdout.write(page)
        else:
            sys.stdout.flush()
            binary.write(page.encode("utf-8"))
            binary.flush()
    if report.conversations == 0 and report.errors == 0:
        warn("no conversation in the input (empty file?)")
    if report.bad:
        warn(f"{report.bad} input line(s) could not be read; they are listed in the report")
        return 3
    return 0


def _check_paths(args: argparse.Namespace) -> None:
    """Usage errors of the paths, before anything is read: ``-`` twice, an input that is
    missing or not a file, an output that is also an input (the checks ``score`` makes) or
    whose folder does not exist."""
    from ..cli import UsageError, check_paths

    check_paths(args.inputs, [args.output])
    if args.output in (None, "-"):
        return
    output = Path(args.output).resolve()
    if not output.parent.is_dir():
        raise UsageError(f"the folder of the output {args.output!r} does not exist")


