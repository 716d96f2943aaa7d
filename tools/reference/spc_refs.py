#!/usr/bin/env python3
"""Independent reference values for the yieldline-spc crate.

Writes crates/yieldline-spc/tests/fixtures/spc_refs.json (run from anywhere:
`python3 tools/reference/spc_refs.py`). Computed with numpy/scipy, sharing no code with
the Rust crate; the Rust tests compare against these numbers to 1e-9.

Sources of each dataset are recorded in the fixture:
- montgomery_7_1: published (Montgomery, Introduction to Statistical Quality Control,
  Example 7.1 / Table 7.1, orange-juice cans, 30 samples of n = 50); the p-chart values
  are recomputed here and checked against the published rounded figures.
- laney: a constructed over-dispersed large-n dataset (no published dataset is used:
  none could be recalled with certainty). z, sigma_z and the limits follow Laney (2002),
  "Improved control charts for attributes", Quality Engineering 14(4), with d2 = 1.128.
- ewma: a constructed series with a lasting shift and one empty day; EWMA recursion via
  scipy.signal.lfilter, limits vectorised in numpy (Montgomery §9.2 / issue formula).
"""

import json
import pathlib

import numpy as np
from scipy.signal import lfilter

D2 = 1.128
OUT = (pathlib.Path(__file__).resolve().parents[2]
       / "crates/yieldline-spc/tests/fixtures/spc_refs.json")


def montgomery():
    defects = np.array([12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22,
                        8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12, 7, 13, 9, 6])
    n = np.full(30, 50)
    assert defects.sum() == 347
    pbar = defects.sum() / n.sum()
    s = np.sqrt(pbar * (1 - pbar) / 50)
    ucl, lcl = pbar + 3 * s, pbar - 3 * s
    published = {"pbar": 0.2313, "ucl": 0.4102, "lcl": 0.0524, "out_of_control_samples": [15, 23]}
    assert abs(pbar - published["pbar"]) < 5e-5
    assert abs(ucl - published["ucl"]) < 5e-5
    assert abs(lcl - published["lcl"]) < 5e-5
    out = [int(i) + 1 for i in np.nonzero((defects / n > ucl) | (defects / n < lcl))[0]]
    assert out == published["out_of_control_samples"]
    return {
        "source": "Montgomery, Introduction to Statistical Quality Control, Example 7.1 / "
                  "Table 7.1 (orange-juice cans, n = 50); published pbar/UCL/LCL rounded to 4 dp",
        "nonconforming": defects.tolist(),
        "n": 50,
        "published": published,
        "computed": {"pbar": pbar, "ucl": ucl, "lcl": lcl,
                     "yield_center": 1 - pbar, "yield_lcl": 1 - ucl, "yield_ucl": 1 - lcl},
    }


def laney():
    n = np.array([4334, 3375, 3552, 4191, 3234, 3827, 4000, 2175, 1666, 2400,
                  2355, 4120, 4237, 1515, 2999, 3963, 1894, 3891, 1857, 2903])
    passed = np.array([3574, 2800, 2884, 3332, 2648, 3215, 3180, 1757, 1317, 1912,
                       1848, 3374, 3351, 1246, 2421, 3225, 1428, 3130, 1505, 2360])
    p = passed / n
    pbar = passed.sum() / n.sum()
    sigma = np.sqrt(pbar * (1 - pbar) / n)
    z = (p - pbar) / sigma
    sigma_z = np.mean(np.abs(np.diff(z))) / D2
    lcl = np.clip(pbar - 3 * sigma * sigma_z, 0, 1)
    ucl = np.clip(pbar + 3 * sigma * sigma_z, 0, 1)
    return {
        "source": "constructed (numpy Generator(seed 7), binomial with p ~ N(0.82, 0.02) per "
                  "day, then hard-coded); formulas of Laney (2002), d2 = 1.128; baseline = all 20",
        "labels": [f"2025-04-{d:02d}" for d in range(1, 21)],
        "n": n.tolist(),
        "passed": passed.tolist(),
        "center": pbar,
        "z": z.tolist(),
        "sigma_z": sigma_z,
        "p_lcl": np.clip(pbar - 3 * sigma, 0, 1).tolist(),
        "p_ucl": np.clip(pbar + 3 * sigma, 0, 1).tolist(),
        "lcl": lcl.tolist(),
        "ucl": ucl.tolist(),
    }


def ewma():
    n = np.array([204, 246, 160, 222, 208, 0, 164, 243, 242, 203, 253, 216, 249, 255, 212,
                  180, 166, 211, 171, 232, 252, 176, 210, 155, 169])
    passed = np.array([170, 196, 131, 180, 163, 0, 131, 191, 177, 168, 195, 175, 203, 190, 165,
                       139, 119, 155, 126, 158, 182, 129, 156, 117, 127])
    lam, L, k = 0.2, 3.0, 15
    keep = n > 0
    nk, pk = n[keep], passed[keep] / n[keep]
    base = slice(0, k)  # first 15 non-empty subgroups
    pbar = passed[keep][base].sum() / nk[base].sum()
    nbar = nk[base].mean()
    sbar = np.sqrt(pbar * (1 - pbar) / nbar)
    # z_i = lam p_i + (1 - lam) z_{i-1}, z_0 = pbar
    stat, _ = lfilter([lam], [1, -(1 - lam)], pk, zi=[(1 - lam) * pbar])
    i = np.arange(1, len(pk) + 1)
    half = L * sbar * np.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * i)))
    labels = [f"2025-05-{d:02d}" for d in range(1, len(n) + 1)]
    return {
        "source": "constructed (numpy Generator(seed 7): 14 days at p = 0.78 then 10 at 0.74, "
                  "one empty day inserted at index 5, then hard-coded); EWMA via scipy lfilter",
        "lambda": lam,
        "L": L,
        "baseline_first_non_empty": k,
        "labels": labels,
        "n": n.tolist(),
        "passed": passed.tolist(),
        "center": pbar,
        "n_bar": nbar,
        "ewma": stat.tolist(),
        "lcl": np.clip(pbar - half, 0, 1).tolist(),
        "ucl": np.clip(pbar + half, 0, 1).tolist(),
        "flagged_days": [labels[j] for j, (s, lo, hi) in
                         zip(np.nonzero(keep)[0], zip(stat, pbar - half, pbar + half))
                         if s < lo or s > hi],
    }


def main():
    refs = {
        "generated_by": "tools/reference/spc_refs.py",
        "montgomery_7_1": montgomery(),
        "laney": laney(),
        "ewma": ewma(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(refs, indent=1) + "\n")
    print(f"wrote {OUT}")
    print("laney sigma_z", refs["laney"]["sigma_z"])
    print("ewma flagged", refs["ewma"]["flagged_days"])


if __name__ == "__main__":
    main()
