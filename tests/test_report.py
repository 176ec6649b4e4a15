"""``empathy_signals.report``: the static HTML report over scored conversations.

The results are real: French and English conversations scored by ``Detector().assess``.
The tests check the aggregates (rates add up, counts match a count made here), the
escaping of every text that comes from the input, that the page needs nothing from outside
(no script, no external URL), the command's exit codes, and, when Chromium is installed, a
real render: the DOM it builds and a screenshot that is not blank.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from empathy_signals import Detector, Policy, report
from empathy_signals.cli import UsageError
from empathy_signals.config import Thresholds
from empathy_signals.errors import InputError
from empathy_signals.report import aggregate, build_report
from empathy_signals.report.aggregate import _feed_jsonl, _Report
from empathy_signals.report.labels import _LABELS, _SIGNAL_NAMES
from empathy_signals.report.page import render

CONVERSATIONS = [
    {"id": "fr-escalade", "language": "fr", "turns": [
        {"speaker": "bot", "text": "Bonjour, que puis-je faire pour vous ?"},
        {"speaker": "customer", "text": "Je veux parler à un conseiller"},
        {"speaker": "bot", "text": "Je peux vous aider. Quelle est votre demande ?"},
        {"speaker": "customer", "text": "Passez-moi un conseiller tout de suite, c'est inadmissible !"},
    ]},
    {"id": "fr-deuil", "language": "fr", "turns": [
        {"speaker": "customer", "text": "Mon père est décédé la semaine dernière, je dois fermer son compte."},
        {"speaker": "bot", "text": "Toutes nos condoléances."},
        {"speaker": "customer", "text": "Merci."},
    ]},
    {"id": "fr-ok", "language": "fr", "turns": [
        {"speaker": "customer", "text": "Quels sont vos horaires d'ouverture ?"},
        {"speaker": "bot", "text": "De 9h à 18h."},
        {"speaker": "customer", "text": "Merci beaucoup, c'est parfait."},
    ]},
    {"id": "en-escalate", "language": "en", "turns": [
        {"speaker": "customer", "text": "I want to talk to a real person"},
        {"speaker": "bot", "text": "I can help you with that. What is it about?"},
        {"speaker": "customer", "text": "This is ridiculous, get me a human agent now!"},
    ]},
    {"id": "en-fraud", "language": "en", "turns": [
        {"speaker": "customer", "text": "There is a fraudulent charge on my card that I don't recognise."},
    ]},
    {"id": "en-ok", "language": "en", "turns": [
        {"speaker": "customer", "text": "What time do you open tomorrow?"},
        {"speaker": "bot", "text": "We open at 9am."},
        {"speaker": "customer", "text": "Great, thanks a lot!"},
    ]},
    {"id": "en-crisis", "language": "en", "turns": [
        {"speaker": "customer", "text": "I can't cope anymore, I want to end my life."},
    ]},
]

ERROR_RECORD = {"id": "c-bad", "error": {"source": "calls.jsonl", "line": 9, "field": "turns[0].speaker",
                                         "message": "turns[0].speaker: Input should be 'customer'"}}

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def scored():
    detector = Detector()
    return [detector.assess(conversation) for conversation in CONVERSATIONS]


@pytest.fixture(scope="module")
def records(scored):
    """The results as ``empathy-signals score`` writes them (JSON objects), plus an error record."""
    return [r.model_dump(mode="json") for r in scored] + [ERROR_RECORD]


# ---------------------------------------------------------------- a small DOM reader


class _Page(HTMLParser):
    """Every element's tag, attributes and text, for assertions on the page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self._open: list[list[str]] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        texts: list[str] = []
        self.elements.append((tag, dict(attrs), texts))
        if tag not in ("meta", "br", "input", "img", "link", "hr", "wbr"):
            self._open.append(texts)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), []))

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for texts in self._open:
            texts.append(data)

    def find(self, tag=None, **attrs):
        attrs = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [(a, "".join(t)) for g, a, t in self.elements
                if (tag is None or g == tag) and all(a.get(k) == v for k, v in attrs.items())]


def _stat(page: _Page, key: str) -> str:
    (found,) = page.find("dd", data_stat=key)
    return found[1]


# ---------------------------------------------------------------- aggregates


