"""The HTTP service (``empathy-signals serve``), tested for real: a server on loopback in a
thread (port 0), clients speaking HTTP with ``http.client``; every endpoint, the errors, the
OpenAPI document (validated, and every response checked against it), the limits (eviction,
body size, connections), concurrency against sequential Detector runs, and a clean shutdown."""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from empathy_signals import Detector
from empathy_signals.errors import InputError
from empathy_signals.serve import (
    _ROUTES,
    EmpathyServer,
    make_server,
    openapi_document,
)

FR_CALL = [
    {"speaker": "bot", "text": "Bonjour, que puis-je faire pour vous ?"},
    {
        "speaker": "customer",
        "text": "Bonjour, ma carte bancaire a été débitée deux fois de 89 euros.",
    },
    {"speaker": "bot", "text": "Je n'ai pas compris votre demande."},
    {"speaker": "customer", "text": "C'est inadmissible ! Je veux parler à un conseiller."},
    {"speaker": "bot", "text": "Pouvez-vous reformuler ?"},
    {
        "speaker": "customer",
        "text": "Passez-moi un conseiller, vite ! Mon numéro est le 06 12 34 56 78.",
    },
]
EN_CALM = [
    {"speaker": "bot", "text": "Hi! What can I help you with today?"},
    {"speaker": "customer", "text": "When is my next bill due?"},
    {"speaker": "bot", "text": "Your next bill is due on June 3."},
    {"speaker": "customer", "text": "Great, thanks a lot!"},
]


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


@pytest.fixture
def server(detector: Detector) -> Iterator[EmpathyServer]:
    srv = make_server(port=0, detector=detector)
    srv.serve_in_background()
    try:
        yield srv
    finally:
        srv.stop()


class Client:
    """One keep-alive HTTP/1.1 connection to the server."""

    def __init__(self, server: EmpathyServer) -> None:
        host, port = server.server_address[:2]
        self.conn = http.client.HTTPConnection(host, port, timeout=10)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, http.client.HTTPMessage, Any]:
        sent = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        self.conn.request(method, path, body=data, headers=sent)
        response = self.conn.getresponse()
        payload = response.read()
        if response.getheader("Content-Type", "").startswith("application/json") and payload:
            return response.status, response.headers, json.loads(payload)
        return response.status, response.headers, payload.decode("utf-8")

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def client(server: EmpathyServer) -> Iterator[Client]:
    c = Client(server)
    yield c
    c.close()


