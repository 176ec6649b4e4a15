"""Lexicon-based sentiment (valence) and emotion signals, French and English, no model.

Valence follows VADER (Hutto & Gilbert, 2014): each sentiment word of the turn contributes
its lexicon valence (-4..4), modified by the words before it (boosters, negation), by
capitals and elongation, and by a contrastive conjunction ("mais", "but"); the sum, plus
an emphasis term for "!" and "?", is squashed to [-1, 1] with ``x / sqrt(x**2 + alpha)``.
Multi-word customer-care phrases ("ras le bol", "pas de souci", "waste of time") take
precedence over the words inside them: those words are neither re-scored nor negated.

French negation surrounds the verb: a sentiment word is negated when a negator comes up
to :data:`NEGATION_WINDOW_TOKENS` tokens before it in the same clause ("pas content",
"ce n'est plus possible") or when "ne"/"n'" comes before it and "pas"/"plus"/"jamais"/...
after it ("je ne l'aime pas"); colloquial French drops "ne" ("j'aime pas").

Emotion scores come from ``emotion.txt`` (hand-written, sections per emotion), from the
valence of the other words (negative words feed frustration, positive words joy; see
:data:`FRUSTRATION_PER_NEGATIVE_VALENCE`), from emoji, and, for anger and frustration,
from intensity cues (boosters, capitals, "!!!"). Each emotion's raw evidence ``r`` maps
to ``1 - exp(-r)``; ``neutral = 1 - max(other emotions)``.

Derived lexicons (``valence_derived.tsv``, ``emotion_derived.tsv``; smoothed, shrunk
log-odds fitted on train-OK data by ``models/lexicons/derive_weights.py``) are blended in
when the per-word table is built: a word of the vendored lexicon gets
``(1 - b) * vendored + b * derived`` (:data:`DERIVED_VALENCE_BLEND`), a word it lacks gets
the derived valence; care.txt words, boosters and negators are never changed. A word that
``emotion.txt`` does not list adds ``gain * log-odds`` of raw evidence to each emotion it
is associated with (:data:`DERIVED_EMOTION_GAIN`), unless negated.

French vendored valences are first blended with a valence induced cross-lingually from
the English VADER lexicon (``valence_induced.tsv``, :data:`INDUCED_VALENCE_BLEND`), which
corrects translation artifacts of the machine-translated French lexicon.

French words of the vendored lexicon also give their regular inflections (verb endings,
feminine, plural) that it lacks, with the same valence and source, when the table is built
(:data:`INFLECT_VALENCE`); listed forms, care.txt and function words take precedence.

Resources (lexicons and the per-word table) are built once per language through
:meth:`LanguagePack.resource`; each turn is one dictionary lookup per token plus one
regular-expression scan for multi-word phrases.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache

from ..lexicons import Entry, Section, has_data, index_for, load_lexicon, read_rows
from ..schema import EMOTIONS
from ..text import CLAUSE_PUNCTUATION, TokenizedText, fold, tokenize
from .base import Finding, Hit, TurnInput, register

__all__ = [
    "NEUTRAL_BAND",
    "emotion",
    "valence",
]

# ---------------------------------------------------------------- valence constants
# VADER's empirically derived constants (vaderSentiment 3.3.2) unless said otherwise.

#: Valence added (in the word's direction) by a booster right before it (VADER B_INCR).
B_INCR = 0.293
#: Booster effect by distance: 1, 2 or 3 tokens before the word (VADER: x1, x0.95, x0.9).
BOOSTER_DECAY = (1.0, 0.95, 0.9)
#: Valence added to a word written in capitals when the turn is not all capitals (C_INCR).
C_INCR = 0.733
#: Valence added to an elongated word ("nuuul", "sooo good"); VADER has none: same as a
#: booster, by reasoning (elongation is emphasis, as "très").
E_INCR = 0.293
#: Factor applied to a negated word's valence (VADER N_SCALAR).
N_SCALAR = -0.74
#: How far before a word a negator or booster still acts, in tokens (VADER: 3).
NEGATION_WINDOW_TOKENS = 3
#: Words before a contrastive conjunction ("but", "mais") weigh this much (VADER)...
CONTRAST_BEFORE = 0.5
#: ... and words after it this much (VADER).
CONTRAST_AFTER = 1.5
#: Emphasis added per "!" in the turn, up to EXCLAMATION_MAX of them (VADER).
EXCLAMATION_INCR = 0.292
EXCLAMATION_MAX = 4
#: Emphasis per "?" when there are two or more (VADER), capped at QUESTION_CAP.
QUESTION_INCR = 0.18
QUESTION_CAP = 0.96
#: Normalisation ``x / sqrt(x**2 + alpha)`` (VADER's alpha).
NORMALISATION_ALPHA = 15.0
#: Half-width of the neutral band per language: valence >= band is positive, <= -band
#: negative. English: chosen on GoEmotions *train* (Apache-2.0, train OK), argmax of
#: 3-class macro-F1 over GoEmotions' own sentiment groups on a grid 0.01..0.4 (0.30: 0.621;
#: VADER's 0.05: 0.615; ``python benchmarks/quality_sentiment.py --tune``). French: no
#: train-OK French set has a neutral class, so the English band is carried over by
#: quantile matching on comparable text: English band 0.30 leaves 59.9 % of the XED
#: English annotated subtitles (CC BY 4.0, train OK) inside the band (English lexicon);
#: the same share of the XED French projections' *train* split (French lexicon) has
#: |valence| <= 0.202 (bootstrap 5-95 %: 0.178-0.202), rounded to 0.20; after the later
#: French lexicon changes the same rule gives 0.194 (0.179-0.202), inside that interval
#: (``python benchmarks/quality_sentiment.py --match-band``). Never chosen on UMSAB (eval only).
NEUTRAL_BAND = {"en": 0.30, "fr": 0.20}
#: Band for a language missing from NEUTRAL_BAND (VADER's default).
DEFAULT_NEUTRAL_BAND = 0.05

# ---------------------------------------------------------------- emotion constants
# Hand-tuned by reasoning (no fitting); each emotion's raw evidence r maps to 1 - exp(-r).

#: Share of a word's boosted strength added per booster before an anger/frustration word.
EMOTION_BOOSTER_GAIN = 1.0
#: Extra strength of an anger/frustration word written in capitals (x1.5).
EMOTION_CAPS_GAIN = 0.5
#: Extra strength of an elongated anger/frustration word (x1.3).
EMOTION_ELONGATION_GAIN = 0.3
#: Anger and frustration grow by this fraction per "!" (up to EXCLAMATION_MAX).
EMOTION_EXCLAMATION_GAIN = 0.15
#: Raw anger of a turn shouted in capitals (at least SHOUT_MIN_WORDS words, half the words).
SHOUT_ANGER = 0.5
SHOUT_MIN_WORDS = 2
#: Raw frustration per unit of negative valence of words outside emotion.txt ("nul", "pas
#: content"): a -3 word gives 0.3, i.e. a weak but real frustration cue.
FRUSTRATION_PER_NEGATIVE_VALENCE = 0.1
#: Raw joy per unit of positive valence of words outside emotion.txt.
JOY_PER_POSITIVE_VALENCE = 0.08
#: Raw strength of an emoji listed with an emotion in emoji.tsv.
EMOJI_EMOTION = 1.0

# ---------------------------------------------------------------- derived-lexicon constants
# Chosen by 5-fold cross-validation inside the *train* split of the fitting data (XED FR
# projections for French, GoEmotions train for English; both train OK), never on eval-only
# data; see the header of each derived file and models/lexicons/derive_weights.py.

#: Share of the derived valence where the vendored lexicon also has the word:
#: ``(1 - b) * vendored + b * derived``. Words the vendored lexicon lacks take the derived
#: valence as is (0 here still fills those gaps). French: 0.25, the CV optimum over
#: 0, 0.25, 0.5, 0.75, 1 (valence ROC AUC 0.724 vs 0.709 for the vendored lexicons alone,
#: which now include the induced valence and the inflections).
DERIVED_VALENCE_BLEND = {"fr": 0.25}
#: Raw emotion evidence per nat of derived log-odds, for words that emotion.txt does not
#: list (0 turns derived emotions off). French: 0.03, the CV optimum over 0..0.25 (mean
#: AUC of anger, sadness, fear, joy 0.603 vs 0.565 without; function words such as "je"
#: are not candidates, so they never appear as an emotion's evidence); deliberately small:
#: the derived words are weak, broad evidence next to the hand-written emotion.txt.
DERIVED_EMOTION_GAIN = {"fr": 0.03}
#: Languages whose derived lexicon files are used. English has none yet: it keeps the
#: vendored VADER lexicon (see models/lexicons/derive_weights.py --language en).
USE_DERIVED = {"fr": True, "en": False}
#: Whether the derived *valence* is used too (the derived emotions are, wherever
#: USE_DERIVED). French: off. Blended in, it raised valence AUC on held-out XED but lowered
#: UMSAB French macro-F1 from 0.527 to 0.464 (XED has no neutral class, and rare derived
#: words tip neutral turns). Measured once on UMSAB, then switched off: see
#: benchmarks/results/quality_sentiment*.json.
USE_DERIVED_VALENCE = {"fr": False, "en": False}
#: Share of the *induced* valence in a vendored word's valence (``valence_induced.tsv``,
#: cross-lingual lexicon induction by models/lexicons/induce_fr_valence.py: ridge map from
#: e5 embeddings to VADER valence, fitted on the English VADER lexicon, applied to the
#: French keys): ``(1 - a) * vendored + a * induced``, per vendored key, before inflection,
#: care.txt and the derived lexicons. 0 or absent: off. French: 0.5, chosen over
#: 0, 0.1, 0.25, 0.5, 0.75, 1 by valence ROC AUC on the XED FR *train* split (train OK):
#: 0.711 vs 0.703 without (held-out 20 %: 0.719 vs 0.699); see the file's header.
INDUCED_VALENCE_BLEND: dict[str, float] = {"fr": 0.5}

# ---------------------------------------------------------------- inflection constants
#: Languages whose vendored single-word valence keys are expanded to their regular
#: inflections when the per-word table is built (:func:`_french_inflections`; forms the
#: lexicon already lists keep their own valence). French only: the vendored French
#: lexicon mostly lists masculine singular and infinitive forms. Rules by reasoning, not
#: fitted; XED FR held-out valence AUC in benchmarks/results/quality_sentiment.json.
INFLECT_VALENCE = {"fr": True}
#: Endings generated for a French "-er" verb (stem + ending): present, imperfect, future,
#: conditional, past participle. No "-ant", "-ions", "-iez" (they collide with nouns).
_FR_ER_ENDINGS = (
    "e", "es", "ent", "ez", "erai", "eras", "era", "erons", "erez", "eront",
    "erais", "erait", "eraient", "é", "ée", "és", "ées", "èrent",
)
#: Endings generated for a French second-group "-ir" verb (stem + ending).
_FR_IR_ENDINGS = (
    "is", "it", "issons", "issez", "issent", "issais", "issait", "issaient",
    "i", "ie", "ies", "irai", "ira", "irait", "irons", "iront",
)

_INTENSE = frozenset({"anger", "frustration"})
_EMOTION_LABELS = tuple(e for e in EMOTIONS if e != "neutral")

# Token record flags.
_VALENCE = 1
_BOOSTER = 2
_NEGATOR = 4
_NE_NEGATOR = 8
_NE = 16
_POST_NEGATOR = 32
_BARE_POST_NEGATOR = 64
_CONTRAST = 128
_PUNCT = 256
_EMOTION = 512
_CARE_PHRASE = 1024  # a care or vendored phrase may start at this word
_EMOTION_PHRASE = 2048  # a multi-word emotion entry may start at this word
_DERIVED = 4096  # derived emotion evidence (emotion_derived.tsv)
_STOP = _PUNCT  # negation and boosters never cross clause punctuation
#: Function words the derived lexicons never change (their role is a rule, not a valence).
_FUNCTION = _BOOSTER | _NEGATOR | _NE_NEGATOR | _NE | _POST_NEGATOR | _BARE_POST_NEGATOR | _CONTRAST | _PUNCT

_BOOSTER_SECTIONS = {
    "negator": _NEGATOR,
    "ne_negator": _NE_NEGATOR,
    "ne": _NE,
    "post_negator": _POST_NEGATOR,
    "bare_post_negator": _BARE_POST_NEGATOR,
}
_SIMPLE_ALTERNATION = re.compile(r"^\(?\s*(\w+\*?(?:\s*\|\s*\w+\*?)*)\s*\)?$")
_ELONGATED = re.compile(r"(\w)\1{2,}")
#: Two capitals in a row: a word may be shouted (Latin script: French and English).
_CAPITALS = re.compile(r"[A-ZÀ-ÖØ-ÞŒ]{2}")
_EMOTICON_HINT = re.compile(r"[:;=<]|\b[xX][dDpP]\b")
_CACHE_LIMIT = 100_000
#: Longer tokens (numbers, URLs) are never looked up.
MAX_WORD_CHARS = 40


@dataclass(frozen=True, slots=True)
class _Rec:
    """What the lexicons say about one folded word."""

    flags: int
    valence: float = 0.0
    source: str = ""
    boost: float = 0.0
    emotions: tuple[tuple[str, float, str], ...] = ()
    #: Derived emotion evidence (label, raw strength, source); only for words without emotions.
    derived: tuple[tuple[str, float, str], ...] = ()


class _Tables:
    """Per-language tables: one record per word (cached), phrase sections, emoji."""

    def __init__(self, language: str) -> None:
        self.language = language
        words: dict[str, list] = {}  # word -> [flags, valence, source, boost, emotions]
        self.emoticons: dict[str, tuple[float, str]] = {}
        self._longest_prefix = MAX_WORD_CHARS  # narrowed once the prefix tables are built

        def slot(word: str) -> list:
            return words.setdefault(word, [0, 0.0, "", 0.0, []])

        # 1. vendored valence (keys folded; keys that fold alike are averaged)
        folded_sums: dict[str, list] = {}
        lemmas: list[tuple[str, float, str]] = []  # single alphabetic keys, accents kept
        phrase_entries: dict[str, Entry] = {}
        where = f"{language}/valence.tsv"
        share = INDUCED_VALENCE_BLEND.get(language, 0.0)
        induced = _load_induced(language) if share else {}
        for number, (key, value) in read_rows(where):
            valence = float(value)
            if key in induced:
                valence = (1.0 - share) * valence + share * induced[key]
            parts = tokenize(key).words
            if re.fullmatch(r"[\w'\- ]+", key) and parts and all(len(p) > 1 or p.isalpha() for p in parts):
                if len(parts) == 1:
                    acc = folded_sums.setdefault(parts[0], [0.0, 0, f"{where}:{number}"])
                    acc[0] += valence
                    acc[1] += 1
                    if key.isalpha():
                        lemmas.append((key.lower(), valence, f"{where}:{number}"))
                elif all(p.isalpha() for p in parts):
                    pattern = " ".join(parts)
                    phrase_entries.setdefault(pattern, Entry(pattern, valence, "valence", f"{where}:{number}"))
                continue
            self.emoticons.setdefault(key, (valence, f"{where}:{number}"))
            self.emoticons.setdefault(key.lower(), (valence, f"{where}:{number}"))
        # 1b. inflected forms the vendored lexicon lacks take their lemma's valence and
        # source (forms of several lemmas are averaged); the steps below override them
        # like any vendored word (care words, boosters, negators, care prefixes)
        inflected: dict[str, list] = {}
        if INFLECT_VALENCE.get(language, False):
            for key, valence, source in lemmas:
                for form in _french_inflections(key):
                    if form not in folded_sums:
                        acc = inflected.setdefault(form, [0.0, 0, source])
                        acc[0] += valence
                        acc[1] += 1
        for sums in (folded_sums, inflected):
            for word, (total, count, source) in sums.items():
                rec = slot(word)
                rec[0] |= _VALENCE
                rec[1] = total / count
                rec[2] = source

        # 2. customer-care vocabulary overrides the vendored valence
        care_prefixes: dict[str, tuple[float, str]] = {}
        self.care = load_lexicon(language, "care").section("valence")
        self.complex_sources: set[str] = set()  # entries matched as phrases, not per word
        for entry in self.care.entries:
            simple = _simple_words(entry.pattern)
            if simple is None:
                self.complex_sources.add(entry.source)
                continue
            for word, is_prefix in simple:
                if is_prefix:
                    care_prefixes[word] = (entry.weight, entry.source)
                else:
                    rec = slot(word)
                    rec[0] |= _VALENCE
                    rec[1], rec[2] = entry.weight, entry.source
        self.prefixes = care_prefixes

        # 3. boosters, negators, contrast (booster/negator words carry no valence, as in VADER)
        self.contrast_pairs: dict[str, str] = {}
        boosters = load_lexicon(language, "boosters")
        for name, section in boosters.sections.items():
            for entry in section.entries:
                parts = fold(entry.pattern).replace("'", " ").split()
                if name == "contrast":
                    if len(parts) == 2:
                        self.contrast_pairs[parts[1]] = parts[0]
                    else:
                        slot(parts[0])[0] |= _CONTRAST
                    continue
                rec = slot(parts[0])
                if name == "booster":
                    rec[0] = (rec[0] | _BOOSTER) & ~_VALENCE
                    rec[3] = entry.weight
                elif name in _BOOSTER_SECTIONS:
                    rec[0] |= _BOOSTER_SECTIONS[name]
                    if name in ("negator", "ne_negator", "ne"):
                        rec[0] &= ~_VALENCE
        for word in self.contrast_pairs:
            slot(word)
        for mark in CLAUSE_PUNCTUATION:
            slot(mark)[0] = _PUNCT

        # 4. emotion words (single words here, the rest compiled as phrases)
        emotion_prefixes: dict[str, list[tuple[str, float, str]]] = {}
        self.emotion_sections = tuple(load_lexicon(language, "emotion").sections.values())
        for section in self.emotion_sections:
            label = section.entries[0].section if section.entries else ""
            for entry in section.entries:
                simple = _simple_words(entry.pattern)
                if simple is None:
                    self.complex_sources.add(entry.source)
                    continue
                for word, is_prefix in simple:
                    item = (label, entry.weight, entry.source)
                    if is_prefix:
                        emotion_prefixes.setdefault(word, []).append(item)
                    else:
                        rec = slot(word)
                        rec[0] |= _EMOTION
                        rec[4].append(item)
        for word, rec in words.items():
            for length in range(len(word), 0, -1):
                for item in emotion_prefixes.get(word[:length], ()):
                    if all(item[0] != e[0] for e in rec[4]):
                        rec[0] |= _EMOTION
                        rec[4].append(item)
        self.emotion_prefixes = emotion_prefixes
        # a care prefix overrides the vendored words it covers (not care words, not boosters)
        for word, rec in words.items():
            if "care.txt" in rec[2] or rec[0] & (_BOOSTER | _NEGATOR | _NE | _NE_NEGATOR | _PUNCT):
                continue
            hit = self.prefixes_of(word)
            if hit is not None:
                rec[0] |= _VALENCE
                rec[1], rec[2] = hit

        self.phrases = Section(tuple(phrase_entries.values()), index=index_for(language))
        # 6. words at which a phrase may start: phrases are looked up only in turns that have one
        self.phrase_prefixes: dict[str, int] = {}
        self._longest_prefix = MAX_WORD_CHARS
        for flag, sections in ((_CARE_PHRASE, (self.care, self.phrases)), (_EMOTION_PHRASE, self.emotion_sections)):
            for section in sections:
                for compiled in section.compiled:
                    if compiled.entry.source not in self.complex_sources and section is not self.phrases:
                        continue
                    for kind, key in compiled.first:
                        if kind == "w":
                            slot(key)[0] |= flag
                        else:
                            self.phrase_prefixes[key] = self.phrase_prefixes.get(key, 0) | flag
        self._longest_prefix = max(map(len, [*self.prefixes, *self.emotion_prefixes, *self.phrase_prefixes, ""]))
        for word, rec in words.items():
            rec[0] |= self._phrase_prefix_flags(word)

        self._base = {
            w: _Rec(r[0], r[1] if r[0] & _VALENCE else 0.0, r[2], r[3], tuple(r[4])) for w, r in words.items()
        }
        # 7. derived lexicons, blended over the table above
        self._table: dict[str, _Rec] = self._base
        self.cache: dict[str, _Rec | None] = dict(self._table)
        if USE_DERIVED.get(language, False):
            derived_valence, derived_emotions = _load_derived(language)
            self.set_derived(
                derived_valence if USE_DERIVED_VALENCE.get(language, False) else {},
                derived_emotions,
                blend=DERIVED_VALENCE_BLEND.get(language, 0.0),
                gain=DERIVED_EMOTION_GAIN.get(language, 0.0),
            )

        # 5. emoji (language-independent file)
        self.emoji: dict[str, tuple[float, str, str]] = {}
        for number, (char, valence, label) in read_rows("emoji.tsv"):
            self.emoji[char] = (float(valence), label if label != "-" else "", f"emoji.tsv:{number}")
        self.emoji_re = re.compile("[" + "".join(re.escape(c) for c in self.emoji) + "]")
        #: The emoji characters: a set test (fast) tells whether the regex needs to run.
        self.emoji_chars = frozenset(self.emoji)
        #: The language's lexicon index (package lexicons and the phrases above are in it) and
        #: each emotion section's id there (-1 when empty): one scan serves every section.
        self.index = index_for(language)
        self.emotion_sids = tuple(section.sid for section in self.emotion_sections)

    def set_derived(
        self,
        valence: dict[str, tuple[float, str]],
        emotions: dict[str, list[tuple[str, float, str]]],
        *,
        blend: float,
        gain: float,
    ) -> None:
        """Rebuild the per-word table from the lexicons plus derived weights.

        ``valence`` maps a folded word to (valence on the VADER scale, source);
        ``emotions`` maps it to (emotion, log-odds in nats, source) items. ``blend`` is
        :data:`DERIVED_VALENCE_BLEND`, ``gain`` :data:`DERIVED_EMOTION_GAIN`. Called once
        at build time (and by the cross-validation of ``derive_weights.py``).
        """
        table = dict(self._base)
        for word in valence.keys() | emotions.keys():
            base = table.get(word)
            if base is None:
                base = self._by_prefix(word) or _Rec(0)
            flags = base.flags
            if flags & _FUNCTION:
                continue
            value, source, derived = base.valence, base.source, ()
            hit = valence.get(word)
            if hit is not None and "care.txt" not in source:
                if flags & _VALENCE:
                    value = (1.0 - blend) * value + blend * hit[0]
                    source = f"{source}+{hit[1]}" if blend else source
                else:
                    value, source = hit
                    flags |= _VALENCE
            if gain and not flags & _EMOTION and word in emotions:
                derived = tuple((label, gain * weight, where) for label, weight, where in emotions[word])
                flags |= _DERIVED
            table[word] = _Rec(flags, value, source, base.boost, base.emotions, derived)
        self._table = table
        self.cache = dict(table)

    def lookup(self, word: str) -> _Rec | None:
        """Record of a word not in the table: prefix entries, else elongation variants."""
        if len(word) > MAX_WORD_CHARS:
            return None  # no lexicon word is this long ("9999...", a URL): not cached either
        rec = self._by_prefix(word)
        if rec is None and len(word) > 2 and word.isalpha():
            # elongation collapses to two letters ("nuuuul" -> "nuul"): try one letter less
            # at each doubled letter (one level only: linear in the word's length)
            for i in range(len(word) - 1):
                if word[i] == word[i + 1]:
                    shorter = word[:i] + word[i + 1 :]
                    rec = self._table.get(shorter) or self._by_prefix(shorter)
                    if rec is not None:
                        break
        if len(self.cache) >= _CACHE_LIMIT:
            self.cache = dict(self._table)
        self.cache[word] = rec
        return rec

    def _by_prefix(self, word: str) -> _Rec | None:
        valence = self.prefixes_of(word)
        emotions: list[tuple[str, float, str]] = []
        for length in range(min(len(word), self._longest_prefix), 0, -1):
            for item in self.emotion_prefixes.get(word[:length], ()):
                if all(item[0] != e[0] for e in emotions):
                    emotions.append(item)
        rec: _Rec | None = None
        phrase_flags = self._phrase_prefix_flags(word)
        if valence is not None or emotions or phrase_flags:
            flags = (_VALENCE if valence is not None else 0) | (_EMOTION if emotions else 0) | phrase_flags
            value, source = valence if valence is not None else (0.0, "")
            rec = _Rec(flags, value, source, 0.0, tuple(emotions))
        return rec

    def _phrase_prefix_flags(self, word: str) -> int:
        flags = 0
        for length in range(min(len(word), self._longest_prefix), 0, -1):
            flags |= self.phrase_prefixes.get(word[:length], 0)
        return flags

    def prefixes_of(self, word: str) -> tuple[float, str] | None:
        for length in range(min(len(word), self._longest_prefix), 0, -1):
            hit = self.prefixes.get(word[:length])
            if hit is not None:
                return hit
        return None


def _load_derived(language: str) -> tuple[dict[str, tuple[float, str]], dict[str, list[tuple[str, float, str]]]]:
    """``<language>/valence_derived.tsv`` and ``emotion_derived.tsv``; empty if not shipped."""
    valence: dict[str, tuple[float, str]] = {}
    emotions: dict[str, list[tuple[str, float, str]]] = {}
    path = f"{language}/valence_derived.tsv"
    if has_data(path):
        for number, (word, value) in read_rows(path):
            valence[word] = (float(value), f"{path}:{number}")
    path = f"{language}/emotion_derived.tsv"
    if has_data(path):
        for number, (word, label, value) in read_rows(path):
            emotions.setdefault(word, []).append((label, float(value), f"{path}:{number}"))
    return valence, emotions


def _load_induced(language: str) -> dict[str, float]:
    """``<language>/valence_induced.tsv``: vendored key -> induced valence; empty if not shipped."""
    path = f"{language}/valence_induced.tsv"
    induced: dict[str, float] = {}
    if has_data(path):
        for _, (key, value) in read_rows(path):
            induced[key] = float(value)
    return induced


def _simple_words(pattern: str) -> list[tuple[str, bool]] | None:
    """``word``, ``word*`` or ``(a|b*|c)`` as (folded word, is_prefix) pairs, else None."""
    match = _SIMPLE_ALTERNATION.match(fold(pattern).strip())
    if match is None or ("(" in pattern) != (")" in pattern):
        return None
    out = []
    for alternative in match.group(1).split("|"):
        alternative = alternative.strip()
        out.append((alternative.rstrip("*"), alternative.endswith("*")))
    return out


def _french_inflections(key: str) -> set[str]:
    """Folded regular inflections of a French lexicon key (lower case, accents kept).

    The vendored French lexicon mostly lists masculine singular adjectives and
    infinitives. Regular forms are generated from the key's ending: first-group verbs
    ("-er": present, imperfect, future, conditional, past participle), second-group
    verbs ("-ir" with "-iss-"), feminine and plural of adjectives ("-eux" -> "-euse",
    "-if" -> "-ive", "-el" -> "-elle", "-ant" -> "-ante", "-é" -> "-ée", ...), plural of
    nouns. Forms that could as well be other common words are left out by rule: no
    present participle of "-er" verbs ("enfer" -> "enfant"), no "-ions"/"-iez" ("rater"
    -> "rations"), no feminine "+e" after a plain consonant ("éclat" -> "éclate"). Keys
    shorter than 4 letters are not inflected. Rules written by reasoning about French
    morphology, not fitted; checked on XED FR *train* (train OK) and on hand-written
    sentences (tests/test_sentiment_fr_inflection.py).
    """
    forms: list[str] = []
    if len(key) < 4 or not key.isalpha():
        return set()
    if key.endswith("er") and len(key) >= 5:
        stem = key[:-2]
        soft = stem + "e" if stem.endswith("g") else stem[:-1] + "ç" if stem.endswith("c") else stem
        forms += [stem + s for s in _FR_ER_ENDINGS]
        forms += [soft + s for s in ("ons", "ais", "ait", "aient", "a")]
    elif key.endswith("ir") and len(key) >= 5:
        forms += [key[:-2] + s for s in _FR_IR_ENDINGS]
    elif key.endswith("é"):
        forms += [key + "e", key + "s", key + "es"]
    elif key.endswith("eux"):
        forms += [key[:-1] + "se", key[:-1] + "ses"]
    elif key.endswith("if"):
        forms += [key[:-1] + "ve", key[:-1] + "ves", key + "s"]
    elif key.endswith(("el", "eil", "ien", "on", "et")):
        forms += [key + key[-1] + "e", key + key[-1] + "es", key + "s"]
    elif key.endswith("eur"):
        forms += [key[:-1] + "se", key[:-1] + "ses", key + "s"]
    elif key.endswith("al"):
        forms += [key[:-1] + "ux", key + "e", key + "es"]
    elif key.endswith("eau"):
        forms += [key + "x"]
    elif key.endswith("ier"):
        forms += [key[:-2] + "ère", key[:-2] + "ères", key + "s"]
    elif key.endswith(("ant", "ent", "u", "i", "in", "ain", "ard", "ot", "ais", "is", "it")):
        forms += [key + "e", key + "es"] + ([] if key.endswith("s") else [key + "s"])
    elif not key.endswith(("s", "x", "z")):
        forms += [key + "s"]
    return {fold(form) for form in forms}


@cache
def _tables_of(language: str) -> _Tables:
    # once per process and language: sections register in the language's lexicon index
    return _Tables(language)


def _tables(turn: TurnInput) -> _Tables:
    return turn.pack.resource("sentiment.tables.v1", _tables_of)


#: Record flags of the words the valence or emotion loops look at.
_SCORED = _VALENCE | _EMOTION | _DERIVED
#: Record flags without which no word of a turn can be negated (see :func:`_negator_before`:
#: "plus" negates only after "ne", and a post-negator only after "ne").
_NEGATION_CUES = _NEGATOR | _NE | _BARE_POST_NEGATOR
#: Key under which a turn's :class:`_TurnPass` is kept in its ``TokenizedText.__dict__``.
_PASS_KEY = "_sentiment_pass"


_MISSING = _Rec(-1)


class _TurnPass:
    """What valence and emotion both need from one turn, computed once and shared.

    The two signals read the same records, capital/elongation flags and negation scopes;
    :func:`_turn_pass` builds this analysis on the first of them and keeps it on the
    turn's ``TokenizedText`` (per turn, so nothing is shared between threads).

    Attributes
    ----------
    table : dict
        The per-word table the records come from (a rebuilt table, see
        :meth:`_Tables.set_derived`, makes the pass stale).
    recs : list of _Rec or None, shape (n_tokens,)
        The record of each token.
    present : int
        The union of the records' flags.
    scored : tuple of int
        Indices of the tokens with valence, emotion or derived evidence, in order.
    shouted, elongated : list of bool, shape (n_tokens,), or None
        The ``shouted``/``elongated`` flags of :class:`~empathy_signals.text.Token`;
        ``None`` when no word can be either (no two capitals in a row, no elongation).
    caps : bool
        Capitals are emphasis: some words are in capitals and some are not.
    shouted_words, word_count : int
        Words of two characters or more (letters only), and how many are in capitals.
    """

    __slots__ = ("_negators", "caps", "elongated", "present", "recs", "scored", "shouted", "shouted_words",
                 "table", "word_count")  # fmt: skip

    def __init__(self, tables: _Tables, text: TokenizedText) -> None:
        self.table = tables._table
        cache = tables.cache
        lookup = tables.lookup
        missing = _MISSING
        recs: list[_Rec | None] = []
        scored = []
        present = 0
        for i, word in enumerate(text.words):
            rec = cache.get(word, missing)
            if rec is missing:
                rec = lookup(word)
            recs.append(rec)
            if rec is not None:
                present |= rec.flags
                if rec.flags & _SCORED:
                    scored.append(i)
        self.recs = recs
        self.present = present
        self.scored = tuple(scored)
        self._negators: dict[int, int] = {}
        self.shouted = self.elongated = None
        self.caps = False
        self.shouted_words = self.word_count = 0
        original, folded = text.original, text.folded
        elongation = text.elongation
        if not elongation and _CAPITALS.search(original) is None:
            return
        # The flags of text.tokens, without building the Token objects.
        spans = list(zip(text.starts, text.ends))
        self.shouted = shouted = [end - start >= 2 and original[start:end].isupper() for start, end in spans]
        if elongation:
            self.elongated = [
                not folded[start:end].isdigit() and _ELONGATED.search(folded, start, end) is not None
                for start, end in spans
            ]
        else:  # no token can hold an elongation the whole text lacks
            self.elongated = [False] * len(spans)
        word_count = shouted_words = 0
        for word, (start, end), shout in zip(text.words, spans, shouted):
            if end - start >= 2 and word.isalpha():  # "C'EST": "c" is neither
                word_count += 1
                shouted_words += shout
        self.word_count, self.shouted_words = word_count, shouted_words
        self.caps = 0 < shouted_words < word_count

    def negator(self, i: int) -> int:
        """Index of the token that negates token ``i``, or -1 (:func:`_negator_before`, memoised)."""
        if not self.present & _NEGATION_CUES:
            return -1
        found = self._negators.get(i)
        if found is None:
            found = self._negators[i] = _negator_before(self.recs, i)
        return found


def _turn_pass(tables: _Tables, text: TokenizedText) -> _TurnPass:
    """The shared analysis of ``text`` (built by the first of valence and emotion to ask)."""
    cached = text.__dict__.get(_PASS_KEY)
    if cached is not None and cached.table is tables._table:
        return cached
    made = text.__dict__[_PASS_KEY] = _TurnPass(tables, text)
    return made


def _negator_before(recs: list, i: int) -> int:
    """Index of the token that negates token ``i``, or -1 (see the module docstring)."""
    lo = i - NEGATION_WINDOW_TOKENS
    j = i - 1
    ne_at = -1
    while j >= 0 and j >= lo:
        rec = recs[j]
        if rec is not None:
            flags = rec.flags
            if flags & _STOP:
                break
            if flags & _NEGATOR:
                return j
            if flags & _NE_NEGATOR:
                # "plus" negates only after "ne"/"n'"
                k = j - 1
                while k >= 0 and k >= j - NEGATION_WINDOW_TOKENS:
                    r = recs[k]
                    if r is not None and r.flags & _STOP:
                        break
                    if r is not None and r.flags & _NE:
                        return j
                    k -= 1
            if flags & _NE and ne_at < 0:
                ne_at = j
        j -= 1
    n = len(recs)
    if i + 1 < n:
        nxt = recs[i + 1]
        if nxt is not None and nxt.flags & _BARE_POST_NEGATOR:
            return i + 1
    if ne_at >= 0:
        j = i + 1
        hi = i + NEGATION_WINDOW_TOKENS
        while j < n and j <= hi:
            rec = recs[j]
            if rec is not None:
                if rec.flags & _STOP:
                    break
                if rec.flags & _POST_NEGATOR:
                    return j
            j += 1
    return -1


def _phrases(tables: _Tables, section: Section, turn: TurnInput) -> list:
    """Matches of the multi-word (or otherwise complex) entries of ``section``, leftmost
    first and then longest (callers drop the ones that overlap a match already taken)."""
    return _complex(section.matches(turn.text), tables.complex_sources)


def _complex(matches, complex_sources: set[str]) -> list:
    """The multi-word (or complex) matches among ``matches``, leftmost first, then longest."""
    if not matches:
        return []
    found = [m for m in matches if m.last > m.first or m.entry.source in complex_sources]
    if len(found) > 1:
        found.sort(key=lambda m: (m.first, -m.last))
    return found


def _contrast_index(tables: _Tables, recs: list, words: tuple[str, ...], skip, present: int) -> int:
    """Index of the contrastive conjunction ("mais", "but") outside ``skip``, or -1."""
    pairs = tables.contrast_pairs
    if not present & _CONTRAST and pairs.keys().isdisjoint(words):
        return -1  # no contrast word at all, nor the second word of a two-word one
    for i, rec in enumerate(recs):
        if rec is None or i in skip:
            continue
        if rec.flags & _CONTRAST:
            return i
        first = pairs.get(words[i])
        if first is not None and i > 0 and words[i - 1] == first:
            return i
    return -1


def _emphasis(count_excl: int, count_quest: int) -> float:
    amplifier = min(count_excl, EXCLAMATION_MAX) * EXCLAMATION_INCR
    if count_quest > 1:
        amplifier += min(count_quest * QUESTION_INCR, QUESTION_CAP)
    return amplifier


def _anchor(text, position: int) -> int:
    """Token index at or before character ``position`` (for evidence of emoji/emoticons)."""
    return max(0, bisect_right(text.starts, position) - 1)


def neutral_band(language: str) -> float:
    """Half-width of the language's neutral band (:data:`NEUTRAL_BAND`)."""
    return NEUTRAL_BAND.get(language, DEFAULT_NEUTRAL_BAND)


