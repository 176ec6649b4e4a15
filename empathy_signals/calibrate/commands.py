"""``empathy-signals fit`` and ``empathy-signals evaluate``: their options and their runs.

Light to import (no numpy): :mod:`empathy_signals.cli` builds its parser with
:func:`add_fit_arguments` and :func:`add_evaluate_arguments` whatever the command; the run
functions import the fit and the metrics when they run.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Policy
from ..errors import InputError
from ..readers import ErrorRecord, format_for
from .constants import DEFAULT_L2, ECE_BINS
from .data import Labelled, _read_labelled_jsonl, read_labelled
from .diagram import reliability_svg

if TYPE_CHECKING:  # pragma: no cover
    from .fitting import FitReport
    from .metrics import Metrics


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1; got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be strictly between 0 and 1; got {text!r}")
    return value


def _l2(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0 or 'auto'; got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0 or 'auto'; got {text!r}")
    return value


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="labelled conversations: JSONL (top-level \"label\" or "
                             "turns[i].metadata.label) or CSV with a label column; '-' is stdin")
    parser.add_argument("--format", choices=("auto", "jsonl", "csv"), default="auto",
                        help="format of the INPUT files (default: from the extension)")
    parser.add_argument("--lang", choices=("auto", "fr", "en"), default="auto",
                        help="language of every conversation (default: as recorded, else detected)")
    parser.add_argument("--model", choices=("none", "e5-small"), default="none",
                        help="text model of the detector (as in score)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def add_fit_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``empathy-signals fit`` (see ``docs/calibration.md``)."""
    _common_arguments(parser)
    parser.add_argument("-o", "--output", metavar="FILE", required=True,
                        help="the fitted policy: TOML with a header saying what it was fitted on "
                             "(.json: JSON); '-' prints it")
    parser.add_argument("--policy", metavar="FILE", help="base policy (default: the shipped one)")
    parser.add_argument("--l2", type=_l2, default=DEFAULT_L2, metavar="L2",
                        help=f"penalty strength towards the prior (default {DEFAULT_L2:g}); "
                             "'auto' cross-validates it")
    parser.add_argument("--prior", choices=("base", "zero"), default="base",
                        help="centre of the penalty: the base weights (default) or zero")
    parser.add_argument("--signs", choices=("base", "free"), default="base",
                        help="base: each weight keeps its base sign (default); free: no constraint")
    parser.add_argument("--freeze", action="append", default=[], metavar="PATTERN",
                        help="keep matching weights at their base value (e.g. 'topics.*', 'bias'); "
                             "may be repeated")
    parser.add_argument("--mil", choices=("peak", "witness"), default="peak",
                        help="conversation labels: fit the peak's likelihood (default) or the "
                             "witness turn of positives")
    parser.add_argument("--target-rate", type=_rate, metavar="R",
                        help="set thresholds.offer_human so that about R of the conversations "
                             "reach offer_human or more")
    parser.add_argument("--escalate-rate", type=_rate, metavar="R",
                        help="set thresholds.escalate so that about R of them reach escalate")
    parser.add_argument("--rate-basis", choices=("decisions", "scores"), default="decisions",
                        help="decisions: rates count conversations that overrides bring to the "
                             "decision (default); scores: the score quantile alone")


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``empathy-signals evaluate``."""
    _common_arguments(parser)
    parser.add_argument("--policy", action="append", default=[], metavar="FILE",
                        help="policy to measure; may be repeated to compare ('default': the "
                             "shipped one, the default)")
    parser.add_argument("--diagram", metavar="OUT.svg",
                        help="write the reliability diagram of the conversation scores (SVG)")



def _check_inputs(args: argparse.Namespace, outputs: Sequence[str | None]) -> None:
    from ..cli import UsageError, check_paths

    check_paths(args.inputs, outputs)
    for name in args.inputs:
        if name == "-":
            continue
        if args.format == "auto":
            try:
                fmt = format_for(name)
            except InputError as exc:
                raise UsageError(str(exc)) from None
            if fmt not in ("jsonl", "csv"):
                raise UsageError(f"input {name!r}: labelled data must be JSONL or CSV; got {fmt}")


def _read_all(args: argparse.Namespace) -> tuple[list[Labelled], list[ErrorRecord], list[str]]:
    """Every input's labelled conversations and error records, and a description of each input."""
    from ..cli import warn

    language = None if args.lang == "auto" else args.lang
    good: list[Labelled] = []
    bad: list[ErrorRecord] = []
    sources = []
    for name in args.inputs:
        before = len(good) + len(bad)
        if name == "-":
            data = sys.stdin.buffer.read()
            records: Iterable[Labelled | ErrorRecord] = list(
                _read_labelled_jsonl(io.BytesIO(data), "-", Path.cwd(), language))
            digest = hashlib.sha256(data).hexdigest()
        else:
            records = read_labelled(name, format=args.format, language=language)
            digest = hashlib.sha256(Path(name).read_bytes()).hexdigest()
        for record in records:
            (bad if isinstance(record, ErrorRecord) else good).append(record)  # type: ignore[arg-type]
        sources.append(f"{Path(name).name if name != '-' else 'stdin'} "
                       f"({len(good) + len(bad) - before:,} records, sha256 {digest[:16]})")
    for record in bad:
        err = record.error
        where = err.source + (f":{err.line}" if err.line is not None else "")
        field = f"{err.field}: " if err.field and not err.message.startswith(err.field) else ""
        warn(f"{where}: {field}{err.message}")
    if bad:
        warn(f"{len(bad)} of {len(good) + len(bad)} records are bad and were left out "
              "(each is listed above)")
    return good, bad, sources


