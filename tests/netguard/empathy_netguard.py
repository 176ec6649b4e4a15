"""The network guard of the test suite, for the test process and its children.

``tests/conftest.py`` installs it in the pytest process; ``sitecustomize.py`` beside it installs
it in every Python child process the tests start (the suite puts this folder first on
``PYTHONPATH``), so a subprocess, a Spark worker or ``python -m empathy_signals`` started by a
test is held to the same rule: no connection and no name lookup except to loopback.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable

BLOCK_NETWORK_ENV = "EMPATHY_SIGNALS_BLOCK_NETWORK"


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


def install(setattr_: Callable[[object, str, object], None] = setattr) -> None:
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

    setattr_(socket.socket, "connect", connect)
    setattr_(socket.socket, "connect_ex", connect_ex)
    setattr_(socket.socket, "sendto", sendto)
    setattr_(socket, "create_connection", create_connection)
    setattr_(socket, "getaddrinfo", getaddrinfo)
