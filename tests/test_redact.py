"""PII redaction: each kind in French and English, checksums, false alarms, invariants.

The numbers below are made up but carry valid checksums (or deliberately broken ones):
``FR76 3000 6000 0112 3456 7890 189`` is the IBAN of the French banking examples, the cards
are Luhn-completed, the NIRs have their 97 - (n mod 97) key.
"""

from __future__ import annotations

import random
import time
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from empathy_signals.errors import InputError
from empathy_signals.redact import (
    IBAN_LENGTHS,
    KINDS,
    PLACEHOLDERS,
    REFERENCE_KINDS,
    PIISpan,
    card_issuer_ok,
    find_pii,
    iban_valid,
    luhn_valid,
    nir_valid,
    redact,
)

# ------------------------------------------------------------------ helpers


def luhn_complete(body: str) -> str:
    """``body`` plus the check digit that makes it Luhn-valid."""
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def iban_complete(country: str, bban: str) -> str:
    """The IBAN of ``bban`` in ``country``, with its two check digits."""
    number = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(number) % 97:02d}{bban}"


def nir_complete(body13: str) -> str:
    numeric = body13[:5] + {"2A": "19", "2B": "18"}.get(body13[5:7], body13[5:7]) + body13[7:]
    return f"{body13}{97 - int(numeric) % 97:02d}"


def kinds(text: str) -> list[str]:
    return [span.kind for span in find_pii(text)]


def assert_well_formed(text: str, spans: list[PIISpan]) -> None:
    assert spans == sorted(spans)
    for span in spans:
        assert span.kind in KINDS
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start : span.end] == span.text
    for a, b in pairwise(spans):
        assert a.end <= b.start, (a, b)


FR_IBAN = "FR76 3000 6000 0112 3456 7890 189"
CARD = "4970 1012 3456 7893"
NIR = "1 85 05 78 006 084 91"


def test_helpers_agree_with_the_library():
    assert iban_complete("FR", "30006000011234567890189") == FR_IBAN.replace(" ", "")
    assert luhn_complete("497010123456789") == CARD.replace(" ", "")
    assert nir_complete("1850578006084") == NIR.replace(" ", "")


# ------------------------------------------------------------------ each kind, FR and EN

