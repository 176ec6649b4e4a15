"""The report's words in English and French, and its numbers and names in either language.

:class:`_Wording` holds a language's labels and writes numbers (``0,25`` and a narrow no-break
space between thousands in French), decisions, signal and rule names in it; the report's aggregates
(:class:`~empathy_signals.report.aggregate._Report`) inherit it, so the timelines' titles and
the page are written in the report's language. Reason messages stay in each conversation's
language: they come from the scored records.
"""

from __future__ import annotations

from ..errors import InputError
from ..explain import TOPIC_NAMES, decision_name
from ..schema import DECISIONS

#: Reason keys that are not signal names: no reason raised the score, and the names past
#: ``MAX_REASON_KEYS`` (see :mod:`~empathy_signals.report.aggregate`).
_OTHER = "(other)"
_NONE = "(none)"

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Escalation report",
        "made_by": "Made by empathy_signals {version} from the results of empathy-signals score.",
        "inputs": "Input:",
        "thresholds": "Thresholds of the policy: offer a human at {offer}, escalate at {escalate}.",
        "summary": "Summary",
        "conversations": "conversations scored",
        "needs_human": "need a human (offer or escalate)",
        "errors": "error records",
        "bad_lines": "unreadable lines",
        "turns": "turns",
        "customer_turns": "customer turns",
        "decisions": "Decisions",
        "decisions_caption": "Decision of each conversation (the most severe of its turns)",
        "decision": "Decision",
        "count": "Conversations",
        "share": "Share",
        "total": "Total",
        "histogram": "Peak escalation score of the conversations, by decision",
        "histogram_desc": "{n} conversations in {bins} bins of width {width}; dashed lines: thresholds",
        "score": "score",
        "reasons": "Reasons",
        "reasons_caption": "Reasons at the turn of each conversation's decision (its peak turn when "
                           "the decision is continue). The top reason is the override rule that set "
                           "the decision, else the signal with the largest positive contribution.",
        "reason": "Reason",
        "key": "Name",
        "present": "Present in",
        "top": "Top reason of",
        "top_share": "Top share",
        "mean_contribution": "Mean contribution (logit)",
        "no_reason": "(no reason raised the score)",
        "other_reason": "(other names)",
        "rule": "Rule",
        "topics": "Topics detected",
        "topics_caption": "Sensitive topics detected in at least one customer turn",
        "topic": "Topic",
        "conversations_with": "Conversations",
        "turns_with": "Customer turns",
        "no_topics": "No sensitive topic was detected.",
        "emotions": "Emotions and tone",
        "emotions_caption": "Emotion perceived in each customer turn",
        "sentiment_caption": "Tone of each customer turn",
        "emotion": "Emotion",
        "tone": "Tone",
        "negative": "negative",
        "neutral": "neutral",
        "positive": "positive",
        "languages": "By language",
        "languages_caption": "Decisions per conversation language",
        "language": "Language",
        "mean_peak": "Mean peak score",
        "lang_fr": "French",
        "lang_en": "English",
        "problems": "Errors",
        "errors_text": "Error records: {n} (conversations that could not be scored).",
        "bad_text": "Unreadable input lines: {n} (left out of the report).",
        "no_problems": "No error record, no unreadable line.",
        "listed": "The first {n} are listed.",
        "turns_col": "Turns",
        "errors_caption": "Error records",
        "bad_caption": "Unreadable lines",
        "id": "Conversation",
        "where": "Where",
        "field": "Field",
        "message": "Message",
        "table": "Conversations",
        "table_caption": "Conversations with a timeline, highest peak score first",
        "position": "#",
        "peak": "Peak score",
        "decision_turn": "Decision turn",
        "top_reason": "Top reason",
        "timelines": "Timelines",
        "timelines_all": "Timelines of all {n} conversations, highest peak score first.",
        "timelines_some": "Timelines of the {shown} highest-scoring conversations; {left} other "
                          "conversations are left out (--max-timelines {max}).",
        "timelines_none": "No timeline is drawn (--max-timelines 0); {left} conversations left out.",
        "legend": "Score per turn (line); filled points are customer turns, hollow ones bot or "
                  "agent turns (they carry the score); larger marks show where the decision "
                  "changed: square offer a human, triangle escalate, diamond back to continue. "
                  "Hover a point for the turn's top reason.",
        "timeline_title": "Escalation score per turn of conversation {id}",
        "timeline_desc": "{turns} turns; peak score {peak} at turn {peak_turn}; decision {decision}{at}.",
        "at_turn": " from turn {turn}",
        "thinned": "Showing {shown} of {turns} turns (the highest score of each stretch and every "
                   "decision change).",
        "turn": "turn",
        "turn_title": "Turn {turn} ({speaker}): score {score}, {decision}",
        "change_title": "Decision: {before} \u2192 {after} ({rule})",
        "customer": "customer",
        "agent": "agent",
        "bot": "bot",
        "offer_line": "offer",
        "escalate_line": "escalate",
        "empty": "No conversation in the input.",
        "back": "back to the table",
        "none": "\u2014",
    },
    "fr": {
        "title": "Rapport d'escalade",
        "made_by": "Produit par empathy_signals {version} \u00e0 partir des r\u00e9sultats de "
                   "empathy-signals score.",
        "inputs": "Entr\u00e9e\u00a0:",
        "thresholds": "Seuils de la politique : proposer un conseiller \u00e0 {offer}, escalader "
                      "\u00e0 {escalate}.",
        "summary": "R\u00e9sum\u00e9",
        "conversations": "conversations \u00e9valu\u00e9es",
        "needs_human": "ont besoin d'un humain (proposer ou escalader)",
        "errors": "enregistrements d'erreur",
        "bad_lines": "lignes illisibles",
        "turns": "tours",
        "customer_turns": "tours du client",
        "decisions": "D\u00e9cisions",
        "decisions_caption": "D\u00e9cision de chaque conversation (la plus s\u00e9v\u00e8re de ses tours)",
        "decision": "D\u00e9cision",
        "count": "Conversations",
        "share": "Part",
        "total": "Total",
        "histogram": "Score d'escalade maximal des conversations, par d\u00e9cision",
        "histogram_desc": "{n} conversations en {bins} classes de largeur {width} ; pointill\u00e9s : seuils",
        "score": "score",
        "reasons": "Raisons",
        "reasons_caption": "Raisons au tour de la d\u00e9cision de chaque conversation (son tour au "
                           "score maximal quand la d\u00e9cision est continuer). La raison principale "
                           "est la r\u00e8gle qui a fix\u00e9 la d\u00e9cision, sinon le signal \u00e0 la plus "
                           "forte contribution positive.",
        "reason": "Raison",
        "key": "Nom",
        "present": "Pr\u00e9sente dans",
        "top": "Raison principale de",
        "top_share": "Part",
        "mean_contribution": "Contribution moyenne (logit)",
        "no_reason": "(aucune raison n'a augment\u00e9 le score)",
        "other_reason": "(autres noms)",
        "rule": "R\u00e8gle",
        "topics": "Sujets d\u00e9tect\u00e9s",
        "topics_caption": "Sujets sensibles d\u00e9tect\u00e9s dans au moins un tour du client",
        "topic": "Sujet",
        "conversations_with": "Conversations",
        "turns_with": "Tours du client",
        "no_topics": "Aucun sujet sensible n'a \u00e9t\u00e9 d\u00e9tect\u00e9.",
        "emotions": "\u00c9motions et ton",
        "emotions_caption": "\u00c9motion per\u00e7ue dans chaque tour du client",
        "sentiment_caption": "Ton de chaque tour du client",
        "emotion": "\u00c9motion",
        "tone": "Ton",
        "negative": "n\u00e9gatif",
        "neutral": "neutre",
        "positive": "positif",
        "languages": "Par langue",
        "languages_caption": "D\u00e9cisions selon la langue de la conversation",
        "language": "Langue",
        "mean_peak": "Score maximal moyen",
        "lang_fr": "fran\u00e7ais",
        "lang_en": "anglais",
        "problems": "Erreurs",
        "errors_text": "Enregistrements d'erreur : {n} (conversations qui n'ont pas pu \u00eatre "
                       "\u00e9valu\u00e9es).",
        "bad_text": "Lignes illisibles de l'entr\u00e9e : {n} (ignor\u00e9es par le rapport).",
        "no_problems": "Aucun enregistrement d'erreur, aucune ligne illisible.",
        "listed": "Les {n} premiers sont list\u00e9s.",
        "turns_col": "Tours",
        "errors_caption": "Enregistrements d'erreur",
        "bad_caption": "Lignes illisibles",
        "id": "Conversation",
        "where": "O\u00f9",
        "field": "Champ",
        "message": "Message",
        "table": "Conversations",
        "table_caption": "Conversations avec une chronologie, du score maximal le plus haut au plus bas",
        "position": "n\u00ba",
        "peak": "Score maximal",
        "decision_turn": "Tour de la d\u00e9cision",
        "top_reason": "Raison principale",
        "timelines": "Chronologies",
        "timelines_all": "Chronologies des {n} conversations, du score maximal le plus haut au plus bas.",
        "timelines_some": "Chronologies des {shown} conversations au score le plus haut ; {left} "
                          "autres conversations sont omises (--max-timelines {max}).",
        "timelines_none": "Aucune chronologie (--max-timelines 0) ; {left} conversations omises.",
        "legend": "Score \u00e0 chaque tour (ligne) ; points pleins : tours du client, points creux : "
                  "tours du bot ou du conseiller (ils reprennent le score) ; les grandes marques "
                  "montrent un changement de d\u00e9cision : carr\u00e9 proposer un conseiller, "
                  "triangle escalader, losange retour \u00e0 continuer. Survolez un point pour la "
                  "raison principale du tour.",
        "timeline_title": "Score d'escalade \u00e0 chaque tour de la conversation {id}",
        "timeline_desc": "{turns} tours ; score maximal {peak} au tour {peak_turn} ; d\u00e9cision "
                         "{decision}{at}.",
        "at_turn": " depuis le tour {turn}",
        "thinned": "{shown} tours montr\u00e9s sur {turns} (le score maximal de chaque tron\u00e7on et "
                   "chaque changement de d\u00e9cision).",
        "turn": "tour",
        "turn_title": "Tour {turn} ({speaker}) : score {score}, {decision}",
        "change_title": "D\u00e9cision : {before} \u2192 {after} ({rule})",
        "customer": "client",
        "agent": "conseiller",
        "bot": "bot",
        "offer_line": "proposer",
        "escalate_line": "escalader",
        "empty": "Aucune conversation dans l'entr\u00e9e.",
        "back": "retour au tableau",
        "none": "\u2014",
    },
}