def label_of(valence: float, band: float) -> str:
    """negative / neutral / positive: ``valence >= band`` is positive, ``<= -band`` negative."""
    if valence >= band:
        return "positive"
    if valence <= -band:
        return "negative"
    return "neutral"


@register("text.sentiment.valence.v1", family="sentiment")
def valence(turn: TurnInput) -> Finding:
    """Valence of a customer turn in [-1, 1], VADER-style (see the module docstring).

    ``detail`` holds ``label`` (negative / neutral / positive, see
    :data:`NEUTRAL_BAND`) and ``raw``, the unnormalised sum; the ``weight`` of the
    hits adds up to ``raw``. A turn without words is neutral and says why.
    """
    tables = _tables(turn)
    text = turn.text
    words = text.words
    original = text.original
    shared = _turn_pass(tables, text)
    recs, present = shared.recs, shared.present
    n = len(recs)
    shouted, elongated, caps = shared.shouted, shared.elongated, shared.caps
    boosters = present & _BOOSTER

    items: list[Hit] = []
    consumed: set[int] = set()
    phrase_at: dict[int, tuple[int, float, str]] = {}
    for section in (tables.care, tables.phrases) if present & _CARE_PHRASE else ():
        for match in _phrases(tables, section, turn):
            if match.first in consumed or match.last in consumed:
                continue  # care phrases first; vendored phrases only where they leave room
            phrase_at[match.first] = (match.last, match.entry.weight, match.entry.source)
            consumed.update(range(match.first, match.last + 1))

    contrast = _contrast_index(tables, recs, words, consumed, present)

    # Only phrase starts and words with a record can score, in token order.
    positions = sorted(phrase_at.keys() | set(shared.scored)) if phrase_at else shared.scored
    for i in positions:
        rec = recs[i]
        phrase = phrase_at.get(i)
        if phrase is not None:
            last, value, source = phrase
            if value == 0.0:
                continue
            first_tok = i
        elif rec is None or not rec.flags & _VALENCE or i in consumed:
            continue
        else:
            last, value, source = i, rec.valence, rec.source
            first_tok = i
            if value == 0.0:
                continue
        sign = 1.0 if value > 0 else -1.0
        if shouted is not None:
            if caps and shouted[i]:
                value += sign * C_INCR
            if elongated[i]:
                value += sign * E_INCR
        # boosters up to three tokens before, within the clause
        for distance in range(1, NEGATION_WINDOW_TOKENS + 1) if boosters else ():
            j = first_tok - distance
            if j < 0:
                break
            r = recs[j]
            if r is None or j in consumed:
                continue
            if r.flags & _STOP:
                break
            if r.flags & _BOOSTER:
                value += sign * r.boost * BOOSTER_DECAY[distance - 1]
        scale = 1.0
        if contrast >= 0:
            scale = CONTRAST_BEFORE if i < contrast else CONTRAST_AFTER if i > contrast else 1.0
        items.append(Hit(i, last, source, value * scale))
        if phrase is None:
            negator = shared.negator(i)
            if negator >= 0 and negator not in consumed:
                delta = (value * N_SCALAR - value) * scale
                items.append(Hit(negator, negator, "rule:negation", delta))

    # emoji and emoticons (not tokens: evidence points at the token before them)
    if not original.isascii() and not tables.emoji_chars.isdisjoint(original):
        for m in tables.emoji_re.finditer(original):
            value, _, source = tables.emoji[m.group()]
            if n:
                at = _anchor(text, m.start())
                items.append(Hit(at, at, source, value))
            else:
                items.append(Hit(-1, -1, source, value))
    pieces = original.split() if _EMOTICON_HINT.search(original) else ()
    if pieces and not tables.emoticons.keys().isdisjoint(pieces):
        for piece in pieces:
            found = tables.emoticons.get(piece)
            if found is not None:
                at = _anchor(text, original.find(piece)) if n else -1
                items.append(Hit(at, at, found[1], found[0]))

    raw = 0.0
    for hit in items:
        raw += hit.weight
    if raw != 0.0:
        amplifier = _emphasis(original.count("!"), original.count("?"))
        if amplifier:
            at = n - 1
            for k in range(n - 1, -1, -1):
                if words[k] in ("!", "?"):
                    at = k
                    break
            weight = amplifier if raw > 0 else -amplifier
            items.append(Hit(max(at, -1), max(at, -1), "rule:emphasis", weight))
            raw += weight
    compound = raw / math.sqrt(raw * raw + NORMALISATION_ALPHA)
    compound = max(-1.0, min(1.0, compound))
    detail = {"label": label_of(compound, neutral_band(turn.language)), "raw": raw}
    if not n and not items:
        detail["neutral_reason"] = "no words"
    hits = tuple(h for h in items if h.first >= 0)
    return Finding(score=compound, hits=hits, detail=detail)


