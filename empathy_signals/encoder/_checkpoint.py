"""Load the Q4 checkpoint folder as a stock ``transformers`` BERT encoder and tokenizer.

Imports torch and transformers; only :mod:`empathy_signals.encoder._runtime` imports this
module, on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from empathy_signals.encoder._q4 import dequantize_q4_0

__all__ = ["load_bert", "load_state_dict", "load_tokenizer", "quantize_int8"]

Q4_SUFFIX = ".q4_0"


def load_state_dict(folder: str | Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read ``model.q4.safetensors`` and dequantise every Q4_0 tensor to float32.

    Returns
    -------
    (state, metadata)
        ``state`` maps BertModel keys to float32 arrays; ``vocab.source_ids`` is left out.
    """
    from safetensors import safe_open

    path = Path(folder) / "model.q4.safetensors"
    state: dict[str, np.ndarray] = {}
    with safe_open(str(path), framework="numpy") as f:
        metadata = f.metadata() or {}
        for key in f.keys():  # noqa: SIM118 - safe_open is not a mapping
            if key == "vocab.source_ids":
                continue
            arr = f.get_tensor(key)
            if key.endswith(Q4_SUFFIX):
                n_in = arr.shape[1] // 18 * 32
                state[key[: -len(Q4_SUFFIX)]] = dequantize_q4_0(arr, n_in)
            else:
                state[key] = np.asarray(arr, dtype=np.float32)
    return state, metadata


def _no_init_weights() -> Any:
    try:  # transformers >= 5
        from transformers.initialization import no_init_weights
    except ImportError:  # transformers 4.x
        from transformers.modeling_utils import no_init_weights
    return no_init_weights()


def load_bert(folder: str | Path) -> Any:
    """Build a ``transformers.BertModel`` (no pooler, eval mode) from the Q4 folder.

    Raises
    ------
    RuntimeError
        When the tensors do not match the config (missing or unexpected keys).
    """
    import torch
    from transformers import BertConfig, BertModel

    folder = Path(folder)
    config = BertConfig.from_json_file(str(folder / "config.json"))
    with _no_init_weights():
        model = BertModel(config, add_pooling_layer=False)
    state, _ = load_state_dict(folder)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    model.eval()
    return model


def load_tokenizer(folder: str | Path) -> Any:
    """The fast tokenizer of the folder (``PreTrainedTokenizerFast``), loaded offline."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast.from_pretrained(str(folder), local_files_only=True)


def quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantisation (per output channel) of every ``nn.Linear`` of the model.

    Uses ``torch.ao.quantization.quantize_dynamic``, which torch marks as deprecated in favour
    of torchao; its deprecation warnings are silenced here only, for this call.
    """
    import warnings

    import torch

    try:
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    except ImportError as exc:  # removed from a future torch
        raise RuntimeError("this torch has no torch.ao.quantization.quantize_dynamic; "
                           "use precision='fp32'") from exc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig},
                                dtype=torch.qint8)
