"""Derive per-word valence and emotion weights from train-OK data (smoothed, shrunk log-odds).

French: XED projections to French (``emotion/xed/fr-projections.tsv``, CC BY 4.0; rows with
exactly two tab-separated columns and a label like ``4, 7``; Plutchik ids 1 anger,
2 anticipation, 3 disgust, 4 fear, 5 joy, 6 sadness, 7 surprise, 8 trust).
English (``--language en``): GoEmotions *train* (Apache-2.0).

Split (French): a row is *held out* when ``sha256(SPLIT_SALT + text) mod 100 >= 80``
(:func:`xed_split`), else *train*. The held-out 20 % is never read here beyond counting
it: ``benchmarks/quality_sentiment.py`` reports on it. English uses GoEmotions train only
(GoEmotions dev is the report set).

For each task (a positive and a negative set of rows) and each word ``w`` (folded and
tokenised like ``empathy_signals.text.tokenize(...).words``, alphabetic, two letters or
more, not a function word of ``empathy_signals.language.FUNCTION_WORDS``, counted once per
row)::

    lo(w) = log((a + ALPHA) / (P - a + ALPHA)) - log((b + ALPHA) / (N - b + ALPHA))
    weight(w) = lo(w) * n / (n + k)            n = a + b >= min_count

``a``/``b``: rows of the positive/negative set containing ``w``; ``P``/``N``: the sets'
sizes; ``k``: shrinkage towards 0 for rare words. Tasks: polarity (joy/trust vs
anger/disgust/fear/sadness, mixed rows left out; valence = ``scale * weight`` on VADER's
-4..4 scale), and anger (anger, disgust) / sadness / fear / joy, each vs every other row
(only positive weights kept: the words that point *to* the emotion).

Hyper-parameters (min count, shrinkage, scale, blend, emotion gain) are chosen by 5-fold
cross-validation inside the train split (folds by a second salted hash of the text), with
the real signals of ``empathy_signals/signals/sentiment.py``: valence by ROC AUC of the
compound score, positive vs negative rows; emotions by the mean ROC AUC of anger
(noisy-or of anger and frustration, positives: label 1, as the benchmark), sadness, fear
and joy. Valence first, then emotions with the chosen valence settings (coordinate search).

Writes ``empathy_signals/lexicons/<lang>/valence_derived.tsv`` and ``emotion_derived.tsv``
with a provenance header (sha256 of every input, split rule, sizes, hyper-parameters,
cross-validation scores) and prints the constants to set in ``sentiment.py``. Usage::

    python models/lexicons/derive_weights.py [--data ../shared/data] [--language fr] [--dry-run]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from empathy_signals.calibrate import roc_auc
from empathy_signals.language import FUNCTION_WORDS
from empathy_signals.signals import sentiment
from empathy_signals.signals.base import TurnInput
from empathy_signals.signals.resources import LanguagePack
from empathy_signals.text import tokenize

#: Fixed seed: salts the split and fold hashes (no other randomness is involved).
SEED = 20240611
SPLIT_SALT = f"empathy_signals/xed-split/{SEED}/"
FOLD_SALT = f"empathy_signals/cv-fold/{SEED}/"
TRAIN_PERCENT = 80
FOLDS = 5
#: Additive smoothing of the presence counts (Jeffreys / Haldane-Anscombe 0.5).
ALPHA = 0.5
#: Most words kept per file (by |weight|), to keep package data small.
MAX_WORDS = 3000
MAX_EMOTION_WORDS_PER_LABEL = 800

# Candidate grids (cross-validated inside the train split).
# (A first run with min counts 2..8, shrinkage 1..30, scales 0.5..2 and gains 0.1..1 put
# the optimum at the low edge of each grid; the grids were extended downwards.)
MIN_COUNTS = (2, 3, 5)
SHRINKAGES = (0.5, 1.0, 3.0, 10.0)
SCALES = (0.25, 0.5, 1.0)  # VADER units per nat of log-odds
BLENDS = (0.0, 0.25, 0.5, 0.75, 1.0)
GAINS = (0.0, 0.03, 0.05, 0.1, 0.25)

XED_LABEL = re.compile(r"^\d(?:, ?\d)*$")
XED = {"anger": 1, "anticipation": 2, "disgust": 3, "fear": 4, "joy": 5, "sadness": 6, "surprise": 7, "trust": 8}
FR_TASKS = {
    # name: (positive ids, negative ids or None for "every other row")
    "polarity": ({5, 8}, {1, 3, 4, 6}),
    "anger": ({1, 3}, None),
    "sadness": ({6}, None),
    "fear": ({4}, None),
    "joy": ({5}, None),
}
GOEMOTIONS_POSITIVE = {
    "admiration", "amusement", "approval", "caring", "desire", "excitement", "gratitude",
    "joy", "love", "optimism", "pride", "relief",
}
GOEMOTIONS_NEGATIVE = {
    "anger", "annoyance", "disappointment", "disapproval", "disgust", "embarrassment",
    "fear", "grief", "nervousness", "remorse", "sadness",
}
EN_TASKS = {
    "polarity": (GOEMOTIONS_POSITIVE, GOEMOTIONS_NEGATIVE),
    "anger": ({"anger", "annoyance", "disgust"}, None),
    "sadness": ({"sadness", "grief", "disappointment"}, None),
    "fear": ({"fear", "nervousness"}, None),
    "joy": ({"joy", "amusement", "excitement"}, None),
}
#: What each emotion task is evaluated against in cross-validation (positives).
FR_EVAL = {"anger": {1}, "sadness": {6}, "fear": {4}, "joy": {5}}
EN_EVAL = {"anger": {"anger", "annoyance", "disgust"}, "sadness": EN_TASKS["sadness"][0],
           "fear": EN_TASKS["fear"][0], "joy": EN_TASKS["joy"][0]}


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bucket(salt: str, text: str, modulo: int) -> int:
    return int(hashlib.sha256((salt + text).encode("utf-8")).hexdigest()[:12], 16) % modulo


def xed_split(text: str) -> str:
    """``"train"`` or ``"heldout"`` for an XED FR row (fixed salted hash of its text)."""
    return "train" if _bucket(SPLIT_SALT, text, 100) < TRAIN_PERCENT else "heldout"


def fold_of(text: str) -> int:
    return _bucket(FOLD_SALT, text, FOLDS)


def xed_fr_rows(path: Path) -> list[tuple[str, frozenset[int]]]:
    """Rows with exactly two columns and a label like ``4, 7`` (ids 1..8)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) != 2 or not XED_LABEL.match(fields[1].strip()):
            continue
        ids = frozenset(int(x) for x in fields[1].split(","))
        if ids and all(1 <= i <= 8 for i in ids):
            rows.append((fields[0], ids))
    return rows