def run_fit(args: argparse.Namespace) -> int:
    """``empathy-signals fit``: exit 0, or 3 when some records were bad (the rest fitted)."""
    from ..cli import UsageError
    from .fitting import fit

    if args.escalate_rate is not None and args.target_rate is not None \
            and args.escalate_rate >= args.target_rate:
        raise UsageError(f"--escalate-rate ({args.escalate_rate}) must be smaller than "
                         f"--target-rate ({args.target_rate})")
    _check_inputs(args, [args.output])
    base = Policy.load(args.policy) if args.policy else Policy.default()
    good, bad, sources = _read_all(args)
    if not good:
        raise UsageError(f"no valid labelled conversation to fit on ({len(bad)} bad records)")
    result = fit(good, base_policy=base, l2=args.l2, prior=args.prior, signs=args.signs,
                 freeze=args.freeze, mil=args.mil, target_rate=args.target_rate,
                 escalate_rate=args.escalate_rate, rate_basis=args.rate_basis, model=args.model)
    if args.output == "-":
        sys.stdout.write(result.to_toml(sources=sources))
        report_out = sys.stderr
    else:
        result.dump(args.output, sources=sources)
        report_out = sys.stdout
    if args.json:
        payload = {"output": args.output, "records": {"read": len(good) + len(bad), "bad": len(bad)},
                   "report": result.report.model_dump(mode="json")}
        report_out.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        report_out.write(_fit_summary(result.report, args.output))
    return 3 if bad else 0


def _fit_summary(r: FitReport, output: str) -> str:
    lines = [
        f"fitted on {r.n_conversations:,} conversations ({r.n_positive:,} positive), "
        f"{r.n_customer_turns:,} customer turns; labels per {r.labels}",
        f"training log-loss {r.train_base['log_loss']:.4f} -> {r.train_fitted['log_loss']:.4f}, "
        f"Brier {r.train_base['brier']:.4f} -> {r.train_fitted['brier']:.4f}"
        + ("" if r.converged else " (not fully converged)"),
        f"{'weight (changed ones)':<28} {'base':>8} {'fitted':>8}",
    ]
    for key, value in r.weights_fitted.items():
        base = r.weights_base[key]
        mark = " frozen" if key in r.frozen else " (bound)" if key in r.at_bound else ""
        if value != base or mark:
            lines.append(f"{key:<28} {base:>8.3f} {value:>8.3f}{mark}")
    lines.append(f"thresholds: offer_human {r.thresholds['offer_human']:g}, "
                 f"escalate {r.thresholds['escalate']:g}")
    for rate in r.rates:
        got = rate.measured if rate.measured is not None else rate.predicted
        lines.append(f"{rate.decision}: target {rate.target:.1%}, obtained {got:.1%} "
                     f"(overrides alone {rate.by_overrides:.1%}, score alone {rate.by_score:.1%})")
    lines += list(r.notes)
    if output != "-":
        lines.append(f"policy written to {output}")
    return "\n".join(lines) + "\n"


