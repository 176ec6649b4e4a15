"""Q4_0 block format (ggml style), numpy only.

A Q4_0 block holds 32 weights in 18 bytes: a little-endian fp16 scale ``d`` followed by 16
bytes ``qs``. Weight ``j`` (0..15) is ``((qs[j] & 0x0F) - 8) * d`` and weight ``j + 16`` is
``((qs[j] >> 4) - 8) * d``. Blocks run along the input dimension of a row-major
``[out, in]`` matrix, which is the layout of ``torch.nn.Linear.weight``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLOCK_BYTES", "QK", "dequantize_q4_0"]

QK = 32
BLOCK_BYTES = 18


def dequantize_q4_0(raw: np.ndarray, n_in: int) -> np.ndarray:
    """Dequantise Q4_0 rows.

    Parameters
    ----------
    raw : np.ndarray, uint8, shape (rows, n_in // 32 * 18)
        The blocks of each row, back to back.
    n_in : int
        Number of weights per row (a multiple of 32).

    Returns
    -------
    np.ndarray, float32, shape (rows, n_in)
    """
    if n_in % QK:
        raise ValueError(f"n_in must be a multiple of {QK}; got {n_in}")
    n_blocks = n_in // QK
    raw = np.ascontiguousarray(raw, dtype=np.uint8)
    if raw.ndim != 2 or raw.shape[1] != n_blocks * BLOCK_BYTES:
        raise ValueError(
            f"raw must have shape (rows, {n_blocks * BLOCK_BYTES}) for n_in={n_in}; got {raw.shape}"
        )
    blocks = raw.reshape(raw.shape[0], n_blocks, BLOCK_BYTES)
    scale = np.ascontiguousarray(blocks[:, :, :2]).view("<f2").astype(np.float32)  # (rows, nb, 1)
    qs = blocks[:, :, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=2).astype(np.float32) * scale
    return weights.reshape(raw.shape[0], n_in)
