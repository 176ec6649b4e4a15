"""Calibration from outcomes: the fit, the thresholds, the metrics, the reader and the CLI.

No shared data: planted models on synthetic features, and labelled conversations generated
from lexicon-style phrases (French and English) with a fixed seed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from empathy_signals import cli
from empathy_signals.calibrate import (
    Labelled,
    add_evaluate_arguments,
    add_fit_arguments,
    as_labelled,
    evaluate,
    fit,
    fit_weights,
    read_labelled,
    reliability_svg,
    run_evaluate,
    run_fit,
    score_metrics,
    threshold_for_rate,
)
from empathy_signals.config import Policy
from empathy_signals.detector import Detector
from empathy_signals.errors import InputError
from empathy_signals.fusion import severity
from empathy_signals.readers import ErrorRecord

# ---------------------------------------------------------------- synthetic conversations

NEEDS_HUMAN = {
    "en": ["I want to speak to a human", "Can I talk to a real person please",
           "someone used my card without my permission", "this is outrageous, I am furious",
           "my father passed away last week", "I will take legal action against you"],
    "fr": ["je veux parler à un conseiller", "on a utilisé ma carte sans mon accord",
           "c'est inadmissible, je suis furieux", "mon père est décédé",
           "je vais porter plainte contre vous"],
}
ROUTINE = {
    "en": ["what are your opening hours", "how do I change my delivery address",
           "thanks, that's perfect", "where is my parcel", "I would like to track my order",
           "ok great", "can I pay by card"],
    "fr": ["quels sont vos horaires", "je voudrais suivre ma commande",
           "merci beaucoup, c'est parfait", "comment changer mon adresse de livraison",
           "d'accord", "est-ce que je peux payer par carte"],
}
BOT = {"en": ["How can I help you?", "Let me check that for you."],
       "fr": ["Comment puis-je vous aider ?", "Je vérifie cela pour vous."]}


def conversations(n: int, seed: int, *, positive_rate: float = 0.3, turn_labels: bool = False,
                  positives: dict[str, list[str]] = NEEDS_HUMAN) -> list[dict]:
    """Labelled records: a positive conversation has one needs-a-human customer turn."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        lang = rng.choice(["en", "fr"])
        label = int(rng.random() < positive_rate)
        k = rng.randint(1, 4)
        texts = [rng.choice(ROUTINE[lang]) for _ in range(k)]
        witness = rng.randrange(k) if label else None
        if witness is not None:
            texts[witness] = rng.choice(positives[lang])
        turns = []
        for j, text in enumerate(texts):
            turns.append({"speaker": "bot", "text": rng.choice(BOT[lang])})
            turn = {"speaker": "customer", "text": text}
            if turn_labels and (witness is None or j <= witness):
                turn["metadata"] = {"label": int(j == witness)}
            turns.append(turn)
        record = {"id": f"s{seed}-{i}", "language": lang, "turns": turns}
        if not turn_labels:
            record["label"] = label
        out.append(record)
    return out


@pytest.fixture(scope="module")
def train() -> list[dict]:
    return conversations(300, 1)


@pytest.fixture(scope="module")
def test_set() -> list[dict]:
    return conversations(300, 2)


@pytest.fixture(scope="module")
def fitted(train):
    return fit(train, target_rate=0.6, escalate_rate=0.1)


def _write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records),
                    encoding="utf-8")
    return path


# ---------------------------------------------------------------- the numerical core


def test_fit_weights_recovers_a_planted_logistic_model() -> None:
    rng = np.random.default_rng(7)
    n = 30000
    x = np.column_stack([np.ones(n), rng.uniform(size=(n, 4))])
    truth = np.array([-1.5, 2.0, -1.0, 0.5, 0.0])
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-(x @ truth)))).astype(float)
    w, info = fit_weights(x, y, l2=1e-3)
    assert info["converged"]
    assert np.max(np.abs(w - truth)) < 0.15