def goemotions_rows(path: Path, names: list[str]) -> list[tuple[str, frozenset[str]]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) >= 2:
            rows.append((fields[0], frozenset(names[int(i)] for i in fields[1].split(","))))
    return rows


def word_set(text: str, language: str) -> frozenset[str]:
    """The candidate words of a row: alphabetic, two letters or more, not a function word
    (``je``, ``de``, ``the``, ...: frequent everywhere, they pick up spurious associations and
    would show up as the evidence of an emotion in explanations)."""
    skip = FUNCTION_WORDS[language]
    return frozenset(w for w in tokenize(text).words if len(w) > 1 and w.isalpha() and w not in skip)


def task_sets(labels, tasks) -> dict[str, list[int]]:
    """Per task, per row: 1 positive, 0 negative, -1 left out."""
    out = {}
    for name, (pos, neg) in tasks.items():
        column = []
        for ids in labels:
            p = bool(ids & pos)
            if neg is None:
                column.append(int(p))
            else:
                n = bool(ids & neg)
                column.append(1 if p and not n else 0 if n and not p else -1)
        out[name] = column
    return out


def log_odds(words, column, rows, *, min_count: int, shrinkage: float) -> dict[str, float]:
    """Smoothed, shrunk presence log-odds of each word (see the module docstring)."""
    pos, neg = Counter(), Counter()
    n_pos = n_neg = 0
    for r in rows:
        y = column[r]
        if y == 1:
            n_pos += 1
            pos.update(words[r])
        elif y == 0:
            n_neg += 1
            neg.update(words[r])
    out = {}
    for w in pos.keys() | neg.keys():
        a, b = pos[w], neg[w]
        n = a + b
        if n < min_count:
            continue
        lo = math.log((a + ALPHA) / (n_pos - a + ALPHA)) - math.log((b + ALPHA) / (n_neg - b + ALPHA))
        out[w] = lo * n / (n + shrinkage)
    return out


