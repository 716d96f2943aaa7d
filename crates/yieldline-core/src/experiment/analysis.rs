//! The analysis: membership, per-arm counts, comparisons and the sequential test.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VarianceMode {
    Binomial,
    Account,
    Week,
}

impl VarianceMode {
    fn label(self) -> &'static str {
        match self {
            Self::Binomial => "binomial",
            Self::Account => "cluster-robust (account)",
            Self::Week => "cluster-robust (week)",
        }
    }
}

/// One member unit's facts.
#[derive(Debug, Clone, Default)]
struct Member {
    arm: usize,
    account: String,
    exposure: i64,
    /// Dispositions in the arm: (ts, passed).
    dispositions: Vec<(i64, bool)>,
    /// Earliest pass after exposure, per station index.
    passes: HashMap<usize, i64>,
    optout: Option<i64>,
    negative: Option<i64>,
}

impl Member {
    fn cluster(&self, mode: VarianceMode, line: &Line, unit: &str) -> String {
        match mode {
            VarianceMode::Account => self.account.clone(),
            VarianceMode::Week => Timestamp::from_microsecond(self.exposure)
                .map(|t| iso_week(local_date(line, t)))
                .unwrap_or_default(),
            VarianceMode::Binomial => unit.to_owned(),
        }
    }

    /// The instant the unit counts as a success for a per-unit metric, if it does.
    fn success_at(&self, metric: &Metric) -> Option<i64> {
        match metric {
            Metric::Station(s) => self.passes.get(s).copied(),
            Metric::Optout => self.optout,
            Metric::Negative => self.negative,
            Metric::Yield => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Metric {
    Yield,
    Station(usize),
    Optout,
    Negative,
}

/// Counts of one arm on one metric: overall, per cluster and per look day.
#[derive(Debug, Clone, Default)]
struct Counts {
    k: u64,
    n: u64,
    clusters: BTreeMap<String, (f64, f64)>,
    /// Per day index: (successes, trials) added that day.
    daily: Vec<(u64, u64)>,
}

struct Ctx<'a> {
    line: &'a Line,
    mode: VarianceMode,
    day0: Date,
    days: usize,
    members: &'a [(String, Member)],
}

impl Ctx<'_> {
    fn day_index(&self, ts: i64) -> usize {
        let d = Timestamp::from_microsecond(ts).map_or(self.day0, |t| local_date(self.line, t));
        let i = d
            .since(self.day0)
            .map_or(0, |s| s.get_days().max(0) as usize);
        i.min(self.days.saturating_sub(1))
    }

    fn counts(&self, arm: usize, metric: &Metric) -> Counts {
        let mut c = Counts {
            daily: vec![(0, 0); self.days],
            ..Counts::default()
        };
        for (unit, m) in self.members.iter().filter(|(_, m)| m.arm == arm) {
            let key = m.cluster(self.mode, self.line, unit);
            let (mut k, mut n) = (0u64, 0u64);
            if *metric == Metric::Yield {
                for &(ts, passed) in &m.dispositions {
                    let d = self.day_index(ts);
                    n += 1;
                    c.daily[d].1 += 1;
                    if passed {
                        k += 1;
                        c.daily[d].0 += 1;
                    }
                }
            } else {
                n = 1;
                c.daily[self.day_index(m.exposure)].1 += 1;
                if let Some(ts) = m.success_at(metric) {
                    k = 1;
                    c.daily[self.day_index(ts)].0 += 1;
                }
            }
            c.k += k;
            c.n += n;
            let e = c.clusters.entry(key).or_insert((0.0, 0.0));
            e.0 += k as f64;
            e.1 += n as f64;
        }
        c
    }

    fn rate(&self, arm: usize, metric: &Metric) -> Rate {
        let c = self.counts(arm, metric);
        Rate {
            count: c.k,
            rate: (c.n > 0).then(|| c.k as f64 / c.n as f64),
            ci: wilson(c.k, c.n, Z95).map(|i| [i.lo, i.hi]),
        }
    }
}

/// A two-arm comparison on one metric.
#[derive(Debug, Clone, Default)]
struct Compared {
    diff: Option<f64>,
    diff_ci: Option<[f64; 2]>,
    lift: Option<f64>,
    lift_ci: Option<[f64; 2]>,
    p_value: Option<f64>,
    chance_to_beat: Option<f64>,
    /// Design effects of the two arms (1 when binomial).
    deff: (f64, f64),
    note: Option<String>,
}

fn compare(mode: VarianceMode, t: &Counts, c: &Counts) -> Compared {
    let mut out = Compared {
        deff: (1.0, 1.0),
        ..Compared::default()
    };
    if t.n == 0 || c.n == 0 {
        out.note = Some("not enough data: an arm has no trials yet".into());
        return out;
    }
    let p1 = t.k as f64 / t.n as f64;
    let p2 = c.k as f64 / c.n as f64;
    out.diff = Some(p1 - p2);
    out.lift = (p2 > 0.0).then(|| p1 / p2 - 1.0);
    if mode == VarianceMode::Binomial {
        out.diff_ci = newcombe_diff_ci(t.k, t.n, c.k, c.n, ALPHA)
            .ok()
            .map(|i| [i.lo, i.hi]);
        out.lift_ci = ratio_log_ci(t.k, t.n, c.k, c.n, ALPHA)
            .ok()
            .map(|i| [i.lo - 1.0, i.hi - 1.0]);
        out.p_value = ztest_pooled(t.k, t.n, c.k, c.n).ok().map(|z| z.p_value);
        out.chance_to_beat = chance_to_beat(t.k, t.n, c.k, c.n).ok();
        return out;
    }
    let ct: Vec<(f64, f64)> = t.clusters.values().copied().collect();
    let cc: Vec<(f64, f64)> = c.clusters.values().copied().collect();
    let (et, ec) = match (cluster_ratio(&ct), cluster_ratio(&cc)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            out.note = Some(format!("not enough data for cluster-robust variance: {e}"));
            return out;
        }
    };
    out.deff = (design_effect(&et, t), design_effect(&ec, c));
    match cluster_diff(&et, &ec, ALPHA) {
        Ok(d) => {
            out.diff_ci = Some([d.ci.lo, d.ci.hi]);
            out.p_value = Some(d.p_value);
        }
        Err(e) => out.note = Some(format!("no cluster-robust interval: {e}")),
    }
    if et.ratio > 0.0 && ec.ratio > 0.0 {
        let se = (et.variance / (et.ratio * et.ratio) + ec.variance / (ec.ratio * ec.ratio)).sqrt();
        let centre = (et.ratio / ec.ratio).ln();
        if se.is_finite() {
            out.lift_ci = Some([
                (centre - Z95 * se).exp() - 1.0,
                (centre + Z95 * se).exp() - 1.0,
            ]);
        }
    }
    let (k1, n1) = effective(t, out.deff.0);
    let (k2, n2) = effective(c, out.deff.1);
    out.chance_to_beat = chance_to_beat(k1, n1, k2, n2).ok();
    out
}