def test_decision_shares_add_up_to_one_and_counts_match(scored, records):
    page = _Page(build_report(records))
    expected = Counter(r.decision for r in scored)
    assert set(expected) == {"continue", "offer_human", "escalate"}
    shares = 0.0
    for decision in ("continue", "offer_human", "escalate"):
        cells = _row_cells(page, "data-decision", decision)  # the row of the decisions table
        assert cells["data-count"] == _stat(page, decision) == str(expected[decision])
        shares += float(cells["data-share"])
    assert shares == pytest.approx(1.0)
    assert _stat(page, "conversations") == str(len(scored))
    assert _stat(page, "errors") == "1"
    assert _stat(page, "bad_lines") == "0"
    needs = expected["offer_human"] + expected["escalate"]
    assert _stat(page, "needs_human") == f"{100 * needs / len(scored):.1f}%"


def test_aggregates_match_a_count_made_here(scored, records):
    agg = _Report(policy=None, lang="en", title=None, max_timelines=200)
    for record in records:
        agg.feed(record)
    n = len(scored)
    assert agg.conversations == n and agg.errors == 1 and agg.bad == 0
    assert sum(agg.decisions.values()) == n
    assert {k: sum(v.values()) for k, v in agg.by_language.items()} == {"fr": 3, "en": 4}
    assert sum(sum(b) for b in agg.histogram) == n
    turns = [t for r in scored for t in r.turns]
    customer = [t for t in turns if t.signals is not None]
    assert agg.turns == len(turns) and agg.customer_turns == len(customer)
    assert agg.emotions == Counter(t.signals.emotion.label for t in customer)
    assert sum(agg.sentiments.values()) == len(customer)
    assert agg.topic_turns == Counter(x for t in customer for x in t.signals.topics.detected)
    by_conversation = Counter(x for r in scored for x in {x for t in r.turns if t.signals
                                                              for x in t.signals.topics.detected})
    assert agg.topic_conversations == by_conversation
    assert {"bereavement", "fraud_security", "self_harm"} <= set(by_conversation)
    # Every conversation has exactly one top reason (possibly "none"): the top shares add up to 1.
    assert sum(stat.top for stat in agg.reasons.values()) == n
    top = {name: stat.top for name, stat in agg.reasons.items() if stat.top}
    # The rule that set the decision is the top reason; without one (continue), the signal
    # that raised the peak turn's score most, if any.
    expected = Counter({
        "override:repeated_human_request": 2,      # fr-escalade, en-escalate
        "override:topic:bereavement": 1,
        "override:topic:fraud_security": 1,
        "override:self_harm": 1,                   # en-crisis
    })
    for conv in scored:
        if conv.decision == "continue":
            peak = max(conv.turns, key=lambda t: (t.escalation_score, t.speaker == "customer"))
            raising = [r for r in peak.reasons if r.contribution > 0]
            expected[max(raising, key=lambda r: r.contribution).signal if raising else "(none)"] += 1
    assert top == dict(expected)
    # The mean contribution of a signal is over the conversations where it is present.
    request = agg.reasons["human_request"]
    contributions = [r.contribution for conv in scored if conv.decision == "escalate"
                     for t in conv.turns if t.index == conv.decision_turn
                     for r in t.reasons if r.signal == "human_request"]
    assert request.present == len(contributions) == 2
    assert request.total / request.present == pytest.approx(sum(contributions) / 2)


def test_tables_show_the_aggregates(scored, records):
    page = _Page(build_report(records))
    fr_rows = [r for r in scored if r.language == "fr"]
    cells = _row_cells(page, "data-language", "fr")
    assert cells["data-count"] == str(len(fr_rows))
    assert sum(int(cells[f"data-{d}"]) for d in ("continue", "offer_human", "escalate")) == len(fr_rows)
    topic = _row_cells(page, "data-topic", "bereavement")
    assert topic["data-count"] == "1"
    emotions = sum(int(_row_cells(page, "data-emotion", e)["data-count"])
                   for e in ("anger", "frustration", "sadness", "fear", "confusion", "joy",
                             "gratitude", "neutral"))
    assert str(emotions) == _stat(page, "customer_turns")
    reasons = [a for a, _ in page.find("tr") if "data-reason" in a]
    assert sum(int(_row_cells(page, "data-reason", a["data-reason"])["data-top"]) for a in reasons) == len(scored)
    assert sum(float(_row_cells(page, "data-reason", a["data-reason"])["data-share"])
               for a in reasons) == pytest.approx(1.0)


