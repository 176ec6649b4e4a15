"""``empathy-signals serve``: the detector as a small HTTP/JSON service (standard library only).

A bot server that is not written in Python (or that wants the scoring out of its process)
keeps one session per conversation here and posts each turn as it happens::

    POST   /v1/sessions                 {"language": "fr"}          -> 201 {"id", "language"}
    POST   /v1/sessions/{id}/turns      a Turn                      -> 200 Assessment
    GET    /v1/sessions/{id}            the session's state (last turns, last assessment)
    GET    /v1/sessions/{id}/handoff    the packet for the human agent (?format=text: plain text)
    DELETE /v1/sessions/{id}                                        -> 204
    POST   /v1/assess                   a whole Conversation        -> 200 ConversationAssessment
    GET    /openapi.json                the OpenAPI 3.1 document (from the pydantic schemas)
    GET    /healthz                     {"status": "ok", ...}

Errors are JSON, ``{"error": {"field": ..., "message": ...}}``, never a traceback or an HTML
page. State is bounded: at most ``max_sessions`` sessions (creating one more evicts the least
recently used), a session unused for ``session_ttl_s`` is dropped, request bodies past
``max_body_bytes`` are refused (413), each session keeps its last ``max_turns_kept`` turns for
its state and the handoff transcript, and at most ``max_connections`` connections are served
at once (503 beyond). The service has no authentication and no TLS: it listens on loopback by
default; put it behind a reverse proxy that has them before exposing it.

**Audio.** A turn's ``audio.path`` names a file *on the server*. Opening paths sent by
clients would let anyone who can reach the service read (and time the decoding of) any file
the server can read, so by default a turn with ``audio`` is refused (400). With
``audio_root`` (``--audio-root DIR``), audio paths are read only when they resolve (symbolic
links followed) inside ``DIR``; relative paths resolve against it.

**Logging.** Nothing from a conversation is logged. The access log (off by default,
``--access-log``) names the route template (``POST /v1/sessions/{id}/turns``), never the session
id, the query or the body, with the status and the time taken.

>>> import json, urllib.request
>>> from empathy_signals.serve import make_server
>>> with make_server(port=0) as server:
...     _ = server.serve_in_background()
...     url = server.url + "/v1/assess"
...     body = json.dumps({"id": "c1", "language": "en",
...                        "turns": [{"speaker": "customer", "text": "I want a real person"}]})
...     request = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
...     with urllib.request.urlopen(request) as response:
...         print(json.load(response)["decision"])
...     server.stop()
offer_human
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import socket
import socketserver
import sys
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticSerializationError

from .errors import InputError
from .fusion import severity
from .schema import (
    Assessment,
    Conversation,
    ConversationAssessment,
    Decision,
    Language,
    Turn,
)

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "MAX_ASSESS_TURNS",
    "MAX_BODY_BYTES",
    "MAX_CONNECTIONS",
    "MAX_SESSIONS",
    "MAX_TEXT_KEPT_CHARS",
    "MAX_TURNS_KEPT",
    "SESSION_TTL_S",
    "SOCKET_TIMEOUT_S",
    "EmpathyServer",
    "ErrorResponse",
    "Health",
    "SessionCreate",
    "SessionInfo",
    "SessionState",
    "add_arguments",
    "make_server",
    "openapi_document",
    "run",
]

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
#: Sessions held at once; creating one more evicts the least recently used.
MAX_SESSIONS = 1000
#: A session not used for this long is dropped (seconds).
SESSION_TTL_S = 3600.0
#: Request bodies larger than this are refused with 413 (bytes).
MAX_BODY_BYTES = 1_000_000
#: Turns (with their assessments) each session keeps for its state and the handoff transcript.
MAX_TURNS_KEPT = 50
#: A kept turn's text is cut to this many characters (the whole text is scored).
MAX_TEXT_KEPT_CHARS = 4000
#: ``POST /v1/assess`` takes conversations of at most this many turns (413 beyond).
MAX_ASSESS_TURNS = 5000
#: Connections served at once; one more is answered 503 and closed.
MAX_CONNECTIONS = 64
#: A connection that sends nothing for this long is closed (seconds).
SOCKET_TIMEOUT_S = 30.0
#: Session ids: what may appear in a URL path segment unescaped.
SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_JSON_TYPES = ("application/json",)


# ---------------------------------------------------------------- request and response bodies


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class SessionCreate(_Body):
    """Body of ``POST /v1/sessions`` (optional: ``{}`` is a session in ``auto`` language)."""

    language: Literal["fr", "en", "auto"] = "auto"
    #: The caller's own id for the session (its conversation id); a random one when absent.
    id: str | None = Field(default=None, pattern="^" + SESSION_ID.pattern + "$")


class SessionInfo(_Body):
    """A session just created."""

    id: str
    #: The language asked for (``auto``: settled from the turns, see ``SessionState``).
    language: Literal["fr", "en", "auto"]


class SessionState(_Body):
    """What the service holds for a session."""

    id: str
    #: The language the session scores in now (fixed, settled from the turns, or the default).
    language: Language
    #: Turns posted so far (``turns`` keeps only the last ``max_turns_kept``).
    turns_seen: int = Field(ge=0)
    #: The last turns, oldest first; texts cut to ``MAX_TEXT_KEPT_CHARS``, no audio, no metadata.
    turns: tuple[Turn, ...] = ()
    last_assessment: Assessment | None = None
    #: The decision after the last turn (``continue`` before any).
    decision: Decision = "continue"
    #: The highest score and the most severe decision of the whole session.
    peak_score: float = Field(ge=0.0, le=1.0)
    peak_decision: Decision = "continue"
    #: Seconds since the session was last used (before this request).
    idle_s: float = Field(ge=0.0)


class Health(_Body):
    status: Literal["ok"] = "ok"
    version: str
    model: str
    sessions: int = Field(ge=0)
    max_sessions: int = Field(ge=1)


class ErrorDetail(_Body):
    #: The input field at fault (``speaker``, ``turns[2].text``, ``body``), when there is one.
    field: str | None = None
    message: str


class ErrorResponse(_Body):
    error: ErrorDetail


class _HttpError(Exception):
    def __init__(
        self,
        status: HTTPStatus,
        message: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = dict(headers or {})


# ---------------------------------------------------------------- sessions


class _Entry:
    """One session and what the service remembers of it (guarded by ``lock``)."""

    __slots__ = (
        "assessments",
        "decision",
        "id",
        "lock",
        "peak_decision",
        "peak_score",
        "peak_turn",
        "session",
        "turns",
        "turns_seen",
        "used_s",
    )

    def __init__(self, session_id: str, session: Any, *, keep: int, now: float) -> None:
        self.id = session_id
        self.session = session
        self.lock = threading.Lock()
        self.turns: deque[Turn] = deque(maxlen=keep)
        self.assessments: deque[Assessment] = deque(maxlen=keep)
        self.turns_seen = 0
        self.decision: str = "continue"
        self.peak_score = 0.0
        self.peak_decision: str = "continue"
        self.peak_turn: int | None = None
        self.used_s = now

    def record(self, turn: Turn, assessment: Assessment) -> None:
        text = (
            turn.text if len(turn.text) <= MAX_TEXT_KEPT_CHARS else turn.text[:MAX_TEXT_KEPT_CHARS]
        )
        self.turns.append(Turn(speaker=turn.speaker, text=text, timestamp=turn.timestamp))
        self.assessments.append(assessment)
        self.turns_seen += 1
        self.decision = assessment.decision
        self.peak_score = max(self.peak_score, assessment.escalation_score)
        if severity(assessment.decision) > severity(self.peak_decision):
            self.peak_decision = assessment.decision
            self.peak_turn = assessment.index


class SessionStore:
    """The sessions, in least-recently-used order; thread-safe.

    Creating a session past ``max_sessions`` evicts the least recently used one; a session
    unused for ``ttl_s`` seconds is dropped (checked on every access, so no thread is needed).
    """

    def __init__(
        self,
        detector: Any,
        *,
        max_sessions: int,
        ttl_s: float,
        keep_turns: int,
        base_dir: Path | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.detector = detector
        self.max_sessions = max_sessions
        self.ttl_s = ttl_s
        self.keep_turns = keep_turns
        self.base_dir = base_dir
        self.clock = clock
        #: Sessions dropped so far: for room (least recently used) and for idleness.
        self.evicted = 0
        self.expired = 0
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _expire(self, now: float) -> None:
        entries = self._entries
        while entries:
            oldest = next(iter(entries.values()))
            if now - oldest.used_s <= self.ttl_s:
                break
            entries.popitem(last=False)
            self.expired += 1

    def create(self, language: str, session_id: str | None) -> _Entry:
        session = self.detector.session(language, base_dir=self.base_dir)
        with self._lock:
            now = self.clock()
            self._expire(now)
            if session_id is None:
                session_id = uuid.uuid4().hex
            elif session_id in self._entries:
                raise _HttpError(
                    HTTPStatus.CONFLICT,
                    f"a session with id {session_id!r} already exists",
                    field="id",
                )
            while len(self._entries) >= self.max_sessions:
                self._entries.popitem(last=False)
                self.evicted += 1
            entry = _Entry(session_id, session, keep=self.keep_turns, now=now)
            self._entries[session_id] = entry
            return entry

    def get(self, session_id: str) -> tuple[_Entry, float]:
        """The session and how long it had been idle; marks it used."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            entry = self._entries.get(session_id)
            if entry is None:
                raise _not_found(session_id)
            self._entries.move_to_end(session_id)
            idle = now - entry.used_s
            entry.used_s = now
            return entry, max(idle, 0.0)

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._expire(self.clock())
            if self._entries.pop(session_id, None) is None:
                raise _not_found(session_id)


