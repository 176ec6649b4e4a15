"""The handoff packet: what a human agent needs to take over without the customer repeating themself.

When a conversation reaches ``offer_human`` or ``escalate``, :func:`build_packet` turns the
conversation and its :class:`~empathy_signals.schema.ConversationAssessment` into a
:class:`HandoffPacket`: why it arrived (the reasons of the decisive turn), in what mood (the
emotional context), what the customer's issue is (a short extractive summary: their own
sentences, never generated text), what the bot already tried, the topics, the transcript, and a
line for the bot to tell the customer in their language. Personal data (e-mails, phone numbers,
IBANs, cards, social-security numbers, ...) is redacted everywhere in the packet unless asked
otherwise (see :mod:`empathy_signals.redact`). ``packet.to_text()`` is the readable form.

>>> from empathy_signals import Detector
>>> conversation = {"id": "c1", "language": "fr", "turns": [
...     {"speaker": "bot", "text": "Bonjour, que puis-je faire pour vous ?"},
...     {"speaker": "customer", "text": "On m'a prélevé deux fois 89 euros. Mon e-mail : jo@exemple.fr"},
...     {"speaker": "bot", "text": "Je n'ai pas compris votre demande."},
...     {"speaker": "customer", "text": "Je veux parler à un conseiller !"}]}
>>> packet = build_packet(conversation, Detector().assess(conversation))
>>> packet.decision, packet.suggested_line
('offer_human', 'Souhaitez-vous que je vous mette en relation avec un conseiller ? Il aura tout le contexte de notre échange.')
>>> packet.issue_summary
"On m'a prélevé deux fois 89 euros. Mon e-mail : [EMAIL]"
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import explain
from .errors import InputError
from .fusion import severity
from .schema import (
    Assessment,
    Conversation,
    ConversationAssessment,
    Decision,
    EmotionLabel,
    Language,
    Reason,
    Speaker,
    TopicId,
)
from .text import fold

__all__ = [
    "EmotionalContext",
    "HandoffPacket",
    "TranscriptLine",
    "build_packet",
    "suggested_line",
]

#: Sentences of the customer's kept in the issue summary ...
SUMMARY_SENTENCES = 2
#: ... each cut to this many characters.
SUMMARY_SENTENCE_CHARS = 240
#: Bot turns listed under "what the bot already tried" (the last ones, distinct) ...
BOT_ATTEMPTS = 5
#: ... each cut to this many characters.
BOT_ATTEMPT_CHARS = 160
#: Turns kept in the transcript (the last ones; the count left out is recorded).
TRANSCRIPT_TURNS = 200
#: Characters kept of each transcript turn.
TRANSCRIPT_TURN_CHARS = 2_000
#: Reasons listed (the decisive turn's, strongest first).
PACKET_REASONS = 5
#: A sentence needs this many words of three letters or more to summarise an issue.
MIN_SUMMARY_WORDS = 3
#: Valence change between the first and the last customer turn that counts as a trend.
TREND_MIN = 0.25
#: Voice arousal at or above this is described as agitated.
AGITATED_AROUSAL = 0.5

#: Summary score of a sentence per piece of evidence it holds, by signal.
_EVIDENCE_WEIGHT = {"topics": 6, "emotion": 2, "sentiment": 2, "friction": -4}
#: Summary bonus of the customer's first turn (one less for each later one).
EARLY_BONUS = 3

_NEGATIVE_EMOTIONS = ("anger", "frustration", "sadness", "fear", "confusion")
#: A sentence ends at . ! ? followed by a space or the end ("jo@exemple.fr" and "3.5" stay whole).
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=[^\s.!?]))+[.!?]*")
_WORD = re.compile(r"\w{3,}")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class TranscriptLine(_Frozen):
    index: int = Field(ge=0)
    speaker: Speaker
    text: str


class EmotionalContext(_Frozen):
    """The customer's mood over the conversation (agent and bot turns are never scored)."""

    #: The strongest negative emotion seen in a customer turn (``neutral`` when none).
    dominant: EmotionLabel
    intensity: float = Field(ge=0.0, le=1.0)
    #: The emotion of the last customer turn.
    last: EmotionLabel
    valence_first: float | None = Field(default=None, ge=-1.0, le=1.0)
    valence_last: float | None = Field(default=None, ge=-1.0, le=1.0)
    trend: Literal["worsening", "improving", "stable"]
    #: The highest voice arousal measured (``None``: no usable audio).
    voice_arousal: float | None = Field(default=None, ge=0.0, le=1.0)
    #: The same, as a sentence in the conversation's language.
    description: str