def _row_cells(page: _Page, attr: str, value: str) -> dict[str, str]:
    """The data-* attributes of the cells of the row ``<tr attr=value>``."""
    inside, found = False, {}
    for tag, attrs, _ in page.elements:
        if tag == "tr":
            if inside:
                break
            inside = attrs.get(attr) == value
            continue
        if inside and tag == "td":
            found.update({k: v for k, v in attrs.items() if k.startswith("data-")})
    assert inside or found, f"no row {attr}={value!r}"
    return found


def test_models_and_json_objects_give_the_same_page(scored, records):
    from empathy_signals.readers import ErrorRecord

    models = [*scored, ErrorRecord.model_validate(ERROR_RECORD)]
    assert build_report(models) == build_report(records)
    assert build_report(iter(records)) == build_report(records)  # a one-pass stream is enough


def test_labels_in_french_and_english(records):
    assert set(_LABELS["fr"]) == set(_LABELS["en"])
    assert set(_SIGNAL_NAMES["fr"]) == set(_SIGNAL_NAMES["en"])
    en, fr = build_report(records, lang="en"), build_report(records, lang="fr")
    assert '<html lang="en">' in en and '<html lang="fr">' in fr
    assert "Escalation report" in en and "Rapport d&#x27;escalade" in fr
    assert "Raisons" in fr and "proposer un conseiller" in fr and "Reasons" not in fr
    # French numbers: a decimal comma and a narrow no-break space before "%".
    page = _Page(fr)
    assert re.fullmatch(r"\d+,\d\u202f%", _stat(page, "needs_human"))
    # Reason messages keep their conversation's language, marked for screen readers.
    assert 'lang="fr">Escalade : le client a redemandé un conseiller' in en
    with pytest.raises(InputError, match="lang"):
        build_report(records, lang="de")
    with pytest.raises(InputError, match="max_timelines"):
        build_report(records, max_timelines=-1)


def test_title_and_thresholds_come_from_the_arguments(records):
    policy = Policy(thresholds=Thresholds(offer_human=0.4, escalate=0.7))
    page = build_report(records, policy=policy, title="Calls of March")
    assert "<title>Calls of March</title>" in page and "<h1>Calls of March</h1>" in page
    assert "offer a human at 0.40, escalate at 0.70" in page
    parsed = _Page(page)
    offer_lines = parsed.find("line", data_threshold="offer_line")
    assert offer_lines and len(offer_lines) == len(parsed.find("figure", **{"class": "timeline"}))
    # y of a threshold line = top + plot height * (1 - threshold): the same in every timeline.
    ys = {a["y1"] for a, _ in offer_lines}
    escalate_ys = {a["y1"] for a, _ in parsed.find("line", data_threshold="escalate_line")}
    assert len(ys) == len(escalate_ys) == 1
    assert float(ys.pop()) > float(escalate_ys.pop())  # 0.4 is drawn below 0.7


# ---------------------------------------------------------------- timelines


def test_a_timeline_per_conversation_with_changes_and_reasons(scored, records):
    page = _Page(build_report(records))
    figures = page.find("figure", **{"class": "timeline"})
    assert len(figures) == len(scored)
    # highest peak score first
    peaks = [float(a["data-peak"]) for a, _ in figures]
    assert peaks == sorted(peaks, reverse=True)
    # the table links to every timeline, and every timeline back to its row
    links = {a["href"] for a, _ in page.find("a") if a["href"].startswith("#t-")}
    assert links == {"#" + a["id"] for a, _ in figures}
    # decision changes are marked: fr-escalade goes continue -> offer_human -> escalate
    fr = next(r for r in scored if r.id == "fr-escalade")
    changes = [(a["data-turn"], a["data-to"]) for a, _ in page.find("g", **{"class": "change"})]
    previous, expected = "continue", []
    for turn in fr.turns:
        if turn.decision != previous:
            expected.append((str(turn.index), turn.decision))
        previous = turn.decision
    assert [c for c in changes if c in expected][: len(expected)] == expected
    # hover titles carry the turn's top reason, in the conversation's language
    titles = [text for _, text in page.find("title")]
    assert any("Turn 4 (customer)" in t and "Escalade : le client a redemandé un conseiller" in t
               for t in titles)
    # every SVG has a title (accessible name)
    svgs = page.find("svg")
    assert svgs and all(a.get("aria-hidden") == "true" or a.get("aria-labelledby") for a, _ in svgs)


