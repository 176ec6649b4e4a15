"""The handoff packet (issue 6): reasons, mood, the customer's issue in their words, what the bot
tried, topics, a redacted transcript and a line for the bot, in French and English."""

from __future__ import annotations

import json
from functools import lru_cache

import pytest

from empathy_signals import Detector
from empathy_signals.errors import InputError
from empathy_signals.handoff import HandoffPacket, build_packet, suggested_line


@lru_cache(maxsize=1)
def detector() -> Detector:
    return Detector()


def packet_of(conversation: dict, **kwargs) -> HandoffPacket:
    return build_packet(conversation, detector().assess(conversation), **kwargs)


FR_FRAUD = {
    "id": "fr-fraude",
    "language": "fr",
    "turns": [
        {"speaker": "bot", "text": "Bonjour, je suis l'assistant virtuel. Que puis-je faire pour vous ?"},
        {"speaker": "customer", "text": "Bonjour."},
        {"speaker": "bot", "text": "Je vous écoute."},
        {"speaker": "customer", "text": "Il y a deux paiements de 450 euros que je n'ai jamais faits sur ma carte, "
                                        "je pense que c'est une fraude. Rappelez-moi au 06 12 34 56 78."},
        {"speaker": "bot", "text": "Je n'ai pas compris votre demande. Pouvez-vous reformuler ?"},
        {"speaker": "customer", "text": "Je veux parler à un conseiller, c'est urgent !"},
        {"speaker": "bot", "text": "Je n'ai pas compris votre demande. Pouvez-vous reformuler ?"},
        {"speaker": "customer", "text": "UN CONSEILLER !!! Mon IBAN est FR14 2004 1010 0505 0001 3M02 606."},
    ],
}

EN_BEREAVEMENT = {
    "id": "en-loss",
    "language": "en",
    "turns": [
        {"speaker": "bot", "text": "Hi! How can I help you today?"},
        {"speaker": "customer", "text": "My husband passed away last month and I need to close his account. "
                                        "You can email me at jane.doe@example.com"},
    ],
}


def test_a_french_fraud_call_gives_a_complete_redacted_packet() -> None:
    p = packet_of(FR_FRAUD)
    assert p.decision == "escalate" and p.language == "fr"
    assert p.decision_turn is not None and p.decision_rule
    assert p.reasons and all(r.message for r in p.reasons)
    assert "fraud_security" in p.topics
    assert p.human_requests == 2
    # the issue is the customer's own sentence about the fraud, not "je veux un conseiller"
    assert "fraude" in p.issue_summary and "conseiller" not in p.issue_summary
    assert p.bot_attempts == (
        "Bonjour, je suis l'assistant virtuel. Que puis-je faire pour vous ?",
        "Je vous écoute.",
        "Je n'ai pas compris votre demande. Pouvez-vous reformuler ?",
    )
    assert p.emotional_context.dominant in ("anger", "frustration")
    assert p.suggested_line.startswith("Je vous mets en relation avec un conseiller")
    # personal data never leaves in clear, anywhere in the packet
    dumped = p.model_dump_json()
    for secret in ("06 12 34 56 78", "FR14 2004", "3M02 606"):
        assert secret not in dumped
    assert "[PHONE]" in p.issue_summary or "[PHONE]" in dumped
    assert p.pii_redacted == {"iban": 1, "phone": 1}
    assert [t.text for t in p.transcript][3].endswith("Rappelez-moi au [PHONE].")


def test_an_english_bereavement_offers_condolences_and_a_human() -> None:
    p = packet_of(EN_BEREAVEMENT)
    assert p.language == "en" and "bereavement" in p.topics
    assert p.suggested_line.startswith("I'm very sorry for your loss.")
    assert "passed away" in p.issue_summary and "[EMAIL]" in p.issue_summary
    assert "jane.doe" not in p.model_dump_json()


def test_redaction_can_be_switched_off_for_a_trusted_channel() -> None:
    p = packet_of(EN_BEREAVEMENT, redact=False)
    assert not p.redacted and p.pii_redacted == {}
    assert "jane.doe@example.com" in p.transcript[1].text


def test_self_harm_gets_the_crisis_line_in_each_language() -> None:
    fr = packet_of({"id": "x", "language": "fr", "turns": [
        {"speaker": "customer", "text": "Je n'en peux plus, j'ai envie d'en finir avec la vie."}]})
    assert fr.decision == "escalate" and "3114" in fr.suggested_line
    en = packet_of({"id": "y", "language": "en", "turns": [
        {"speaker": "customer", "text": "I want to kill myself, I can't take it anymore."}]})
    assert en.decision == "escalate" and "emergency number" in en.suggested_line