/// Cluster-robust variance over binomial variance, at least 1.
fn design_effect(est: &RatioEstimate, c: &Counts) -> f64 {
    let p = est.ratio;
    let binom = p * (1.0 - p) / c.n as f64;
    if binom > 0.0 && est.variance.is_finite() {
        (est.variance / binom).max(1.0)
    } else {
        1.0
    }
}

/// Counts divided by a design effect, rounded.
fn effective(c: &Counts, deff: f64) -> (u64, u64) {
    scale(c.k, c.n, deff)
}

fn scale(k: u64, n: u64, deff: f64) -> (u64, u64) {
    if deff <= 1.0 {
        return (k, n);
    }
    let n_eff = (n as f64 / deff).round() as u64;
    let k_eff = ((k as f64 / deff).round() as u64).min(n_eff);
    (k_eff, n_eff)
}

/// The cumulative daily looks of a comparison, deflated by the design effects.
fn looks(t: &Counts, c: &Counts, deff: (f64, f64)) -> Vec<Look> {
    let mut out: Vec<Look> = Vec::with_capacity(t.daily.len());
    let (mut k1, mut n1, mut k2, mut n2) = (0, 0, 0, 0);
    for (a, b) in t.daily.iter().zip(&c.daily) {
        k1 += a.0;
        n1 += a.1;
        k2 += b.0;
        n2 += b.1;
        let (ek1, en1) = scale(k1, n1, deff.0);
        let (ek2, en2) = scale(k2, n2, deff.1);
        // Rounding must keep the looks cumulative.
        let prev = out.last().copied().unwrap_or_default();
        out.push(Look {
            k1: ek1.max(prev.k1).min(en1.max(prev.n1)),
            n1: en1.max(prev.n1),
            k2: ek2.max(prev.k2).min(en2.max(prev.n2)),
            n2: en2.max(prev.n2),
        });
    }
    out
}