def _raw_exchange(server: EmpathyServer, data: bytes) -> bytes:
    """Send raw bytes, read until the server closes the connection."""
    with socket.create_connection(server.server_address[:2], timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _expected(detector: Detector, turns: list[dict], language: str = "auto") -> list[Any]:
    session = detector.session(language)
    return [json.loads(session.add(t).model_dump_json()) for t in turns]


def _assert_error(status: int, headers: Any, body: Any, code: int, field: str | None = "?") -> None:
    assert status == code, body
    assert headers.get("Content-Type") == "application/json"
    assert set(body) == {"error"} and set(body["error"]) == {"field", "message"}
    assert body["error"]["message"] and "Traceback" not in body["error"]["message"]
    if field != "?":
        assert body["error"]["field"] == field, body


# ---------------------------------------------------------------- endpoints


def test_a_session_scores_each_turn_exactly_as_a_detector_session(
    client: Client, detector: Detector
) -> None:
    status, headers, created = client.call(
        "POST", "/v1/sessions", {"language": "fr", "id": "call-42"}
    )
    assert status == 201
    assert created == {"id": "call-42", "language": "fr"}
    assert headers["Location"] == "/v1/sessions/call-42"

    served = []
    for turn in FR_CALL:
        status, _, assessment = client.call("POST", "/v1/sessions/call-42/turns", turn)
        assert status == 200, assessment
        served.append(assessment)
    assert served == _expected(detector, FR_CALL, "fr")
    assert served[-1]["decision"] == "escalate"

    status, _, state = client.call("GET", "/v1/sessions/call-42")
    assert status == 200
    assert state["turns_seen"] == len(FR_CALL)
    assert [t["text"] for t in state["turns"]] == [t["text"] for t in FR_CALL]
    assert state["last_assessment"] == served[-1]
    assert state["decision"] == "escalate" and state["peak_decision"] == "escalate"
    assert state["language"] == "fr"
    assert state["peak_score"] == max(a["escalation_score"] for a in served)

    status, headers, _ = client.call("DELETE", "/v1/sessions/call-42")
    assert status == 204 and headers.get("Content-Length") in (None, "0")
    status, headers, body = client.call("GET", "/v1/sessions/call-42")
    _assert_error(status, headers, body, 404, "id")
    status, headers, body = client.call("DELETE", "/v1/sessions/call-42")
    _assert_error(status, headers, body, 404, "id")


def test_a_session_without_a_body_or_id_gets_a_random_id_and_auto_language(client: Client) -> None:
    status, _, first = client.call("POST", "/v1/sessions")
    assert (
        status == 201 and first["language"] == "auto" and re.fullmatch(r"[0-9a-f]{32}", first["id"])
    )
    status, _, second = client.call("POST", "/v1/sessions", {})
    assert status == 201 and second["id"] != first["id"]
    # an English conversation settles the auto session on English
    for turn in EN_CALM:
        client.call("POST", f"/v1/sessions/{first['id']}/turns", turn)
    assert client.call("GET", f"/v1/sessions/{first['id']}")[2]["language"] == "en"


def test_assess_returns_what_detector_assess_returns(client: Client, detector: Detector) -> None:
    lines = resources.files("empathy_signals").joinpath("examples/chat_en.jsonl").read_text("utf-8")
    for line in lines.splitlines():
        conversation = json.loads(line)
        status, _, result = client.call("POST", "/v1/assess", conversation)
        assert status == 200
        assert result == json.loads(detector.assess(conversation).model_dump_json())


def test_agent_turns_are_never_scored(client: Client) -> None:
    sid = client.call("POST", "/v1/sessions", {"language": "en"})[2]["id"]
    status, _, assessment = client.call(
        "POST",
        f"/v1/sessions/{sid}/turns",
        {"speaker": "agent", "text": "This is RIDICULOUS, I am furious, I want a manager!"},
    )
    assert status == 200
    assert assessment["signals"] is None and assessment["decision"] == "continue"
    assert assessment["decision_rule"] == "carried"


def test_handoff_packet_json_and_text(client: Client, detector: Detector) -> None:
    from empathy_signals.handoff import build_packet

    client.call("POST", "/v1/sessions", {"language": "fr", "id": "h1"})
    for turn in FR_CALL:
        client.call("POST", "/v1/sessions/h1/turns", turn)
    status, headers, packet = client.call("GET", "/v1/sessions/h1/handoff")
    assert status == 200
    conversation = {"id": "h1", "language": "fr", "turns": FR_CALL}
    expected = build_packet(conversation, detector.assess(conversation))
    assert packet == json.loads(expected.model_dump_json())
    assert packet["decision"] == "escalate" and packet["suggested_line"]
    assert "06 12 34 56 78" not in json.dumps(packet, ensure_ascii=False)  # redacted by default

    status, headers, text = client.call("GET", "/v1/sessions/h1/handoff?format=text")
    assert status == 200 and headers["Content-Type"] == "text/plain; charset=utf-8"
    assert text == expected.to_text()

    status, headers, body = client.call("GET", "/v1/sessions/h1/handoff?format=xml")
    _assert_error(status, headers, body, 400, "format")


def test_handoff_of_a_long_session_counts_turns_from_its_start(detector: Detector) -> None:
    srv = make_server(port=0, detector=detector, max_turns_kept=4)
    srv.serve_in_background()
    c = Client(srv)
    try:
        c.call("POST", "/v1/sessions", {"language": "fr", "id": "long"})
        turns = FR_CALL + [
            {"speaker": "bot", "text": "Je vous écoute."},
            {"speaker": "customer", "text": "Je veux un conseiller."},
        ]
        for turn in turns:
            c.call("POST", "/v1/sessions/long/turns", turn)
        state = c.call("GET", "/v1/sessions/long")[2]
        assert state["turns_seen"] == len(turns) and len(state["turns"]) == 4
        assert [t["text"] for t in state["turns"]] == [t["text"] for t in turns[-4:]]
        packet = c.call("GET", "/v1/sessions/long/handoff")[2]
        assert packet["transcript_turns_omitted"] == len(turns) - 4
        assert [line["index"] for line in packet["transcript"]] == list(
            range(len(turns) - 4, len(turns))
        )
        assert packet["decision"] == "escalate"
        for reason in packet["reasons"]:
            for evidence in reason["evidence"]:
                assert len(turns) - 4 <= evidence["turn"] < len(turns)
    finally:
        c.close()
        srv.stop()


def test_healthz_and_head(client: Client) -> None:
    status, _, health = client.call("GET", "/healthz")
    assert status == 200 and health["status"] == "ok" and health["sessions"] == 0
    client.call("POST", "/v1/sessions")
    assert client.call("GET", "/healthz")[2]["sessions"] == 1
    status, headers, body = client.call("HEAD", "/healthz")
    assert status == 200 and body == "" and int(headers["Content-Length"]) > 0


def test_keep_alive_answers_go_out_in_one_write(client: Client, monkeypatch) -> None:
    """Head and body go out in one send: two small writes meet Nagle's algorithm and the
    client's delayed ACK, and every answer waited about 40 ms (it did, before). The latency
    itself is measured by benchmarks/serve_latency.py, not here."""
    import socketserver

    writes: list[int] = []
    real_write = socketserver._SocketWriter.write

    def counting(self, data):  # the server's side of the connection only
        writes.append(len(data))
        return real_write(self, data)

    sid = client.call("POST", "/v1/sessions", {"language": "en"})[2]["id"]
    monkeypatch.setattr(socketserver._SocketWriter, "write", counting)
    for i in range(5):
        status, _, body = client.call(
            "POST", f"/v1/sessions/{sid}/turns", {"speaker": "customer", "text": f"question {i}"}
        )
        assert status == 200 and body
    assert len(writes) == 5, writes  # one write per answer, head and body together


# ---------------------------------------------------------------- OpenAPI


def test_openapi_document_is_valid_and_lists_every_route(client: Client) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    status, _, document = client.call("GET", "/openapi.json")
    assert status == 200
    assert document == json.loads(json.dumps(openapi_document()))
    validator.validate(document)
    assert document["openapi"].startswith("3.1")
    served = {(template, method.lower()) for _, template, methods in _ROUTES for method in methods}
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "delete", "put", "patch")
    }
    assert documented == served
    ids = [
        op["operationId"]
        for _, item in document["paths"].items()
        for m, op in item.items()
        if m != "parameters"
    ]
    assert len(ids) == len(set(ids))


