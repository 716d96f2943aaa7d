//! A deterministic, realistic event log in Yieldline's CSV format.
//!
//! Units (contacts, three per account) arrive evenly over about two years and walk the
//! template line: `research → first-touch → reply → meeting-booked → meeting-held →
//! qualified`. At each station a unit is `entered`, gets the station's touches, then is
//! disposed: `passed`, `failed` with a reason, or `recycled` with a `resume_on` date
//! (after which it re-enters the same station). Some replies name a referral (a new
//! unit, which then walks the line itself). The whole log is sorted by time, as an
//! export would be, and cut at exactly the number of events asked for.
//!
//! Event ids look random (a bijective hash of the event's position, like UUIDv4s): the
//! worst case for a unique index, and what most CRMs and event pipelines export.

use std::io::Write;

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use rayon::slice::ParallelSliceMut;

/// Station ids of the template line, in order.
pub const STATIONS: [&str; 6] = [
    "research",
    "first-touch",
    "reply",
    "meeting-booked",
    "meeting-held",
    "qualified",
];
const KINDS: [&str; 6] = ["entered", "touch", "passed", "failed", "recycled", "optout"];
const REASONS: [&str; 7] = [
    "",
    "disqualified",
    "wrong_person",
    "bounced",
    "no_response",
    "negative",
    "no_show",
];
const CHANNELS: [&str; 4] = ["", "email", "phone", "social"];
const KIND_ENTERED: u8 = 0;
const KIND_TOUCH: u8 = 1;
const KIND_PASSED: u8 = 2;
const KIND_FAILED: u8 = 3;
const KIND_RECYCLED: u8 = 4;

/// One generated event, compact (sorted before it is written).
#[derive(Clone, Copy)]
struct Rec {
    /// Unix seconds.
    ts: i64,
    /// Generation order, to make the sort total and deterministic.
    n: u32,
    unit: u32,
    /// Referral unit + 1 (0: none).
    referral: u32,
    /// Days since 1970-01-01 (recycled only).
    resume_on: i32,
    station: u8,
    kind: u8,
    reason: u8,
    channel: u8,
    /// Cost in tenths of a minute (0: none).
    cost_tenths: u16,
}

/// Counts of what was generated, for the benchmark's own sanity checks.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Generated {
    /// Events written.
    pub events: u64,
    /// Distinct units that have at least one event.
    pub units: u64,
}

const DAY: i64 = 86_400;
/// 2024-01-01T00:00:00Z.
const START: i64 = 1_704_067_200;
const SPAN_DAYS: i64 = 730;
/// Events per unit on average (measured on this generator), to spread arrivals.
const EVENTS_PER_UNIT: f64 = 9.6;

struct Walk<'a> {
    rng: &'a mut Pcg64Mcg,
    out: &'a mut Vec<Rec>,
    next_referral: &'a mut u32,
    referrals: &'a mut Vec<(u32, i64)>,
}

