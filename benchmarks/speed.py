"""Speed suite: per-turn latency of our paths next to a peer measured in the same run.

Run through ``benchmarks/run.py --suite speed`` (see its docstring for the profiles). Every
peer runs in the same process on the same inputs, interleaved turn by turn with ours (the
order flipped every turn) so that background load hits both alike; the ratios ``ours/peer``
are what ``benchmarks/check.py`` gates on, because absolute times move with the load of a
shared machine and ratios move much less.

Paths (one customer turn each)
------------------------------
* ``no_model``: ``session.add(Turn(speaker="customer", text=...))`` (Assessment included), in
  sessions of 10 customer turns, ``language="auto"``; peer: VADER ``polarity_scores``.
  Per set of real customer messages (``_data.latency_sets``) and pooled.
* ``model``: the text model alone, ``TextModel.predict([text])`` (``embed`` while the heads
  are not built); peer: ``transformers.pipeline("text-classification")`` around an
  XLM-R-base-size ``XLMRobertaForSequenceClassification`` with random weights, fed by our
  tokenizer. One torch thread each. Also ``Session.add`` with ``Detector(model="e5-small")``
  (the whole per-turn path with the model) against the same peer.
* ``text_audio``: ``session.add(turn, audio=samples, sample_rate_hz=16000)`` with 3.0 s of
  16 kHz speech (RAVDESS actors 17-24, cut or zero-padded to 3 s; synthetic voices when the
  data is absent); peer: ``librosa.pyin(y, sr=16000, fmin=60, fmax=500)`` (pitch only,
  default frames) on the same 3 s.

Also: the contract's floor (``contract_floor``: validating the ``Turn`` and the turn's own
``Assessment`` alone) and the frame around the signals (``no_signal``: the same path with
every signal off in the policy), both against VADER on the same turns; streaming cost (turn ~1,000 vs turn
~10 of one session), ``import empathy_signals`` time, CLI throughput (``python -m
empathy_signals score FILE -o OUT`` on a generated JSONL of 10-turn conversations) and peak
RSS (``ru_maxrss`` of a child process) without and with the model loaded.
"""

from __future__ import annotations

import gc
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import _data

from empathy_signals import bench

AUDIO_S = 3.0
#: xlm-roberta-base's published config. ``XLMRobertaConfig()`` alone is NOT that size in
#: transformers 5 (its defaults give a 30,522-row vocabulary and 512 positions).
XLMR_BASE = {"vocab_size": 250002, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
             "intermediate_size": 3072, "max_position_embeddings": 514, "type_vocab_size": 1,
             "layer_norm_eps": 1e-5, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "num_labels": 2}
SR = 16000

PROFILES: dict[str, dict[str, Any]] = {
    # CI: 30-60 s on the shared 2-core machine.
    "quick": {"set_size": 300, "model_turns": 40, "audio_clips": 24, "stream_sessions": 3,
              "import_repeats": 3, "cli_conversations": 1000, "rss": ("no_model",)},
    "full": {"set_size": 3000, "model_turns": 300, "audio_clips": 80, "stream_sessions": 10,
             "import_repeats": 10, "cli_conversations": 10000, "rss": ("no_model", "model")},
}


def _row(t_ours: list[float], t_peer: list[float], **extra: Any) -> dict[str, Any]:
    row = dict(extra)
    row["ours"] = bench.percentiles_ms(t_ours)
    row["ours"]["quantiles_ms"] = bench.quantiles_ms(t_ours)
    if t_peer:
        row["peer"] = bench.percentiles_ms(t_peer)
        row["peer"]["quantiles_ms"] = bench.quantiles_ms(t_peer)
        row["ratio_p50"] = bench.ratio(row["ours"]["p50_ms"], row["peer"]["p50_ms"])
        row["ratio_p95"] = bench.ratio(row["ours"]["p95_ms"], row["peer"]["p95_ms"])
        row["ratio_p99"] = bench.ratio(row["ours"]["p99_ms"], row["peer"]["p99_ms"])
    return row


# ---------------------------------------------------------------- no model


def no_model(detector: Any, sets: dict[str, dict]) -> dict[str, Any]:
    vader = bench.vader_or_none()
    out: dict[str, Any] = {"peer": "vaderSentiment.SentimentIntensityAnalyzer().polarity_scores" if vader else None,
                           "what": "session.add(Turn(speaker='customer', text=...)) incl. the Assessment; "
                                   "sessions of 10 customer turns, language='auto'",
                           "sets": {}}
    pooled_ours: list[float] = []
    pooled_peer: list[float] = []
    for name, spec in sets.items():
        gc.collect()
        t_ours, t_peer = bench.time_turns(detector, spec["texts"], peer=vader)
        pooled_ours += t_ours
        pooled_peer += t_peer
        out["sets"][name] = _row(t_ours, t_peer, language=spec["language"], source=spec["source"])
    out["sets"]["overall"] = _row(pooled_ours, pooled_peer, language="fr+en", source="all sets pooled")
    if vader is None:
        out["skipped_peer"] = "vaderSentiment is not installed (pip install 'empathy-signals[bench]')"
    else:
        pooled = [t for spec in sets.values() for t in spec["texts"]]
        gc.collect()
        out["contract_floor"] = contract_floor(detector, pooled, vader)
        gc.collect()
        out["no_signal"] = no_signal(pooled, vader)
    return out


