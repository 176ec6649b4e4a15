"""Latency and throughput of ``empathy-signals serve`` on loopback: ``POST /v1/sessions/{id}/turns``.

The server runs in a child process (``empathy_signals.serve.run``, the ``serve`` command's
entry point, lexicon path) pinned to one core; the clients run here, on the other core, over
keep-alive HTTP/1.1 connections (``http.client``). Each client thread owns its sessions and
posts the conversation's turns one after the other, waiting for each answer, as a bot does.

* ``sequential``: one client; the latency of one turn end to end (client encoding, loopback,
  the server's parsing, scoring and JSON, the client's decoding), p50/p95/p99.
* ``concurrent_N``: N client threads at once; requests per second, latency under load.
* ``in_process``: ``Session.add`` alone on the same turns (the scoring without HTTP), for the
  overhead of the service.
* ``assess``: ``POST /v1/assess`` of a 20-turn conversation.

With 2 cores the numbers are a floor, not a capacity plan: the server is one CPython process
(one core's worth of Python, the GIL), and the clients compete with it for the machine.

    python benchmarks/serve_latency.py                       # ~30 s, writes results/serve_latency.json
    python benchmarks/serve_latency.py --turns 500 --out -   # quicker, print only
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from empathy_signals.bench import GENERATED_TURNS, machine_facts, percentiles_ms
from empathy_signals.detector import Detector

OUT = ROOT / "benchmarks" / "results" / "serve_latency.json"
#: Turns per session (a customer turn, then a bot turn, alternating).
SESSION_TURNS = 20
BOT_TURNS = {
    "fr": "Je n'ai pas compris, pouvez-vous reformuler ?",
    "en": "Sorry, could you rephrase?",
}


def _conversation(k: int) -> tuple[str, list[dict[str, str]]]:
    language = "fr" if k % 2 else "en"
    lines = [text for lang, text in GENERATED_TURNS if lang == language]
    turns = []
    for i in range(SESSION_TURNS):
        if i % 2:
            turns.append({"speaker": "bot", "text": BOT_TURNS[language]})
        else:
            turns.append({"speaker": "customer", "text": lines[(k * 7 + i) % len(lines)]})
    return language, turns


def _start_server(core: int | None) -> tuple[subprocess.Popen[str], int]:
    code = (
        "import argparse, sys\n"
        "from empathy_signals import serve\n"
        "parser = argparse.ArgumentParser()\n"
        "serve.add_arguments(parser)\n"
        "sys.exit(serve.run(parser.parse_args(['--port', '0', '--max-sessions', '100000'])))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stderr=subprocess.PIPE, text=True, env=env
    )
    if core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(proc.pid, {core})
    line = proc.stderr.readline() if proc.stderr else ""
    match = re.search(r"serving on http://[^:]+:(\d+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    return proc, int(match.group(1))


class _Client:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        self.conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = self.conn.getresponse()
        return response.status, json.loads(response.read())


def _converse(port: int, sessions: range, latencies: list[float]) -> None:
    client = _Client(port)
    for k in sessions:
        language, turns = _conversation(k)
        status, created = client.post("/v1/sessions", {"language": language})
        assert status == 201, created
        path = f"/v1/sessions/{created['id']}/turns"
        for turn in turns:
            t0 = time.perf_counter()
            status, assessment = client.post(path, turn)
            latencies.append(time.perf_counter() - t0)
            assert status == 200, assessment
    client.conn.close()


def _run_clients(port: int, threads: int, turns: int, first_session: int) -> dict[str, Any]:
    sessions_each = max(1, turns // (threads * SESSION_TURNS))
    latencies: list[list[float]] = [[] for _ in range(threads)]
    workers = [
        threading.Thread(
            target=_converse,
            args=(
                port,
                range(first_session + i * sessions_each, first_session + (i + 1) * sessions_each),
                latencies[i],
            ),
        )
        for i in range(threads)
    ]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - t0
    samples = [x for lat in latencies for x in lat]
    return {
        "client_threads": threads,
        "requests": len(samples),
        "requests_per_s": round(len(samples) / elapsed, 1),
        **percentiles_ms(samples),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--turns", type=int, default=4000, help="POST turns per phase (default 4000)")
    ap.add_argument("--out", default=str(OUT), help="JSON result file ('-': print only)")
    args = ap.parse_args(argv)

    machine = machine_facts()  # before pinning this process to the clients' core
    pin = hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) >= 2
    cores = sorted(os.sched_getaffinity(0)) if pin else []
    proc, port = _start_server(cores[0] if pin else None)
    if pin:
        os.sched_setaffinity(0, set(cores[1:]))
    try:
        _run_clients(port, 4, 400, first_session=10_000_000)  # warm-up
        result: dict[str, Any] = {
            "benchmark": "serve_latency",
            "endpoint": "POST /v1/sessions/{id}/turns",
        }
        result["sequential"] = _run_clients(port, 1, args.turns, first_session=0)
        for threads in (4, 16):
            result[f"concurrent_{threads}"] = _run_clients(
                port, threads, args.turns, first_session=threads * 1_000_000
            )

        client = _Client(port)
        language, turns = _conversation(3)
        conversation = {"id": "bench", "language": language, "turns": turns}
        times = []
        for _ in range(max(50, args.turns // 40)):
            t0 = time.perf_counter()
            status, _ = client.post("/v1/assess", conversation)
            times.append(time.perf_counter() - t0)
            assert status == 200
        client.conn.close()
        result["assess_20_turns"] = percentiles_ms(times)
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    detector = Detector()
    times = []
    for k in range(max(1, args.turns // SESSION_TURNS)):
        language, turns = _conversation(k)
        session = detector.session(language)
        for turn in turns:
            t0 = time.perf_counter()
            session.add(turn)
            times.append(time.perf_counter() - t0)
    result["in_process_session_add"] = percentiles_ms(times)
    result["http_overhead_p50_ms"] = round(
        result["sequential"]["p50_ms"] - result["in_process_session_add"]["p50_ms"], 4
    )
    result["setup"] = (
        "server: a child process running empathy_signals.serve.run (lexicon path, default policy), "
        f"pinned to core {cores[0] if pin else '-'}; clients: threads in this process"
        f"{' on the other core' if pin else ''}, one keep-alive connection each, "
        f"{SESSION_TURNS}-turn sessions (customer and bot turns alternating, project-written texts)"
    )
    result["machine"] = machine
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out != "-":
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
