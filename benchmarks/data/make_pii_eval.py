"""Write ``pii_eval.tsv``: customer sentences with personal data, and expected spans.

The sentences are templates written by hand for this project, in French and English, in the
registers of chat and of voice transcripts; the values put into them are drawn with a fixed
seed and carry valid checksums (IBAN mod 97, Luhn, NIR key), so the file is the same on
every run. Three groups:

* ``pii``: sentences with one or more values of the formats docs/redaction.md lists.
* ``hard``: personal data in forms the redactor is *known not to catch* (numbers spelled
  in words, 7-digit local numbers, passwords without a digit, obfuscated addresses ...),
  kept in the set so that recall is not a score on the documented formats only.
* ``decoy``: no personal data, but numbers that look like it: order and tracking numbers,
  amounts, dates, versions, and IBANs, cards and NIRs with a broken checksum.

Caveat: the templates were written by the author of the patterns. Read the numbers as a
regression check of the documented formats, not as recall on real customers' text.

Columns: ``id``, ``lang``, ``group``, ``text``, ``spans`` (JSON list of ``[start, end,
kind]``). Run from the project root::

    python benchmarks/data/make_pii_eval.py
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent / "pii_eval.tsv"
SEED = 20240607
#: Sentences drawn per template.
PER_TEMPLATE = 3

# ------------------------------------------------------------------ checksummed values

IBAN_LENGTHS = {"FR": 27, "DE": 22, "ES": 24, "IT": 27, "BE": 16, "GB": 22, "NL": 18,
                "CH": 21, "LU": 20, "PT": 25, "MC": 27}  # fmt: skip


def luhn_digit(body: str) -> str:
    total = 0
    for i, char in enumerate(reversed(body)):
        d = int(char)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str(-total % 10)


def iban(rng: random.Random, country: str) -> str:
    length = IBAN_LENGTHS[country]
    if country == "GB" or country in ("NL",):
        bban = "".join(rng.choice(string.ascii_uppercase) for _ in range(4))
        bban += "".join(rng.choice(string.digits) for _ in range(length - 8))
    else:
        bban = "".join(rng.choice(string.digits) for _ in range(length - 4))
    number = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(number) % 97:02d}{bban}"


def card(rng: random.Random) -> str:
    prefix, length = rng.choice(
        [("4", 16), ("4", 16), ("4970", 16), ("51", 16), ("53", 16), ("55", 16),
         ("2221", 16), ("2720", 16), ("34", 15), ("37", 15), ("6011", 16), ("62", 16)]
    )  # fmt: skip
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + luhn_digit(body)


def nir(rng: random.Random) -> str:
    department = rng.choice(["75", "13", "69", "33", "59", "2A", "2B", "93", "99", "06", "44"])
    body = (
        rng.choice("12") + f"{rng.randrange(40, 100):02d}" + f"{rng.randrange(1, 13):02d}"
        + department + f"{rng.randrange(1, 990):03d}" + f"{rng.randrange(1, 1000):03d}"
    )  # fmt: skip
    numeric = body[:5] + {"2A": "19", "2B": "18"}.get(department, department) + body[7:]
    return f"{body}{97 - int(numeric) % 97:02d}"


def imei(rng: random.Random) -> str:
    """A phone's serial number: 15 Luhn-valid digits, not a card."""
    body = "35" + "".join(rng.choice(string.digits) for _ in range(12))
    return body + luhn_digit(body)


def broken(rng: random.Random, value: str) -> str:
    """``value`` with one digit after the first four changed: its checksum fails."""
    positions = [i for i, c in enumerate(value) if c.isdigit() and i >= 4]
    i = rng.choice(positions)
    return value[:i] + str((int(value[i]) + rng.randrange(1, 10)) % 10) + value[i + 1 :]


# ------------------------------------------------------------------ written forms


def groups(value: str, size: int, sep: str = " ") -> str:
    return sep.join(value[i : i + size] for i in range(0, len(value), size))


