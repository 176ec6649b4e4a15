"""Calibration from outcomes, measured: the default policy against a policy fitted on outcomes.

    python benchmarks/calibration_quality.py [--work /tmp/empathy_signals_calibration]

1. Builds labelled conversations with ``models/calibration/build_outcomes.py`` (train-OK
   sources only, proxy outcomes, train/test split by source row) into ``--work``: never into
   the repository.
2. Fits a policy on ``train.jsonl`` (conversation labels), exactly as
   ``empathy-signals fit train.jsonl -o fitted.toml --target-rate 0.2 --escalate-rate 0.05``.
3. Measures the default and the fitted policy on ``test.jsonl`` (held-out rows, never fitted
   on) and on three **eval-only** sets (never fitted on, one-turn conversations whose labels
   only approximate "needs a human": Rasa "asks for a human", airline negative vs positive
   tweets, French negative vs positive tweets).
4. Ablations, each fitted on train and measured on test: the ``witness`` multiple-instance
   shortcut, per-turn labels, ``--l2 auto``, prior zero with free signs, thresholds only (every
   weight frozen), and ``--rate-basis scores``.

Writes ``benchmarks/results/calibration.json``, ``docs/img/reliability_calibration_test.svg``
and ``docs/img/reliability_calibration_eval_only.svg``. Every number is deterministic.
"""

from __future__ import annotations

import os

# The Gram matrices are tiny (24 x 24): a multi-threaded BLAS only contends for the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "models" / "calibration"))

import build_outcomes  # noqa: E402

import empathy_signals  # noqa: E402
from empathy_signals.calibrate import (  # noqa: E402
    Labelled,
    Metrics,
    evaluate,
    fit,
    read_labelled,
    reliability_svg,
)
from empathy_signals.config import Policy  # noqa: E402

RESULT = ROOT / "benchmarks" / "results" / "calibration.json"
DIAGRAM_TEST = ROOT / "docs" / "img" / "reliability_calibration_test.svg"
DIAGRAM_EVAL = ROOT / "docs" / "img" / "reliability_calibration_eval_only.svg"
TARGET_RATE = 0.2
ESCALATE_RATE = 0.05
EVAL_ONLY = {
    "eval_rasa": "Rasa demo rows of agent_request_en.csv: asks for a human (GPL-3.0, eval only)",
    "eval_airline": "twitter-us-airline: negative (1) vs positive (0) tweets (CC BY-NC-SA 4.0, eval only)",
    "eval_umsab_fr": "UMSAB French (DEFT-2017): negative (1) vs positive (0) tweets (eval only)",
}
ABLATIONS: dict[str, dict[str, Any]] = {
    "mil_witness": {"mil": "witness"},
    "l2_auto": {"l2": "auto"},
    "prior_zero_signs_free": {"prior": "zero", "signs": "free"},
    "thresholds_only": {"freeze": ["*"]},
    "rate_basis_scores": {"rate_basis": "scores"},
}


def load(path: Path) -> list[Labelled]:
    records = list(read_labelled(path))
    bad = [r for r in records if not isinstance(r, Labelled)]
    if bad:
        raise SystemExit(f"{path}: {len(bad)} bad records, first: {bad[0]}")
    return records  # type: ignore[return-value]


def summary(m: Metrics, *, bins: bool = False) -> dict[str, Any]:
    c = m.conversations
    out: dict[str, Any] = {
        "n": c.n, "positives": c.positives, "base_rate": c.base_rate, "mean_score": c.mean_score,
        "roc_auc": c.roc_auc, "average_precision": c.average_precision, "brier": c.brier,
        "log_loss": c.log_loss, "ece": c.ece,
        "offer_human": m.offer_human.model_dump(exclude={"decision"}),
        "escalate": m.escalate.model_dump(exclude={"decision"}),
    }
    if m.turns is not None:
        out["turns"] = {k: getattr(m.turns, k) for k in ("n", "roc_auc", "brier", "log_loss", "ece")}
    if bins:
        out["reliability"] = [b.model_dump() for b in c.reliability]
    return out