def no_signal(texts: list[str], peer: Any) -> dict[str, Any]:
    """The same per-turn path with every signal switched off in the policy, next to the peer.

    What remains is the frame around the signals: the input ``Turn``, tokenising, language
    detection, fusion of empty findings, the decision, session state and the ``Assessment``.
    """
    from empathy_signals import Detector
    from empathy_signals.config import Policy, Signal

    policy = Policy.default()
    policy = policy.model_copy(update={"signals": dict.fromkeys(Signal.__args__, False)})
    t_ours, t_peer = bench.time_turns(Detector(policy=policy), texts, peer=peer)
    return _row(t_ours, t_peer, language="fr+en", source="all sets pooled",
                what="session.add(Turn(speaker='customer', text=...)) with every signal switched off in the policy")


def contract_floor(detector: Any, texts: list[str], peer: Any) -> dict[str, Any]:
    """What the issue's contract costs before any signal runs, next to the peer.

    Per turn: validating the input ``Turn`` and that turn's own ``Assessment`` (built
    beforehand by the real path, then timed as ``Assessment.model_validate`` of its dump).
    The issue asks for both types (pydantic v2, frozen, no NaN); nothing else runs (no
    tokenising, no signal, fusion or explanation), so any implementation of the same
    contract pays at least this per turn.
    """
    from empathy_signals import Turn
    from empathy_signals.schema import Assessment

    feeder = bench._Turns(detector, "auto")
    items = [(text, feeder.add(text).model_dump()) for text in texts]

    def floor(item: tuple[str, dict]) -> None:
        text, output = item
        Turn(speaker="customer", text=text)
        Assessment.model_validate(output)

    for item in items[:20]:  # warm-up
        floor(item)
    t_floor, t_peer = bench.interleaved(items, floor, lambda item: peer(item[0]))
    return _row(t_floor, t_peer, language="fr+en", source="all sets pooled",
                what="Turn(speaker='customer', text=...) + Assessment.model_validate(the turn's own output as a "
                     "dict): the input and output types alone, no signal")


# ---------------------------------------------------------------- model


def model_path(texts: list[str], n: int) -> dict[str, Any]:
    from empathy_signals import Detector
    from empathy_signals.errors import ModelError

    out: dict[str, Any] = {}
    try:
        import torch
        import transformers
        from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification, pipeline

        from empathy_signals.encoder import TextModel
    except ImportError as exc:
        out["skipped"] = f"the model extra is not installed: {exc}"
        return out
    t0 = time.perf_counter()
    try:
        ours = TextModel.load(num_threads=1)
    except Exception as exc:  # noqa: BLE001 - report any load failure as a skip with its reason
        out["skipped"] = f"TextModel.load failed: {type(exc).__name__}: {exc}"
        return out
    load_s = time.perf_counter() - t0
    torch.set_num_threads(1)
    torch.manual_seed(0)
    run_ours = ours.predict if ours.heads is not None else ours.embed
    t0 = time.perf_counter()
    big = XLMRobertaForSequenceClassification(XLMRobertaConfig(**XLMR_BASE)).eval()
    clf = pipeline("text-classification", model=big, tokenizer=ours._hf_tokenizer, device=-1)
    peer_load_s = time.perf_counter() - t0
    turns = _data.sample(texts, n, seed=1)
    for t in turns[:4]:  # warm-up
        run_ours([t])
        clf(t, truncation=True)
    try:
        detector = Detector(model="e5-small")
    except ModelError as exc:
        out["detector_with_model"] = f"skipped: {exc}"
    else:
        from empathy_signals import Turn

        state = {"session": detector.session("auto"), "n": 0}

        def add(text: str) -> None:  # a new conversation every 10 customer turns
            if state["n"] % 10 == 0:
                state["session"] = detector.session("auto")
            state["n"] += 1
            state["session"].add(Turn(speaker="customer", text=text))

        for t in turns[:4]:
            add(t)
        t_det, t_peer = bench.interleaved(turns, add, lambda t: clf(t, truncation=True))
        out["detector_with_model"] = _row(
            t_det, t_peer,
            what="Session.add(customer turn) with Detector(model='e5-small'): every signal, the model, "
                 "fusion and the Assessment, 1 torch thread",
            peer_what="transformers.pipeline('text-classification'), xlm-roberta-base config, random weights, "
                      "1 torch thread",
        )
    t_ours, t_peer = bench.interleaved(turns, lambda t: run_ours([t]), lambda t: clf(t, truncation=True))
    out["text_model"] = _row(
        t_ours, t_peer,
        what=f"TextModel.{'predict' if ours.heads is not None else 'embed (heads not built yet)'}([text]), "
             "1 torch thread",
        peer_what="transformers.pipeline('text-classification'), xlm-roberta-base config "
                  f"({sum(p.numel() for p in big.parameters()):,} parameters), random weights, our tokenizer, "
                  "1 torch thread",
        load_s=round(load_s, 2), peer_load_s=round(peer_load_s, 2),
        tokens_per_turn_p50=float(np.median([len(i) for i in ours.token_ids(turns)])),
        torch=torch.__version__, transformers=transformers.__version__,
    )
    return out


