"""Fine-tune the top k encoder layers (full or LoRA) + a valence head on cached layer states.

python finetune.py --k 2 --mode full --lr 5e-5 --epochs 2 [--fr] [--rank 8] --tag NAME
"""
import argparse, json, math, pickle, random, time
import numpy as np, torch
from torch import nn
from torch.nn import functional as F
import common as c, lr_recipe as R

ap = argparse.ArgumentParser()
ap.add_argument("--k", type=int, default=2)
ap.add_argument("--mode", default="full", choices=["full", "lora"])
ap.add_argument("--rank", type=int, default=8)
ap.add_argument("--lr", type=float, default=5e-5)
ap.add_argument("--head-lr", type=float, default=1e-3)
ap.add_argument("--epochs", type=int, default=2)
ap.add_argument("--bs", type=int, default=32)
ap.add_argument("--fr", action="store_true", help="add XED FR train neg/pos rows")
ap.add_argument("--tag", default="run")
ap.add_argument("--umsab", action="store_true", help="final measurement only")
ap.add_argument("--load", default=None, help="load ft_TAG.pt and only evaluate (use --epochs 0)")
args = ap.parse_args()
torch.manual_seed(0); random.seed(0); np.random.seed(0)

cache = pickle.load(open(c.OUT / "cache.pkl", "rb"))
idx = {t: i for i, t in enumerate(cache["texts"])}
states = cache["states"]
d = c.datasets()
if args.umsab:
    d.update(c.umsab_sets())
top = torch.load(c.OUT / "top_layers.pt")  # layers 12-K_CACHE .. 11
n_frozen_top = c.K_CACHE - args.k  # cached layers to run frozen before the trained ones

class Layer(nn.Module):
    def __init__(self, w, train_mode, rank):
        super().__init__()
        (qkv_w, qkv_b, o_w, o_b, ln1_w, ln1_b, self.eps1, i_w, i_b, f_w, f_b, ln2_w, ln2_b, self.eps2) = w
        full = train_mode == "full"
        P = lambda t: nn.Parameter(t.clone().float(), requires_grad=full)
        self.qkv_w, self.qkv_b, self.o_w, self.o_b = P(qkv_w), P(qkv_b), P(o_w), P(o_b)
        self.ln1_w, self.ln1_b, self.i_w, self.i_b = P(ln1_w), P(ln1_b), P(i_w), P(i_b)
        self.f_w, self.f_b, self.ln2_w, self.ln2_b = P(f_w), P(f_b), P(ln2_w), P(ln2_b)
        self.lora = nn.ParameterDict()
        self.scale = 2.0  # alpha / r with alpha = 2r
        if train_mode == "lora":
            for name in ("qkv_w", "o_w", "i_w", "f_w"):
                out_f, in_f = getattr(self, name).shape
                a = torch.empty(rank, in_f); nn.init.kaiming_uniform_(a, a=math.sqrt(5))
                self.lora[name + "_A"] = nn.Parameter(a)
                self.lora[name + "_B"] = nn.Parameter(torch.zeros(out_f, rank))

    def lin(self, x, name, bias):
        y = F.linear(x, getattr(self, name), bias)
        if name + "_A" in self.lora:
            y = y + self.scale * F.linear(F.linear(x, self.lora[name + "_A"]), self.lora[name + "_B"])
        return y

    def forward(self, x, mask):  # x (n, L, 384)
        n, L, hid = x.shape
        p = 0.1 if self.training else 0.0
        am = mask.bool()[:, None, None, :]
        qkv = self.lin(x, "qkv_w", self.qkv_b).view(n, L, 3, 12, 32).permute(2, 0, 3, 1, 4)
        ctx = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=am, dropout_p=p, scale=32 ** -0.5)
        ctx = ctx.transpose(1, 2).reshape(n, L, hid)
        x = F.layer_norm(F.dropout(self.lin(ctx, "o_w", self.o_b), p, self.training) + x, (hid,), self.ln1_w, self.ln1_b, self.eps1)
        y = F.gelu(self.lin(x, "i_w", self.i_b))
        x = F.layer_norm(F.dropout(self.lin(y, "f_w", self.f_b), p, self.training) + x, (hid,), self.ln2_w, self.ln2_b, self.eps2)
        return x

frozen = [Layer(w, "frozen", 0).eval() for w in top[:n_frozen_top]]
layers = nn.ModuleList([Layer(w, args.mode, args.rank) for w in top[n_frozen_top:]])
base = np.load(c.OUT / "baseline_head.npz")
head = nn.Linear(384, 3)
with torch.no_grad():
    head.weight.copy_(torch.from_numpy(base["W"])); head.bias.copy_(torch.from_numpy(base["b"]))

if args.load:
    st = torch.load(c.OUT / f"ft_{args.load}.pt")
    layers.load_state_dict(st["layers"]); head.load_state_dict(st["head"])

