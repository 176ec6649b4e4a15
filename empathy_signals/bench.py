"""The quick speed suite behind ``empathy-signals bench``: per-turn latency next to a peer.

Needs no data set: it times :data:`GENERATED_TURNS`, a fixed list of short French and English
customer-care messages written by this project for the purpose. The full harness
(``benchmarks/run.py`` in the source tree) reuses these functions on real customer messages.

What is measured
----------------
* **per customer turn**: ``session.add(Turn(speaker="customer", text=...))``, the returned
  :class:`~empathy_signals.schema.Assessment` included, in sessions of
  :data:`CONVERSATION_TURNS` customer turns (``language="auto"``, the default);
* **the peer in the same run**: VADER's ``polarity_scores`` on the same strings (when
  ``vaderSentiment`` is installed: ``pip install 'empathy-signals[bench]'``). Ours and the
  peer alternate turn by turn, their order flipped every turn, so background load hits both
  alike; the ratio ``ours / peer`` is what stays comparable across machines;
* **streaming cost**: the median latency of the customer turns around turn 1,000 of one
  session over the median around turn 10 (same texts in both windows); 1.0 means the cost
  does not grow with the conversation;
* **import time**: ``import empathy_signals`` in a fresh interpreter, and that plus
  ``Detector()`` (a cold start).

>>> from empathy_signals.bench import percentiles_ms
>>> percentiles_ms([0.001, 0.002, 0.003])["p50_ms"]
2.0
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

__all__ = [
    "CONVERSATION_TURNS",
    "GENERATED_TURNS",
    "import_time",
    "interleaved",
    "machine_facts",
    "percentiles_ms",
    "quantiles_ms",
    "render",
    "run_quick",
    "streaming_cost",
    "time_turns",
    "vader_or_none",
]

#: Customer turns per session when timing turns (a new session is opened, untimed, after that).
CONVERSATION_TURNS = 10
#: Windows of the streaming measure: customer turns [10, 30) against [1000, 1020).
STREAM_EARLY_TURN = 10
STREAM_LATE_TURN = 1000
STREAM_WINDOW = 20
#: Quantiles kept for plots (0, 1, ..., 100 %).
QUANTILE_POINTS = 101

#: Short customer-care messages written by this project (not taken from any data set), in the
#: mix a bot sees: ordinary questions, thanks, complaints, requests for a human, sensitive topics.
GENERATED_TURNS: tuple[tuple[str, str], ...] = (
    ("en", "Hi, when is my next bill due?"),
    ("en", "thanks!"),
    ("en", "I was charged twice for my phone this month, can you fix it?"),
    ("en", "Can I talk to a real person please?"),
    ("en", "I've explained this three times already and the bot keeps sending me the same link."),
    ("en", "My card was stolen yesterday and there are payments I don't recognise."),
    ("en", "ok"),
    ("en", "This is ridiculous, I've been waiting for my refund for three weeks!!"),
    ("en", "My father passed away last month and I need to close his account."),
    ("en", "How do I change my delivery address?"),
    ("en", "The app keeps crashing when I try to log in, it's so frustrating"),
    ("en", "I want to cancel my subscription, I can't afford it anymore."),
    ("en", "Great, that worked, thank you so much :)"),
    ("en", "agent"),
    ("en", "Where is my order #45871? It was supposed to arrive on Monday."),
    ("en", "If this isn't sorted today I'm going to my lawyer."),
    ("en", "no"),
    ("en", "I'm confused, which plan am I on exactly?"),
    ("en", "Please stop sending me the same answer, I need someone who can actually help"),
    ("en", "Could you resend the invoice for March?"),
    ("fr", "Bonjour, quand est prélevée ma prochaine facture ?"),
    ("fr", "merci !"),
    ("fr", "On m'a débité deux fois ce mois-ci, vous pouvez corriger ?"),
    ("fr", "Je veux parler à un conseiller"),
    ("fr", "Ça fait trois fois que je vous explique et le bot me renvoie le même lien."),
    ("fr", "On m'a volé ma carte hier et il y a des paiements que je ne reconnais pas."),
    ("fr", "oui"),
    ("fr", "C'est inadmissible, j'attends mon remboursement depuis trois semaines !"),
    ("fr", "Mon père est décédé le mois dernier et je dois clôturer son compte."),
    ("fr", "Comment changer mon adresse de livraison ?"),
    ("fr", "L'application plante à chaque connexion, c'est vraiment pénible"),
    ("fr", "Je veux résilier, je n'ai plus les moyens de payer."),
    ("fr", "Super, ça marche, merci beaucoup :)"),
    ("fr", "conseiller"),
    ("fr", "Où en est ma commande 45871 ? Elle devait arriver lundi."),
    ("fr", "Si ce n'est pas réglé aujourd'hui, je contacte mon avocat."),
    ("fr", "non"),
    ("fr", "Je ne comprends pas, je suis sur quel forfait exactement ?"),
    ("fr", "Arrêtez de me renvoyer la même réponse, il me faut quelqu'un qui peut m'aider"),
    ("fr", "Pouvez-vous me renvoyer la facture de mars ?"),
)


# ---------------------------------------------------------------- statistics


def percentiles_ms(samples_s: Sequence[float]) -> dict[str, float]:
    """p50, p95 and p99 of durations in seconds, in milliseconds (4 significant decimals).

    Parameters
    ----------
    samples_s : sequence of float
        Durations in seconds, at least one.
    """
    ms = np.asarray(samples_s, dtype=np.float64) * 1000.0
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {"p50_ms": round(float(p50), 4), "p95_ms": round(float(p95), 4), "p99_ms": round(float(p99), 4),
            "mean_ms": round(float(ms.mean()), 4), "n": int(ms.size)}


def quantiles_ms(samples_s: Sequence[float], points: int = QUANTILE_POINTS) -> list[float]:
    """``points`` evenly spaced quantiles (0 to 100 %) in milliseconds: a compact distribution."""
    ms = np.asarray(samples_s, dtype=np.float64) * 1000.0
    return [round(float(q), 4) for q in np.percentile(ms, np.linspace(0, 100, points))]


def ratio(ours: float, peer: float) -> float | None:
    """``ours / peer`` rounded, or None when the peer time is zero or missing."""
    return round(ours / peer, 3) if peer else None


# ---------------------------------------------------------------- timing


def interleaved(
    items: Sequence[Any], ours: Callable[[Any], Any], peer: Callable[[Any], Any] | None
) -> tuple[list[float], list[float]]:
    """Time ``ours(item)`` and ``peer(item)`` on each item, alternating which goes first.

    Returns the two lists of durations in seconds (the second is empty without a peer).
    """
    t_ours: list[float] = []
    t_peer: list[float] = []
    clock = time.perf_counter
    for i, item in enumerate(items):
        if peer is not None and i % 2:
            t0 = clock()
            peer(item)
            t_peer.append(clock() - t0)
        t0 = clock()
        ours(item)
        t_ours.append(clock() - t0)
        if peer is not None and not i % 2:
            t0 = clock()
            peer(item)
            t_peer.append(clock() - t0)
    return t_ours, t_peer


class _Turns:
    """Feeds customer turns to sessions of :data:`CONVERSATION_TURNS` turns (opened untimed)."""

    def __init__(self, detector: Any, language: str, audio: Any = None, sample_rate_hz: float | None = None) -> None:
        from .schema import Turn

        self.turn_type = Turn
        self.detector = detector
        self.language = language
        self.audio = audio
        self.sample_rate_hz = sample_rate_hz
        self.session = detector.session(language)

    def add(self, text: str) -> Any:
        if self.session.turns_seen >= CONVERSATION_TURNS:
            self.session = self.detector.session(self.language)
        if self.audio is None:
            return self.session.add(self.turn_type(speaker="customer", text=text))
        return self.session.add(
            self.turn_type(speaker="customer", text=text), audio=self.audio, sample_rate_hz=self.sample_rate_hz
        )

    def fresh(self) -> None:
        """Open the next session now (untimed): called between the timed turns."""
        if self.session.turns_seen >= CONVERSATION_TURNS:
            self.session = self.detector.session(self.language)


def time_turns(
    detector: Any,
    texts: Sequence[str],
    *,
    peer: Callable[[str], Any] | None = None,
    language: str = "auto",
    warmup: int = 20,
) -> tuple[list[float], list[float]]:
    """Latency of each customer turn (seconds), interleaved with ``peer`` on the same text."""
    feeder = _Turns(detector, language)
    for text in list(texts)[:warmup]:
        feeder.add(text)
        if peer is not None:
            peer(text)

    def ours(text: str) -> Any:
        return feeder.add(text)

    # Open sessions outside the timed calls: a session is per conversation, not per turn.
    t_ours: list[float] = []
    t_peer: list[float] = []
    for start in range(0, len(texts), CONVERSATION_TURNS):
        feeder.fresh()
        a, b = interleaved(texts[start : start + CONVERSATION_TURNS], ours, peer)
        t_ours += a
        t_peer += b
    return t_ours, t_peer


def streaming_cost(
    detector: Any,
    texts: Sequence[str],
    *,
    sessions: int = 3,
    bucket: int = 50,
    language: str = "auto",
) -> dict[str, Any]:
    """Customer-turn latency around turn 1,000 of one session against around turn 10.

    Each session alternates a bot turn and a customer turn; customer turn ``i`` says
    ``texts[i % STREAM_WINDOW]``, so both windows hold the same texts. A long session is
    played to turn 1,000 (timed: ``by_turn_ms``, the median per ``bucket`` customer turns,
    for a plot), a second one to turn 10; then their next :data:`STREAM_WINDOW` customer
    turns are timed alternately, so that both windows share the machine's load. The ratio
    is the median of the late window over the median of the early one, medians over sessions.
    """
    from .schema import Turn

    pool = (list(texts) * STREAM_WINDOW)[:STREAM_WINDOW]
    bot = Turn(speaker="bot", text="I'm sorry, I didn't get that. Could you rephrase?")
    clock = time.perf_counter

    def customer(session: Any, i: int) -> float:
        session.add(bot)
        turn = Turn(speaker="customer", text=pool[i % STREAM_WINDOW])
        t0 = clock()
        session.add(turn)
        return clock() - t0

    early: list[float] = []
    late: list[float] = []
    per_turn = np.zeros((sessions, STREAM_LATE_TURN))
    for s in range(sessions):
        long, short = detector.session(language), detector.session(language)
        for i in range(STREAM_LATE_TURN):
            per_turn[s, i] = customer(long, i)
        for i in range(STREAM_EARLY_TURN):
            customer(short, i)
        t_early, t_late = interleaved(
            range(STREAM_WINDOW),
            lambda k: customer(short, STREAM_EARLY_TURN + k),  # noqa: B023 - used within the loop
            lambda k: customer(long, STREAM_LATE_TURN + k),  # noqa: B023
        )
        early.append(statistics.median(t_early))
        late.append(statistics.median(t_late))
    e, lt = statistics.median(early), statistics.median(late)
    buckets = [float(np.median(per_turn[:, i : i + bucket])) * 1000.0 for i in range(0, STREAM_LATE_TURN, bucket)]
    return {
        "early_turns": [STREAM_EARLY_TURN, STREAM_EARLY_TURN + STREAM_WINDOW],
        "late_turns": [STREAM_LATE_TURN, STREAM_LATE_TURN + STREAM_WINDOW],
        "sessions": sessions,
        "early_p50_ms": round(e * 1000.0, 4),
        "late_p50_ms": round(lt * 1000.0, 4),
        "late_over_early": round(lt / e, 3),
        "bucket_turns": bucket,
        "by_turn_ms": [round(b, 4) for b in buckets],
    }


def import_time(repeats: int = 5) -> dict[str, Any]:
    """Median seconds of ``import empathy_signals`` and of that plus ``Detector()``, each in
    a fresh interpreter (interpreter start-up excluded: timed inside the child)."""
    code = (
        "import time; t = time.perf_counter(); import empathy_signals; a = time.perf_counter() - t; "
        "{extra}print(a, time.perf_counter() - t, 'torch' in __import__('sys').modules)"
    )
    out: dict[str, Any] = {}
    for key, extra in (("import", ""), ("import_and_detector", "empathy_signals.Detector(); ")):
        runs = []
        for _ in range(repeats):
            done = subprocess.run(
                [sys.executable, "-c", code.format(extra=extra)], capture_output=True, text=True, check=True
            )
            fields = done.stdout.split()
            runs.append(float(fields[1] if extra else fields[0]))
            out["imports_torch"] = fields[2] == "True"
        out[f"{key}_s"] = round(statistics.median(runs), 4)
    out["repeats"] = repeats
    return out


# ---------------------------------------------------------------- peers, facts


def vader_or_none() -> Callable[[str], Any] | None:
    """VADER's ``polarity_scores`` (the no-model peer), or None when it is not installed."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    return SentimentIntensityAnalyzer().polarity_scores


