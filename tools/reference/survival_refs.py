#!/usr/bin/env python3
"""Reference values for crates/yieldline-stats/src/survival.rs (competing risks).

Writes crates/yieldline-stats/tests/fixtures/survival_refs.json, which
crates/yieldline-stats/tests/survival_reference.rs checks case by case.

For every case (hand-made edge cases and seeded random cohorts with
day-rounded times) the fixture holds the observations and:

* the Aalen-Johansen cumulative incidence of each cause with its pointwise
  confidence interval from scikit-survival's
  ``cumulative_incidence_competing_risks(event, time, conf_type="log-log",
  var_type="Aalen", conf_level=...)`` (Aalen variance, log(-log) transform),
  plus the Aalen variance itself, at every distinct time and at the horizons
  [7, 14, 30, 60, 90] days;
* the Kaplan-Meier survival of "any disposition" with its log(-log)
  Greenwood interval from ``kaplan_meier_estimator(event > 0, time,
  conf_type="log-log")``, at every distinct time and at the horizons;
* the median: the smallest time with S(t) <= 1/2 (lifelines' convention,
  ``KaplanMeierFitter.median_survival_time_``; null when never reached).

Coding: sksurv codes event 0 as censored and causes 1..K; the Rust crate uses
``None`` for censored and causes 0..K-1.

Two sksurv 0.28 limitations are worked around (and recorded per case in
``"sksurv_path"``):

* ``cumulative_incidence_competing_risks`` raises unless every cause
  1..max(event) occurs, and breaks (broadcast/index error) when the largest
  event code is 1 or 0 (a single cause, all censored, one visit) because
  ``_compute_counts`` then treats the event array as boolean.
  With two or more causes present, absent causes are relabelled away
  (``"public_relabelled"``), the public function is called, and the absent
  causes get CIF 0, variance 0 and interval [0, 0] -- exactly what sksurv's
  formulas give a cause without events. With fewer than two causes present
  (``"building_blocks"``), the counts come from sksurv's own
  ``_compute_counts`` (one boolean call per cause), and sksurv's
  ``_var_aalen`` / ``_cum_inc_cr_ci_estimator`` are applied with the four
  lines of glue copied from ``cumulative_incidence_competing_risks``. The
  script checks that this path reproduces the public function exactly on
  every case the public function accepts.
* Horizons: sksurv returns values at its distinct times only; the script
  evaluates the right-continuous step function (value at the largest
  distinct time <= horizon; CIF 0 / S 1 with degenerate intervals before the
  first time; the last value after the last time).

Median and floating point: with small integer risk sets the KM product often
equals 1/2 exactly (10 visits, 5 dispositions), and then both sksurv's
``cumprod`` and lifelines' ``exp(cumsum(log))`` land one ulp either side of
0.5 depending on the case, so "S(t) <= 0.5" in floating point picks the next
time in a few percent of small cases. ``"median"`` is therefore decided in
exact rational arithmetic (``fractions.Fraction`` over counts taken
independently with ``collections.Counter``); lifelines' value is stored as
``"median_lifelines"`` and the script asserts that it agrees whenever no
exact 1/2 occurs (``"half_tie": false``).

Run from the repository root, in a venv outside the repository:
    python3 -m venv /tmp/survenv
    /tmp/survenv/bin/pip install scikit-survival lifelines
    /tmp/survenv/bin/python tools/reference/survival_refs.py
"""

import json
import math
import platform
import sys
import warnings
from collections import Counter
from fractions import Fraction
from pathlib import Path

import lifelines
import numpy as np
import sksurv
from lifelines import KaplanMeierFitter
from scipy import stats
from sksurv.nonparametric import (
    _compute_counts,
    _cum_inc_cr_ci_estimator,
    _var_aalen,
    cumulative_incidence_competing_risks,
    kaplan_meier_estimator,
)

OUT = Path(__file__).resolve().parents[2] / "crates/yieldline-stats/tests/fixtures/survival_refs.json"
HORIZONS = [7.0, 14.0, 30.0, 60.0, 90.0]
DEFAULT_LEVELS = [0.95]

warnings.simplefilter("ignore")  # lifelines / numpy warnings on tiny samples are expected


def num(x):
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"non-finite reference value {x}")
    return x


def nums(a):
    return [num(x) for x in np.asarray(a).ravel()]


