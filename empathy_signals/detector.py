"""Detector (resources loaded once, shared) and Session (one conversation's streaming state).

>>> from empathy_signals import Detector
>>> session = Detector().session(language="fr")
>>> session.add({"speaker": "customer", "text": "Je veux parler à un conseiller"}).decision
'offer_human'
>>> session.add({"speaker": "customer", "text": "Passez-moi un conseiller, vite !"}).decision
'escalate'

A session keeps only bounded state (the last few turns' word sets, counters, the held
decision), so ``session.add`` costs the same at turn 1,000 as at turn 10.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from . import explain
from .config import Policy
from .errors import InputError, ModelError
from .fusion import TOPIC_MEMORY, Contributions, DecisionState, Override, TurnValues, combine, severity
from .language import LanguageVote, detect
from .lexicons import Speller, load_lexicon
from .schema import (
    Assessment,
    Conversation,
    ConversationAssessment,
    EmotionScores,
    EmotionSignal,
    Evidence,
    FrictionSignal,
    HumanRequestSignal,
    ProsodySignal,
    Reason,
    SentimentSignal,
    Signals,
    TopicsSignal,
    Turn,
)
from .signals import Finding, History, LanguagePack, TurnInput, signals_of
from .signals.friction import bot_failed, content_words, jaccard
from .signals.requests import DETECTION_THRESHOLD
from .text import TokenizedText, tokenize

__all__ = ["Detector", "Session", "analyze"]

#: How many earlier customer turns are compared with the current one (friction).
CUSTOMER_MEMORY_TURNS = 3
#: Bot failures older than this many turns no longer count (friction).
BOT_FAILURE_MEMORY_TURNS = 6
#: Earlier request turns quoted in explanations (the count itself is unbounded).
REQUEST_EVIDENCE_KEPT = 5
#: Two bot turns this similar (word overlap) mean the bot repeats its prompt.
BOT_REPEAT_SIMILARITY = 0.8
#: Language votes one language needs ahead of the other before the session settles on it.
LANGUAGE_MARGIN = 2.0
#: Emotions listed in an explanation need at least this contribution to the logit.
EMOTION_REASON_MIN = 0.05
_FAMILIES = ("human_request", "topics", "sentiment", "emotion", "friction")


def validation_error(exc: ValidationError, *, prefix: str = "") -> InputError:
    """An :class:`InputError` naming the first bad field and its value."""
    err = exc.errors()[0]
    path = prefix
    for part in err["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    value = err.get("input")
    shown = repr(value) if not isinstance(value, Mapping) else "an object"
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return InputError(f"{path or 'input'}: {err['msg']}; got {shown}", field=path or None, value=value)


def _as(model: type[BaseModel], data: Any, *, what: str) -> Any:
    if isinstance(data, model):
        return data
    if not isinstance(data, Mapping):
        raise InputError(
            f"{what} must be a {model.__name__} or a mapping; got {type(data).__name__}", field=what, value=data
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, prefix=what if what != "conversation" else "") from None


class Detector:
    """Loads lexicons and the policy once; safe to share across threads and sessions.

    Parameters
    ----------
    policy
        A :class:`~empathy_signals.config.Policy`, a path to a TOML/JSON policy file, or
        ``None`` for the default policy.
    model
        ``"none"``: lexicon signals only (no model is loaded).
    """

    def __init__(self, policy: Policy | str | Path | None = None, *, model: Literal["none"] = "none") -> None:
        if policy is None:
            policy = Policy.default()
        elif not isinstance(policy, Policy):
            policy = Policy.load(policy)
        if model != "none":
            raise ModelError(f"model must be 'none' (the text model is not bundled yet); got {model!r}")
        self.policy = policy
        self.model = model
        self.packs = {language: LanguagePack(language) for language in policy.languages}
        keywords = [
            entry.pattern
            for language in policy.languages
            for entry in load_lexicon(language, "human_request").section("fuzzy").entries
        ]
        self.speller = Speller(keywords)
        self.signals = {family: signals_of(family)[-1] for family in _FAMILIES if signals_of(family)}
        for language in policy.languages:  # load every resource now, before threads share us
            Session(self, language).add(Turn(speaker="customer", text="ok"))

    def session(
        self, language: Literal["fr", "en", "auto"] = "auto", *, base_dir: str | Path | None = None
    ) -> Session:
        """A new conversation. ``auto`` settles on French or English from the turns.

        ``base_dir`` is the folder relative audio paths resolve against (the input file's).
        """
        if language != "auto" and language not in self.packs:
            raise InputError(
                f"language must be 'auto' or one of {sorted(self.packs)}; got {language!r}",
                field="language",
                value=language,
            )
        return Session(self, language, base_dir=base_dir)

    def assess(
        self, conversation: Conversation | Mapping[str, Any], *, base_dir: str | Path | None = None
    ) -> ConversationAssessment:
        """Score every turn of a whole conversation (``base_dir``: see :meth:`session`)."""
        conversation = _as(Conversation, conversation, what="conversation")
        session = self.session(conversation.language, base_dir=base_dir)
        turns = tuple(session.add(turn) for turn in conversation.turns)
        peak = max((a.escalation_score for a in turns), default=0.0)
        decision = max((a.decision for a in turns), key=severity, default="continue")
        decided_at = next((a.index for a in turns if a.decision == decision), None) if turns else None
        return ConversationAssessment(
            id=conversation.id,
            language=session.language,
            escalation_score=peak,
            decision=decision,
            decision_turn=decided_at if decision != "continue" else None,
            turns=turns,
        )


class Session:
    """The streaming state of one conversation. Not thread-safe: one session, one thread."""

    def __init__(self, detector: Detector, language: str = "auto", *, base_dir: str | Path | None = None) -> None:
        self.detector = detector
        self.base_dir = base_dir
        self._prosody_tracker: Any = None
        self.policy = detector.policy
        self._fixed_language = None if language == "auto" else language
        self._vote = LanguageVote()
        self._settled: str | None = self._fixed_language
        self._index = 0
        self._customer_words: deque[frozenset[str]] = deque(maxlen=CUSTOMER_MEMORY_TURNS)
        self._valences: deque[float] = deque(maxlen=CUSTOMER_MEMORY_TURNS)
        self._bot_turns: deque[frozenset[str]] = deque(maxlen=2)
        self._bot_failures: deque[Evidence] = deque(maxlen=4)
        self._request_evidence: deque[Evidence] = deque(maxlen=REQUEST_EVIDENCE_KEPT)
        self._request_count = 0
        self._topic_peaks: dict[str, tuple[float, Evidence | None]] = {}
        self._state = DecisionState()
        self._last: tuple[float, str, float, float] = (0.0, "continue", 0.0, self.policy.weights.bias)

    @property
    def language(self) -> str:
        """The conversation's language: fixed, settled from the turns, or the policy default."""
        return self._settled or self.policy.default_language

    @property
    def turns_seen(self) -> int:
        return self._index

    # ------------------------------------------------------------ turns

    def add(
        self, turn: Turn | Mapping[str, Any], *, audio: Any = None, sample_rate_hz: float | None = None
    ) -> Assessment:
        """Assess the conversation after ``turn``; agent and bot turns are never scored.

        ``audio`` passes the customer's samples directly (with ``sample_rate_hz``) instead
        of ``turn.audio``'s file. Audio is read only for customer turns, and never when the
        policy is text-only or prosody is off.
        """
        turn = _as(Turn, turn, what=f"turns[{self._index}]")
        index = self._index
        self._index += 1
        text = tokenize(turn.text, correct=self.detector.speller)
        language = self._language_of(text)
        pack = self.detector.packs[language]
        if turn.speaker == "customer":
            prosody = None
            if self.policy.enabled("prosody") and (audio is not None or turn.audio is not None):
                prosody = self._prosody(turn, audio, sample_rate_hz, language)
            return self._customer(index, text, language, pack, prosody)
        if turn.speaker == "bot":
            self._observe_bot(index, text, pack)
        score, decision, logit, bias = self._last
        return Assessment(
            index=index,
            speaker=turn.speaker,
            escalation_score=score,
            decision=decision,
            signals=None,
            logit=logit,
            bias=bias,
            decision_rule="carried",
        )

    def _language_of(self, text: TokenizedText) -> str:
        if self._settled is not None:
            return self._settled
        self._vote.add(text)
        settled = self._vote.decide(self.policy.default_language, margin=LANGUAGE_MARGIN)
        if settled in self.detector.packs:
            self._settled = settled
            return settled
        guess = detect(text, self.policy.default_language)
        return guess if guess in self.detector.packs else self.policy.default_language

    def _observe_bot(self, index: int, text: TokenizedText, pack: LanguagePack) -> None:
        """Bot turns feed friction only: did the bot fail to understand, or repeat itself?"""
        hit = bot_failed(text, pack)
        while self._bot_failures and index - self._bot_failures[0].turn > BOT_FAILURE_MEMORY_TURNS:
            self._bot_failures.popleft()
        if hit is not None:
            start, end = text.span(hit.first, hit.last)
            self._bot_failures.append(Evidence(turn=index, start=start, end=end, text=text.original[start:end], source=hit.source))
        self._bot_turns.append(content_words(text))

    def _prosody(self, turn: Turn, audio: Any, sample_rate_hz: float | None, language: str) -> Any:
        """The caller's prosody for this turn (a neutral result that says why on bad audio)."""
        from .audio import ProsodyTracker, load_audio

        if self._prosody_tracker is None:
            self._prosody_tracker = ProsodyTracker(language=language)
        tracker = self._prosody_tracker
        try:
            if audio is not None:
                samples = load_audio(audio, sr_hz=sample_rate_hz)
            else:
                ref = turn.audio
                samples = load_audio(ref.path, start_s=ref.start, end_s=ref.end, base_dir=self.base_dir)
        except InputError as exc:
            return _UnreadableAudio(str(exc), arousal=self.policy.weights.prosody_neutral)
        return tracker.add(samples)

    def _history(self) -> History:
        bot = self._bot_turns
        return History(
            customer_turns=tuple(self._customer_words),
            valences=tuple(self._valences),
            bot_failures=tuple(self._bot_failures),
            bot_repeated=len(bot) == 2 and jaccard(bot[0], bot[1]) >= BOT_REPEAT_SIMILARITY,
            request_turns=tuple(e.turn for e in self._request_evidence),
            request_count=self._request_count,
        )

    def _customer(
        self, index: int, text: TokenizedText, language: str, pack: LanguagePack, prosody: Any = None
    ) -> Assessment:
        policy = self.policy
        turn_input = TurnInput(index, text, language, pack, self._history())
        empty = text.is_empty
        findings: dict[str, Finding] = {}
        for family in _FAMILIES:
            spec = self.detector.signals.get(family)
            if spec is not None and policy.enabled(family) and not empty:
                findings[family] = spec.fn(turn_input)
            else:
                findings[family] = Finding(0.0)

        # --- human requests: counted per session
        request = findings["human_request"]
        detected = request.score >= DETECTION_THRESHOLD
        if detected:
            self._request_count += 1
            self._request_evidence.extend(h.evidence(turn_input) for h in request.hits)
        # --- topics: this turn, with the memory of earlier peaks
        topic_finding = findings["topics"]
        topics_now = topic_finding.scores
        topic_values = {t: max(s, TOPIC_MEMORY * self._topic_peaks.get(t, (0.0, None))[0]) for t, s in topics_now.items()}
        for topic, (peak, _) in self._topic_peaks.items():
            topic_values.setdefault(topic, TOPIC_MEMORY * peak)
        sentiment, emotion, friction = findings["sentiment"], findings["emotion"], findings["friction"]
        values = TurnValues(
            request_score=request.score,
            request_count=self._request_count,
            valence=sentiment.score,
            emotions=emotion.scores,
            topics=topic_values,
            friction=friction.score,
            arousal=None if prosody is None or prosody.neutral_reason else prosody.arousal,
        )
        contributions = combine(values, policy)
        detected_topics = tuple(topic_finding.detail.get("detected", ()))
        overrides = self._overrides(detected, detected_topics)
        decision, rule = self._state.update(contributions.score, overrides, policy, index)

        signals = Signals(
            human_request=HumanRequestSignal(detected=detected, score=request.score, count=self._request_count),
            sentiment=SentimentSignal(label=sentiment.detail.get("label", "neutral"), valence=sentiment.score),
            emotion=EmotionSignal(
                label=emotion.detail.get("label", "neutral"),
                scores=EmotionScores(**emotion.scores) if emotion.scores else EmotionScores(),
            ),
            topics=TopicsSignal(detected=detected_topics, scores=topics_now),
            friction=FrictionSignal(score=friction.score),
            prosody=None
            if prosody is None
            else ProsodySignal(
                arousal=prosody.arousal, features=prosody.features, neutral_reason=prosody.neutral_reason
            ),
        )
        findings["prosody"] = Finding(values.arousal or 0.0, detail={"messages": getattr(prosody, "messages", [])})
        reasons = self._reasons(language, contributions, findings, turn_input, values, rule, decision)

        # --- remember, for the next turns (bounded)
        for hit in topic_finding.hits:
            score = topics_now.get(hit.label, 0.0)
            if score > self._topic_peaks.get(hit.label, (0.0, None))[0]:
                self._topic_peaks[hit.label] = (score, hit.evidence(turn_input))
        if not empty:
            self._customer_words.append(content_words(text))
            self._valences.append(sentiment.score)
        score = contributions.score
        self._last = (score, decision, contributions.logit, contributions.bias)
        return Assessment(
            index=index,
            speaker="customer",
            escalation_score=score,
            decision=decision,
            signals=signals,
            reasons=reasons,
            logit=contributions.logit,
            bias=contributions.bias,
            decision_rule=rule,
            neutral_reason="empty text: no text signal to score" if empty else None,
        )

    def _overrides(self, request_now: bool, topics_now: tuple[str, ...]) -> list[Override]:
        o = self.policy.overrides
        overrides = []
        for topic in topics_now:
            if topic in o.escalate_topics:
                overrides.append(Override("escalate", f"override:{topic}", sticky=True))
            elif topic in o.offer_topics:
                overrides.append(Override("offer_human", f"override:topic:{topic}"))
        if request_now and self.policy.enabled("human_request"):
            if self._request_count >= o.escalate_on_request_count:
                overrides.append(Override("escalate", "override:repeated_human_request"))
            elif self._request_count >= o.offer_on_request_count:
                overrides.append(Override("offer_human", "override:human_request"))
        return overrides

    # ------------------------------------------------------------ explanations

    def _reasons(
        self,
        language: str,
        contributions: Contributions,
        findings: dict[str, Finding],
        turn: TurnInput,
        values: TurnValues,
        rule: str,
        decision: str,
    ) -> tuple[Reason, ...]:
        msg = explain.message
        reasons: list[Reason] = []
        for signal, value in contributions.parts.items():
            finding = findings.get(signal)
            evidence: list[Evidence] = []
            if signal == "human_request":
                evidence = list(self._request_evidence)
                turns = explain.turn_list(language, sorted({e.turn for e in evidence}) or [turn.index])
                if self._request_count:
                    text = msg(language, "human_request", count=self._request_count, turns=turns)
                else:
                    evidence = [h.evidence(turn) for h in finding.hits]
                    text = msg(language, "human_request_weak", turns=turns)
            elif signal == "sentiment":
                evidence = [h.evidence(turn) for h in finding.hits if h.weight < 0][:3]
                text = msg(language, "sentiment", valence=values.valence)
                if evidence:
                    text += " : " if language == "fr" else ": "
                    text += explain.quoted(language, [e.text for e in evidence])
            elif signal == "emotion":
                weights = self.policy.weights.emotion
                shown = sorted(
                    (e for e, s in values.emotions.items() if weights.get(e, 0.0) * s >= EMOTION_REASON_MIN),
                    key=lambda e: -values.emotions[e],
                )
                names = explain.EMOTION_NAMES[language]
                listed = ", ".join(f"{names[e]} {values.emotions[e]:.2f}" for e in shown) or "-"
                evidence = [h.evidence(turn) for h in finding.hits if h.label in shown][:3]
                text = msg(language, "emotion", emotions=listed)
            elif signal == "topics":
                names = explain.TOPIC_NAMES[language]
                ranked = sorted(values.topics, key=lambda t: -values.topics[t])
                evidence = [h.evidence(turn) for h in finding.hits]
                earlier = [self._topic_peaks[t][1] for t in ranked if t in self._topic_peaks and t not in finding.scores]
                evidence += [e for e in earlier if e is not None]
                text = msg(language, "topics", topics=", ".join(names[t] for t in ranked))
                if evidence:
                    text += " (" + explain.quoted(language, [e.text for e in evidence]) + ")"
            elif signal == "friction":
                parts = []
                for part in finding.scores:
                    fields = {"n": len(finding.evidence)} if part == "bot_failures" else {}
                    parts.append(msg(language, part, **fields))
                evidence = [h.evidence(turn) for h in finding.hits] + list(finding.evidence)
                text = msg(language, "friction", parts=", ".join(parts))
            elif signal == "prosody":
                details = "; ".join(finding.detail["messages"])
                separator = " : " if language == "fr" else ": "
                key = "prosody" if value > 0 else "prosody_calm"
                text = msg(language, key, arousal=values.arousal, details=separator + details if details else "")
            else:
                text = signal
            reasons.append(explain.reason(signal, value, text, evidence))
        reasons.sort(key=lambda r: -abs(r.contribution))
        if rule.startswith("override:") or rule == "hysteresis":
            reasons.insert(0, self._rule_reason(language, rule, decision))
        return tuple(reasons)

    def _rule_reason(self, language: str, rule: str, decision: str) -> Reason:
        msg = explain.message
        if rule == "hysteresis":
            text = msg(
                language,
                "hysteresis",
                decision=explain.decision_name(language, decision),
                since=(self._state.held_since or 0) + 1,
            )
            return explain.reason("hysteresis", 0.0, text)
        if rule.startswith("override:topic:"):
            topic = rule.rsplit(":", 1)[1]
            text = msg(language, "override:topic", topic=explain.TOPIC_NAMES[language][topic])
        elif rule in ("override:self_harm", "override:repeated_human_request", "override:human_request"):
            text = msg(language, rule)
        else:
            text = rule
        return explain.reason("override", 0.0, text)


class _UnreadableAudio:
    """Prosody of a turn whose audio could not be read: neutral, with the reason."""

    def __init__(self, reason: str, *, arousal: float) -> None:
        self.arousal = arousal
        self.features: dict[str, float] = {}
        self.messages: list[str] = []
        self.neutral_reason = f"unreadable audio: {reason}"


_DEFAULT_DETECTOR: Detector | None = None


def analyze(text: str, lang: Literal["fr", "en", "auto"] = "auto") -> Assessment:
    """One customer message, scored on its own (for notebooks).

    >>> analyze("C'est inadmissible, je veux parler à un conseiller !", lang="fr").decision
    'offer_human'
    """
    global _DEFAULT_DETECTOR
    if _DEFAULT_DETECTOR is None:
        _DEFAULT_DETECTOR = Detector()
    if not isinstance(text, str):
        raise InputError(f"text must be a string; got {type(text).__name__}", field="text", value=text)
    return _DEFAULT_DETECTOR.session(lang).add(Turn(speaker="customer", text=text))
