//! `[stations.<id>]`: capacity and effort per station, keyed by the line template's
//! station ids (see [`crate::template`]).

use std::collections::BTreeMap;
use std::ops::{Index, IndexMut};

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::template::{STATIONS, station_ids};

/// Capacity and effort of one station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationParams {
    /// Dispositions (touches at the touch station) humans can do per working day.
    pub human_capacity: u32,
    /// Automated dispositions / touches per day before the ramp multiplier.
    pub automation_capacity: u32,
    /// Effort of one human disposition or touch, in minutes.
    pub human_cost_minutes: f64,
    /// Effort of one automated disposition or touch, in minutes.
    pub automation_cost_minutes: f64,
}

impl StationParams {
    const fn new(human: u32, automation: u32, human_cost: f64, automation_cost: f64) -> Self {
        StationParams {
            human_capacity: human,
            automation_capacity: automation,
            human_cost_minutes: human_cost,
            automation_cost_minutes: automation_cost,
        }
    }
}

/// The defaults of each station, in line order: research human 60 (6 min, automated
/// 0.2), touches human 150 (4 min, automated 0.1), replies 60 (5 / 0.5), booking 40
/// (5 / 0.5), meetings 30 (45 / 45), qualification 30 (10 / 10); no automated capacity.
const DEFAULTS: [StationParams; STATIONS] = [
    StationParams::new(60, 0, 6.0, 0.2),
    StationParams::new(150, 0, 4.0, 0.1),
    StationParams::new(60, 0, 5.0, 0.5),
    StationParams::new(40, 0, 5.0, 0.5),
    StationParams::new(30, 0, 45.0, 45.0),
    StationParams::new(30, 0, 10.0, 10.0),
];

/// Every station of the line, in line order; index with the role constants of
/// [`crate::template`] (`stations[TOUCH].automation_capacity = 80`). In a scenario
/// file each is a table `[stations.<id>]` named by the template's id; absent
/// stations and absent keys take that station's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Stations(pub [StationParams; STATIONS]);

impl Default for Stations {
    fn default() -> Self {
        Stations(DEFAULTS)
    }
}

impl Stations {
    /// The stations in line order.
    pub fn as_array(&self) -> [&StationParams; STATIONS] {
        self.0.each_ref()
    }

    /// The stations in line order, mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut StationParams> {
        self.0.iter_mut()
    }
}

impl Index<usize> for Stations {
    type Output = StationParams;
    fn index(&self, i: usize) -> &StationParams {
        &self.0[i]
    }
}

impl IndexMut<usize> for Stations {
    fn index_mut(&mut self, i: usize) -> &mut StationParams {
        &mut self.0[i]
    }
}

impl Serialize for Stations {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ids = station_ids();
        let mut map = s.serialize_map(Some(ids.len()))?;
        for (id, st) in ids.iter().zip(&self.0) {
            map.serialize_entry(id, st)?;
        }
        map.end()
    }
}

/// One `[stations.<id>]` table as written: every key optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch {
    human_capacity: Option<u32>,
    automation_capacity: Option<u32>,
    human_cost_minutes: Option<f64>,
    automation_cost_minutes: Option<f64>,
}

impl<'de> Deserialize<'de> for Stations {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let patches = BTreeMap::<String, Patch>::deserialize(d)?;
        let ids = station_ids();
        let mut out = Stations::default();
        for (id, p) in patches {
            let Some(i) = ids.iter().position(|x| *x == id) else {
                return Err(D::Error::custom(format!(
                    "unknown station {id:?}; expected one of: {}",
                    ids.join(", ")
                )));
            };
            let st = &mut out.0[i];
            st.human_capacity = p.human_capacity.unwrap_or(st.human_capacity);
            st.automation_capacity = p.automation_capacity.unwrap_or(st.automation_capacity);
            st.human_cost_minutes = p.human_cost_minutes.unwrap_or(st.human_cost_minutes);
            st.automation_cost_minutes = p
                .automation_cost_minutes
                .unwrap_or(st.automation_cost_minutes);
        }
        Ok(out)
    }
}
