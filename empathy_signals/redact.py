"""Personal data in customer text: find it, or replace it with a placeholder.

French and English patterns are always on together (a French customer gives a UK number, an
English one an IBAN). Every kind is either validated by its checksum or held to a strict
format, because the text is customer chat and voice transcripts full of order numbers,
amounts and dates that must survive redaction:

=========  ===============================================  ================================
kind       what                                             validated by
=========  ===============================================  ================================
email      ``jean.dupont@orange.fr``; spoken forms          shape, a letters-only top-level
           ``jean point dupont arobase gmail point com``    domain (spoken: a known one)
phone      French ``06 12 34 56 78``, ``+33 (0)6 ...``,     format only (no checksum exists):
           ``0033 ...``; international ``+44 20 7946        digit count per prefix, grouping
           0958``; North American ``(415) 555-0132``
iban       any ISO 13616 country, spaces allowed            country length + mod-97 check
card       payment cards, 13-19 digits, spaces or dashes    Luhn + issuer prefix and length
nir        French social-security number, Corsica 2A/2B     key = 97 - (number mod 97)
ssn        US Social Security number ``123-45-6789``        SSA rules (no 000, 666, 9xx ...)
nino       UK National Insurance number ``AB 12 34 56 C``   HMRC prefix and suffix rules
ip         IPv4 (each byte <= 255) and IPv6                 ``ipaddress`` for IPv6
secret     a password, PIN or card security code after      the value must look like one
           its keyword; the password of a URL; a URL        (a digit, or a symbol or capital)
           parameter named like a token or key
=========  ===============================================  ================================

A number written right after an order, tracking, invoice or booking keyword ("commande n°",
"order #", "numéro de suivi") is a reference, not a phone or a card, and is left alone
(:data:`REFERENCE_KINDS`). Company numbers (SIREN/SIRET), postal codes, names and postal
addresses are not redacted; docs/redaction.md says why and what that leaves.

Every pattern runs in time linear in the length of the text: quantifiers are bounded or
separated by a character the repeated part cannot contain, and a token-sized lookbehind
makes each pattern start only at the beginning of a token.

>>> redact("Mon mail : jean.dupont@orange.fr, tél 06 12 34 56 78")
'Mon mail : [EMAIL], tél [PHONE]'
>>> redact("Commande n° 0612345678, montant 1 250,00 €")
'Commande n° 0612345678, montant 1 250,00 €'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import NamedTuple

from .errors import InputError

__all__ = [
    "IBAN_LENGTHS",
    "KINDS",
    "PLACEHOLDERS",
    "REFERENCE_KINDS",
    "PIISpan",
    "card_issuer_ok",
    "find_pii",
    "iban_valid",
    "luhn_valid",
    "nir_valid",
    "redact",
]

#: Every kind :func:`find_pii` reports, in the order overlapping candidates are preferred:
#: a URL password over the e-mail it contains, a checksum-validated number over a phone
#: number read in the same digits.
KINDS: tuple[str, ...] = ("secret", "email", "iban", "card", "nir", "nino", "ssn", "phone", "ip")

#: The text each kind is replaced with by :func:`redact`: ``[EMAIL]``, ``[PHONE]`` ...
PLACEHOLDERS: dict[str, str] = {kind: f"[{kind.upper()}]" for kind in KINDS}

#: Kinds left alone when the number follows a reference keyword ("commande n° 0612345678").
REFERENCE_KINDS = frozenset({"phone", "card", "nir", "ssn"})

_PRIORITY = {kind: rank for rank, kind in enumerate(KINDS)}


class PIISpan(NamedTuple):
    """One piece of personal data: ``text == original[start:end]``."""

    start: int
    end: int
    kind: str
    text: str


# ---------------------------------------------------------------- building blocks

#: One separator inside a written or transcribed number: space, no-break space (French
#: typography), narrow no-break space, dot or hyphen.
_SEP = "[ .\\-\u00a0\u202f]"
#: Separators inside a card number or an IBAN (dots would read amounts "1.250.000").
_CARD_SEP = "[ \\-\u00a0\u202f]"
_SEP_CHARS = frozenset(" .-\u00a0\u202f")
#: The digit groups of a written number.
_GROUP_RE = re.compile(r"[0-9]+")

#: A digit-based value must not be glued to a word, to an e-mail or follow a "+".
_NOT_AFTER = r"(?<![\w@+])"
_NOT_BEFORE = r"(?![\w@])"

#: Gap between a reference keyword and the number: spaces and "n°", "#", ":" punctuation.
_GAP = r"[\s:#°º.\-]{0,3}"
_REFERENCE_BEFORE_RE = re.compile(
    r"\b(?:order|commande|cde|cmd|purchase|achat|tracking|suivi|colis|parcel|package|shipment"
    r"|exp[ée]dition|envoi|livraison|delivery|invoice|facture|r[ée]f[ée]rence|r[ée]f|dossier"
    r"|ticket|incident|transaction|booking|r[ée]servation|reservation|confirmation|serial"
    r"|s[ée]rie|imei|sinistre|claim|bordereau|sku)"
    rf"{_GAP}(?:(?:number|num[ée]ro|num|nr|no|n|id|de|du){_GAP})?"
    rf"(?:(?:is|est|c'est|was|[ée]tait){_GAP})?(?:(?:le|the){_GAP})?$",
    re.IGNORECASE,
)
#: Software versions read like IPv4 addresses ("version 1.2.3.4").
_VERSION_BEFORE_RE = re.compile(
    r"\b(?:version|ver|build|firmware|release|update|mise [àa] jour|maj|ios|android|app"
    rf"|application|logiciel|software){_GAP}(?:(?:is|est|c'est|was){_GAP})?$",
    re.IGNORECASE,
)
#: How far back a reference or version keyword is looked for, in characters.
_CONTEXT_CHARS = 40


# ---------------------------------------------------------------- e-mail

_EMAIL_RE = re.compile(
    r"(?<![\w.%+\-])[\w.%+\-]{1,64}"  # local part, starting a token
    r"@(?:[\w\-]{1,63}\.){1,10}"  # domain labels
    r"[^\W\d_]{2,63}(?![\w\-])"  # a letters-only top-level domain
)
#: Top-level domains accepted in a spoken address: "gmail point com" is an address, "at
#: the point of sale" is not.
_SPOKEN_TLDS = "com|fr|net|org|eu|be|ch|ca|lu|mc|re|io|co|uk|de|es|it|nl|info|biz|us|gouv|edu|gov"
_SPOKEN_WORD = r"[^\W_]{1,64}"
_SPOKEN_EMAIL_RE = re.compile(
    r"(?<![\w.\-])"
    rf"{_SPOKEN_WORD}(?:(?: (?:point|dot|tiret|underscore) |[._\-]){_SPOKEN_WORD}){{0,4}}"
    r"(?: arobase | at )"
    rf"{_SPOKEN_WORD}(?:(?: (?:point|dot|tiret) |[.\-]){_SPOKEN_WORD}){{0,3}}"
    rf"(?: (?:point|dot) |\.)(?:{_SPOKEN_TLDS})(?!\w)",
    re.IGNORECASE,
)


def _emails(text: str) -> Iterator[tuple[int, int, str]]:
    if "@" in text:
        for m in _EMAIL_RE.finditer(text):
            yield m.start(), m.end(), "email"
    for m in _SPOKEN_EMAIL_RE.finditer(text):
        said = m.group().lower()
        # "at" is an ordinary English word: with it, the domain must be spoken too
        # ("gmail dot com"), which "look at amazon.com" is not.
        if " arobase " in said or " dot " in said.split(" at ", 1)[-1]:
            yield m.start(), m.end(), "email"


# ---------------------------------------------------------------- phone numbers

#: National numbers with a trunk zero: French (10 digits), Belgian and Swiss (9-10), UK
#: (11), written compact, in pairs, or digit by digit as a transcript gives them.
_PHONE_NATIONAL_RE = re.compile(
    rf"{_NOT_AFTER}(?<![0-9]{_SEP})0{_SEP}?[1-9](?:{_SEP}?[0-9]){{7,9}}"
    rf"(?!{_SEP}?[0-9]|:[0-9]){_NOT_BEFORE}"  # "le 01 02 2024 10:30" is a date and a time
)
#: International numbers: "+" or "00", a country code, then groups; "(0)" trunk and "(415)"
#: area codes allowed.
_PHONE_INTL_RE = re.compile(
    rf"{_NOT_AFTER}(?:\+|00){_SEP}?[1-9]"
    rf"(?:{_SEP}?[0-9]|{_SEP}?\([0-9]{{1,4}}\)){{6,16}}"
    rf"(?!{_SEP}?[0-9(]){_NOT_BEFORE}"
)
#: North American numbers, which need their separators to be told from other numbers.
_PHONE_NANP_RE = re.compile(
    rf"{_NOT_AFTER}(?<![0-9(])(?<![0-9]{_SEP})(?:1[ .\-]?)?"
    r"(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[ .\-])[2-9][0-9]{2}[ .\-][0-9]{4}"
    rf"(?!{_SEP}?[0-9]){_NOT_BEFORE}"
)
#: North American numbers written without separators ("call me 9148445695") are only
#: told from references by a phone word shortly before them.
_PHONE_NANP_COMPACT_RE = re.compile(
    r"(?<![\w@+])(?:1[ .\-]?)?[2-9][0-9]{2}[2-9][0-9]{6}(?![\w@]|[.,\-]?[0-9])"
)
_PHONE_WORD_BEFORE_RE = re.compile(
    r"\b(?:call|phone|cell|mobile|tel|text|reach|contact|whatsapp|sms|fax|appel\w*|portable"
    r"|t[ée]l[ée]phone|t[ée]l|joindre|rappel\w*"
    r"|(?:my|his|her|your|our|mon|son|votre|ton|notre) (?:number|num[ée]ro|num|no))\b.{0,30}$",
    re.IGNORECASE | re.DOTALL,
)
#: A North American local number, seven digits with its dash ("call me at 555-0132").
_PHONE_NANP_LOCAL_RE = re.compile(
    r"(?<![\w@+\-.(/:])(?<![0-9] )[2-9][0-9]{2}-[0-9]{4}(?![\w@\-/]|[.,]?[0-9])"
)
#: Digits of an international number, country code included (ITU E.164: at most 15; the
#: shortest in use, e.g. +376 and six digits, have 9).
_E164_MIN_DIGITS = 9
_E164_MAX_DIGITS = 15


def _digits(s: str) -> str:
    return "".join(c for c in s if "0" <= c <= "9")


def _has_separator(s: str) -> bool:
    return any(c in _SEP_CHARS or c in "()" for c in s)


#: A group of a written national number has at most this many digits ("07700 900123").
_PHONE_GROUP_MAX_DIGITS = 6


def _national_ok(written: str) -> bool:
    digits = _digits(written)
    groups = _GROUP_RE.findall(written)
    if len(groups) == 1:
        # compact: French 10 digits, or a UK mobile "07700900123"; other compact runs of
        # 9 or 11 digits are references
        return len(digits) == 10 or (len(digits) == 11 and digits.startswith("07"))
    # grouped like a phone number, not "CP 06230221 5 CN"
    return max(map(len, groups)) <= _PHONE_GROUP_MAX_DIGITS


def _international_ok(written: str) -> bool:
    body = written.replace("(0)", "")
    digits = _digits(body)
    if written.startswith("00"):
        digits = digits[2:]
        # a compact "00..." number is a reference unless it is a French one
        if not _has_separator(written[2:]) and not (digits.startswith("33") and len(digits) == 11):
            return False
    if written.count("(") != written.count(")"):
        return False
    if digits[:3] in ("330", "440"):
        digits = digits[:2] + digits[3:]  # "+33 06 12 34 56 78": a trunk zero kept by habit
    if digits.startswith("33"):
        return len(digits) == 11 and digits[2] != "0"
    if digits.startswith("1"):
        return len(digits) == 11 and digits[1] not in "01"
    if digits.startswith("44"):
        return len(digits) in (11, 12) and digits[2] != "0"
    return _E164_MIN_DIGITS <= len(digits) <= _E164_MAX_DIGITS


def _phones(text: str) -> Iterator[tuple[int, int, str]]:
    for m in _PHONE_NATIONAL_RE.finditer(text):
        if _national_ok(m.group()):
            yield m.start(), m.end(), "phone"
    if "+" in text or "00" in text:
        for m in _PHONE_INTL_RE.finditer(text):
            if _international_ok(m.group()):
                yield m.start(), m.end(), "phone"
    for m in _PHONE_NANP_RE.finditer(text):
        yield m.start(), m.end(), "phone"
    for m in _PHONE_NANP_LOCAL_RE.finditer(text):
        yield m.start(), m.end(), "phone"
    for m in _PHONE_NANP_COMPACT_RE.finditer(text):
        before = text[max(0, m.start() - _CONTEXT_CHARS) : m.start()]
        if _PHONE_WORD_BEFORE_RE.search(before) is not None:
            yield m.start(), m.end(), "phone"


# ---------------------------------------------------------------- IBAN

#: IBAN length per country, from the ISO 13616 registry (SWIFT, release 2024).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
_IBAN_RE = re.compile(rf"(?<![\w@/])[A-Za-z]{{2}}[0-9]{{2}}(?:{_CARD_SEP}?[A-Za-z0-9]){{11,30}}")


def iban_valid(compact: str) -> bool:
    """ISO 13616 check of an IBAN without separators: country length and mod 97 == 1.

    >>> iban_valid("FR7630006000011234567890189"), iban_valid("FR7630006000011234567890188")
    (True, False)
    """
    compact = compact.upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not (
        compact.isascii() and compact.isalnum()
    ):
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def _ibans(text: str) -> Iterator[tuple[int, int, str]]:
    # search, not finditer: a rejected match runs on into the next words, which may hold
    # the next IBAN
    position = 0
    while (m := _IBAN_RE.search(text, position)) is not None:
        position = m.start() + 1
        written = m.group()
        length = IBAN_LENGTHS.get(written[:2].upper())
        if length is None:
            continue
        # cut at the country's length, which must fall at the end of a group
        count = 0
        for i, char in enumerate(written):
            if char.isalnum():
                count += 1
                if count == length:
                    end = m.start() + i + 1
                    break
        else:
            continue
        if end < len(text) and text[end].isalnum():
            continue
        if iban_valid("".join(c for c in text[m.start() : end] if c.isalnum())):
            position = end
            yield m.start(), end, "iban"


# ---------------------------------------------------------------- payment cards

#: Issuer prefixes (IIN ranges) and the lengths cards of that range have: Visa, Mastercard,
#: Amex, Diners, JCB, Mir, Discover, UnionPay, Maestro, RuPay. A Luhn-valid number outside
#: them (1 in 10 random numbers is Luhn-valid) is an order or account number.
_CARD_RANGES: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("4", "4", (13, 16, 19)),  # Visa (and French CB co-badged cards)
    ("51", "55", (16,)),  # Mastercard
    ("2221", "2720", (16,)),  # Mastercard 2-series
    ("2200", "2204", (16, 17, 18, 19)),  # Mir
    ("34", "34", (15,)),  # American Express
    ("37", "37", (15,)),
    ("36", "36", (14, 15, 16, 17, 18, 19)),  # Diners Club International
    ("300", "305", (16, 17, 18, 19)),  # Diners Club
    ("38", "39", (16, 17, 18, 19)),
    ("3528", "3589", (16, 17, 18, 19)),  # JCB
    ("50", "50", (16, 17, 18, 19)),  # Maestro
    ("56", "69", (16, 17, 18, 19)),  # Maestro, Discover, UnionPay, RuPay
)
_CARD_FIRST_DIGITS = frozenset(
    str(d) for low, high, _ in _CARD_RANGES for d in range(int(low[0]), int(high[0]) + 1)
)
_CARD_MIN_DIGITS = 13
_CARD_MAX_DIGITS = 19
#: A digit run: groups of digits separated by one card separator.
_DIGIT_RUN_RE = re.compile(
    rf"(?<![\w@+])(?<![0-9][.,])[0-9]+(?:{_CARD_SEP}[0-9]+)*(?![\w@]|[.,][0-9])"
)


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of a string of ASCII digits.

    >>> luhn_valid("4970101234567893"), luhn_valid("4970101234567894")
    (True, False)
    """
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_issuer_ok(digits: str) -> bool:
    """``digits`` starts with a known issuer prefix and has a length cards of it have."""
    for low, high, lengths in _CARD_RANGES:
        if low <= digits[: len(low)] <= high:
            return len(digits) in lengths
    return False