def test_only_the_highest_scoring_timelines_are_kept(scored):
    detector_results = [r.model_copy(update={"id": f"{r.id}-{i}"}) for i in range(3) for r in scored]
    page = _Page(build_report(detector_results, max_timelines=4))
    figures = page.find("figure", **{"class": "timeline"})
    assert len(figures) == 4
    best = sorted((r.escalation_score for r in detector_results), reverse=True)[:4]
    assert [float(a["data-peak"]) for a, _ in figures] == pytest.approx(best, abs=1e-4)
    ((note, text),) = [(a, t) for a, t in page.find("p") if "data-left-out" in a]
    assert note["data-left-out"] == str(len(detector_results) - 4)
    assert f"{len(detector_results) - 4} other conversations are left out" in text
    # ties keep the first in input order
    first_ids = [t for a, t in page.find("a") if a.get("href", "").startswith("#t-")]
    top_id = max(scored, key=lambda r: r.escalation_score).id
    assert first_ids[0] == f"{top_id}-0"
    none = _Page(build_report(detector_results, max_timelines=0))
    assert not none.find("figure", **{"class": "timeline"})
    assert [a["data-left-out"] for a, _ in none.find("p") if "data-left-out" in a] == [
        str(len(detector_results))]


def test_a_long_conversation_is_thinned_but_keeps_its_peak_and_changes():
    turns = []
    for i in range(600):
        turns.append({"speaker": "bot", "text": "Pouvez-vous préciser votre demande ?"})
        text = "Je veux parler à un conseiller" if i in (250, 251) else f"Ma commande numéro {i} est en retard."
        turns.append({"speaker": "customer", "text": text})
    result = Detector().assess({"id": "long", "language": "fr", "turns": turns})
    agg = _Report(policy=None, lang="fr", title=None, max_timelines=5)
    agg.feed(result)
    (timeline,) = agg.timelines()
    assert timeline.turns == 1200
    assert len(timeline.points) <= 2 * report.TIMELINE_MAX_POINTS
    kept = {p.index for p in timeline.points}
    peak = max(result.turns, key=lambda t: t.escalation_score)
    assert max(p.score for p in timeline.points) == peak.escalation_score
    assert {c.index for c in timeline.changes} <= kept and timeline.changes
    page = render(agg)
    assert "tours montrés sur" in page


# ---------------------------------------------------------------- safety


def test_text_from_the_input_is_escaped(records):
    evil = "<script>alert('x')</script>"
    hostile = copy.deepcopy(records)
    hostile[0]["id"] = f"conv{evil}"
    for turn in hostile[0]["turns"]:
        for reason in turn["reasons"]:
            reason["message"] = f'{reason["message"]} "><img src=x onerror=alert(1)>{evil}'
            reason["signal"] = f"{reason['signal']}{evil}" if reason["signal"] == "emotion" else reason["signal"]
    hostile[-1]["error"]["message"] = f"bad {evil}"
    hostile[-1]["id"] = evil
    hostile.append({"id": evil})  # invalid: shown as an unreadable record, its message escaped
    page = build_report(hostile, title=evil)
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "onerror" not in [k for _, a, _ in _Page(page).elements for k in a]
    parsed = _Page(page)
    assert any(text == f"conv{evil}" for _, text in parsed.find("a"))
    # control characters and lone surrogates become U+FFFD: the page always encodes as UTF-8
    odd = copy.deepcopy(records[:1])
    odd[0]["id"] = "a\x00b\ud800c"
    page = build_report(odd)
    page.encode("utf-8")
    assert "a\ufffdb\ufffdc" in page


_LINK_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "poster", "data", "xlink:href",
                    "background", "cite", "longdesc", "manifest", "ping"}


