"""yieldline-sim's territory model, vectorized with numpy (benchmark peer).

Usage: python3 sim_numpy.py --scenario scenario.json

Same model and parameters as the Rust engine (crates/yieldline-sim/README.md), one
territory without shards. Differences that keep it vectorized, none of which changes
the model: each station's due units are taken in FIFO order in one batch per day;
touches to several contacts of one account on the same day all see the account's heat
from the start of that day; a touch the 30-day cap refuses still uses the day's
enrolment slot.
"""
import argparse
import sys
import time

import numpy as np

from common import Model, load, report

FRESH, PARKED, READY, SEQ, DOWN, RESTING, DONE, DEAD = range(8)
# Queue ids (a contact is in at most one).
QN, QREADY, QSEQ_H, QSEQ_A, QREST, QRECYCLE, QREPLY, QBOOKED, QHELD, QQUAL = range(10)
MEM = 16


class Sim:
    def __init__(self, m: Model):
        self.m = m
        t = m.t
        rng = np.random.default_rng(m.seed)
        self.rng = rng
        A = m.accounts
        u = rng.random(A)
        s1, s2 = t["tier_shares"][0], t["tier_shares"][0] + t["tier_shares"][1]
        tier = np.where(u < s1, 0, np.where(u < s2, 1, 2)).astype(np.int8)
        means = np.array(t["tier_mean_propensity"])[tier]
        k = t["propensity_concentration"]
        prop = rng.beta(means * k, (1 - means) * k)
        z = rng.standard_normal(A)
        score = prop * np.exp(t["fit_noise"] * z)
        n = rng.integers(t["contacts_min"], t["contacts_max"] + 1, A).astype(np.int32)
        self.a_tier, self.a_prop, self.a_n = tier, prop, n
        self.a_first = np.concatenate([[0], np.cumsum(n)[:-1]]).astype(np.int64)
        self.order = np.lexsort((-score, tier))
        self.cursor = 0
        self.a_heat = np.zeros(A)
        self.a_heat_cal = np.zeros(A, dtype=np.int64)
        self.a_active = np.zeros(A, dtype=np.int32)
        self.a_optouts = np.zeros(A, dtype=np.int32)
        self.a_burned = np.zeros(A, dtype=bool)
        self.a_started = np.zeros(A, dtype=bool)
        self.a_waiting = n.copy()  # contacts FRESH or PARKED
        self.a_reopen = np.full(A, -1, dtype=np.int64)  # FIFO key when flagged
        C = int(n.sum())
        self.c_acc = np.repeat(np.arange(A), n)
        self.c_state = np.zeros(C, dtype=np.int8)
        self.c_q = np.zeros(C, dtype=np.int8)
        self.c_enq = np.zeros(C, dtype=np.int64)
        self.c_due = np.zeros(C, dtype=np.int64)
        self.c_auto = np.zeros(C, dtype=bool)
        self.c_auto_res = np.zeros(C, dtype=bool)
        self.c_touched = np.zeros(C, dtype=bool)
        self.c_seq = np.zeros(C, dtype=np.int32)
        self.c_rounds = np.zeros(C, dtype=np.int32)
        self.c_ring = np.zeros((C, MEM), dtype=np.int32)
        self.c_ringpos = np.zeros(C, dtype=np.int32)
        self.counter = 0
        self.burned_total = 0
        self.started_total = 0

    # -- queues ---------------------------------------------------------------
    def push(self, idx, q, due=None):
        self.c_q[idx] = q
        if due is not None:
            self.c_due[idx] = due
        self.c_enq[idx] = self.counter + np.arange(len(idx))
        self.counter += len(idx)

    def due(self, q, d):
        idx = np.flatnonzero((self.c_q == q) & (self.c_due <= d))
        return idx[np.argsort(self.c_enq[idx], kind="stable")]

    def leave(self, idx, state):
        self.c_q[idx] = QN
        self.c_state[idx] = state
        acc = self.c_acc[idx]
        np.subtract.at(self.a_active, acc, 1)
        np.maximum(self.a_active, 0, out=self.a_active)
        cand = np.unique(acc)
        cand = cand[~self.a_burned[cand] & self.a_started[cand] & (self.a_waiting[cand] > 0) & (self.a_reopen[cand] < 0)]
        self.a_reopen[cand] = self.counter + np.arange(len(cand))
        self.counter += len(cand)

    def burn(self, accs):
        accs = np.unique(accs)
        new = accs[~self.a_burned[accs]]
        self.a_burned[new] = True
        self.burned_total += len(new)

    # -- one touch for a batch of contacts ------------------------------------
    def touch(self, idx, d, cal, st):
        m, r = self.m, self.m.r
        if len(idx) == 0:
            return
        ring = self.c_ring[idx]
        stamp = cal + 1
        n30 = ((ring != 0) & (ring + 30 > stamp)).sum(axis=1)
        over = n30 >= m.cap30
        if over.any():
            self.end_sequence(idx[over], d, cal, st)
            idx, n30 = idx[~over], n30[~over]
        if len(idx) == 0:
            return
        pos = self.c_ringpos[idx]
        self.c_ring[idx, pos] = stamp
        self.c_ringpos[idx] = (pos + 1) % MEM
        acc = self.c_acc[idx]
        auto = self.c_auto[idx]
        elapsed = np.maximum(cal - self.a_heat_cal[acc], 0)
        heat = self.a_heat[acc] * np.exp(-m.heat_decay * elapsed)
        # Decay every touched account to today once, then add today's touches.
        ua = np.unique(acc)
        self.a_heat[ua] *= np.exp(-m.heat_decay * np.maximum(cal - self.a_heat_cal[ua], 0))
        self.a_heat_cal[ua] = cal
        np.add.at(self.a_heat, acc, np.where(auto, r["automation_heat_weight"], 1.0))
        st["touches"] += len(idx)
        st["auto_touches"] += int(auto.sum())
        first = ~self.c_touched[idx]
        self.c_touched[idx] = True
        u1 = self.rng.random(len(idx))
        bounce_p = np.where(self.c_auto_res[idx], r["bounce_rate_automation_research"], r["bounce_rate_human_research"])
        bounced = first & (u1 < bounce_p)
        if bounced.any():
            st["failed"][1] += int(bounced.sum())
            self.leave(idx[bounced], DEAD)
        keep = ~bounced
        idx, acc, auto, heat, n30 = idx[keep], acc[keep], auto[keep], heat[keep], n30[keep]
        u = self.rng.random(len(idx))
        risk = np.exp(r["risk_fatigue_slope"] * n30 + r["risk_heat_slope"] * heat)
        risk = np.where(auto, risk * r["automation_risk_multiplier"], risk)
        rel = np.where(auto, np.array(r["automation_relevance"])[self.a_tier[acc]], 1.0)
        p_opt = np.minimum(r["optout_base"] * risk, 0.5)
        p_host = np.minimum(r["hostile_base"] * risk, 0.5)
        p_rep = self.a_prop[acc] * rel * np.exp(-r["fatigue_slope"] * n30 - r["heat_slope"] * heat)
        opt = u < p_opt
        host = ~opt & (u < p_opt + p_host)
        rep = ~opt & ~host & (u < p_opt + p_host + p_rep)
        none = ~(opt | host | rep)
        if opt.any():
            st["optouts"] += int(opt.sum())
            st["failed"][1] += int(opt.sum())
            oa = acc[opt]
            np.add.at(self.a_optouts, oa, 1)
            self.burn(oa[self.a_optouts[oa] >= r["optouts_to_burn_account"]])
            self.leave(idx[opt], DEAD)
        if host.any():
            st["failed"][1] += int(host.sum())
            self.burn(acc[host])
            self.leave(idx[host], DEAD)
        if rep.any():
            st["passed"][1] += int(rep.sum())
            ri = idx[rep]
            self.c_state[ri] = DOWN
            self.push(ri, QREPLY, d + 1)
        if none.any():
            ni = idx[none]
            self.c_seq[ni] += 1
            done = self.c_seq[ni] >= np.where(self.c_auto[ni], m.seq_len[1], m.seq_len[0])
            if done.any():
                self.end_sequence(ni[done], d, cal, st)
            cont = ni[~done]
            if len(cont):
                qa = self.c_auto[cont]
                self.push(cont[~qa], QSEQ_H, d + m.interval)
                self.push(cont[qa], QSEQ_A, d + m.interval)

    def end_sequence(self, idx, d, cal, st):
        m = self.m
        st["failed"][1] += len(idx)
        self.c_rounds[idx] += 1
        last = self.c_rounds[idx] >= m.max_rounds
        self.leave(idx[last], DONE)
        rest = idx[~last]
        if len(rest):
            self.leave(rest, RESTING)
            self.push(rest, QREST, m.cal.day_at_or_after(cal + m.rest_cal))

    # -- a day -----------------------------------------------------------------
    def step(self, d):
        m, r = self.m, self.m.r
        cal = m.cal.cal(d)
        cap_a = m.cap_a(d)
        st = {"touches": 0, "auto_touches": 0, "optouts": 0, "passed": [0] * 6, "failed": [0] * 6, "qualified": 0}
        rng = self.rng
        # Downstream stations in line order.
        for s, q in ((2, QREPLY), (3, QBOOKED), (4, QHELD), (5, QQUAL)):
            idx = self.due(q, d)
            b = self.a_burned[self.c_acc[idx]]
            if b.any():
                st["failed"][s] += int(b.sum())
                self.leave(idx[b], DEAD)
                idx = idx[~b]
            idx = idx[: m.cap_h[s] + cap_a[s]]
            if len(idx) == 0:
                continue
            u = rng.random(len(idx))
            if s == 2:
                pos = u < r["reply_positive"]
                nn = ~pos & (u < r["reply_positive"] + r["reply_not_now"])
                wp = ~pos & ~nn & (u < r["reply_positive"] + r["reply_not_now"] + r["reply_wrong_person"])
                neg = ~(pos | nn | wp)
                st["passed"][s] += int(pos.sum())
                st["failed"][s] += int(wp.sum() + neg.sum())
                self.push(idx[pos], QBOOKED, d + 1)
                if nn.any():
                    ni = idx[nn]
                    self.leave(ni, RESTING)
                    self.push(ni, QRECYCLE, m.cal.day_at_or_after(cal + m.not_now_cal))
                self.leave(idx[wp], DEAD)
                self.leave(idx[neg], DONE)
            elif s == 3:
                ok = u < r["booking_rate"]
                st["passed"][s] += int(ok.sum())
                st["failed"][s] += int((~ok).sum())
                self.push(idx[ok], QHELD, d + r["meeting_lead_days"])
                self.leave(idx[~ok], DONE)
            elif s == 4:
                show = r["show_rate"] * np.where(self.c_auto[idx], r["automation_show_factor"], 1.0)
                ok = u < show
                st["passed"][s] += int(ok.sum())
                st["failed"][s] += int((~ok).sum())
                self.push(idx[ok], QQUAL, d)
                self.leave(idx[~ok], DONE)
            else:
                qr = np.array(self.m.t["qualify_rate"])[self.a_tier[self.c_acc[idx]]]
                ok = u < qr
                st["passed"][s] += int(ok.sum())
                st["failed"][s] += int((~ok).sum())
                self.leave(idx, DONE)
        # Follow-ups.
        left = [m.cap_h[1], cap_a[1]]
        for op, q in ((0, QSEQ_H), (1, QSEQ_A)):
            idx = self.due(q, d)
            b = self.a_burned[self.c_acc[idx]]
            if b.any():
                st["failed"][1] += int(b.sum())
                self.leave(idx[b], DEAD)
                idx = idx[~b]
            idx = idx[: left[op]]
            left[op] -= len(idx)
            self.touch(idx, d, cal, st)
        # Resumes.
        for q in (QREST, QRECYCLE):
            idx = self.due(q, d)
            if len(idx) == 0:
                continue
            acc = self.c_acc[idx]
            b = self.a_burned[acc]
            self.c_q[idx[b]] = QN
            self.c_state[idx[b]] = DEAD
            idx, acc = idx[~b], acc[~b]
            # Rank of each contact among today's resumes at its account.
            o = np.argsort(acc, kind="stable")
            sa = acc[o]
            starts = np.r_[0, np.flatnonzero(sa[1:] != sa[:-1]) + 1]
            rank = np.arange(len(sa)) - np.repeat(starts, np.diff(np.r_[starts, len(sa)]))
            ok_sorted = self.a_active[sa] + rank < m.max_active
            ok = np.empty(len(idx), dtype=bool)
            ok[o] = ok_sorted
            go, park = idx[ok], idx[~ok]
            np.add.at(self.a_active, self.c_acc[go], 1)
            self.c_state[go] = READY
            self.push(go, QREADY)
            if len(park):
                self.c_state[park] = PARKED
                self.c_q[park] = QN
                pa = self.c_acc[park]
                np.add.at(self.a_waiting, pa, 1)
                ua = np.unique(pa)
                ua = ua[self.a_reopen[ua] < 0]
                self.a_reopen[ua] = self.counter + np.arange(len(ua))
                self.counter += len(ua)
        # Intake (pull) with level loading.
        starts = [min(-(-m.cap_h[1] // m.seq_len[0]), left[0]), min(-(-cap_a[1] // m.seq_len[1]), left[1])]
        n_ready = int((self.c_q == QREADY).sum())
        demand = starts[0] + starts[1] - n_ready
        if demand > 0:
            self.intake(d, demand, m.cap_h[0], cap_a[0], st)
        # New sequences.
        ready = np.flatnonzero(self.c_q == QREADY)
        ready = ready[np.argsort(self.c_enq[ready], kind="stable")]
        b = self.a_burned[self.c_acc[ready]]
        if b.any():
            self.leave(ready[b], DEAD)
            ready = ready[~b]
        new = ready[: starts[0] + starts[1]]
        self.c_state[new] = SEQ
        self.c_seq[new] = 0
        self.c_q[new] = QN
        self.c_auto[new] = np.arange(len(new)) >= starts[0]
        self.touch(new, d, cal, st)
        st["qualified"] = st["passed"][5]
        return st

    def intake(self, d, demand, res_h, res_a, st):
        m = self.m
        budget = res_h + res_a
        # Accounts in order: reopened (FIFO), then fresh by fit.
        ro = np.flatnonzero(self.a_reopen >= 0)
        ro = ro[np.argsort(self.a_reopen[ro], kind="stable")]
        self.a_reopen[ro] = -1
        ro = ro[~self.a_burned[ro] & (self.a_active[ro] < m.max_active) & (self.a_waiting[ro] > 0)]
        per = np.minimum(self.a_n[self.order[self.cursor:]], m.max_active)
        need = np.searchsorted(np.cumsum(per), demand + budget) + 1
        fresh = self.order[self.cursor : self.cursor + need]
        accs = np.concatenate([ro, fresh])
        if len(accs) == 0:
            return
        # Candidate contacts, in account order, up to each account's free slots.
        n = self.a_n[accs]
        cidx = np.repeat(self.a_first[accs], n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
        cacc = np.repeat(np.arange(len(accs)), n)
        state = self.c_state[cidx]
        elig = (state == FRESH) | (state == PARKED)
        cidx, cacc, state = cidx[elig], cacc[elig], state[elig]
        slots = np.maximum(m.max_active - self.a_active[accs], 0)
        first_of = np.r_[0, np.flatnonzero(cacc[1:] != cacc[:-1]) + 1]
        rank = np.arange(len(cacc)) - np.repeat(first_of, np.diff(np.r_[first_of, len(cacc)]))
        ok = rank < slots[cacc]
        cidx, cacc, state = cidx[ok], cacc[ok], state[ok]
        is_fresh = state == FRESH
        u = self.rng.random(len(cidx))
        nres = np.cumsum(is_fresh)
        auto_res = is_fresh & (nres > res_h)
        y = np.where(auto_res, m.r["research_yield_automation"], m.r["research_yield_human"])
        passes = ~is_fresh | (u < y)
        cum_demand = np.cumsum(passes)
        stop = len(cidx)
        over_budget = np.flatnonzero(nres > budget)
        if len(over_budget):
            stop = min(stop, over_budget[0])
        enough = np.flatnonzero(cum_demand >= demand)
        if len(enough):
            stop = min(stop, enough[0] + 1)
        cidx, cacc, is_fresh, auto_res, passes = cidx[:stop], cacc[:stop], is_fresh[:stop], auto_res[:stop], passes[:stop]
        used_accs = accs[np.unique(cacc)] if len(cacc) else accs[:0]
        # Accounts taken from the fresh list are started.
        taken_fresh = used_accs[~self.a_started[used_accs]]
        if len(cacc):
            last_pos = cacc.max()
            touched_fresh = accs[len(ro) : last_pos + 1] if last_pos >= len(ro) else accs[:0]
            self.a_started[touched_fresh] = True
            self.started_total += len(touched_fresh)
            self.cursor += len(touched_fresh)
        del taken_fresh
        np.add.at(self.a_active, self.c_acc[cidx], 1)
        np.subtract.at(self.a_waiting, self.c_acc[cidx], 1)
        self.c_auto_res[cidx[auto_res]] = True
        st["passed"][0] += int((passes & is_fresh).sum())
        st["failed"][0] += int((~passes).sum())
        ok = cidx[passes]
        self.c_state[ok] = READY
        self.push(ok, QREADY)
        bad = cidx[~passes]
        self.leave(bad, DEAD)
        # Started accounts with contacts left and a free slot go back to the reopen list.
        for_reopen = used_accs[(self.a_waiting[used_accs] > 0) & ~self.a_burned[used_accs] & (self.a_reopen[used_accs] < 0)]
        self.a_reopen[for_reopen] = self.counter + np.arange(len(for_reopen))
        self.counter += len(for_reopen)

    def run(self):
        daily = []
        for d in range(self.m.days):
            st = self.step(d)
            if d >= self.m.warmup:
                st["burned_share"] = self.burned_total / self.m.accounts
                st["fresh_remaining"] = self.m.accounts - self.started_total
                daily.append(st)
        return daily


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", required=True)
    args = ap.parse_args()
    m = Model(load(args.scenario))
    t0 = time.perf_counter()
    daily = Sim(m).run()
    report("numpy", m, time.perf_counter() - t0, daily)


if __name__ == "__main__":
    sys.exit(main())