def test_peak_recovers_a_planted_peak_model_and_the_witness_shortcut_is_biased() -> None:
    """Conversation outcome ~ Bernoulli(sigmoid(max over turns)): mil='peak' is consistent."""
    rng = np.random.default_rng(3)
    groups = rng.integers(1, 6, size=20000)
    ids = np.repeat(np.arange(len(groups)), groups)
    n = len(ids)
    x = np.column_stack([np.ones(n), rng.uniform(size=(n, 2)) * (rng.uniform(size=(n, 2)) < 0.3)])
    truth = np.array([-2.5, 3.0, 1.5])
    starts = np.r_[0, np.cumsum(groups)[:-1]]
    peak = np.maximum.reduceat(x @ truth, starts)
    y = (rng.uniform(size=len(groups)) < 1.0 / (1.0 + np.exp(-peak))).astype(float)
    w_peak, info = fit_weights(x, y, groups=ids, l2=1e-3, mil="peak")
    w_witness, _ = fit_weights(x, y, groups=ids, l2=1e-3, mil="witness")
    assert info["converged"] and info["rounds"] > 1
    assert np.max(np.abs(w_peak - truth)) < 0.2
    assert np.max(np.abs(w_witness - truth)) > 2 * np.max(np.abs(w_peak - truth))


def test_fit_weights_holds_bounds_frozen_weights_and_the_prior() -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(5000), rng.uniform(size=(5000, 2))])
    y = (rng.uniform(size=5000) < 1.0 / (1.0 + np.exp(-(x @ [-1.0, -2.0, 1.0])))).astype(float)
    w, _ = fit_weights(x, y, l2=0.0, lower=[-np.inf, 0.0, 3.0], upper=[np.inf, np.inf, 3.0])
    assert w[1] == 0.0 and w[2] == 3.0  # the sign bound holds, the frozen weight stays
    strong, _ = fit_weights(x, y, l2=1e6, center=[0.0, 5.0, 5.0], penalty=[0.0, 1.0, 1.0])
    assert strong[1:] == pytest.approx([5.0, 5.0], abs=0.01)  # a strong prior wins


def test_fit_weights_refuses_one_outcome_and_bad_shapes() -> None:
    x = np.ones((4, 2))
    with pytest.raises(InputError, match="both outcomes"):
        fit_weights(x, np.zeros(4))
    with pytest.raises(InputError, match="4 labels"):
        fit_weights(x, np.zeros(3))
    with pytest.raises(InputError, match="l2"):
        fit_weights(x, np.array([0, 1, 0, 1.0]), l2=-1.0)


# ---------------------------------------------------------------- thresholds


def test_threshold_for_rate_gives_the_asked_rate() -> None:
    scores = np.random.default_rng(1).uniform(size=1000)
    for rate in (0.01, 0.05, 0.2, 0.5, 0.9):
        t = threshold_for_rate(scores, rate)
        assert 0.0 < t < 1.0
        assert np.mean(scores >= t) == pytest.approx(rate, abs=1e-9)


def test_threshold_for_rate_with_ties_overrides_and_extremes() -> None:
    tied = [0.2] * 5 + [0.6] * 5
    assert np.mean(np.asarray(tied) >= threshold_for_rate(tied, 0.4)) == 0.5  # nearest reachable
    assert threshold_for_rate(tied, 0.0) > 0.6  # nobody
    assert threshold_for_rate(tied, 1.0) <= 0.2  # everybody
    scores = np.linspace(0.05, 0.95, 10)
    forced = np.zeros(10, bool)
    forced[:3] = True  # three low scorers reach the decision anyway (overrides)
    t = threshold_for_rate(scores, 0.5, forced=forced)
    assert np.mean((scores >= t) | forced) == pytest.approx(0.5)
    with pytest.raises(InputError, match="rate"):
        threshold_for_rate(scores, 1.5)
    with pytest.raises(InputError, match="scores"):
        threshold_for_rate([0.5, float("nan")], 0.5)


# ---------------------------------------------------------------- fit on conversations


def test_fitted_policy_improves_held_out_log_loss(fitted, test_set) -> None:
    base, tuned = evaluate(None, test_set), evaluate(fitted.policy, test_set)
    assert tuned.conversations.log_loss < 0.8 * base.conversations.log_loss
    assert tuned.conversations.brier < base.conversations.brier
    assert fitted.report.train_fitted["log_loss"] < fitted.report.train_base["log_loss"]
    assert fitted.report.converged


def test_fitted_policy_keeps_the_base_and_round_trips(fitted, tmp_path) -> None:
    base, policy = Policy.default(), fitted.policy
    for field in ("signals", "overrides", "languages", "default_language", "text_only"):
        assert getattr(policy, field) == getattr(base, field)
    assert policy.weights.human_request_repeat_gain == base.weights.human_request_repeat_gain
    assert policy.weights != base.weights
    path = tmp_path / "fitted.toml"
    fitted.dump(path, sources=["train.jsonl"])
    assert Policy.load(path) == policy
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Fitted by `empathy-signals fit`")
    assert "Fitted on: train.jsonl" in text and "300 conversations" in text
    assert tomllib.loads(text)["weights"]["bias"] == policy.weights.bias