def test_the_page_needs_nothing_from_outside(records):
    hostile = copy.deepcopy(records)
    hostile[0]["id"] = "https://example.com/evil.js"  # text, never a link target
    for lang in ("en", "fr"):
        page = build_report(hostile, lang=lang)
        parsed = _Page(page)
        tags = {tag for tag, _, _ in parsed.elements}
        assert not tags & {"script", "link", "img", "iframe", "object", "embed", "image", "use",
                           "base", "audio", "video", "source", "form", "foreignobject"}
        for tag, attrs in [(g, a) for g, a, _ in parsed.elements]:
            assert not {k for k in attrs if k.startswith("on")}, (tag, attrs)
            for name in _LINK_ATTRIBUTES & set(attrs):
                assert attrs[name].startswith("#"), (tag, name, attrs[name])
        assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
        assert "url(" not in page and "@import" not in page
        # only the hostile id's text mentions a URL, and as escaped text
        assert page.count("https://") == page.count("https://example.com/evil.js")


def test_bad_records_are_counted_never_raised(records):
    bad = [42, "text", None, {"id": "x"}, {"id": "y", "error": "not an object"}, [1, 2]]
    page = _Page(build_report([*records, *bad]))
    assert _stat(page, "bad_lines") == str(len(bad))
    assert _stat(page, "conversations") == str(len(records) - 1)
    messages = [t for a, t in page.find("td", **{"class": "msg"})]
    assert any("not a JSON object (a int)" in m for m in messages)
    assert any("language: Field required" in m for m in messages)
    # each is listed by its position in the input
    where = [t for a, t in page.find("code")]
    assert [f"#{len(records) + i}" in where for i in range(1, len(bad) + 1)] == [True] * len(bad)


def test_keys_added_by_a_newer_version_are_ignored(records):
    newer = copy.deepcopy(records[0])
    newer["new_key"] = 1
    newer["turns"][0]["another_new_key"] = {"x": 1}
    before = copy.deepcopy(newer)
    page = _Page(build_report([newer]))
    assert _stat(page, "conversations") == "1" and _stat(page, "bad_lines") == "0"
    assert newer == before  # the caller's object is left as it was
    wrong = copy.deepcopy(records[0])
    wrong["new_key"] = 1
    wrong["escalation_score"] = 2.0  # a real error as well: the record is bad
    assert _stat(_Page(build_report([wrong])), "bad_lines") == "1"


def test_memory_is_bounded(records):
    agg = _Report(policy=None, lang="en", title=None, max_timelines=3)
    for i in range(300):
        record = copy.deepcopy(records[i % 7])
        record["id"] = f"c{i}"
        agg.feed(record)
        agg.feed({"id": f"e{i}", "error": {"source": "x", "message": "m"}})
        agg.feed("bad")
        for turn in record["turns"]:
            for reason in turn["reasons"]:
                reason["signal"] = f"custom_{i}"  # a hand-edited file with ever new names
        agg.feed(record)
    assert len(agg._heap) == 3
    assert len(agg.error_samples) == len(agg.bad_samples) == report.MAX_LISTED_PROBLEMS
    assert len(agg.reasons) <= report.MAX_REASON_KEYS + 1
    assert agg.errors == agg.bad == 300 and agg.conversations == 600


# ---------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="empathy-signals report")
    report.add_arguments(parser)
    return parser


def _jsonl(path: Path, records, extra_lines=()) -> Path:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8") + b"".join(extra_lines))
    return path


def test_command_writes_the_report(tmp_path, records):
    first = _jsonl(tmp_path / "a.jsonl", records[:4])
    second = _jsonl(tmp_path / "b.jsonl", records[4:])
    out = tmp_path / "report.html"
    code = report.run(_parser().parse_args([str(first), str(second), "-o", str(out), "--lang", "fr",
                                            "--max-timelines", "3", "--title", "Appels"]))
    assert code == 0
    page = out.read_text(encoding="utf-8")
    parsed = _Page(page)
    assert parsed.find("html", lang="fr") and [t for _, t in parsed.find("h1")] == ["Appels"]
    assert _stat(parsed, "conversations") == str(len(records) - 1)
    assert len(parsed.find("figure", **{"class": "timeline"})) == 3
    assert "a.jsonl" in page and "b.jsonl" in page


