"""Cache hidden states entering layer 12-K for every text (+ the frozen baseline embedding)."""
import time, pickle
import common as c
import numpy as np, torch
from torch.nn import functional as F
from empathy_signals.encoder import TextModel

m = TextModel.load(num_threads=1)
fast = m._fast
assert fast is not None
d = c.datasets(); d.update(c.umsab_sets())
texts = list(dict.fromkeys(t for ts, _ in d.values() for t in ts))
print("unique texts", len(texts), flush=True)
ids, _ = m._encode(texts)
L = len(fast._layers); split = L - c.K_CACHE

def run_layers(x, mask, layers, n, length):
    lin, lin_gelu = fast._linear, fast._linear_gelu
    h, dd, hid = fast._heads, fast._head_dim, fast._hidden
    attn_mask = None if bool(mask.all()) else mask.bool()[:, None, None, :]
    for (qkv_w, qkv_b, o_w, o_b, ln1_w, ln1_b, eps1, i_w, i_b, f_w, f_b, ln2_w, ln2_b, eps2) in layers:
        qkv = lin(x, qkv_w, qkv_b).view(n, length, 3, h, dd).permute(2, 0, 3, 1, 4)
        ctx = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=attn_mask, scale=dd ** -0.5)
        ctx = ctx.transpose(1, 2).reshape(n * length, hid)
        x = F.layer_norm(lin(ctx, o_w, o_b) + x, (hid,), ln1_w, ln1_b, eps1)
        y = lin_gelu(x, i_w, i_b)
        x = F.layer_norm(lin(y, f_w, f_b) + x, (hid,), ln2_w, ln2_b, eps2)
    return x

states = [None] * len(texts)
emb = np.zeros((len(texts), 384), np.float32)
order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
t0 = time.time()
with torch.inference_mode():
    for s in range(0, len(order), 32):
        chunk = order[s:s + 32]
        width = max(len(ids[i]) for i in chunk)
        inp = torch.full((len(chunk), width), m._pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for r, i in enumerate(chunk):
            inp[r, :len(ids[i])] = torch.tensor(ids[i]); mask[r, :len(ids[i])] = 1
        n = len(chunk)
        x = F.embedding(inp, fast._word) + fast._type0 + fast._pos[:width]
        x = F.layer_norm(x, (384,), *fast._ln).reshape(n * width, 384)
        x = run_layers(x, mask, fast._layers[:split], n, width)
        xs = x.view(n, width, 384)
        for r, i in enumerate(chunk):
            states[i] = xs[r, :len(ids[i])].to(torch.float16).numpy().copy()
        x = run_layers(x, mask, fast._layers[split:], n, width).view(n, width, 384)
        mm = mask.unsqueeze(-1).float()
        pooled = F.normalize((x * mm).sum(1) / mm.sum(1), dim=1)
        emb[chunk] = pooled.numpy()
        if s % 3200 == 0:
            print(s, f"{time.time()-t0:.0f}s", flush=True)
print("extract s", time.time() - t0, flush=True)
chk = m.embed(texts[:50])
print("max abs diff vs TextModel.embed", float(np.abs(chk - emb[:50]).max()))
with open(c.OUT / "cache.pkl", "wb") as f:
    pickle.dump({"texts": texts, "states": states, "emb": emb, "split": split}, f, protocol=4)
# top layer weights (fp32, as loaded) for fine-tuning
top = [[t.clone() if torch.is_tensor(t) else t for t in lay] for lay in fast._layers[split:]]
torch.save(top, c.OUT / "top_layers.pt")
print("done")
