"""Latency per turn of the text model vs a naive transformers pipeline of XLM-R-base size.

Both run on CPU with the same torch thread count, one turn per call (a bot scores each turn as
it arrives), on the same turns, interleaved so that background load hits both alike.

- ours: ``TextModel.predict([turn])`` (tokenise, truncate, e5-small encoder, pooling, all
  heads), or ``embed`` when the heads are not built;
- baseline: ``transformers.pipeline("text-classification")`` around
  ``XLMRobertaForSequenceClassification(XLMRobertaConfig())`` (XLM-R-base size: 12 layers,
  hidden 768, 250,002-row vocabulary, ~278 M parameters) with random weights, fed by the same
  tokenizer (the weights do not change the cost).

Turns: 200 seeded customer-like turns from ../shared/data (XED FR dev, agent_request_en test,
UMSAB FR val), or a built-in list when the data is absent.

Writes benchmarks/results/model_latency.json. Usage:
``python benchmarks/model_latency.py [--threads 1] [--turns 200]``
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "models"))
OUT = REPO / "benchmarks" / "results" / "model_latency.json"

BUILTIN_TURNS = [
    "Je veux parler à un conseiller, tout de suite !",
    "thanks!",
    "Ça fait trois semaines que j'attends mon remboursement et personne ne me répond.",
    "Can I talk to a real person please?",
    "Bonjour, ma carte a été bloquée après un paiement que je ne reconnais pas, que dois-je faire ?",
    "I've explained this three times already and the bot keeps sending me the same link.",
    "oui",
    "Mon père est décédé le mois dernier et je dois clôturer son compte, pouvez-vous m'aider ?",
]


def turns(n: int) -> list[str]:
    import _corpora as C

    if not C.available():
        return (BUILTIN_TURNS * (n // len(BUILTIN_TURNS) + 1))[:n]
    pool = [t for t, _ in C.xed("fr", "dev")]
    pool += [r["text"] for r in C.agent_request_rows() if r["source_split"] == "test"]
    pool += [t for t, _ in C.umsab("french", "val")]
    return random.Random(0).sample(pool, n)


def pct(xs: list[float], q: float) -> float:
    return round(float(np.percentile(np.array(xs) * 1000.0, q)), 2)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--turns", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--precision", nargs="+", default=["fp32", "int8"],
                    help="TextModel precisions to time against the baseline")
    args = ap.parse_args(argv)

    import torch
    import transformers
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification, pipeline

    from empathy_signals.encoder import TextModel

    torch.manual_seed(0)
    models, load_s = {}, {}
    for prec in args.precision:
        t0 = time.perf_counter()
        models[prec] = TextModel.load(num_threads=args.threads, precision=prec)
        load_s[prec] = time.perf_counter() - t0
    torch.set_num_threads(args.threads)
    ours = models[args.precision[0]]

    cfg = XLMRobertaConfig(  # xlm-roberta-base
        vocab_size=250_002, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
        intermediate_size=3072, max_position_embeddings=514, type_vocab_size=1, pad_token_id=1,
        bos_token_id=0, eos_token_id=2, num_labels=2,
    )
    big = XLMRobertaForSequenceClassification(cfg).eval()
    n_params = sum(p.numel() for p in big.parameters())
    clf = pipeline("text-classification", model=big, tokenizer=ours._hf_tokenizer, device=-1)

    def run(m: TextModel, batch: list[str]) -> object:
        return m.predict(batch) if m.heads is not None else m.embed(batch)

    texts = turns(args.turns)
    for t in texts[: args.warmup]:
        for m in models.values():
            run(m, [t])
        clf(t, truncation=True)
    lat = {prec: [] for prec in models}
    lat_base = []
    for t in texts:  # interleaved: background load hits every side alike
        for prec, m in models.items():
            s = time.perf_counter()
            run(m, [t])
            lat[prec].append(time.perf_counter() - s)
        s = time.perf_counter()
        clf(t, truncation=True)
        lat_base.append(time.perf_counter() - s)
    batch_ms = {}
    for prec, m in models.items():
        s = time.perf_counter()
        run(m, texts)
        batch_ms[prec] = (time.perf_counter() - s) / len(texts) * 1000.0

    n_tok = [len(ids) for ids in ours.token_ids(texts)]
    result = {
        "device": f"{platform.machine()} CPU, {torch.get_num_threads()} torch thread(s)",
        "torch": torch.__version__, "transformers": transformers.__version__,
        "turns": len(texts), "tokens_per_turn": {"p50": float(np.median(n_tok)),
                                                 "max": int(max(n_tok))},
        "ours": {prec: {"what": ("TextModel.predict" if models[prec].heads is not None
                                 else "TextModel.embed") + f" (precision={prec!r})",
                        "p50_ms": pct(lat[prec], 50), "p90_ms": pct(lat[prec], 90),
                        "p99_ms": pct(lat[prec], 99),
                        "batched_ms_per_turn": round(batch_ms[prec], 2),
                        "load_s": round(load_s[prec], 2)} for prec in models},
        "baseline": {"what": "pipeline('text-classification'), XLM-R-base config, random weights",
                     "parameters": int(n_params),
                     "p50_ms": pct(lat_base, 50), "p90_ms": pct(lat_base, 90),
                     "p99_ms": pct(lat_base, 99)},
    }
    result["speedup_p50"] = {p: round(result["baseline"]["p50_ms"] / r["p50_ms"], 2)
                             for p, r in result["ours"].items()}
    result["speedup_p99"] = {p: round(result["baseline"]["p99_ms"] / r["p99_ms"], 2)
                             for p, r in result["ours"].items()}
    result["target_speedup_p50"] = 5.0
    result["note"] = ("2-vCPU VM shared with other jobs; both sides interleaved per turn so load "
                      "affects them alike")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
