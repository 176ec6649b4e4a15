"""Per-turn latency: full encoder vs an extra top-k branch (k layers re-run from layer 12-k states)."""
import time, numpy as np, torch
import common as c
from empathy_signals.encoder import TextModel
m = TextModel.load(num_threads=1)
texts = [t for t, _ in __import__("_data").umsab(c.C.DATA, "english", "val")][:100]
texts += [t for t, _ in __import__("_data").umsab(c.C.DATA, "french", "val")][:100]
f = m._fast
ids, _ = m._encode(texts)
def one(i, layers):
    inp = torch.tensor([ids[i]]); mask = torch.ones_like(inp)
    saved = f._layers; f._layers = layers
    try:
        with torch.inference_mode():
            f(inp, mask)
    finally:
        f._layers = saved
for name, lays in [("full 12 layers", f._layers), ("1 layer", f._layers[:1]), ("2 layers", f._layers[:2]), ("0 layers (embeddings only)", [])]:
    for i in range(20): one(i, lays)
    ts = []
    for i in range(len(texts)):
        t0 = time.perf_counter(); one(i, lays); ts.append(time.perf_counter() - t0)
    print(f"{name}: median {1e3*np.median(ts):.2f} ms, mean {1e3*np.mean(ts):.2f} ms, mean tokens {np.mean([len(x) for x in ids]):.1f}")