def _not_found(session_id: str) -> _HttpError:
    return _HttpError(
        HTTPStatus.NOT_FOUND,
        f"no session {session_id[:140]!r} (never created, deleted, or evicted: see max_sessions "
        "and session_ttl_s)",
        field="id",
    )


# ---------------------------------------------------------------- the server


class EmpathyServer(ThreadingHTTPServer):
    """A :class:`~http.server.ThreadingHTTPServer` holding one shared detector and the sessions.

    Build it with :func:`make_server`. ``serve_forever()`` serves in the calling thread (stop it
    with ``shutdown()`` from another); :meth:`serve_in_background` and :meth:`stop` do both for
    tests and embedding. Used as a context manager it closes its socket on exit.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        detector: Any,
        store: SessionStore,
        max_body_bytes: int,
        max_connections: int,
        socket_timeout_s: float,
        audio_root: Path | None,
        redact_handoff: bool,
        access_log: bool,
    ) -> None:
        self.detector = detector
        self.store = store
        self.max_body_bytes = max_body_bytes
        self.max_connections = max_connections
        self.socket_timeout_s = socket_timeout_s
        self.audio_root = audio_root
        self.redact_handoff = redact_handoff
        self.access_log = access_log
        self._slots = threading.BoundedSemaphore(max_connections)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()
        self._openapi: bytes | None = None
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without http.server's reverse DNS lookup of the host (no network at run time)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host.decode() if isinstance(host, bytes) else str(host)
        self.server_port = port

    @property
    def url(self) -> str:
        """``http://host:port`` of the listening socket (the port chosen when 0 was asked)."""
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._serving.set()
        try:
            super().serve_forever(poll_interval)
        finally:
            self._serving.clear()

    def serve_in_background(self) -> threading.Thread:
        """Serve in a daemon thread (started, and returned); :meth:`stop` ends it."""
        if self._thread is not None and self._thread.is_alive():
            return self._thread
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="empathy-signals-serve",
            daemon=True,
        )
        self._thread.start()
        return self._thread

    def stop(self, *, timeout_s: float = 5.0) -> None:
        """Stop serving (if serving), close every open connection and the listening socket."""
        if self._serving.is_set():
            self.shutdown()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        self.server_close()

    def server_close(self) -> None:
        super().server_close()
        with self._open_lock:
            open_now = list(self._open)
        for sock in open_now:  # idle keep-alive connections: wake their threads now
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            _refuse_busy(request)
            self.shutdown_request(request)
            return
        with self._open_lock:
            self._open.add(request)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release(request)

    def _release(self, request: Any) -> None:
        with self._open_lock:
            if request not in self._open:
                return
            self._open.discard(request)
        self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """socketserver would print the traceback to stderr; log the exception type only."""
        exc = sys.exc_info()[1]
        logger.error(
            "connection error: %s", type(exc).__name__, exc_info=logger.isEnabledFor(logging.DEBUG)
        )

    def openapi_bytes(self) -> bytes:
        if self._openapi is None:
            self._openapi = json.dumps(openapi_document(), ensure_ascii=False).encode("utf-8")
        return self._openapi


