"""Suite-wide switches.

``EMPATHY_SIGNALS_BLOCK_NETWORK=1`` blocks outgoing network connections (IPv4/IPv6) for the
whole in-process test run: ``.ci/run`` sets it, so a test or a library path that reaches for the
network fails loudly instead of passing on a machine that happens to be online. The loopback
interface (``127.0.0.0/8``, ``::1``, ``localhost``) stays open: the HTTP service is tested
against a server on loopback, and Spark's driver talks to its local JVM there. Local
``AF_UNIX`` sockets (asyncio's self-pipe, multiprocessing) keep working. Child processes started
with ``subprocess`` are not covered (see docs/reliability.md).
"""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest
from hypothesis import settings

BLOCK_NETWORK_ENV = "EMPATHY_SIGNALS_BLOCK_NETWORK"

# In CI, Hypothesis draws the same examples every run: a red CI is reproducible, and a new
# failure is found by a developer's run (random by default), not by the gate.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


class NetworkBlockedError(RuntimeError):
    """Raised by a network call while the test suite blocks the network."""


def network_blocked() -> bool:
    return os.environ.get(BLOCK_NETWORK_ENV, "") not in ("", "0")


LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: object) -> bool:
    """``host`` (a name, an address, or bytes of either) is this machine's loopback interface."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _host_of(address: object) -> object:
    return address[0] if isinstance(address, tuple) and address else None


def block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every IPv4/IPv6 connect, connectionless send and name lookup raise, loopback excepted."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_create_connection = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo

    def _refuse(what: str, address: object) -> NetworkBlockedError:
        return NetworkBlockedError(f"network access blocked in tests ({BLOCK_NETWORK_ENV}): {what} {address!r}")

    def connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(_host_of(address)):
            raise _refuse("connect", address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(_host_of(address)):
            raise _refuse("connect_ex", address)
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, *args: object) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(_host_of(args[-1])):
            raise _refuse("sendto", args[-1])
        return real_sendto(self, *args)  # type: ignore[arg-type]

    def create_connection(address: object, *args: object, **kwargs: object) -> socket.socket:
        if not is_loopback(_host_of(address)):
            raise _refuse("create_connection", address)
        return real_create_connection(address, *args, **kwargs)  # type: ignore[arg-type]

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        if host is not None and not is_loopback(host):
            raise _refuse("getaddrinfo", host)
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(autouse=True, scope="session")
def _no_network_when_asked():
    if not network_blocked():
        yield
        return
    patch = pytest.MonkeyPatch()
    block_network(patch)
    try:
        yield
    finally:
        patch.undo()