def _response_schema(
    document: dict, path: str, method: str, status: int, content_type: str
) -> dict:
    response = document["paths"][path][method]["responses"][str(status)]
    schema = response["content"][content_type]["schema"]
    return {**schema, "components": document["components"]}


def test_every_response_validates_against_the_openapi_document(client: Client) -> None:
    pytest.importorskip("openapi_spec_validator")
    import jsonschema

    document = client.call("GET", "/openapi.json")[2]
    conversation = {"id": "c1", "language": "fr", "turns": FR_CALL}
    calls: list[tuple[str, str, str, Any, int]] = [
        ("POST", "/v1/sessions", "/v1/sessions", {"language": "fr", "id": "s1"}, 201),
        ("POST", "/v1/sessions", "/v1/sessions", {"id": "s1"}, 409),
        ("POST", "/v1/sessions", "/v1/sessions", {"language": "de"}, 400),
        *[("POST", "/v1/sessions/s1/turns", "/v1/sessions/{id}/turns", t, 200) for t in FR_CALL],
        ("POST", "/v1/sessions/s1/turns", "/v1/sessions/{id}/turns", {"speaker": "client"}, 400),
        ("POST", "/v1/sessions/nope/turns", "/v1/sessions/{id}/turns", FR_CALL[0], 404),
        ("GET", "/v1/sessions/s1", "/v1/sessions/{id}", None, 200),
        ("GET", "/v1/sessions/nope", "/v1/sessions/{id}", None, 404),
        ("GET", "/v1/sessions/s1/handoff", "/v1/sessions/{id}/handoff", None, 200),
        ("GET", "/v1/sessions/s1/handoff?format=bad", "/v1/sessions/{id}/handoff", None, 400),
        ("POST", "/v1/assess", "/v1/assess", conversation, 200),
        ("POST", "/v1/assess", "/v1/assess", {"id": ""}, 400),
        ("GET", "/healthz", "/healthz", None, 200),
        ("DELETE", "/v1/sessions/s1", "/v1/sessions/{id}", None, 204),
        ("DELETE", "/v1/sessions/s1", "/v1/sessions/{id}", None, 404),
    ]
    checked = 0
    for method, url, template, body, expected in calls:
        status, _, payload = client.call(method, url, body)
        assert status == expected, (method, url, payload)
        responses = document["paths"][template][method.lower()]["responses"]
        assert str(status) in responses, (method, template, status)
        if status == 204:
            continue
        schema = _response_schema(document, template, method.lower(), status, "application/json")
        jsonschema.Draft202012Validator(schema).validate(payload)
        checked += 1
    assert checked == len(calls) - 1