def batch(ii):
    width = max(len(states[i]) for i in ii)
    x = torch.zeros(len(ii), width, 384); mask = torch.zeros(len(ii), width)
    for r, i in enumerate(ii):
        s = states[i]; x[r, :len(s)] = torch.from_numpy(s.astype(np.float32)); mask[r, :len(s)] = 1
    with torch.no_grad():
        for lay in frozen:
            x = lay(x, mask)
    return x, mask

def encode(x, mask):
    for lay in layers:
        x = lay(x, mask)
    mm = mask.unsqueeze(-1)
    return F.normalize((x * mm).sum(1) / mm.sum(1), dim=1)

def embed_all(names):
    layers.eval()
    need = sorted({idx[t] for nm in names for t in d[nm][0]}, key=lambda i: len(states[i]))
    out = {}
    with torch.no_grad():
        for s in range(0, len(need), 64):
            ii = need[s:s + 64]
            e = encode(*batch(ii)).numpy()
            out.update(zip(ii, e))
    return lambda nm: np.stack([out[idx[t]] for t in d[nm][0]])

train_names = ["va_train", "va_seeds"] + (["fr_train_pol"] if args.fr else [])
tr = [(idx[t], y) for nm in train_names for t, y in zip(*d[nm])]
y_all = np.array([y for _, y in tr])
cw = torch.tensor(len(y_all) / (3 * np.bincount(y_all, minlength=3)), dtype=torch.float32)
params = [p for p in layers.parameters() if p.requires_grad]
n_trainable = sum(p.numel() for p in params)
opt = torch.optim.AdamW([{"params": params, "lr": args.lr, "weight_decay": 0.01},
                         {"params": head.parameters(), "lr": args.head_lr, "weight_decay": 0.0}])
steps_per_epoch = math.ceil(len(tr) / args.bs)
total = max(1, steps_per_epoch * args.epochs); warm = int(0.06 * total)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(warm, 1)) * max(0.0, (total - s) / max(total - warm, 1)))
print(f"{args.tag}: train rows {len(tr)}, trainable {n_trainable}, steps/epoch {steps_per_epoch}", flush=True)
log = {"args": vars(args), "trainable_params": n_trainable, "epochs": []}
rng = random.Random(0)
for ep in range(args.epochs):
    layers.train(); head.train()
    order = sorted(range(len(tr)), key=lambda j: len(states[tr[j][0]]) + rng.random() * 4)
    batches = [order[s:s + args.bs] for s in range(0, len(order), args.bs)]
    rng.shuffle(batches)
    t0 = time.time(); tot = 0.0
    for bi, bj in enumerate(batches):
        x, mask = batch([tr[j][0] for j in bj])
        yy = torch.tensor([tr[j][1] for j in bj])
        loss = F.cross_entropy(head(encode(x, mask)), yy, weight=cw)
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        tot += loss.item()
        if bi % 200 == 0:
            print(f"  ep{ep} step {bi}/{len(batches)} loss {tot/(bi+1):.4f} {time.time()-t0:.0f}s", flush=True)
    sec = time.time() - t0
    E = embed_all(["va_dev", "fr_dev"])
    layers.eval(); head.eval()
    W = head.weight.detach().numpy(); b = head.bias.detach().numpy()
    res = {"epoch": ep + 1, "sec": round(sec), "loss": round(tot / len(batches), 4), "joint_head": R.evaluate(W, b, E, d)}
    print(json.dumps(res), flush=True); log["epochs"].append(res)
# refit the shipped recipe (nullspace + balanced logreg) on the fine-tuned embedding
t0 = time.time()
names = ["va_train", "va_seeds", "lang_en", "lang_fr", "va_dev", "fr_dev"] + (["umsab_french", "umsab_english"] if args.umsab else [])
E = embed_all(names)
Wr, br = R.fit_valence(E, d)
log["refit_lr_head"] = R.evaluate(Wr, br, E, d)
W = head.weight.detach().numpy(); b = head.bias.detach().numpy()
log["joint_head_final"] = R.evaluate(W, b, E, d)
print("joint head", json.dumps(log["joint_head_final"]))
print("refit LR head", json.dumps(log["refit_lr_head"]), f"({time.time()-t0:.0f}s)", flush=True)
if args.umsab:
    W = head.weight.detach().numpy(); b = head.bias.detach().numpy()
    log["umsab_joint_head"] = R.evaluate(W, b, E, d, names=("umsab_french", "umsab_english"))
    log["umsab_refit_lr_head"] = R.evaluate(Wr, br, E, d, names=("umsab_french", "umsab_english"))
    print("UMSAB joint", json.dumps(log["umsab_joint_head"]), "refit", json.dumps(log["umsab_refit_lr_head"]), flush=True)
if not args.load:
    torch.save({"layers": layers.state_dict(), "head": head.state_dict()}, c.OUT / f"ft_{args.tag}.pt")
json.dump(log, open(c.OUT / f"ft_{args.tag}.json", "w"), indent=1)
