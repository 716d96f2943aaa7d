"""yieldline-sim's territory model as a SimPy discrete-event simulation (benchmark peer).

Usage: python3 sim_simpy.py --scenario scenario.json

Same model and parameters as the Rust engine (crates/yieldline-sim/README.md). Each
contact in the line is a SimPy process; every station's daily capacity is a
`simpy.Container` topped up each working-day morning, and units wait for it in FIFO
order. Within day d: capacity refill at d+0.0, downstream stations from d+0.1,
follow-up touches at d+0.5, resumes at d+0.7, intake and new sequences at d+0.8.
"""
import argparse
import math
import random
import sys
import time
from collections import deque

import simpy

from common import Model, load, report

FRESH, PARKED, READY, SEQ, DOWN, RESTING, DONE, DEAD = range(8)
MEM = 16


class Sim:
    def __init__(self, m: Model):
        self.m = m
        t = m.t
        rng = random.Random(m.seed)
        self.rng = rng
        A = m.accounts
        s1, s2 = t["tier_shares"][0], t["tier_shares"][0] + t["tier_shares"][1]
        k = t["propensity_concentration"]
        self.a_tier, self.a_prop, self.a_n, self.a_first = [], [], [], []
        score = []
        total = 0
        for _ in range(A):
            u = rng.random()
            tier = 0 if u < s1 else (1 if u < s2 else 2)
            mean = t["tier_mean_propensity"][tier]
            p = rng.betavariate(mean * k, (1 - mean) * k)
            n = rng.randint(t["contacts_min"], t["contacts_max"])
            self.a_tier.append(tier)
            self.a_prop.append(p)
            self.a_n.append(n)
            self.a_first.append(total)
            score.append(p * math.exp(t["fit_noise"] * rng.gauss(0, 1)))
            total += n
        self.order = sorted(range(A), key=lambda a: (self.a_tier[a], -score[a]))
        self.cursor = 0
        self.a_heat = [0.0] * A
        self.a_heat_cal = [0] * A
        self.a_active = [0] * A
        self.a_optouts = [0] * A
        self.a_burned = [False] * A
        self.a_started = [False] * A
        self.a_in_reopen = [False] * A
        self.reopen = deque()
        self.current = None
        self.c_acc = [a for a in range(A) for _ in range(self.a_n[a])]
        C = total
        self.c_state = [FRESH] * C
        self.c_auto = [False] * C
        self.c_auto_res = [False] * C
        self.c_touched = [False] * C
        self.c_rounds = [0] * C
        self.c_ring = [[0] * MEM for _ in range(C)]
        self.c_ringpos = [0] * C
        self.ready = deque()
        self.burned_total = 0
        self.started_total = 0
        self.env = simpy.Environment()
        big = 10**12
        self.cap = {s: simpy.Container(self.env, capacity=big) for s in ("reply", "booked", "held", "qual", "th", "ta")}
        self.st = None

    # -- helpers ---------------------------------------------------------------
    def day(self):
        return int(self.env.now)

    def leave(self, c, state):
        self.c_state[c] = state
        a = self.c_acc[c]
        self.a_active[a] = max(0, self.a_active[a] - 1)
        if not self.a_burned[a] and not self.a_in_reopen[a] and self.a_started[a] and self.has_waiting(a):
            self.a_in_reopen[a] = True
            self.reopen.append(a)

    def has_waiting(self, a):
        f = self.a_first[a]
        return any(self.c_state[c] in (FRESH, PARKED) for c in range(f, f + self.a_n[a]))

    def burn(self, a):
        if not self.a_burned[a]:
            self.a_burned[a] = True
            self.burned_total += 1

    def at(self, day, frac):
        """Timeout until day + frac."""
        return self.env.timeout(max(0.0, day + frac - self.env.now))

    # -- processes -------------------------------------------------------------
    def mornings(self):
        m = self.m
        for d in range(m.days):
            yield self.at(d, 0.0)
            cap_a = m.cap_a(d)
            self.caps_today = cap_a
            for key, s in (("reply", 2), ("booked", 3), ("held", 4), ("qual", 5)):
                c = self.cap[key]
                if c.level:
                    yield c.get(c.level)
                yield c.put(m.cap_h[s] + cap_a[s])
            for key, amount in (("th", m.cap_h[1]), ("ta", cap_a[1])):
                c = self.cap[key]
                if c.level:
                    yield c.get(c.level)
                if amount:
                    yield c.put(amount)
            if self.st is not None and d - 1 >= m.warmup:
                self.close_day()
            self.st = {"touches": 0, "auto_touches": 0, "qualified": 0, "day": d}
            self.env.process(self.intake(d))
        yield self.at(m.days, 0.0)
        if m.days - 1 >= m.warmup:
            self.close_day()

    def close_day(self):
        self.st["burned_share"] = self.burned_total / self.m.accounts
        self.daily.append(self.st)

    def intake(self, d):
        m, r = self.m, self.m.r
        yield self.at(d, 0.8)
        th, ta = self.cap["th"].level, self.cap["ta"].level
        starts = [min(-(-m.cap_h[1] // m.seq_len[0]), th), min(-(-self.caps_today[1] // m.seq_len[1]), ta)]
        demand = starts[0] + starts[1] - len(self.ready)
        res_h, res_a = m.cap_h[0], self.caps_today[0]
        while demand > 0:
            a = self.next_account()
            if a is None:
                break
            f = self.a_first[a]
            stalled = False
            for c in range(f, f + self.a_n[a]):
                if demand == 0 or self.a_active[a] >= m.max_active:
                    break
                if self.c_state[c] == PARKED:
                    self.a_active[a] += 1
                    self.c_state[c] = READY
                    self.ready.append(c)
                    demand -= 1
                elif self.c_state[c] == FRESH:
                    if res_h > 0:
                        res_h -= 1
                        auto = False
                    elif res_a > 0:
                        res_a -= 1
                        auto = True
                    else:
                        stalled = True
                        break
                    self.a_active[a] += 1
                    self.c_auto_res[c] = auto
                    y = r["research_yield_automation"] if auto else r["research_yield_human"]
                    if self.rng.random() < y:
                        self.c_state[c] = READY
                        self.ready.append(c)
                        demand -= 1
                    else:
                        self.leave(c, DEAD)
            if stalled:
                self.current = a
                break
        for op in (0, 1):
            n = starts[op]
            while n > 0 and self.ready:
                c = self.ready.popleft()
                if self.a_burned[self.c_acc[c]]:
                    self.leave(c, DEAD)
                    continue
                self.c_state[c] = SEQ
                self.c_auto[c] = op == 1
                self.env.process(self.sequence(c, d))
                n -= 1

    def next_account(self):
        m = self.m
        if self.current is not None:
            a, self.current = self.current, None
            return a
        while self.reopen:
            a = self.reopen.popleft()
            self.a_in_reopen[a] = False
            if not self.a_burned[a] and self.a_active[a] < m.max_active and self.has_waiting(a):
                return a
        if self.cursor >= len(self.order):
            return None
        a = self.order[self.cursor]
        self.cursor += 1
        self.a_started[a] = True
        self.started_total += 1
        return a

    def sequence(self, c, d0):
        """One outreach sequence of contact c, then what follows from its outcome."""
        m, r = self.m, self.m.r
        auto = self.c_auto[c]
        key = "ta" if auto else "th"
        n_seq = 0
        first = True
        while True:
            if not first:
                yield self.at(self.day() + m.interval - 1, 1.5)
            first = False
            if self.a_burned[self.c_acc[c]]:
                self.leave(c, DEAD)
                return
            d = self.day()
            cal = m.cal.cal(d)
            ring = self.c_ring[c]
            n30 = sum(1 for x in ring if x and x + 30 > cal + 1)
            if n30 >= m.cap30:
                yield from self.end_sequence(c, cal)
                return
            yield self.cap[key].get(1)
            d = self.day()
            cal = m.cal.cal(d)
            outcome = self.touch(c, d, cal, n30, auto)
            if outcome == "dead":
                return
            if outcome == "reply":
                yield from self.downstream(c)
                return
            n_seq += 1
            if n_seq >= m.seq_len[1 if auto else 0]:
                yield from self.end_sequence(c, cal)
                return

    def touch(self, c, d, cal, n30, auto):
        m, r = self.m, self.m.r
        a = self.c_acc[c]
        pos = self.c_ringpos[c]
        self.c_ring[c][pos] = cal + 1
        self.c_ringpos[c] = (pos + 1) % MEM
        heat = self.a_heat[a] * math.exp(-m.heat_decay * max(0, cal - self.a_heat_cal[a]))
        self.a_heat[a] = heat + (r["automation_heat_weight"] if auto else 1.0)
        self.a_heat_cal[a] = cal
        self.st["touches"] += 1
        if auto:
            self.st["auto_touches"] += 1
        if not self.c_touched[c]:
            self.c_touched[c] = True
            b = r["bounce_rate_automation_research"] if self.c_auto_res[c] else r["bounce_rate_human_research"]
            if self.rng.random() < b:
                self.leave(c, DEAD)
                return "dead"
        u = self.rng.random()
        risk = math.exp(r["risk_fatigue_slope"] * n30 + r["risk_heat_slope"] * heat)
        rel = 1.0
        if auto:
            risk *= r["automation_risk_multiplier"]
            rel = r["automation_relevance"][self.a_tier[a]]
        p_opt = min(r["optout_base"] * risk, 0.5)
        p_host = min(r["hostile_base"] * risk, 0.5)
        p_rep = self.a_prop[a] * rel * math.exp(-r["fatigue_slope"] * n30 - r["heat_slope"] * heat)
        if u < p_opt:
            self.a_optouts[a] += 1
            if self.a_optouts[a] >= r["optouts_to_burn_account"]:
                self.burn(a)
            self.leave(c, DEAD)
            return "dead"
        if u < p_opt + p_host:
            self.burn(a)
            self.leave(c, DEAD)
            return "dead"
        if u < p_opt + p_host + p_rep:
            self.c_state[c] = DOWN
            return "reply"
        return "none"

    def end_sequence(self, c, cal):
        m = self.m
        self.c_rounds[c] += 1
        if self.c_rounds[c] >= m.max_rounds:
            self.leave(c, DONE)
            return
        self.leave(c, RESTING)
        yield from self.rest(c, m.cal.day_at_or_after(cal + m.rest_cal))

    def rest(self, c, resume_day):
        m = self.m
        yield self.at(resume_day, 0.7)
        a = self.c_acc[c]
        if self.a_burned[a]:
            self.c_state[c] = DEAD
        elif self.a_active[a] < m.max_active:
            self.a_active[a] += 1
            self.c_state[c] = READY
            self.ready.append(c)
        else:
            self.c_state[c] = PARKED
            if not self.a_in_reopen[a]:
                self.a_in_reopen[a] = True
                self.reopen.append(a)

    def downstream(self, c):
        m, r = self.m, self.m.r
        a = self.c_acc[c]
        # reply, next day
        yield self.at(self.day() + 1, 0.1)
        if self.a_burned[a]:
            self.leave(c, DEAD)
            return
        yield self.cap["reply"].get(1)
        u = self.rng.random()
        if u < r["reply_positive"]:
            pass
        elif u < r["reply_positive"] + r["reply_not_now"]:
            cal = m.cal.cal(self.day())
            self.leave(c, RESTING)
            yield from self.rest(c, m.cal.day_at_or_after(cal + m.not_now_cal))
            return
        elif u < r["reply_positive"] + r["reply_not_now"] + r["reply_wrong_person"]:
            self.leave(c, DEAD)
            return
        else:
            self.leave(c, DONE)
            return
        # booking, next day
        yield self.at(self.day() + 1, 0.2)
        if self.a_burned[a]:
            self.leave(c, DEAD)
            return
        yield self.cap["booked"].get(1)
        if self.rng.random() >= r["booking_rate"]:
            self.leave(c, DONE)
            return
        # meeting after the lead time
        yield self.at(self.day() + r["meeting_lead_days"], 0.3)
        if self.a_burned[a]:
            self.leave(c, DEAD)
            return
        yield self.cap["held"].get(1)
        show = r["show_rate"] * (r["automation_show_factor"] if self.c_auto[c] else 1.0)
        if self.rng.random() >= show:
            self.leave(c, DONE)
            return
        yield self.cap["qual"].get(1)
        if self.rng.random() < self.m.t["qualify_rate"][self.a_tier[a]]:
            self.st["qualified"] += 1
        self.leave(c, DONE)

    def run(self):
        self.daily = []
        self.caps_today = self.m.cap_a(0)
        self.env.process(self.mornings())
        self.env.run(until=self.m.days + 0.5)
        return self.daily


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", required=True)
    args = ap.parse_args()
    m = Model(load(args.scenario))
    t0 = time.perf_counter()
    daily = Sim(m).run()
    report("simpy", m, time.perf_counter() - t0, daily)


if __name__ == "__main__":
    sys.exit(main())