# ---------------------------------------------------------------- text + audio


def _clips(data: Path | None, n: int) -> tuple[list[np.ndarray], str]:
    def fit(y: np.ndarray) -> np.ndarray:
        size = int(AUDIO_S * SR)
        y = np.asarray(y, dtype=np.float32)[:size]
        return np.pad(y, (0, size - y.size)) if y.size < size else y

    labels = None if data is None else data / "speech/ravdess-16k/labels.csv"
    if labels is not None and labels.is_file():
        from empathy_signals.audio import load_audio

        rows = [r for r in _data.ravdess(data) if int(r["actor"]) >= 17]
        rows = _data.sample(rows, n, seed=2)
        folder = labels.parent
        return [fit(load_audio(folder / r["path"])) for r in rows], "RAVDESS actors 17-24 (eval only), cut/padded to 3.0 s"
    from empathy_signals.audio.synth import synthetic_voice

    rng = random.Random(3)
    clips = [fit(synthetic_voice(f0_hz=rng.uniform(90, 260), duration_s=AUDIO_S, sr_hz=SR)) for _ in range(n)]
    return clips, "empathy_signals.audio.synth.synthetic_voice, 3.0 s (data folder absent)"


def text_audio(detector: Any, texts: list[str], data: Path | None, n: int) -> dict[str, Any]:
    try:
        import librosa
    except ImportError as exc:
        return {"skipped": f"the audio extra is not installed: {exc}"}
    clips, source = _clips(data, n)
    turns = list(zip(_data.sample(texts, n, seed=4), clips, strict=False))
    feeder = bench._Turns(detector, "auto", sample_rate_hz=SR)

    def ours(item: tuple[str, np.ndarray]) -> Any:
        feeder.audio = item[1]
        return feeder.add(item[0])

    def peer(item: tuple[str, np.ndarray]) -> Any:
        return librosa.pyin(item[1], sr=SR, fmin=60.0, fmax=500.0)

    for item in turns[:2]:  # warm-up: numba JIT, FFT plans, the per-caller tracker
        ours(item)
        peer(item)
    t_ours, t_peer = bench.interleaved(turns, ours, peer)
    return _row(t_ours, t_peer, audio_source=source, audio_s=AUDIO_S,
                what="session.add(turn, audio=<3 s, 16 kHz>, sample_rate_hz=16000): text signals + prosody",
                peer_what="librosa.pyin(y, sr=16000, fmin=60, fmax=500), default frames: pitch only",
                librosa=librosa.__version__)


# ---------------------------------------------------------------- CLI, RSS


def cli_throughput(texts: list[str], conversations: int) -> dict[str, Any]:
    rng = random.Random(5)
    bot = ["How can I help you today?", "Could you tell me more?", "Sorry, I didn't get that.",
           "Comment puis-je vous aider ?", "Pouvez-vous préciser ?"]
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "calls.jsonl", Path(tmp) / "scored.jsonl"
        with src.open("w", encoding="utf-8") as f:
            for c in range(conversations):
                turns = []
                for i in range(10):
                    if i % 2 == 0:
                        turns.append({"speaker": "bot", "text": rng.choice(bot)})
                    else:
                        turns.append({"speaker": "customer", "text": rng.choice(texts)})
                f.write(json.dumps({"id": f"c{c}", "turns": turns}, ensure_ascii=False) + "\n")
        cmd = [sys.executable, "-m", "empathy_signals", "score", str(src), "-o", str(dst)]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
        wall = time.perf_counter() - t0
        lines = sum(1 for _ in dst.open(encoding="utf-8")) if dst.exists() else 0
    n_turns = conversations * 10
    return {
        "command": "python -m empathy_signals score calls.jsonl -o scored.jsonl",
        "conversations": conversations, "turns": n_turns, "customer_turns": n_turns // 2,
        "exit_code": done.returncode, "records_out": lines,
        "stderr_tail": done.stderr[-300:] if done.returncode else "",
        "wall_s": round(wall, 2), "turns_per_s": round(n_turns / wall, 1),
        "note": "wall time of the whole process: interpreter start, Detector load, reading, scoring, writing",
    }