@register("text.emotion.lexicon.v1", family="emotion")
def emotion(turn: TurnInput) -> Finding:
    """Scores in [0, 1] for the seven emotions and ``neutral`` (see the module docstring).

    ``detail["label"]`` is the highest-scoring emotion (``neutral`` when none fired);
    ``detail["raw"]`` holds each emotion's raw evidence (the hits' weights per label add
    up to it).
    """
    tables = _tables(turn)
    text = turn.text
    words = text.words
    original = text.original
    shared = _turn_pass(tables, text)
    recs, present = shared.recs, shared.present
    n = len(recs)
    raw = dict.fromkeys(_EMOTION_LABELS, 0.0)
    hits: list[Hit] = []

    consumed: set[int] = set()
    matches = []
    if present & _EMOTION_PHRASE:
        found = tables.index.scan(text)  # one scan of the turn serves every section
        if not found.keys().isdisjoint(tables.emotion_sids):
            for sid in tables.emotion_sids:
                in_section = found.get(sid)
                if in_section:
                    matches += _complex(in_section, tables.complex_sources)
    for match in matches:
        consumed.update(range(match.first, match.last + 1))
    for match in matches:
        if shared.negator(match.first) >= 0:
            continue
        label = match.entry.section
        weight = match.entry.weight * _intensity(shared, match.first, label)
        raw[label] += weight
        hits.append(Hit(match.first, match.last, match.entry.source, weight, label))

    caps = shared.caps
    for i in shared.scored:
        if i in consumed:
            continue
        rec = recs[i]
        negated = shared.negator(i) >= 0
        if rec.flags & _EMOTION and not negated:
            for label, strength, source in rec.emotions:
                weight = strength * _intensity(shared, i, label, caps=caps)
                raw[label] += weight
                hits.append(Hit(i, i, source, weight, label))
        elif rec.valence and not (negated and rec.valence < 0):  # "pas énervé" is no joy
            value = rec.valence * (N_SCALAR if negated else 1.0)
            if value < 0:
                weight = -value * FRUSTRATION_PER_NEGATIVE_VALENCE
                label = "frustration"
            else:
                weight = value * JOY_PER_POSITIVE_VALENCE
                label = "joy"
            raw[label] += weight
            hits.append(Hit(i, i, rec.source, weight, label))
        if rec.derived and not negated:
            for label, strength, source in rec.derived:
                weight = strength * _intensity(shared, i, label, caps=caps)
                raw[label] += weight
                hits.append(Hit(i, i, source, weight, label))

    if not original.isascii() and not tables.emoji_chars.isdisjoint(original):
        for m in tables.emoji_re.finditer(original):
            _, label, source = tables.emoji[m.group()]
            if label and n:
                at = _anchor(text, m.start())
                raw[label] += EMOJI_EMOTION
                hits.append(Hit(at, at, source, EMOJI_EMOTION, label))
            elif label:
                raw[label] += EMOJI_EMOTION

    shouted_words, word_count = shared.shouted_words, shared.word_count
    if shouted_words >= SHOUT_MIN_WORDS and 2 * shouted_words >= word_count:
        raw["anger"] += SHOUT_ANGER
        hits.append(Hit(0, n - 1, "rule:capitals", SHOUT_ANGER, "anger"))
    exclamations = min(original.count("!"), EXCLAMATION_MAX)
    if exclamations:
        for label in sorted(_INTENSE):  # sorted: the order of hits is part of the output
            if raw[label] > 0:
                extra = raw[label] * EMOTION_EXCLAMATION_GAIN * exclamations
                raw[label] += extra
                at = words.index("!") if "!" in words else n - 1
                hits.append(Hit(at, at, "rule:exclamation", extra, label))

    scores = {label: 1.0 - math.exp(-value) if value else 0.0 for label, value in raw.items()}
    top = max(scores.values())
    scores["neutral"] = 1.0 - top
    label = "neutral" if top <= scores["neutral"] or top == 0.0 else max(_EMOTION_LABELS, key=scores.__getitem__)
    detail = {"label": label, "raw": raw}
    if not n:
        detail["neutral_reason"] = "no words"
    return Finding(score=top, hits=tuple(hits), scores=scores, detail=detail)


def _intensity(shared: _TurnPass, i: int, label: str, *, caps: bool = True) -> float:
    """Multiplier of an anger/frustration word: boosters before it, capitals, elongation."""
    if label not in _INTENSE:
        return 1.0
    factor = 1.0
    if shared.shouted is not None:
        if caps and shared.shouted[i]:
            factor += EMOTION_CAPS_GAIN
        if shared.elongated[i]:
            factor += EMOTION_ELONGATION_GAIN
    if not shared.present & _BOOSTER:
        return factor
    recs = shared.recs
    for distance in range(1, NEGATION_WINDOW_TOKENS + 1):
        j = i - distance
        if j < 0:
            break
        r = recs[j]
        if r is None:
            continue
        if r.flags & _STOP:
            break
        if r.flags & _BOOSTER and r.boost > 0:
            factor += EMOTION_BOOSTER_GAIN * r.boost * BOOSTER_DECAY[distance - 1]
    return factor
