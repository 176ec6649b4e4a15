"""Collect the runs of this experiment into benchmarks/results/finetune_top_layers.json."""
import json
import common as c

OUT_JSON = c.REPO / "benchmarks" / "results" / "finetune_top_layers.json"
RUNS = ["full2_en", "full2_fr", "lora2_r8_fr", "full2_fr_lr1e-4_3ep"]
CHOSEN = "full2_fr_lr1e-4_3ep"  # best on the train-OK dev rows, chosen before UMSAB was measured

base = json.load(open(c.OUT / "baseline.json"))
runs = {}
for tag in RUNS:
    log = json.load(open(c.OUT / f"ft_{tag}.json"))
    runs[tag] = {"args": {k: log["args"][k] for k in ("k", "mode", "rank", "lr", "epochs", "fr")},
                 "trainable_params": log["trainable_params"],
                 "sec_per_epoch": [e["sec"] for e in log["epochs"]],
                 "dev_joint_head": log["epochs"][-1]["joint_head"], "dev_refit_shipped_recipe": log["refit_lr_head"]}
final = json.load(open(c.OUT / f"ft_eval_{CHOSEN}.json"))
runs[CHOSEN]["umsab_val_joint_head"] = final["umsab_joint_head"]
runs[CHOSEN]["umsab_val_refit_shipped_recipe"] = final["umsab_refit_lr_head"]
out = {
    "what": "Fine-tuning the top 2 of the 12 e5-small layers (+ a valence head) on the train-OK valence rows "
            "(models/train_heads.py valence_rows('train'), capped at 20,000, + seeds; '--fr': + XED FR train "
            "rows with a clear valence), on CPU, 1 thread, from cached layer-10 states. Not adopted.",
    "selection": "every choice on the train-OK dev rows (valence_rows('dev'), XED FR dev); UMSAB val (eval only) "
                 "measured once for the baseline and once for the chosen variant",
    "chosen": CHOSEN,
    "baseline_frozen_encoder_shipped_recipe": base,
    "runs": runs,
    "reproduce": "see models/experiments/finetune_top/README.md",
}
OUT_JSON.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", OUT_JSON)
