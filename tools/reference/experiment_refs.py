#!/usr/bin/env python3
"""Reference values for crates/yieldline-stats (experiment statistics).

Writes crates/yieldline-stats/tests/fixtures/experiment_refs.json, which
crates/yieldline-stats/tests/reference.rs checks case by case.

Every value comes from the library routine the Rust function promises to
mirror (scipy / statsmodels / numpy). Non-finite library outputs (nan, inf)
are stored as the strings "nan", "inf", "-inf" (JSON has no NaN) next to the
behaviour the Rust crate documents for that case.

Run from the repository root:  python3 tools/reference/experiment_refs.py
"""

import json
import math
import platform
import sys
import warnings
from pathlib import Path

import mpmath
import numpy as np
import scipy
import statsmodels
from scipy import integrate, stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

OUT = Path(__file__).resolve().parents[2] / "crates/yieldline-stats/tests/fixtures/experiment_refs.json"

warnings.simplefilter("ignore")  # statsmodels/numpy divide-by-zero warnings are expected here


def num(x):
    """Float for JSON; non-finite values become strings."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def finite(*xs):
    return all(math.isfinite(float(x)) for x in xs)


# (k1, n1, k2, n2): treatment first, control second.
PAIRS = [
    (3, 10, 5, 10),  # small counts
    (0, 10, 3, 10),  # zero successes in treatment
    (3, 10, 0, 10),  # zero successes in control
    (0, 10, 0, 10),  # zero in both
    (0, 1, 0, 1),
    (10, 10, 10, 10),  # all successes in both
    (10, 10, 5, 10),  # all successes in one
    (5, 10, 10, 10),
    (1, 1, 0, 1),
    (37, 400, 37, 400),  # equal arms
    (12, 40, 7, 55),  # unequal n
    (2, 15, 9, 31),
    (45, 200, 30, 180),
    (130, 1000, 100, 1000),
    (1, 100000, 0, 100000),
    (10000, 100000, 9700, 100000),  # large n
    (5012, 100000, 4950, 100000),
    (24000, 100000, 25100, 120000),
    (99990, 100000, 99980, 100000),
]
ALPHAS = [0.05, 0.10, 0.01]


def wilson_cases():
    singles = sorted({(k, n) for k1, n1, k2, n2 in PAIRS for k, n in ((k1, n1), (k2, n2))})
    singles += [(12, 40), (1, 3), (50000, 100000), (17, 1000000)]
    out = []
    for k, n in singles:
        for alpha in ALPHAS:
            lo, hi = proportion_confint(k, n, alpha=alpha, method="wilson")
            out.append({"k": k, "n": n, "alpha": alpha, "z": float(stats.norm.isf(alpha / 2)), "lo": num(lo), "hi": num(hi)})
    return out


def twosample_cases():
    out = []
    for k1, n1, k2, n2 in PAIRS:
        for alpha in ALPHAS:
            # numpy float inputs so statsmodels returns nan/inf instead of raising
            f = [np.float64(v) for v in (k1, n1, k2, n2)]
            try:  # with plain integers statsmodels raises on zero counts
                confint_proportions_2indep(k1, n1, k2, n2, method="log", compare="ratio", alpha=alpha)
                int_input = "ok"
            except ZeroDivisionError:
                int_input = "ZeroDivisionError"
            nl, nh = confint_proportions_2indep(*f, method="newcomb", compare="diff", alpha=alpha)
            rl, rh = confint_proportions_2indep(*f, method="log", compare="ratio", alpha=alpha)
            al, ah = confint_proportions_2indep(*f, method="log-adjusted", compare="ratio", alpha=alpha)
            case = {
                "k1": k1, "n1": n1, "k2": k2, "n2": n2, "alpha": alpha,
                "newcombe": {"lo": num(nl), "hi": num(nh)},
                "ratio_log": {"lo": num(rl), "hi": num(rh), "expect_error": not finite(rl, rh),
                              "statsmodels_int_input": int_input},
                "ratio_log_adjusted": {"lo": num(al), "hi": num(ah)},
            }
            if alpha == 0.05:
                z, p = proportions_ztest([k1, k2], [n1, n2])
                case["ztest"] = {
                    "statsmodels_z": num(z), "statsmodels_p": num(p),
                    # documented behaviour for the degenerate pooled p = 0 or 1
                    "z": num(z) if finite(z, p) else 0.0,
                    "p_value": num(p) if finite(z, p) else 1.0,
                    "degenerate": not finite(z, p),
                }
            out.append(case)
    return out


def miller_sum(aa, ba, ab, bb):
    """P(B > A), A~Beta(aa,ba), B~Beta(ab,bb): Evan Miller's sum, each term via lgamma."""
    lg = math.lgamma

    def lbeta(a, b):
        return lg(a) + lg(b) - lg(a + b)

    norm = lbeta(aa, ba)
    logs = [lbeta(aa + i, ba + bb) - math.log(bb + i) - lbeta(1 + i, bb) - norm for i in range(ab)]
    m = max(logs)
    return math.exp(m) * math.fsum(math.exp(l - m) for l in logs)