def test_fit_is_deterministic(train) -> None:
    one, two = fit(train[:120]), fit(train[:120])
    assert one.to_toml() == two.to_toml()


def test_weights_keep_their_base_sign_unless_asked(fitted) -> None:
    base, weights = fitted.report.weights_base, fitted.report.weights_fitted
    for key, value in weights.items():
        if key != "bias" and base[key] > 0:
            assert value >= 0.0, key
        if key != "bias" and base[key] < 0:
            assert value <= 0.0, key


def test_safety_floor_never_lowers_self_harm(tmp_path) -> None:
    """Jokes about 'killing myself' in conversations that went fine push the weight down:
    the floor holds it at the base value, whatever the options."""
    jokes = {"en": ["I could kill myself laughing at this, thanks"], "fr": ["je veux mourir de rire, merci"]}
    records = conversations(200, 5, positive_rate=0.3)
    joking = conversations(60, 6, positive_rate=0.0, positives=jokes)
    for record, joke in zip(joking, random.Random(0).choices(["en", "fr"], k=60), strict=True):
        record["turns"].append({"speaker": "customer", "text": jokes[record["language"]][0]})
        del joke
    for options in ({}, {"signs": "free", "prior": "zero"}):
        result = fit(records + joking, **options)
        assert result.policy.weights.topics["self_harm"] >= Policy.default().weights.topics["self_harm"]
        assert "topics.self_harm" in result.report.at_bound
        assert result.report.safety_floors == {"topics.self_harm": 5.0}
        assert result.policy.overrides.escalate_topics == ("self_harm",)


def test_frozen_weights_stay_and_bad_patterns_are_named(train) -> None:
    result = fit(train[:150], freeze=["topics.*", "bias"])
    base = Policy.default().weights
    assert result.policy.weights.topics == base.topics
    assert result.policy.weights.bias == base.bias
    assert set(result.report.frozen) >= {"bias", "topics.fraud_security"}
    with pytest.raises(InputError, match="emotoin"):
        fit(train[:50], freeze=["emotoin.*"])


def test_l2_auto_cross_validates_on_conversation_folds(train) -> None:
    result = fit(train[:200], l2="auto")
    table = result.report.l2_cv
    assert table is not None and set(table) == {"0.01", "0.1", "1", "10", "100"}
    assert result.report.l2 == min((float(k) for k in table), key=lambda k: (table[f"{k:g}"], -k))
    assert "cross-validation" in result.report.method


def test_target_rates_are_measured_by_rerunning_the_detector(fitted, train) -> None:
    report = fitted.report
    offer, escalate = report.rates
    assert (offer.decision, escalate.decision) == ("offer_human", "escalate")
    assert report.thresholds["escalate"] > report.thresholds["offer_human"]
    detector = Detector(fitted.policy)
    decisions = [detector.assess(as_labelled(r).conversation).decision for r in train]
    assert offer.measured == pytest.approx(np.mean([severity(d) >= 1 for d in decisions]), abs=1e-6)
    assert escalate.measured == pytest.approx(np.mean([d == "escalate" for d in decisions]), abs=1e-6)
    assert offer.measured >= offer.by_overrides  # overrides also offer a human
    assert offer.measured == pytest.approx(offer.target, abs=0.05)
    assert offer.predicted == pytest.approx(offer.measured, abs=0.02)


def test_predicted_decisions_mirror_the_session_overrides(train) -> None:
    """calibrate's override replay + thresholds gives the Detector's decision, conversation by conversation."""
    from empathy_signals.calibrate.observe import _observe

    policy = Policy.default()
    detector = Detector(policy)
    t = policy.thresholds
    for obs in _observe(detector, [as_labelled(r) for r in train[:150]]):
        by_score = np.max(obs.turn_scores)
        level = max(int(obs.override.max()),
                    2 if by_score >= t.escalate else 1 if by_score >= t.offer_human else 0)
        assert level == obs.decision


