"""Independent numpy implementation of METHOD.md §4-6, used by the tests as the reference.

Imported by test/fixtures/pipeline/make_fixtures.py (reference) and
test/fixtures/crosscheck/torch_reference.py (psi_of).
"""
import numpy as np
from scipy import stats


def psi_of(r):
    r = np.asarray(r, dtype=np.float64)
    sd = r.std(axis=0)  # ddof = 0
    z = np.where(sd > 0, (r - r.mean(axis=0)) / np.where(sd > 0, sd, 1), 0.0)
    lo = z.min(axis=1, keepdims=True)
    hi = z.max(axis=1, keepdims=True)
    rng = hi - lo
    m = np.where(rng > 0, (z - lo) / np.where(rng > 0, rng, 1), 0.0)
    n = m.shape[1]
    s = m.sum(axis=1)
    s2 = (m ** 2).sum(axis=1)
    a = np.where(s2 > 0, (s / n) ** 2 / np.where(s2 > 0, s2 / n, 1), 1.0)
    return (1 - a) / (1 - 1 / n)


def reference(layers):
    """layers: [[[...units] per category] per layer] -> {"psi": [[per category] per layer], "tau", "p"}:
    the PSIs and the depth trend (scipy's Kendall tau-b of layer index 1..L vs the pooled PSIs)."""
    psis = [psi_of(layer) for layer in layers]
    x = np.concatenate([np.full(len(p), i + 1) for i, p in enumerate(psis)])
    y = np.concatenate(psis)
    t = stats.kendalltau(x, y)
    return {"psi": [p.tolist() for p in psis], "tau": float(t.statistic), "p": float(t.pvalue)}
