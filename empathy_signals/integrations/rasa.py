"""Rasa: a custom action that offers a human, or hands over, when the conversation needs it.

``EscalationAction`` (action name ``action_check_escalation``) re-scores the tracker's
conversation (its user and bot messages since the last restart, the last
:data:`MAX_TRACKER_TURNS` of them) with a shared :class:`~empathy_signals.detector.Detector`.
Scoring from the tracker keeps the action server stateless: any worker, after any restart,
gives the same answer. When the decision after the latest user message *rises* above what
the action last set in ``escalation_decision`` (else: above the decision before that message)
to ``offer_human`` or ``escalate``, it

- says the suggested line in the conversation's language (or the domain response named by
  ``offer_response`` / ``escalate_response``),
- sets the ``handoff`` slot to the handoff packet (a JSON object: reasons, emotional context,
  issue summary, transcript; personal data redacted),
- and, on ``escalate``, follows up with ``action_handoff`` (``handoff_action``) and, with
  ``pause_on_escalate``, pauses the conversation (``ConversationPaused``).

It always sets ``escalation_decision`` and ``escalation_score``. Configure it by subclassing
and setting class attributes; rasa_sdk registers every subclass of ``Action`` it imports::

    # actions/actions.py
    from empathy_signals.integrations.rasa import EscalationAction

    class ActionCheckEscalation(EscalationAction):
        language = "fr"

The rasa_sdk import happens on first use of :data:`EscalationAction`; without it, that raises
:class:`~empathy_signals.errors.MissingExtraError` (``pip install 'empathy-signals[rasa]'``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import MissingExtraError
from ..schema import Conversation, Turn

if TYPE_CHECKING:  # pragma: no cover
    from ..detector import Detector
    from ..schema import ConversationAssessment

__all__ = [
    "MAX_TRACKER_TURNS",
    "EscalationAction",  # noqa: F822 (made on first access, by __getattr__)
    "EscalationLogic",
    "conversation_from_tracker",
]

#: The last turns of the tracker that are scored (older ones are left out).
MAX_TRACKER_TURNS = 200

_DETECTORS: dict[tuple[str | None, str], Any] = {}
_DETECTORS_LOCK = threading.Lock()
_CLASS_LOCK = threading.Lock()


def conversation_from_tracker(
    tracker: Any,
    *,
    language: Literal["fr", "en", "auto"] = "auto",
    max_turns: int = MAX_TRACKER_TURNS,
) -> Conversation:
    """The tracker's conversation: its user messages as customer turns, its bot messages as
    bot turns, since the last restart (undone and rewound events left out), the last
    ``max_turns`` of them. Button payloads (``/intent{...}``) are not customer text and are
    skipped.

    Parameters
    ----------
    tracker
        A ``rasa_sdk.Tracker`` (anything with ``sender_id`` and ``applied_events()``).
    """
    turns: list[Turn] = []
    for event in tracker.applied_events():
        kind = event.get("event")
        text = event.get("text")
        if kind not in ("user", "bot") or not isinstance(text, str) or not text.strip():
            continue
        if kind == "user" and text.lstrip().startswith("/"):
            continue
        timestamp = event.get("timestamp")
        turns.append(
            Turn(
                speaker="customer" if kind == "user" else "bot",
                text=text,
                timestamp=timestamp if isinstance(timestamp, int | float) else None,
            )
        )
    return Conversation(
        id=str(tracker.sender_id or "rasa"), language=language, turns=tuple(turns[-max_turns:])
    )


class EscalationLogic:
    """What :data:`EscalationAction` does, without rasa_sdk (its ``run`` needs rasa_sdk's events).

    Class attributes configure it; override them in a subclass.
    """

    #: The action's name in the domain.
    action_name: str = "action_check_escalation"
    #: ``"fr"``, ``"en"``, or ``"auto"`` (detected from the messages).
    language: Literal["fr", "en", "auto"] = "auto"
    #: A policy file (TOML or JSON); ``None``: the default policy.
    policy: str | Path | None = None
    #: ``"none"`` or ``"e5-small"`` (needs ``empathy-signals[model]``).
    model: Literal["none", "e5-small"] = "none"
    #: Slots set by the action (``None`` leaves one out).
    handoff_slot: str | None = "handoff"
    decision_slot: str | None = "escalation_decision"
    score_slot: str | None = "escalation_score"
    #: The action to follow up with on ``escalate`` (``None``: none).
    handoff_action: str | None = "action_handoff"
    #: Pause the conversation on ``escalate`` (Rasa stops predicting until resumed).
    pause_on_escalate: bool = False
    #: Domain responses to say instead of the built-in suggested lines (``None``: the lines).
    offer_response: str | None = None
    escalate_response: str | None = None
    #: Mask personal data in the handoff packet (``None``: as the policy's ``privacy.redact_pii``).
    redact: bool | None = None
    #: Turns of the tracker scored (the last ones).
    max_turns: int = MAX_TRACKER_TURNS

    def name(self) -> str:
        return self.action_name

    def detector(self) -> Detector:
        """The detector shared by every action with the same policy and model (built once)."""
        key = (None if self.policy is None else str(self.policy), self.model)
        with _DETECTORS_LOCK:
            detector = _DETECTORS.get(key)
            if detector is None:
                from ..detector import Detector

                detector = Detector(self.policy, model=self.model)
                _DETECTORS[key] = detector
        return detector

    def assess(self, tracker: Any) -> tuple[Conversation, ConversationAssessment, str, str]:
        """Score the tracker's conversation: (conversation, assessment, decision now, decision
        before the latest user message)."""
        conversation = conversation_from_tracker(
            tracker, language=self.language, max_turns=self.max_turns
        )
        assessment = self.detector().assess(conversation)
        turns = assessment.turns
        customer = [a.index for a in turns if a.speaker == "customer"]
        if not customer:
            return conversation, assessment, "continue", "continue"
        last = customer[-1]
        before = turns[last - 1].decision if last > 0 else "continue"
        return conversation, assessment, turns[-1].decision, before

    def escalation_events(self, dispatcher: Any, tracker: Any) -> list[dict[str, Any]]:
        """Score, then dispatch the line and build the events (synchronous: CPU work)."""
        from rasa_sdk.events import ConversationPaused, FollowupAction, SlotSet

        from ..fusion import severity
        from ..handoff import build_packet, suggested_line
        from ..schema import DECISIONS

        conversation, assessment, decision, before = self.assess(tracker)
        if self.decision_slot:  # what this action last set, if it ran before
            said = tracker.get_slot(self.decision_slot)
            before = said if said in DECISIONS else "continue"
        score = assessment.turns[-1].escalation_score if assessment.turns else 0.0
        events: list[dict[str, Any]] = []
        if self.decision_slot:
            events.append(SlotSet(self.decision_slot, decision))
        if self.score_slot:
            events.append(SlotSet(self.score_slot, round(score, 4)))
        if severity(decision) <= severity(before):
            return events  # nothing new: say nothing (the offer was made already)
        response = self.escalate_response if decision == "escalate" else self.offer_response
        if response:
            dispatcher.utter_message(response=response)
        else:
            customer = [a for a in assessment.turns if a.speaker == "customer" and a.signals]
            topics = tuple(t for a in customer for t in a.signals.topics.detected)
            line = suggested_line(assessment.language, decision, tuple(dict.fromkeys(topics)))
            if line:
                dispatcher.utter_message(text=line)
        if self.handoff_slot:
            redact = self.detector().policy.privacy.redact_pii if self.redact is None else self.redact
            packet = build_packet(conversation, assessment, redact=redact)
            events.append(SlotSet(self.handoff_slot, packet.model_dump(mode="json")))
        if decision == "escalate":
            if self.handoff_action:
                events.append(FollowupAction(self.handoff_action))
            if self.pause_on_escalate:
                events.append(ConversationPaused())
        return events

    async def run(
        self, dispatcher: Any, tracker: Any, domain: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """rasa_sdk's entry point; the scoring runs in a worker thread, off the server's loop."""
        return await asyncio.to_thread(self.escalation_events, dispatcher, tracker)


def _action_class() -> type:
    try:
        from rasa_sdk import Action
    except ImportError as exc:
        raise MissingExtraError("the Rasa action", "rasa") from exc

    class EscalationAction(EscalationLogic, Action):
        """Offers a human, or hands over, when the conversation needs it (see the module)."""

        def name(self) -> str:
            return self.action_name

        async def run(self, dispatcher: Any, tracker: Any, domain: Any) -> list[dict[str, Any]]:
            return await EscalationLogic.run(self, dispatcher, tracker, domain)

    EscalationAction.__module__ = __name__
    return EscalationAction


def __getattr__(name: str) -> Any:
    if name == "EscalationAction":
        with _CLASS_LOCK:  # one class, even when two threads ask at once
            cls = globals().get(name)
            if cls is None:
                cls = globals()[name] = _action_class()
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
