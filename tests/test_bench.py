"""The benchmark harness: the quick suite runs end to end on generated turns, the regression
gate's logic holds on synthetic results, and the quality metrics are right on known answers.

No data set is read (the speed suite is run with ``data=None``); the whole file takes a few
seconds.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

from empathy_signals import bench

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def harness():
    """benchmarks/ is not a package: import its modules from their folder."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield {name: importlib.import_module(name) for name in ("speed", "check", "quality", "report")}
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_quick_suite_runs_on_generated_turns():
    result = bench.run_quick(rounds=1, stream_sessions=0, import_repeats=0)
    sets = result["no_model"]["sets"]
    assert set(sets) == {"generated_en", "generated_fr", "overall"}
    assert sets["overall"]["ours"]["n"] == len(bench.GENERATED_TURNS)
    for row in sets.values():
        assert 0 < row["ours"]["p50_ms"] <= row["ours"]["p95_ms"] <= row["ours"]["p99_ms"]
    if result["no_model"]["peer"] is not None:  # vaderSentiment installed (the bench extra)
        assert sets["overall"]["ratio_p50"] > 0
        assert sets["overall"]["peer"]["n"] == sets["overall"]["ours"]["n"]
    assert result["machine"]["policy_sha256"] and result["machine"]["python"]
    assert "generated_en" in bench.render(result)


def test_streaming_windows_hold_the_same_texts():
    from empathy_signals import Detector

    detector = Detector()
    out = bench.streaming_cost(detector, [t for _, t in bench.GENERATED_TURNS], sessions=1, bucket=255)
    assert out["early_turns"] == [10, 30] and out["late_turns"] == [1000, 1020]
    assert out["late_over_early"] > 0 and len(out["by_turn_ms"]) == 4


def test_interleaved_alternates_and_times_both():
    calls = []
    ours, peer = bench.interleaved([1, 2, 3], lambda x: calls.append(("o", x)), lambda x: calls.append(("p", x)))
    assert calls == [("o", 1), ("p", 1), ("p", 2), ("o", 2), ("o", 3), ("p", 3)]
    assert len(ours) == len(peer) == 3


def test_speed_suite_falls_back_to_generated_turns(harness, tmp_path):
    speed = harness["speed"]
    result = speed.run("quick", data=tmp_path / "absent", only=("no_model",))
    assert result["data"] is None
    assert {"generated_en", "generated_fr", "overall"} == set(result["no_model"]["sets"])
    ratios = speed.gated_ratios(result)
    assert set(ratios) <= {"no_model_vs_vader_p50"}


def test_contract_floor_times_the_same_turns_as_the_peer(harness):
    pytest.importorskip("vaderSentiment")
    from empathy_signals import Detector

    speed, report = harness["speed"], harness["report"]
    texts = [t for _, t in bench.GENERATED_TURNS]
    seen = []
    row = speed.contract_floor(Detector(), texts, seen.append)
    assert row["ours"]["n"] == row["peer"]["n"] == len(texts)
    assert seen == texts  # the peer saw every turn once, in order
    assert 0 < row["ours"]["p50_ms"] <= row["ours"]["p99_ms"] and row["ratio_p50"] > 0
    rendered = "\n".join(report.speed_section({"profile": "quick", "config": {"set_size": 1},
                                                "no_model": {"sets": {}, "contract_floor": row}}))
    assert "contract's floor" in rendered


def test_no_signal_row_runs_the_path_with_every_signal_off(harness):
    pytest.importorskip("vaderSentiment")
    speed, report = harness["speed"], harness["report"]
    texts = [t for _, t in bench.GENERATED_TURNS]
    row = speed.no_signal(texts, lambda text: None)
    assert row["ours"]["n"] == row["peer"]["n"] == len(texts) and row["ratio_p50"] > 0
    rendered = "\n".join(report.speed_section({"profile": "quick", "config": {"set_size": 1},
                                                "no_model": {"sets": {"overall": row}, "no_signal": row}}))
    assert "frame around the signals" in rendered


def _result(**ratios: float) -> dict:
    return {"gated_ratios": ratios}


