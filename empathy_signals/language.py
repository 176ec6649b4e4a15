"""French or English? A fast vote of function words, for short customer turns."""

from __future__ import annotations

from .text import TokenizedText

__all__ = ["FUNCTION_WORDS", "LanguageVote", "vote"]

_FR = frozenset(
    [
        "je",
        "j",
        "tu",
        "il",
        "elle",
        "nous",
        "vous",
        "ils",
        "elles",
        "le",
        "la",
        "les",
        "un",
        "une",
        "des",
        "du",
        "de",
        "d",
        "l",
        "au",
        "aux",
        "et",
        "est",
        "c",
        "ce",
        "ca",
        "cette",
        "mon",
        "ma",
        "mes",
        "ton",
        "ta",
        "votre",
        "vos",
        "notre",
        "nos",
        "leur",
        "ne",
        "n",
        "pas",
        "plus",
        "que",
        "qui",
        "quoi",
        "pour",
        "avec",
        "sans",
        "sur",
        "dans",
        "mais",
        "ou",
        "donc",
        "car",
        "oui",
        "non",
        "merci",
        "bonjour",
        "bonsoir",
        "suis",
        "es",
        "sommes",
        "etes",
        "sont",
        "ai",
        "as",
        "avons",
        "avez",
        "ont",
        "veux",
        "voudrais",
        "peux",
        "pouvez",
        "fait",
        "faire",
        "etre",
        "avoir",
        "tres",
        "bien",
        "rien",
        "toujours",
        "deja",
        "encore",
        "aussi",
        "quand",
        "comment",
        "pourquoi",
        "parce",
        "y",
        "en",
        "me",
        "te",
        "se",
        "m",
        "t",
        "s",
        "qu",
        "si",
        "svp",
        "stp",
        "madame",
        "monsieur",
        "aujourd",
        "hui",
    ]
)
_EN = frozenset(
    [
        "i",
        "you",
        "he",
        "she",
        "it",
        "we",
        "they",
        "me",
        "him",
        "her",
        "us",
        "them",
        "my",
        "your",
        "his",
        "its",
        "our",
        "their",
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "do",
        "does",
        "did",
        "don",
        "t",
        "not",
        "no",
        "yes",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "this",
        "that",
        "these",
        "those",
        "what",
        "why",
        "how",
        "when",
        "where",
        "who",
        "which",
        "can",
        "could",
        "would",
        "should",
        "will",
        "want",
        "need",
        "please",
        "thanks",
        "thank",
        "hello",
        "hi",
        "have",
        "has",
        "had",
        "get",
        "got",
        "just",
        "still",
        "already",
        "very",
        "really",
        "again",
        "there",
        "here",
        "about",
        "my",
        "i",
        "m",
        "it",
        "s",
        "im",
        "dont",
        "cant",
        "won",
        "isn",
        "doesn",
        "didn",
    ]
)
#: Letters that only French text carries ("é", "è", "ç", ...), checked on the original text.
#: The function words (and fixed courtesy words) of each language that the vote counts. They
#: carry no emotion of their own: models/lexicons/derive_weights.py leaves them out.
FUNCTION_WORDS = {"fr": _FR, "en": _EN}

_FRENCH_LETTERS = frozenset("éèêëàâîïôûùçœÉÈÊÀÇ")


class LanguageVote:
    """Accumulated evidence for French and English over the turns of a session."""

    __slots__ = ("en", "fr")

    def __init__(self) -> None:
        self.fr = 0.0
        self.en = 0.0

    def add(self, text: TokenizedText) -> None:
        fr, en = vote(text)
        self.fr += fr
        self.en += en

    def decide(self, default: str, *, margin: float = 1.0) -> str | None:
        """``fr`` or ``en`` once one leads by ``margin`` votes; ``None`` while undecided."""
        if self.fr >= self.en + margin:
            return "fr"
        if self.en >= self.fr + margin:
            return "en"
        return None


def vote(text: TokenizedText) -> tuple[float, float]:
    """Votes (French, English) of one text: function words plus French letters."""
    fr = sum(1 for w in text.words if w in _FR)
    en = sum(1 for w in text.words if w in _EN)
    fr += 2 * sum(1 for c in text.original if c in _FRENCH_LETTERS)
    return float(fr), float(en)


def detect(text: TokenizedText, default: str) -> str:
    """The language of one text; ``default`` when the vote is tied."""
    fr, en = vote(text)
    if fr > en:
        return "fr"
    if en > fr:
        return "en"
    return default
