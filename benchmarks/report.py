"""Results JSON -> docs/benchmarks.md and PNG plots in docs/img/ (matplotlib, Agg backend).

Reads ``benchmarks/results/{speed,quality}_full.json`` (and ``quick_spread.json``,
``baseline_quick.json`` when present). Run by ``run.py --profile full``; on its own::

    python benchmarks/report.py [--results benchmarks/results] [--docs docs]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def f(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out + [""]


# ---------------------------------------------------------------- plots


def plots(speed: dict | None, quality: dict | None, img: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    def log_x(ax: Any) -> None:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())

    img.mkdir(parents=True, exist_ok=True)
    made = []
    q = np.linspace(0, 1, 101)
    if speed and "no_model" in speed:
        sets = speed["no_model"]["sets"]
        fig, ax = plt.subplots(figsize=(8, 4.8))
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for i, (name, row) in enumerate(sets.items()):
            c = colors[i % len(colors)]
            ax.plot(row["ours"]["quantiles_ms"], q, color=c, lw=2 if name == "overall" else 1.2,
                    label=f"ours, {name}")
            if "peer" in row:
                ax.plot(row["peer"]["quantiles_ms"], q, color=c, ls="--", lw=1, label=f"VADER, {name}")
        log_x(ax)
        ax.set_xlabel("latency per customer turn (ms, log scale)")
        ax.set_ylabel("fraction of turns")
        ax.set_title("No-model path vs VADER polarity_scores, same turns, interleaved")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, ncol=2, loc="lower right")
        fig.tight_layout()
        fig.savefig(img / "latency_no_model.png", dpi=110)
        plt.close(fig)
        made.append("latency_no_model.png")
    paths = [(k, speed[k] if k == "text_audio" else speed.get(k, {}).get("text_model"))
             for k in ("model", "text_audio")] if speed else []
    paths = [(k, r) for k, r in paths if r and "ours" in r]
    if paths:
        fig, axes = plt.subplots(1, len(paths), figsize=(5 * len(paths), 4))
        axes = np.atleast_1d(axes)
        names = {"model": ("text model (TextModel)", "XLM-R-base pipeline"),
                 "text_audio": ("text + 3 s audio (session.add)", "librosa.pyin (3 s)")}
        for ax, (k, r) in zip(axes, paths, strict=True):
            ax.plot(r["ours"]["quantiles_ms"], q, lw=2, label="ours: " + names[k][0])
            ax.plot(r["peer"]["quantiles_ms"], q, lw=1.5, ls="--", label="peer: " + names[k][1])
            log_x(ax)
            ax.set_xlabel("latency per turn (ms, log scale)")
            ax.set_ylabel("fraction of turns")
            ax.set_title(f"{k}: ours/peer p50 = {r['ratio_p50']}")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        fig.savefig(img / "latency_model_audio.png", dpi=110)
        plt.close(fig)
        made.append("latency_model_audio.png")
    if speed and "streaming" in speed:
        s = speed["streaming"]
        fig, ax = plt.subplots(figsize=(7, 3.5))
        x = [i * s["bucket_turns"] for i in range(len(s["by_turn_ms"]))]
        ax.plot(x, s["by_turn_ms"], marker="o", ms=3)
        ax.set_ylim(0, max(s["by_turn_ms"]) * 1.3)
        ax.set_xlabel("customer turn of one session")
        ax.set_ylabel(f"median latency per {s['bucket_turns']} turns (ms)")
        ax.set_title(f"Streaming cost: turn ~1000 / turn ~10 = {s['late_over_early']}")
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        fig.savefig(img / "streaming.png", dpi=110)
        plt.close(fig)
        made.append("streaming.png")
    if quality and quality.get("escalation"):
        esc = quality["escalation"]
        fig, ax = plt.subplots(figsize=(6, 5.5))
        ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1, label="perfect calibration")
        for name, r in esc.items():
            rel = r.get("reliability", [])
            xs = [b["mean_score"] for b in rel]
            ys = [b["observed_rate"] for b in rel]
            sizes = [max(8, 300 * b["n"] / max(1, sum(bb["n"] for bb in rel))) for b in rel]
            line = ax.plot(xs, ys, marker="", lw=1)[0]
            ax.scatter(xs, ys, s=sizes, color=line.get_color(), alpha=0.7,
                       label=f"{name} (ECE {r['ece']:.3f}, n={sum(b['n'] for b in rel)})")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("escalation_score (bin mean)")
        ax.set_ylabel("observed rate of the proxy label")
        ax.set_title("Reliability of the escalation score (proxy labels)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        fig.savefig(img / "reliability.png", dpi=110)
        plt.close(fig)
        made.append("reliability.png")
    return made


# ---------------------------------------------------------------- markdown


def speed_section(s: dict) -> list[str]:
    out = ["## Speed", ""]
    out += [(f"Profile `{s['profile']}`; per set {s['config']['set_size']} turns at most. "
            "Ours and the peer run in the same process on the same inputs, alternating turn by turn "
            "(order flipped every turn), one thread each. Ratios are ours / peer: **below 1 we are "
            "faster, above 1 slower**."), ""]
    nm = s.get("no_model", {})
    out += ["### Per customer turn, no model (peer: VADER `polarity_scores`)", "",
            f"Ours: {nm.get('what', '')}. Peer: {nm.get('peer')}.", ""]
    rows = []
    for name, r in nm.get("sets", {}).items():
        o, p = r["ours"], r.get("peer", {})
        rows.append([name, r["language"], o["n"], f(o["p50_ms"]), f(o["p95_ms"]), f(o["p99_ms"]),
                     f(p.get("p50_ms")), f(p.get("p95_ms")), f(p.get("p99_ms")),
                     f(r.get("ratio_p50"), 2), f(r.get("ratio_p95"), 2)])
    out += table(["set", "lang", "turns", "ours p50 ms", "p95", "p99", "VADER p50 ms", "p95", "p99",
                  "ratio p50", "ratio p95"], rows)
    out += ["Sets: " + "; ".join(f"`{k}`: {v['source']}" for k, v in nm.get("sets", {}).items() if k != "overall"),
            "", "![latency distributions, no model](img/latency_no_model.png)", ""]
    cf = nm.get("contract_floor")
    if cf:
        out += [(f"**The contract's floor.** {cf['what']}, on the same pooled turns, interleaved with VADER: "
                 f"{f(cf['ours']['p50_ms'])} ms p50 against VADER's {f(cf['peer']['p50_ms'])} ms "
                 f"(**{cf['ratio_p50']:.2f}x**). Any implementation of these pydantic types spends that share of VADER's "
                 "whole call before tokenising or running a single signal; everything else must fit in the rest."), ""]
    ns = nm.get("no_signal")
    if ns:
        out += [(f"**The frame around the signals.** {ns['what']} (tokenising, language detection, fusion, the "
                 f"decision, session state and the Assessment remain): {f(ns['ours']['p50_ms'])} ms p50 against "
                 f"VADER's {f(ns['peer']['p50_ms'])} ms (**{ns['ratio_p50']:.2f}x**), against "
                 f"{f(nm['sets']['overall']['ours']['p50_ms'])} ms with every signal on."), ""]
    out += compiled_section(s.get("compiled_core"))
    out += ["### Per customer turn, with the text model and with 3 s of audio", ""]
    rows = []
    mp = s.get("model", {})
    tm = mp.get("text_model")
    if tm:
        rows.append(["text model alone", tm["what"], f(tm["ours"]["p50_ms"], 2), f(tm["ours"]["p95_ms"], 2),
                     f(tm["ours"]["p99_ms"], 2), tm["peer_what"], f(tm["peer"]["p50_ms"], 2),
                     f(tm["peer"]["p95_ms"], 2), f(tm["ratio_p50"], 3)])
    elif mp.get("skipped"):
        rows.append(["text model alone", "skipped: " + mp["skipped"], "-", "-", "-", "-", "-", "-", "-"])
    dm = mp.get("detector_with_model")
    if isinstance(dm, dict):
        rows.append(["whole turn with the model", dm["what"], f(dm["ours"]["p50_ms"], 2), f(dm["ours"]["p95_ms"], 2),
                     f(dm["ours"]["p99_ms"], 2), dm["peer_what"], f(dm["peer"]["p50_ms"], 2),
                     f(dm["peer"]["p95_ms"], 2), f(dm["ratio_p50"], 3)])
    elif dm:
        rows.append(["whole turn with the model", dm, "-", "-", "-", "-", "-", "-", "-"])
    ta = s.get("text_audio", {})
    if "ours" in ta:
        rows.append(["text + 3 s audio", ta["what"] + f" ({ta['audio_source']})", f(ta["ours"]["p50_ms"], 2),
                     f(ta["ours"]["p95_ms"], 2), f(ta["ours"]["p99_ms"], 2), ta["peer_what"],
                     f(ta["peer"]["p50_ms"], 2), f(ta["peer"]["p95_ms"], 2), f(ta["ratio_p50"], 3)])
    elif ta.get("skipped"):
        rows.append(["text + 3 s audio", "skipped: " + ta["skipped"], "-", "-", "-", "-", "-", "-", "-"])
    out += table(["path", "ours", "p50 ms", "p95", "p99", "peer", "peer p50 ms", "p95", "ratio p50"], rows)
    if tm:
        out += [(f"Model load: ours {tm['load_s']} s, peer {tm['peer_load_s']} s (random init); "
                f"{tm['tokens_per_turn_p50']:.0f} tokens per turn (median)."), ""]
    out += ["![latency distributions, model and audio](img/latency_model_audio.png)", ""]
    st = s.get("streaming")
    if st:
        out += ["### Streaming cost", "",
                (f"One session of {st['late_turns'][1]} customer turns (a bot turn before each), {st['sessions']} sessions; "
                f"median latency of customer turns {st['early_turns'][0]}-{st['early_turns'][1] - 1}: "
                f"**{f(st['early_p50_ms'])} ms**, of turns {st['late_turns'][0]}-{st['late_turns'][1] - 1}: "
                f"**{f(st['late_p50_ms'])} ms** (same texts in both windows): ratio **{st['late_over_early']}**."), "",
                "![streaming cost](img/streaming.png)", ""]
    rows = []
    imp = s.get("import")
    if imp:
        rows.append(["`import empathy_signals` (fresh interpreter, median)", f"{imp['import_s'] * 1000:.1f} ms",
                     f"torch imported: {imp['imports_torch']}"])
        rows.append(["`import empathy_signals` + `Detector()` (cold start)", f"{imp['import_and_detector_s'] * 1000:.0f} ms",
                     f"median of {imp['repeats']}"])
    cli = s.get("cli")
    if cli:
        rows.append([f"CLI throughput, {cli['turns']:,} turns ({cli['conversations']:,} conversations x 10)",
                     f"{cli['turns_per_s']:,.0f} turns/s", (f"{cli['wall_s']} s wall, exit {cli['exit_code']}: "
                     f"`{cli['command']}`; {cli['note']}")])
    rss = s.get("rss", {})
    for kind in ("no_model", "model"):
        if kind in rss:
            v = rss[kind]
            rows.append([f"peak RSS, {kind.replace('_', ' ')}", f"{v['peak_rss_mib']} MiB" if "peak_rss_mib" in v
                         else v.get("skipped"), "child process, VmHWM"])
    out += ["### Start-up, throughput, memory", ""] + table(["what", "value", "note"], rows)
    if rss.get("how"):
        out += [f"Peak RSS: {rss['how']}", ""]
    return out


def compiled_section(c: dict | None) -> list[str]:
    """What compiling the same source would buy (benchmarks/compiled_core.py), when measured."""
    if not c:
        return []
    p, y = c["pure"]["sets"]["overall"], c["compiled"]["sets"]["overall"]
    return ["#### Would compiling close the gap?", "",
            (f"`python benchmarks/compiled_core.py`: the same turns, the hot modules' unchanged source compiled by "
             f"Cython {c['cython_version']}, each variant in its own process, interleaved with VADER. Pure Python "
             f"{f(p['p50_us'] / 1000)} ms p50 ({p['ratio_p50']:.2f}x VADER), compiled {f(y['p50_us'] / 1000)} ms "
             f"({y['ratio_p50']:.2f}x VADER): **{c['speedup_p50']:.2f}x faster, still slower than VADER**. Not "
             "adopted: a platform-specific wheel and a second build path for a gain that does not reach the target."), ""]


def quality_section(q: dict) -> list[str]:
    out = ["## Quality", "", ("Measured only: nothing was tuned on these sets (see the licence column of "
           "`../shared/data/README.md`; eval-only sets are never fitted on)."), ""]
    if q.get("skipped"):
        out += [f"**Skipped:** {q['skipped']}", ""]
    hr = q.get("human_request", {})
    rows = []
    for name, r in hr.items():
        if not isinstance(r, dict):
            continue
        rows.append([name, r["language"], r["n"], r["positives"], f(r["precision"]), f(r["recall"]), f(r["f1"]),
                     r["tp"], r["fp"], r["fn"]])
        for group in ("by_source",):
            for value, g in r.get(group, {}).items():
                rows.append([f"&nbsp;&nbsp;{name} / {value}", r["language"], g["n"], g["positives"],
                             f(g["precision"]), f(g["recall"]), f(g["f1"]), g["tp"], g["fp"], g["fn"]])
    out += ["### Human request (`signals.human_request.detected`, one-turn sessions)", ""]
    out += table(["set", "lang", "n", "positives", "precision", "recall", "F1", "TP", "FP", "FN"], rows)
    fr = hr.get("fr_smoke", {})
    if fr.get("by_kind"):
        parts = []
        for kind, g in fr["by_kind"].items():
            parts.append(f"{kind}: {g['tp']}/{g['positives']} found" if g["positives"] else
                         f"{kind}: {g['fp']}/{g['n']} false alarms")
        out += ["French smoke set by kind: " + "; ".join(parts) + ". It was written by the project before "
                "the detector was run on it and is never tuned on; at 81 rows it is a smoke test, not a benchmark.", ""]
    misses = fr.get("errors", [])
    if misses:
        out += ["French smoke errors: " + "; ".join(f"\"{e['text']}\" (label {e['label']})" for e in misses), ""]
    out += ["### Sentiment (macro-F1, negative / neutral / positive)", ""]
    rows = []
    sent = q.get("sentiment", {}).get("result", {})
    for lang in ("fr", "en"):
        r = sent.get(f"umsab_val_{lang}")
        if r:
            ref = sent.get("umsab_val_en_vader_reference", {}).get("macro_f1") if lang == "en" else None
            rows.append([f"UMSAB val ({lang})", lang, r["n"], f(r["macro_f1"]), f(ref)])
    air = q.get("sentiment_airline")
    if air:
        rows.append(["twitter-us-airline (customer tweets)", "en", air["n"], f(air["macro_f1"]), f(air.get("vader_macro_f1"))])
    out += table(["set", "lang", "n", "ours", "VADER (same run)"], rows)
    if q.get("sentiment", {}).get("failed"):
        out += [f"quality_sentiment.py failed: {q['sentiment']['failed']}", ""]
    emo = q.get("emotion_families")
    if emo:
        out += ["### Emotion (ROC AUC per family)", "", f"Score: {emo['score']}.", ""]
        fams = sorted({fam for k in ("en_goemotions_dev", "fr_xed") for fam in emo.get(k, {})},
                      key=lambda x: list(emo.get("en_goemotions_dev", {})).index(x)
                      if x in emo.get("en_goemotions_dev", {}) else 99)
        rows = []
        for fam in fams:
            en, frr = emo.get("en_goemotions_dev", {}).get(fam), emo.get("fr_xed", {}).get(fam)
            rows.append([fam, f(en["auc"]) if en else "-", f"{en['positives']}/{en['n']}" if en else "-",
                         ", ".join(en["gold"]) if en else "-",
                         f(frr["auc"]) if frr else "-", f"{frr['positives']}/{frr['n']}" if frr else "-"])
        out += table(["family", "EN GoEmotions dev AUC", "pos/n", "gold labels", "FR XED held-out AUC", "pos/n"], rows)
        if sent.get("goemotions_dev_anger_auc"):
            out += [(f"quality_sentiment.py (same run): anger AUC GoEmotions dev "
                    f"{sent['goemotions_dev_anger_auc']['auc']}, XED FR held-out {sent.get('xed_fr_anger_auc_heldout', {}).get('auc')}."), ""]
    top = q.get("topics", {})
    if top.get("result"):
        out += ["### Sensitive topics (`quality_topics.py`, test splits)", ""]
        rows = []
        res = top["result"].get("datasets", top["result"])
        for set_name, r in res.items():
            if not isinstance(r, dict) or "per_topic" not in r:
                continue
            if "exact_match_rate" in r:
                continue
            stray = []
            for topic, t in r["per_topic"].items():
                if t.get("positives"):
                    rows.append([set_name, topic, t["positives"], f(t.get("precision")), f(t.get("recall")),
                                 t.get("false_positives", "-")])
                elif t.get("false_positives"):
                    stray.append(f"{topic} {t['false_positives']}")
            rows.append([set_name, "*unrelated rows with any topic (false-alarm rate)*", r.get("unrelated_rows"),
                         "", "", f(r.get("false_alarm_rate"))])
            if stray:
                rows.append([set_name, "*topics no row of this set maps to (false positives)*", "", "", "",
                             ", ".join(stray)])
        out += table(["set", "topic", "positives", "precision", "recall", "false positives"], rows)
        fr_check = next((v for k, v in res.items() if isinstance(v, dict) and "exact_match_rate" in v), None)
        if fr_check:
            out += [(f"French topics smoke check (written by the project): exact match "
                    f"{fr_check['exact_match_rate']} on {fr_check['rows']} rows."), ""]
    elif top.get("failed"):
        out += [f"quality_topics.py failed: {top['failed']}", ""]
    pro = q.get("prosody", {})
    if pro.get("result"):
        r = pro["result"]
        out += ["### Prosody (arousal AUC, RAVDESS actors 17-24, speaker-independent: `prosody_quality.py`)", ""]
        rows = []
        for key, label in (("no_baseline", "no baseline (each clip alone)"),
                           ("phone_channel_no_baseline", "phone channel, no baseline")):
            if key in r:
                rows.append([label, f(r[key]["angry_vs_neutral_calm"]), f(r[key]["high_vs_low"])])
        if "calm_start" in r:
            rows.append(["calm start (per-caller baseline)", f(r["calm_start"]["with_baseline"]["angry_vs_neutral_calm"]),
                         f(r["calm_start"]["with_baseline"]["high_vs_low"])])
        if "random_order" in r:
            ro = r["random_order"]
            rows.append([f"random order (mean of {ro['seeds']} seeds)", f(ro["angry_vs_neutral_calm"]["mean"]),
                         f(ro["high_vs_low"]["mean"])])
        out += table(["protocol", "angry vs neutral/calm", "high vs low arousal"], rows)
    elif pro.get("failed"):
        out += [f"prosody_quality.py failed: {pro['failed']}", ""]
    esc = q.get("escalation", {})
    if esc:
        out += ["### Escalation score: calibration on proxy labels", "",
                ("No public set labels \"this conversation needs a human\". These are **proxies** (one-turn "
                "conversations, so friction is inert):"), ""]
        out += [f"- `{k}`: {v['proxy']}" for k, v in esc.items()] + [""]
        rows = [[k, v["language"], sum(b["n"] for b in v.get("reliability", [])) or "-", f(v["base_rate"]),
                 f(v["mean_score"]), f(v["auc"]), f(v["ece"]), f(v["brier"]),
                 f(v["offer_or_escalate"]["precision"]), f(v["offer_or_escalate"]["recall"]),
                 f(v["offer_or_escalate"]["f1"])] for k, v in esc.items()]
        out += table(["proxy", "lang", "n", "label rate", "mean score", "AUC", "ECE (10 bins)", "Brier",
                      "offered P", "offered R", "offered F1"], rows)
        out += ["![reliability diagram](img/reliability.png)", ""]
    abl = q.get("ablations")
    if abl:
        out += ["### Ablations (one signal family off through `Policy.signals`)", "",
                "AUC / ECE of the escalation score on each proxy, and F1 of `human_request.detected`.", ""]
        names = list(esc)
        header = ["policy"] + [f"{n} AUC / ECE" for n in names] + [f"HR F1 {n}" for n in hr if isinstance(hr[n], dict)]
        rows = [["default (all on)"] + [f"{f(esc[n]['auc'])} / {f(esc[n]['ece'])}" for n in names]
                + [f(hr[n]["f1"]) for n in hr if isinstance(hr[n], dict)]]
        for key, a in abl.items():
            if not key.startswith("without_"):
                continue
            rows.append([key.replace("_", " ", 1)] + [f"{f(a['escalation'][n]['auc'])} / {f(a['escalation'][n]['ece'])}"
                                                    for n in names]
                        + [f(a["human_request_f1"].get(n)) for n in hr if isinstance(hr[n], dict)])
        out += table(header, rows)
    return out


def gate_section(spread: dict | None, baseline: dict | None) -> list[str]:
    sys.path.insert(0, str(HERE))
    import check

    out = ["## Regression gate (CI)", "",
           ("`.ci/run` runs `python benchmarks/run.py --profile quick --suite speed --check` after the tests. "
           f"It fails when a ratio to its peer is worse than the committed baseline "
           f"(`benchmarks/results/baseline_quick.json`) by more than **{check.MARGIN:.0%}**; the streaming "
           f"ratio may also never exceed {check.STREAMING_LIMIT}. Absolute times are not gated."), ""]
    if baseline:
        made = baseline.get("baseline_from")
        if made:
            out += [(f"The baseline holds the {made['how']} over {made['runs']} quick runs; "
                    "`python benchmarks/run.py` explains how to make a new one."), ""]
        out += table(["gated ratio", "baseline", "fails above"],
                     [[k, f(v), f(max(v * (1 + check.MARGIN), check.STREAMING_LIMIT) if k.startswith("streaming")
                                  else v * (1 + check.MARGIN))] for k, v in baseline.get("gated_ratios", {}).items()])
    if spread:
        out += [(f"Noise of the ratios over {spread['runs']} quick runs back to back on this machine "
                f"(load average {spread.get('load', '?')}):"), ""]
        out += table(["gated ratio", "min", "median", "max", "max/min - 1"],
                     [[k, f(v["min"]), f(v["median"]), f(v["max"]), f"{v['spread'] * 100:.0f}%"]
                      for k, v in spread["ratios"].items()])
    return out


def model_section(a: dict) -> list[str]:
    """With and without the text model (benchmarks/model_ablation.py)."""
    out = ["## With and without the text model", "",
           "`python benchmarks/model_ablation.py` (about 10 minutes): the same tasks through "
           "`Detector(model=\"none\")` and `Detector(model=\"e5-small\")`, default policy, one-turn sessions.", ""]
    rows = []
    for name, row in a.items():
        if not isinstance(row, dict) or "none" not in row:
            continue
        metric = "f1" if "f1" in row["none"] else "macro_f1" if "macro_f1" in row["none"] else "auc"
        rows.append([name, metric, f(row["none"].get(metric)), f(row["e5-small"].get(metric)), row["none"].get("n")])
    return out + table(["task", "metric", "no model", "with the model", "n"], rows)


def render(speed: dict | None, quality: dict | None, spread: dict | None, baseline: dict | None,
           ablation: dict | None = None) -> str:
    src = speed or quality or {}
    m = src.get("machine", {})
    git = src.get("git", {})
    out = ["# Benchmarks", "",
           "<!-- generated by benchmarks/report.py from benchmarks/results/*_full.json: do not edit by hand -->", "",
           ("Speed and quality are measured separately, and the results are committed in "
           "`benchmarks/results/`. To run it all again (about 3-5 minutes on 2 cores):"), "",
           "```console", "pip install -e '.[audio,model,bench]'",
           "python benchmarks/run.py --profile full          # both suites, then this page and docs/img/",
           "python benchmarks/run.py --profile quick --suite speed --check   # the CI gate (~30-60 s)",
           "```", "",
           f"Run of {m.get('date_utc')} at commit `{(git.get('commit') or '?')[:12]}`"
           f"{' (with uncommitted changes)' if git.get('dirty') else ''}; machine: {m.get('cpu')}, "
           f"{m.get('cores')} cores, Python {m.get('python')}; default policy sha256 `{m.get('policy_sha256', '')[:16]}...`. "
           f"Load average (1/5/15 min) at the start of the speed suite: {m.get('load_average_1_5_15')}"
           + (f", at its end: {speed.get('machine_load_after')}" if speed else "") + ".", "",
           ("**These numbers were taken on a shared 2-core machine with other jobs running.** Absolute "
           "times move with that load (tails most: p95/p99 include the scheduler handing the core to another "
           "process); the ratios to a peer timed in the same run, interleaved, move much less."), "",
           "Packages: " + ", ".join(f"{k} {v}" for k, v in m.get("packages", {}).items() if v), ""]
    if speed:
        out += speed_section(speed)
    if quality:
        out += quality_section(quality)
    if ablation:
        out += model_section(ablation)
    out += gate_section(spread, baseline)
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=HERE / "results")
    ap.add_argument("--docs", type=Path, default=ROOT / "docs")
    ap.add_argument("--profile", default="full")
    args = ap.parse_args(argv)
    speed = load(args.results / f"speed_{args.profile}.json")
    if speed is not None:
        speed["compiled_core"] = load(args.results / "compiled_core.json")
    quality = load(args.results / f"quality_{args.profile}.json")
    if speed is None and quality is None:
        print(f"report: no results in {args.results}", file=sys.stderr)
        return 1
    made = plots(speed, quality, args.docs / "img")
    text = render(speed, quality, load(args.results / "quick_spread.json"), load(args.results / "baseline_quick.json"),
                  load(args.results / "model_ablation.json"))
    (args.docs / "benchmarks.md").write_text(text, encoding="utf-8")
    print(f"report: wrote {args.docs / 'benchmarks.md'} and {', '.join(made)} in {args.docs / 'img'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
