"""train_heads.py's valence recipe (language nullspace + balanced multinomial logreg) on any embedding."""
import numpy as np
from sklearn.metrics import f1_score, roc_auc_score
import common as c
TH = c.TH

def fit_valence(E, d):
    proj, _ = TH.nullspace_projection(E("lang_en"), E("lang_fr"))
    x_va = np.concatenate([E("va_train"), E("va_seeds")])
    y_va = np.array(d["va_train"][1] + d["va_seeds"][1])
    w_va, b_va = TH.fit_logreg(x_va @ proj, y_va, balanced=True, multiclass=True)
    return (w_va @ proj).astype(np.float32), b_va

def evaluate(W, b, E, d, names=("va_dev", "fr_dev")):
    out = {}
    for name in names:
        lin = E(name) @ W.T + b
        y = np.array(d[name][1])
        if name == "fr_dev":
            s = lin[:, 2] - lin[:, 0]
            pred2 = np.where(s > 0, 2, 0)
            out["fr_dev_auc"] = round(float(roc_auc_score(y == 2, s)), 4)
            out["fr_dev_acc_negpos"] = round(float((pred2 == y).mean()), 4)
            out["fr_dev_share_neutral"] = round(float((lin.argmax(1) == 1).mean()), 4)
        else:
            pred = lin.argmax(1)
            out[f"{name}_macro_f1"] = round(float(f1_score(y, pred, average="macro")), 4)
            out[f"{name}_acc"] = round(float((pred == y).mean()), 4)
    return out
