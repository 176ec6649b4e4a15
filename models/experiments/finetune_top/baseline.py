"""The shipped valence recipe on the frozen embedding: the baseline every variant is compared with."""
import pickle, json, sys, numpy as np
import common as c, lr_recipe as R
cache = pickle.load(open(c.OUT / "cache.pkl", "rb"))
idx = {t: i for i, t in enumerate(cache["texts"])}
d = c.datasets()
E = lambda name: cache["emb"][[idx[t] for t in (d[name][0])]]
W, b = R.fit_valence(E, d)
np.savez(c.OUT / "baseline_head.npz", W=W, b=b)
res = {"dev": R.evaluate(W, b, E, d)}
print("baseline", json.dumps(res["dev"]))
if "--umsab" in sys.argv:
    d.update(c.umsab_sets())
    res["umsab"] = R.evaluate(W, b, E, d, names=("umsab_french", "umsab_english"))
    print("baseline UMSAB", json.dumps(res["umsab"]))
json.dump(res, open(c.OUT / "baseline.json", "w"), indent=1)