_SIGNAL_NAMES = {
    "en": {
        "human_request": "Request for a human",
        "topics": "Sensitive topic",
        "sentiment": "Negative tone",
        "emotion": "Emotion",
        "friction": "Friction (going in circles)",
        "prosody": "Agitated voice",
        "model": "Text model",
    },
    "fr": {
        "human_request": "Demande de conseiller",
        "topics": "Sujet sensible",
        "sentiment": "Ton n\u00e9gatif",
        "emotion": "\u00c9motion",
        "friction": "Friction (la conversation tourne en rond)",
        "prosody": "Voix agit\u00e9e",
        "model": "Mod\u00e8le de texte",
    },
}

_RULE_NAMES = {
    "en": {
        "override:human_request": "Rule: the customer asked for a human (offer one)",
        "override:repeated_human_request": "Rule: the customer asked again (escalate)",
        "topic": "Rule: high-stakes topic, {topic} (offer a human)",
        "escalate_topic": "Rule: {topic} (escalate now)",
        "hysteresis": "Rule: decision held (hysteresis)",
    },
    "fr": {
        "override:human_request": "R\u00e8gle : le client a demand\u00e9 un conseiller (le proposer)",
        "override:repeated_human_request": "R\u00e8gle : le client a redemand\u00e9 un conseiller (escalader)",
        "topic": "R\u00e8gle : sujet \u00e0 fort enjeu, {topic} (proposer un conseiller)",
        "escalate_topic": "R\u00e8gle : {topic} (escalade imm\u00e9diate)",
        "hysteresis": "R\u00e8gle : d\u00e9cision maintenue (hyst\u00e9r\u00e9sis)",
    },
}


