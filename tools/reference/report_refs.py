#!/usr/bin/env python3
"""Independent reference computation of the Yieldline line report (pandas).

Generates a deterministic, random-but-realistic event log for a 4-station line
(research -> first-touch -> reply -> meeting, America/New_York, Mon-Fri) plus a
territory, then computes the line report for two periods straight from the
public definitions (DESIGN.md section 4 + the fixture brief), without looking at
the Rust implementation.

Outputs (default: crates/yieldline-core/tests/fixtures/report_random/):
    line.toml, territory.csv, events.csv (rows shuffled),
    expected_default.json, expected_mar10_apr04.json, README.md

Usage:  python3 tools/reference/report_refs.py [--out DIR] [--seed N]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

try:  # statsmodels is preferred for the Wilson interval, formula is the fallback
    from statsmodels.stats.proportion import proportion_confint
    import statsmodels

    HAVE_SM = True
except Exception:  # pragma: no cover
    HAVE_SM = False

# --------------------------------------------------------------------------- #
# Line definition
# --------------------------------------------------------------------------- #
LINE_NAME = "reference"
TZ_NAME = "America/New_York"
TZ = ZoneInfo(TZ_NAME)
UTC = dt.timezone.utc
WORKING_DAYS = ["mon", "tue", "wed", "thu", "fri"]
WEEKDAY_IDX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
TARGET_PER_DAY = 2
STATIONS = [
    # id, operator, capacity_per_day
    ("research", "human", 40),
    ("first-touch", "automation", 120),
    ("reply", "human", 15),
    ("meeting", "human", 6),
]
STATION_IDS = [s[0] for s in STATIONS]
CAPACITY = {s[0]: s[2] for s in STATIONS}
DISPOSITIONS = ("passed", "failed", "recycled")
BURN_REASONS = ("optout", "bounced", "negative")
Z95 = 1.959963984540054

COLUMNS = [
    "event_id", "ts", "unit_id", "account_id", "station", "kind", "reason",
    "resume_on", "referral_unit_id", "channel", "operator_id", "operator_kind",
    "arm", "cost_minutes",
]

SIM_START = dt.date(2025, 2, 17)           # Monday
LAST_START = dt.date(2025, 4, 10)          # last day a territory unit may start
CUTOFF = dt.datetime(2025, 4, 12, 12, 0, tzinfo=TZ)  # log ends (Sat noon local)


# --------------------------------------------------------------------------- #
# Generation
# --------------------------------------------------------------------------- #
class Gen:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.rows: list[dict] = []
        self.used_ids: set[str] = set()
        self.ref_counter = 0

    # -- helpers ----------------------------------------------------------- #
    def new_id(self) -> str:
        while True:
            eid = "ev-" + "".join(self.rng.choice(list("0123456789abcdef"), 8))
            if eid not in self.used_ids:
                self.used_ids.add(eid)
                return eid

    def fmt_ts(self, t: dt.datetime, style: str | None = None) -> str:
        """RFC 3339, whole seconds. Styles: Z, local offset, fixed -05:00."""
        t = t.astimezone(UTC)
        if style is None:
            r = self.rng.random()
            style = "Z" if r < 0.45 else ("local" if r < 0.9 else "est")
        if style == "Z":
            return t.strftime("%Y-%m-%dT%H:%M:%SZ")
        if style == "local":
            return t.astimezone(TZ).isoformat(timespec="seconds")
        if style == "edt":
            return t.astimezone(dt.timezone(dt.timedelta(hours=-4))).isoformat(timespec="seconds")
        # "est": always -05:00, even in summer time (still a valid instant)
        return t.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat(timespec="seconds")

    def add(self, t: dt.datetime, unit: str, account: str, station: str, kind: str,
            eid: str | None = None, style: str | None = None, **kw) -> dict:
        if eid is None:
            eid = self.new_id()
        else:
            assert eid not in self.used_ids, eid
            self.used_ids.add(eid)
        row = {c: "" for c in COLUMNS}
        row.update(event_id=eid, ts=self.fmt_ts(t, style), unit_id=unit,
                   account_id=account, station=station, kind=kind)
        for k, v in kw.items():
            row[k] = "" if v is None else str(v)
        row["_t"] = t.astimezone(UTC)
        self.rows.append(row)
        return row

    def work_time(self, day: dt.date, lo=8.0, hi=18.0) -> dt.datetime:
        """Random local wall time on `day` between lo and hi hours."""
        secs = int(self.rng.uniform(lo * 3600, hi * 3600))
        return dt.datetime(day.year, day.month, day.day, tzinfo=TZ) + dt.timedelta(seconds=secs)

    @staticmethod
    def next_workday(day: dt.date) -> dt.date:
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return day

    def later(self, t: dt.datetime, min_days: int, max_days: int, night_p=0.0) -> dt.datetime:
        """A time after t, min..max working-ish days later (same day allowed)."""
        d = int(self.rng.integers(min_days, max_days + 1))
        if d == 0:
            cand = t + dt.timedelta(minutes=float(self.rng.uniform(5, 240)))
            return cand
        day = self.next_workday(t.astimezone(TZ).date() + dt.timedelta(days=d))
        if self.rng.random() < night_p:  # automation at odd hours
            return self.work_time(day, 0.0, 24.0 - 1e-3)
        return self.work_time(day)

    # -- unit life ---------------------------------------------------------- #
    def op(self, station: str):
        if station == "first-touch":
            if self.rng.random() < 0.8:
                return "seq-bot-" + str(int(self.rng.integers(1, 3))), "automation"
            return "rep-" + str(int(self.rng.integers(1, 5))), "human"
        return "rep-" + str(int(self.rng.integers(1, 5))), "human"

    def run_unit(self, unit: str, account: str, start: dt.datetime, station_idx: int = 0,
                 depth: int = 0):
        """Simulate a unit from `station_idx` on, starting at `start`."""
        rng = self.rng
        t = start
        arm = rng.choice(["A", "B"]) if rng.random() < 0.5 else ""
        for si in range(station_idx, len(STATION_IDS)):
            st = STATION_IDS[si]
            if t > CUTOFF:
                return
            opid, opkind = self.op(st)
            self.add(t, unit, account, st, "entered", operator_id=opid, operator_kind=opkind,
                     arm=arm if st == "first-touch" else "")
            # touches
            n_touch = {"research": int(rng.integers(0, 3)), "first-touch": int(rng.integers(15, 29)),
                       "reply": int(rng.integers(4, 11)), "meeting": int(rng.integers(1, 4))}[st]
            for _ in range(n_touch):
                if rng.random() < 0.7:
                    t = self.later(t, 0, 0)
                else:
                    t = self.later(t, 1, 1, night_p=0.25 if st == "first-touch" else 0.0)
                if t > CUTOFF:
                    return
                opid, opkind = self.op(st)
                self.add(t, unit, account, st, "touch",
                         channel="phone" if st == "research" else
                         rng.choice(["email", "phone"], p=[0.75, 0.25]),
                         operator_id=opid, operator_kind=opkind,
                         arm=arm if st == "first-touch" else "",
                         cost_minutes=int(rng.integers(1, 15)) if opkind == "human" else "")
            # disposition
            t = self.later(t, 0, {"research": 1, "first-touch": 3, "reply": 2, "meeting": 4}[st])
            if t > CUTOFF:
                return  # open visit at the end of the log
            probs = {
                "research": [("passed", None, .74), ("failed", "disqualified", .14), ("recycled", None, .12)],
                "first-touch": [("passed", None, .40), ("failed", "no_response", .30),
                                ("failed", "bounced", .07), ("recycled", None, .13),
                                ("optout", "optout", .10)],
                "reply": [("passed", None, .50), ("failed", "negative", .15),
                          ("failed", "disqualified", .10), ("recycled", None, .25)],
                "meeting": [("passed", None, .60), ("failed", "no_response", .20), ("recycled", None, .20)],
            }[st]
            k = rng.choice(len(probs), p=[p[2] for p in probs])
            kind, reason, _ = probs[k]
            opid, opkind = self.op(st)
            common = dict(operator_id=opid, operator_kind=opkind,
                          cost_minutes=int(rng.integers(2, 30)) if opkind == "human" else "")
            if kind == "optout":
                # explicit optout event, then (usually) a failed/optout disposition
                self.add(t, unit, account, st, "optout", **common)
                if rng.random() < 0.7:
                    t2 = t + dt.timedelta(minutes=float(rng.uniform(1, 600)))
                    if t2 <= CUTOFF:
                        self.add(t2, unit, account, st, "failed", reason="optout", **common)
                return
            if kind == "failed":
                self.add(t, unit, account, st, "failed", reason=reason, **common)
                return
            if kind == "recycled":
                resume = t.astimezone(TZ).date() + dt.timedelta(days=int(rng.integers(5, 60)))
                self.add(t, unit, account, st, "recycled", resume_on=resume.isoformat(), **common)
                back = self.work_time(self.next_workday(resume))
                if back <= CUTOFF and rng.random() < 0.85 and depth < 3:
                    # re-enter at the same station (or research, for the later stations)
                    again = si if (si == 0 or rng.random() < 0.6) else 0
                    self.run_unit(unit, account, back, again, depth + 1)
                return
            # passed
            ref = ""
            if rng.random() < {"research": 0.04, "first-touch": 0.0, "reply": 0.3, "meeting": 0.3}[st]:
                self.ref_counter += 1
                ref = f"x{self.ref_counter:03d}"
            self.add(t, unit, account, st, "passed", referral_unit_id=ref, **common)
            if ref:
                rstart = self.work_time(self.next_workday(
                    t.astimezone(TZ).date() + dt.timedelta(days=int(rng.integers(1, 6)))))
                self.run_unit(ref, account, rstart, 0, depth + 1)
            # next station: enter at the same instant or a bit later
            if rng.random() < 0.3:
                t = t  # same ts as the pass
            else:
                t = self.later(t, 0, 2)


def generate(seed: int):
    g = Gen(seed)
    rng = g.rng
    n_territory = 120
    n_accounts = 30
    tiers = ["A", "B", "C"]
    territory = []
    for i in range(1, n_territory + 1):
        territory.append({"contact_id": f"c{i:03d}",
                          "account_id": f"acct-{int(rng.integers(1, n_accounts + 1)):02d}",
                          "fit_tier": rng.choice(tiers, p=[0.3, 0.45, 0.25])})
    acct = {r["contact_id"]: r["account_id"] for r in territory}

    # 12 contacts never appear (fresh for every period); the rest start spread out
    ids = [r["contact_id"] for r in territory]
    never = set(rng.choice(ids, 12, replace=False).tolist())
    span = (LAST_START - SIM_START).days
    for cid in ids:
        if cid in never:
            continue
        day = g.next_workday(SIM_START + dt.timedelta(days=int(rng.integers(0, span + 1))))
        g.run_unit(cid, acct[cid], g.work_time(day))

    # -- hand-written scenarios (edge cases) ------------------------------ #
    def L(y, mo, d, h=0, mi=0, s=0):
        return dt.datetime(y, mo, d, h, mi, s, tzinfo=TZ)

    def U(y, mo, d, h=0, mi=0, s=0):
        return dt.datetime(y, mo, d, h, mi, s, tzinfo=UTC)

    add = g.add
    # scenario units that are in the territory
    for k, a in [("s01", "acct-31"), ("s02", "acct-31"), ("s03", "acct-32"), ("s04", "acct-32"),
                 ("s05", "acct-33"), ("s06", "acct-33"), ("s07", "acct-34"), ("s08", "acct-34"),
                 ("s09", "acct-35"), ("s10", "acct-35"), ("s13", "acct-36"), ("s14", "acct-36")]:
        territory.append({"contact_id": k, "account_id": a, "fit_tier": "B"})
        acct[k] = a
    # S1: around the DST change at local midnight / 2am on Sunday 2025-03-09
    add(L(2025, 3, 8, 23, 30), "s01", acct["s01"], "research", "entered", style="local")
    add(L(2025, 3, 9, 0, 30), "s01", acct["s01"], "research", "passed", style="est")   # 1h
    add(U(2025, 3, 9, 6, 30), "s01", acct["s01"], "first-touch", "entered", style="est")  # 01:30 EST
    add(U(2025, 3, 9, 7, 30), "s01", acct["s01"], "first-touch", "touch", style="local",
        channel="email", operator_id="seq-bot-1", operator_kind="automation")  # 03:30 EDT
    add(L(2025, 3, 9, 23, 45), "s01", acct["s01"], "first-touch", "touch", style="Z",
        channel="email", operator_id="seq-bot-1", operator_kind="automation")
    add(L(2025, 3, 10, 0, 15), "s01", acct["s01"], "first-touch", "failed", style="est",
        reason="no_response", operator_id="seq-bot-1", operator_kind="automation")  # in mar10 period
    # S2: from-boundary of the 2025-03-10 period
    add(L(2025, 3, 7, 15), "s02", acct["s02"], "research", "entered")
    add(U(2025, 3, 10, 3, 59, 59), "s02", acct["s02"], "research", "passed", style="Z")   # 3/9 23:59:59 EDT
    add(U(2025, 3, 10, 4, 0, 0), "s02", acct["s02"], "first-touch", "entered", style="est")  # "2025-03-09T23:00:00-05:00" = 3/10 00:00 EDT
    add(L(2025, 3, 12, 10), "s02", acct["s02"], "first-touch", "touch", channel="phone",
        operator_id="rep-2", operator_kind="human", cost_minutes=7)
    add(L(2025, 3, 14, 11), "s02", acct["s02"], "first-touch", "recycled", resume_on="2025-04-04")  # resume_on == to
    # S3: end boundary of the 2025-04-04 period
    add(L(2025, 3, 20, 14), "s03", acct["s03"], "research", "entered")
    add(L(2025, 3, 24, 9), "s03", acct["s03"], "research", "passed")
    add(L(2025, 3, 24, 9, 5), "s03", acct["s03"], "first-touch", "entered")
    add(L(2025, 3, 27, 9, 5), "s03", acct["s03"], "first-touch", "passed")
    add(L(2025, 4, 3, 14), "s03", acct["s03"], "reply", "entered")
    add(U(2025, 4, 5, 3, 59, 59), "s03", acct["s03"], "reply", "passed", style="Z")  # 4/4 23:59:59 EDT, in
    add(U(2025, 4, 5, 4, 0, 0), "s03", acct["s03"], "meeting", "entered", style="Z")  # 4/5 00:00 EDT, out
    add(L(2025, 4, 8, 15), "s03", acct["s03"], "meeting", "passed", referral_unit_id="c" + "999")
    # S4: visit open at the end of the 2025-04-04 period, closed just after
    add(L(2025, 3, 25, 10), "s04", acct["s04"], "research", "entered")
    add(L(2025, 3, 25, 16), "s04", acct["s04"], "research", "passed")
    add(L(2025, 3, 26, 9), "s04", acct["s04"], "first-touch", "entered")
    add(L(2025, 3, 31, 9), "s04", acct["s04"], "first-touch", "passed")
    add(L(2025, 4, 2, 10), "s04", acct["s04"], "reply", "entered")
    add(U(2025, 4, 5, 4, 10, 0), "s04", acct["s04"], "reply", "passed", style="est")  # 4/5 00:10 EDT, written 23:10-05:00 on 4/4
    # S5: tie, entered sorts first ("tie-a1" < "tie-a2") -> cycle 0, written in different offsets
    add(L(2025, 3, 12, 10), "s05", acct["s05"], "research", "entered", eid="tie-a1", style="Z")
    add(L(2025, 3, 12, 10), "s05", acct["s05"], "research", "passed", eid="tie-a2", style="local")
    add(L(2025, 3, 12, 10), "s05", acct["s05"], "first-touch", "entered", style="est")
    # S6: tie, disposition sorts first lexicographically ("tie-10" < "tie-9")
    #     -> recycled is unpaired, the entered stays open (WIP)
    add(L(2025, 3, 17, 9), "s06", acct["s06"], "research", "entered")
    add(L(2025, 3, 17, 15), "s06", acct["s06"], "research", "passed")
    add(U(2025, 3, 18, 15), "s06", acct["s06"], "first-touch", "entered", eid="tie-9", style="Z")
    add(U(2025, 3, 18, 15), "s06", acct["s06"], "first-touch", "recycled", eid="tie-10",
        style="local", resume_on="2025-05-20")
    # S7: stacked + tie, disposition first ("tie-100" < "tie-30"): failed pairs with the
    #     3/20 entered, the tied entered stays open
    add(L(2025, 3, 19, 9), "s07", acct["s07"], "research", "entered")
    add(L(2025, 3, 19, 12), "s07", acct["s07"], "research", "passed")
    add(U(2025, 3, 20, 13), "s07", acct["s07"], "first-touch", "entered")
    add(U(2025, 3, 21, 16), "s07", acct["s07"], "first-touch", "entered", eid="tie-30", style="local")
    add(U(2025, 3, 21, 16), "s07", acct["s07"], "first-touch", "failed", eid="tie-100", style="Z",
        reason="no_response")
    # S8: tie where numeric order says disposition first but lexicographic says entered
    #     first ("tie-20" < "tie-3") -> pairs, cycle 0
    add(L(2025, 3, 24, 11), "s08", acct["s08"], "research", "entered", eid="tie-20", style="est")
    add(L(2025, 3, 24, 11), "s08", acct["s08"], "research", "passed", eid="tie-3", style="Z")
    # S9: stacked entered, LIFO pairing (09:00 entered stays open, 11:00 pairs)
    add(L(2025, 3, 11, 9), "s09", acct["s09"], "research", "entered")
    add(L(2025, 3, 11, 11), "s09", acct["s09"], "research", "entered")
    add(L(2025, 3, 12, 10), "s09", acct["s09"], "research", "passed")
    add(L(2025, 3, 12, 10, 30), "s09", acct["s09"], "first-touch", "entered")
    add(L(2025, 3, 13, 10), "s09", acct["s09"], "first-touch", "touch", channel="email",
        operator_id="seq-bot-2", operator_kind="automation")
    add(L(2025, 3, 14, 10), "s09", acct["s09"], "first-touch", "optout",
        operator_id="seq-bot-2", operator_kind="automation")  # optout, visit left open
    # S10: territory unit with only an orphan recycled (never entered) -> resting, not fresh
    add(L(2025, 3, 20, 10), "s10", acct["s10"], "research", "recycled", resume_on="2025-05-15")
    # S13: recycled with resume_on the day after `to` of the 03-10..04-04 period
    add(L(2025, 3, 18, 10), "s13", acct["s13"], "research", "entered")
    add(L(2025, 3, 19, 10), "s13", acct["s13"], "research", "recycled", resume_on="2025-04-05")
    # S14: recycled then re-entered before the period end (not resting, in line)
    add(L(2025, 3, 3, 10), "s14", acct["s14"], "research", "entered")
    add(L(2025, 3, 4, 10), "s14", acct["s14"], "research", "recycled", resume_on="2025-03-21")
    add(L(2025, 3, 21, 9), "s14", acct["s14"], "research", "entered")
    # orphans not in the territory
    add(L(2025, 3, 15, 22, 30), "z01", "acct-90", "first-touch", "failed", reason="bounced",
        operator_id="seq-bot-1", operator_kind="automation")
    add(L(2025, 3, 20, 12), "z02", "acct-90", "research", "recycled", resume_on="2025-06-01")
    add(L(2025, 3, 26, 12), "z03", "acct-91", "reply", "passed", referral_unit_id="z04")
    add(L(2025, 2, 20, 12), "z05", "acct-91", "first-touch", "touch", channel="phone",
        operator_id="rep-1", operator_kind="human", cost_minutes=4)

    # -- random anomalies on the simulated part ---------------------------- #
    df = pd.DataFrame(g.rows)
    sim = df[df.unit_id.str.match(r"^[cx]\d{3}$")]
    # (a) drop a few `entered` events -> unpaired dispositions
    ent = sim[sim.kind == "entered"]
    drop = set(rng.choice(ent.event_id.to_numpy(), 8, replace=False).tolist())
    # (b) duplicate a few `entered` (a second entered 5-90 min later, before the disposition)
    keep_ent = ent[~ent.event_id.isin(drop)]
    dup_src = keep_ent.iloc[rng.choice(len(keep_ent), 10, replace=False)]
    new_rows = []
    for _, r in dup_src.iterrows():
        # next event of the same unit/station after this entered
        same = sim[(sim.unit_id == r.unit_id) & (sim.station == r.station) & (sim._t > r._t)
                   & sim.kind.isin(DISPOSITIONS)]
        nxt = same._t.min() if len(same) else pd.Timestamp(CUTOFF).tz_convert("UTC")
        gap = (nxt - r._t).total_seconds()
        if gap < 120:
            continue
        offs = float(rng.uniform(60, min(gap - 30, 90 * 60)))
        t2 = r._t.to_pydatetime() + dt.timedelta(seconds=offs)
        row = {c: r[c] for c in COLUMNS}
        row["event_id"] = g.new_id()
        row["ts"] = g.fmt_ts(t2)
        row["_t"] = t2
        new_rows.append(row)
    df = df[~df.event_id.isin(drop)]
    df = pd.concat([df, pd.DataFrame(new_rows)], ignore_index=True)
    assert df.event_id.is_unique
    # shuffle
    df = df.sample(frac=1.0, random_state=np.random.RandomState(seed)).reset_index(drop=True)
    info = {"dropped_entered": len(drop), "duplicated_entered": len(new_rows)}
    return pd.DataFrame(territory), df[COLUMNS], info


def line_toml() -> str:
    out = [
        "[line]",
        f'name = "{LINE_NAME}"',
        f'timezone = "{TZ_NAME}"',
        "working_days = [" + ", ".join(f'"{d}"' for d in WORKING_DAYS) + "]",
        f"target_per_day = {TARGET_PER_DAY}",
    ]
    for sid, opk, cap in STATIONS:
        out += ["", "[[station]]", f'id = "{sid}"', f'operator = "{opk}"', f"capacity_per_day = {cap}"]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- #
# Reference computation
# --------------------------------------------------------------------------- #
def load_events(path: Path) -> pd.DataFrame:
    ev = pd.read_csv(path, dtype=str, keep_default_na=False)
    ev["t"] = pd.to_datetime(ev["ts"], utc=True, format="ISO8601")
    ev["local_date"] = ev["t"].dt.tz_convert(TZ_NAME).dt.date
    return ev


def wilson(k: int, n: int):
    if n == 0:
        return None
    if HAVE_SM:
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        return [float(lo), float(hi)]
    return wilson_formula(k, n)


def wilson_formula(k, n):
    p = k / n
    z2 = Z95 * Z95
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return [centre - half, centre + half]


def pair_visits(ev: pd.DataFrame, end: pd.Timestamp):
    """LIFO pairing per (unit, station) of events with instant < end.

    Returns (visits DataFrame, open entered DataFrame)."""
    e = ev[(ev.t < end) & ev.kind.isin(("entered",) + DISPOSITIONS)]
    e = e.sort_values(["unit_id", "station", "t", "event_id"], kind="mergesort")
    visits, open_rows = [], []
    for (unit, st), grp in e.groupby(["unit_id", "station"], sort=False):
        stack = []
        for r in grp.itertuples(index=False):
            if r.kind == "entered":
                stack.append(r)
            elif stack:
                en = stack.pop()
                visits.append({"unit_id": unit, "station": st, "entered_id": en.event_id,
                               "disp_id": r.event_id, "kind": r.kind, "t_in": en.t,
                               "t_out": r.t, "out_date": r.local_date})
            # else: unpaired disposition, ignored for visits
        for en in stack:
            open_rows.append({"unit_id": unit, "station": st, "event_id": en.event_id, "t": en.t})
    v = pd.DataFrame(visits, columns=["unit_id", "station", "entered_id", "disp_id", "kind",
                                      "t_in", "t_out", "out_date"])
    o = pd.DataFrame(open_rows, columns=["unit_id", "station", "event_id", "t"])
    return v, o


def none_if_nan(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def compute_report(ev: pd.DataFrame, territory: pd.DataFrame, frm: dt.date | None,
                   to: dt.date | None) -> dict:
    if frm is None:
        frm = min(ev.local_date)
    if to is None:
        to = max(ev.local_date)
    end = pd.Timestamp(dt.datetime.combine(to + dt.timedelta(days=1), dt.time(0)), tz=TZ_NAME).tz_convert("UTC")
    days = pd.date_range(frm, to, freq="D")
    wd_idx = {WEEKDAY_IDX[d] for d in WORKING_DAYS}
    working_days = int(sum(1 for d in days if d.weekday() in wd_idx))

    in_p = (ev.local_date >= frm) & (ev.local_date <= to)
    evp = ev[in_p]
    upto = ev[ev.t < end]

    visits, open_e = pair_visits(ev, end)
    counts = evp.groupby(["station", "kind"]).size()

    def c(st, kind):
        return int(counts.get((st, kind), 0))

    stations = []
    yields = {}
    for sid in STATION_IDS:
        entered, passed, failed, recycled = (c(sid, k) for k in ("entered", "passed", "failed", "recycled"))
        disp = passed + failed + recycled
        y = passed / disp if disp else None
        yields[sid] = y
        vs = visits[(visits.station == sid) & (visits.out_date >= frm) & (visits.out_date <= to)]
        hours = ((vs.t_out - vs.t_in).dt.total_seconds() / 3600.0).to_numpy(dtype=float)
        if len(hours):
            p50, p90 = np.quantile(hours, [0.5, 0.9])
            ct = {"p50": float(p50), "p90": float(p90), "mean": float(np.mean(hours))}
        else:
            ct = {"p50": None, "p90": None, "mean": None}
        stations.append({
            "id": sid,
            "entered": entered,
            "passed": passed,
            "failed": failed,
            "recycled": recycled,
            "dispositions": disp,
            "yield": y,
            "yield_ci": wilson(passed, disp),
            "wip": int((open_e.station == sid).sum()),
            "cycle_time_hours": ct,
            "throughput_per_day": passed / working_days if working_days else None,
            "utilization": (disp / working_days / CAPACITY[sid]) if working_days else None,
            "_visits": int(len(hours)),
        })

    # rty, line capacity, bottleneck
    if any(yields[s] is None for s in STATION_IDS):
        rty = None
        line_cap = None
        bottleneck = None
    else:
        rty = 1.0
        for s in STATION_IDS:
            rty *= yields[s]
        line_cap, bottleneck = None, None
        for i, s in enumerate(STATION_IDS):
            prod = 1.0
            for k in STATION_IDS[i:]:
                prod *= yields[k]
            cap = CAPACITY[s] * prod
            if line_cap is None or cap < line_cap:  # first station wins ties
                line_cap, bottleneck = cap, s

    final = STATION_IDS[-1]
    per_day = c(final, "passed") / working_days if working_days else None
    production = {"per_day": per_day, "target_per_day": float(TARGET_PER_DAY),
                  "gap": (TARGET_PER_DAY - per_day) if per_day is not None else None}

    # fresh units entering the first station in the period
    first_ent = ev[(ev.kind == "entered") & (ev.station == STATION_IDS[0])] \
        .sort_values(["t", "event_id"]).groupby("unit_id").local_date.first()
    fresh_consumed = int(((first_ent >= frm) & (first_ent <= to)).sum())
    recycled_p = int((evp.kind == "recycled").sum())
    referrals_p = int((evp.referral_unit_id != "").sum())
    breeding = (recycled_p + referrals_p) / fresh_consumed if fresh_consumed else None

    # territory as of the end
    terr_units = set(territory.contact_id)
    universe = terr_units | set(upto.unit_id)
    burned = set(upto[(upto.kind == "optout") |
                      ((upto.kind == "failed") & upto.reason.isin(BURN_REASONS))].unit_id)
    in_line = set(open_e.unit_id) - burned
    d = upto[upto.kind.isin(DISPOSITIONS)].sort_values(["t", "event_id"])
    last_disp = d.groupby("unit_id").tail(1).set_index("unit_id")
    resting = set()
    ent_upto = upto[upto.kind == "entered"]
    for u, r in last_disp.iterrows():
        if r.kind != "recycled" or u in burned or u in in_line:
            continue
        if dt.date.fromisoformat(r.resume_on) <= to:
            continue
        later_ent = ent_upto[(ent_upto.unit_id == u) &
                             ((ent_upto.t > r.t) | ((ent_upto.t == r.t) & (ent_upto.event_id > r.event_id)))]
        if len(later_ent):
            continue
        resting.add(u)
    ever_entered = set(ent_upto.unit_id)
    fresh = (terr_units - ever_entered) - burned - in_line - resting
    done = universe - burned - in_line - resting - fresh
    n_fresh = len(fresh)
    rate = fresh_consumed / working_days if working_days else 0.0
    dte = n_fresh / rate if rate else None

    report = {
        "line": LINE_NAME,
        "from": frm.isoformat(),
        "to": to.isoformat(),
        "working_days": working_days,
        "stations": stations,
        "rty": rty,
        "bottleneck": bottleneck,
        "line_capacity_per_day": line_cap,
        "production": production,
        "breeding_ratio": breeding,
        "territory": {
            "fresh": n_fresh,
            "in_line": len(in_line),
            "resting": len(resting),
            "burned": len(burned),
            "done": len(done),
            "days_to_exhaustion": dte,
            "territory_units": int(len(territory)),
            "fresh_consumed": fresh_consumed,
        },
    }
    # internal extras for the summary (stripped before writing)
    report["_dbg"] = {"recycled_in_period": recycled_p, "referrals_in_period": referrals_p,
                      "end_utc": str(end), "universe": len(universe),
                      "resting_units": sorted(resting), "events_in_period": int(in_p.sum())}
    return report


def strip_private(rep: dict) -> dict:
    rep = {k: v for k, v in rep.items() if not k.startswith("_")}
    rep["stations"] = [{k: v for k, v in s.items() if not k.startswith("_")} for s in rep["stations"]]
    return rep


def sanity(rep: dict, ev: pd.DataFrame):
    for s in rep["stations"]:
        assert s["dispositions"] == s["passed"] + s["failed"] + s["recycled"]
        if s["dispositions"]:
            lo, hi = s["yield_ci"]
            f = wilson_formula(s["passed"], s["dispositions"])
            assert abs(lo - f[0]) < 1e-12 and abs(hi - f[1]) < 1e-12, (s, f)
            assert lo <= s["yield"] <= hi
        ct = s["cycle_time_hours"]
        if ct["p50"] is not None:
            assert 0 <= ct["p50"] <= ct["p90"]
    t = rep["territory"]
    # partition check
    assert t["fresh"] + t["in_line"] + t["resting"] + t["burned"] + t["done"] == rep["_dbg"]["universe"]


def summarize(name: str, rep: dict):
    print(f"== {name}: {rep['from']} .. {rep['to']}  working_days={rep['working_days']} "
          f"(events in period {rep['_dbg']['events_in_period']}, end {rep['_dbg']['end_utc']})")
    print(f"   {'station':12s} {'ent':>4s} {'pass':>4s} {'fail':>4s} {'recy':>4s} {'yield':>7s} "
          f"{'ci':>17s} {'wip':>4s} {'vis':>4s} {'p50h':>7s} {'p90h':>7s} {'meanh':>7s} {'thr/d':>6s} {'util':>6s}")
    fmt = lambda x, w=7, p=3: ("null".rjust(w) if x is None else f"{x:{w}.{p}f}")
    for s in rep["stations"]:
        ci = "null" if s["yield_ci"] is None else f"[{s['yield_ci'][0]:.3f},{s['yield_ci'][1]:.3f}]"
        ct = s["cycle_time_hours"]
        print(f"   {s['id']:12s} {s['entered']:4d} {s['passed']:4d} {s['failed']:4d} {s['recycled']:4d} "
              f"{fmt(s['yield'])} {ci:>17s} {s['wip']:4d} {s['_visits']:4d} {fmt(ct['p50'],7,1)} "
              f"{fmt(ct['p90'],7,1)} {fmt(ct['mean'],7,1)} {fmt(s['throughput_per_day'],6,2)} "
              f"{fmt(s['utilization'],6,3)}")
    print(f"   rty={rep['rty']}  bottleneck={rep['bottleneck']}  line_capacity={rep['line_capacity_per_day']}")
    print(f"   production={rep['production']}")
    print(f"   breeding_ratio={rep['breeding_ratio']} (recycled {rep['_dbg']['recycled_in_period']}"
          f" + referrals {rep['_dbg']['referrals_in_period']})")
    print(f"   territory={rep['territory']}  resting={rep['_dbg']['resting_units']}")


def main(argv=None):
    ap = argparse.ArgumentParser()
    here = Path(__file__).resolve()
    repo = here.parents[2]
    ap.add_argument("--out", type=Path,
                    default=repo / "crates/yieldline-core/tests/fixtures/report_random")
    ap.add_argument("--seed", type=int, default=20250309)
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    territory, events, info = generate(args.seed)
    (out / "line.toml").write_text(line_toml())
    territory.to_csv(out / "territory.csv", index=False, lineterminator="\n")
    events.to_csv(out / "events.csv", index=False, lineterminator="\n")
    print(f"generated {len(events)} events, {events.unit_id.nunique()} units, "
          f"{len(territory)} territory contacts; anomalies {info}")
    print("kinds:", events.kind.value_counts().to_dict())

    # compute from the files as written (round trip through CSV)
    ev = load_events(out / "events.csv")
    terr = pd.read_csv(out / "territory.csv", dtype=str, keep_default_na=False)
    periods = [("expected_default.json", None, None),
               ("expected_mar10_apr04.json", dt.date(2025, 3, 10), dt.date(2025, 4, 4))]
    for fname, frm, to in periods:
        rep = compute_report(ev, terr, frm, to)
        sanity(rep, ev)
        summarize(fname, rep)
        with open(out / fname, "w") as f:
            json.dump(strip_private(rep), f, indent=2)
            f.write("\n")

    sm_ver = statsmodels.__version__ if HAVE_SM else "not installed (formula used)"
    (out / "README.md").write_text(README.format(
        seed=args.seed, py=platform.python_version(), pd=pd.__version__, np=np.__version__,
        sm=sm_ver, n_events=len(events), n_terr=len(terr), **info))
    print("wrote", sorted(p.name for p in out.iterdir()))


README = """# report_random — reference fixture for the line report