# ---------------------------------------------------------------- errors


def test_bad_input_is_a_json_400_naming_the_field(client: Client) -> None:
    sid = client.call("POST", "/v1/sessions", {"language": "en"})[2]["id"]
    turns = f"/v1/sessions/{sid}/turns"
    cases = [
        ({"speaker": "client", "text": "hi"}, "speaker"),
        ({"speaker": "customer", "text": 3}, "text"),
        ({"speaker": "customer", "text": "hi", "mood": "angry"}, "mood"),
        ({"text": "hi"}, "speaker"),
    ]
    for body, field in cases:
        status, headers, error = client.call("POST", turns, body)
        _assert_error(status, headers, error, 400, field)
    for raw, what in [
        (b"{not json", "invalid JSON"),
        (b'{"speaker": "customer", "text": NaN}', "NaN"),
        (b"[1, 2]", "object"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
    ]:
        status, headers, error = client.call(
            "POST", turns, raw=raw, headers={"Content-Type": "application/json"}
        )
        _assert_error(status, headers, error, 400, "body")
        assert what in error["error"]["message"]
    status, headers, error = client.call(
        "POST", turns, raw=b"", headers={"Content-Type": "application/json"}
    )
    _assert_error(status, headers, error, 400, "body")
    status, headers, error = client.call("POST", "/v1/sessions", {"id": "has space"})
    _assert_error(status, headers, error, 400, "id")
    status, headers, error = client.call("POST", "/v1/sessions", {"language": "de"})
    _assert_error(status, headers, error, 400, "language")
    status, headers, error = client.call(
        "POST", "/v1/assess", {"id": "x", "turns": [{"speaker": "robot"}]}
    )
    _assert_error(status, headers, error, 400, "turns[0].speaker")
    # the connection is still usable after every error above
    assert client.call("GET", "/healthz")[0] == 200


def test_media_type_method_and_path_errors(client: Client) -> None:
    status, headers, error = client.call(
        "POST",
        "/v1/sessions",
        raw=b"language=fr",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    _assert_error(status, headers, error, 415, "Content-Type")
    status, headers, error = client.call(
        "POST",
        "/v1/sessions",
        raw='{"language": "fr"}'.encode("utf-16"),
        headers={"Content-Type": "application/json; charset=utf-16"},
    )
    _assert_error(status, headers, error, 415, "Content-Type")
    status, headers, error = client.call("GET", "/v1/nothing")
    _assert_error(status, headers, error, 404, None)
    status, headers, error = client.call("PUT", "/v1/sessions/x")
    _assert_error(status, headers, error, 405, None)
    assert headers["Allow"] == "DELETE, GET, HEAD"
    status, headers, error = client.call("GET", "/v1/assess")
    _assert_error(status, headers, error, 405, None)
    assert headers["Allow"] == "POST"
    status, headers, error = client.call("POST", "/v1/sessions", {"id": "dup"})
    assert status == 201
    status, headers, error = client.call("POST", "/v1/sessions", {"id": "dup"})
    _assert_error(status, headers, error, 409, "id")


def test_a_body_over_the_limit_is_refused_with_413(detector: Detector) -> None:
    srv = make_server(port=0, detector=detector, max_body_bytes=1000)
    srv.serve_in_background()
    try:
        c = Client(srv)
        body = {"speaker": "customer", "text": "x" * 2000}
        status, headers, error = c.call("POST", "/v1/assess", body)
        _assert_error(status, headers, error, 413, "body")
        assert headers["Connection"] == "close"
        c.close()
        c = Client(srv)
        turns = [{"speaker": "customer", "text": "a"}] * 3
        assert c.call("POST", "/v1/assess", {"id": "ok", "turns": turns})[0] == 200
        c.close()
    finally:
        srv.stop()


def test_http_level_errors_are_json_too(server: EmpathyServer) -> None:
    for request, code in [
        (b"GARBAGE\r\n\r\n", 400),
        (b"FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 501),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
        (
            (
                b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                b"Content-Type: application/json\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
            ),
            411,
        ),
        (b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400),
        (  # refused before the client sends the body: no "100 Continue" first
            (
                b"POST /v1/assess HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 99999999\r\nExpect: 100-continue\r\n\r\n"
            ),
            413,
        ),
    ]:
        reply = _raw_exchange(server, request)
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1."), reply[:200]
        assert int(head.split()[1]) == code, reply[:300]
        assert b"Content-Type: application/json" in head
        error = json.loads(body)
        assert set(error["error"]) == {"field", "message"}
        assert b"<html" not in reply.lower() and b"traceback" not in reply.lower()


def test_a_body_left_unread_closes_the_connection(server: EmpathyServer) -> None:
    """A 405 (or any answer) that does not read the body closes the connection: the body's
    bytes must not be taken for the next request on it."""
    body = b'{"language": "fr"}'
    reply = _raw_exchange(
        server,
        b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s"
        % (len(body), body)
        + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    assert reply.startswith(b"HTTP/1.1 405") and b"Connection: close" in reply
    assert reply.count(b"HTTP/1.1 ") == 1  # nothing answered to the body's bytes


def test_an_http_0_9_request_gets_the_json_body_only(server: EmpathyServer, capfd) -> None:
    reply = _raw_exchange(server, b"GET /healthz\r\n\r\n")
    assert json.loads(reply)["status"] == "ok"
    assert capfd.readouterr().err == ""


def test_a_bug_is_a_json_500_without_details(
    detector: Detector, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        model = "none"
        policy = detector.policy

        def session(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("secret detail: customer said something")

        def assess(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("secret detail")

    srv = make_server(port=0, detector=Broken())
    srv.serve_in_background()
    c = Client(srv)
    try:
        with caplog.at_level(logging.INFO, logger="empathy_signals.serve"):
            status, _, error = c.call("POST", "/v1/sessions", {"language": "fr"})
        assert status == 500 and error == {
            "error": {"field": None, "message": "internal error (see the server's log)"}
        }
        assert "secret" not in caplog.text and "RuntimeError" in caplog.text
    finally:
        c.close()
        srv.stop()


# ---------------------------------------------------------------- audio


def test_audio_paths_are_refused_without_an_audio_root(client: Client) -> None:
    sid = client.call("POST", "/v1/sessions", {"language": "en"})[2]["id"]
    turn = {"speaker": "customer", "text": "hello", "audio": {"path": "/etc/passwd"}}
    status, headers, error = client.call("POST", f"/v1/sessions/{sid}/turns", turn)
    _assert_error(status, headers, error, 400, "audio")
    assert "--audio-root" in error["error"]["message"]
    conversation = {"id": "a", "turns": [{"speaker": "bot", "text": "hi"}, turn]}
    status, headers, error = client.call("POST", "/v1/assess", conversation)
    _assert_error(status, headers, error, 400, "turns[1].audio")
    # nothing was added to the session
    assert client.call("GET", f"/v1/sessions/{sid}")[2]["turns_seen"] == 0


def test_audio_is_read_only_inside_the_audio_root(detector: Detector, tmp_path: Path) -> None:
    sf = pytest.importorskip("soundfile")
    pytest.importorskip("librosa")
    from empathy_signals.audio.synth import synthetic_voice

    root = tmp_path / "audio"
    root.mkdir()
    sf.write(root / "turn1.wav", synthetic_voice(f0_hz=180.0, duration_s=2.0), 16000)
    outside = tmp_path / "secret.wav"
    sf.write(outside, synthetic_voice(duration_s=1.0), 16000)
    (root / "link.wav").symlink_to(outside)

    srv = make_server(port=0, detector=detector, audio_root=root)
    srv.serve_in_background()
    c = Client(srv)
    try:
        sid = c.call("POST", "/v1/sessions", {"language": "en"})[2]["id"]
        for path in [str(outside), "../secret.wav", "link.wav", "/etc/passwd"]:
            turn = {"speaker": "customer", "text": "hello", "audio": {"path": path}}
            status, headers, error = c.call("POST", f"/v1/sessions/{sid}/turns", turn)
            _assert_error(status, headers, error, 400, "audio.path")
        turn = {
            "speaker": "customer",
            "text": "My card does not work",
            "audio": {"path": "turn1.wav"},
        }
        status, _, assessment = c.call("POST", f"/v1/sessions/{sid}/turns", turn)
        assert status == 200
        prosody = assessment["signals"]["prosody"]
        assert prosody is not None and prosody["neutral_reason"] is None
        expected = detector.session("en", base_dir=root).add(turn)
        assert assessment == json.loads(expected.model_dump_json())
        kept = c.call("GET", f"/v1/sessions/{sid}")[2]["turns"]
        assert kept[-1].get("audio") is None  # the state keeps no audio paths
    finally:
        c.close()
        srv.stop()


# ---------------------------------------------------------------- limits


def test_least_recently_used_sessions_are_evicted(detector: Detector) -> None:
    srv = make_server(port=0, detector=detector, max_sessions=3)
    srv.serve_in_background()
    c = Client(srv)
    try:
        for sid in ("a", "b", "c"):
            assert c.call("POST", "/v1/sessions", {"id": sid})[0] == 201
        assert c.call("GET", "/v1/sessions/a")[0] == 200  # a is now the most recently used
        assert c.call("POST", "/v1/sessions", {"id": "d"})[0] == 201  # evicts b
        assert c.call("GET", "/v1/sessions/b")[0] == 404
        assert {sid for sid in "acd" if c.call("GET", f"/v1/sessions/{sid}")[0] == 200} == set(
            "acd"
        )
        assert c.call("GET", "/healthz")[2]["sessions"] == 3
        assert srv.store.evicted == 1
    finally:
        c.close()
        srv.stop()


def test_idle_sessions_expire(detector: Detector) -> None:
    now = [1000.0]
    srv = make_server(port=0, detector=detector, session_ttl_s=60, clock=lambda: now[0])
    srv.serve_in_background()
    c = Client(srv)
    try:
        c.call("POST", "/v1/sessions", {"id": "old"})
        now[0] += 30
        c.call("POST", "/v1/sessions", {"id": "young"})
        now[0] += 31  # old: idle 61 s; young: 31 s
        assert c.call("GET", "/v1/sessions/old")[0] == 404
        status, _, state = c.call("GET", "/v1/sessions/young")
        assert status == 200 and state["idle_s"] == pytest.approx(31.0)
        assert srv.store.expired == 1
    finally:
        c.close()
        srv.stop()


def test_connections_past_the_limit_get_503(detector: Detector) -> None:
    srv = make_server(port=0, detector=detector, max_connections=1)
    srv.serve_in_background()
    try:
        first = Client(srv)
        assert first.call("GET", "/healthz")[0] == 200  # keeps its connection (and slot) open
        reply = _raw_exchange(srv, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 503")
        assert json.loads(reply.partition(b"\r\n\r\n")[2])["error"]["message"]
        first.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if _raw_exchange(
                srv, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            ).startswith(b"HTTP/1.1 200"):
                break
            time.sleep(0.02)
        else:
            pytest.fail("the slot was not released after the first client closed")
    finally:
        srv.stop()


def test_binding_looks_nothing_up_and_serves_ipv6(
    detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_lookup(*args: Any) -> str:
        raise AssertionError("a name lookup at bind time")

    monkeypatch.setattr(socket, "getfqdn", no_lookup)
    make_server("127.0.0.1", 0, detector=detector).server_close()
    try:
        srv = make_server("::1", 0, detector=detector)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    srv.serve_in_background()
    try:
        assert srv.url.startswith("http://[::1]:")
        c = Client(srv)
        assert c.call("GET", "/healthz")[0] == 200
        c.close()
    finally:
        srv.stop()


def test_limits_are_checked() -> None:
    for kwargs in (
        {"max_sessions": 0},
        {"max_body_bytes": -1},
        {"session_ttl_s": 0},
        {"max_turns_kept": True},
        {"audio_root": "/no/such/folder"},
    ):
        with pytest.raises(InputError) as info:
            make_server(port=0, detector=object(), **kwargs)
        assert info.value.field == next(iter(kwargs))


# ---------------------------------------------------------------- concurrency


def _conversations(n: int) -> list[dict]:
    rng = random.Random(7)
    fr = [
        "Bonjour, ma box ne marche plus",
        "C'est INADMISSIBLE !!!",
        "Je vous l'ai déjà dit",
        "mon père est décédé",
        "merci beaucoup",
        "Je veux parler à un conseiller",
        "prélèvement frauduleux",
        "je vais porter plainte",
        "",
    ]
    en = [
        "Hello, my internet is down",
        "This is RIDICULOUS!!!",
        "I already told you",
        "My mother passed away",
        "thanks a lot",
        "I want to talk to an agent",
        "someone stole my card",
        "I'll see you in court",
        "   ",
    ]
    out = []
    for k in range(n):
        language = rng.choice(["fr", "en"])
        words = fr if language == "fr" else en
        turns = []
        for _ in range(rng.randint(4, 12)):
            speaker = rng.choice(["customer", "customer", "bot", "agent"])
            text = (
                "Je n'ai pas compris."
                if speaker == "bot" and language == "fr"
                else ("Sorry, I didn't get that." if speaker == "bot" else rng.choice(words))
            )
            turns.append({"speaker": speaker, "text": text})
        out.append({"id": f"conv-{k}", "language": rng.choice([language, "auto"]), "turns": turns})
    return out


def test_concurrent_clients_get_what_sequential_detector_runs_give(
    server: EmpathyServer, detector: Detector
) -> None:
    conversations = _conversations(16)
    expected = {c["id"]: _expected(detector, c["turns"], c["language"]) for c in conversations}

    def converse(conversation: dict) -> tuple[str, list[Any]]:
        c = Client(server)
        try:
            sid = c.call(
                "POST",
                "/v1/sessions",
                {"id": conversation["id"], "language": conversation["language"]},
            )[2]["id"]
            results = []
            for turn in conversation["turns"]:
                status, _, assessment = c.call("POST", f"/v1/sessions/{sid}/turns", turn)
                assert status == 200
                results.append(assessment)
            return sid, results
        finally:
            c.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        served = dict(pool.map(converse, conversations))
    assert served == expected


def test_concurrent_posts_to_one_session_are_serialised(server: EmpathyServer) -> None:
    c = Client(server)
    sid = c.call("POST", "/v1/sessions", {"language": "en"})[2]["id"]
    c.close()

    def post(i: int) -> int:
        client = Client(server)
        try:
            status, _, assessment = client.call(
                "POST", f"/v1/sessions/{sid}/turns", {"speaker": "customer", "text": f"message {i}"}
            )
            assert status == 200
            return assessment["index"]
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        indices = sorted(pool.map(post, range(30)))
    assert indices == list(range(30))  # no index given twice: every add saw its own turn


# ---------------------------------------------------------------- logging and shutdown


def test_access_log_names_routes_never_ids_or_text(
    detector: Detector, caplog: pytest.LogCaptureFixture
) -> None:
    srv = make_server(port=0, detector=detector, access_log=True)
    srv.serve_in_background()
    c = Client(srv)
    try:
        with caplog.at_level(logging.DEBUG, logger="empathy_signals.serve"):
            c.call("POST", "/v1/sessions", {"id": "jean-dupont-0612345678", "language": "fr"})
            c.call(
                "POST",
                "/v1/sessions/jean-dupont-0612345678/turns",
                {"speaker": "customer", "text": "Mon mari est décédé, aidez-moi"},
            )
            c.call("POST", "/v1/sessions/jean-dupont-0612345678/turns", {"speaker": "nobody"})
            c.call("GET", "/v1/sessions/jean-dupont-0612345678/handoff?format=text")
    finally:
        c.close()
        srv.stop()
    messages = [r.getMessage() for r in caplog.records]
    assert "POST /v1/sessions/{id}/turns 200" in " ".join(messages)
    assert "POST /v1/sessions/{id}/turns 400" in " ".join(messages)
    for message in messages:
        assert "0612345678" not in message and "décédé" not in message and "nobody" not in message


def test_no_access_log_by_default(server: EmpathyServer, client: Client, capfd, caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="empathy_signals.serve"):
        client.call("POST", "/v1/sessions", {"id": "quiet"})
        client.call("POST", "/v1/sessions/quiet/turns", {"speaker": "customer", "text": "bonjour"})
    assert not [r for r in caplog.records if r.levelno >= logging.INFO]
    assert capfd.readouterr().err == ""  # http.server prints nothing either


def test_stop_closes_idle_connections_and_frees_the_port(detector: Detector) -> None:
    before = set(threading.enumerate())
    srv = make_server(port=0, detector=detector)
    thread = srv.serve_in_background()
    address = srv.server_address[:2]
    idle = [Client(srv) for _ in range(3)]
    for c in idle:
        assert c.call("GET", "/healthz")[0] == 200  # keep-alive: each holds a handler thread
    srv.stop()
    assert not thread.is_alive()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and set(threading.enumerate()) - before:
        time.sleep(0.01)
    assert set(threading.enumerate()) - before == set()
    with pytest.raises(OSError):
        socket.create_connection(address, timeout=1).close()
    for c in idle:
        c.close()


def test_run_serves_until_sigterm(tmp_path: Path) -> None:
    """The CLI entry point, in a child process: it prints the URL, serves, stops on SIGTERM."""
    code = (
        "import argparse, sys\n"
        "from empathy_signals import serve\n"
        "parser = argparse.ArgumentParser()\n"
        "serve.add_arguments(parser)\n"
        "sys.exit(serve.run(parser.parse_args(['--port', '0', '--max-sessions', '5'])))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        line = proc.stderr.readline()
        match = re.search(r"serving on http://127\.0\.0\.1:(\d+)", line)
        assert match, line
        conn = http.client.HTTPConnection("127.0.0.1", int(match.group(1)), timeout=10)
        conn.request("GET", "/healthz")
        health = json.loads(conn.getresponse().read())
        assert health["max_sessions"] == 5
        conn.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def test_a_lone_surrogate_in_text_is_answered_with_valid_json(client: Client) -> None:
    sid = client.call("POST", "/v1/sessions", {"language": "en"})[2]["id"]
    raw = b'{"speaker": "customer", "text": "bad \\ud800 text, I want an agent"}'
    status, _, assessment = client.call(
        "POST", f"/v1/sessions/{sid}/turns", raw=raw, headers={"Content-Type": "application/json"}
    )
    assert status == 200 and assessment["decision"] == "offer_human"


def test_handoff_redaction_follows_the_policy(tmp_path) -> None:
    from empathy_signals import Detector, Policy
    from empathy_signals.serve import make_server

    policy = Policy.from_dict({"privacy": {"redact_pii": False}})
    with make_server(detector=Detector(policy)) as server:
        assert server.redact_handoff is False
    with make_server() as server:
        assert server.redact_handoff is True