impl Walk<'_> {
    fn push(&mut self, ts: i64, unit: u32, station: u8, kind: u8) -> &mut Rec {
        let n = self.out.len() as u32;
        self.out.push(Rec {
            ts,
            n,
            unit,
            referral: 0,
            resume_on: 0,
            station,
            kind,
            reason: 0,
            channel: 0,
            cost_tenths: 0,
        });
        self.out.last_mut().expect("just pushed")
    }

    fn minutes(&mut self, lo: i64, hi: i64) -> i64 {
        60 * self.rng.random_range(lo..=hi)
    }

    /// Walks one unit from `station` at `t`; returns when it leaves the line.
    fn unit(&mut self, unit: u32, mut t: i64) {
        let mut station = 0u8;
        let mut recycles = 0;
        loop {
            if station as usize >= STATIONS.len() {
                return;
            }
            self.push(t, unit, station, KIND_ENTERED);
            t += self.minutes(5, 60);
            // Touches: the station's outreach.
            let (touches, channel, cost) = match station {
                0 => (0, 0, 0),
                1 => (self.rng.random_range(3..=8), 1, 5),
                2 => (self.rng.random_range(1..=2), 2, 40),
                3 => (1, 1, 20),
                _ => (0, 0, 0),
            };
            for _ in 0..touches {
                let r = self.push(t, unit, station, KIND_TOUCH);
                r.channel = channel;
                r.cost_tenths = cost;
                t += self.minutes(60 * 24, 60 * 24 * 3);
            }
            t += self.minutes(30, 60 * 30);
            // (pass, fail) per mille; the rest recycles.
            let (pass, fail) = match station {
                0 => (800, 120),
                1 => (100, 820),
                2 => (450, 400),
                3 => (800, 150),
                4 => (750, 200),
                _ => (600, 350),
            };
            let roll = self.rng.random_range(0..1000);
            let (kind, reason) = if roll < pass {
                (KIND_PASSED, 0)
            } else if roll < pass + fail || recycles >= 2 {
                let reason = match station {
                    0 => [1, 2, 3][self.rng.random_range(0..3)],
                    1 => [4, 4, 4, 4, 3, 5][self.rng.random_range(0..6)],
                    2 => [5, 5, 2][self.rng.random_range(0..3)],
                    4 => 6,
                    _ => 1,
                };
                (KIND_FAILED, reason)
            } else {
                (KIND_RECYCLED, 0)
            };
            let rec_cost = if station == 0 { 60 } else { 0 };
            let resume = (t / DAY + self.rng.random_range(30..=120)) as i32;
            let refers = kind == KIND_FAILED && reason == 2 && self.rng.random_range(0..3) == 0;
            let referral = if refers {
                let r = *self.next_referral;
                *self.next_referral += 1;
                let at = t + self.minutes(60, 60 * 24 * 5);
                self.referrals.push((r, at));
                r + 1
            } else {
                0
            };
            let r = self.push(t, unit, station, kind);
            r.reason = reason;
            r.cost_tenths = rec_cost;
            r.referral = referral;
            match kind {
                KIND_PASSED => {
                    station += 1;
                    t += self.minutes(10, 60 * 24);
                }
                KIND_RECYCLED => {
                    r.resume_on = resume;
                    recycles += 1;
                    t = i64::from(resume) * DAY + 13 * 3600 + self.minutes(0, 8 * 60);
                }
                _ => return,
            }
        }
    }
}

