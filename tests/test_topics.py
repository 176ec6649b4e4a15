"""Tests of the sensitive-topics signal and its lexicons (``text.topics.sensitive.v1``)."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from empathy_signals.lexicons import load_lexicon, parse_lexicon
from empathy_signals.schema import TOPICS
from empathy_signals.signals.base import REGISTRY, Finding, TurnInput
from empathy_signals.signals.resources import LanguagePack
from empathy_signals.signals.topics import (
    DETECTION_THRESHOLD,
    LARGE_AMOUNT_SOURCE,
    LARGE_AMOUNT_WEIGHT,
    NEGATION_FACTOR,
    SIGNAL_NAME,
    sensitive_topics,
)
from empathy_signals.text import tokenize

PACKS = {"fr": LanguagePack("fr"), "en": LanguagePack("en")}


def turn(text: str, language: str) -> TurnInput:
    return TurnInput(index=0, text=tokenize(text), language=language, pack=PACKS[language])


def run(text: str, language: str) -> Finding:
    return sensitive_topics(turn(text, language))


def detected(text: str, language: str) -> tuple[str, ...]:
    return run(text, language).detail["detected"]


# ------------------------------------------------------------------ lexicon files

HEADER_KEYS = ("source", "licence", "version", "language", "description")


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_file_parses_with_the_provenance_header(language: str, topic: str) -> None:
    path = resources.files("empathy_signals.lexicons").joinpath(language, "topics", f"{topic}.txt")
    raw = path.read_text(encoding="utf-8")
    first_lines = [line for line in raw.splitlines()[: len(HEADER_KEYS)]]
    assert [line.split(":")[0].lstrip("# ").strip() for line in first_lines] == list(HEADER_KEYS)
    lexicon = parse_lexicon(raw, name=f"topics/{topic}", language=language)
    assert lexicon.header["licence"] == "Apache-2.0"
    assert lexicon.header["language"] == language
    assert lexicon.header["version"].isdigit()
    assert lexicon.header["description"]
    assert set(lexicon.sections) <= {"match", "exclude"}
    entries = lexicon.section("match").entries
    assert len(entries) >= 8
    assert all(0.0 < e.weight <= 1.0 for e in entries)
    # at least one unambiguous entry per topic
    assert any(e.weight >= DETECTION_THRESHOLD for e in entries)


def test_the_signal_is_registered_in_the_topics_family() -> None:
    spec = REGISTRY[SIGNAL_NAME]
    assert spec.family == "topics"
    assert spec.fn is sensitive_topics


# ------------------------------------------------------------------ positives

POSITIVES = [
    # bereavement
    ("fr", "Mon père est décédé la semaine dernière", "bereavement"),
    ("fr", "ma mere est DECEDEE", "bereavement"),
    ("fr", "Suite au décès de ma femme, je dois fermer son compte", "bereavement"),
    ("fr", "les obseques ont lieu demain", "bereavement"),
    ("fr", "Ma mère nous a quittés en mars", "bereavement"),
    ("fr", "j'ai perdu mon mari", "bereavement"),
    ("en", "My mother passed away last month", "bereavement"),
    ("en", "I'm the executor of my late father's estate", "bereavement"),
    ("en", "my husband died in June", "bereavement"),
    ("en", "I need to send the DEATH CERTIFICATE", "bereavement"),
    # health
    ("fr", "Je suis hospitalisée depuis lundi", "health"),
    ("fr", "je suis tombé malade", "health"),
    ("fr", "en arret maladie depuis 2 mois", "health"),
    ("fr", "Mon fils a un cancer", "health"),
    ("en", "I've been in hospital for two weeks", "health"),
    ("en", "I was diagnosed with cancer", "health"),
    ("en", "I'm seriously ill", "health"),
    ("en", "I'm on sick leave", "health"),
    # financial hardship
    ("fr", "j'ai été licenciée", "financial_hardship"),
    ("fr", "suite à mon licenciement", "financial_hardship"),
    ("fr", "je suis au chômage", "financial_hardship"),
    ("fr", "je suis au chomage", "financial_hardship"),
    ("fr", "je n'arrive plus à payer mon loyer", "financial_hardship"),
    ("fr", "nous sommes surendettés", "financial_hardship"),
    ("fr", "j'ai plus un rond", "financial_hardship"),
    ("en", "I lost my job last week", "financial_hardship"),
    ("en", "I can't pay my rent this month", "financial_hardship"),
    ("en", "I've been made redundant", "financial_hardship"),
    ("en", "we're behind on our mortgage payments", "financial_hardship"),
    # fraud and security
    ("fr", "Je ne reconnais pas ce prélèvement", "fraud_security"),
    ("fr", "on m'a volé ma carte bleue", "fraud_security"),
    ("fr", "mon compte a été piraté", "fraud_security"),
    ("fr", "c'est une FRAUDE", "fraud_security"),
    ("fr", "un paiement frauduleux sur mon compte", "fraud_security"),
    ("fr", "je veux faire opposition", "fraud_security"),
    ("en", "There's a payment I don't recognise", "fraud_security"),
    ("en", "my card was stolen", "fraud_security"),
    ("en", "someone has used my card without my permission", "fraud_security"),
    ("en", "I think I've been scammed", "fraud_security"),
    ("en", "I see an unauthorized transaction", "fraud_security"),
    # legal threat
    ("fr", "je vais prendre un avocat", "legal_threat"),
    ("fr", "Ceci est une mise en demeure", "legal_threat"),
    ("fr", "je vais porter plainte", "legal_threat"),
    ("fr", "je saisis le médiateur", "legal_threat"),
    ("fr", "j'ai écrit à la DGCCRF", "legal_threat"),
    ("fr", "j'ai contacté UFC-Que Choisir", "legal_threat"),
    ("fr", "j'en parlerai à 60 millions de consommateurs", "legal_threat"),
    ("fr", "on se verra au tribunal", "legal_threat"),
    ("en", "I'm going to sue you", "legal_threat"),
    ("en", "my lawyer will be in touch", "legal_threat"),
    ("en", "I'll take this to the ombudsman", "legal_threat"),
    ("en", "I will report you to the FCA", "legal_threat"),
    ("en", "I'm filing with the BBB", "legal_threat"),
    ("en", "see you in small claims court", "legal_threat"),
    # complaint
    ("fr", "je veux faire une réclamation", "complaint"),
    ("fr", "je souhaite contester un prélèvement", "complaint"),
    ("fr", "nous avons un litige", "complaint"),
    ("fr", "j'ai été prélevé deux fois", "complaint"),
    ("en", "I want to dispute a charge", "complaint"),
    ("en", "I'd like to file a chargeback", "complaint"),
    ("en", "I want to make a formal complaint", "complaint"),
    ("en", "you double charged me", "complaint"),
    # cancellation
    ("fr", "Je veux résilier mon abonnement", "cancellation"),
    ("fr", "la resiliation de mon contrat", "cancellation"),
    ("fr", "je voudrais clôturer mon compte", "cancellation"),
    ("fr", "je pars à la concurrence", "cancellation"),
    ("en", "I want to cancel my subscription", "cancellation"),
    ("en", "please close my account", "cancellation"),
    ("en", "I no longer want this account", "cancellation"),
    ("en", "I'm taking my business elsewhere", "cancellation"),
    # self harm
    ("fr", "je veux mourir", "self_harm"),
    ("fr", "j'ai envie d'en finir", "self_harm"),
    ("fr", "je vais me suicider", "self_harm"),
    ("fr", "je n'ai plus envie de vivre", "self_harm"),
    ("fr", "j'ai plus envie de vivre", "self_harm"),
    ("fr", "je ne veux plus vivre", "self_harm"),
    ("fr", "je veux en finir avec la vie", "self_harm"),
    ("en", "I want to kill myself", "self_harm"),
    ("en", "I just want to end it all", "self_harm"),
    ("en", "I don't want to live anymore", "self_harm"),
    ("en", "I do not want to live", "self_harm"),
    ("en", "I've been having suicidal thoughts", "self_harm"),
    ("en", "everyone would be better off without me", "self_harm"),
    # vulnerability
    ("fr", "je suis sous tutelle", "vulnerability"),
    ("fr", "Je suis sous curatelle renforcée", "vulnerability"),
    ("fr", "je ne sais pas lire", "vulnerability"),
    ("fr", "je suis malvoyante", "vulnerability"),
    ("fr", "je suis handicapé", "vulnerability"),
    ("fr", "victime de violences conjugales", "vulnerability"),
    ("fr", "j'ai 86 ans", "vulnerability"),
    ("fr", "je ne parle pas bien français", "vulnerability"),
    ("en", "I'm blind and use a screen reader", "vulnerability"),
    ("en", "I'm deaf", "vulnerability"),
    ("en", "I'm a full time carer for my mum", "vulnerability"),
    ("en", "my partner is financially abusive, it's domestic abuse", "vulnerability"),
    ("en", "English is not my first language", "vulnerability"),
    # large purchase
    ("fr", "je veux acheter une voiture", "large_purchase"),
    ("fr", "nous faisons un crédit immobilier", "large_purchase"),
    ("fr", "je voudrais un prêt pour des travaux", "large_purchase"),
    ("fr", "achat d'un appartement", "large_purchase"),
    ("en", "we're buying a house", "large_purchase"),
    ("en", "I need a mortgage", "large_purchase"),
    ("en", "I'm about to make a large purchase", "large_purchase"),
    # account change
    ("fr", "je voudrais changer mon RIB", "account_change"),
    ("fr", "changement d'adresse", "account_change"),
    ("fr", "comment modifier mon mot de passe", "account_change"),
    ("fr", "je veux changer de titulaire", "account_change"),
    ("fr", "ajouter un bénéficiaire", "account_change"),
    ("fr", "ma fille a une procuration", "account_change"),
    ("en", "I need to change my address", "account_change"),
    ("en", "how do I change the account holder", "account_change"),
    ("en", "I want to add a beneficiary", "account_change"),
    ("en", "my son has power of attorney", "account_change"),
    ("en", "I need to update my bank details", "account_change"),
    ("en", "I want to change my PIN", "account_change"),
]


@pytest.mark.parametrize(("language", "text", "topic"), POSITIVES)
def test_positive(language: str, text: str, topic: str) -> None:
    finding = run(text, language)
    assert topic in finding.detail["detected"], (text, finding.scores)
    assert finding.scores[topic] >= DETECTION_THRESHOLD
    assert any(h.label == topic for h in finding.hits)


def test_every_topic_has_french_and_english_positives() -> None:
    covered = {(lang, topic) for lang, _, topic in POSITIVES}
    assert covered == {(lang, topic) for lang in ("fr", "en") for topic in TOPICS}


# ------------------------------------------------------------------ negatives

NEGATIVES = [
    # idioms and false friends
    ("fr", "je suis mort de rire", "bereavement"),
    ("fr", "MDR c'est mort de rire", "bereavement"),
    ("fr", "ma batterie est morte", "bereavement"),
    ("fr", "une succession de problèmes", "bereavement"),
    ("fr", "je meurs de faim", "self_harm"),
    ("fr", "envie de mourir de rire", "self_harm"),
    ("fr", "ce film est ennuyeux à mourir", "self_harm"),
    ("fr", "je veux en finir avec ce dossier", "self_harm"),
    ("fr", "je veux en finir une bonne fois pour toutes", "self_harm"),
    ("fr", "ça me tue ces délais", "self_harm"),
    ("fr", "vous êtes malades ou quoi", "health"),
    ("fr", "c'est une opération bancaire", "health"),
    ("fr", "je n'arrive pas à payer en ligne", "financial_hardship"),
    ("fr", "je suis prêt à attendre", "large_purchase"),
    ("fr", "un crédit d'appel", "large_purchase"),
    ("fr", "vous faites la sourde oreille", "vulnerability"),
    ("fr", "je dois changer d'avis", "account_change"),
    ("fr", "votre offre sans engagement", "cancellation"),
    ("fr", "un avocat bio", "legal_threat"),
    ("en", "this is killing me", "self_harm"),
    ("en", "I could kill for a coffee", "self_harm"),
    ("en", "I'm dying to know", "self_harm"),
    ("en", "I'm dying to know", "bereavement"),
    ("en", "I almost killed myself laughing", "self_harm"),
    ("en", "that would be career suicide", "self_harm"),
    ("en", "my phone battery died", "bereavement"),
    ("en", "the line is dead", "bereavement"),
    ("en", "good grief", "bereavement"),
    ("en", "I'm sick of waiting", "health"),
    ("en", "sick and tired of this", "health"),
    ("en", "how many sick days do I have left", "health"),
    ("en", "I can't pay online with my card", "financial_hardship"),
    ("en", "I can't afford to wait any longer", "financial_hardship"),
    ("en", "my name is Stu, not Sue!", "legal_threat"),
    ("en", "can you call sue", "legal_threat"),
    ("en", "I'm setting up a power of attorney", "legal_threat"),
    ("en", "the food court is closed", "legal_threat"),
    ("en", "don't turn a blind eye", "vulnerability"),
    ("en", "my complaints fell on deaf ears", "vulnerability"),
    ("en", "cancel my reservation", "cancellation"),
    ("en", "please cancel the transfer", "cancellation"),
    ("en", "I changed my mind", "account_change"),
    ("en", "change the name you call me", "account_change"),
    ("en", "I'm paying my mortgage payment", "large_purchase"),
    ("en", "I found my lost card", "fraud_security"),
    # ordinary requests
    ("fr", "Quel est le solde de mon compte ?", None),
    ("fr", "Ma carte n'est pas encore arrivée", None),
    ("fr", "Merci beaucoup, bonne journée", None),
    ("fr", "Je n'ai pas reçu le code par SMS", None),
    ("en", "What's the weather tomorrow?", None),
    ("en", "When will my card arrive?", None),
    ("en", "What is the exchange rate for euros?", None),
    ("en", "Thanks, that's all", None),
]


@pytest.mark.parametrize(("language", "text", "topic"), NEGATIVES)
def test_negative(language: str, text: str, topic: str | None) -> None:
    found = detected(text, language)
    if topic is None:
        assert found == (), text
    else:
        assert topic not in found, (text, run(text, language).scores)


# ------------------------------------------------------------------ negation

NEGATED = [
    ("fr", "je ne veux pas résilier mon contrat", "cancellation"),
    ("fr", "je n'ai jamais voulu résilier", "cancellation"),
    ("fr", "je veux pas résilier", "cancellation"),
    ("fr", "ce n'est pas une fraude", "fraud_security"),
    ("fr", "je ne suis pas malade", "health"),
    ("fr", "sans résiliation", "cancellation"),
    ("en", "I don't want to cancel my subscription", "cancellation"),
    ("en", "I do not want to close my account", "cancellation"),
    ("en", "I never wanted to cancel my subscription", "cancellation"),
    ("en", "this is not fraud", "fraud_security"),
    ("en", "I'm not going to sue", "legal_threat"),
    ("en", "no complaint", "complaint"),
]


@pytest.mark.parametrize(("language", "text", "topic"), NEGATED)
def test_negation_scales_the_hit_down(language: str, text: str, topic: str) -> None:
    finding = run(text, language)
    assert topic not in finding.detail["detected"], (text, finding.scores)


@pytest.mark.parametrize(
    ("language", "negated", "plain", "topic"),
    [
        ("fr", "je ne veux pas résilier", "je veux résilier", "cancellation"),
        (
            "en",
            "I don't want to cancel my subscription",
            "I want to cancel my subscription",
            "cancellation",
        ),
    ],
)
def test_negated_hit_weight_is_scaled_by_the_factor(
    language: str, negated: str, plain: str, topic: str
) -> None:
    neg, pos = run(negated, language), run(plain, language)
    assert neg.scores[topic] == pytest.approx(pos.scores[topic] * NEGATION_FACTOR)
    assert topic in neg.detail["negated"]
    assert neg.detail["negated"] and not pos.detail["negated"]


@pytest.mark.parametrize(
    ("language", "text", "topic"),
    [
        # negator in another clause or after the match
        ("fr", "Non, je veux résilier", "cancellation"),
        ("fr", "je veux résilier, pas de discussion", "cancellation"),
        ("fr", "je ne veux que résilier", "cancellation"),  # ne ... que is not a negation
        ("fr", "j'ai pas mal de dettes", "financial_hardship"),  # "pas mal de" = a lot of
        ("fr", "un crédit immobilier de plus de 200 000 €", "large_purchase"),
        ("en", "No, I want to cancel my subscription", "cancellation"),
        ("en", "I'm not sure but I think it's fraud", "fraud_security"),
        ("en", "I want to cancel my subscription, no more emails", "cancellation"),
        # negation written into the entry itself
        ("fr", "je n'arrive plus à payer mes factures", "financial_hardship"),
        ("fr", "je ne reconnais pas ce paiement", "fraud_security"),
        ("en", "I didn't make this payment", "fraud_security"),
        ("en", "I can't afford my rent", "financial_hardship"),
    ],
)
def test_what_is_not_a_negation(language: str, text: str, topic: str) -> None:
    assert topic in detected(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "je ne veux plus vivre"),
        ("fr", "je n'ai plus envie de vivre"),
        ("fr", "je ne veux pas mourir seul mais je veux mourir"),
        ("en", "I don't want to live anymore"),
        ("en", "I don't know, I just want to kill myself"),
        ("en", "no, I want to end it all"),
        ("en", "I never said it but I want to die"),
    ],
)
def test_self_harm_is_never_scaled_down(language: str, text: str) -> None:
    finding = run(text, language)
    assert "self_harm" in finding.detail["detected"]
    assert "self_harm" not in finding.detail["negated"]
    assert all(h.weight >= DETECTION_THRESHOLD for h in finding.hits if h.label == "self_harm")


def test_a_negator_inside_the_window_before_a_self_harm_match_does_not_change_it() -> None:
    plain = run("je veux en finir avec la vie", "fr").scores["self_harm"]
    negated = run("je ne sais pas, je veux en finir avec la vie", "fr").scores["self_harm"]
    assert negated == plain


# ------------------------------------------------------------------ evidence and scores


@pytest.mark.parametrize(
    ("language", "text", "topic", "evidence"),
    [
        ("fr", "Bonjour, Mon PÈRE est DÉCÉDÉ hier.", "bereavement", "DÉCÉDÉ"),
        ("fr", "Je veux RÉSILIER !", "cancellation", "RÉSILIER"),
        ("fr", "J’ai été licenciée en mai", "financial_hardship", "licenciée"),
        ("fr", "on m’a volé ma carte", "fraud_security", "on m’a volé"),
        ("en", "Hi... my Mum PASSED AWAY.", "bereavement", "PASSED AWAY"),
        (
            "en",
            "There's a payment I don’t recognise!",
            "fraud_security",
            "payment I don’t recognise",
        ),
        ("en", "I   want to  cancel   my subscription", "cancellation", "cancel   my subscription"),
    ],
)
def test_evidence_points_at_the_original_text(
    language: str, text: str, topic: str, evidence: str
) -> None:
    t = turn(text, language)
    finding = sensitive_topics(t)
    hits = [h for h in finding.hits if h.label == topic]
    assert hits
    spans = [h.evidence(t) for h in hits]
    assert evidence in [e.text for e in spans]
    for e in spans:
        assert text[e.start : e.end] == e.text
        assert re.fullmatch(rf"{language}/topics/{topic}\.txt:\d+", e.source)


def test_hit_carries_topic_source_and_weight() -> None:
    finding = run("je veux résilier mon contrat", "fr")
    (hit,) = finding.hits
    assert hit.label == "cancellation"
    entry = next(
        e
        for e in load_lexicon("fr", "topics/cancellation").section("match").entries
        if hit.source == e.source
    )
    assert hit.weight == entry.weight


def test_scores_combine_by_noisy_or_and_score_is_the_maximum() -> None:
    finding = run("j'ai perdu mon emploi, je suis endetté et ma mère est décédée", "fr")
    weights = [h.weight for h in finding.hits if h.label == "financial_hardship"]
    assert len(weights) == 2
    expected = 1.0
    for w in weights:
        expected *= 1.0 - w
    assert finding.scores["financial_hardship"] == pytest.approx(1.0 - expected)
    assert finding.score == max(finding.scores.values())
    assert finding.detail["detected"] == ("bereavement", "financial_hardship")


def test_suggestive_entries_alone_stay_below_the_threshold_but_add_up() -> None:
    alone = run("j'ai besoin d'un conseil pour acheter", "fr")
    assert alone.scores.get("large_purchase", 0.0) < DETECTION_THRESHOLD
    together = run("je veux acheter, il me faut 30 000 €", "fr")
    assert "large_purchase" in together.detail["detected"]


def test_scores_only_list_topics_above_zero_and_are_in_unit_range() -> None:
    finding = run("Je veux résilier, on m'a volé ma carte, je vais porter plainte", "fr")
    assert set(finding.scores) == {"cancellation", "fraud_security", "legal_threat"}
    assert all(0.0 < s <= 1.0 for s in finding.scores.values())
    assert finding.detail["detected"] == tuple(sorted(finding.detail["detected"]))
    assert list(finding.hits) == sorted(finding.hits, key=lambda h: (h.first, h.last, h.label))


@pytest.mark.parametrize("text", ["", "   ", "?!", "..."])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_empty_text_is_neutral_and_says_why(text: str, language: str) -> None:
    finding = run(text, language)
    assert finding.score == 0.0
    assert finding.scores == {} and finding.hits == ()
    assert finding.detail["detected"] == ()
    assert finding.detail["neutral_reason"] == "empty text"


def test_ordinary_text_has_no_topic() -> None:
    finding = run("Bonjour, je voudrais connaître mes horaires d'ouverture", "fr")
    assert finding.score == 0.0 and finding.scores == {} and finding.detail["detected"] == ()


# ------------------------------------------------------------------ large amounts


@pytest.mark.parametrize(
    ("language", "text", "amount"),
    [
        ("fr", "un virement de 15 000 €", "15 000"),
        ("fr", "un virement de 15.000 euros", "15.000 euros"),
        ("fr", "il me faut 20k€", "20k"),
        ("fr", "1,5 million d'euros", "1,5 million d'euros"),
        ("en", "a transfer of $12,500", "12,500"),  # the currency sign is not a token
        ("en", "£250,000 deposit", "250,000"),
        ("en", "10000 dollars", "10000 dollars"),
    ],
)
def test_large_amounts_are_suggestive_hits(language: str, text: str, amount: str) -> None:
    t = turn(text, language)
    finding = sensitive_topics(t)
    hits = [h for h in finding.hits if h.source == LARGE_AMOUNT_SOURCE]
    assert len(hits) == 1
    assert hits[0].label == "large_purchase"
    assert hits[0].weight == LARGE_AMOUNT_WEIGHT
    assert hits[0].evidence(t).text == amount


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "un virement de 9 999 €"),
        ("fr", "appelez le 01 23 45 67 89"),
        ("fr", "en 2024 et 2025"),
        ("fr", "ma commande 123456789"),
        ("en", "order number 12345678"),
        ("en", "it cost $49.99"),
        ("en", "1,50 €"),
    ],
)
def test_small_amounts_and_bare_numbers_are_not_large_amounts(language: str, text: str) -> None:
    assert not any(h.source == LARGE_AMOUNT_SOURCE for h in run(text, language).hits)


# ------------------------------------------------------------------ resources


def test_tables_are_built_once_per_pack() -> None:
    pack = LanguagePack("en")
    t1 = TurnInput(index=0, text=tokenize("cancel my subscription"), language="en", pack=pack)
    sensitive_topics(t1)
    cached = pack.resource(f"signal:{SIGNAL_NAME}", lambda language: pytest.fail("rebuilt"))
    sensitive_topics(t1)
    assert pack.resource(f"signal:{SIGNAL_NAME}", lambda language: None) is cached