def fit_report(result: Any) -> dict[str, Any]:
    r = result.report
    return {
        "method": r.method, "l2": r.l2, "l2_cv": r.l2_cv, "rounds": r.rounds,
        "newton_steps": r.newton_steps, "converged": r.converged,
        "train_base": r.train_base, "train_fitted": r.train_fitted,
        "thresholds": r.thresholds, "rates": [x.model_dump() for x in r.rates],
        "base_decision_rates": r.base_decision_rates, "notes": list(r.notes),
        "at_bound": list(r.at_bound), "policy_sha256": result.policy.sha256,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=build_outcomes.DEFAULT_OUT,
                        help="folder for the generated data and the fitted policy (not the repository)")
    parser.add_argument("--out", type=Path, default=RESULT)
    parser.add_argument("--no-ablations", action="store_true")
    args = parser.parse_args(argv)
    if args.work.resolve().is_relative_to(ROOT.resolve()):
        parser.error("--work must be outside the repository: the data may not be copied there")

    manifest = build_outcomes.build(args.work)
    train, test = load(args.work / "train.jsonl"), load(args.work / "test.jsonl")
    train_turns, test_turns = load(args.work / "train_turns.jsonl"), load(args.work / "test_turns.jsonl")
    print(f"train {len(train)}, test {len(test)} conversations", file=sys.stderr)

    options = {"target_rate": TARGET_RATE, "escalate_rate": ESCALATE_RATE}
    result = fit(train, **options)
    result.dump(args.work / "fitted.toml", sources=["train.jsonl"])
    default = Policy.default()

    test_default, test_fitted = evaluate(default, test), evaluate(result.policy, test)
    out: dict[str, Any] = {
        "command": "python benchmarks/calibration_quality.py",
        "equivalent_cli": "empathy-signals fit train.jsonl -o fitted.toml --target-rate 0.2 "
                          "--escalate-rate 0.05; empathy-signals evaluate test.jsonl --policy default "
                          "--policy fitted.toml --json --diagram reliability.svg",
        "empathy_signals": empathy_signals.__version__,
        "python": platform.python_version(), "numpy": np.__version__,
        "default_policy_sha256": default.sha256,
        "data": {k: manifest[k] for k in ("seed", "positive_rate", "turns", "split", "source_weights",
                                          "rows", "files", "licences", "eval_only", "sources_sha256")},
        "proxy_outcomes": "label 1: Bitext contact_human_agent, Banking77 compromised_card / "
                          "lost_or_stolen_card / card_payment_not_recognised, CLINC150 report_fraud, "
                          "GoEmotions anger/annoyance, XED-FR anger/sadness/fear; label 0: the other "
                          "rows of each (see models/calibration/build_outcomes.py)",
        "fit": {"options": options, **fit_report(result),
                "weights": {k: {"default": result.report.weights_base[k], "fitted": v}
                            for k, v in result.report.weights_fitted.items()}},
        "test": {"default": summary(test_default, bins=True), "fitted": summary(test_fitted, bins=True)},
        "eval_only": {},
        "ablations": {},
    }
    DIAGRAM_TEST.write_text(reliability_svg(
        {"default policy": test_default.conversations, "fitted policy": test_fitted.conversations},
        title=f"Held-out test: {len(test):,} conversations (proxy outcomes)"), encoding="utf-8")

    eval_series = {}
    for name, description in EVAL_ONLY.items():
        data = load(args.work / f"{name}.jsonl")
        m_default, m_fitted = evaluate(default, data), evaluate(result.policy, data)
        out["eval_only"][name] = {"description": description,
                                  "default": summary(m_default), "fitted": summary(m_fitted)}
        short = name.removeprefix("eval_")
        eval_series[f"{short}: default"] = m_default.conversations
        eval_series[f"{short}: fitted"] = m_fitted.conversations
        print(f"{name} done", file=sys.stderr)
    DIAGRAM_EVAL.write_text(reliability_svg(eval_series, title="Eval-only sets (never fitted on)"),
                            encoding="utf-8")

    # per-turn labels: the same conversations, labelled at the turn
    turns = fit(train_turns, **options)
    out["ablations"]["per_turn_labels"] = {
        "options": {**options, "labels": "train_turns.jsonl"}, "fit": fit_report(turns),
        "test": summary(evaluate(turns.policy, test_turns)),
    }
    out["test"]["default_on_turn_labels"] = summary(evaluate(default, test_turns))
    if not args.no_ablations:
        for name, extra in ABLATIONS.items():
            ablated = fit(train, **{**options, **extra})
            out["ablations"][name] = {"options": {**options, **extra}, "fit": fit_report(ablated),
                                      "test": summary(evaluate(ablated.policy, test))}
            print(f"ablation {name} done", file=sys.stderr)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    t = out["test"]
    for policy in ("default", "fitted"):
        s = t[policy]
        print(f"test {policy:8} AUC {s['roc_auc']:.3f}  AP {s['average_precision']:.3f}  "
              f"Brier {s['brier']:.3f}  log-loss {s['log_loss']:.3f}  ECE {s['ece']:.3f}  "
              f"offer rate {s['offer_human']['rate']:.1%}  escalate rate {s['escalate']['rate']:.1%}")
    print(f"wrote {args.out}, {DIAGRAM_TEST}, {DIAGRAM_EVAL}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