/// Working days until the mSPRT would cross `ALPHA` if the observed rates held, given
/// trials per working day. `None` when no decision is in sight.
fn days_to_decision(sprt: &MixtureSprt, last: &Look, per_day: f64) -> Option<f64> {
    if last.n1 == 0 || last.n2 == 0 {
        return None;
    }
    let (n1, n2) = (last.n1 as f64, last.n2 as f64);
    let p1 = last.k1 as f64 / n1;
    let p2 = last.k2 as f64 / n2;
    let theta = p1 - p2;
    let n = n1 + n2;
    let c = p1 * (1.0 - p1) / (n1 / n) + p2 * (1.0 - p2) / (n2 / n);
    if theta == 0.0 || !(c.is_finite() && c > 0.0) {
        return None;
    }
    let t2 = sprt.tau2();
    let target = (1.0 / ALPHA).ln();
    let llr = |total: f64| {
        let v = c / total;
        0.5 * (v / (v + t2)).ln() + t2 * theta * theta / (2.0 * v * (v + t2))
    };
    if llr(n) >= target {
        return Some(0.0);
    }
    if !(per_day.is_finite() && per_day > 0.0) {
        return None;
    }
    // Find an upper bound, then bisect (llr grows with the sample once V ≪ τ² θ²-scale).
    let mut hi = n;
    let mut found = false;
    for _ in 0..60 {
        hi *= 2.0;
        if llr(hi) >= target {
            found = true;
            break;
        }
    }
    if !found {
        return None;
    }
    let mut lo = n;
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if llr(mid) >= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let days = (hi - n) / per_day;
    // Beyond ten years of the current volume is "not in sight".
    (days <= 2_600.0).then_some(days)
}