def miller_mpmath(aa, ba, ab, bb, dps=40):
    """P(B > A) by Evan Miller's sum at `dps` digits: first term via loggamma,
    the rest by the exact term ratio (aa+i)(bb+i) / ((aa+ba+bb+i)(1+i))."""
    with mpmath.workdps(dps):
        aa, ba, bb = mpmath.mpf(aa), mpmath.mpf(ba), mpmath.mpf(bb)
        lg = mpmath.loggamma
        t = mpmath.exp(lg(ba + bb) + lg(aa + ba) - lg(ba) - lg(aa + ba + bb))
        total = t
        c = aa + ba + bb
        for i in range(ab - 1):
            t = t * (aa + i) * (bb + i) / ((c + i) * (1 + i))
            total += t
        return total


def beats_mpmath(k1, n1, k2, n2):
    """High-precision P(p1 > p2); sums over the smaller of a1 / a2."""
    a1, b1, a2, b2 = 1 + k1, 1 + n1 - k1, 1 + k2, 1 + n2 - k2
    with mpmath.workdps(40):
        if a1 <= a2:
            return float(miller_mpmath(a2, b2, a1, b1))
        return float(1 - miller_mpmath(a1, b1, a2, b2))


def beats_quad(k1, n1, k2, n2):
    """P(p1 > p2) = ∫ f1(x) F2(x) dx by adaptive quadrature over the bulk of X."""
    x = stats.beta(1 + k1, 1 + n1 - k1)
    y = stats.beta(1 + k2, 1 + n2 - k2)
    lo, hi = x.ppf(1e-15), x.isf(1e-15)
    pts = sorted({x.mean(), y.mean(), x.median()} & {v for v in (x.mean(), y.mean(), x.median()) if lo < v < hi})
    val, err = integrate.quad(lambda t: x.pdf(t) * y.cdf(t), lo, hi, points=pts or None,
                              epsabs=1e-13, epsrel=1e-12, limit=500)
    return val, err


def chance_cases():
    pairs = list(PAIRS) + [(5975, 11907, 15811, 28944), (100, 100000, 180, 100000), (500000, 1000000, 499000, 1000000), (3, 4, 0, 0), (0, 0, 0, 0)]
    out = []
    for k1, n1, k2, n2 in pairs:
        q, err = beats_quad(k1, n1, k2, n2)
        a1, b1, a2, b2 = 1 + k1, 1 + n1 - k1, 1 + k2, 1 + n2 - k2
        # independent second method; sum over the smaller of a1 / a2
        ms = miller_sum(a2, b2, a1, b1) if a1 <= a2 else 1.0 - miller_sum(a1, b1, a2, b2)
        assert abs(ms - q) < 1e-8, (k1, n1, k2, n2, q, ms)
        hp = beats_mpmath(k1, n1, k2, n2)
        assert abs(hp - q) < 1e-9, (k1, n1, k2, n2, q, hp)
        out.append({"k1": k1, "n1": n1, "k2": k2, "n2": n2, "p": q, "quad_abserr": err,
                    "miller_lgamma": ms, "p_mpmath": hp})
    return out


def srm_cases():
    raw = [
        ([1000, 1000], [1, 1]),
        ([1050, 950], [0.5, 0.5]),
        ([500, 300, 200], [0.5, 0.3, 0.2]),
        ([520, 280, 200], [5, 3, 2]),
        ([10, 0], [1, 1]),
        ([5000, 5200, 4800], [1, 1, 1]),
        ([99000, 101000], [1, 1]),
        ([2000, 1000], [2, 1]),
        ([7, 3], [0.9, 0.1]),
        ([50500, 49500], [0.5, 0.5]),
    ]
    out = []
    for counts, w in raw:
        c = np.asarray(counts, dtype=float)
        w_ = np.asarray(w, dtype=float)
        p = stats.chisquare(c, f_exp=c.sum() * w_ / w_.sum()).pvalue
        out.append({"counts": counts, "weights": [float(v) for v in w], "p": num(p)})
    errors = [
        {"counts": [1, 2], "weights": [1.0], "error": "LengthMismatch"},
        {"counts": [1, 2], "weights": [1.0, -1.0], "error": "InvalidWeight"},
        {"counts": [1, 2], "weights": [0.0, 0.0], "error": "InvalidWeight"},
        {"counts": [0, 0], "weights": [1.0, 1.0], "error": "ZeroTotal"},
        {"counts": [4], "weights": [1.0], "error": "TooFew"},
    ]
    return out, errors