def test_the_text_view_is_readable_and_in_the_conversation_language() -> None:
    text = packet_of(FR_FRAUD).to_text()
    assert text.startswith("Transfert vers un conseiller — fr-fraude\nDécision : escalader") or \
        text.startswith("Transfert vers un conseiller — fr-fraude\nDecision") or "Décision" in text
    for heading in ("Pourquoi", "État émotionnel", "Demande du client", "Déjà tenté par le bot",
                    "À dire au client", "Transcription", "Données personnelles masquées"):
        assert heading in text
    assert "06 12" not in text
    english = packet_of(EN_BEREAVEMENT).to_text()
    assert "Handoff to a human agent" in english and "Tell the customer" in english


def test_a_calm_conversation_has_no_suggested_line() -> None:
    p = packet_of({"id": "calm", "language": "en", "turns": [
        {"speaker": "customer", "text": "What are your opening hours?"}]})
    assert p.decision == "continue" and p.suggested_line is None and p.decision_turn is None


def test_the_packet_round_trips_as_json() -> None:
    p = packet_of(FR_FRAUD)
    assert HandoffPacket.model_validate_json(p.model_dump_json()) == p
    assert json.loads(p.model_dump_json())["conversation_id"] == "fr-fraude"


def test_a_long_call_keeps_the_last_turns_and_says_how_many_were_left_out() -> None:
    from empathy_signals.handoff import TRANSCRIPT_TURNS

    turns = [{"speaker": "customer" if i % 2 else "bot", "text": f"message {i}"} for i in range(TRANSCRIPT_TURNS + 30)]
    p = packet_of({"id": "long", "language": "fr", "turns": turns})
    assert len(p.transcript) == TRANSCRIPT_TURNS and p.transcript_turns_omitted == 30
    assert p.transcript[0].index == 30 and p.transcript[-1].text == f"message {TRANSCRIPT_TURNS + 29}"


def test_an_assessment_of_another_conversation_is_refused() -> None:
    other = detector().assess(EN_BEREAVEMENT)
    with pytest.raises(InputError, match="assessment does not belong"):
        build_packet(FR_FRAUD, other)


def test_a_bad_conversation_names_the_field() -> None:
    with pytest.raises(InputError, match="speaker"):
        build_packet({"id": "x", "turns": [{"speaker": "robot"}]}, detector().assess(EN_BEREAVEMENT))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_suggested_lines_exist_for_every_decision(language: str) -> None:
    assert suggested_line(language, "continue") is None
    assert suggested_line(language, "offer_human") != suggested_line(language, "escalate")


# ---------------------------------------------------------------- the CLI


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    from empathy_signals import cli

    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_handoff_writes_a_packet_per_conversation_that_needs_a_human(tmp_path, capsys) -> None:
    calm = {"id": "calm", "language": "en", "turns": [{"speaker": "customer", "text": "What time do you open?"}]}
    bad = {"id": "bad", "turns": [{"speaker": "robot", "text": "?"}]}
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in (FR_FRAUD, calm, bad, EN_BEREAVEMENT)) + "\n", encoding="utf-8")
    code, out, err = _run(capsys, "handoff", str(path))
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 3  # one bad record, written as an error record
    assert [r.get("conversation_id", r.get("id")) for r in records] == ["fr-fraude", "bad", "en-loss"]
    assert records[1]["error"]["field"].endswith("speaker")
    assert "2 of 4 conversations need a human" in err and "1 do not" in err
    assert HandoffPacket.model_validate(records[0]).pii_redacted == {"iban": 1, "phone": 1}
    code, out, _ = _run(capsys, "handoff", str(path), "--all")
    assert code == 3 and len(out.splitlines()) == 4


def test_cli_handoff_text_view_and_policy_switch(tmp_path, capsys) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_text(json.dumps(FR_FRAUD) + "\n", encoding="utf-8")
    code, out, _ = _run(capsys, "handoff", str(path), "--output-format", "text")
    assert code == 0 and out.startswith("Transfert vers un conseiller — fr-fraude") and "[PHONE]" in out
    policy = tmp_path / "p.toml"
    assert _run(capsys, "policy", "--out", str(policy))[0] == 0
    policy.write_text(policy.read_text(encoding="utf-8").replace("redact_pii = true", "redact_pii = false"),
                      encoding="utf-8")
    code, out, _ = _run(capsys, "handoff", str(path), "--policy", str(policy))
    assert code == 0 and "06 12 34 56 78" in out and json.loads(out)["redacted"] is False