def _refuse_busy(request: Any) -> None:
    body = json.dumps(
        {"error": {"field": None, "message": "too many connections; retry shortly"}}
    ).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        request.settimeout(1.0)
        request.sendall(head + body)
    except OSError:
        pass


def make_server(
    host: str = DEFAULT_HOST,
    port: int = 0,
    *,
    detector: Any = None,
    policy: Any = None,
    model: Literal["none", "e5-small"] = "none",
    max_sessions: int = MAX_SESSIONS,
    session_ttl_s: float = SESSION_TTL_S,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_turns_kept: int = MAX_TURNS_KEPT,
    max_connections: int = MAX_CONNECTIONS,
    socket_timeout_s: float = SOCKET_TIMEOUT_S,
    audio_root: str | Path | None = None,
    redact_handoff: bool | None = None,
    access_log: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> EmpathyServer:
    """An HTTP server bound to ``host:port``, not yet serving.

    Parameters
    ----------
    host, port
        Where to listen; ``port=0`` picks a free port (read it from ``server.server_address``
        or ``server.url``).
    detector
        A :class:`~empathy_signals.detector.Detector` shared by every request; by default one
        is built from ``policy`` and ``model``.
    max_sessions
        Sessions held at once; creating one more evicts the least recently used.
    session_ttl_s
        A session unused for this many seconds is dropped.
    max_body_bytes
        Larger request bodies are refused with 413.
    max_turns_kept
        Turns (and assessments) kept per session for ``GET /v1/sessions/{id}`` and the handoff
        transcript. Memory is bounded by about ``max_sessions * max_turns_kept`` times a turn
        (its text, cut to :data:`MAX_TEXT_KEPT_CHARS`, and its assessment: a few kB).
    max_connections
        Connections served at once (a thread each); one more is answered 503.
    socket_timeout_s
        A connection idle for this many seconds is closed.
    audio_root
        The only folder whose audio files turns may name (``None``: audio is refused).
    redact_handoff
        Whether handoff packets mask personal data (see :mod:`empathy_signals.handoff`);
        ``None`` (the default) follows the policy's ``privacy.redact_pii``.
    access_log
        Log one line per request (route template, status, milliseconds) to the
        ``empathy_signals.serve`` logger at INFO; nothing from the conversation is logged.
    clock
        Monotonic seconds, for the idle timeout (tests pass a fake one).

    Returns
    -------
    EmpathyServer
    """
    for name, value in (
        ("max_sessions", max_sessions),
        ("max_body_bytes", max_body_bytes),
        ("max_turns_kept", max_turns_kept),
        ("max_connections", max_connections),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(
                f"{name} must be an integer >= 1; got {value!r}", field=name, value=value
            )
    for name, value in (("session_ttl_s", session_ttl_s), ("socket_timeout_s", socket_timeout_s)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise InputError(
                f"{name} must be a number of seconds > 0; got {value!r}", field=name, value=value
            )
    root = None
    if audio_root is not None:
        root = Path(audio_root).resolve()
        if not root.is_dir():
            raise InputError(
                f"audio_root must be an existing folder; got {str(audio_root)!r}",
                field="audio_root",
                value=audio_root,
            )
    if detector is None:
        from .detector import Detector

        detector = Detector(policy, model=model)
    store = SessionStore(
        detector,
        max_sessions=max_sessions,
        ttl_s=float(session_ttl_s),
        keep_turns=max_turns_kept,
        base_dir=root,
        clock=clock,
    )
    return EmpathyServer(
        (host, port),
        detector=detector,
        store=store,
        max_body_bytes=max_body_bytes,
        max_connections=max_connections,
        socket_timeout_s=float(socket_timeout_s),
        audio_root=root,
        redact_handoff=(
            detector.policy.privacy.redact_pii if redact_handoff is None else redact_handoff
        ),
        access_log=access_log,
    )


# ---------------------------------------------------------------- requests

_ID = r"(?P<id>[^/]+)"
#: (path pattern, route template, {method: handler name}).
_ROUTES: tuple[tuple[re.Pattern[str], str, dict[str, str]], ...] = tuple(
    (re.compile(pattern + r"\Z"), template, methods)
    for pattern, template, methods in (
        (r"/healthz", "/healthz", {"GET": "_health"}),
        (r"/openapi\.json", "/openapi.json", {"GET": "_openapi"}),
        (r"/v1/assess", "/v1/assess", {"POST": "_assess"}),
        (r"/v1/sessions", "/v1/sessions", {"POST": "_create"}),
        (rf"/v1/sessions/{_ID}", "/v1/sessions/{id}", {"GET": "_state", "DELETE": "_delete"}),
        (rf"/v1/sessions/{_ID}/turns", "/v1/sessions/{id}/turns", {"POST": "_turn"}),
        (rf"/v1/sessions/{_ID}/handoff", "/v1/sessions/{id}/handoff", {"GET": "_handoff"}),
    )
)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _Handler(BaseHTTPRequestHandler):
    server: EmpathyServer
    protocol_version = "HTTP/1.1"
    server_version = "empathy-signals"
    sys_version = ""
    error_content_type = "application/json"

    # ------------------------------------------------------------ plumbing

    def parse_request(self) -> bool:
        self._body_read = False
        return super().parse_request()

    def _unread_body(self) -> bool:
        """The request has a body this answer leaves unread (the connection must then close)."""
        headers = getattr(self, "headers", None)
        if headers is None or getattr(self, "_body_read", False):
            return False
        length = (headers.get("Content-Length") or "0").strip()
        return bool(headers.get("Transfer-Encoding")) or length != "0"

    def setup(self) -> None:
        self.timeout = self.server.socket_timeout_s
        super().setup()
        if self.connection.family in (socket.AF_INET, socket.AF_INET6):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        started = time.perf_counter()
        template = "-"
        status = HTTPStatus.INTERNAL_SERVER_ERROR
        try:
            split = urlsplit(self.path)
            path = split.path
            for pattern, route, methods in _ROUTES:
                match = pattern.match(path)
                if match is None:
                    continue
                template = route
                method = "GET" if self.command == "HEAD" else self.command
                handler = methods.get(method)
                if handler is None:
                    allow = ", ".join(sorted({*methods, *(["HEAD"] if "GET" in methods else [])}))
                    raise _HttpError(
                        HTTPStatus.METHOD_NOT_ALLOWED,
                        f"{self.command} is not allowed on {route}; allowed: {allow}",
                        headers={"Allow": allow},
                    )
                params = {k: unquote(v) for k, v in match.groupdict().items()}
                query = parse_qs(split.query, keep_blank_values=True)
                status = getattr(self, handler)(query=query, **params)
                break
            else:
                raise _HttpError(HTTPStatus.NOT_FOUND, f"no such endpoint: {path[:200]!r}")
        except _HttpError as exc:
            status = exc.status
            self._send_error_json(exc.status, exc.message, field=exc.field, headers=exc.headers)
        except InputError as exc:
            status = HTTPStatus.BAD_REQUEST
            self._send_error_json(status, _one_line(exc), field=exc.field)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            status = HTTPStatus.REQUEST_TIMEOUT
        except Exception as exc:  # a bug: answer 500 without the details, log without the data
            status = HTTPStatus.INTERNAL_SERVER_ERROR
            logger.error(
                "internal error on %s %s: %s",
                self.command,
                template,
                type(exc).__name__,
                exc_info=logger.isEnabledFor(logging.DEBUG),
            )
            self.close_connection = True
            self._send_error_json(status, "internal error (see the server's log)")
        finally:
            if self.server.access_log:
                logger.info(
                    "%s %s %d %.1fms",
                    self.command,
                    template,
                    int(status),
                    (time.perf_counter() - started) * 1000.0,
                )

    def _send(
        self,
        status: HTTPStatus,
        body: bytes = b"",
        *,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if self._unread_body():
            self.close_connection = True  # else its bytes would be read as the next request
        self.send_response(status)
        if body or status != HTTPStatus.NO_CONTENT:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        # Head and body in one send: two small writes would meet Nagle's algorithm and the
        # client's delayed ACK, and each answer would wait about 40 ms.
        buffer = self.__dict__.setdefault("_headers_buffer", [])  # none for HTTP/0.9
        if self.request_version != "HTTP/0.9":
            buffer.append(b"\r\n")
        if body and self.command != "HEAD":
            buffer.append(body)
        self.flush_headers()

    def _send_json(self, status: HTTPStatus, data: Any, **kwargs: Any) -> HTTPStatus:
        if isinstance(data, BaseModel):
            try:
                body = data.model_dump_json().encode("utf-8")
            except PydanticSerializationError:  # a lone surrogate from the input: escape it
                body = json.dumps(data.model_dump(mode="json"), ensure_ascii=True).encode()
        else:
            body = json.dumps(data, ensure_ascii=True).encode()
        self._send(status, body, **kwargs)
        return status

    def _send_error_json(
        self,
        status: HTTPStatus,
        message: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if status >= 500 or status in (
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            HTTPStatus.LENGTH_REQUIRED,
        ):
            self.close_connection = True  # the body was not read: the connection is out of step
        payload = {"error": {"field": field, "message": message}}
        self._send(status, json.dumps(payload, ensure_ascii=True).encode(), headers=headers)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, unknown method, ...) as JSON too."""
        self.close_connection = True
        try:
            status = HTTPStatus(code)
        except ValueError:
            status = HTTPStatus.BAD_REQUEST
        text = message or status.phrase
        if code == HTTPStatus.NOT_IMPLEMENTED:
            text = "unsupported method"
        if self.request_version == "HTTP/0.9" or not getattr(self, "command", None):
            self.request_version = "HTTP/1.0"  # answer with a status line and headers anyway
        self._send_error_json(status, " ".join(text.split())[:300])

    def handle_expect_100(self) -> bool:
        """Refuse a body over the limit before the client sends it (no ``100 Continue``)."""
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = 0
        if length > self.server.max_body_bytes:
            self._send_error_json(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the request body must be at most {self.server.max_body_bytes} bytes; got {length}",
                field="body",
            )
            return False
        return super().handle_expect_100()

    def version_string(self) -> str:
        from . import __version__

        return f"{self.server_version}/{__version__}"

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: http.server would print the request line (with the session id) to stderr."""

    def log_error(self, format: str, *args: Any) -> None:
        logger.debug("connection error: %s", format.split("%", 1)[0].strip())

    # ------------------------------------------------------------ bodies

    def _read_json(self, *, required: bool) -> Any:
        if self.headers.get("Transfer-Encoding"):
            raise _HttpError(
                HTTPStatus.LENGTH_REQUIRED,
                "chunked request bodies are not supported; send a Content-Length",
                field="body",
            )
        raw_length = self.headers.get("Content-Length")
        try:
            length = 0 if raw_length is None else int(raw_length)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise _HttpError(
                HTTPStatus.BAD_REQUEST,
                f"Content-Length must be a byte count; got {raw_length[:40]!r}",
                field="body",
            ) from None
        if length > self.server.max_body_bytes:
            raise _HttpError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the request body must be at most {self.server.max_body_bytes} bytes; "
                f"got {length}",
                field="body",
            )
        raw = self.rfile.read(length) if length else b""
        self._body_read = True
        if len(raw) < length:
            self.close_connection = True
            raise _HttpError(HTTPStatus.BAD_REQUEST, "the request body ended early", field="body")
        if not raw:
            if required:
                raise _HttpError(HTTPStatus.BAD_REQUEST, "a JSON object is required", field="body")
            return {}
        content_type = self.headers.get_content_type()
        if content_type not in _JSON_TYPES and not content_type.endswith("+json"):
            raise _HttpError(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"Content-Type must be application/json; got {content_type[:80]!r}",
                field="Content-Type",
                headers={"Accept-Post": "application/json"},
            )
        charset = (self.headers.get_content_charset() or "utf-8").lower().replace("_", "-")
        if charset not in ("utf-8", "utf8"):
            raise _HttpError(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"JSON must be UTF-8; got charset {charset[:40]!r}",
                field="Content-Type",
            )
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            raise _HttpError(
                HTTPStatus.BAD_REQUEST, "the body is not UTF-8", field="body"
            ) from None
        except RecursionError:
            raise _HttpError(
                HTTPStatus.BAD_REQUEST, "the JSON is nested too deeply", field="body"
            ) from None
        except ValueError as exc:
            raise _HttpError(HTTPStatus.BAD_REQUEST, f"invalid JSON: {exc}", field="body") from None
        if not isinstance(data, dict):
            raise _HttpError(
                HTTPStatus.BAD_REQUEST,
                f"the body must be a JSON object; got {type(data).__name__}",
                field="body",
            )
        return data

    def _check_audio(self, turn: Turn, *, field: str) -> None:
        """Refuse audio paths unless the server has an audio root and the path is inside it."""
        if turn.audio is None:
            return
        root = self.server.audio_root
        if root is None:
            raise _HttpError(
                HTTPStatus.BAD_REQUEST,
                "this server reads no audio files (they would be files on the server); send the "
                "turn without 'audio', or start the server with --audio-root DIR",
                field=field,
            )
        path = Path(turn.audio.path)
        try:
            resolved = (path if path.is_absolute() else root / path).resolve()
        except (OSError, RuntimeError, ValueError):
            resolved = None
        if resolved is None or not resolved.is_relative_to(root):
            raise _HttpError(
                HTTPStatus.BAD_REQUEST,
                f"audio path {turn.audio.path[:120]!r} is outside the server's audio folder",
                field=f"{field}.path",
            )

    # ------------------------------------------------------------ endpoints

    def _health(self, *, query: Any) -> HTTPStatus:
        from . import __version__

        health = Health(
            version=__version__,
            model=getattr(self.server.detector, "model", "none"),
            sessions=len(self.server.store),
            max_sessions=self.server.store.max_sessions,
        )
        return self._send_json(HTTPStatus.OK, health)

    def _openapi(self, *, query: Any) -> HTTPStatus:
        self._send(HTTPStatus.OK, self.server.openapi_bytes())
        return HTTPStatus.OK

    def _assess(self, *, query: Any) -> HTTPStatus:
        data = self._read_json(required=True)
        turns = data.get("turns")
        if isinstance(turns, list) and len(turns) > MAX_ASSESS_TURNS:
            raise _HttpError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"a conversation may have at most {MAX_ASSESS_TURNS} turns; got {len(turns)}",
                field="turns",
            )
        conversation = _validate(Conversation, data)
        for i, turn in enumerate(conversation.turns):
            self._check_audio(turn, field=f"turns[{i}].audio")
        result = self.server.detector.assess(conversation, base_dir=self.server.audio_root)
        return self._send_json(HTTPStatus.OK, result)

    def _create(self, *, query: Any) -> HTTPStatus:
        request = _validate(SessionCreate, self._read_json(required=False))
        entry = self.server.store.create(request.language, request.id)
        info = SessionInfo(id=entry.id, language=request.language)
        return self._send_json(
            HTTPStatus.CREATED, info, headers={"Location": f"/v1/sessions/{entry.id}"}
        )

    def _turn(self, *, query: Any, id: str) -> HTTPStatus:
        data = self._read_json(required=True)
        entry, _ = self.server.store.get(id)
        turn = _validate(Turn, data)
        self._check_audio(turn, field="audio")
        with entry.lock:
            assessment = entry.session.add(turn)
            entry.record(turn, assessment)
        return self._send_json(HTTPStatus.OK, assessment)

    def _state(self, *, query: Any, id: str) -> HTTPStatus:
        entry, idle = self.server.store.get(id)
        with entry.lock:
            state = SessionState(
                id=entry.id,
                language=entry.session.language,
                turns_seen=entry.turns_seen,
                turns=tuple(entry.turns),
                last_assessment=entry.assessments[-1] if entry.assessments else None,
                decision=entry.decision,
                peak_score=entry.peak_score,
                peak_decision=entry.peak_decision,
                idle_s=idle,
            )
        return self._send_json(HTTPStatus.OK, state)

    def _delete(self, *, query: Any, id: str) -> HTTPStatus:
        self.server.store.delete(id)
        self._send(HTTPStatus.NO_CONTENT)
        return HTTPStatus.NO_CONTENT

    def _handoff(self, *, query: Any, id: str) -> HTTPStatus:
        fmt = (query.get("format") or ["json"])[-1]
        if fmt not in ("json", "text"):
            raise _HttpError(
                HTTPStatus.BAD_REQUEST,
                f"format must be 'json' or 'text'; got {fmt[:40]!r}",
                field="format",
            )
        entry, _ = self.server.store.get(id)
        packet = _build_packet(entry, redact=self.server.redact_handoff)
        if fmt == "text":
            body = packet.to_text().encode("utf-8", "backslashreplace")
            self._send(HTTPStatus.OK, body, content_type="text/plain; charset=utf-8")
            return HTTPStatus.OK
        return self._send_json(HTTPStatus.OK, packet)


def _validate(model: type[BaseModel], data: Any) -> Any:
    from .detector import validation_error

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def _build_packet(entry: _Entry, *, redact: bool) -> Any:
    """The handoff packet of a session: its kept turns, indices counted from the session's start."""
    from .handoff import build_packet

    with entry.lock:
        language = entry.session.language
        conversation = Conversation(id=entry.id, language=language, turns=tuple(entry.turns))
        assessment = ConversationAssessment(
            id=entry.id,
            language=language,
            escalation_score=entry.peak_score,
            decision=entry.peak_decision,
            decision_turn=entry.peak_turn,
            turns=tuple(entry.assessments),
        )
        first_turn = entry.turns_seen - len(entry.turns)
    return build_packet(conversation, assessment, redact=redact, first_turn=first_turn)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# ---------------------------------------------------------------- OpenAPI


def openapi_document() -> dict[str, Any]:
    """The service's OpenAPI 3.1 document, its schemas generated from the pydantic models."""
    from pydantic.json_schema import models_json_schema

    from . import __version__
    from .handoff import HandoffPacket

    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (Turn, "validation"),
        (Conversation, "validation"),
        (SessionCreate, "validation"),
        (Assessment, "serialization"),
        (ConversationAssessment, "serialization"),
        (SessionInfo, "serialization"),
        (SessionState, "serialization"),
        (Health, "serialization"),
        (ErrorResponse, "serialization"),
        (HandoffPacket, "serialization"),
    ]
    refs, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas = defs.get("$defs", {})

    def ref(model: type[BaseModel], mode: str) -> dict[str, Any]:
        return refs[(model, mode)]

    def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    error = ref(ErrorResponse, "serialization")

    def errors(*codes: int) -> dict[str, Any]:
        texts = {
            400: "invalid input (the field is named)",
            404: "no such session (never created, deleted, evicted or expired)",
            409: "a session with this id exists",
            411: "a chunked body (send Content-Length)",
            413: "the body (or the conversation) is too large",
            415: "the body is not UTF-8 application/json",
        }
        return {str(code): json_body(error, texts[code]) for code in codes}

    session_id = {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^" + SESSION_ID.pattern + "$"},
    }
    body_errors = (400, 411, 413, 415)
    paths: dict[str, Any] = {
        "/v1/sessions": {
            "post": {
                "operationId": "createSession",
                "summary": "Start a session (one conversation)",
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": ref(SessionCreate, "validation")}},
                },
                "responses": {
                    "201": json_body(ref(SessionInfo, "serialization"), "the session"),
                    **errors(*body_errors, 409),
                },
            }
        },
        "/v1/sessions/{id}": {
            "parameters": [session_id],
            "get": {
                "operationId": "getSession",
                "summary": "The session's state: last turns, last assessment, peak",
                "responses": {
                    "200": json_body(ref(SessionState, "serialization"), "the state"),
                    **errors(404),
                },
            },
            "delete": {
                "operationId": "deleteSession",
                "summary": "Forget the session",
                "responses": {"204": {"description": "deleted"}, **errors(404)},
            },
        },
        "/v1/sessions/{id}/turns": {
            "parameters": [session_id],
            "post": {
                "operationId": "addTurn",
                "summary": "Add a turn; returns the conversation's assessment after it",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref(Turn, "validation")}},
                },
                "responses": {
                    "200": json_body(ref(Assessment, "serialization"), "the assessment"),
                    **errors(*body_errors, 404),
                },
            },
        },
        "/v1/sessions/{id}/handoff": {
            "parameters": [session_id],
            "get": {
                "operationId": "getHandoff",
                "summary": "The handoff packet for a human agent (format=text: plain text)",
                "parameters": [
                    {
                        "name": "format",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["json", "text"], "default": "json"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "the packet",
                        "content": {
                            "application/json": {"schema": ref(HandoffPacket, "serialization")},
                            "text/plain": {"schema": {"type": "string"}},
                        },
                    },
                    **errors(400, 404),
                },
            },
        },
        "/v1/assess": {
            "post": {
                "operationId": "assessConversation",
                "summary": "Score a whole conversation at once (no session is kept)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref(Conversation, "validation")}},
                },
                "responses": {
                    "200": json_body(
                        ref(ConversationAssessment, "serialization"),
                        "the conversation's assessment",
                    ),
                    **errors(*body_errors),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "responses": {"200": json_body({"type": "object"}, "the OpenAPI document")},
            }
        },
        "/healthz": {
            "get": {
                "operationId": "getHealth",
                "summary": "Liveness, version and session count",
                "responses": {"200": json_body(ref(Health, "serialization"), "healthy")},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "empathy_signals",
            "version": __version__,
            "summary": "When a customer-care conversation needs a human, and why (fr, en).",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {"schemas": schemas},
    }


# ---------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``serve`` command's options."""
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default: {DEFAULT_HOST}, this machine only; "
        "the service has no authentication: expose it only behind a proxy)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on (default: {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument("--policy", metavar="FILE", help="policy file (TOML or JSON)")
    parser.add_argument(
        "--model",
        choices=("none", "e5-small"),
        default="none",
        help="text model (default: none; e5-small needs empathy-signals[model])",
    )
    parser.add_argument(
        "--max-sessions",
        type=int,
        default=MAX_SESSIONS,
        metavar="N",
        help=f"sessions held at once; one more evicts the least recently used "
        f"(default: {MAX_SESSIONS})",
    )
    parser.add_argument(
        "--session-ttl",
        type=float,
        default=SESSION_TTL_S,
        metavar="SECONDS",
        dest="session_ttl_s",
        help=f"drop a session unused this long (default: {SESSION_TTL_S:g})",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=MAX_BODY_BYTES,
        metavar="N",
        help=f"refuse larger request bodies with 413 (default: {MAX_BODY_BYTES})",
    )
    parser.add_argument(
        "--max-turns-kept",
        type=int,
        default=MAX_TURNS_KEPT,
        metavar="N",
        help="turns each session keeps for its state and handoff transcript "
        f"(default: {MAX_TURNS_KEPT})",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=MAX_CONNECTIONS,
        metavar="N",
        help=f"connections served at once; more get 503 (default: {MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--audio-root",
        metavar="DIR",
        default=None,
        help="the folder turns' audio files may be read from (default: none; "
        "turns with audio are refused: the paths would be server files)",
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="log each request's route, status and time to stderr (no session ids, no text)",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM); returns the exit code (0)."""
    import signal

    if args.access_log:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    server = make_server(
        args.host,
        args.port,
        policy=args.policy,
        model=args.model,
        max_sessions=args.max_sessions,
        session_ttl_s=args.session_ttl_s,
        max_body_bytes=args.max_body_bytes,
        max_turns_kept=args.max_turns_kept,
        max_connections=args.max_connections,
        audio_root=args.audio_root,
        access_log=args.access_log,
    )

    def _terminate(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread
        pass
    host = server.server_address[0]
    if host not in ("127.0.0.1", "::1", "localhost"):
        print(
            "empathy-signals: warning: listening beyond this machine; the service has no "
            "authentication or TLS, put it behind a proxy that has",
            file=sys.stderr,
        )
    print(f"empathy-signals: serving on {server.url} (Ctrl-C stops)", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print("empathy-signals: stopped", file=sys.stderr)
    return 0