def auc(labels: list[int], scores: list[float]) -> float:
    """ROC AUC, ties counted one half (``empathy_signals.calibrate.roc_auc``); NaN for one class."""
    value = roc_auc(labels, scores)
    return float("nan") if value is None else value


class Evaluator:
    """The real signals on pre-tokenised rows, with swappable derived weights."""

    def __init__(self, language: str, texts: list[str]) -> None:
        self.pack = LanguagePack(language)
        self.tables = sentiment._Tables(language)
        self.pack.resource("sentiment.tables.v1", lambda _language: self.tables)
        self.language = language
        self.tokens = [tokenize(t) for t in texts]

    def set(self, valence, emotions, *, blend: float, gain: float) -> None:
        self.tables.set_derived(valence, emotions, blend=blend, gain=gain)

    def valence(self, rows) -> list[float]:
        return [sentiment.valence(TurnInput(0, self.tokens[r], self.language, self.pack)).score for r in rows]

    def emotions(self, rows) -> list[dict[str, float]]:
        return [sentiment.emotion(TurnInput(0, self.tokens[r], self.language, self.pack)).scores for r in rows]


def top_valence(weights: dict[str, float]) -> dict[str, float]:
    """The MAX_WORDS words of largest |weight| (what the shipped file keeps)."""
    return dict(sorted(weights.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:MAX_WORDS])


def top_emotion(weights: dict[str, float]) -> dict[str, float]:
    """The MAX_EMOTION_WORDS_PER_LABEL words of largest positive weight."""
    best = sorted(((w, v) for w, v in weights.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))
    return dict(best[:MAX_EMOTION_WORDS_PER_LABEL])


def valence_table(weights: dict[str, float], scale: float, source: str) -> dict[str, tuple[float, str]]:
    return {w: (max(-4.0, min(4.0, scale * v)), source) for w, v in top_valence(weights).items()}


def emotion_table(per_label: dict[str, dict[str, float]], source: str) -> dict[str, list[tuple[str, float, str]]]:
    out: dict[str, list[tuple[str, float, str]]] = {}
    for label, weights in per_label.items():
        for w, v in top_emotion(weights).items():
            out.setdefault(w, []).append((label, v, source))
    return out