def building_blocks(event, time, k, conf_level):
    """CIF, Aalen variance and log-log CI from sksurv's private building blocks."""
    # counts from sksurv's own routine: total, then one boolean call per cause
    uniq_times, n_total, n_at_risk, _ = _compute_counts(event > 0, time)
    cols = [n_total]
    for cause in range(1, k + 1):
        t_c, n_c, r_c, _ = _compute_counts(event == cause, time)
        assert np.array_equal(t_c, uniq_times) and np.array_equal(r_c, n_at_risk)
        cols.append(n_c)
    n_events_cr = np.column_stack(cols).astype(int)
    # glue copied from sksurv.nonparametric.cumulative_incidence_competing_risks
    n_t = uniq_times.shape[0]
    ratio = np.divide(
        n_events_cr,
        n_at_risk[..., np.newaxis],
        out=np.zeros((n_t, k + 1), dtype=float),
        where=n_events_cr != 0,
    )
    kpe = np.cumprod(1.0 - ratio[:, 0])
    kpe_prime = np.r_[1.0, kpe[:-1]]
    cum_inc = np.empty((k + 1, n_t), dtype=float)
    cum_inc[0] = 1.0 - kpe
    cum_inc[1:] = np.cumsum((ratio[:, 1:].T * kpe_prime), axis=1)
    var = _var_aalen(n_events_cr, kpe_prime, n_at_risk, cum_inc)
    ci = _cum_inc_cr_ci_estimator(cum_inc[1:], var, conf_level, "log-log")
    return uniq_times, cum_inc[1:], var, ci, kpe


def public(event, time, k, conf_level):
    """sksurv's public function, relabelling absent causes away; None if it cannot run."""
    present = sorted(set(int(e) for e in event if e > 0))
    if len(present) < 2:
        return None
    relabel = {c: i + 1 for i, c in enumerate(present)}
    ev = np.array([relabel.get(int(e), 0) for e in event], dtype=int)
    t, cif, ci = cumulative_incidence_competing_risks(ev, time, conf_type="log-log", conf_level=conf_level, var_type="Aalen")
    n_t = t.shape[0]
    full_cif = np.zeros((k, n_t))
    full_ci = np.zeros((k, 2, n_t))
    for c, i in relabel.items():
        full_cif[c - 1] = cif[i]
        full_ci[c - 1] = ci[i]
    return t, full_cif, full_ci, len(present) < k


def step_index(times, h):
    """Index of the largest distinct time <= h, or -1 before the first time."""
    return int(np.searchsorted(times, h, side="right")) - 1


def at_horizons(times, values, before):
    out = []
    for h in HORIZONS:
        i = step_index(times, h)
        out.append(before if i < 0 else float(values[i]))
    return out


def exact_median(time, event):
    """Smallest distinct time with prod (n - d)/n <= 1/2 in rational arithmetic."""
    exits = Counter(float(t) for t in time)
    deaths = Counter(float(t) for t, e in zip(time, event) if e > 0)
    at_risk = len(time)
    s = Fraction(1)
    half_tie = False
    for t in sorted(exits):
        d = deaths.get(t, 0)
        if d:
            s *= Fraction(at_risk - d, at_risk)
            if s == Fraction(1, 2):
                half_tie = True
            if s <= Fraction(1, 2):
                return t, half_tie
        at_risk -= exits[t]
    return None, half_tie


def lifelines_median(time, event):
    m = KaplanMeierFitter().fit(time, event > 0).median_survival_time_
    return None if math.isinf(m) else float(m)