def _card_grouping_ok(lengths: list[int]) -> bool:
    """Groups as cards are written or transcribed: one block; groups of one size up to four
    (fours, or a transcript's pairs and single digits), the last one shorter if need be; or
    the 4-6-5 / 4-6-4 of Amex and Diners. Rules out "402-1234567-1234567" and counting
    "2 3 4 5 6 7 8 9 10 11 12 13"."""
    if len(lengths) == 1 or lengths in ([4, 6, 5], [4, 6, 4]):
        return True
    size = lengths[0]
    return size <= 4 and all(n == size for n in lengths[:-1]) and lengths[-1] <= size


def _cards(text: str) -> Iterator[tuple[int, int, str]]:
    for run in _DIGIT_RUN_RE.finditer(text):
        if run.end() - run.start() < _CARD_MIN_DIGITS:
            continue
        written = run.group()
        groups = [(g.start(), g.end()) for g in _GROUP_RE.finditer(written)]
        lengths = [end - start for start, end in groups]
        digits = "".join(written[start:end] for start, end in groups)
        offsets = list(accumulate(lengths, initial=0))
        # try every window of whole groups holding 13-19 digits: a card inside "2 4970 ..."
        for i in range(len(groups)):
            if digits[offsets[i]] not in _CARD_FIRST_DIGITS:
                continue
            for j in range(i, len(groups)):
                size = offsets[j + 1] - offsets[i]
                if size > _CARD_MAX_DIGITS:
                    break
                if size < _CARD_MIN_DIGITS:
                    continue
                number = digits[offsets[i] : offsets[j + 1]]
                if (
                    card_issuer_ok(number)
                    and _card_grouping_ok(lengths[i : j + 1])
                    and luhn_valid(number)
                ):
                    yield run.start() + groups[i][0], run.start() + groups[j][1], "card"