class HandoffPacket(_Frozen):
    """Everything a human agent needs to take over; see :func:`build_packet`."""

    conversation_id: str
    language: Language
    decision: Decision
    escalation_score: float = Field(ge=0.0, le=1.0)
    #: The first turn that reached the decision (``None`` when it is ``continue``).
    decision_turn: int | None = None
    #: The rule that set it there (``threshold``, ``override:self_harm``, ...).
    decision_rule: str | None = None
    #: Why: the reasons of the decisive turn (or of the highest-scoring one), strongest first.
    reasons: tuple[Reason, ...] = ()
    emotional_context: EmotionalContext
    #: The customer's own sentences that state the issue best (extractive, redacted).
    issue_summary: str
    #: What the bot already said or tried (its last distinct turns, redacted).
    bot_attempts: tuple[str, ...] = ()
    #: Bot turns the customer's friction points at (the bot did not understand).
    bot_failures: int = Field(0, ge=0)
    topics: tuple[TopicId, ...] = ()
    #: Explicit requests for a human.
    human_requests: int = Field(0, ge=0)
    transcript: tuple[TranscriptLine, ...] = ()
    #: Earlier turns left out of ``transcript`` (it keeps the last :data:`TRANSCRIPT_TURNS`).
    transcript_turns_omitted: int = Field(0, ge=0)
    #: What the bot can tell the customer now, in their language (``None`` for ``continue``).
    suggested_line: str | None = None
    #: Whether personal data was redacted, and how many items of each kind the transcript held.
    redacted: bool
    pii_redacted: dict[str, int] = Field(default_factory=dict)

    def to_text(self) -> str:
        """The packet as a block of text an agent reads at a glance, in its language."""
        return _render_text(self)


# ---------------------------------------------------------------- building


def build_packet(
    conversation: Conversation | Mapping[str, Any],
    assessment: ConversationAssessment,
    *,
    redact: bool = True,
    first_turn: int = 0,
) -> HandoffPacket:
    """The handoff packet of ``conversation`` as ``assessment`` scored it.

    ``assessment`` must come from this very conversation (same id, one assessment per turn).
    With ``redact`` (the default) personal data is replaced everywhere in the packet.
    ``first_turn`` is the index of ``conversation.turns[0]`` when only the last turns of a
    longer conversation are given (a long session keeps a bounded tail): indices in the packet
    still count from the conversation's start, and evidence quoting an earlier turn, which the
    packet cannot show, is left out.
    """
    if not isinstance(conversation, Conversation):
        from .detector import validation_error

        try:
            conversation = Conversation.model_validate(conversation)
        except ValidationError as exc:
            raise validation_error(exc, prefix="conversation.") from None
    if first_turn < 0 or (assessment.turns and assessment.turns[0].index != first_turn):
        raise InputError(
            f"first_turn must be the index of the first assessed turn; got {first_turn!r}",
            field="first_turn",
            value=first_turn,
        )
    if assessment.id != conversation.id or len(assessment.turns) != len(conversation.turns):
        raise InputError(
            f"assessment does not belong to the conversation: ids {assessment.id!r} / "
            f"{conversation.id!r}, {len(assessment.turns)} / {len(conversation.turns)} turns",
            field="assessment.id",
            value=assessment.id,
        )
    language = assessment.language
    found: Counter[str] = Counter()
    clean = _Cleaner(redact, found)

    decisive = _decisive_turn(assessment, first_turn)
    reasons = tuple(
        _clean_reason(r, clean, first_turn)
        for r in (decisive.reasons if decisive else ())[:PACKET_REASONS]
    )
    customer = [a for a in assessment.turns if a.speaker == "customer" and a.signals is not None]
    topics = tuple(
        dict.fromkeys(t for a in customer for t in a.signals.topics.detected)  # type: ignore[union-attr]
    )
    kept = conversation.turns[-TRANSCRIPT_TURNS:]
    first_kept = len(conversation.turns) - len(kept)
    transcript = tuple(
        TranscriptLine(index=first_turn + first_kept + i, speaker=t.speaker,
                       text=clean(_cut(t.text, TRANSCRIPT_TURN_CHARS), count=True))
        for i, t in enumerate(kept)
    )
    bot_turns = [i for i, t in enumerate(conversation.turns) if t.speaker == "bot" and t.text.strip()]
    attempts = list(
        dict.fromkeys(clean(_cut(conversation.turns[i].text.strip(), BOT_ATTEMPT_CHARS))
                      for i in bot_turns)
    )[-BOT_ATTEMPTS:]
    bot_indices = {first_turn + i for i in bot_turns}
    failed = {
        e.turn
        for a in customer
        for r in a.reasons
        if r.signal == "friction"
        for e in r.evidence
        if e.turn in bot_indices
    }
    return HandoffPacket(
        conversation_id=conversation.id,
        language=language,
        decision=assessment.decision,
        escalation_score=assessment.escalation_score,
        decision_turn=assessment.decision_turn,
        decision_rule=decisive.decision_rule if decisive and assessment.decision != "continue" else None,
        reasons=reasons,
        emotional_context=_emotional_context(customer, language),
        issue_summary=clean(_summary(conversation, assessment, first_turn)),
        bot_attempts=tuple(attempts),
        bot_failures=len(failed),
        topics=topics,  # type: ignore[arg-type]
        human_requests=max((a.signals.human_request.count for a in customer), default=0),  # type: ignore[union-attr]
        transcript=transcript,
        transcript_turns_omitted=first_turn + first_kept,
        suggested_line=suggested_line(language, assessment.decision, topics),
        redacted=redact,
        pii_redacted=dict(sorted(found.items())),
    )