/// Analyses an experiment as of `as_of` (see the [module docs](crate::experiment) for every
/// definition). Never panics and never returns `NaN`: figures that cannot be computed
/// are `None`, with a note.
///
/// # Errors
/// [`ExperimentError`] when the definition does not fit the line.
pub fn analyze(
    def: &ExperimentDef,
    line: &Line,
    data: &ExperimentData,
    as_of: Timestamp,
) -> Result<Analysis, ExperimentError> {
    def.validate(line)?;
    let station =
        line.station_index(&def.station)
            .ok_or_else(|| ExperimentError::UnknownStation {
                station: def.station.clone(),
                known: known_stations(line),
            })?;
    let start = def.start.as_microsecond();
    let as_of_us = as_of.as_microsecond();
    let end_ts = def.stop.map_or(as_of, |s| s.min(as_of));
    let end = end_ts.as_microsecond();
    let holdout = def.holdout.as_deref().and_then(|h| def.arm_index(h));
    let control = def
        .arm_index(&def.control)
        .ok_or_else(|| ExperimentError::UnknownArm {
            arm: def.control.clone(),
            arms: def.arm_names(),
        })?;
    let mode = match (def.unit, line.unit) {
        (RandomizationUnit::Week, _) => VarianceMode::Week,
        (RandomizationUnit::Account, UnitKind::Contact) => VarianceMode::Account,
        _ => VarianceMode::Binomial,
    };
    let mut warnings = Vec::new();

    // 1. Arm-tagged events at the station in the window, in time order.
    let mut tagged: Vec<&ExperimentEvent> = data
        .events
        .iter()
        .filter(|e| e.station == def.station && e.arm.is_some())
        .filter(|e| (start..end).contains(&e.ts.as_microsecond()))
        .collect();
    tagged.sort_by(|a, b| (a.ts, &a.unit, a.kind).cmp(&(b.ts, &b.unit, b.kind)));
    let mut unknown_arms: BTreeMap<String, u64> = BTreeMap::new();
    let mut first_arm: HashMap<&str, (usize, i64)> = HashMap::new();
    let mut crossed: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut members: HashMap<&str, Member> = HashMap::new();
    for e in &tagged {
        let name = e.arm.as_deref().unwrap_or_default();
        let Some(arm) = def.arm_index(name) else {
            *unknown_arms.entry(name.to_owned()).or_default() += 1;
            continue;
        };
        let ts = e.ts.as_microsecond();
        let (unit_arm, exposure) = *first_arm.entry(e.unit.as_str()).or_insert((arm, ts));
        if unit_arm != arm {
            crossed.insert(e.unit.as_str());
            continue;
        }
        let joins = e.kind.is_disposition() || Some(arm) == holdout;
        if joins || members.contains_key(e.unit.as_str()) {
            let m = members.entry(e.unit.as_str()).or_insert_with(|| Member {
                arm,
                account: e.account.clone(),
                exposure,
                ..Member::default()
            });
            if e.kind.is_disposition() {
                m.dispositions.push((ts, e.kind == EventKind::Passed));
            }
        }
    }
    for (arm, n) in &unknown_arms {
        warnings.push(format!(
            "{n} events at {} in the window carry arm {arm:?}, which this experiment does not have: ignored",
            def.station
        ));
    }
    if !crossed.is_empty() {
        warnings.push(format!(
            "{} units appear in more than one arm: each is kept in the arm it was first seen in",
            crossed.len()
        ));
    }

    // 2. Outcomes after exposure and before as_of.
    for e in &data.events {
        let Some(m) = members.get_mut(e.unit.as_str()) else {
            continue;
        };
        let ts = e.ts.as_microsecond();
        if ts < m.exposure || ts >= as_of_us {
            continue;
        }
        let earliest = |slot: &mut Option<i64>| *slot = Some(slot.map_or(ts, |t: i64| t.min(ts)));
        match e.kind {
            EventKind::Passed => {
                if let Some(s) = line.station_index(&e.station).filter(|&s| s > station) {
                    let p = m.passes.entry(s).or_insert(ts);
                    *p = (*p).min(ts);
                }
            }
            EventKind::Optout => earliest(&mut m.optout),
            EventKind::Failed => match e.reason.as_deref() {
                Some("optout") => earliest(&mut m.optout),
                Some("negative") => earliest(&mut m.negative),
                _ => {}
            },
            _ => {}
        }
    }
    let mut members: Vec<(String, Member)> = members
        .into_iter()
        .map(|(u, m)| (u.to_owned(), m))
        .collect();
    members.sort_by(|a, b| a.0.cmp(&b.0));

    // 3. Per arm.
    let day0 = local_date(line, def.start);
    let last_day = local_date(
        line,
        Timestamp::from_microsecond(as_of_us.saturating_sub(1)).unwrap_or(as_of),
    );
    let days = if last_day < day0 {
        1
    } else {
        last_day
            .since(day0)
            .map_or(1, |s| s.get_days().max(0) as usize + 1)
    };
    let ctx = Ctx {
        line,
        mode,
        day0,
        days,
        members: &members,
    };
    let downstream: Vec<usize> = (station + 1..line.stations.len()).collect();
    let wsum: f64 = def.arms.iter().map(|a| a.weight).sum();
    let mut arms = Vec::with_capacity(def.arms.len());
    let mut srm_counts = Vec::with_capacity(def.arms.len());
    for (i, a) in def.arms.iter().enumerate() {
        let mine: Vec<&(String, Member)> = members.iter().filter(|(_, m)| m.arm == i).collect();
        let accounts: std::collections::BTreeSet<&str> =
            mine.iter().map(|(_, m)| m.account.as_str()).collect();
        let rand_units: std::collections::BTreeSet<String> = mine
            .iter()
            .map(|(u, m)| match def.unit {
                RandomizationUnit::Account => m.account.clone(),
                RandomizationUnit::Contact => u.clone(),
                RandomizationUnit::Week => m.cluster(VarianceMode::Week, line, u),
            })
            .collect();
        srm_counts.push(rand_units.len() as u64);
        let y = ctx.counts(i, &Metric::Yield);
        let mut ds = BTreeMap::new();
        for &s in &downstream {
            ds.insert(
                line.stations[s].id.clone(),
                ctx.rate(i, &Metric::Station(s)),
            );
        }
        let mut gs = BTreeMap::new();
        gs.insert(OPTOUT_RATE.to_owned(), ctx.rate(i, &Metric::Optout));
        gs.insert(NEGATIVE_RATE.to_owned(), ctx.rate(i, &Metric::Negative));
        arms.push(ArmResult {
            name: a.name.clone(),
            weight: a.weight / wsum,
            control: i == control,
            holdout: Some(i) == holdout,
            units: mine.len() as u64,
            accounts: accounts.len() as u64,
            randomization_units: rand_units.len() as u64,
            dispositions: y.n,
            passed: y.k,
            yield_: (y.n > 0).then(|| y.k as f64 / y.n as f64),
            yield_ci: wilson(y.k, y.n, Z95).map(|i| [i.lo, i.hi]),
            downstream: ds,
            guardrails: gs,
        });
    }

    // 4. Sample-ratio mismatch.
    let srm_p = srm_chi_square(&srm_counts, &def.weights()).ok();
    let broken = srm_p.is_some_and(|p| p < SRM_ALPHA);
    if broken {
        warnings.push(format!(
            "sample-ratio mismatch: the arms' {} counts ({}) are far from the planned weights (p = {:.2e} < {SRM_ALPHA}): assignment or logging is broken, so there is no verdict",
            def.unit.as_str(),
            srm_counts.iter().map(u64::to_string).collect::<Vec<_>>().join(" / "),
            srm_p.unwrap_or(0.0)
        ));
    }

    // 5. Comparisons.
    let sprt = MixtureSprt::new(def.tau2)?;
    let working_days = if end <= start {
        0
    } else {
        let last = Timestamp::from_microsecond(end.saturating_sub(1)).unwrap_or(end_ts);
        working_days_between(line, day0, local_date(line, last))
    };
    let stopped = def.stop.is_some_and(|s| s <= as_of);
    let holdout_metric = def
        .holdout_metric
        .as_deref()
        .and_then(|m| line.station_index(m))
        .unwrap_or(line.stations.len().saturating_sub(1));
    let mut comparisons = Vec::new();
    for i in (0..def.arms.len()).filter(|&i| i != control) {
        let (metric, metric_name) = if holdout == Some(i) || holdout == Some(control) {
            (
                Metric::Station(holdout_metric),
                format!("{} per unit", line.stations[holdout_metric].id),
            )
        } else {
            (Metric::Yield, "yield".to_owned())
        };
        let t = ctx.counts(i, &metric);
        let c = ctx.counts(control, &metric);
        let cmp = compare(mode, &t, &c);
        let lk = looks(&t, &c, cmp.deff);
        let always_valid_p = if cmp.diff.is_some() {
            sprt.always_valid_p(&lk).ok()
        } else {
            None
        };
        // Trials per working day: new trials keep coming only while the experiment runs
        // (yield), or while units keep being exposed (per-unit metrics).
        let per_day = if stopped || working_days == 0 {
            0.0
        } else {
            let last = lk.last().copied().unwrap_or_default();
            (last.n1 + last.n2) as f64 / f64::from(working_days)
        };
        let days_to_decision = match (always_valid_p, lk.last()) {
            (Some(p), _) if p < ALPHA => Some(0.0),
            (Some(_), Some(last)) => days_to_decision(&sprt, last, per_day),
            _ => None,
        };
        let mut checks = Vec::new();
        for g in &def.guardrails {
            let m = match g.metric.as_str() {
                OPTOUT_RATE => Metric::Optout,
                NEGATIVE_RATE => Metric::Negative,
                s => match line.station_index(s) {
                    Some(s) => Metric::Station(s),
                    None => continue,
                },
            };
            let gc = compare(mode, &ctx.counts(i, &m), &ctx.counts(control, &m));
            let breached = match gc.diff_ci {
                Some([lo, _]) if g.lower_is_better() => lo > g.margin,
                Some([_, hi]) => hi < -g.margin,
                None => false,
            };
            checks.push(GuardrailCheck {
                metric: g.metric.clone(),
                margin: g.margin,
                lower_is_better: g.lower_is_better(),
                diff: gc.diff,
                diff_ci: gc.diff_ci,
                breached,
            });
        }
        comparisons.push(Comparison {
            arm: def.arms[i].name.clone(),
            control: def.control.clone(),
            metric: metric_name,
            arm_counts: [t.k, t.n],
            control_counts: [c.k, c.n],
            diff: cmp.diff,
            diff_ci: cmp.diff_ci,
            lift: cmp.lift,
            lift_ci: cmp.lift_ci,
            p_value: cmp.p_value,
            chance_to_beat: cmp.chance_to_beat,
            always_valid_p,
            looks: lk.len(),
            guardrails: checks,
            days_to_decision,
            note: cmp.note,
        });
    }

    let verdict = decide(broken, stopped, &comparisons);
    Ok(Analysis {
        id: def.id.clone(),
        station: def.station.clone(),
        unit: def.unit,
        variance: mode.label().to_owned(),
        start: def.start,
        end: end_ts.max(def.start),
        as_of,
        stopped,
        tau2: def.tau2,
        working_days,
        arms,
        comparisons,
        srm_p,
        crossovers: crossed.len() as u64,
        warnings,
        verdict,
    })
}
