//! Names, titles, e-mail addresses and company domains of the emitted territory:
//! deterministic functions of the seed and the contact or account number, drawn from
//! no simulation stream (so naming does not change a run).

use crate::splitmix64;

const FIRST_NAMES: [&str; 74] = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Christopher",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Steven",
    "Ashley",
    "Andrew",
    "Emily",
    "Joshua",
    "Michelle",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Stephanie",
    "Timothy",
    "Rebecca",
    "Jason",
    "Laura",
    "Ryan",
    "Sharon",
    "Jacob",
    "Cynthia",
    "Gary",
    "Kathleen",
    "Nicholas",
    "Amy",
    "Eric",
    "Angela",
    "Jonathan",
    "Anna",
    "Priya",
    "Wei",
    "Carlos",
    "Sofia",
    "Ahmed",
    "Fatima",
    "Hiroshi",
    "Yuki",
    "Diego",
    "Lucia",
    "Olga",
    "Ivan",
    "Aisha",
    "Omar",
    "Mei",
    "Raj",
    "Elena",
    "Marco",
];

const LAST_NAMES: [&str; 70] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Patel",
    "Shah",
    "Chen",
    "Wang",
    "Kim",
    "Park",
    "Singh",
    "Kowalski",
    "Novak",
    "Schmidt",
    "Muller",
    "Rossi",
    "Silva",
    "Costa",
    "Yamamoto",
    "Tanaka",
    "Ivanova",
    "Okafor",
    "Mensah",
    "Haddad",
];

const BRANDS: [&str; 100] = [
    "acme",
    "apex",
    "atlas",
    "beacon",
    "birch",
    "bluepeak",
    "bright",
    "cedar",
    "cobalt",
    "summit",
    "copper",
    "crest",
    "delta",
    "ember",
    "evergreen",
    "falcon",
    "fjord",
    "granite",
    "harbor",
    "helix",
    "horizon",
    "ironwood",
    "juniper",
    "keystone",
    "lakeside",
    "legacy",
    "lumen",
    "maple",
    "meridian",
    "metro",
    "nimbus",
    "northfield",
    "oakridge",
    "orbit",
    "pacific",
    "paragon",
    "pinecrest",
    "pioneer",
    "prairie",
    "quantum",
    "radiant",
    "redwood",
    "ridgeline",
    "riverbend",
    "rocket",
    "sage",
    "sierra",
    "silverline",
    "solstice",
    "spruce",
    "sterling",
    "stonegate",
    "sunrise",
    "terra",
    "tidal",
    "titan",
    "union",
    "vertex",
    "vista",
    "willow",
    "zenith",
    "aurora",
    "bolt",
    "canyon",
    "crown",
    "eagle",
    "frontier",
    "globex",
    "golden",
    "great-lakes",
    "highland",
    "liberty",
    "lighthouse",
    "lone-star",
    "mesa",
    "midwest",
    "northstar",
    "peak",
    "premier",
    "prime",
    "pyramid",
    "range",
    "sequoia",
    "skyline",
    "southern",
    "starling",
    "true-north",
    "valley",
    "vector",
    "westbrook",
    "wildflower",
    "yellowstone",
    "alder",
    "brook",
    "clover",
    "dune",
    "elm",
    "fern",
    "harvest",
    "copperleaf",
];

const INDUSTRIES: [&str; 40] = [
    "logistics",
    "freight",
    "foods",
    "health",
    "labs",
    "systems",
    "manufacturing",
    "analytics",
    "software",
    "robotics",
    "energy",
    "solar",
    "biotech",
    "pharma",
    "retail",
    "apparel",
    "insurance",
    "capital",
    "realty",
    "construction",
    "engineering",
    "medical",
    "dental",
    "clinics",
    "security",
    "networks",
    "cloud",
    "data",
    "media",
    "learning",
    "travel",
    "hospitality",
    "automotive",
    "aerospace",
    "packaging",
    "chemicals",
    "materials",
    "farms",
    "water",
    "telecom",
];

const DOMAIN_SUFFIXES: [&str; 5] = ["", "-group", "-co", "-inc", "-partners"];

const TITLES: [&str; 24] = [
    "VP of Operations",
    "VP of Sales",
    "Director of Operations",
    "Director of Supply Chain",
    "Head of Procurement",
    "Head of Logistics",
    "Operations Manager",
    "Procurement Manager",
    "Supply Chain Manager",
    "IT Director",
    "Chief Information Officer",
    "Chief Technology Officer",
    "Chief Operating Officer",
    "Chief Revenue Officer",
    "Director of IT",
    "Facilities Manager",
    "Purchasing Lead",
    "Head of Revenue Operations",
    "Director of Finance",
    "Chief Financial Officer",
    "Controller",
    "Plant Manager",
    "Fleet Manager",
    "Head of Engineering",
];

/// Company-domain combinations (brand × industry × suffix) before numbering repeats.
const COMBOS: u64 = (BRANDS.len() * INDUSTRIES.len() * DOMAIN_SUFFIXES.len()) as u64;
/// Step of the permutation of combinations (odd and not a multiple of 5, so coprime
/// with `COMBOS` = 20,000: every account of a round gets its own domain).
const STEP: u64 = 7_919;

/// The company domain of account `a`: unique across the territory.
pub fn domain(seed: u64, a: u32) -> String {
    let a = u64::from(a);
    let combo = ((a % COMBOS) * STEP + splitmix64(seed) % COMBOS) % COMBOS;
    let brand = BRANDS[(combo % BRANDS.len() as u64) as usize];
    let rest = combo / BRANDS.len() as u64;
    let industry = INDUSTRIES[(rest % INDUSTRIES.len() as u64) as usize];
    let suffix = DOMAIN_SUFFIXES[(rest / INDUSTRIES.len() as u64) as usize];
    match a / COMBOS {
        0 => format!("{brand}-{industry}{suffix}.example"),
        round => format!("{brand}-{industry}{suffix}-{round}.example"),
    }
}

/// A contact's given name, family name and job title.
pub fn person(seed: u64, c: u32) -> (&'static str, &'static str, &'static str) {
    let h = splitmix64(seed ^ splitmix64(u64::from(c) ^ 0x4E41_4D45));
    let pick =
        |list: &[&'static str], shift: u32| list[((h >> shift) % list.len() as u64) as usize];
    (
        pick(&FIRST_NAMES, 0),
        pick(&LAST_NAMES, 21),
        pick(&TITLES, 42),
    )
}

/// The local part of `first.last`'s e-mail address, numbered (`first.last2`, …) when
/// a colleague at the same company already has it; `used` holds the company's
/// local parts so far.
pub fn email_local(first: &str, last: &str, used: &mut Vec<String>) -> String {
    let base = format!(
        "{}.{}",
        first.to_ascii_lowercase(),
        last.to_ascii_lowercase()
    );
    let mut local = base.clone();
    let mut k = 2;
    while used.contains(&local) {
        local = format!("{base}{k}");
        k += 1;
    }
    used.push(local.clone());
    local
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn domains_are_unique_and_names_deterministic() {
        let domains: HashSet<String> = (0..45_000).map(|a| domain(7, a)).collect();
        assert_eq!(domains.len(), 45_000);
        assert!(domains.iter().all(|d| d.ends_with(".example")));
        assert_eq!(person(7, 12), person(7, 12));
        assert_ne!(domain(7, 0), domain(8, 0));
        let mut used = Vec::new();
        assert_eq!(email_local("Ann", "Lee", &mut used), "ann.lee");
        assert_eq!(email_local("Ann", "Lee", &mut used), "ann.lee2");
    }
}