Generated by `tools/reference/report_refs.py` (seed {seed}), an independent
pandas implementation of the line-report definitions (DESIGN.md §3–4 plus the
fixture contract), written without reading the Rust implementation.

Regenerate (deterministic):

    python3 tools/reference/report_refs.py            # writes this folder

Versions used: Python {py}, pandas {pd}, numpy {np}, statsmodels {sm}.

## Files
- `line.toml` — 4 stations research → first-touch → reply → meeting,
  America/New_York, Mon–Fri, target 2/day, capacities 40/120/15/6.
- `territory.csv` — {n_terr} contacts (`contact_id,account_id,fit_tier`); some never
  appear in the log (fresh).
- `events.csv` — {n_events} events, rows shuffled, ~8 weeks (2025-02-17 .. 2025-04-12)
  across the 2025-03-09 DST change. Timestamps mix `Z`, the true local offset and a
  fixed `-05:00` (also during EDT — still a valid instant).
- `expected_default.json` — report for the default period (first..last event day, local).
- `expected_mar10_apr04.json` — report for `from = 2025-03-10`, `to = 2025-04-04`.

## What is in the log
Simulated units passing stations in order (next station entered at or after the pass),
touches (email/phone, human/automation, some at night), failures (`no_response`,
`disqualified`, `bounced`, `negative`, `optout`), `optout` events, recycles with
`resume_on` before and after the period ends (and re-entry of some), referrals on
passes (referred units `x###` are not in the territory and run through the line).
Anomalies: {dropped_entered} `entered` events removed (unpaired dispositions),
{duplicated_entered} `entered` duplicated 1–90 min later (stacked), open visits at the
log end, and hand-written edge cases (units `s01`–`s14`, `z01`–`z05`):
- `s01` events around local midnight and 02:00 on 2025-03-09 (1 h real cycle across the jump).
- `s02`/`s03`/`s04` events at 23:59:59 / 00:00:00 local around both period edges,
  some written with `-05:00` so that the written date differs from the local date.
