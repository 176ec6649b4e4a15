"""Linear heads on the e5 sentence embedding (numpy only).

Each head is ``activation(E @ W.T + b)`` on the L2-normalised 384-d embedding ``E``:

- ``human_request``: sigmoid, 1 output (the turn asks for a human agent)
- ``valence``: softmax over (negative, neutral, positive); valence = p(positive) - p(negative);
  :data:`VALENCE_NEUTRAL_BAND` is the model's own neutral band for that value
- ``emotion``: one sigmoid per label of :data:`EMOTIONS` (multi-label)
- ``topics``: one sigmoid per label of :data:`TOPICS` (multi-label)

The file ``heads.safetensors`` holds ``<head>.weight`` (k, 384) and ``<head>.bias`` (k,), and
its metadata holds the label order, so a reordered file cannot be read silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from empathy_signals.errors import ModelError

__all__ = ["EMOTIONS", "HEAD_LABELS", "TOPICS", "VALENCE_CLASSES", "VALENCE_NEUTRAL_BAND", "Heads"]

EMOTIONS = ("anger", "frustration", "sadness", "fear", "confusion", "joy", "gratitude", "neutral")
TOPICS = (
    "bereavement", "health", "financial_hardship", "fraud_security", "legal_threat", "complaint",
    "cancellation", "self_harm", "vulnerability", "large_purchase", "account_change",
)
VALENCE_CLASSES = ("negative", "neutral", "positive")
#: Neutral band of the model's valence, per language: |p(positive) - p(negative)| below it
#: reads as neutral. The fused valence ``(1 - b) * lexicon + b * model`` is labelled with the
#: same blend of the two bands, ``(1 - b) * lexicon band + b * VALENCE_NEUTRAL_BAND[language]``
#: (b = 0 gives the lexicon's labels exactly). English: chosen with ``model_blend`` on
#: train-OK held-out rows, in and across domains (models/fusion/choose_model_blend.py).
#: French: no train-OK French text has a neutral class, so the French band of the fused value
#: is carried over from English by quantile matching, like the lexicon's French band: the
#: English fused band 0.20 leaves 30.8 % of the XED EN annotated lines inside; the same share
#: of the XED FR train-split lines has a fused |valence| up to 0.181, hence
#: (0.181 - 0.5 x 0.20) / 0.5 = 0.16 (``choose_model_blend.py --match-fr``).
VALENCE_NEUTRAL_BAND = {"en": 0.1, "fr": 0.16}
HEAD_LABELS: dict[str, tuple[str, ...]] = {
    "human_request": ("human_request",),
    "valence": VALENCE_CLASSES,
    "emotion": EMOTIONS,
    "topics": TOPICS,
}
FORMAT = "empathy_signals.heads.v1"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Heads:
    """Weights of the four heads; ``weights[name]`` is (k, 384), ``biases[name]`` is (k,)."""

    weights: dict[str, np.ndarray]
    biases: dict[str, np.ndarray]

    @classmethod
    def load(cls, path: Path, *, encoder_sha256: str | None = None) -> Heads:
        """Read ``heads.safetensors``; raise ModelError when a head or label order is off,
        or when the heads were trained on another encoder build than ``encoder_sha256``."""
        from safetensors import safe_open

        weights, biases = {}, {}
        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
            if meta.get("format") != FORMAT:
                raise ModelError(f"{path.name}: format must be {FORMAT!r}; got {meta.get('format')!r}")
            if encoder_sha256 is not None and meta.get("encoder_sha256") != encoder_sha256:
                raise ModelError(
                    f"{path.name} was trained on the encoder with sha256 "
                    f"{meta.get('encoder_sha256')}, not {encoder_sha256}; retrain the heads "
                    "with: python models/train_heads.py"
                )
            labels = json.loads(meta.get("labels", "{}"))
            for name, want in HEAD_LABELS.items():
                if tuple(labels.get(name, ())) != want:
                    raise ModelError(
                        f"{path.name}: labels of head {name!r} must be {list(want)}; "
                        f"got {labels.get(name)!r}"
                    )
                weights[name] = np.asarray(f.get_tensor(f"{name}.weight"), dtype=np.float32)
                biases[name] = np.asarray(f.get_tensor(f"{name}.bias"), dtype=np.float32)
                if weights[name].shape[0] != len(want) or biases[name].shape != (len(want),):
                    raise ModelError(f"{path.name}: head {name!r} has shape {weights[name].shape}")
        return cls(weights, biases)

    def scores(self, emb: np.ndarray) -> dict[str, np.ndarray]:
        """Per-head probabilities for embeddings ``emb`` of shape (n, 384).

        Returns ``human_request`` (n,), ``valence`` (n,) in [-1, 1], ``valence_probs`` (n, 3),
        ``emotion`` (n, 8) and ``topics`` (n, 11).
        """
        lin = {k: emb @ self.weights[k].T + self.biases[k] for k in HEAD_LABELS}
        probs = _softmax(lin["valence"])
        return {
            "human_request": _sigmoid(lin["human_request"][:, 0]),
            "valence": probs[:, 2] - probs[:, 0],
            "valence_probs": probs,
            "emotion": _sigmoid(lin["emotion"]),
            "topics": _sigmoid(lin["topics"]),
        }


def save_heads(path: Path, weights: dict[str, np.ndarray], biases: dict[str, np.ndarray],
               extra_metadata: dict[str, str] | None = None) -> None:
    """Write ``heads.safetensors`` (used by models/train_heads.py)."""
    from safetensors.numpy import save_file

    tensors = {}
    for name, labels in HEAD_LABELS.items():
        w = np.ascontiguousarray(weights[name], dtype=np.float32)
        b = np.ascontiguousarray(biases[name], dtype=np.float32)
        if w.shape[0] != len(labels) or b.shape != (len(labels),):
            raise ValueError(f"head {name}: weight {w.shape}, bias {b.shape}, labels {len(labels)}")
        tensors[f"{name}.weight"] = w
        tensors[f"{name}.bias"] = b
    meta = {"format": FORMAT, "labels": json.dumps({k: list(v) for k, v in HEAD_LABELS.items()})}
    meta.update(extra_metadata or {})
    save_file(tensors, str(path), metadata=meta)
