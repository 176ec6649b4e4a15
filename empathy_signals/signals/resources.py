"""Per-language resources (compiled lexicons, tables), loaded once and shared read-only."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ..lexicons import Lexicon, load_lexicon

__all__ = ["LanguagePack"]

T = TypeVar("T")


class LanguagePack:
    """The resources of one language. Safe to share across threads once built."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._resources: dict[str, Any] = {}
        self._lock = threading.RLock()

    def lexicon(self, name: str) -> Lexicon:
        """Package lexicon ``<language>/<name>.txt`` (``name`` may include a folder)."""
        return self.resource(f"lexicon:{name}", lambda language: load_lexicon(language, name))

    def resource(self, key: str, factory: Callable[[str], T]) -> T:
        """Build ``factory(language)`` once under ``key`` and return it thereafter."""
        try:
            return self._resources[key]
        except KeyError:
            with self._lock:
                if key not in self._resources:
                    self._resources[key] = factory(self.language)
                return self._resources[key]
