"""Suite-wide switches.

``EMPATHY_SIGNALS_BLOCK_NETWORK=1`` blocks outgoing network connections (IPv4/IPv6) for the
whole in-process test run: ``.ci/run`` sets it, so a test or a library path that reaches for the
network fails loudly instead of passing on a machine that happens to be online. The loopback
interface (``127.0.0.0/8``, ``::1``, ``localhost``) stays open: the HTTP service is tested
against a server on loopback, and Spark's driver talks to its local JVM there. Local
``AF_UNIX`` sockets (asyncio's self-pipe, multiprocessing) keep working. Python child processes
(``subprocess``, Spark's workers) get the same guard from ``tests/netguard/sitecustomize.py``,
which the suite puts first on ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

NETGUARD_DIR = Path(__file__).resolve().parent / "netguard"
sys.path.insert(0, str(NETGUARD_DIR))

from empathy_netguard import (  # noqa: E402
    BLOCK_NETWORK_ENV,
    NetworkBlockedError,
    install,
    is_loopback,
    network_blocked,
)

collect_ignore = ["netguard"]  # the guard's own files are not tests

__all__ = ["BLOCK_NETWORK_ENV", "NetworkBlockedError", "block_network", "is_loopback", "network_blocked"]

# In CI, Hypothesis draws the same examples every run: a red CI is reproducible, and a new
# failure is found by a developer's run (random by default), not by the gate.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every IPv4/IPv6 connect, connectionless send and name lookup raise, loopback excepted."""
    install(monkeypatch.setattr)


@pytest.fixture(autouse=True, scope="session")
def _no_network_when_asked():
    if not network_blocked():
        yield
        return
    patch = pytest.MonkeyPatch()
    block_network(patch)
    # children (subprocess, Spark workers) import tests/netguard/sitecustomize.py first
    paths = [str(NETGUARD_DIR), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    patch.setenv("PYTHONPATH", os.pathsep.join(paths))
    try:
        yield
    finally:
        patch.undo()