def cross_validate(language, texts, labels, words, train_rows, tasks, evaluation, log) -> dict:
    """Coordinate search over the grids, 5 folds inside the train split."""
    sets = task_sets(labels, tasks)
    folds = [[r for r in train_rows if fold_of(texts[r]) == f] for f in range(FOLDS)]
    fit_rows = [[r for r in train_rows if fold_of(texts[r]) != f] for f in range(FOLDS)]
    ev = Evaluator(language, texts)
    polarity = sets["polarity"]

    # 1. valence: min count, shrinkage, scale, blend (emotions off)
    fitted = {}
    for m, k in itertools.product(MIN_COUNTS, SHRINKAGES):
        fitted[m, k] = [log_odds(words, polarity, fit_rows[f], min_count=m, shrinkage=k) for f in range(FOLDS)]
    val_scores = {}
    for (m, k), per_fold in fitted.items():
        for scale, blend in itertools.product(SCALES, BLENDS):
            aucs = []
            for f in range(FOLDS):
                ev.set(valence_table(per_fold[f], scale, "cv"), {}, blend=blend, gain=0.0)
                rows = [r for r in folds[f] if polarity[r] >= 0]
                aucs.append(auc([polarity[r] for r in rows], ev.valence(rows)))
            val_scores[m, k, scale, blend] = sum(aucs) / FOLDS
        log(f"valence m={m} k={k}: best {max(v for key, v in val_scores.items() if key[:2] == (m, k)):.4f}")
    baseline_rows = [[r for r in folds[f] if polarity[r] >= 0] for f in range(FOLDS)]
    ev.set({}, {}, blend=0.0, gain=0.0)
    baseline_valence = sum(auc([polarity[r] for r in rows], ev.valence(rows)) for rows in baseline_rows) / FOLDS
    best_val = max(val_scores, key=val_scores.__getitem__)
    m, k, scale, blend = best_val
    log(f"valence: vendored only {baseline_valence:.4f}; best {best_val} {val_scores[best_val]:.4f}")

    # 2. emotions: min count, shrinkage, gain (valence settings fixed)
    valence_folds = [valence_table(fitted[m, k][f], scale, "cv") for f in range(FOLDS)]
    emo_scores = {}
    baseline_emotion = None
    for me, ke in itertools.product(MIN_COUNTS, SHRINKAGES):
        per_fold = [
            emotion_table(
                {lab: log_odds(words, sets[lab], fit_rows[f], min_count=me, shrinkage=ke) for lab in evaluation},
                "cv",
            )
            for f in range(FOLDS)
        ]
        for gain in GAINS:
            if gain == 0.0 and baseline_emotion is not None:
                emo_scores[me, ke, gain] = baseline_emotion
                continue
            totals = dict.fromkeys(evaluation, 0.0)
            for f in range(FOLDS):
                ev.set(valence_folds[f], per_fold[f], blend=blend, gain=gain)
                scores = ev.emotions(folds[f])
                for lab, positives in evaluation.items():
                    y = [int(bool(labels[r] & positives)) for r in folds[f]]
                    if lab == "anger":
                        s = [1 - (1 - x["anger"]) * (1 - x["frustration"]) for x in scores]
                    else:
                        s = [x[lab] for x in scores]
                    totals[lab] += auc(y, s) / FOLDS
            emo_scores[me, ke, gain] = sum(totals.values()) / len(totals)
            if gain == 0.0:
                baseline_emotion = emo_scores[me, ke, gain]
            log(f"emotion m={me} k={ke} gain={gain}: {emo_scores[me, ke, gain]:.4f} {json.dumps({a: round(b, 4) for a, b in totals.items()})}")
    best_emo = max(emo_scores, key=emo_scores.__getitem__)
    log(f"emotion: no derived emotions {baseline_emotion:.4f}; best {best_emo} {emo_scores[best_emo]:.4f}")
    return {
        "min_count": m, "shrinkage": k, "scale": scale, "blend": blend,
        "emotion_min_count": best_emo[0], "emotion_shrinkage": best_emo[1], "gain": best_emo[2],
        "cv_valence_auc": round(val_scores[best_val], 4),
        "cv_valence_auc_vendored_only": round(baseline_valence, 4),
        "cv_emotion_mean_auc": round(emo_scores[best_emo], 4),
        "cv_emotion_mean_auc_without_derived_emotions": round(baseline_emotion, 4),
    }