def test_per_turn_labels_fit_and_turn_metrics() -> None:
    train, test = conversations(300, 11, turn_labels=True), conversations(200, 12, turn_labels=True)
    result = fit(train)
    assert result.report.labels == "turn" and result.report.n_labelled_turns > 300
    base, tuned = evaluate(None, test), evaluate(result.policy, test)
    assert tuned.turns is not None and base.turns is not None
    assert tuned.turns.log_loss < base.turns.log_loss


def test_fit_refuses_one_outcome_and_bad_rates(train) -> None:
    zeros = [dict(r, label=0) for r in train[:20]]
    with pytest.raises(InputError, match="both outcomes"):
        fit(zeros)
    with pytest.raises(InputError, match="escalate_rate"):
        fit(train[:20], target_rate=0.1, escalate_rate=0.2)
    with pytest.raises(InputError, match=r"labelled\[0\]: label"):
        fit([dict(train[0], label="maybe")])


# ---------------------------------------------------------------- metrics


def test_metrics_match_hand_computations() -> None:
    m = score_metrics([0, 0, 1, 1], [0.1, 0.4, 0.4, 0.8])
    assert m.roc_auc == pytest.approx(3.5 / 4)  # the tie at 0.4 counts one half
    # average precision: thresholds 0.8 (P=1, R=.5) then 0.4 (P=2/3, R=1)
    assert m.average_precision == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert m.brier == pytest.approx((0.01 + 0.16 + 0.36 + 0.04) / 4)
    assert m.log_loss == pytest.approx(-(np.log(0.9) + np.log(0.6) + np.log(0.4) + np.log(0.8)) / 4)
    # ECE: bins [0.1, 0.2) -> score .1 rate 0; [0.4, 0.5) -> score .4 rate .5; [0.8, 0.9) -> .8 vs 1
    assert m.ece == pytest.approx(0.25 * 0.1 + 0.5 * 0.1 + 0.25 * 0.2)
    assert [b.n for b in m.reliability] == [1, 2, 1]
    calibrated = score_metrics([1] + [0] * 9, [0.1] * 10)
    assert calibrated.ece == pytest.approx(0.0) and calibrated.roc_auc == 0.5
    assert score_metrics([0, 0], [0.1, 0.2]).roc_auc is None  # one outcome: undefined, not NaN
    assert score_metrics([1, 0, 0], [1.0, 1.0, 0.0]).ece == pytest.approx(2 / 3 * 0.5)  # 1.0 in the top bin


def test_evaluate_decision_metrics_on_a_tiny_case() -> None:
    records = [
        {"id": "a", "label": 1, "turns": [{"speaker": "customer", "text": "I want to speak to a human"}]},
        {"id": "b", "label": 1, "turns": [{"speaker": "customer", "text": "where is my parcel"}]},
        {"id": "c", "label": 0, "turns": [{"speaker": "customer", "text": "my card was stolen"}]},
        {"id": "d", "label": 0, "turns": [{"speaker": "customer", "text": "thanks, that's perfect"}]},
    ]
    m = evaluate(None, records)
    offer = m.offer_human  # offered: a (request) and c (fraud topic)
    assert (offer.tp, offer.fp, offer.fn) == (1, 1, 1)
    assert offer.precision == offer.recall == offer.f1 == 0.5 and offer.rate == 0.5
    assert m.escalate.rate == 0.0 and m.escalate.precision is None and m.escalate.recall == 0.0
    assert m.policy_sha256 == Policy.default().sha256


def test_reliability_svg_is_deterministic_well_formed_and_escaped() -> None:
    m = score_metrics([0, 1, 1, 0], [0.1, 0.7, 0.9, 0.3])
    svg = reliability_svg({"base <policy>": m, "fitted": m}, title="R & D")
    assert svg == reliability_svg({"base <policy>": m, "fitted": m}, title="R & D")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "base &lt;policy&gt;" in svg and "R &amp; D" in svg
    assert svg.count("<circle") == 2 * len(m.reliability)


# ---------------------------------------------------------------- the reader


def test_reader_accepts_every_label_spelling_and_turn_labels(tmp_path) -> None:
    turns = [{"speaker": "customer", "text": "bonjour"}]
    spellings = [1, 0, True, False, "escalated", "not_escalated", "1", "0", 1.0]
    records = [{"id": f"c{i}", "turns": turns, "label": v} for i, v in enumerate(spellings)]
    records.append({"id": "t", "label": None, "turns": [
        {"speaker": "bot", "text": "Bonjour"},
        {"speaker": "customer", "text": "je veux un conseiller", "metadata": {"label": 1}},
    ]})
    got = list(read_labelled(_write_jsonl(tmp_path / "a.jsonl", records)))
    assert all(isinstance(r, Labelled) for r in got)
    assert [r.label for r in got[:-1]] == [1, 0, 1, 0, 1, 0, 1, 0, 1]
    assert got[-1].label is None and got[-1].turn_labels == {1: 1} and got[-1].outcome == 1
    assert got[-1].conversation.turns[1].metadata == {"label": 1}  # kept in the conversation