REDACTED = [
    # e-mail
    ("Mon mail : jean.dupont@orange.fr merci", "Mon mail : [EMAIL] merci"),
    ("Write to Mary-Ann.O'Neil+care@example.co.uk.", "Write to Mary-Ann.O'[EMAIL]."),
    ("écrivez à éloïse.durand@laposte.net", "écrivez à [EMAIL]"),
    ("c'est jean point dupont arobase gmail point com", "c'est [EMAIL]"),
    ("it's john dot smith at gmail dot com thanks", "it's [EMAIL] thanks"),
    ("jean.dupont arobase free.fr", "[EMAIL]"),
    # French phones
    ("appelez-moi au 06 12 34 56 78 svp", "appelez-moi au [PHONE] svp"),
    ("mon numéro : 06.12.34.56.78.", "mon numéro : [PHONE]."),
    ("tel:0612345678", "tel:[PHONE]"),
    ("06-12-34-56-78", "[PHONE]"),
    ("+33 6 12 34 56 78", "[PHONE]"),
    ("+33 (0)6 12 34 56 78", "[PHONE]"),
    ("+33612345678", "[PHONE]"),
    ("+33 06 12 34 56 78", "[PHONE]"),
    ("0033 6 12 34 56 78", "[PHONE]"),
    ("0033612345678", "[PHONE]"),
    ("zéro six: 0 6 1 2 3 4 5 6 7 8", "zéro six: [PHONE]"),
    ("le fixe 01 23 45 67 89 ou le 07 98 76 54 32", "le fixe [PHONE] ou le [PHONE]"),
    ("Belgique 02 123 45 67, Suisse 079 123 45 67", "Belgique [PHONE], Suisse [PHONE]"),
    # international phones
    ("call me on +44 20 7946 0958", "call me on [PHONE]"),
    ("my cell is +1 (415) 555-0132.", "my cell is [PHONE]."),
    ("+14155550132", "[PHONE]"),
    ("+49 30 901820", "[PHONE]"),
    ("(415) 555-0132 or 415.555.0132 or 1-800-555-0199", "[PHONE] or [PHONE] or [PHONE]"),
    ("she can call me at 555-2345.", "she can call me at [PHONE]."),
    ("please call me back 9148445695 thanks", "please call me back [PHONE] thanks"),
    ("my number is 4155550132", "my number is [PHONE]"),
    (
        "UK: 020 7946 0958, mobile 07700 900123 / 07700900123",
        "UK: [PHONE], mobile [PHONE] / [PHONE]",
    ),
    # IBAN
    (f"mon IBAN est {FR_IBAN} merci", "mon IBAN est [IBAN] merci"),
    ("iban: fr7630006000011234567890189", "iban: [IBAN]"),
    ("my IBAN is GB82 WEST 1234 5698 7654 32.", "my IBAN is [IBAN]."),
    ("DE89 3704 0044 0532 0130 00 / BE68 5390 0754 7034", "[IBAN] / [IBAN]"),
    (f"{FR_IBAN} {FR_IBAN}", "[IBAN] [IBAN]"),
    # cards
    (f"ma carte {CARD} exp 12/26", "ma carte [CARD] exp 12/26"),
    ("card number 4970-1012-3456-7893", "card number [CARD]"),
    ("4970101234567893", "[CARD]"),
    ("Amex 3782 822463 10005", "Amex [CARD]"),
    ("5555 5555 5555 4444 is my mastercard", "[CARD] is my mastercard"),
    ("transcript: 49 70 10 12 34 56 78 93", "transcript: [CARD]"),
    ("j'ai 2 cartes: 2 4970 1012 3456 7893", "j'ai 2 cartes: 2 [CARD]"),
    # NIR
    (f"numéro de sécu {NIR}", "numéro de sécu [NIR]"),
    ("NIR 185057800608491.", "NIR [NIR]."),
    ("sécu : 2 69 05 2A 123 456 88", "sécu : [NIR]"),
    ("ma femme : 2690520B1234562", "ma femme : 2690520B1234562"),  # 2B in the wrong place
    # US SSN, UK NINO
    ("SSN 123-45-6789", "SSN [SSN]"),
    ("my NI number is AB 12 34 56 C", "my NI number is [NINO]"),
    ("NINO: AB123456C", "NINO: [NINO]"),
    # IP
    ("mon IP c'est 82.64.12.190", "mon IP c'est [IP]"),
    ("my router says 2001:db8::8a2e:370:7334", "my router says [IP]"),
    # secrets
    ("mot de passe : Azerty123", "mot de passe : [SECRET]"),
    ("mon mdp c'est Soleil#2024!", "mon mdp c'est [SECRET]"),
    ("my password is Soleil2024.", "my password is [SECRET]."),
    ("my password is hunter2", "my password is [SECRET]"),
    ("my pin is 1234", "my pin is [SECRET]"),
    ("code pin 4321", "code pin [SECRET]"),
    ("le cryptogramme est 123", "le cryptogramme est [SECRET]"),
    ("https://jean:Secret123@site.fr/x", "https://[SECRET]@site.fr/x"),
    (
        "https://site.fr/reset?token=9f8a7b6c5d&lang=fr",
        "https://site.fr/reset?token=[SECRET]&lang=fr",
    ),
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_each_kind_is_redacted(text, expected):
    assert redact(text) == expected
    assert_well_formed(text, find_pii(text))


def test_every_kind_is_exercised():
    found = {k for text, _ in REDACTED for k in kinds(text)}
    assert found == set(KINDS)


def test_spans_quote_the_text():
    text = f"Bonjour, {CARD} et jean@free.fr puis +33 6 12 34 56 78"
    spans = find_pii(text)
    assert [(s.kind, s.text) for s in spans] == [
        ("card", CARD),
        ("email", "jean@free.fr"),
        ("phone", "+33 6 12 34 56 78"),
    ]
    assert_well_formed(text, spans)


# ------------------------------------------------------------------ checksums


def test_iban_checksum_decides():
    compact = FR_IBAN.replace(" ", "")
    assert iban_valid(compact)
    for i in range(4, len(compact)):
        if compact[i].isdigit():
            changed = compact[:i] + str((int(compact[i]) + 1) % 10) + compact[i + 1 :]
            assert not iban_valid(changed)
            assert kinds(f"IBAN {changed}") == []
    assert not iban_valid("FR76300060000112345678901")  # too short for France
    assert not iban_valid("XX7630006000011234567890189")  # not a country
    assert not iban_valid("FR76300060000112345678901é9")


@pytest.mark.parametrize(
    "country", ["FR", "DE", "ES", "IT", "BE", "NL", "CH", "GB", "LU", "MC", "PT"]
)
def test_iban_of_any_country_with_its_length(country):
    rng = random.Random(country)
    bban = "".join(rng.choice("0123456789") for _ in range(IBAN_LENGTHS[country] - 4))
    iban = iban_complete(country, bban)
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    assert redact(f"IBAN {spaced}, merci") == "IBAN [IBAN], merci"
    assert redact(f"IBAN {iban}.") == "IBAN [IBAN]."


def test_card_luhn_and_issuer_decide():
    assert luhn_valid(CARD.replace(" ", ""))
    for last in "012456789":
        assert kinds(CARD[:-1] + last) == []
    # Luhn-valid but no issuer starts with 1, 7, 8 or 9: an order or account number
    for body in ("100000000000000", "700000000000000", "912345678901234"):
        number = luhn_complete(body)
        assert not card_issuer_ok(number)
        assert kinds(f"ref {number}") == []
    # Visa has 13, 16 or 19 digits, never 14
    assert kinds(luhn_complete("4970101234567")) == []
    assert kinds(luhn_complete("497010123456")) == ["card"]


def test_nir_key_decides():
    assert nir_valid(NIR.replace(" ", ""))
    assert kinds("1 85 05 78 006 084 36") == []  # wrong key
    corsica_a = nir_complete("269052A123456")
    corsica_b = nir_complete("178092B045012")
    assert kinds(f"NIR {corsica_a}") == ["nir"]
    assert kinds(
        f"NIR {corsica_b[:1]} {corsica_b[1:3]} {corsica_b[3:5]} {corsica_b[5:7]} "
        f"{corsica_b[7:10]} {corsica_b[10:13]} {corsica_b[13:]}"
    ) == ["nir"]
    # 2A read as 19 and as 18 give different keys: swapping the letter breaks the key
    assert kinds(corsica_a.replace("2A", "2B")) == []
    # month 13 does not exist; department 00 and commune 000 neither
    assert kinds(nir_complete("1851378006084")) == []
    assert kinds(nir_complete("1850500006084")) == []
    assert kinds(nir_complete("1850578000084")) == []


# ------------------------------------------------------------------ false alarms

ORDINARY = [
    "Le montant est de 1 250,00 € TTC",
    "I was charged $1,250.00 twice, and 1 250 000 € is a lot",
    "Le rendez-vous est le 12/03/2024 à 14h30",
    "the meeting is on 2024-03-12 at 10:30:00",
    "le 01 02 2024 10:30 j'ai appelé",
    "ma commande 123456789 n'est pas arrivée",
    "commande n° 0612345678 annulée",
    "order #4970101234567893 was cancelled",
    "numéro de suivi : 6A12345678901",
    "tracking number 1Z999AA10123456784",
    "Amazon order 402-1234567-1234567",
    "facture 2024-000123 du 05.03.2024",
    "Je suis né en 1985 et j'habite au 12 rue de la Paix, 75002 Paris",
    "les prix ont augmenté de 12,5 % en 2023",
    "please update to version 1.2.3.4 or v2.3.1 of the app",
    "iOS 17.4.1 and Android 14",
    "my pin is blocked, how do I unblock my pin?",
    "mon mot de passe est incorrect",
    "I forgot my password and my PIN number",
    "j'ai regardé le match à 20 h 45 sur la 6",
    "call 3949 or 112 in an emergency",
    "SIRET 732 829 320 00074",
    "@VirginAmerica What @dhepburn said. #fail",
    "look at amazon.com and at the point of sale",
    "I'm at home dot dot dot",
    "room 1205, floor 12, seat 12A, flight AF1234",
    "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
    "Windows 10.0.19045.3803 and Chrome 120.0.6099.109",
    "std::vector<int> and 12:30:45",
    "ref 4242 4242 4242 4242",
    "temperature 36.6 and 98.6°F",
    "+5 % de hausse et -3 points",
    "IMEI 490154203237518",
    "ticket 4155550132 and claim 4016688561",  # compact 10 digits, no phone word
    "Reference number to this request: 1-3001408092",
    "plan d'action 2014-2018 et 2015-2020, score 737-300",
    "my account number 2345678901 is wrong",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_left_alone(text):
    assert find_pii(text) == []
    assert redact(text) == text


def test_a_reference_keyword_needs_to_be_right_before_the_number():
    assert redact("ma commande, mon numéro est 06 12 34 56 78") == (
        "ma commande, mon numéro est [PHONE]"
    )
    assert redact("ma commande mon numéro est 06 12 34 56 78") == (
        "ma commande mon numéro est [PHONE]"
    )
    assert redact("commande payée avec la carte 4970 1012 3456 7893") == (
        "commande payée avec la carte [CARD]"
    )
    assert REFERENCE_KINDS <= set(KINDS)


def test_a_reference_keyword_does_not_protect_an_iban_or_an_email():
    assert redact(f"référence {FR_IBAN}") == "référence [IBAN]"
    assert redact("dossier jean@free.fr") == "dossier [EMAIL]"


# ------------------------------------------------------------------ overlaps


def test_an_iban_wins_over_the_card_and_phone_read_in_its_digits():
    # the digits after the country code hold Luhn windows and phone-like runs
    assert kinds(f"{FR_IBAN}") == ["iban"]


def test_a_url_password_wins_over_the_email_it_contains():
    assert find_pii("https://jean:pass1@site.fr")[0].kind == "secret"
    assert redact("https://jean:pass1@site.fr") == "https://[SECRET]@site.fr"


def test_an_email_wins_over_the_number_in_its_local_part():
    assert redact("0612345678@orange.fr") == "[EMAIL]"
    assert redact("4970101234567893@example.com") == "[EMAIL]"


def test_an_international_number_wins_over_the_national_one_inside():
    assert find_pii("+1 (415) 555-0132")[0].text == "+1 (415) 555-0132"


def test_adjacent_pii_stays_separate():
    text = f"{CARD}, {FR_IBAN}; 06 12 34 56 78 ; jean@free.fr"
    spans = find_pii(text)
    assert [s.kind for s in spans] == ["card", "iban", "phone", "email"]
    assert_well_formed(text, spans)


def test_values_glued_together_are_all_redacted():
    # the second number is glued to the first, so it is found only once the first is gone
    text = "06 12 34 56 78+33 6 12 34 56 78"
    assert [s.text for s in find_pii(text)] == ["06 12 34 56 78"]
    assert redact(text) == "[PHONE][PHONE]"


def test_a_password_keyword_before_a_placeholder_is_not_a_password():
    assert redact("password:06 12 34 56 78") == "password:[PHONE]"
    assert redact("https://x.fr/?token=[SECRET]") == "https://x.fr/?token=[SECRET]"


# ------------------------------------------------------------------ API contract


def test_placeholders():
    assert PLACEHOLDERS == {kind: f"[{kind.upper()}]" for kind in KINDS}
    assert PLACEHOLDERS["email"] == "[EMAIL]" and PLACEHOLDERS["nir"] == "[NIR]"
    for placeholder in PLACEHOLDERS.values():
        assert not any(c.isdigit() for c in placeholder) and "@" not in placeholder
        assert find_pii(placeholder) == []


def test_empty_and_plain_text():
    assert find_pii("") == [] and redact("") == ""
    assert find_pii("Bonjour, je voudrais parler à un conseiller.") == []


@pytest.mark.parametrize("bad", [None, 12, b"06 12 34 56 78", ["a"]])
def test_non_text_is_an_input_error(bad):
    with pytest.raises(InputError, match="text must be a str; got"):
        find_pii(bad)
    with pytest.raises(InputError):
        redact(bad)


def test_spans_are_named_tuples():
    span = find_pii("jean@free.fr")[0]
    assert span == PIISpan(0, 12, "email", "jean@free.fr")
    assert (span.start, span.end, span.kind, span.text) == tuple(span)


# ------------------------------------------------------------------ linear time

#: Inputs that make a backtracking pattern quadratic or worse: long runs of what a pattern
#: repeats, separators between, and a last character that makes the match fail.
ADVERSARIAL = {
    "digits": "1" * 100_000,
    "spaced digits": "1 " * 50_000,
    "dashed digits": "1-" * 50_000,
    "dotted digits": "1." * 50_000,
    "zeros": "0 " * 50_000 + "x",
    "pairs": "06 " * 33_000 + "a",
    "plus": "+1 " * 33_000,
    "parens": "+1 (0)" * 16_000,
    "at signs": "a@" * 50_000,
    "long local part": "a" * 100_000 + "@",
    "long domain": "a@" + "b." * 50_000,
    "dotted local part": "a." * 50_000 + "@b",
    "spoken": "jean point " * 10_000 + "arobase",
    "spoken at": "a at " * 20_000 + "b dot",
    "iban start": "FR76 " * 20_000,
    "iban letters": "FR76" + " AB" * 40_000,
    "letters digits": "ab12" * 25_000,
    "colons": ":" * 100_000,
    "hex colons": "a:" * 50_000,
    "double colons": "a::" * 33_000,
    "octets": "255." * 25_000,
    "urls": "a://" * 25_000,
    "userinfo": "http://" + "a:" * 50_000,
    "params": "?token=" * 14_000,
    "passwords": "password: " * 10_000,
    "pins": "pin is " * 14_000,
    "corsica": "2A " * 33_000,
    "nir": "1 85 05 " * 12_000,
    "cards": "4970 " * 20_000,
    "ssn": "123-45-" * 14_000,
    "nino": "AB 12 " * 16_000,
    "references": "commande n° " * 8_000 + "0612345678",
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_inputs_finish_in_linear_time(name):
    text = ADVERSARIAL[name]
    started = time.perf_counter()
    spans = find_pii(text)
    elapsed_s = time.perf_counter() - started
    assert_well_formed(text, spans)
    # linear work on 100k characters is milliseconds; a quadratic pattern takes minutes
    assert elapsed_s < 10.0, f"{name}: {elapsed_s:.1f} s"


def test_random_digit_soup_is_fast():
    rng = random.Random(7)
    text = "".join(rng.choice("0123456789 -.+()@:aAB") for _ in range(200_000))
    started = time.perf_counter()
    assert_well_formed(text, find_pii(text))
    assert time.perf_counter() - started < 10.0


# ------------------------------------------------------------------ properties

_ALPHABET = st.characters(exclude_categories=("Cs",))
_WORDS = st.sampled_from(
    ["bonjour", "merci", "mon", "numéro", "carte", "order", "at", "point", "le", "0", "06",
     "12", "2A", "+33", "(0)", "FR76", "@", ".", "-", " ", ":", "?token=", "pin", "is"]
)  # fmt: skip
_SOUP = st.lists(st.one_of(_WORDS, st.text(_ALPHABET, max_size=4)), max_size=30).map(" ".join)


@given(st.one_of(st.text(_ALPHABET), _SOUP))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_find_pii_never_raises_and_spans_are_well_formed(text):
    spans = find_pii(text)
    assert_well_formed(text, spans)


@given(st.one_of(st.text(_ALPHABET), _SOUP))
@settings(max_examples=300)
def test_redaction_is_idempotent_and_leaves_nothing_to_find(text):
    once = redact(text)
    assert find_pii(once) == []
    assert redact(once) == once


#: Pieces of personal data and of what surrounds it, glued in random orders: overlapping
#: candidates, values next to reference keywords, placeholders next to digits.
_PIECES = st.sampled_from(
    ["06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "+33 (0)6", CARD, "4970101234567893",
     FR_IBAN, NIR, "jean@free.fr", "jean", "@", "free.fr", "arobase", "point", "gmail", "com",
     "at", "dot", "123-45-6789", "AB 12 34 56 C", "192.168.1.10", "2001:db8::1", "::",
     "password:", "pin is", "Azerty123", "1234", "https://a:b@c.fr", "?token=abcdef",
     "commande", "n°", "order", "#", "0", "1", "2A", "12", "(415) 555-0132", "555-0132", "+1",
     "00", "33", "(0)", "version", "[PHONE]", "[CARD]", "]", "[", "9148445695", "call"]
)  # fmt: skip
_GLUE = st.sampled_from(["", " ", "  ", "-", ".", ",", ":", "/", "\n"])
_PII_SOUP = st.lists(st.tuples(_PIECES, _GLUE), max_size=25).map(
    lambda pairs: "".join(piece + glue for piece, glue in pairs)
)


@given(_PII_SOUP)
@settings(max_examples=400)
def test_pii_soup_is_fully_redacted_and_spans_are_well_formed(text):
    assert_well_formed(text, find_pii(text))
    once = redact(text)
    assert find_pii(once) == []
    assert redact(once) == once


def _random_card(rng: random.Random) -> str:
    prefix, length = rng.choice(
        [("4", 16), ("4", 13), ("4", 19), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16),
         ("34", 15), ("37", 15), ("36", 14), ("3528", 16), ("6011", 16), ("62", 19), ("50", 18)]
    )  # fmt: skip
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return luhn_complete(body)


def _written(digits: str, style: int) -> str:
    if style == 0:
        return digits
    sep = " -"[style - 1] if style < 3 else " "
    size = 4 if style < 3 else 2
    return sep.join(digits[i : i + size] for i in range(0, len(digits), size))


_SAFE_EDGE = "0123456789 -.,+@:/()\u00a0\u202f"


@given(st.integers(0, 2**32), st.integers(0, 3), st.text(_ALPHABET, max_size=40),
       st.text(_ALPHABET, max_size=40))  # fmt: skip
@settings(max_examples=300)
def test_random_luhn_valid_cards_in_random_text_are_found(seed, style, before, after):
    card = _written(_random_card(random.Random(seed)), style)
    text = f"{before.rstrip(_SAFE_EDGE)} carte {card} merci {after}"
    found = [s for s in find_pii(text) if s.text == card]
    assert [s.kind for s in found] == ["card"], (text, find_pii(text))
    assert card not in redact(text)


@given(st.integers(0, 2**32), st.sampled_from(["FR", "DE", "ES", "IT", "BE", "GB", "NL"]),
       st.text(_ALPHABET, max_size=30))  # fmt: skip
@settings(max_examples=200)
def test_random_ibans_are_found(seed, country, after):
    rng = random.Random(seed)
    bban = "".join(rng.choice("0123456789") for _ in range(IBAN_LENGTHS[country] - 4))
    iban = iban_complete(country, bban)
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    for written in (iban, spaced):
        text = f"IBAN : {written} merci {after}"
        assert [s.kind for s in find_pii(text) if s.text == written] == ["iban"]


@given(st.integers(0, 2**32))
@settings(max_examples=200)
def test_random_nirs_are_found_and_a_wrong_key_is_not(seed):
    rng = random.Random(seed)
    department = rng.choice(["75", "13", "2A", "2B", "69", "99", "01"])
    body = (
        rng.choice("12") + f"{rng.randrange(100):02d}" + f"{rng.randrange(1, 13):02d}"
        + department + f"{rng.randrange(1, 990):03d}" + f"{rng.randrange(1, 1000):03d}"
    )  # fmt: skip
    nir = nir_complete(body)
    spaced = f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"
    assert kinds(f"sécu {spaced}") == ["nir"]
    assert kinds(f"sécu {nir}") == ["nir"]
    wrong = f"{(int(nir[13:]) % 97) + 1:02d}"
    assert kinds(f"sécu {nir[:13]}{wrong}") == []


@given(st.integers(0, 2**32), st.sampled_from(["{}", "+33 {}", "0033 {}", "+33 (0){}"]))
@settings(max_examples=200)
def test_random_french_mobiles_are_found(seed, form):
    rng = random.Random(seed)
    national = rng.choice("67") + "".join(rng.choice("0123456789") for _ in range(8))
    pairs = " ".join(national[i : i + 2] for i in range(1, 9, 2))
    if form == "{}":
        written = f"0{national[0]} {pairs}"
    else:
        written = form.format(f"{national[0]} {pairs}")
    text = f"mon portable est le {written}, merci"
    assert [s.text for s in find_pii(text)] == [written]