def write_files(language, chosen, words, labels, train_rows, tasks, evaluation, header_common, out_dir) -> None:
    sets = task_sets(labels, tasks)
    polarity = log_odds(words, sets["polarity"], train_rows, min_count=chosen["min_count"], shrinkage=chosen["shrinkage"])
    top = valence_table(polarity, chosen["scale"], "")
    lines = [
        *header_common,
        (f"# hyper-parameters: min_count={chosen['min_count']} shrinkage={chosen['shrinkage']} "
        f"scale={chosen['scale']} VADER units per nat (valence = scale * shrunk log-odds, clipped to -4..4); "
        f"blend DERIVED_VALENCE_BLEND[{language!r}]={chosen['blend']} in sentiment.py"),
        (f"# cross-validation (5 folds, train split only): valence ROC AUC {chosen['cv_valence_auc']} "
        f"(vendored lexicons only: {chosen['cv_valence_auc_vendored_only']})"),
        f"# task: polarity, positive {sorted(tasks['polarity'][0])} vs negative {sorted(tasks['polarity'][1])}",
        f"# entries: top {len(top)} words by |valence|",
        "# format: word<TAB>valence (-4..4, VADER scale); keys are folded words",
    ]
    lines += [f"{w}\t{v:.3f}" for w, (v, _) in sorted(top.items())]
    (out_dir / "valence_derived.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    emo_lines = [
        *header_common,
        (f"# hyper-parameters: min_count={chosen['emotion_min_count']} shrinkage={chosen['emotion_shrinkage']}; "
        f"raw evidence = DERIVED_EMOTION_GAIN[{language!r}]={chosen['gain']} * weight in sentiment.py"),
        (f"# cross-validation (5 folds, train split only): mean ROC AUC over {sorted(evaluation)} "
        f"{chosen['cv_emotion_mean_auc']} (without derived emotions: {chosen['cv_emotion_mean_auc_without_derived_emotions']})"),
        "# tasks: " + "; ".join(f"{lab}: {sorted(tasks[lab][0])} vs rest" for lab in evaluation),
        f"# entries: per emotion, top {MAX_EMOTION_WORDS_PER_LABEL} words with a positive weight",
        "# format: word<TAB>emotion<TAB>weight (shrunk log-odds, nats, > 0)",
    ]
    entries = []
    for lab in evaluation:
        weights = log_odds(words, sets[lab], train_rows, min_count=chosen["emotion_min_count"], shrinkage=chosen["emotion_shrinkage"])
        entries += [(w, lab, v) for w, v in top_emotion(weights).items()]
    emo_lines += [f"{w}\t{lab}\t{v:.3f}" for w, lab, v in sorted(entries)]
    (out_dir / "emotion_derived.tsv").write_text("\n".join(emo_lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--language", choices=("fr", "en"), default="fr")
    parser.add_argument("--dry-run", action="store_true", help="cross-validate and print; write nothing")
    args = parser.parse_args()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.language == "fr":
        path = args.data / "emotion/xed/fr-projections.tsv"
        rows = xed_fr_rows(path)
        split = [xed_split(t) for t, _ in rows]
        texts = [t for t, _ in rows]
        labels = [ids for _, ids in rows]
        train_rows = [i for i, s in enumerate(split) if s == "train"]
        n_heldout = len(rows) - len(train_rows)
        tasks, evaluation = FR_TASKS, FR_EVAL
        inputs = {"emotion/xed/fr-projections.tsv": sha256_file(path)}
        source = "XED fr-projections (Öhman et al., COLING 2020; CC BY 4.0)"
        licence = "CC BY 4.0 (derived data; attribution in LICENSES/XED-CC-BY-4.0.txt)"
        split_text = (
            f"train split: rows with sha256('{SPLIT_SALT}' + text) [first 12 hex] mod 100 < {TRAIN_PERCENT} "
            f"({len(train_rows)} train rows used; {n_heldout} held-out rows never used); "
            "rows kept: exactly 2 tab-separated columns and a label like '4, 7'"
        )
    else:
        folder = args.data / "emotion/goemotions"
        names = (folder / "labels.txt").read_text(encoding="utf-8").split()
        rows = goemotions_rows(folder / "train.tsv", names)
        texts = [t for t, _ in rows]
        labels = [ids for _, ids in rows]
        train_rows = list(range(len(rows)))
        tasks, evaluation = EN_TASKS, EN_EVAL
        inputs = {
            "emotion/goemotions/train.tsv": sha256_file(folder / "train.tsv"),
            "emotion/goemotions/labels.txt": sha256_file(folder / "labels.txt"),
        }
        source = "GoEmotions train (Demszky et al., ACL 2020; Apache-2.0)"
        licence = "Apache-2.0 (derived data)"
        split_text = f"train split: GoEmotions train.tsv, all {len(train_rows)} rows (dev.tsv is the report set, not used)"

    log(f"{len(rows)} rows, {len(train_rows)} train")
    words = [word_set(t, args.language) for t in texts]
    chosen = cross_validate(args.language, texts, labels, words, train_rows, tasks, evaluation, log)
    print(json.dumps(chosen, indent=2))
    if args.dry_run:
        return 0
    header = [
        f"# source: derived by models/lexicons/derive_weights.py from {source}, train split",
        f"# licence: {licence}",
        "# version: 1",
        f"# language: {args.language}",
        *(f"# input sha256: {name} {digest}" for name, digest in inputs.items()),
        f"# {split_text}",
        f"# seed: {SEED} (salts the split and the cross-validation fold hashes); folds: {FOLDS}",
        (f"# tokens: folded and tokenised with empathy_signals.text.tokenize(...).words; alphabetic, 2+ letters, not in "
        f"empathy_signals.language.FUNCTION_WORDS; counted once per row; log-odds smoothing ALPHA={ALPHA}"),
    ]
    out_dir = ROOT / "empathy_signals" / "lexicons" / args.language
    write_files(args.language, chosen, words, labels, train_rows, tasks, evaluation, header, out_dir)
    log(f"wrote {out_dir / 'valence_derived.tsv'} and {out_dir / 'emotion_derived.tsv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