def written_iban(rng: random.Random) -> str:
    value = iban(rng, rng.choice(list(IBAN_LENGTHS)))
    style = rng.randrange(4)
    if style == 0:
        return groups(value, 4)
    if style == 1:
        return value
    if style == 2:
        return groups(value, 4).lower()
    return groups(value, 4, "-")


def written_card(rng: random.Random) -> str:
    value = card(rng)
    style = rng.randrange(5)
    if len(value) == 15 and style < 3:
        return f"{value[:4]} {value[4:10]} {value[10:]}"
    if style == 0:
        return groups(value, 4)
    if style == 1:
        return groups(value, 4, "-")
    if style == 2:
        return value
    if style == 3:
        return groups(value, 2)  # a transcript reading pairs
    return " ".join(value)  # digit by digit


def written_nir(rng: random.Random) -> str:
    v = nir(rng)
    style = rng.randrange(3)
    if style == 0:
        return f"{v[0]} {v[1:3]} {v[3:5]} {v[5:7]} {v[7:10]} {v[10:13]} {v[13:]}"
    if style == 1:
        return v
    return f"{v[:13]} {v[13:]}"


def fr_national(rng: random.Random) -> str:
    first = rng.choice("1234567679")
    return "0" + first + "".join(rng.choice(string.digits) for _ in range(8))


def written_phone_fr(rng: random.Random) -> str:
    n = fr_national(rng)
    style = rng.randrange(9)
    pairs = groups(n, 2)
    return [
        pairs,
        groups(n, 2, "."),
        n,
        groups(n, 2, "-"),
        "+33 " + n[1] + " " + groups(n[2:], 2),
        "+33 (0)" + n[1] + " " + groups(n[2:], 2),
        "0033 " + n[1] + " " + groups(n[2:], 2),
        "+33" + n[1:],
        " ".join(n),  # digit by digit
    ][style]


def written_phone_intl(rng: random.Random) -> str:
    d = lambda k: "".join(rng.choice(string.digits) for _ in range(k))
    area = str(rng.randrange(2, 10)) + d(2)
    exchange = str(rng.randrange(2, 10)) + d(2)
    style = rng.randrange(9)
    return [
        f"+44 20 {d(4)} {d(4)}",
        f"+44 7700 {d(6)}",
        f"07700 {d(6)}",
        f"020 {d(4)} {d(4)}",
        f"+1 ({area}) {exchange}-{d(4)}",
        f"({area}) {exchange}-{d(4)}",
        f"{area}-{exchange}-{d(4)}",
        f"+49 30 {d(8)}",
        f"+32 2 {d(3)} {d(2)} {d(2)}",
    ][style]


FIRST = ["jean", "marie", "sophie", "luc", "nadia", "karim", "julie", "pierre", "emma", "tom",
         "sarah", "james", "olivia", "mehdi", "chloé", "anaïs"]  # fmt: skip
LAST = ["dupont", "martin", "bernard", "nguyen", "smith", "jones", "moreau", "haddad",
        "lefebvre", "brown", "garcia", "roux"]  # fmt: skip
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "yahoo.co.uk",
           "outlook.com", "sfr.fr", "example.org", "wanadoo.fr"]  # fmt: skip


def written_email(rng: random.Random) -> str:
    first, last, domain = rng.choice(FIRST), rng.choice(LAST), rng.choice(DOMAINS)
    style = rng.randrange(6)
    if style == 0:
        return f"{first}.{last}@{domain}"
    if style == 1:
        return f"{first}{rng.randrange(100)}@{domain}"
    if style == 2:
        return f"{first[0]}.{last}+sav@{domain}"
    if style == 3:
        return f"{first.capitalize()}.{last.upper()}@{domain}"
    if style == 4:
        return f"{first}_{last}@{domain}"
    return f"{last}.{first}@{domain}"