class _Cleaner:
    """Redacts (or not) and counts what it replaced."""

    def __init__(self, on: bool, found: Counter[str]) -> None:
        self.on = on
        self.found = found

    def __call__(self, text: str, *, count: bool = False) -> str:
        if not self.on or not text:
            return text
        from .redact import find_pii, redact

        if count:  # the transcript: each item once (quotes elsewhere repeat it)
            self.found.update(s.kind for s in find_pii(text))
        return redact(text)


def _clean_reason(reason: Reason, clean: _Cleaner, first_turn: int) -> Reason:
    """The reason with its evidence of turns before ``first_turn`` left out, and redacted."""
    evidence = tuple(e for e in reason.evidence if e.turn >= first_turn)
    if not clean.on and len(evidence) == len(reason.evidence):
        return reason
    if clean.on:
        evidence = tuple(e.model_copy(update={"text": clean(e.text)}) for e in evidence)
    return reason.model_copy(update={"message": clean(reason.message), "evidence": evidence})


def _decisive_turn(assessment: ConversationAssessment, first_turn: int) -> Assessment | None:
    """The customer turn that reached the decision, else (also when that turn is before
    ``first_turn``) the highest-scoring customer turn."""
    customer = [a for a in assessment.turns if a.speaker == "customer"]
    if not customer:
        return None
    if assessment.decision_turn is not None and assessment.decision_turn >= first_turn:
        return assessment.turns[assessment.decision_turn - first_turn]
    return max(customer, key=lambda a: (a.escalation_score, -a.index))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------- the issue, extractively


def _summary(conversation: Conversation, assessment: ConversationAssessment, first_turn: int) -> str:
    """The customer's sentences that say the most about the issue, in their order.

    A sentence scores by its words (three letters or more, each counted once, capped at 12),
    plus :data:`_EVIDENCE_WEIGHT` for each piece of evidence it holds (a topic counts most;
    "I already said it" counts against), plus a bonus for the customer's first turns, where
    the issue is usually stated. A sentence that only asks for a human or is too short
    (greetings) is left out. Falls back to the customer's longest turn.
    """
    evidence: dict[int, list[tuple[int, int, str]]] = {}
    for a in assessment.turns:
        for r in a.reasons:
            for e in r.evidence:
                evidence.setdefault(e.turn, []).append((e.start, e.end, r.signal))
    candidates: list[tuple[float, int, int, str]] = []
    customer_seen: dict[int, int] = {}
    for index, turn in enumerate(conversation.turns):
        if turn.speaker != "customer":
            continue
        spans = evidence.get(first_turn + index, [])
        for match in _SENTENCE.finditer(turn.text):
            sentence = match.group().strip()
            words = set(_WORD.findall(fold(sentence)))
            if len(words) < MIN_SUMMARY_WORDS:
                continue
            inside = [s for s in spans if s[0] >= match.start() and s[1] <= match.end()]
            request_chars = sum(e - s for s, e, sig in inside if sig == "human_request")
            if request_chars and len(words) < 8:
                continue  # "je veux parler à un conseiller": the reason, not the issue
            score = min(len(words), 12) + sum(_EVIDENCE_WEIGHT.get(sig, 0) for _, _, sig in inside)
            order = customer_seen.setdefault(index, len(customer_seen))
            score += max(0, EARLY_BONUS - order)  # the issue is usually stated first
            candidates.append((score, index, match.start(), sentence))
    if not candidates:
        texts = [t.text.strip() for t in conversation.turns if t.speaker == "customer"]
        return _cut(max(texts, key=len, default=""), SUMMARY_SENTENCE_CHARS)
    best = sorted(candidates, key=lambda c: (-c[0], c[1], c[2]))[:SUMMARY_SENTENCES]
    best.sort(key=lambda c: (c[1], c[2]))
    return " ".join(_cut(c[3], SUMMARY_SENTENCE_CHARS) for c in best)