# ---------------------------------------------------------------- French NIR

_NIR_RE = re.compile(
    rf"{_NOT_AFTER}(?<![0-9]{_SEP})[1-478](?:{_SEP}?[0-9]){{4}}"
    rf"{_SEP}?(?:[0-9]{_SEP}?[0-9]|2[ABab])(?:{_SEP}?[0-9]){{8}}"
    rf"(?!{_SEP}?[0-9]){_NOT_BEFORE}"
)


def nir_valid(compact: str) -> bool:
    """Check a French NIR (numéro de sécurité sociale) of 15 characters, no separators.

    Sex 1/2 (3/4, 7/8 for numbers being assigned), month 01-12 or 20-42/50-99 (unknown),
    department 01-99 or 2A/2B (Corsica, read as 19/18 for the key), then
    ``key == 97 - (first 13 digits mod 97)``.

    >>> nir_valid("185057800608491"), nir_valid("185057800608436")
    (True, False)
    >>> nir_valid("269052A12345688")  # Corsica: 2A counts as 19 in the key
    True
    """
    compact = compact.upper()
    if len(compact) != 15:
        return False
    department = compact[5:7]
    body = compact[:5] + {"2A": "19", "2B": "18"}.get(department, department) + compact[7:13]
    if not (body.isdigit() and compact[13:].isdigit()) or compact[0] not in "123478":
        return False
    month = int(compact[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or month >= 50):
        return False
    if department == "00" or compact[7:10] == "000" or compact[10:13] == "000":
        return False
    return int(compact[13:]) == 97 - int(body) % 97


def _nirs(text: str) -> Iterator[tuple[int, int, str]]:
    for m in _NIR_RE.finditer(text):
        if nir_valid("".join(c for c in m.group() if c.isalnum())):
            yield m.start(), m.end(), "nir"


# ---------------------------------------------------------------- US SSN, UK NINO

#: Area 001-899 except 666, group 01-99, serial 0001-9999, one separator used twice.
_SSN_RE = re.compile(
    r"(?<![\w@/:\-])(?<![0-9] )(?!000|666|9)[0-9]{3}([ \-])(?!00)[0-9]{2}\1(?!0000)[0-9]{4}"
    r"(?![\w@/:]|[ \-]?[0-9])"
)
#: Two prefix letters (not D F I Q U V; second not O; not BG GB KN NK NT TN ZZ), six
#: digits, suffix A-D, written compact or in HMRC's pairs. Capitals only: "le 12 34 56 a"
#: is French, not a NINO; "PN 320008A" is a part number.
_NINO_RE = re.compile(
    r"(?<![\w@/])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"(?:[0-9]{6}[A-D]| [0-9]{2} [0-9]{2} [0-9]{2} [A-D])(?![\w@])"
)


def _ssns(text: str) -> Iterator[tuple[int, int, str]]:
    for m in _SSN_RE.finditer(text):
        yield m.start(), m.end(), "ssn"


def _ninos(text: str) -> Iterator[tuple[int, int, str]]:
    for m in _NINO_RE.finditer(text):
        yield m.start(), m.end(), "nino"


# ---------------------------------------------------------------- IP addresses

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4_RE = re.compile(rf"(?<![\w.@/+\-]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w@/]|\.[0-9])")
_IPV6_RE = re.compile(r"(?<![\w:.@/])[0-9A-Fa-f:]{2,39}(?![\w:@]|\.[0-9])")
#: An IPv6 address needs this many hex digits: "10::20" is more likely not one.
_IPV6_MIN_HEX_DIGITS = 4


def _ipv6_ok(written: str) -> bool:
    if written.count(":") < 2 or sum(c != ":" for c in written) < _IPV6_MIN_HEX_DIGITS:
        return False
    import ipaddress  # 1 ms: only for text that has a candidate

    try:
        ipaddress.IPv6Address(written)
    except ValueError:
        return False
    return True


def _ips(text: str) -> Iterator[tuple[int, int, str]]:
    if "." in text:
        for m in _IPV4_RE.finditer(text):
            before = text[max(0, m.start() - _CONTEXT_CHARS) : m.start()]
            if _VERSION_BEFORE_RE.search(before) is None:
                yield m.start(), m.end(), "ip"
    if "::" in text or text.count(":") >= 7:
        for m in _IPV6_RE.finditer(text):
            if _ipv6_ok(m.group()):
                yield m.start(), m.end(), "ip"


# ---------------------------------------------------------------- secrets

_URL_USERINFO_RE = re.compile(
    r"(?<![\w+.\-])[A-Za-z][A-Za-z0-9+.\-]{0,15}://([^\s/?#@:]{1,64}:[^\s/?#@]{1,128})@"
)
_URL_PARAM_RE = re.compile(r"[?&;]([A-Za-z_\-]{1,40})=([^\s&#]{4,512})")
#: URL parameter names whose value is a credential.
_SECRET_PARAMS = (
    "token", "key", "password", "passwd", "pwd", "secret", "sig", "session", "sid", "auth",
    "code", "otp",
)  # fmt: skip
_PASSWORD_WORDS = r"password|passcode|passwd|pwd|mot de passe|mdp"
_PIN_WORDS = (
    r"pin(?: code| number)?|code (?:pin|secret|confidentiel)|cvv2?|cvc|cryptogramme(?: visuel)?"
    r"|security code|code de s[ée]curit[ée]"
)
_SECRET_PHRASE_RE = re.compile(
    rf"\b(?:(?P<password>{_PASSWORD_WORDS})|(?P<pin>{_PIN_WORDS}))"
    r"(?P<said>\s?[:=]\s?|\s(?:is|est|c'est)(?:\s?:)?\s|\s)"
    r"(?P<value>[^\s]{3,64})",
    re.IGNORECASE,
)
#: Punctuation that ends a sentence rather than a password; "!" and "?" stay in the value
#: ("Soleil2024!"): when unsure, redact more.
_TRAILING_PUNCTUATION = ".,;:)\"'»"
_PLACEHOLDER_VALUES = tuple(PLACEHOLDERS.values())


def _password_like(value: str) -> bool:
    """A digit, a symbol or a capital after the first letter: "Soleil2024", not "wrong"."""
    return (
        any(c.isdigit() for c in value)
        or any(not c.isalnum() for c in value)
        or any(c.isupper() for c in value[1:])
    )


def _secrets(text: str) -> Iterator[tuple[int, int, str]]:
    if "://" in text:
        for m in _URL_USERINFO_RE.finditer(text):
            yield m.start(1), m.end(1), "secret"
    if "=" in text:
        for m in _URL_PARAM_RE.finditer(text):
            name = m.group(1).lower()
            if any(word in name for word in _SECRET_PARAMS) and not m.group(2).startswith(
                _PLACEHOLDER_VALUES
            ):
                yield m.start(2), m.end(2), "secret"
    for m in _SECRET_PHRASE_RE.finditer(text):
        value = m.group("value").rstrip(_TRAILING_PUNCTUATION)
        if len(value) < 3 or value.startswith(_PLACEHOLDER_VALUES):  # already redacted
            continue
        if m.group("pin") is not None:
            ok = value.isdigit() and len(value) <= 8
        elif m.group("said").isspace():  # "password Soleil2024": no verb, so a digit
            ok = any(c.isdigit() for c in value)
        else:
            ok = _password_like(value)
        if ok:
            yield m.start("value"), m.start("value") + len(value), "secret"


# ---------------------------------------------------------------- selection

_FINDERS: tuple[Callable[[str], Iterator[tuple[int, int, str]]], ...] = (
    _secrets, _emails, _ibans, _cards, _nirs, _ninos, _ssns, _phones, _ips,
)  # fmt: skip
_DIGIT_FINDERS = frozenset({_ibans, _cards, _nirs, _ninos, _ssns, _phones, _ips})
_HAS_DIGIT_RE = re.compile(r"[0-9]")


def _is_reference(text: str, start: int) -> bool:
    before = text[max(0, start - _CONTEXT_CHARS) : start]
    return _REFERENCE_BEFORE_RE.search(before) is not None


def find_pii(text: str) -> list[PIISpan]:
    """Personal data in ``text``, as sorted, non-overlapping spans.

    Parameters
    ----------
    text : str
        One turn, in French, English or both.

    Returns
    -------
    list of PIISpan
        Sorted by ``start``; ``span.text == text[span.start:span.end]``. Where candidates of
        two kinds overlap, the earlier kind of :data:`KINDS` wins, then the longer span.

    Raises
    ------
    InputError
        ``text`` is not a str.

    Examples
    --------
    >>> [s.kind for s in find_pii("IBAN FR76 3000 6000 0112 3456 7890 189 ou +44 20 7946 0958")]
    ['iban', 'phone']
    >>> find_pii("carte 4970 1012 3456 7893 exp 12/26")
    [PIISpan(start=6, end=25, kind='card', text='4970 1012 3456 7893')]
    >>> find_pii("carte 4970 1012 3456 7894")  # fails the Luhn check
    []
    """
    if not isinstance(text, str):
        raise InputError(f"text must be a str; got {type(text).__name__}", field="text", value=text)
    has_digit = _HAS_DIGIT_RE.search(text) is not None
    candidates: list[tuple[int, int, int, str]] = []
    for finder in _FINDERS:
        if not has_digit and finder in _DIGIT_FINDERS:
            continue
        for start, end, kind in finder(text):
            if kind in REFERENCE_KINDS and _is_reference(text, start):
                continue
            candidates.append((_PRIORITY[kind], start - end, start, kind))
    candidates.sort()
    # most important kind first, then longest; a byte per character marks what is taken
    taken = bytearray(len(text))
    chosen = []
    for _, negative_length, start, kind in candidates:
        end = start - negative_length
        if taken.find(1, start, end) == -1:
            taken[start:end] = b"\x01" * (end - start)
            chosen.append(PIISpan(start, end, kind, text[start:end]))
    chosen.sort()
    return chosen


def redact(text: str) -> str:
    """``text`` with each span of :func:`find_pii` replaced by its placeholder.

    Redaction is repeated on its own output until nothing is found: a value glued to the
    previous one ("06 12 34 56 78+33 6 12 34 56 78") is found once its neighbour has been
    replaced. So ``find_pii(redact(x)) == []`` and ``redact(redact(x)) == redact(x)``. The
    placeholders (:data:`PLACEHOLDERS`) hold no digit and no ``@``.

    >>> redact("Write to john.smith@example.com or call +1 (415) 555-0132.")
    'Write to [EMAIL] or call [PHONE].'
    >>> redact("my password is Soleil2024 and my NIR 1 85 05 78 006 084 91")
    'my password is [SECRET] and my NIR [NIR]'
    """
    spans = find_pii(text)
    while spans:
        parts = []
        position = 0
        for span in spans:
            parts.append(text[position : span.start])
            parts.append(PLACEHOLDERS[span.kind])
            position = span.end
        parts.append(text[position:])
        redacted = "".join(parts)
        if redacted == text:  # cannot happen: a span always holds a non-placeholder character
            break
        text = redacted
        spans = find_pii(text)
    return text