/// Generates `events` events with `seed` and writes them as CSV to `out`.
pub fn generate(events: u64, seed: u64, out: impl Write) -> std::io::Result<Generated> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let units_est = ((events as f64 / EVENTS_PER_UNIT).ceil() as i64).max(1);
    let spacing = (SPAN_DAYS * DAY) as f64 / units_est as f64;
    let mut recs: Vec<Rec> = Vec::with_capacity(events as usize + 64);
    // Referral units take ids after every regular unit that could be generated.
    let mut next_referral = u32::try_from(units_est * 2).unwrap_or(u32::MAX / 2);
    let mut referrals: Vec<(u32, i64)> = Vec::new();
    let mut unit = 0u32;
    while (recs.len() as u64) < events + events / 50 + 16 {
        let t = START + (f64::from(unit) * spacing) as i64 + rng.random_range(0..3600);
        let mut w = Walk {
            rng: &mut rng,
            out: &mut recs,
            next_referral: &mut next_referral,
            referrals: &mut referrals,
        };
        w.unit(unit, t);
        while let Some((r, at)) = w.referrals.pop() {
            w.unit(r, at);
        }
        unit += 1;
    }
    recs.par_sort_unstable_by_key(|r| (r.ts, r.n));
    recs.truncate(events as usize);
    let mut seen = std::collections::HashSet::with_capacity(recs.len() / 8);
    for r in &recs {
        seen.insert(r.unit);
    }
    write_csv(&recs, seed, out)?;
    Ok(Generated {
        events: recs.len() as u64,
        units: seen.len() as u64,
    })
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Civil date (y, m, d) of days since 1970-01-01 (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn digits(buf: &mut Vec<u8>, mut v: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut i = tmp.len();
    while v > 0 || tmp.len() - i < width {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn date(buf: &mut Vec<u8>, days: i64) {
    let (y, m, d) = civil(days);
    digits(buf, y as u64, 4);
    buf.push(b'-');
    digits(buf, u64::from(m), 2);
    buf.push(b'-');
    digits(buf, u64::from(d), 2);
}

fn write_csv(recs: &[Rec], seed: u64, mut out: impl Write) -> std::io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    buf.extend_from_slice(
        b"event_id,ts,unit_id,account_id,station,kind,reason,resume_on,referral_unit_id,channel,operator_id,operator_kind,arm,cost_minutes\n",
    );
    let salt = splitmix64(seed);
    for (i, r) in recs.iter().enumerate() {
        // event_id: "ev-" + 16 hex digits of a bijective hash of the position.
        buf.extend_from_slice(b"ev-");
        let h = splitmix64(i as u64 ^ salt);
        for k in (0..16).rev() {
            buf.push(HEX[((h >> (k * 4)) & 0xf) as usize]);
        }
        buf.push(b',');
        // ts in New York winter time (-05:00), as a CRM in that zone would export it.
        let local = r.ts - 5 * 3600;
        date(&mut buf, local.div_euclid(DAY));
        buf.push(b'T');
        let sod = local.rem_euclid(DAY) as u64;
        digits(&mut buf, sod / 3600, 2);
        buf.push(b':');
        digits(&mut buf, sod / 60 % 60, 2);
        buf.push(b':');
        digits(&mut buf, sod % 60, 2);
        buf.extend_from_slice(b"-05:00,c");
        digits(&mut buf, u64::from(r.unit), 7);
        buf.extend_from_slice(b",a");
        digits(&mut buf, u64::from(r.unit / 3), 6);
        buf.push(b',');
        buf.extend_from_slice(STATIONS[r.station as usize].as_bytes());
        buf.push(b',');
        buf.extend_from_slice(KINDS[r.kind as usize].as_bytes());
        buf.push(b',');
        buf.extend_from_slice(REASONS[r.reason as usize].as_bytes());
        buf.push(b',');
        if r.kind == KIND_RECYCLED {
            date(&mut buf, i64::from(r.resume_on));
        }
        buf.push(b',');
        if r.referral > 0 {
            buf.push(b'c');
            digits(&mut buf, u64::from(r.referral - 1), 7);
        }
        buf.push(b',');
        buf.extend_from_slice(CHANNELS[r.channel as usize].as_bytes());
        buf.push(b',');
        // operator_id, operator_kind, arm
        if r.kind != KIND_ENTERED {
            if r.station == 1 {
                buf.extend_from_slice(b"seq-");
                digits(&mut buf, u64::from(r.unit % 2 + 1), 1);
                buf.extend_from_slice(b",automation,");
                buf.extend_from_slice(if r.unit % 2 == 0 {
                    b"auto-a"
                } else {
                    b"auto-b"
                });
            } else {
                buf.extend_from_slice(b"rep-");
                digits(&mut buf, u64::from(r.unit % 24), 2);
                buf.extend_from_slice(b",human,");
            }
        } else {
            buf.extend_from_slice(b",,");
        }
        buf.push(b',');
        if r.cost_tenths > 0 {
            digits(&mut buf, u64::from(r.cost_tenths / 10), 1);
            if r.cost_tenths % 10 != 0 {
                buf.push(b'.');
                digits(&mut buf, u64::from(r.cost_tenths % 10), 1);
            }
        }
        buf.push(b'\n');
        if buf.len() >= (1 << 20) - 512 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_are_right() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(19_723), (2024, 1, 1));
        assert_eq!(civil(19_782), (2024, 2, 29));
    }

    #[test]
    fn the_log_is_deterministic_and_valid() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        let ga = generate(5_000, 7, &mut a).expect("gen");
        generate(5_000, 7, &mut b).expect("gen");
        assert_eq!(a, b);
        assert_eq!(ga.events, 5_000);
        let text = String::from_utf8(a).expect("utf8");
        assert_eq!(text.lines().count(), 5_001);
        let line =
            yieldline_core::line::Line::from_toml("line.toml", yieldline_core::line::TEMPLATE)
                .expect("line");
        let mut rdr = csv_lite(&text);
        let header: Vec<&str> = rdr.next().expect("header");
        assert_eq!(header, yieldline_core::event::EVENT_FIELDS);
        for row in rdr {
            let get = |i: usize| Some(std::borrow::Cow::Borrowed(row[i])).filter(|s| !s.is_empty());
            let raw = yieldline_core::event::RawEvent {
                event_id: get(0),
                ts: get(1),
                unit_id: get(2),
                account_id: get(3),
                station: get(4),
                kind: get(5),
                reason: get(6),
                resume_on: get(7),
                referral_unit_id: get(8),
                channel: get(9),
                operator_id: get(10),
                operator_kind: get(11),
                arm: get(12),
                cost_minutes: get(13),
            };
            raw.validate(&line, "2027-01-01T00:00:00Z".parse().expect("ts"))
                .expect("valid row");
        }
    }

    fn csv_lite(text: &str) -> impl Iterator<Item = Vec<&str>> {
        text.lines().map(|l| l.split(',').collect())
    }
}