def _version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_facts() -> dict[str, Any]:
    """CPU, cores, load, Python and package versions, the default policy's sha256, the date."""
    from .config import Policy

    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    packages = ("empathy-signals", "numpy", "pydantic", "vaderSentiment", "torch", "transformers",
                "tokenizers", "librosa", "soundfile", "matplotlib")
    return {
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": _cpu_model(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_average_1_5_15": load,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in packages},
        "policy_sha256": Policy.default().sha256,
    }


# ---------------------------------------------------------------- the quick suite


def run_quick(*, rounds: int = 5, stream_sessions: int = 2, import_repeats: int = 3) -> dict[str, Any]:
    """The suite of ``empathy-signals bench``: generated turns, VADER when installed.

    Parameters
    ----------
    rounds : int
        Passes over :data:`GENERATED_TURNS` (40 turns each) per language set.
    stream_sessions : int
        Sessions of 1,020 customer turns for the streaming measure (0 skips it).
    import_repeats : int
        Fresh interpreters per import-time measure (0 skips it).
    """
    from .detector import Detector

    facts = machine_facts()
    detector = Detector()
    vader = vader_or_none()
    sets: dict[str, Any] = {}
    pooled_ours: list[float] = []
    pooled_peer: list[float] = []
    for language in ("en", "fr"):
        texts = [t for lang, t in GENERATED_TURNS if lang == language] * rounds
        gc.collect()
        t_ours, t_peer = time_turns(detector, texts, peer=vader)
        pooled_ours += t_ours
        pooled_peer += t_peer
        sets[f"generated_{language}"] = _row(t_ours, t_peer, source="GENERATED_TURNS (written by the project)")
    sets["overall"] = _row(pooled_ours, pooled_peer, source="all sets pooled")
    result: dict[str, Any] = {
        "suite": "empathy_signals.bench quick",
        "machine": facts,
        "no_model": {"peer": "vaderSentiment polarity_scores" if vader else None, "sets": sets},
    }
    if stream_sessions:
        result["streaming"] = streaming_cost(detector, [t for _, t in GENERATED_TURNS], sessions=stream_sessions)
    if import_repeats:
        result["import"] = import_time(import_repeats)
    return result


