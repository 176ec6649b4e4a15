"""Explanations: contributions and evidence -> reasons a person can read, in French or English.

Messages number turns from 1, as people do ("tour 3" is the third turn); ``index`` and
``evidence.turn`` in the JSON count from 0.
"""

from __future__ import annotations

from collections.abc import Sequence

from .schema import EMOTIONS

__all__ = [
    "EMOTION_NAMES",
    "SEPARATOR",
    "TOPIC_NAMES",
    "decision_name",
    "message",
    "quoted",
    "turn_list",
]

TOPIC_NAMES = {
    "fr": {
        "bereavement": "deuil",
        "health": "santé",
        "financial_hardship": "difficultés financières",
        "fraud_security": "fraude / sécurité",
        "legal_threat": "menace juridique",
        "complaint": "réclamation / litige",
        "cancellation": "résiliation",
        "self_harm": "détresse / risque suicidaire",
        "vulnerability": "client vulnérable",
        "large_purchase": "achat important",
        "account_change": "modification sensible du compte",
    },
    "en": {
        "bereavement": "bereavement",
        "health": "health",
        "financial_hardship": "financial hardship",
        "fraud_security": "fraud / security",
        "legal_threat": "legal threat",
        "complaint": "complaint / dispute",
        "cancellation": "cancellation",
        "self_harm": "distress / self-harm risk",
        "vulnerability": "vulnerable customer",
        "large_purchase": "large purchase",
        "account_change": "sensitive account change",
    },
}

EMOTION_NAMES = {
    "fr": {
        "anger": "colère",
        "frustration": "frustration",
        "sadness": "tristesse",
        "fear": "inquiétude",
        "confusion": "confusion",
        "joy": "satisfaction",
        "gratitude": "gratitude",
        "neutral": "neutre",
    },
    "en": {e: e for e in EMOTIONS},
}

_DECISIONS = {
    "fr": {
        "continue": "continuer",
        "offer_human": "proposer un conseiller",
        "escalate": "escalader",
    },
    "en": {"continue": "continue", "offer_human": "offer a human", "escalate": "escalate"},
}

_TEMPLATES = {
    "fr": {
        "human_request": "Le client a demandé un conseiller {count} fois ({turns})",
        "human_request_weak": "Demande de conseiller possible (score {score:.2f}, {turns})",
        "sentiment": "Ton négatif (valence {valence:+.2f})",
        "emotion": "Émotion perçue : {emotions}",
        "topics": "Sujet sensible : {topics}",
        "friction": "La conversation tourne en rond : {parts}",
        "prosody": "Voix agitée (arousal {arousal:.2f}){details}",
        "prosody_calm": "Voix calme (arousal {arousal:.2f}){details}",
        "model": "modèle : {what}",
        "override:escalate_topic": "Escalade immédiate : {topic}",
        "override:repeated_human_request": "Escalade : le client a redemandé un conseiller",
        "override:human_request": "Le client a demandé un conseiller : le lui proposer",
        "override:topic": "Sujet à fort enjeu ({topic}) : proposer un conseiller",
        "hysteresis": "Décision « {decision} » maintenue depuis le tour {since} : {calm} tour(s) calme(s) sur les {needed} qu'il faut pour la lever",
        "hysteresis_held": "Décision « {decision} » maintenue depuis le tour {since}",
        "turns": "tour",
        "turns_plural": "tours",
        "and": "et",
        "customer_says": "le client le dit",
        "customer_repeats": "le client se répète",
        "bot_failures": "le bot n'a pas compris {n} fois",
        "bot_repeats": "le bot répète sa question",
        "worsening": "le ton se dégrade",
    },
    "en": {
        "human_request": "The customer asked for a human {count} {times} ({turns})",
        "human_request_weak": "Possible request for a human (score {score:.2f}, {turns})",
        "sentiment": "Negative tone (valence {valence:+.2f})",
        "emotion": "Emotion: {emotions}",
        "topics": "Sensitive topic: {topics}",
        "friction": "The conversation is going in circles: {parts}",
        "prosody": "Agitated voice (arousal {arousal:.2f}){details}",
        "prosody_calm": "Calm voice (arousal {arousal:.2f}){details}",
        "model": "model: {what}",
        "override:escalate_topic": "Escalate now: {topic}",
        "override:repeated_human_request": "Escalate: the customer asked for a human again",
        "override:human_request": "The customer asked for a human: offer one",
        "override:topic": "High-stakes topic ({topic}): offer a human",
        "hysteresis": "Decision '{decision}' held since turn {since}: {calm} calm turn(s) of the {needed} needed to release it",
        "hysteresis_held": "Decision '{decision}' held since turn {since}",
        "turns": "turn",
        "turns_plural": "turns",
        "and": "and",
        "customer_says": "the customer says so",
        "customer_repeats": "the customer repeats themself",
        "bot_failures": "the bot failed to understand {n} {times}",
        "bot_repeats": "the bot repeats its prompt",
        "worsening": "the tone is getting worse",
    },
}


#: What separates a message from its quoted evidence.
SEPARATOR = {"fr": " : ", "en": ": "}


def message(language: str, key: str, **fields: object) -> str:
    """The message ``key`` in ``language`` (``fr`` or ``en``) with ``fields`` filled in."""
    count = fields.get("count", fields.get("n"))
    if count is not None:
        fields.setdefault("times", "time" if count == 1 else "times")
    return _TEMPLATES[language][key].format(**fields)


#: Model scores below this are not quoted in an explanation.
MODEL_NOTE_MIN = 0.3


def model_note(language: str, signal: str, model: object) -> str:
    """What the text model saw for ``signal`` ("(modèle : colère 0.82)"), or ""."""
    if signal == "human_request":
        what = f"{model.human_request:.2f}"
    elif signal == "sentiment":
        what = f"valence {model.valence:+.2f}"
    elif signal in ("emotion", "topics"):
        scores, names = (
            (model.emotion, EMOTION_NAMES[language])
            if signal == "emotion"
            else (model.topics, TOPIC_NAMES[language])
        )
        top = sorted(
            (k for k, v in scores.items() if v >= MODEL_NOTE_MIN and k != "neutral"),
            key=lambda k: -scores[k],
        )
        if not top:
            return ""
        what = ", ".join(f"{names[k]} {scores[k]:.2f}" for k in top[:2])
    else:
        return ""
    return f" (modèle : {what})" if language == "fr" else f" (model: {what})"


def turn_list(language: str, indices: Sequence[int]) -> str:
    """ "tours 3 et 5" / "turns 3 and 5" from 0-based indices."""
    t = _TEMPLATES[language]
    numbers = [str(i + 1) for i in indices]
    if len(numbers) == 1:
        return f"{t['turns']} {numbers[0]}"
    return f"{t['turns_plural']} {', '.join(numbers[:-1])} {t['and']} {numbers[-1]}"


def quoted(language: str, texts: Sequence[str], *, limit: int = 3) -> str:
    """Evidence texts quoted the way each language quotes."""
    unique = list(dict.fromkeys(t for t in texts if t))[:limit]
    if language == "fr":
        return ", ".join(f"« {t} »" for t in unique)
    return ", ".join(f"\u201c{t}\u201d" for t in unique)


def decision_name(language: str, decision: str) -> str:
    return _DECISIONS[language][decision]