def build_case(name, time, event, k, levels=DEFAULT_LEVELS, note=""):
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=int)
    assert time.shape == event.shape and event.min() >= 0 and event.max() <= k
    case = {"name": name, "note": note, "n_causes": k, "time": nums(time), "event": [int(e) for e in event],
            "horizons": HORIZONS}

    km_t, km_s = kaplan_meier_estimator(event > 0, time)
    case["distinct_times"] = nums(km_t)
    case["survival"] = nums(km_s)
    case["survival_at_horizons"] = at_horizons(km_t, km_s, 1.0)

    bb_ci = {}
    for level in levels:
        uniq, cif, var, ci, kpe = building_blocks(event, time, k, level)
        assert np.array_equal(uniq, km_t)
        assert np.array_equal(kpe, km_s), "KM inside the CIF differs from kaplan_meier_estimator"
        pub = public(event, time, k, level)
        if pub is not None:
            p_t, p_cif, p_ci, relabelled = pub
            assert np.array_equal(p_t, uniq)
            assert np.array_equal(p_cif, cif), f"{name}: building blocks differ from the public CIF"
            assert np.allclose(p_ci, ci, rtol=1e-14, atol=0), f"{name}: building blocks differ from the public CI"
            path = "public_relabelled" if relabelled else "public"
            cif_src, ci_src = p_cif, p_ci
        else:
            path = "building_blocks"
            cif_src, ci_src = cif, ci
        if k == 1 or (event > 0).sum() == 0 or len(set(event[event > 0])) == 1:
            # one cause carries every event: its CIF is 1 - KM
            c = int(event.max()) if event.max() > 0 else 1
            assert np.allclose(cif_src[c - 1], 1.0 - km_s, rtol=0, atol=1e-12)
        case["sksurv_path"] = path
        case["cif"] = [nums(cif_src[c]) for c in range(k)]
        case["cif_variance"] = [nums(var[c]) for c in range(k)]
        case["cif_at_horizons"] = [at_horizons(uniq, cif_src[c], 0.0) for c in range(k)]
        bb_ci[str(level)] = {
            "conf_level": level,
            "z": num(stats.norm.isf((1.0 - level) / 2.0)),
            "cif_lo": [nums(ci_src[c, 0]) for c in range(k)],
            "cif_hi": [nums(ci_src[c, 1]) for c in range(k)],
            "cif_lo_at_horizons": [at_horizons(uniq, ci_src[c, 0], 0.0) for c in range(k)],
            "cif_hi_at_horizons": [at_horizons(uniq, ci_src[c, 1], 0.0) for c in range(k)],
        }
        _, _, s_ci = kaplan_meier_estimator(event > 0, time, conf_type="log-log", conf_level=level)
        bb_ci[str(level)]["survival_lo"] = nums(s_ci[0])
        bb_ci[str(level)]["survival_hi"] = nums(s_ci[1])
        bb_ci[str(level)]["survival_lo_at_horizons"] = at_horizons(km_t, s_ci[0], 1.0)
        bb_ci[str(level)]["survival_hi_at_horizons"] = at_horizons(km_t, s_ci[1], 1.0)
    case["intervals"] = list(bb_ci.values())

    med, half_tie = exact_median(time, event)
    ll = lifelines_median(time, event)
    fl = np.nonzero(km_s <= 0.5)[0]
    case["median"] = med
    case["half_tie"] = half_tie
    case["median_lifelines"] = ll
    case["median_sksurv_float_rule"] = float(km_t[fl[0]]) if fl.size else None
    if not half_tie:
        assert ll == med, f"{name}: lifelines median {ll} vs exact {med} without an exact 1/2"
    return case


def hand_cases():
    c = []
    c.append(build_case(
        "ties_across_causes",
        [1, 1, 1, 2, 2, 3, 3, 3, 3, 5, 8, 8, 13],
        [1, 2, 3, 1, 1, 2, 3, 3, 0, 1, 2, 0, 3], 3,
        note="events of different causes at one time"))
    c.append(build_case(
        "ties_event_censor",
        [2, 2, 2, 2, 4, 4, 4, 6, 6, 6, 6, 9, 9],
        [1, 0, 0, 2, 3, 0, 1, 0, 2, 2, 0, 0, 1], 3,
        note="censorings tied with events: still at risk at that time"))
    c.append(build_case("all_censored", [3, 5, 5, 8, 21], [0, 0, 0, 0, 0], 3,
                        note="no events: CIF 0 with [0,0], S 1 with [1,1], median null"))
    c.append(build_case("one_visit_event", [5], [2], 3, note="one visit, cause 2 of 3"))
    c.append(build_case("one_visit_censored", [5], [0], 3))
    c.append(build_case("one_visit_time_zero", [0], [1], 3, note="disposed at entry"))
    c.append(build_case(
        "time_zero_events",
        [0, 0, 0, 0, 1, 1, 2, 4, 4, 7, 30],
        [1, 2, 0, 1, 3, 0, 1, 2, 0, 3, 0], 3,
        note="events and a censoring at time 0"))
    for name, times, events, k, note in [
        ("single_cause", [1, 2, 2, 3, 5, 5, 5, 8, 10, 12, 15, 15],
         [1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1], 1,
         "K = 1: the CIF is 1 - KM"),
        ("missing_cause", [1, 2, 3, 3, 4, 6, 6, 9, 11, 14],
         [1, 3, 1, 0, 3, 3, 1, 0, 1, 0], 3,
         "cause 2 never occurs"),
        ("one_cause_present_of_three", [1, 2, 3, 3, 4, 6],
         [3, 3, 0, 3, 0, 3], 3,
         "only cause 3 occurs"),
        ("all_dispositions_at_one_time", [4, 4, 4, 4, 4, 4, 4],
         [1, 2, 2, 3, 3, 3, 1], 3,
         "S drops to 0 at once; CIF = shares"),
        ("ends_with_zero_survival", [1, 2, 2, 3, 4, 6, 6],
         [2, 1, 0, 3, 0, 1, 2], 3,
         "the last risk set is all disposed"),
        ("median_never_reached", [1, 2, 3, 3, 4, 5, 6, 7, 8, 9],
         [1, 0, 0, 2, 0, 3, 0, 0, 0, 0], 3,
         "S ends at 0.9 * 6/7 * 4/5 > 1/2"),
    ]:
        c.append(build_case(name, times, events, k, note=note))
    n = 24
    c.append(build_case(
        "median_exact_half_24", list(range(1, n + 1)), [i % 3 + 1 for i in range(n)], 3,
        note="S(12) = 1/2 exactly; sksurv's cumprod gives 0.5000000000000001 there"))
    n = 6
    c.append(build_case(
        "median_exact_half_6", list(range(1, n + 1)), [i % 3 + 1 for i in range(n)], 3,
        note="S(3) = 1/2 exactly; lifelines' exp(sum log) gives just above 0.5 there"))
    c.append(build_case(
        "median_exact_half_censored",
        [1, 1, 2, 3, 4, 6, 6, 8],
        [0, 0, 1, 2, 3, 1, 0, 2], 3,
        note="S(4) = 5/6 * 4/5 * 3/4 = 1/2 exactly after two censorings"))
    c.append(build_case(
        "zero_aalen_variance",
        [0, 0, 3],
        [2, 1, 2], 2,
        note="Aalen's variance of cause 2 is exactly 0 at t = 3 while its CIF is 2/3: the interval collapses"))
    c.append(build_case(
        "negative_aalen_variance",
        [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2],
        [2, 2, 2, 0, 3, 1, 1, 3, 1, 2, 3], 3,
        note="Aalen's variance of cause 3 is negative at t = 2: the interval collapses; sksurv's exp(log p) "
             "is one ulp above p there, the Rust crate returns [p, p]"))
    c.append(build_case(
        "fractional_times",
        [0.25, 0.5, 0.5, 1.75, 2.0, 2.0, 3.125, 7.5, 7.5, 10.0, 31.5, 61.25, 95.0],
        [1, 2, 0, 3, 1, 1, 0, 2, 3, 0, 1, 2, 0], 3,
        levels=[0.95, 0.90, 0.99]))
    c.append(build_case(
        "five_causes",
        [1, 1, 2, 3, 3, 3, 5, 6, 8, 8, 9, 12, 15, 20, 20, 33],
        [1, 5, 2, 3, 4, 0, 5, 1, 2, 0, 4, 3, 0, 5, 1, 0], 5))
    return c