def test_gate_passes_within_margin_and_fails_past_it(harness):
    check = harness["check"]
    baseline = _result(no_model_vs_vader_p50=8.0, text_audio_vs_pyin_p50=0.04)
    ok, rows = check.compare(_result(no_model_vs_vader_p50=11.9, text_audio_vs_pyin_p50=0.02), baseline, margin=0.5)
    assert ok and all(r["status"] == "ok" for r in rows)
    ok, rows = check.compare(_result(no_model_vs_vader_p50=12.1, text_audio_vs_pyin_p50=0.04), baseline, margin=0.5)
    assert not ok
    assert {r["ratio"]: r["status"] for r in rows}["no_model_vs_vader_p50"] == "REGRESSED"


def test_gate_missing_peer_is_skipped_unless_strict(harness):
    check = harness["check"]
    baseline = _result(no_model_vs_vader_p50=8.0, model_vs_xlmr_pipeline_p50=0.3)
    now = _result(no_model_vs_vader_p50=8.0)
    assert check.compare(now, baseline)[0]
    assert not check.compare(now, baseline, strict=True)[0]


def test_gate_streaming_has_a_floor(harness):
    check = harness["check"]
    baseline = _result(streaming_turn1000_vs_turn10_p50=0.9)
    assert check.compare(_result(streaming_turn1000_vs_turn10_p50=1.45), baseline, margin=0.5)[0]
    assert not check.compare(_result(streaming_turn1000_vs_turn10_p50=1.6), baseline, margin=0.5)[0]


def test_gate_main_exit_codes(harness, tmp_path):
    check = harness["check"]
    (tmp_path / "b.json").write_text(json.dumps(_result(no_model_vs_vader_p50=2.0)))
    (tmp_path / "good.json").write_text(json.dumps(_result(no_model_vs_vader_p50=2.5)))
    (tmp_path / "bad.json").write_text(json.dumps(_result(no_model_vs_vader_p50=3.5)))
    base = ["--baseline", str(tmp_path / "b.json")]
    assert check.main(["--result", str(tmp_path / "good.json"), *base]) == 0
    assert check.main(["--result", str(tmp_path / "bad.json"), *base]) == 1
    assert check.main(["--result", str(tmp_path / "good.json"), "--baseline", str(tmp_path / "none.json")]) == 0


def test_calibration_and_prf_on_known_answers(harness):
    quality = harness["quality"]
    # Scores equal to the observed rate in each bin: calibrated, ECE 0.
    labels = [1] * 2 + [0] * 8 + [1] * 9 + [0] * 1
    scores = [0.2] * 10 + [0.9] * 10
    cal = quality.calibration(labels, scores)
    assert cal["ece"] == pytest.approx(0.0, abs=1e-9)
    assert [b["n"] for b in cal["reliability"]] == [10, 10]
    # Always 0.5 on a 10 % base rate: ECE 0.4.
    assert quality.calibration([1] + [0] * 9, [0.5] * 10)["ece"] == pytest.approx(0.4)
    p = quality.prf([1, 1, 0, 0], [1, 0, 1, 0])
    assert (p["precision"], p["recall"], p["f1"], p["tp"], p["fp"], p["fn"]) == (0.5, 0.5, 0.5, 1, 1, 1)


def test_french_smoke_set_is_balanced_and_labelled(harness):
    rows = [json.loads(x) for x in (BENCHMARKS / "data" / "human_request_fr.jsonl").read_text("utf-8").splitlines()]
    assert "written by the empathy_signals project" in rows[0]["_comment"].lower()
    data = rows[1:]
    assert all(r["label"] in (0, 1) and r["text"] and r["kind"] for r in data)
    assert 35 <= sum(r["label"] for r in data) <= 45 and 35 <= sum(1 - r["label"] for r in data) <= 45


def test_report_renders_a_speed_result(harness, tmp_path):
    speed, report = harness["speed"], harness["report"]
    result = speed.run("quick", data=None, only=("no_model",))
    result.update(machine=bench.machine_facts(), git={"commit": "0" * 40, "dirty": False})
    text = report.render(result, None, None, None)
    assert "## Speed" in text and "| overall | fr+en |" in text