def test_reader_reports_every_bad_record_with_its_line_and_field(tmp_path) -> None:
    good = {"id": "good", "turns": [{"speaker": "customer", "text": "hello"}], "label": 0}
    lines = [
        good,                                                                         # 1
        '{"id": "x", "turns": [',                                                     # 2
        {"id": "maybe", "turns": good["turns"], "label": "maybe"},                    # 3
        {"id": "nolabel", "turns": good["turns"]},                                    # 4
        {"id": "bot", "turns": [{"speaker": "customer", "text": "hi"},
                                {"speaker": "bot", "text": "hi", "metadata": {"label": 1}}]},  # 5
        {"id": "contra", "label": 0, "turns": [
            {"speaker": "customer", "text": "hi", "metadata": {"label": 1}}]},       # 6
        {"id": "nocustomer", "label": 1, "turns": [{"speaker": "bot", "text": "hi"}]},  # 7
        {"id": "speaker", "label": 1, "turns": [{"speaker": "robot", "text": "hi"}]},  # 8
        "",                                                                           # 9 (blank)
        "[1, 2]",                                                                     # 10
        dict(good, id="good2"),                                                       # 11
    ]
    got = list(read_labelled(_write_jsonl(tmp_path / "b.jsonl", lines)))
    errors = {r.error.line: r for r in got if isinstance(r, ErrorRecord)}
    assert [r.conversation.id for r in got if isinstance(r, Labelled)] == ["good", "good2"]
    assert sorted(errors) == [2, 3, 4, 5, 6, 7, 8, 10]
    assert "not valid JSON" in errors[2].error.message
    assert errors[3].error.field == "label" and "'maybe'" in errors[3].error.message
    assert errors[4].error.field == "label" and "no outcome" in errors[4].error.message
    assert errors[5].error.field == "turns[1].metadata.label"
    assert errors[6].error.field == "label" and "contradicts" in errors[6].error.message
    assert errors[7].error.field == "turns"
    assert errors[8].error.field == "turns[0].speaker"
    assert all(r.error.source.endswith("b.jsonl") for r in errors.values())
    assert errors[3].id == "maybe"


def test_reader_reads_a_csv_label_column(tmp_path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text("conversation_id,speaker,text,label\n"
                    "a,bot,Bonjour,\na,client,je veux un conseiller,1\n"
                    "b,client,merci,0\nc,client,allo,peut-être\n", encoding="utf-8")
    got = list(read_labelled(path))
    assert [r.turn_labels for r in got if isinstance(r, Labelled)] == [{1: 1}, {0: 0}]
    bad = [r for r in got if isinstance(r, ErrorRecord)]
    assert len(bad) == 1 and bad[0].id == "c" and bad[0].error.field == "turns[0].metadata.label"


def test_as_labelled_accepts_pairs_and_names_bad_fields() -> None:
    item = as_labelled(({"id": "p", "turns": [{"speaker": "customer", "text": "hi"}]}, "escalated"))
    assert item.label == 1
    with pytest.raises(InputError) as info:
        as_labelled({"id": "q", "turns": [{"speaker": "customer", "text": "hi"}], "label": 2})
    assert info.value.field == "label"
    with pytest.raises(InputError, match="Labelled, a mapping"):
        as_labelled(42)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the command line


def _parser(add) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="empathy-signals")
    add(parser)
    return parser


