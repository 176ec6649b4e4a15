"""One exception root for the library.

Every error the library raises on purpose derives from :class:`EmpathySignalsError`.
Messages quote the field, the constraint and the bad value, in the style of
scikit-learn's parameter validation::

    InputError: turns[3].speaker must be one of 'customer', 'agent', 'bot'; got 'client'.
"""

from __future__ import annotations

__all__ = ["EmpathySignalsError", "InputError", "MissingExtraError", "ModelError", "PolicyError"]


class EmpathySignalsError(Exception):
    """Root of every error raised by empathy_signals."""


class InputError(EmpathySignalsError, ValueError):
    """Input that does not match the documented format (names the field and the value)."""

    def __init__(self, message: str, *, field: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class PolicyError(EmpathySignalsError, ValueError):
    """A policy file or value that is not valid."""


class ModelError(EmpathySignalsError, RuntimeError):
    """A model artifact that is missing, corrupt (hash mismatch) or cannot be loaded."""


class MissingExtraError(EmpathySignalsError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(
            f"{feature} needs optional dependencies that are not installed; "
            f"install them with: pip install 'empathy-signals[{extra}]'"
        )
        self.feature = feature
        self.extra = extra
