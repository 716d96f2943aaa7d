"""Shared pieces of the Python peers of yieldline-sim: scenario loading (the JSON dump
of a Rust `Scenario`), the working-day calendar and the derived model constants.

The peers implement the model documented in crates/yieldline-sim/README.md with the
same parameters; they draw from their own random streams, so they agree with the Rust
engine statistically, not number for number.
"""
import datetime as dt
import json
import math

STATIONS = ["research", "first-touch", "reply", "meeting-booked", "meeting-held", "qualified"]


def load(path):
    with open(path) as f:
        return json.load(f)


class Calendar:
    """Day 0 = first warm-up day; working days Monday-Friday."""

    def __init__(self, sc):
        start = dt.date.fromisoformat(sc["scenario"]["start"])
        while start.weekday() >= 5:
            start += dt.timedelta(days=1)
        left = sc["scenario"].get("warmup_days", 0)
        while left > 0:
            start -= dt.timedelta(days=1)
            if start.weekday() < 5:
                left -= 1
        self.first = start
        self.shift = start.weekday()

    def cal(self, day):
        a = day + self.shift
        return 7 * (a // 5) + a % 5 - self.shift

    def day_at_or_after(self, cal):
        c = cal + self.shift
        week, wd = divmod(c, 7)
        a = 5 * (week + 1) if wd >= 5 else 5 * week + wd
        return a - self.shift


class Model:
    def __init__(self, sc):
        self.sc = sc
        m = sc["scenario"]
        self.accounts = m["accounts"]
        self.warmup = m.get("warmup_days", 0)
        self.days = m["days"] + self.warmup
        self.seed = m["seed"]
        self.t = sc["territory"]
        self.r = sc["response"]
        self.p = sc["policy"]
        st = sc["stations"]
        self.cap_h = [st[s]["human_capacity"] for s in STATIONS]
        self.cap_a0 = [st[s]["automation_capacity"] for s in STATIONS]
        g = self.p.get("guardrails")
        self.seq_len = [self.p["human_sequence_touches"], self.p["automation_sequence_touches"]]
        self.interval = self.p["touch_interval_days"]
        self.rest_cal = max(self.p["rest_days_after_no_response"], g["cooldown_days_after_fail"] if g else 0)
        self.not_now_cal = self.p["not_now_days"]
        self.max_rounds = self.p["max_sequences_per_contact"]
        self.cap30 = g["max_touches_per_contact_30d"] if g else 10**9
        self.max_active = g["max_active_contacts_per_account"] if g else 255
        self.heat_decay = math.log(2) / self.r["heat_half_life_days"]
        self.cal = Calendar(sc)

    def multiplier(self, day):
        d = max(0, day - self.warmup)
        ramp = self.p["automation_ramp"]
        if d <= ramp[0]["day"]:
            return ramp[0]["multiplier"]
        for a, b in zip(ramp, ramp[1:]):
            if d <= b["day"]:
                t = (d - a["day"]) / max(1, b["day"] - a["day"])
                return a["multiplier"] + t * (b["multiplier"] - a["multiplier"])
        return ramp[-1]["multiplier"]

    def cap_a(self, day):
        m = self.multiplier(day)
        return [int(math.floor(c * m + 0.5)) for c in self.cap_a0]


def report(engine, model, seconds, daily):
    """Prints one JSON line summarising a run (daily: list of dicts per reported day)."""
    out = {
        "engine": engine,
        "accounts": model.accounts,
        "days": model.days - model.warmup,
        "seconds": seconds,
        "touches": int(sum(d["touches"] for d in daily)),
        "qualified": int(sum(d["qualified"] for d in daily)),
        "burned_share": daily[-1]["burned_share"] if daily else 0.0,
    }
    print(json.dumps(out))
