"""Shared by the scripts of this experiment: paths, the capped train-OK sets, UMSAB val.

Work files (caches, weights, logs) go to ``$FT_WORK`` (default ``/tmp/ft``), never into the repo.
"""
import os, sys, random
os.environ.setdefault("OMP_NUM_THREADS", "1"); os.environ.setdefault("MKL_NUM_THREADS", "1")
from pathlib import Path
import numpy as np
import torch
torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO)); sys.path.insert(0, str(REPO / "models")); sys.path.insert(0, str(REPO / "benchmarks"))
import train_heads as TH
import _corpora as C
CAP = 20_000
K_CACHE = 2  # states entering layer 12-K_CACHE are cached
OUT = Path(os.environ.get("FT_WORK", "/tmp/ft"))
OUT.mkdir(parents=True, exist_ok=True)

def datasets():
    """name -> (texts, labels) ; all train-OK except umsab_* (eval only, never used for selection)."""
    va_train = TH.valence_rows("train")
    seeds = TH.read_seeds()
    va_seeds = [(t, lang, TH.SEED_VALENCE[lab]) for h, lab, lang, t in seeds
                if h == "emotion" and lab in TH.SEED_VALENCE]
    if len(va_train) > CAP:
        keep = set(random.Random("ft-cap").sample(range(len(va_train)), CAP))
        va_train = [r for i, r in enumerate(va_train) if i in keep]
    va_dev = TH.valence_rows("dev")
    fr_dev = TH.valence_rows_fr_dev()
    fr_train_pol = [(t, "fr", v) for t, labels in TH.xed("fr", "train")
                    if (v := TH.valence_of("xed", labels)) is not None]
    d = {
        "va_train": ([t for t, _, _ in va_train], [v for _, _, v in va_train]),
        "va_seeds": ([t for t, _, _ in va_seeds], [v for _, _, v in va_seeds]),
        "va_dev": ([t for t, _, _ in va_dev], [v for _, _, v in va_dev]),
        "fr_dev": ([t for t, _, _ in fr_dev], [v for _, _, v in fr_dev]),
        "fr_train_pol": ([t for t, _, _ in fr_train_pol], [v for _, _, v in fr_train_pol]),
        "lang_en": ([t for t, _ in TH.xed("en", "train")], None),
        "lang_fr": ([t for t, _ in TH.xed("fr", "train")], None),
    }
    return d

def umsab_sets():
    import _data as D
    data = C.DATA
    return {f"umsab_{l}": ([t for t, _ in D.umsab(data, l, "val")], [y for _, y in D.umsab(data, l, "val")])
            for l in ("french", "english")}