def test_command_counts_bad_lines_and_exits_3(tmp_path, records, capsys):
    path = _jsonl(tmp_path / "scored.jsonl", records, extra_lines=[
        b"not json\n", b"\n", b"\xff\xfe bad bytes\n", b"[1, 2]\n", b'{"id": "x"}\n',
    ])
    code = report.run(_parser().parse_args([str(path), "-o", str(tmp_path / "r.html")]))
    assert code == 3
    assert "4 input line(s) could not be read" in capsys.readouterr().err
    page = _Page((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert _stat(page, "bad_lines") == "4"
    where = [t for a, t in page.find("code")]
    n = len(records)
    assert [f"{path}:{i}" in where for i in (n + 1, n + 3, n + 4, n + 5)] == [True] * 4


def test_command_skips_an_overlong_line(tmp_path, records, monkeypatch):
    monkeypatch.setattr(aggregate, "MAX_LINE_BYTES", 5000)
    path = _jsonl(tmp_path / "s.jsonl", [records[4]], extra_lines=[
        b'{"id": "' + b"x" * 20000 + b'"}\n', json.dumps(records[5]).encode() + b"\n"])
    agg = _Report(policy=None, lang="en", title=None, max_timelines=5)
    with open(path, "rb") as stream:
        _feed_jsonl(agg, stream, "s.jsonl")
    assert agg.conversations == 2 and agg.bad == 1
    (source, line, message), = agg.bad_samples
    assert (source, line) == ("s.jsonl", 2) and message.startswith("line longer than")


def test_command_reads_stdin_and_writes_stdout(records, monkeypatch, capsys):
    data = "\ufeff" + "\n".join(json.dumps(r) for r in records) + "\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data.encode("utf-8"))))
    assert report.run(_parser().parse_args(["-"])) == 0
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>") and _stat(_Page(page), "conversations") == "7"


def test_command_usage_errors(tmp_path, records):
    path = _jsonl(tmp_path / "s.jsonl", records)
    parser = _parser()
    with pytest.raises(UsageError, match="does not exist"):
        report.run(parser.parse_args([str(tmp_path / "missing.jsonl")]))
    with pytest.raises(UsageError, match="not a file"):
        report.run(parser.parse_args([str(tmp_path)]))
    with pytest.raises(UsageError, match="max-timelines"):
        report.run(parser.parse_args([str(path), "--max-timelines", "-1"]))
    with pytest.raises(UsageError, match="also an input"):
        report.run(parser.parse_args([str(path), "-o", str(path)]))
    bad_policy = tmp_path / "policy.toml"
    bad_policy.write_text("[thresholds]\noffer_human = 0.9\nescalate = 0.5\n", encoding="utf-8")
    with pytest.raises(UsageError, match="escalate"):
        report.run(parser.parse_args([str(path), "--policy", str(bad_policy)]))
    with pytest.raises(SystemExit), open(os.devnull, "w") as devnull, _stderr(devnull):
        parser.parse_args([str(path), "--lang", "de"])  # argparse: an unknown language


class _stderr:
    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        self.saved, sys.stderr = sys.stderr, self.stream

    def __exit__(self, *exc):
        sys.stderr = self.saved


def test_command_uses_the_policy_thresholds(tmp_path, records):
    path = _jsonl(tmp_path / "s.jsonl", records)
    policy = tmp_path / "policy.toml"
    policy.write_text("[thresholds]\noffer_human = 0.35\nescalate = 0.75\n", encoding="utf-8")
    out = tmp_path / "r.html"
    assert report.run(_parser().parse_args([str(path), "--policy", str(policy), "-o", str(out)])) == 0
    assert "offer a human at 0.35, escalate at 0.75" in out.read_text(encoding="utf-8")


# ---------------------------------------------------------------- a real render in Chromium


def _chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-extensions", "--mute-audio",
               f"--user-data-dir={tmp / 'chromium-profile'}", *args]
    env = {**os.environ, "HOME": str(tmp)}
    try:
        return subprocess.run(command, capture_output=True, timeout=60, env=env, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish in 60 s: {' '.join(command)}")


def png_pixels(data: bytes) -> np.ndarray:
    """RGB pixels, shape (height, width, 3), of an 8-bit non-interlaced PNG, decoded with zlib."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and interlace == 0 and color in (2, 6), header
    bpp = 3 if color == 2 else 4
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(b"".join(chunks)), dtype=np.uint8).reshape(height, stride + 1)
    out = np.empty((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:]
        if kind == 0:  # None
            row = line.copy()
        elif kind == 1:  # Sub: a running sum per channel
            row = (np.cumsum(line.reshape(width, bpp), axis=0, dtype=np.int64) % 256).astype(np.uint8)
            row = row.reshape(stride)
        elif kind == 2:  # Up
            row = line + prev
        else:  # Average (3) and Paeth (4) depend on the pixel to the left: byte by byte
            cur, up = bytearray(line.tobytes()), prev.tobytes()
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                if kind == 3:
                    cur[i] = (cur[i] + ((a + up[i]) >> 1)) & 255
                    continue
                b, c = up[i], (up[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            row = np.frombuffer(bytes(cur), dtype=np.uint8)
        out[y] = row
        prev = row
    return out.reshape(height, width, bpp)[:, :, :3]


def test_png_decoder_on_a_known_image():
    # 2x2 RGB, rows filtered Sub then Paeth: red, green / blue, white.
    rows = [bytes([1, 255, 0, 0, 1, 255, 0]), bytes([4, 0, 0, 255, 255, 255, 0])]
    # Sub row: pixel 2 = (255+1, 0+255, 0+0) mod 256 = (0, 255, 0)
    # Paeth row 2: pixel 1 = up (255,0,0) + (0,0,255) -> (255, 0, 255)? computed by the decoder.
    body = zlib.compress(b"".join(rows))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    pixels = png_pixels(png)
    assert pixels[0].tolist() == [[255, 0, 0], [0, 255, 0]]
    # Paeth, first pixel: a = c = 0, b = up -> predictor up = (255, 0, 0); + (0, 0, 255)
    assert pixels[1, 0].tolist() == [255, 0, 255]
    # second pixel: a = (255,0,255), b = (0,255,0), c = (255,0,0): per channel p = a + b - c
    expected = []
    for a, b, c, d in zip([255, 0, 255], [0, 255, 0], [255, 0, 0], [255, 255, 0], strict=True):
        p = a + b - c
        pred = min((abs(p - a), 0, a), (abs(p - b), 1, b), (abs(p - c), 2, c))[2]
        expected.append((d + pred) % 256)
    assert pixels[1, 1].tolist() == expected


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_chromium_renders_the_report(tmp_path, scored, records):
    page_path = tmp_path / "report.html"
    page_path.write_text(build_report(records, title="Render check"), encoding="utf-8")
    url = page_path.as_uri()

    dumped = _chromium("--dump-dom", url, tmp=tmp_path)
    assert dumped.returncode == 0, dumped.stderr.decode("utf-8", "replace")[-2000:]
    dom = _Page(dumped.stdout.decode("utf-8"))
    assert dom.find("html", lang="en")
    assert [t for _, t in dom.find("h1")] == ["Render check"]
    # the numbers are shown
    assert _stat(dom, "conversations") == str(len(scored))
    assert _stat(dom, "escalate") == str(sum(r.decision == "escalate" for r in scored))
    assert _stat(dom, "errors") == "1"
    # one timeline SVG per conversation, each with its title, threshold lines and points
    figures = dom.find("figure", **{"class": "timeline"})
    assert len(figures) == len(scored)
    assert len(dom.find("polyline", **{"class": "score"})) == len(scored)
    assert len(dom.find("line", data_threshold="escalate_line")) == len(scored)
    turns = sum(len(r.turns) for r in scored)
    marks = len(dom.find("circle", **{"class": "pt"})) + len(dom.find("g", **{"class": "change"}))
    assert marks == turns
    assert any("fr-escalade" in t for _, t in dom.find("title"))

    shot = tmp_path / "report.png"
    taken = _chromium(f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars", url,
                      tmp=tmp_path)
    assert taken.returncode == 0 and shot.exists(), taken.stderr.decode("utf-8", "replace")[-2000:]
    pixels = png_pixels(shot.read_bytes())
    assert pixels.shape == (2000, 1280, 3)
    gray = pixels.astype(np.float64).mean(axis=2)
    assert gray.std() > 10, "the screenshot is blank"
    assert (gray > 250).mean() > 0.5  # a white page ...
    assert (gray < 100).mean() > 0.003  # ... with dark text on it
    # the decision bar is drawn: its three colours are on screen
    for colour in ("#c62828", "#a15c00", "#2e7d32"):
        rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(pixels.astype(int) - rgb).sum(axis=2) < 12).sum() > 500, colour
