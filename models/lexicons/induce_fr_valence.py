"""Cross-lingual lexicon induction: correct the machine-translated French VADER lexicon.

The vendored French lexicon (``empathy_signals/lexicons/fr/valence.tsv``, vaderSentiment-fr,
MIT) is a machine translation of VADER's English lexicon and carries translation artifacts
("stupide" -0.4 where "stupid" is -2.4; "zut" -3.6). This script learns a map from the
packaged multilingual e5-small embeddings (``TextModel.embed``, French and English share
the space) of a bare word to its VADER valence on the *English* VADER lexicon
(``empathy_signals/lexicons/en/valence.tsv``, MIT), and applies it to the French keys.

1. Embed every alphabetic key of both lexicons (bare word, e5's ``query:`` prefix).
2. Ridge regression (intercept, numpy), ``RIDGES`` chosen by 5-fold cross-validation on the
   English lexicon (Pearson r of the out-of-fold predictions; folds from ``SEED``).
3. Apply to the French keys; rescale the predictions to the standard deviation of the
   vendored French values (ridge shrinks towards the mean; a statistic of the lexicons only);
   average them over each inflection family (:func:`family_means`).
4. Choose the blend ``a`` of ``(1 - a) * vendored + a * induced`` (``BLENDS``) by the valence
   ROC AUC on the *train* split of XED FR (CC BY 4.0, train OK; split of
   ``models/lexicons/derive_weights.py``), with the real tables of
   ``empathy_signals/signals/sentiment.py``. The held-out 20 % is scored only to report.

Writes ``empathy_signals/lexicons/fr/valence_induced.tsv`` (vendored key, induced valence)
with a provenance header, and prints the constant to set in ``sentiment.py``
(``INDUCED_VALENCE_BLEND``). Needs torch + transformers (build time only; the runtime reads
the precomputed file). Usage::

    python models/lexicons/induce_fr_valence.py [--data ../shared/data] [--dry-run]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from empathy_signals.signals import sentiment  # noqa: E402
from empathy_signals.signals.base import TurnInput  # noqa: E402
from empathy_signals.signals.resources import LanguagePack  # noqa: E402
from empathy_signals.text import tokenize  # noqa: E402

SEED = 20240611
FOLDS = 5
RIDGES = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
BLENDS = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)
LEXICONS = ROOT / "empathy_signals" / "lexicons"
OUT = LEXICONS / "fr" / "valence_induced.tsv"
#: Keys embedded: letters only, words joined by one space, hyphen or apostrophe.
WORD_KEY = re.compile(r"[^\W\d_]+(?:[' \-][^\W\d_]+)*")


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lexicon_keys(path: Path) -> tuple[list[str], np.ndarray]:
    keys, values = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("\t")
        if WORD_KEY.fullmatch(key):
            keys.append(key)
            values.append(float(value))
    return keys, np.asarray(values, dtype=np.float64)


def ridge(x: np.ndarray, y: np.ndarray, lam: float):
    mu, ym = x.mean(0), y.mean()
    xc = x - mu
    w = np.linalg.solve(xc.T @ xc + lam * np.eye(x.shape[1]), xc.T @ (y - ym))
    return lambda z: (z - mu) @ w + ym


def cross_validate(x: np.ndarray, y: np.ndarray, folds: np.ndarray) -> dict[float, tuple[float, float]]:
    """lambda -> (Pearson r, RMSE) of the out-of-fold predictions."""
    out = {}
    for lam in RIDGES:
        pred = np.zeros_like(y)
        for f in range(FOLDS):
            pred[folds == f] = ridge(x[folds != f], y[folds != f], lam)(x[folds == f])
        out[lam] = (float(np.corrcoef(pred, y)[0, 1]), float(np.sqrt(np.mean((pred - y) ** 2))))
    return out


def family_means(keys: list[str], values: np.ndarray) -> np.ndarray:
    """Each key's value averaged over its inflection family.

    Families: keys linked (transitively) by ``sentiment._french_inflections`` ("joli",
    "jolie", "jolis"). One lemma, one induced valence: it averages out the embedding's
    noise across forms and keeps the table's rule that a generated inflection takes its
    lemma's valence (a form generated from several lemmas averages them).
    """
    parent = list(range(len(keys)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index: dict[str, int] = {}
    for i, key in enumerate(keys):
        index.setdefault(key.lower(), i)
    for i, key in enumerate(keys):
        if key.isalpha():
            for form in sentiment._french_inflections(key.lower()):
                j = index.get(form)
                if j is not None:
                    parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(keys)):
        groups.setdefault(find(i), []).append(i)
    out = values.copy()
    for members in groups.values():
        out[members] = values[members].mean()
    return out


def _derive_module():
    spec = importlib.util.spec_from_file_location("derive_weights", ROOT / "models/lexicons/derive_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def xed_scores(xed_path: Path, induced: dict[str, float]) -> dict[str, dict[float, dict[str, float]]]:
    """Per split, per blend: valence AUC (polarity rows) and anger AUC, real tables."""
    derive = _derive_module()
    rows = derive.xed_fr_rows(xed_path)
    split = [derive.xed_split(text) for text, _ in rows]
    tokens = [tokenize(text) for text, _ in rows]
    pos, neg = derive.FR_TASKS["polarity"]
    loader, shares = sentiment._load_induced, dict(sentiment.INDUCED_VALENCE_BLEND)
    out: dict[str, dict[float, dict[str, float]]] = {"train": {}, "heldout": {}}
    try:
        sentiment._load_induced = lambda _language: induced
        for blend in BLENDS:
            sentiment.INDUCED_VALENCE_BLEND = {"fr": blend}
            pack = LanguagePack("fr")
            tables = sentiment._Tables("fr")
            pack.resource("sentiment.tables.v1", lambda _language: tables)
            for name in out:
                vl, vv, al, av = [], [], [], []
                for i, (_, ids) in enumerate(rows):
                    if split[i] != name:
                        continue
                    turn = TurnInput(0, tokens[i], "fr", pack)
                    p, n = bool(ids & pos), bool(ids & neg)
                    if p != n:
                        vl.append(int(p))
                        vv.append(sentiment.valence(turn).score)
                    s = sentiment.emotion(turn).scores
                    al.append(int(1 in ids))
                    av.append(1 - (1 - s["anger"]) * (1 - s["frustration"]))
                out[name][blend] = {"valence_auc": derive.auc(vl, vv), "anger_auc": derive.auc(al, av),
                                    "n": len(vl)}
    finally:
        sentiment._load_induced, sentiment.INDUCED_VALENCE_BLEND = loader, shares
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the file")
    args = parser.parse_args()
    from empathy_signals.encoder import TextModel
    from empathy_signals.encoder._artifact import default_artifact_dir

    en_path, fr_path = LEXICONS / "en" / "valence.tsv", LEXICONS / "fr" / "valence.tsv"
    xed_path = args.data / "emotion/xed/fr-projections.tsv"
    if not xed_path.is_file():
        print(f"skipped: no {xed_path}")
        return 0
    en_keys, en_y = lexicon_keys(en_path)
    fr_keys, fr_y = lexicon_keys(fr_path)
    model = TextModel.load(num_threads=2, batch_size=128)
    en_x = model.embed(en_keys).astype(np.float64)
    fr_x = model.embed(fr_keys).astype(np.float64)

    folds = np.random.default_rng(SEED).permutation(len(en_y)) % FOLDS
    cv = cross_validate(en_x, en_y, folds)
    lam = max(cv, key=lambda k: (cv[k][0], -k))
    for k, (r, rmse) in cv.items():
        print(f"ridge lambda={k:<5} English 5-fold CV: Pearson r {r:.4f}  RMSE {rmse:.3f}")
    raw = ridge(en_x, en_y, lam)(fr_x)
    scale = float(fr_y.std() / raw.std())
    induced_values = np.clip(family_means(fr_keys, raw * scale), -4.0, 4.0)
    induced = {k: round(float(v), 3) for k, v in zip(fr_keys, induced_values)}
    agreement = float(np.corrcoef(induced_values, fr_y)[0, 1])
    print(f"chosen lambda={lam}; French: r(vendored, induced)={agreement:.4f}; rescale x{scale:.3f}")

    scores = xed_scores(xed_path, induced)
    for blend in BLENDS:
        tr, ho = scores["train"][blend], scores["heldout"][blend]
        print(f"blend {blend:<4}  XED FR train: valence AUC {tr['valence_auc']:.4f} anger AUC {tr['anger_auc']:.4f}"
              f"  | held-out (report only): valence AUC {ho['valence_auc']:.4f} anger AUC {ho['anger_auc']:.4f}")
    best = max(BLENDS, key=lambda b: (round(scores["train"][b]["valence_auc"], 6), -b))
    print(f"set INDUCED_VALENCE_BLEND = {{'fr': {best}}} in empathy_signals/signals/sentiment.py")

    artifact = default_artifact_dir()
    header = [
        "# source: induced by models/lexicons/induce_fr_valence.py (cross-lingual lexicon induction): ridge map from "
        "multilingual-e5-small word embeddings (packaged encoder) to VADER valence, fitted on the English VADER lexicon, "
        "applied to the keys of fr/valence.tsv",
        "# licence: MIT (derived from the vendored VADER lexicons; see LICENSES/vaderSentiment.txt and LICENSES/vaderSentiment-fr.txt)",
        "# version: 1",
        "# language: fr",
        f"# input sha256: lexicons/en/valence.tsv {sha256_file(en_path)}",
        f"# input sha256: lexicons/fr/valence.tsv {sha256_file(fr_path)}",
        f"# input sha256: encoder/e5-small-fr-en/model.q4.safetensors {sha256_file(artifact / 'model.q4.safetensors')}",
        f"# input sha256: emotion/xed/fr-projections.tsv {sha256_file(xed_path)} (used only to choose the blend, train split)",
        f"# seed: {SEED} (English CV folds: numpy default_rng(seed).permutation(n) mod {FOLDS}); no other randomness",
        "# embedding: TextModel.embed(bare key) (e5 'query: ' prefix), fp32, L2-normalised 384-d",
        f"# ridge: lambda={lam} chosen over {list(RIDGES)} by English 5-fold CV Pearson r "
        f"{cv[lam][0]:.4f} (RMSE {cv[lam][1]:.3f}; {len(en_y)} English keys)",
        f"# rescale: predictions x{scale:.4f} to the std of the vendored French values (lexicon statistic), averaged over "
        "inflection families (sentiment._french_inflections links), clipped to -4..4; "
        f"r(vendored, induced) over {len(fr_y)} French keys: {agreement:.4f}",
        f"# blend: INDUCED_VALENCE_BLEND['fr']={best} in sentiment.py, chosen over {list(BLENDS)} by valence ROC AUC on the "
        f"XED FR train split (train OK; split of models/lexicons/derive_weights.py): "
        f"{scores['train'][best]['valence_auc']:.4f} vs {scores['train'][0.0]['valence_auc']:.4f} without; "
        f"held-out (report only) {scores['heldout'][best]['valence_auc']:.4f} vs {scores['heldout'][0.0]['valence_auc']:.4f}",
        "# format: key<TAB>induced valence (-4..4, VADER scale); keys exactly as in fr/valence.tsv (not folded)",
    ]
    body = [f"{k}\t{v:.3f}" for k, v in induced.items()]
    if args.dry_run:
        print("\n".join(header))
        return 0
    OUT.write_text("\n".join(header + body) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(body)} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
