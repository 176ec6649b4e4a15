"""Policy: which signals run, their weights in the fused logit, thresholds and overrides.

A policy is data. It reads from and writes to TOML (``Policy.load`` / ``Policy.dump``) and
round-trips exactly; the defaults ship as ``empathy_signals/data/default_policy.toml``, with
a comment on every hand-set weight, and ``Policy()`` equals ``Policy.default()`` (a test
keeps the two in step).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import PolicyError
from .schema import EMOTIONS, TOPICS

__all__ = ["Limits", "Overrides", "Policy", "Privacy", "Signal", "Thresholds", "Weights"]

Signal = Literal["human_request", "topics", "sentiment", "emotion", "friction", "prosody", "model"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Weights(_Strict):
    """Coefficients of the additive logit (see ``docs/fusion.md``)."""

    bias: float = -3.0
    human_request: float = 2.5
    #: Each explicit request after the first adds this fraction of ``human_request`` more.
    human_request_repeat_gain: float = 0.5
    #: Applied to ``max(0, -valence)``: only negativity raises the score.
    negative_valence: float = 1.2
    emotion: dict[str, float] = Field(
        default_factory=lambda: {
            "anger": 1.6,
            "frustration": 1.4,
            "sadness": 0.6,
            "fear": 0.8,
            "confusion": 0.5,
            "joy": -0.6,
            "gratitude": -0.8,
            "neutral": 0.0,
        }
    )
    topics: dict[str, float] = Field(
        default_factory=lambda: {
            "self_harm": 5.0,
            "bereavement": 1.5,
            "health": 0.8,
            "financial_hardship": 1.2,
            "fraud_security": 1.5,
            "legal_threat": 2.0,
            "complaint": 1.2,
            "cancellation": 0.8,
            "vulnerability": 1.5,
            "large_purchase": 0.8,
            "account_change": 0.8,
        }
    )
    friction: float = 2.0
    #: Applied to ``arousal - prosody_neutral``: a voice above the caller's usual arousal raises the score.
    prosody_arousal: float = 2.0
    #: The arousal of a voice exactly like the caller's usual one (see empathy_signals.audio).
    prosody_neutral: float = Field(0.18, ge=0.0, le=1.0)
    #: Share of the text model in the fused valence, emotion and topic scores (0: lexicons only).
    model_blend: float = Field(0.5, ge=0.0, le=1.0)
    #: A model probability of a human request at least this high counts as a request even
    #: when no lexicon entry fired.
    model_request_threshold: float = Field(0.7, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _known_keys(self) -> Weights:
        for field, known in (("emotion", EMOTIONS), ("topics", TOPICS)):
            unknown = sorted(set(getattr(self, field)) - set(known))
            if unknown:
                raise ValueError(
                    f"weights.{field} has unknown keys {unknown}; known: {list(known)}"
                )
        return self


class Thresholds(_Strict):
    """Score thresholds of the decisions and the hysteresis that holds them."""

    offer_human: float = Field(0.5, gt=0.0, lt=1.0)
    escalate: float = Field(0.8, gt=0.0, lt=1.0)
    #: A held decision is released only when the score falls this far below its threshold ...
    release_margin: float = Field(0.15, ge=0.0, lt=1.0)
    #: ... on this many consecutive customer turns.
    release_after_turns: int = Field(2, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.escalate <= self.offer_human:
            raise ValueError(
                f"thresholds.escalate ({self.escalate}) must be greater than "
                f"thresholds.offer_human ({self.offer_human})"
            )
        return self


class Overrides(_Strict):
    """Rules that set a decision whatever the score."""

    #: Topics that escalate at once and are never released (self-harm, crisis).
    escalate_topics: tuple[str, ...] = ("self_harm",)
    #: Topics where the customer should at least be offered a human.
    offer_topics: tuple[str, ...] = (
        "bereavement",
        "health",
        "financial_hardship",
        "fraud_security",
        "legal_threat",
        "complaint",
        "vulnerability",
        "large_purchase",
        "account_change",
    )
    #: Explicit human requests that offer a human (1: the first request) ...
    offer_on_request_count: int = Field(1, ge=1)
    #: ... and that escalate (2: the second request).
    escalate_on_request_count: int = Field(2, ge=1)

    @model_validator(mode="after")
    def _known_topics(self) -> Overrides:
        for field in ("escalate_topics", "offer_topics"):
            unknown = sorted(set(getattr(self, field)) - set(TOPICS))
            if unknown:
                raise ValueError(
                    f"overrides.{field} has unknown topics {unknown}; known: {list(TOPICS)}"
                )
        return self


class Limits(_Strict):
    """Bounds on what one turn may cost (see ``docs/reliability.md``)."""

    #: A customer turn longer than this is scored on its first and last halves of this many
    #: characters (the middle is left out, offsets are kept) and says so in ``truncated``.
    max_text_chars: int = Field(100_000, ge=1_000, le=10_000_000)
    #: A turn's audio longer than this gets a neutral prosody ("too long"); a file's length is
    #: read from its header, so nothing is decoded.
    max_turn_audio_s: float = Field(600.0, gt=0.0, le=86_400.0)


class Privacy(_Strict):
    """What personal data may leave the library in clear."""

    #: Replace e-mails, phone numbers, IBANs, card numbers, French social-security numbers, ...
    #: (``empathy_signals.redact``) in evidence quotes and handoff packets.
    redact_pii: bool = True


class Policy(_Strict):
    """Everything that turns signals into a decision, as data."""

    version: int = 1
    #: Languages the detector accepts; ``auto`` detection chooses among them.
    languages: tuple[Literal["fr", "en"], ...] = ("fr", "en")
    #: Language used when detection has no evidence either way.
    default_language: Literal["fr", "en"] = "fr"
    #: Signals switched on. ``prosody`` off (or ``text_only``) means no audio is ever read.
    signals: dict[Signal, bool] = Field(
        default_factory=lambda: {s: True for s in Signal.__args__}  # type: ignore[attr-defined]
    )
    #: Voice analysis off: no audio is read, whatever the turns reference.
    text_only: bool = False
    weights: Weights = Weights()
    thresholds: Thresholds = Thresholds()
    overrides: Overrides = Overrides()
    limits: Limits = Limits()
    privacy: Privacy = Privacy()

    @model_validator(mode="after")
    def _default_in_languages(self) -> Policy:
        if self.default_language not in self.languages:
            raise ValueError(
                f"default_language ({self.default_language!r}) must be one of languages {list(self.languages)}"
            )
        return self

    def enabled(self, signal: Signal) -> bool:
        """Whether ``signal`` runs under this policy."""
        if signal == "prosody" and self.text_only:
            return False
        return self.signals.get(signal, True)

    # ------------------------------------------------------------ I/O

    @classmethod
    def default(cls) -> Policy:
        """The policy that ships with the package."""
        text = (
            resources.files("empathy_signals")
            .joinpath("data")
            .joinpath("default_policy.toml")
            .read_text("utf-8")
        )
        return cls.from_toml(text, source="default_policy.toml")

    @classmethod
    def from_toml(cls, text: str, *, source: str = "<string>") -> Policy:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"{source}: not valid TOML: {exc}") from None
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "<dict>") -> Policy:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']} (got {err.get('input')!r})"
                for err in exc.errors()
            )
            raise PolicyError(f"{source}: invalid policy: {problems}") from None

    @classmethod
    def load(cls, path: str | Path) -> Policy:
        """Read a policy from a TOML (or JSON, by extension) file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(f"cannot read policy file {str(path)!r}: {exc}") from None
        if path.suffix.lower() == ".json":
            try:
                return cls.from_dict(json.loads(text), source=str(path))
            except json.JSONDecodeError as exc:
                raise PolicyError(f"{path}: not valid JSON: {exc}") from None
        return cls.from_toml(text, source=str(path))

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(self.model_dump(mode="json"))

    def dump(self, path: str | Path) -> None:
        """Write this policy as TOML (or JSON, by extension)."""
        path = Path(path)
        if path.suffix.lower() == ".json":
            path.write_text(
                json.dumps(self.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8"
            )
        else:
            path.write_text(self.to_toml(), encoding="utf-8")

    @property
    def sha256(self) -> str:
        """Hash of the policy's content (recorded with benchmark results)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()