def _row(t_ours: Sequence[float], t_peer: Sequence[float], *, source: str) -> dict[str, Any]:
    ours = percentiles_ms(t_ours)
    row: dict[str, Any] = {"source": source, "ours": ours}
    if t_peer:
        peer = percentiles_ms(t_peer)
        row["peer"] = peer
        row["ratio_p50"] = ratio(ours["p50_ms"], peer["p50_ms"])
        row["ratio_p95"] = ratio(ours["p95_ms"], peer["p95_ms"])
    return row


def render(result: dict[str, Any]) -> str:
    """A plain-text table of a :func:`run_quick` result, for people."""
    lines = [(f"empathy-signals bench ({result['machine']['cpu']}, {result['machine']['cores']} cores, "
             f"load {result['machine']['load_average_1_5_15']})"), ""]
    peer = result["no_model"]["peer"]
    lines.append(f"{'per customer turn':<22}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
                 + (f"{'peer p50':>10}{'ours/peer':>11}" if peer else ""))
    for name, row in result["no_model"]["sets"].items():
        o = row["ours"]
        line = f"{name:<22}{o['p50_ms']:>9.3f}{o['p95_ms']:>9.3f}{o['p99_ms']:>9.3f}"
        if "peer" in row:
            line += f"{row['peer']['p50_ms']:>10.3f}{row['ratio_p50']:>11.2f}"
        lines.append(line)
    lines.append(f"peer: {peer or 'none (pip install vaderSentiment to compare with VADER)'}")
    if "streaming" in result:
        s = result["streaming"]
        lines.append(f"streaming: turn ~{s['late_turns'][0]} {s['late_p50_ms']:.3f} ms vs turn ~{s['early_turns'][0]} "
                     f"{s['early_p50_ms']:.3f} ms (x{s['late_over_early']:.2f})")
    if "import" in result:
        i = result["import"]
        lines.append(f"import empathy_signals: {i['import_s'] * 1000:.0f} ms; with Detector(): "
                     f"{i['import_and_detector_s'] * 1000:.0f} ms")
    return "\n".join(lines)