- ties (same instant, different offsets): `tie-a1`<`tie-a2` (entered first, cycle 0);
  `tie-10`<`tie-9` (disposition first → unpaired recycle, open entered);
  `tie-100`<`tie-30` (stacked: failed pairs with the earlier entered);
  `tie-20`<`tie-3` (entered first although numerically later). Order is plain
  byte-wise string order of `event_id`.
- `s09` stacked entered + optout event with the visit left open (burned beats in_line).
- `s10`, `z02` orphan recycled with no entered (resting); `s13` resume_on = to+1;
  `s02` resume_on = to (not resting for the 03-10..04-04 period).
- `z01` orphan bounced failure, `z03` orphan pass with a referral, `z05` touch only.

## Resolved ambiguities
- "End" of the period = local midnight starting the day after `to` (exclusive);
  "at or before the end" means instant < that.
- Territory universe = territory contact ids ∪ unit ids with any event before the end
  (`referral_unit_id` values do not create units by themselves). `done` = the rest.
- `resting`: latest disposition by (instant, event_id); "entered after" it means later
  in (instant, event_id) order. `resume_on` must be strictly after `to`.
- Orphan (unpaired) dispositions count in the station counts and can make a unit resting
  (so a territory unit with only an orphan recycle is resting, not fresh).
- `fresh_consumed` = units whose first-ever research `entered` (whole log) has its local
  date in the period.
- `rty`, `line_capacity_per_day`, `bottleneck` are null if any station yield is null;
  products are taken left to right in station order (capacity × (y_s·…·y_last));
  the first station wins a tie for the minimum.
- `production.target_per_day` is written as a float (2.0); `territory_units`,
  `fresh_consumed` and `done` sit inside the `territory` object.
- Floats: compare with a relative tolerance (~1e-9); values are full-precision doubles.
"""

if __name__ == "__main__":
    main()