def test_cli_round_trip_fit_evaluate_score(tmp_path, capsys, train, test_set) -> None:
    train_file = _write_jsonl(tmp_path / "train.jsonl", train)
    test_file = _write_jsonl(tmp_path / "test.jsonl", test_set)
    policy_file = tmp_path / "fitted.toml"
    args = _parser(add_fit_arguments).parse_args(
        [str(train_file), "-o", str(policy_file), "--target-rate", "0.6", "--json"])
    assert run_fit(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["records"] == {"read": 300, "bad": 0}
    assert report["report"]["rates"][0]["measured"] is not None
    policy = Policy.load(policy_file)
    assert "train.jsonl (300 records, sha256 " in policy_file.read_text(encoding="utf-8")

    diagram = tmp_path / "reliability.svg"
    args = _parser(add_evaluate_arguments).parse_args(
        [str(test_file), "--policy", "default", "--policy", str(policy_file), "--json",
         "--diagram", str(diagram)])
    assert run_evaluate(args) == 0
    result = json.loads(capsys.readouterr().out)
    base, tuned = (p["metrics"]["conversations"] for p in result["policies"])
    assert tuned["log_loss"] < base["log_loss"]
    assert result["policies"][1]["metrics"]["policy_sha256"] == policy.sha256
    ET.fromstring(diagram.read_text(encoding="utf-8"))

    args = _parser(add_evaluate_arguments).parse_args([str(test_file), "--policy", str(policy_file)])
    assert run_evaluate(args) == 0
    table = capsys.readouterr().out
    assert "ROC AUC" in table and "fitted.toml" in table and "300 conversations" in table

    # the fitted policy drives the scorer
    assert cli.main(["score", str(test_file), "--policy", str(policy_file), "-o",
                     str(tmp_path / "scored.jsonl")]) == 3  # labelled records are not score input
    plain = _write_jsonl(tmp_path / "plain.jsonl", [{k: v for k, v in r.items() if k != "label"}
                                                    for r in test_set[:20]])
    assert cli.main(["score", str(plain), "--policy", str(policy_file), "-o",
                     str(tmp_path / "scored.jsonl")]) == 0


def test_cli_bad_records_exit_3_and_are_listed(tmp_path, capsys, train) -> None:
    path = _write_jsonl(tmp_path / "mixed.jsonl", [*train[:80], '{"id": "x"', {"id": "y", "turns": []}])
    args = _parser(add_fit_arguments).parse_args([str(path), "-o", str(tmp_path / "p.toml")])
    assert run_fit(args) == 3
    err = capsys.readouterr().err
    assert "mixed.jsonl:81: not valid JSON" in err
    assert "mixed.jsonl:82: turns: no customer turn" in err
    assert "2 of 82 records are bad" in err
    assert (tmp_path / "p.toml").exists()  # the others were fitted


def test_cli_usage_errors(tmp_path, train) -> None:
    from empathy_signals.cli import UsageError

    path = _write_jsonl(tmp_path / "t.jsonl", train[:30])
    fit_parser, eval_parser = _parser(add_fit_arguments), _parser(add_evaluate_arguments)
    with pytest.raises(UsageError, match="escalate-rate"):
        run_fit(fit_parser.parse_args([str(path), "-o", "p.toml", "--target-rate", "0.1",
                                       "--escalate-rate", "0.2"]))
    with pytest.raises(UsageError, match="does not exist"):
        run_fit(fit_parser.parse_args([str(tmp_path / "nope.jsonl"), "-o", "p.toml"]))
    with pytest.raises(UsageError, match="also an input"):
        run_fit(fit_parser.parse_args([str(path), "-o", str(path)]))
    with pytest.raises(UsageError, match="SVG"):
        run_evaluate(eval_parser.parse_args([str(path), "--diagram", "out.png"]))
    with pytest.raises(SystemExit):
        fit_parser.parse_args([str(path), "-o", "p.toml", "--target-rate", "1.5"])


def test_building_the_cli_parser_does_not_import_numpy() -> None:
    """cli.py imports calibrate and report to build its parser, whatever the command: neither
    may pull in numpy (nor torch or librosa)."""
    code = ("import sys\n"
            "import empathy_signals.cli\n"
            "empathy_signals.cli._build_parser()\n"
            "print(sorted(m for m in ('numpy', 'torch', 'librosa') if m in sys.modules))\n")
    root = Path(__file__).resolve().parents[1]
    path = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.skipif("fit" not in cli._build_parser().format_help(), reason="fit not wired into cli.py yet")
def test_cli_main_has_fit_and_evaluate(tmp_path, capsys, train) -> None:
    path = _write_jsonl(tmp_path / "t.jsonl", train[:100])
    out = tmp_path / "p.toml"
    assert cli.main(["fit", str(path), "-o", str(out)]) == 0
    assert cli.main(["evaluate", str(path), "--policy", str(out), "--json"]) == 0
    capsys.readouterr()
    assert cli.main(["fit", str(path), "-o", str(out), "--freeze", "nothing.*"]) == 2