# ---------------------------------------------------------------- mood


def _emotional_context(customer: list[Assessment], language: str) -> EmotionalContext:
    dominant, intensity = "neutral", 0.0
    for a in customer:
        scores = a.signals.emotion.scores  # type: ignore[union-attr]
        for emotion in _NEGATIVE_EMOTIONS:
            value = getattr(scores, emotion)
            if value > intensity:
                dominant, intensity = emotion, value
    valences = [a.signals.sentiment.valence for a in customer if a.neutral_reason is None]  # type: ignore[union-attr]
    first = valences[0] if valences else None
    last_valence = valences[-1] if valences else None
    trend = "stable"
    if first is not None and last_valence is not None and len(valences) > 1:
        change = last_valence - first
        trend = "worsening" if change <= -TREND_MIN else "improving" if change >= TREND_MIN else "stable"
    arousals = [
        a.signals.prosody.arousal  # type: ignore[union-attr]
        for a in customer
        if a.signals.prosody is not None and not a.signals.prosody.neutral_reason  # type: ignore[union-attr]
    ]
    voice = max(arousals) if arousals else None
    last = customer[-1].signals.emotion.label if customer else "neutral"  # type: ignore[union-attr]
    return EmotionalContext(
        dominant=dominant,  # type: ignore[arg-type]
        intensity=intensity,
        last=last,
        valence_first=first,
        valence_last=last_valence,
        trend=trend,  # type: ignore[arg-type]
        voice_arousal=voice,
        description=_describe_mood(language, dominant, intensity, trend, voice),
    )


_MOOD = {
    "fr": {
        "calm": "Client calme",
        "emotion": "Client : {emotion} ({intensity:.2f})",
        "worsening": "ton de plus en plus négatif",
        "improving": "ton qui s'apaise",
        "agitated": "voix agitée (arousal {arousal:.2f})",
        "steady_voice": "voix posée (arousal {arousal:.2f})",
    },
    "en": {
        "calm": "Customer calm",
        "emotion": "Customer: {emotion} ({intensity:.2f})",
        "worsening": "tone getting more negative",
        "improving": "tone calming down",
        "agitated": "agitated voice (arousal {arousal:.2f})",
        "steady_voice": "steady voice (arousal {arousal:.2f})",
    },
}


def _describe_mood(language: str, dominant: str, intensity: float, trend: str, voice: float | None) -> str:
    t = _MOOD[language]
    parts = [
        t["calm"]
        if dominant == "neutral"
        else t["emotion"].format(emotion=explain.EMOTION_NAMES[language][dominant], intensity=intensity)
    ]
    if trend != "stable":
        parts.append(t[trend])
    if voice is not None:
        parts.append((t["agitated"] if voice >= AGITATED_AROUSAL else t["steady_voice"]).format(arousal=voice))
    return (" ; " if language == "fr" else "; ").join(parts) + "."


# ---------------------------------------------------------------- what the bot says


_LINES = {
    "fr": {
        "offer_human": "Souhaitez-vous que je vous mette en relation avec un conseiller ? "
                       "Il aura tout le contexte de notre échange.",
        "escalate": "Je vous mets en relation avec un conseiller qui a tout le contexte de notre "
                    "échange : vous n'aurez pas à répéter.",
        "bereavement": "Je suis sincèrement désolé pour votre perte. ",
        "self_harm": "Je vous mets tout de suite en relation avec une personne qui peut vous aider. "
                     "Si vous êtes en danger, appelez le 3114 (prévention du suicide, 24 h/24) "
                     "ou le 112.",
    },
    "en": {
        "offer_human": "Would you like me to put you through to an advisor? "
                       "They will have the full context of our conversation.",
        "escalate": "I'm putting you through to an advisor who has the full context of our "
                    "conversation, so you won't have to repeat yourself.",
        "bereavement": "I'm very sorry for your loss. ",
        "self_harm": "I'm connecting you right now with a person who can help. If you are in "
                     "danger, please call your local emergency number (112 in Europe, 911 in "
                     "North America).",
    },
}


