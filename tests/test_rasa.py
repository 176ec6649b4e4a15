"""The Rasa custom action, run by the real rasa_sdk through its own ``ActionExecutor`` with
realistic tracker payloads (skipped when rasa-sdk is not installed: ``pip install
'empathy-signals[rasa]'``); and the module's import without rasa_sdk."""

from __future__ import annotations

import asyncio
import importlib
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from empathy_signals import Detector
from empathy_signals.errors import MissingExtraError

ROOT = Path(__file__).resolve().parents[1]

DOMAIN: dict[str, Any] = {
    "version": "3.1",
    "intents": ["greet", "complain", "affirm", "inform"],
    "entities": [],
    "slots": {
        "handoff": {
            "type": "any",
            "influence_conversation": False,
            "mappings": [{"type": "custom"}],
        },
        "escalation_decision": {
            "type": "categorical",
            "values": ["continue", "offer_human", "escalate"],
            "mappings": [{"type": "custom"}],
        },
        "escalation_score": {"type": "float", "mappings": [{"type": "custom"}]},
    },
    "responses": {"utter_offer_human": [{"text": "Voulez-vous un conseiller ?"}]},
    "actions": ["action_check_escalation", "action_handoff"],
}


def _tracker(
    sender: str, messages: list[tuple[str, str]], *, before: list[dict] | None = None
) -> dict:
    """A tracker as Rasa sends it to the action server (Rasa 3 event format)."""
    t = 1_700_000_000.0
    events: list[dict[str, Any]] = list(before or [])
    events += [
        {
            "event": "action",
            "timestamp": t,
            "name": "action_session_start",
            "policy": None,
            "confidence": 1.0,
        },
        {"event": "session_started", "timestamp": t + 0.1},
        {
            "event": "action",
            "timestamp": t + 0.2,
            "name": "action_listen",
            "policy": None,
            "confidence": None,
        },
    ]
    latest: dict[str, Any] = {}
    for i, (kind, text) in enumerate(messages):
        t += 5
        if kind == "user":
            latest = {
                "text": text,
                "intent": {"name": "inform", "confidence": 0.93},
                "entities": [],
                "intent_ranking": [{"name": "inform", "confidence": 0.93}],
                "message_id": uuid.UUID(int=i).hex,
                "metadata": {},
            }
            events.append(
                {
                    "event": "user",
                    "timestamp": t,
                    "text": text,
                    "parse_data": latest,
                    "input_channel": "rest",
                    "message_id": latest["message_id"],
                    "metadata": {},
                }
            )
            events.append(
                {"event": "user_featurization", "timestamp": t, "use_text_for_featurization": False}
            )
        else:
            events.append(
                {
                    "event": "action",
                    "timestamp": t,
                    "name": "utter_reply",
                    "policy": "RulePolicy",
                    "confidence": 1.0,
                }
            )
            events.append(
                {
                    "event": "bot",
                    "timestamp": t + 0.1,
                    "text": text,
                    "data": {
                        "elements": None,
                        "quick_replies": None,
                        "buttons": None,
                        "attachment": None,
                        "image": None,
                        "custom": None,
                    },
                    "metadata": {"utter_action": "utter_reply"},
                }
            )
            events.append(
                {
                    "event": "action",
                    "timestamp": t + 0.2,
                    "name": "action_listen",
                    "policy": "RulePolicy",
                    "confidence": 1.0,
                }
            )
    return {
        "sender_id": sender,
        "slots": {
            "handoff": None,
            "escalation_decision": None,
            "escalation_score": None,
            "session_started_metadata": None,
        },
        "latest_message": latest,
        "latest_event_time": t,
        "followup_action": None,
        "paused": False,
        "stack": [],
        "events": events,
        "latest_input_channel": "rest",
        "active_loop": {},
        "latest_action": {"action_name": "action_listen"},
        "latest_action_name": "action_listen",
    }


def _call(action: str, tracker: dict) -> dict:
    return {
        "next_action": action,
        "sender_id": tracker["sender_id"],
        "tracker": tracker,
        "domain": DOMAIN,
        "version": "3.8.0",
    }


