//! The simulated line's stations come from Yieldline's standard line template
//! (`yieldline_core::line::TEMPLATE`, what `yieldline init` writes): the engine plays
//! six roles in line order — research, the touch station, replies, booking, meetings,
//! qualification — and the template's station at each position plays that role, under
//! its own id. Nothing in this crate spells a station id.

use std::sync::OnceLock;

use yieldline_core::line::{Line, TEMPLATE};

/// Number of stations (roles) the engine simulates.
pub const STATIONS: usize = 6;

/// Index of the research station (intake of fresh contacts).
pub const RESEARCH: usize = 0;
/// Index of the touch station (outreach sequences).
pub const TOUCH: usize = 1;
/// Index of the reply station.
pub const REPLY: usize = 2;
/// Index of the booking station.
pub const BOOKED: usize = 3;
/// Index of the meeting station.
pub const HELD: usize = 4;
/// Index of the qualification station (the line's output).
pub const QUALIFIED: usize = 5;

static TEMPLATE_LINE: OnceLock<Result<Line, String>> = OnceLock::new();

/// The template line, parsed once with [`Line::from_toml`]; the error text if it
/// does not parse or does not have [`STATIONS`] stations (a build defect that tests
/// catch, reported as an invalid scenario rather than a panic).
pub fn template_line() -> Result<&'static Line, &'static str> {
    TEMPLATE_LINE
        .get_or_init(|| {
            let line =
                Line::from_toml("line_template.toml", TEMPLATE).map_err(|e| e.to_string())?;
            if line.stations.len() == STATIONS {
                Ok(line)
            } else {
                Err(format!(
                    "the line template has {} stations; the simulator plays {STATIONS}",
                    line.stations.len()
                ))
            }
        })
        .as_ref()
        .map_err(String::as_str)
}

/// The template's station ids in line order (empty if the template is unusable).
pub fn station_ids() -> &'static [String] {
    static IDS: OnceLock<Vec<String>> = OnceLock::new();
    IDS.get_or_init(|| {
        template_line()
            .map(|l| l.stations.iter().map(|s| s.id.clone()).collect())
            .unwrap_or_default()
    })
}

/// The id of station `index` (`"?"` if the template is unusable).
pub fn station_id(index: usize) -> &'static str {
    station_ids().get(index).map_or("?", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_has_the_six_roles() {
        let line = template_line().expect("template");
        assert_eq!(line.stations.len(), STATIONS);
        assert_eq!(station_ids().len(), STATIONS);
        assert_eq!(station_id(TOUCH), line.stations[TOUCH].id);
        assert_eq!(station_id(99), "?");
    }
}