def suggested_line(language: str, decision: str, topics: tuple[str, ...] = ()) -> str | None:
    """What the bot can tell the customer when it hands over (``None`` for ``continue``).

    >>> suggested_line("en", "escalate")
    "I'm putting you through to an advisor who has the full context of our conversation, so you won't have to repeat yourself."
    """
    if severity(decision) == 0:
        return None
    lines = _LINES[language]
    if "self_harm" in topics:
        return lines["self_harm"]
    prefix = lines["bereavement"] if "bereavement" in topics else ""
    return prefix + lines[decision]


# ---------------------------------------------------------------- text view


_HEADINGS = {
    "fr": {
        "title": "Transfert vers un conseiller",
        "decision": "Décision",
        "score": "score",
        "turn": "au tour",
        "why": "Pourquoi",
        "mood": "État émotionnel",
        "issue": "Demande du client",
        "topics": "Sujets",
        "requests": "Demandes de conseiller",
        "bot": "Déjà tenté par le bot",
        "failures": "incompréhensions du bot",
        "say": "À dire au client",
        "transcript": "Transcription",
        "omitted": "{n} tours précédents non repris",
        "redacted": "Données personnelles masquées : {what}",
        "speakers": {"customer": "Client", "agent": "Conseiller", "bot": "Bot"},
    },
    "en": {
        "title": "Handoff to a human agent",
        "decision": "Decision",
        "score": "score",
        "turn": "at turn",
        "why": "Why",
        "mood": "Emotional context",
        "issue": "Customer's issue",
        "topics": "Topics",
        "requests": "Requests for a human",
        "bot": "What the bot already tried",
        "failures": "bot failures to understand",
        "say": "Tell the customer",
        "transcript": "Transcript",
        "omitted": "{n} earlier turns left out",
        "redacted": "Personal data redacted: {what}",
        "speakers": {"customer": "Customer", "agent": "Agent", "bot": "Bot"},
    },
}


def _render_text(p: HandoffPacket) -> str:
    h = {k: v.replace(": ", explain.SEPARATOR[p.language]) if isinstance(v, str) else v
         for k, v in _HEADINGS[p.language].items()}
    colon = explain.SEPARATOR[p.language]
    lines = [f"{h['title']} — {p.conversation_id}"]
    decided = f" {h['turn']} {p.decision_turn + 1}" if p.decision_turn is not None else ""
    lines.append(
        f"{h['decision']}{colon}{explain.decision_name(p.language, p.decision)} "
        f"({h['score']} {p.escalation_score:.2f}{decided})"
    )
    if p.reasons:
        lines.append(f"{h['why']}{colon.rstrip()}")
        lines.extend(f"  - {r.message}" for r in p.reasons)
    lines.append(f"{h['mood']}{colon}{p.emotional_context.description}")
    lines.append(f"{h['issue']}{colon}{p.issue_summary}")
    if p.topics:
        names = explain.TOPIC_NAMES[p.language]
        lines.append(f"{h['topics']}{colon}{', '.join(names[t] for t in p.topics)}")
    lines.append(f"{h['requests']}{colon}{p.human_requests}")
    if p.bot_attempts:
        failures = f" ({p.bot_failures} {h['failures']})" if p.bot_failures else ""
        lines.append(f"{h['bot']}{failures}{colon.rstrip()}")
        lines.extend(f"  - {a}" for a in p.bot_attempts)
    if p.suggested_line:
        lines.append(f"{h['say']}{colon}{p.suggested_line}")
    lines.append(f"{h['transcript']}{colon.rstrip()}")
    if p.transcript_turns_omitted:
        lines.append("  (" + h["omitted"].format(n=p.transcript_turns_omitted) + ")")
    speakers = h["speakers"]
    for t in p.transcript:
        head = f"  [{t.index + 1}] {speakers[t.speaker]}{colon}"
        lines.append(head + t.text.strip().replace("\n", "\n" + " " * len(head)))
    if p.pii_redacted:
        what = ", ".join(f"{kind} ×{n}" for kind, n in p.pii_redacted.items())
        lines.append(h["redacted"].format(what=what))
    return "\n".join(lines) + "\n"