ESCALATING_FR = [
    ("bot", "Bonjour, que puis-je faire pour vous ?"),
    ("user", "Ma carte a été débitée deux fois, mon e-mail est jo@exemple.fr"),
    ("bot", "Je n'ai pas compris votre demande."),
    ("user", "Je veux parler à un conseiller."),
    ("bot", "Pouvez-vous reformuler ?"),
    ("user", "Passez-moi un conseiller, c'est inadmissible !"),
]
CALM_EN = [
    ("bot", "Hi! What can I help you with today?"),
    ("user", "When is my next bill due?"),
    ("bot", "Your next bill is due on June 3."),
    ("user", "Great, thanks!"),
]


@pytest.fixture(scope="module")
def rasa_sdk() -> Any:
    return pytest.importorskip("rasa_sdk")


@pytest.fixture
def executor(rasa_sdk: Any) -> Any:
    from rasa_sdk.executor import ActionExecutor

    from empathy_signals.integrations.rasa import EscalationAction

    ex = ActionExecutor()
    ex.register_action(EscalationAction)
    return ex


def _run(executor: Any, call: dict) -> tuple[list[dict], list[dict]]:
    result = asyncio.run(executor.run(call))
    # rasa-sdk >= 3.9 answers a pydantic model, earlier versions a dict
    dumped = result if isinstance(result, dict) else result.model_dump(by_alias=True)
    return dumped["events"], dumped["responses"]