def spoken_email_fr(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    domain = rng.choice(
        ["gmail point com", "orange point fr", "free point fr", "laposte point net"]
    )
    return f"{first} point {last} arobase {domain}"


def spoken_email_en(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    domain = rng.choice(["gmail dot com", "yahoo dot co dot uk", "outlook dot com"])
    return f"{first} dot {last} at {domain}"


def ssn(rng: random.Random) -> str:
    area = rng.choice([rng.randrange(1, 666), rng.randrange(667, 900)])
    return f"{area:03d}-{rng.randrange(1, 100):02d}-{rng.randrange(1, 10000):04d}"


def nino(rng: random.Random) -> str:
    first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    if first + second in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
        first, second = "A", "B"
    digits = "".join(rng.choice(string.digits) for _ in range(6))
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{first}{second}{digits}{suffix}"
    return f"{first}{second} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"


def ip(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return ".".join(str(x) for x in (rng.randrange(11, 224), rng.randrange(256),
                                         rng.randrange(256), rng.randrange(1, 255)))  # fmt: skip
    return "2a01:e0a:" + ":".join(f"{rng.randrange(1, 65536):x}" for _ in range(4)) + "::1"


def password(rng: random.Random) -> str:
    word = rng.choice(["Soleil", "azerty", "Chocolat", "monkey", "Paris", "dragon", "Loulou"])
    return word + str(rng.randrange(10, 2025)) + rng.choice(["", "!", "#", "*"])


def pin(rng: random.Random) -> str:
    return f"{rng.randrange(10000):04d}"


def token(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(24))


VALUES: dict[str, Callable[[random.Random], str]] = {
    "email": written_email,
    "email_spoken_fr": spoken_email_fr,
    "email_spoken_en": spoken_email_en,
    "phone_fr": written_phone_fr,
    "phone_intl": written_phone_intl,
    "iban": written_iban,
    "card": written_card,
    "nir": written_nir,
    "ssn": ssn,
    "nino": nino,
    "ip": ip,
    "password": password,
    "pin": pin,
    "token": token,
}
#: The kind each slot is expected to be redacted as.
KIND_OF = {
    "email": "email", "email_spoken_fr": "email", "email_spoken_en": "email",
    "phone_fr": "phone", "phone_intl": "phone", "iban": "iban", "card": "card", "nir": "nir",
    "ssn": "ssn", "nino": "nino", "ip": "ip", "password": "secret", "pin": "secret",
    "token": "secret",
}  # fmt: skip

# ------------------------------------------------------------------ templates

FR = [
    "Bonjour, mon adresse mail est {email}, merci de me répondre vite.",
    "vous pouvez m'écrire sur {email} ou me rappeler au {phone_fr}",
    "Je n'arrive pas à changer mon mail {email} dans l'appli !!!",
    "oui c'est {email_spoken_fr}",
    "alors mon adresse c'est {email_spoken_fr} voilà",
    "Mon numéro de portable : {phone_fr}",
    "rappelez moi au {phone_fr} svp ça fait 3 jours que j'attends",
    "Je suis joignable au {phone_fr} entre 9h et 18h.",
    "euh oui alors c'est le {phone_fr} voilà",
    "Mon fils vit à Londres, son numéro est le {phone_intl}.",
    "Voici mon RIB, IBAN {iban}, pour le remboursement de 49,90 €.",
    "j'ai changé de banque, le nouvel iban c'est {iban}",
    "Prélèvement refusé sur le compte {iban} alors que j'ai de l'argent !",
    "On m'a débité deux fois sur ma carte {card}, c'est inadmissible.",
    "ma carte bancaire {card} a été volée hier soir, bloquez-la",
    "alors le numéro de la carte c'est {card} et elle expire en 09/27",
    "Mon numéro de sécurité sociale est {nir}.",
    "pour la mutuelle mon numéro de sécu c'est le {nir}",
    "Ma femme, NIR {nir}, n'a pas reçu ses remboursements.",
    "Je ne peux plus me connecter, mon adresse IP est {ip} d'après la box.",
    "mon mot de passe est {password} et ça ne marche toujours pas",
    "Mot de passe : {password}",
    "mon code pin est {pin} mais la carte est bloquée",
    "le lien de réinitialisation https://compte.example.fr/reset?token={token} ne marche pas",
    "Bonjour, {email} / {phone_fr} / IBAN {iban}, merci de mettre à jour mon dossier.",
    "Ma mère (n° sécu {nir}) est décédée, son mail était {email}.",
]
EN = [
    "Hi, my email is {email}, please get back to me asap.",
    "you can reach me at {email} or call {phone_intl}",
    "I can't update my email {email} in the app!!",
    "yeah it's {email_spoken_en}",
    "my address is {email_spoken_en} okay",
    "My mobile number is {phone_intl}.",
    "please call me back on {phone_intl}, I've been waiting for 3 days",
    "I live in Lyon now, my French number is {phone_fr}",
    "uh yes so it's {phone_intl} yeah",
    "Please refund to my IBAN {iban}, thanks.",
    "new bank account, IBAN {iban}",
    "Direct debit failed on {iban} even though there is money in it!",
    "I was charged twice on my card {card}, this is unacceptable.",
    "my credit card {card} was stolen last night, block it",
    "so the card number is {card} and it expires 09/27",
    "My SSN is {ssn}.",
    "for the tax form my social security number is {ssn}",
    "My National Insurance number is {nino}.",
    "NI number {nino}, can you check my account?",
    "I can't log in, my IP address is {ip} according to the router.",
    "my password is {password} and it still does not work",
    "Password: {password}",
    "my pin is {pin} but the card is blocked",
    "the reset link https://account.example.com/reset?token={token} is broken",
    "Hi, {email} / {phone_intl} / IBAN {iban}, please update my file.",
    "My mother (SSN {ssn}) passed away, her email was {email}.",
]
#: Personal data at the edge of what the redactor reads: spelled-out digits, partial or
#: obfuscated values, numbers of countries it has no format for, compact numbers told
#: from references by a word. Most are known misses. The expected span is marked ⟦ ⟧.
HARD = [
    ("fr", "phone", "mon numéro c'est le ⟦zéro six douze trente-quatre cinquante-six soixante-dix-huit⟧"),
    ("fr", "email", "mon mail c'est ⟦jean dupont arobase gmail⟧ enfin je crois"),
    ("fr", "secret", "mon mot de passe est ⟦soleil⟧ tout simplement"),
    ("fr", "email", "vous pouvez m'écrire à ⟦jean.dupont (at) free.fr⟧"),
    ("fr", "phone", "mon fixe en Chine c'est le ⟦139 2477 4026⟧"),
    ("fr", "nir", "le numéro de sécu ⟦1 85 05 78 006 084⟧ je n'ai pas la clé"),
    ("fr", "card", "ma carte ⟦4970 1012 3456⟧ enfin le début, le reste je l'ai pas"),
    ("fr", "phone", "appelez le ⟦06 12 34 56 78⟧ pour ma commande ⟦06 98 76 54 32⟧ c'est mon mari"),
    ("en", "phone", "call me at ⟦555-0132⟧ after six"),
    ("en", "email", "my email is ⟦john dot smith at hotmail⟧ I think"),
    ("en", "secret", "my password is ⟦sunshine⟧ lol"),
    ("en", "phone", "it's ⟦four one five five five five zero one three two⟧"),
    ("en", "email", "write to ⟦john[dot]smith[at]example[dot]com⟧"),
    ("en", "ssn", "my SSN is ⟦349-95- 8821⟧ I think"),
    ("en", "phone", "my number is ⟦9148445695⟧"),
    ("en", "phone", "text me ⟦4155550132⟧ tonight"),
]  # fmt: skip


def decoys(rng: random.Random) -> list[tuple[str, str]]:
    d = lambda k: "".join(rng.choice(string.digits) for _ in range(k))
    fr = [
        f"Ma commande {d(9)} n'est toujours pas arrivée.",
        f"commande n° {fr_national(rng)} annulée sans raison",
        f"numéro de suivi : 6A{d(11)}",
        f"le colis {d(13)} est bloqué à la plateforme",
        "On m'a prélevé 1 250,00 € le 12/03/2024 au lieu de 125,00 €.",
        f"La facture FA-2024-{d(6)} du 05.03.2024 est fausse",
        f"Je suis au 12 rue de la Paix, 75002 Paris, depuis {rng.randrange(1990, 2024)}.",
        f"les prix ont augmenté de {rng.randrange(2, 30)},5 % cette année",
        f"j'ai la version {rng.randrange(1, 20)}.{rng.randrange(10)}.{rng.randrange(10)} de l'appli",
        f"rendez-vous le {rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d} à 14h30",
        f"mon IBAN FR{broken(rng, iban(rng, 'FR'))[2:]} (j'ai peut-être fait une faute)",
        f"la carte {groups(broken(rng, card(rng)), 4)} est refusée",
        f"sécu {broken(rng, nir(rng))} ?",
        f"dossier n° {d(8)}, sinistre {d(10)}",
        f"SIRET {d(3)} {d(3)} {d(3)} {d(5)}",
        f"le match a fini 3 - 1 à 22h45, j'ai raté le {rng.randrange(10, 99)}e épisode",
    ]
    en = [
        f"My order {d(9)} still hasn't arrived.",
        f"order #{card(rng)} was cancelled",
        f"tracking number 1Z{d(3)}AA{d(10)}",
        f"Amazon order {d(3)}-{d(7)}-{d(7)}",
        "I was charged $1,250.00 on 03/12/2024 instead of $125.00.",
        f"invoice INV-{d(6)} dated 2024-03-05 is wrong",
        f"I live at 221B Baker Street, London NW1 6XE since {rng.randrange(1990, 2024)}.",
        f"prices went up {rng.randrange(2, 30)}.5% this year",
        f"I have version {rng.randrange(1, 20)}.{rng.randrange(10)}.{rng.randrange(10)}.{rng.randrange(10)} of the app",
        f"meeting at 10:30 on {rng.randrange(1, 13)}/{rng.randrange(1, 29)}",
        f"my IBAN GB{broken(rng, iban(rng, 'GB'))[2:]} (maybe a typo)",
        f"card {groups(broken(rng, card(rng)), 4)} is declined",
        f"ticket {d(12)}, flight AF{d(4)}, seat 12A",
        "my pin is blocked and my password is wrong",
        f"IMEI {imei(rng)}",
        f"room {d(4)}, floor {rng.randrange(1, 40)}, booking ref {d(10)}",
    ]
    return [("fr", t) for t in fr] + [("en", t) for t in en]


# ------------------------------------------------------------------ assembly


def fill(template: str, rng: random.Random) -> tuple[str, list[list]]:
    """Fill ``template``'s slots; return the text and its expected spans."""
    text = ""
    spans: list[list] = []
    rest = template
    while "{" in rest:
        before, _, after = rest.partition("{")
        slot, _, rest = after.partition("}")
        text += before
        value = VALUES[slot](rng)
        spans.append([len(text), len(text) + len(value), KIND_OF[slot]])
        text += value
    return text + rest, spans


def hard_row(kind: str, marked: str) -> tuple[str, list[list]]:
    text = ""
    spans: list[list] = []
    rest = marked
    while "⟦" in rest:
        before, _, after = rest.partition("⟦")
        value, _, rest = after.partition("⟧")
        text += before
        spans.append([len(text), len(text) + len(value), kind])
        text += value
    return text + rest, spans


def build() -> list[dict]:
    rng = random.Random(SEED)
    rows = []
    for lang, templates in (("fr", FR), ("en", EN)):
        for template in templates:
            for _ in range(PER_TEMPLATE):
                text, spans = fill(template, rng)
                rows.append({"lang": lang, "group": "pii", "text": text, "spans": spans})
    for lang, kind, marked in HARD:
        text, spans = hard_row(kind, marked)
        rows.append({"lang": lang, "group": "hard", "text": text, "spans": spans})
    for _ in range(PER_TEMPLATE):
        for lang, text in decoys(rng):
            rows.append({"lang": lang, "group": "decoy", "text": text, "spans": []})
    for i, row in enumerate(rows):
        row["id"] = f"pii-{i:04d}"
        assert "\t" not in row["text"] and "\n" not in row["text"]
    return rows


def main() -> None:
    rows = build()
    lines = ["id\tlang\tgroup\ttext\tspans"]
    lines += [
        f"{r['id']}\t{r['lang']}\t{r['group']}\t{r['text']}\t{json.dumps(r['spans'])}" for r in rows
    ]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