_RSS_CODE = """
import resource, sys, json
from empathy_signals import Detector, Turn
d = Detector()
d.session().add(Turn(speaker="customer", text="Je veux parler à un conseiller"))
if sys.argv[1] == "model":
    from empathy_signals.encoder import TextModel
    m = TextModel.load(num_threads=1)
    (m.predict if m.heads is not None else m.embed)(["Je veux parler à un conseiller"])
hwm = None
try:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
except OSError:
    pass
print(json.dumps({"ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "vmhwm_kib": hwm}))
"""


def peak_rss(kinds: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "how": "peak resident memory of a fresh child process after Detector() and one turn (+ TextModel.load "
               "and one call for 'model'): /proc/self/status VmHWM, else resource.getrusage().ru_maxrss. "
               "(On Linux ru_maxrss survives exec, so a child of a large parent reports the parent's peak.)"}
    for kind in kinds:
        done = subprocess.run([sys.executable, "-c", _RSS_CODE, kind], capture_output=True, text=True, cwd=ROOT,
                              check=False)
        if done.returncode:
            out[kind] = {"skipped": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
        else:
            got = json.loads(done.stdout.strip().splitlines()[-1])
            kib = got["vmhwm_kib"] or got["ru_maxrss_kib"]
            out[kind] = {"peak_rss_mib": round(kib / 1024, 1), "ru_maxrss_mib": round(got["ru_maxrss_kib"] / 1024, 1)}
    return out


# ---------------------------------------------------------------- the suite


def run(profile: str = "quick", data: Path | None = None, *, only: tuple[str, ...] | None = None,
        log: Any = None) -> dict[str, Any]:
    """Run the speed suite; ``only`` restricts it to some parts (tests use it)."""
    cfg = PROFILES[profile]
    parts = only or ("no_model", "streaming", "model", "text_audio", "import", "cli", "rss")
    say = log or (lambda msg: None)
    from empathy_signals import Detector

    data = data if data is not None and data.is_dir() else None
    sets = _data.latency_sets(data, cfg["set_size"])
    pooled = [t for spec in sets.values() for t in spec["texts"]]
    detector = Detector()
    result: dict[str, Any] = {"profile": profile, "config": {k: list(v) if isinstance(v, tuple) else v
                                                            for k, v in cfg.items()},
                              "data": str(data) if data else None}
    steps = {
        "no_model": lambda: no_model(detector, sets),
        "streaming": lambda: bench.streaming_cost(detector, [t for t, _ in zip(pooled, range(40))]
                                                  if data else [t for _, t in bench.GENERATED_TURNS],
                                                  sessions=cfg["stream_sessions"]),
        "text_audio": lambda: text_audio(detector, pooled, data, cfg["audio_clips"]),
        "model": lambda: model_path(pooled, cfg["model_turns"]),
        "import": lambda: bench.import_time(cfg["import_repeats"]),
        "cli": lambda: cli_throughput(pooled, cfg["cli_conversations"]),
        "rss": lambda: peak_rss(cfg["rss"]),
    }
    for name in ("no_model", "streaming", "text_audio", "model", "import", "cli", "rss"):
        if name not in parts:
            continue
        t0 = time.perf_counter()
        say(f"speed: {name} ...")
        result[name] = steps[name]()
        result[name]["suite_s"] = round(time.perf_counter() - t0, 1)
        say(f"speed: {name} done in {result[name]['suite_s']} s")
    return result


def gated_ratios(result: dict[str, Any]) -> dict[str, float]:
    """The ratios ``benchmarks/check.py`` gates on (ours/peer p50; higher is worse)."""
    ratios = {}
    overall = result.get("no_model", {}).get("sets", {}).get("overall", {})
    if overall.get("ratio_p50") is not None:
        ratios["no_model_vs_vader_p50"] = overall["ratio_p50"]
    tm = result.get("model", {}).get("text_model", {})
    if tm.get("ratio_p50") is not None:
        ratios["model_vs_xlmr_pipeline_p50"] = tm["ratio_p50"]
    ta = result.get("text_audio", {})
    if ta.get("ratio_p50") is not None:
        ratios["text_audio_vs_pyin_p50"] = ta["ratio_p50"]
    st = result.get("streaming", {})
    if st.get("late_over_early") is not None:
        ratios["streaming_turn1000_vs_turn10_p50"] = st["late_over_early"]
    return ratios