def cluster_cases():
    rng = np.random.default_rng(20240601)
    out = []
    for m in (2, 3, 5, 50, 500):
        for arm in ("treat", "control"):
            size = rng.integers(1, 12, size=m).astype(float)
            p_acc = rng.beta(2, 8 if arm == "control" else 6, size=m)
            y = rng.binomial(size.astype(int), p_acc).astype(float)
            ratio = y.sum() / size.sum()
            xbar = size.mean()
            s_y2 = np.var(y, ddof=1)
            s_x2 = np.var(size, ddof=1)
            s_xy = np.cov(y, size, ddof=1)[0, 1]
            var = (s_y2 - 2 * ratio * s_xy + ratio**2 * s_x2) / (m * xbar**2)
            out.append({"m": m, "arm": arm, "clusters": [[float(a), float(b)] for a, b in zip(y, size)],
                        "ratio": float(ratio), "variance": float(var)})
    diffs = []
    for i in range(0, len(out), 2):
        t, c = out[i], out[i + 1]
        for alpha in ALPHAS:
            d = t["ratio"] - c["ratio"]
            se = math.sqrt(t["variance"] + c["variance"])
            z = d / se
            zc = stats.norm.isf(alpha / 2)
            diffs.append({"treat": i, "control": i + 1, "alpha": alpha, "diff": d, "z": z,
                          "p_value": float(2 * stats.norm.sf(abs(z))), "lo": d - zc * se, "hi": d + zc * se})
    return out, diffs


def sequential_cases():
    """Independent straight-line implementation of the mixture SPRT (see sequential.rs)."""
    rng = np.random.default_rng(7)
    out = []
    for tau2, p1, p2, days, per_day in [(1e-4, 0.10, 0.10, 30, 100), (1e-4, 0.13, 0.10, 20, 150),
                                        (4e-4, 0.05, 0.08, 15, 80), (1e-4, 0.0, 0.0, 3, 50)]:
        k1 = n1 = k2 = n2 = 0
        looks, ps, p = [], [], 1.0
        for _ in range(days):
            n1 += per_day
            n2 += per_day
            k1 += int(rng.binomial(per_day, p1))
            k2 += int(rng.binomial(per_day, p2))
            looks.append([k1, n1, k2, n2])
            q1, q2 = k1 / n1, k2 / n2
            v = q1 * (1 - q1) / n1 + q2 * (1 - q2) / n2
            if v > 0:
                th = q1 - q2
                lam = math.sqrt(v / (v + tau2)) * math.exp(tau2 * th * th / (2 * v * (v + tau2)))
                p = min(p, 1 / lam)
            ps.append(p)
        out.append({"tau2": tau2, "looks": looks, "p_values": ps})
    return out


def quantile_cases():
    rng = np.random.default_rng(11)
    out = []
    for n in (1, 2, 3, 10, 101):
        a = np.sort(rng.gamma(2.0, 3.0, size=n))
        qs = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0, 1 / 3]
        out.append({"data": a.tolist(), "qs": qs, "quantiles": [float(np.quantile(a, q)) for q in qs],
                    "mean": float(np.mean(a))})
    return out


def main():
    srm, srm_errors = srm_cases()
    clusters, cluster_diffs = cluster_cases()
    doc = {
        "generator": "tools/reference/experiment_refs.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "statsmodels": statsmodels.__version__,
            "mpmath": mpmath.__version__,
        },
        "z95": float(stats.norm.isf(0.025)),
        "wilson": wilson_cases(),
        "twosample": twosample_cases(),
        "chance_to_beat": chance_cases(),
        "srm": srm,
        "srm_errors": srm_errors,
        "cluster_ratio": clusters,
        "cluster_diff": cluster_diffs,
        "sequential": sequential_cases(),
        "quantile": quantile_cases(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
