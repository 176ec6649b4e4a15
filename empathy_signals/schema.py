"""Input and output types: frozen pydantic models, unknown keys rejected, no NaN.

Input: :class:`Turn`, :class:`Conversation`.
Output: :class:`Assessment` per turn (with :class:`Signals`, :class:`Reason` and
:class:`Evidence`) and :class:`ConversationAssessment` per conversation. The JSON Schema
of both is published in ``docs/schema/`` (``empathy-signals schema`` regenerates it).

The output keys are a contract that other tools read: keys may be added, never renamed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "DECISIONS",
    "EMOTIONS",
    "TOPICS",
    "Assessment",
    "AudioRef",
    "Conversation",
    "ConversationAssessment",
    "Decision",
    "EmotionScores",
    "EmotionSignal",
    "Evidence",
    "FrictionSignal",
    "HumanRequestSignal",
    "Language",
    "ModelSignal",
    "ProsodySignal",
    "Reason",
    "SentimentSignal",
    "Signals",
    "Speaker",
    "TopicsSignal",
    "Turn",
]

Speaker = Literal["customer", "agent", "bot"]
Language = Literal["fr", "en"]
Decision = Literal["continue", "offer_human", "escalate"]
#: Decisions from the mildest to the most severe.
DECISIONS: tuple[Decision, ...] = ("continue", "offer_human", "escalate")
EmotionLabel = Literal[
    "anger", "frustration", "sadness", "fear", "confusion", "joy", "gratitude", "neutral"
]
EMOTIONS: tuple[str, ...] = (
    "anger",
    "frustration",
    "sadness",
    "fear",
    "confusion",
    "joy",
    "gratitude",
    "neutral",
)
TopicId = Literal[
    "bereavement",
    "health",
    "financial_hardship",
    "fraud_security",
    "legal_threat",
    "complaint",
    "cancellation",
    "self_harm",
    "vulnerability",
    "large_purchase",
    "account_change",
]
TOPICS: tuple[str, ...] = TopicId.__args__  # type: ignore[attr-defined]

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Signed = Annotated[float, Field(ge=-1.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


# ---------------------------------------------------------------- input


class AudioRef(_Frozen):
    """Where a turn's audio is: a WAV/FLAC ``path`` (relative paths resolve against the
    input file), optionally a segment ``start``..``end`` in seconds of a longer recording."""

    path: str = Field(min_length=1)
    start: NonNegative | None = None
    end: NonNegative | None = None

    @model_validator(mode="after")
    def _segment(self) -> AudioRef:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be greater than start ({self.start})")
        return self


class Turn(_Frozen):
    """One turn of a conversation."""

    speaker: Speaker
    text: str = ""
    audio: AudioRef | None = None
    timestamp: datetime | float | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Conversation(_Frozen):
    """A whole conversation; ``language`` ``auto`` detects French or English."""

    id: str = Field(min_length=1)
    language: Literal["fr", "en", "auto"] = "auto"
    turns: tuple[Turn, ...] = ()


# ---------------------------------------------------------------- signals


class HumanRequestSignal(_Frozen):
    detected: bool
    score: Unit
    #: Explicit requests for a human so far in the session, this turn included.
    count: int = Field(ge=0)


class SentimentSignal(_Frozen):
    label: Literal["negative", "neutral", "positive"]
    valence: Signed


class EmotionScores(_Frozen):
    anger: Unit = 0.0
    frustration: Unit = 0.0
    sadness: Unit = 0.0
    fear: Unit = 0.0
    confusion: Unit = 0.0
    joy: Unit = 0.0
    gratitude: Unit = 0.0
    neutral: Unit = 1.0


class EmotionSignal(_Frozen):
    label: EmotionLabel
    scores: EmotionScores


class TopicsSignal(_Frozen):
    detected: tuple[TopicId, ...] = ()
    scores: dict[TopicId, Unit] = Field(default_factory=dict)


class FrictionSignal(_Frozen):
    score: Unit


class ProsodySignal(_Frozen):
    arousal: Unit
    features: dict[str, float] = Field(default_factory=dict)
    #: Set when the audio could not be analysed (silence, too short, unreadable, ...).
    neutral_reason: str | None = None


class ModelSignal(_Frozen):
    """What the embedded text model saw in the turn, before fusion with the lexicons."""

    human_request: Unit
    valence: Signed
    emotion: dict[EmotionLabel, Unit] = Field(default_factory=dict)
    topics: dict[TopicId, Unit] = Field(default_factory=dict)


class Signals(_Frozen):
    """The signals of one customer turn (agent and bot turns are never scored).

    With the text model on, ``human_request``, ``sentiment``, ``emotion`` and ``topics``
    hold the fused values (lexicons and model) and ``model`` what the model alone saw.
    """

    human_request: HumanRequestSignal
    sentiment: SentimentSignal
    emotion: EmotionSignal
    topics: TopicsSignal
    friction: FrictionSignal
    prosody: ProsodySignal | None = None
    model: ModelSignal | None = None


# ---------------------------------------------------------------- explanations


class Evidence(_Frozen):
    """What in the conversation made a signal fire."""

    turn: int = Field(ge=0)
    #: Character span ``[start, end)`` in that turn's text.
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    #: The lexicon entry (``fr/human_request.txt:12``) or rule (``rule:...``) that fired.
    source: str


class Reason(_Frozen):
    """One signal's part in the score, with a message in the conversation's language."""

    signal: str
    contribution: float
    message: str
    evidence: tuple[Evidence, ...] = ()


class Assessment(_Frozen):
    """The state of a conversation after one turn."""

    index: int = Field(ge=0)
    speaker: Speaker
    escalation_score: Unit
    decision: Decision
    signals: Signals | None
    reasons: tuple[Reason, ...] = ()
    #: Fused logit: ``bias + sum(reason.contribution for reason in reasons)``.
    logit: float
    bias: float
    #: Which rule set the decision: ``threshold``, ``hysteresis`` or ``override:<name>``.
    decision_rule: str = "threshold"
    #: Set when the turn could not be scored normally (empty text, ...): why it is neutral.
    neutral_reason: str | None = None
    #: Set when a limit of the policy cut the turn (``limits.max_text_chars``): what was left out.
    truncated: str | None = None


class ConversationAssessment(_Frozen):
    """A whole conversation: the peak score, the most severe decision, every turn."""

    id: str
    language: Language
    escalation_score: Unit
    decision: Decision
    #: Index of the first turn whose decision was the conversation's decision.
    decision_turn: int | None = None
    turns: tuple[Assessment, ...] = ()