def random_cohort(seed, n, k, continuous_censoring=False, open_share=0.25):
    """A cohort entering over 60 days, followed to day 120; latent day-rounded times per cause."""
    rng = np.random.default_rng(seed)
    entry = rng.uniform(0.0, 60.0, n)
    follow = 120.0 - entry  # open visits are censored at the as-of instant
    shapes = [(1.5, 10.0), (1.0, 40.0), (2.0, 25.0), (0.8, 60.0), (3.0, 8.0)][:k]
    latent = np.stack([rng.gamma(a, s, n) for a, s in shapes])
    cause = latent.argmin(axis=0) + 1
    t_event = latent.min(axis=0)
    never = rng.random(n) < open_share  # stays open however long we wait
    t_event[never] = np.inf
    t_event = np.floor(t_event)  # day-rounded dispositions: many ties
    censor = follow if continuous_censoring else np.floor(follow)
    observed = t_event <= censor
    time = np.where(observed, t_event, censor)
    event = np.where(observed, cause, 0)
    return time, event


def random_cases():
    c = []
    specs = [
        (101, 50, 3, False, [0.95]),
        (102, 200, 3, False, [0.95, 0.90, 0.99]),
        (103, 500, 3, True, [0.95]),
        (104, 1000, 3, False, [0.95]),
        (105, 2000, 3, False, [0.95]),
        (106, 2000, 3, True, [0.95, 0.99]),
        (107, 300, 2, False, [0.95]),
        (108, 300, 5, False, [0.95]),
        (109, 150, 1, False, [0.95]),
    ]
    for seed, n, k, cont, levels in specs:
        time, event = random_cohort(seed, n, k, cont)
        c.append(build_case(f"random_seed{seed}_n{n}_k{k}{'_contcens' if cont else ''}", time, event, k, levels=levels,
                            note="day-rounded dispositions" + (", continuous censoring" if cont else ", day-rounded censoring")))
    return c


def main():
    doc = {
        "generator": "tools/reference/survival_refs.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": __import__("scipy").__version__,
            "scikit-survival": sksurv.__version__,
            "lifelines": lifelines.__version__,
        },
        "cases": hand_cases() + random_cases(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=None, separators=(",", ":"), allow_nan=False) + "\n")
    n_tie = sum(c["half_tie"] for c in doc["cases"])
    n_ll = sum(c["median"] != c["median_lifelines"] for c in doc["cases"])
    n_sk = sum(c["median"] != c["median_sksurv_float_rule"] for c in doc["cases"])
    print(f"wrote {OUT}: {len(doc['cases'])} cases, {n_tie} with an exact 1/2 "
          f"(lifelines differs in {n_ll}, sksurv float rule in {n_sk})", file=sys.stderr)


if __name__ == "__main__":
    main()