def run_evaluate(args: argparse.Namespace) -> int:
    """``empathy-signals evaluate``: exit 0, or 3 when some records were bad (the rest measured)."""
    from ..cli import UsageError
    from ..detector import Detector
    from .metrics import _measure
    from .observe import _observe

    if args.diagram is not None and Path(args.diagram).suffix.lower() != ".svg":
        raise UsageError(f"--diagram writes SVG: give a .svg file; got {args.diagram!r}")
    _check_inputs(args, [args.diagram])
    names = args.policy or ["default"]
    policies = [(n, Policy.default() if n == "default" else Policy.load(n)) for n in names]
    good, bad, sources = _read_all(args)
    if not good:
        raise UsageError(f"no valid labelled conversation to evaluate ({len(bad)} bad records)")
    results = []
    for name, policy in policies:
        observed = _observe(Detector(policy, model=args.model), good)
        results.append((name, _measure(policy, observed)))
    if args.diagram:
        Path(args.diagram).write_text(
            reliability_svg({n: m.conversations for n, m in results},
                            title=f"Reliability: {len(good):,} labelled conversations"),
            encoding="utf-8")
    if args.json:
        payload = {"inputs": sources, "records": {"read": len(good) + len(bad), "bad": len(bad)},
                   "policies": [{"policy": n, "metrics": m.model_dump(mode="json")} for n, m in results]}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_metrics_table(results))
    return 3 if bad else 0


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if pct else f"{value:.3f}"


def _metrics_table(results: Sequence[tuple[str, Metrics]]) -> str:
    width = max(12, *(len(Path(n).name) for n, _ in results))
    first = results[0][1].conversations
    rows: list[tuple[str, list[str]]] = []

    def block(label: str, get: Any) -> None:
        rows.append((label, [get(m) for _, m in results]))

    lines = [f"{first.n:,} conversations, {first.positives:,} positive "
             f"(base rate {first.base_rate:.1%})"]
    block("ROC AUC", lambda m: _fmt(m.conversations.roc_auc))
    block("average precision", lambda m: _fmt(m.conversations.average_precision))
    block("Brier", lambda m: _fmt(m.conversations.brier))
    block("log-loss", lambda m: _fmt(m.conversations.log_loss))
    block(f"ECE ({ECE_BINS} bins)", lambda m: _fmt(m.conversations.ece))
    block("mean score", lambda m: _fmt(m.conversations.mean_score))
    for d in ("offer_human", "escalate"):
        name = "offer_human+" if d == "offer_human" else d
        block(f"{name} rate", lambda m, d=d: _fmt(getattr(m, d).rate, pct=True))
        block("  precision", lambda m, d=d: _fmt(getattr(m, d).precision))
        block("  recall", lambda m, d=d: _fmt(getattr(m, d).recall))
        block("  F1", lambda m, d=d: _fmt(getattr(m, d).f1))
    if any(m.turns is not None for _, m in results):
        block("turns: n", lambda m: str(m.turns.n) if m.turns else "-")
        block("turns: ROC AUC", lambda m: _fmt(m.turns.roc_auc) if m.turns else "-")
        block("turns: Brier", lambda m: _fmt(m.turns.brier) if m.turns else "-")
        block("turns: ECE", lambda m: _fmt(m.turns.ece) if m.turns else "-")
    lines.append(f"{'':<20}" + "".join(f"{Path(n).name:>{width + 2}}" for n, _ in results))
    for label, values in rows:
        lines.append(f"{label:<20}" + "".join(f"{v:>{width + 2}}" for v in values))
    return "\n".join(lines) + "\n"