def _by_kind(events: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for e in events:
        out.setdefault(e["event"], []).append(e)
    return out


def _slots(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


# ---------------------------------------------------------------- through rasa_sdk's executor


def test_escalation_says_the_line_sets_the_packet_and_follows_up(executor: Any) -> None:
    from rasa_sdk import Tracker

    from empathy_signals.handoff import HandoffPacket, build_packet
    from empathy_signals.integrations.rasa import conversation_from_tracker

    tracker = _tracker("conv-fr-1", ESCALATING_FR)
    events, responses = _run(executor, _call("action_check_escalation", tracker))

    slots = _slots(events)
    assert slots["escalation_decision"] == "escalate"
    assert 0.0 <= slots["escalation_score"] <= 1.0
    packet = HandoffPacket.model_validate(slots["handoff"])
    assert packet.decision == "escalate" and packet.language == "fr"
    assert "jo@exemple.fr" not in str(slots["handoff"])  # redacted
    conversation = conversation_from_tracker(Tracker.from_dict(tracker))
    assert [t.speaker for t in conversation.turns] == [
        "bot" if k == "bot" else "customer" for k, _ in ESCALATING_FR
    ]
    expected = build_packet(conversation, Detector().assess(conversation))
    assert slots["handoff"] == expected.model_dump(mode="json")

    assert [r["text"] for r in responses] == [expected.suggested_line]
    assert _by_kind(events)["followup"] == [
        {"event": "followup", "timestamp": None, "name": "action_handoff"}
    ]
    assert "pause" not in _by_kind(events)


def _applied(tracker: dict, events: list[dict], messages: list[tuple[str, str]]) -> dict:
    """The tracker Rasa sends next: the action's events applied, then more messages."""
    following = _tracker(tracker["sender_id"], messages)
    following["events"] = tracker["events"] + events + following["events"][3:]
    following["slots"] = {**tracker["slots"], **_slots(events)}
    return following


def test_an_offer_is_made_once_then_escalation_follows(executor: Any) -> None:
    messages = [
        ("bot", "Bonjour, que puis-je faire pour vous ?"),
        ("user", "Bonjour, j'ai une question sur mon forfait."),
    ]
    tracker = _tracker("conv-2", messages)
    events, responses = _run(executor, _call("action_check_escalation", tracker))
    assert _slots(events)["escalation_decision"] == "continue" and responses == []

    tracker = _applied(
        tracker, events, [("bot", "Je vous écoute."), ("user", "Je veux parler à un conseiller.")]
    )
    events, responses = _run(executor, _call("action_check_escalation", tracker))
    assert _slots(events)["escalation_decision"] == "offer_human"
    assert len(responses) == 1 and responses[0]["text"].startswith("Souhaitez-vous")
    assert "followup" not in _by_kind(events)
    assert _slots(events)["handoff"]["decision"] == "offer_human"

    # the customer goes on; the decision holds: nothing is said again
    tracker = _applied(tracker, events, [("bot", "Très bien."), ("user", "Alors, ce conseiller ?")])
    events, responses = _run(executor, _call("action_check_escalation", tracker))
    assert _slots(events)["escalation_decision"] == "offer_human"
    assert responses == [] and "handoff" not in _slots(events)

    # a second request: escalate, and the handoff follows
    tracker = _applied(
        tracker,
        events,
        [
            ("bot", "Pouvez-vous reformuler ?"),
            ("user", "Passez-moi un conseiller, c'est inadmissible !"),
        ],
    )
    events, responses = _run(executor, _call("action_check_escalation", tracker))
    assert _slots(events)["escalation_decision"] == "escalate"
    assert responses[0]["text"].startswith("Je vous mets en relation")
    assert _by_kind(events)["followup"][0]["name"] == "action_handoff"


def test_a_calm_conversation_only_sets_the_decision(executor: Any) -> None:
    events, responses = _run(
        executor, _call("action_check_escalation", _tracker("conv-en", CALM_EN))
    )
    assert responses == []
    assert [e["event"] for e in events] == ["slot", "slot"]
    assert _slots(events)["escalation_decision"] == "continue"


def test_events_before_a_restart_are_forgotten(executor: Any) -> None:
    before = _tracker("conv-r", ESCALATING_FR)["events"] + [{"event": "restart", "timestamp": None}]
    events, responses = _run(
        executor, _call("action_check_escalation", _tracker("conv-r", CALM_EN, before=before))
    )
    assert _slots(events)["escalation_decision"] == "continue" and responses == []


def test_subclass_options_pause_and_domain_response(rasa_sdk: Any) -> None:
    from rasa_sdk.executor import ActionExecutor

    from empathy_signals.integrations.rasa import EscalationAction

    class Custom(EscalationAction):
        action_name = "action_check_escalation_custom"
        language = "fr"
        handoff_action = None
        pause_on_escalate = True
        escalate_response = "utter_offer_human"
        handoff_slot = None

    ex = ActionExecutor()
    ex.register_action(Custom)
    events, responses = _run(
        ex, _call("action_check_escalation_custom", _tracker("c", ESCALATING_FR))
    )
    kinds = _by_kind(events)
    assert "pause" in kinds and "followup" not in kinds
    assert "handoff" not in _slots(events)
    assert [r["response"] for r in responses] == ["utter_offer_human"]


def test_the_docs_actions_py_runs_through_the_executor(
    rasa_sdk: Any, tmp_path: Path, monkeypatch
) -> None:
    """docs/integrations.md's actions.py, registered as rasa_sdk registers a package."""
    from rasa_sdk.executor import ActionExecutor

    text = (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
    blocks = [
        b
        for b in re.findall(r"```py\n(.*?)```", text, re.DOTALL)
        if "class ActionCheckEscalation" in b
    ]
    assert len(blocks) == 1
    package = tmp_path / "docs_actions"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "actions.py").write_text(blocks[0], encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    ex = ActionExecutor()
    ex.register_package("docs_actions")
    assert {"action_check_escalation", "action_handoff"} <= set(ex.actions)

    tracker = _tracker("docs-1", ESCALATING_FR)
    events, responses = _run(ex, _call("action_check_escalation", tracker))
    assert _by_kind(events)["followup"][0]["name"] == "action_handoff"
    # Rasa applies the events, then runs the follow-up with the slot set
    tracker["events"] += events
    tracker["slots"]["handoff"] = _slots(events)["handoff"]
    events, responses = _run(ex, _call("action_handoff", tracker))
    assert _slots(events) == {"handed_off": True}
    assert responses[0]["custom"]["handoff"].startswith("Transfert vers un conseiller")


# ---------------------------------------------------------------- without rasa_sdk


def test_importing_the_module_does_not_import_rasa_sdk() -> None:
    code = (
        "import sys\n"
        "import empathy_signals.integrations.rasa as r\n"
        "assert 'rasa_sdk' not in sys.modules, 'rasa_sdk imported'\n"
        "assert callable(r.conversation_from_tracker)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_without_rasa_sdk_the_action_raises_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import empathy_signals.integrations as package

    name = "empathy_signals.integrations.rasa"
    monkeypatch.setattr(package, "rasa", getattr(package, "rasa", None), raising=False)
    monkeypatch.setitem(sys.modules, "rasa_sdk", None)  # what an absent package looks like
    monkeypatch.delitem(sys.modules, name, raising=False)
    module = importlib.import_module(name)
    with pytest.raises(MissingExtraError) as info:
        module.EscalationAction  # noqa: B018
    assert info.value.extra == "rasa"
    assert "pip install 'empathy-signals[rasa]'" in str(info.value)
    with pytest.raises(AttributeError):
        module.Nothing  # noqa: B018