class _Wording:
    """The labels of ``lang`` (``"en"`` or ``"fr"``) and number formatting in that language."""

    def __init__(self, lang: str) -> None:
        if lang not in _LABELS:
            raise InputError(f"lang must be 'en' or 'fr'; got {lang!r}", field="lang", value=lang)
        self.lang = lang
        self.t = _LABELS[lang]

    def fnum(self, value: float, digits: int = 2) -> str:
        """A number with ``digits`` decimals (a decimal comma in French)."""
        text = f"{value:.{digits}f}"
        return text.replace(".", ",") if self.lang == "fr" else text

    def fint(self, value: int) -> str:
        """A count with a thousands separator."""
        text = f"{value:,}"
        return text.replace(",", "\u202f") if self.lang == "fr" else text

    def fpct(self, part: float, whole: float) -> str:
        """``part / whole`` as a percentage with one decimal (0 when ``whole`` is 0)."""
        share = 100.0 * part / whole if whole else 0.0
        text = f"{share:.1f}"
        return text.replace(".", ",") + "\u202f%" if self.lang == "fr" else text + "%"

    def decision(self, decision: str) -> str:
        """A decision's name (an unknown one as it is)."""
        return decision_name(self.lang, decision) if decision in DECISIONS else decision

    def reason_name(self, name: str) -> str:
        """The readable name of a reason key: a signal, an override rule or a topic rule."""
        t = self.t
        if name == _NONE:
            return t["no_reason"]
        if name == _OTHER:
            return t["other_reason"]
        rules = _RULE_NAMES[self.lang]
        topics = TOPIC_NAMES[self.lang]
        if name in _SIGNAL_NAMES[self.lang]:
            return _SIGNAL_NAMES[self.lang][name]
        if name in rules:
            return rules[name]
        if name.startswith("override:topic:") and name.rsplit(":", 1)[1] in topics:
            return rules["topic"].format(topic=topics[name.rsplit(":", 1)[1]])
        if name.startswith("override:") and name.split(":", 1)[1] in topics:
            return rules["escalate_topic"].format(topic=topics[name.split(":", 1)[1]])
        return name
