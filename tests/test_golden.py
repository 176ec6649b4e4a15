"""End-to-end golden reports: three conversations whose full JSON assessment is committed.

Regenerate after an intended change (lexicons, weights, messages) with::

    UPDATE_GOLDEN=1 python -m pytest -q tests/test_golden.py

then read the diff of ``tests/golden/*.json`` before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from empathy_signals import Assessment, ConversationAssessment, Detector

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
DECIMALS = 6

CONVERSATIONS: dict[str, dict[str, Any]] = {
    "fr_frustrated_asks_twice": {
        "id": "fr_frustrated_asks_twice",
        "language": "auto",
        "turns": [
            {"speaker": "bot", "text": "Bonjour, je suis l'assistant virtuel. Que puis-je faire pour vous ?"},
            {"speaker": "customer", "text": "Bonjour, ma box internet ne marche plus depuis trois jours."},
            {"speaker": "bot", "text": "Je n'ai pas compris votre demande. Pouvez-vous reformuler ?"},
            {"speaker": "customer", "text": "Je vous l'ai déjà dit, ma box ne marche plus ! C'est INADMISSIBLE."},
            {"speaker": "bot", "text": "Je n'ai pas compris votre demande. Pouvez-vous reformuler ?"},
            {"speaker": "customer", "text": "Je veux parler à un conseiller."},
            {"speaker": "bot", "text": "Avez-vous essayé de redémarrer votre box ?"},
            {"speaker": "customer", "text": "Passez-moi un conseiller, vite ! J'en ai ras-le-bol de ce robot."},
            {"speaker": "agent", "text": "Bonjour, je suis Julie, votre conseillère. Je regarde votre ligne."},
            {"speaker": "customer", "text": "Merci."},
        ],
    },
    "en_bereavement": {
        "id": "en_bereavement",
        "language": "auto",
        "turns": [
            {"speaker": "bot", "text": "Hi! How can I help you today?"},
            {"speaker": "customer", "text": "Hello, I need to close my mother's account."},
            {"speaker": "bot", "text": "Sure, I can help you close an account. What is the reason?"},
            {"speaker": "customer", "text": "She passed away last week. I don't know what to do with her bills."},
            {"speaker": "bot", "text": "I'm sorry for your loss."},
            {"speaker": "customer", "text": "Thank you. It's been really hard."},
        ],
    },
    "fr_calm_continue": {
        "id": "fr_calm_continue",
        "language": "auto",
        "turns": [
            {"speaker": "bot", "text": "Bonjour ! Que puis-je faire pour vous ?"},
            {"speaker": "customer", "text": "Bonjour, je voudrais connaître la date de ma prochaine facture."},
            {"speaker": "bot", "text": "Votre prochaine facture sera émise le 5 du mois."},
            {"speaker": "customer", "text": "Parfait, merci beaucoup."},
            {"speaker": "bot", "text": "Avec plaisir. Autre chose ?"},
            {"speaker": "customer", "text": "Non, c'est tout. Bonne journée !"},
        ],
    },
}

EXPECTED_DECISIONS = {
    "fr_frustrated_asks_twice": ("fr", "escalate"),
    "en_bereavement": ("en", "offer_human"),
    "fr_calm_continue": ("fr", "continue"),
}


def rounded(value: Any) -> Any:
    """``value`` with every float rounded to DECIMALS places (and -0.0 made 0.0)."""
    if isinstance(value, float):
        return round(value, DECIMALS) + 0.0
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v) for v in value]
    return value


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
def test_golden_report(detector, name):
    result = detector.assess(CONVERSATIONS[name])
    for a in result.turns:
        assert Assessment.model_validate(a.model_dump()) == a
    assert ConversationAssessment.model_validate(result.model_dump()) == result
    actual = rounded(result.model_dump(mode="json"))
    path = GOLDEN_DIR / f"{name}.json"
    if UPDATE:
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(json.dumps(actual, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert path.exists(), f"{path} is missing: run UPDATE_GOLDEN=1 python -m pytest {__file__}"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected, f"{name} differs from {path}; if intended, regenerate with UPDATE_GOLDEN=1"


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
def test_golden_outcome(detector, name):
    """The headline of each golden conversation, readable without the JSON."""
    result = detector.assess(CONVERSATIONS[name])
    language, decision = EXPECTED_DECISIONS[name]
    assert (result.language, result.decision) == (language, decision)
    assert len(result.turns) == len(CONVERSATIONS[name]["turns"])


def test_golden_files_have_no_strays():
    names = {p.stem for p in GOLDEN_DIR.glob("*.json")}
    assert names == set(CONVERSATIONS)
