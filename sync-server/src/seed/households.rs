//! Households of the demo street: families with plausible names, ages, phones and key-person
//! tags (重点人群).

use gridwalk_shared::model::{Building, Household, Member};
use rand::{rngs::StdRng, Rng};

use super::names::{Who, FEMALE_GIVEN, MALE_GIVEN, NOTES, SURNAMES, TAGS};
use super::new_id;

/// Year ages are counted in.
const YEAR: i64 = 2026;
/// Staircases (单元) per building.
const UNITS: u32 = 3;
/// Floors per staircase.
const FLOORS: u32 = 5;
/// Flats per floor.
const ROOMS: u32 = 2;
/// Share of households given key-person tags.
const TAGGED_SHARE: f64 = 0.15;
/// Share of households with a note.
const NOTED_SHARE: f64 = 0.03;

/// Households per building.
pub(super) const PER_BUILDING: usize = (UNITS * FLOORS * ROOMS) as usize;

/// Makes plausible Chinese names.
pub(super) struct Namer {
    surnames: Vec<&'static str>,
    male: Vec<&'static str>,
    female: Vec<&'static str>,
}

impl Namer {
    /// Loads the word lists.
    pub(super) fn new() -> Self {
        Self {
            surnames: SURNAMES.split_whitespace().collect(),
            male: MALE_GIVEN.split_whitespace().collect(),
            female: FEMALE_GIVEN.split_whitespace().collect(),
        }
    }

    /// A surname, the common ones more often.
    fn surname(&self, rng: &mut StdRng) -> &'static str {
        let n = self.surnames.len();
        let i = rng.gen_range(0..n).min(rng.gen_range(0..n));
        self.surnames[i]
    }

    /// A given name of one or two characters.
    fn given(&self, rng: &mut StdRng, female: bool) -> String {
        let pool = if female { &self.female } else { &self.male };
        let len = if rng.gen_bool(0.3) { 1 } else { 2 };
        (0..len)
            .map(|_| pool[rng.gen_range(0..pool.len())])
            .collect()
    }

    /// A full name with a fresh surname.
    pub(super) fn name(&self, rng: &mut StdRng, female: bool) -> String {
        let surname = self.surname(rng);
        format!("{surname}{}", self.given(rng, female))
    }
}

/// A family member before ids and tags.
struct Person {
    name: String,
    relation: &'static str,
    year: i64,
    female: bool,
}

impl Person {
    fn age(&self) -> i64 {
        YEAR - self.year
    }
}

/// Every household of `buildings`, 30 per building.
pub(super) fn households(
    rng: &mut StdRng,
    buildings: &[Building],
    namer: &Namer,
) -> Vec<Household> {
    let mut out = Vec::with_capacity(buildings.len() * PER_BUILDING);
    for building in buildings {
        for unit in 1..=UNITS {
            for floor in 1..=FLOORS {
                for room in 1..=ROOMS {
                    let address = format!("{}{unit}单元{floor}{room:02}", building.address);
                    out.push(household(rng, building, address, namer));
                }
            }
        }
    }
    out
}

fn household(rng: &mut StdRng, building: &Building, address: String, namer: &Namer) -> Household {
    let id = new_id(rng);
    let people = family(rng, namer);
    let phone = format!(
        "1{}{}{:08}",
        ["3", "5", "8"][rng.gen_range(0..3)],
        rng.gen_range(0..10),
        rng.gen_range(0..100_000_000)
    );
    let mut tags = Vec::new();
    let mut member_tags = vec![Vec::new(); people.len()];
    if rng.gen_bool(TAGGED_SHARE) {
        let picks = if rng.gen_bool(0.3) { 2 } else { 1 };
        for _ in 0..picks {
            tag(rng, &people, &mut tags, &mut member_tags);
        }
    }
    let notes = if rng.gen_bool(NOTED_SHARE) {
        NOTES[rng.gen_range(0..NOTES.len())].to_string()
    } else {
        String::new()
    };
    let members = people
        .iter()
        .zip(member_tags)
        .map(|(p, tags)| Member {
            id: new_id(rng),
            name: p.name.clone(),
            relation: p.relation.to_string(),
            birth_year: Some(p.year),
            tags,
        })
        .collect();
    Household {
        id,
        grid_id: building.grid_id,
        building_id: building.id,
        address,
        head: people[0].name.clone(),
        phone,
        tags,
        members,
        notes,
    }
}

/// A family of 1–5: the head (户主) first, then spouse, children, a parent or grandchildren.
fn family(rng: &mut StdRng, namer: &Namer) -> Vec<Person> {
    let size = match rng.gen_range(0..100) {
        0..=14 => 1,
        15..=44 => 2,
        45..=74 => 3,
        75..=89 => 4,
        _ => 5,
    };
    let head_female = rng.gen_bool(0.35);
    let head_year = if size == 1 {
        rng.gen_range(1936..=2000)
    } else {
        rng.gen_range(1945..=1995)
    };
    let head_surname = namer.surname(rng);
    let mut people = vec![Person {
        name: format!("{head_surname}{}", namer.given(rng, head_female)),
        relation: "户主",
        year: head_year,
        female: head_female,
    }];
    let mut family_surname = head_surname;
    if size >= 2 {
        let surname = namer.surname(rng);
        if head_female {
            family_surname = surname;
        }
        people.push(Person {
            name: format!("{surname}{}", namer.given(rng, !head_female)),
            relation: "配偶",
            year: head_year + rng.gen_range(-4..=4),
            female: !head_female,
        });
    }
    let mut first_child: Option<i64> = None;
    let mut has_parent = false;
    while people.len() < size {
        let female = rng.gen_bool(0.5);
        let (relation, year, surname) = match first_child {
            Some(child) if head_year < 1968 => {
                let year = (child + rng.gen_range(24..=32)).min(YEAR - 1);
                ("孙子女", year, family_surname)
            }
            _ if head_year > 1975 && !has_parent && rng.gen_bool(0.25) => {
                has_parent = true;
                let surname = if female {
                    namer.surname(rng)
                } else {
                    head_surname
                };
                ("父母", head_year - rng.gen_range(24..=32), surname)
            }
            _ => {
                let year = (head_year + rng.gen_range(22..=34)).min(YEAR - 1);
                first_child.get_or_insert(year);
                ("子女", year, family_surname)
            }
        };
        people.push(Person {
            name: format!("{surname}{}", namer.given(rng, female)),
            relation,
            year,
            female,
        });
    }
    people
}

/// Where a tag goes.
enum Target {
    /// The household as a whole.
    Household,
    /// One of these members.
    OneOf(Vec<usize>),
    /// Each of these members.
    All(Vec<usize>),
}

/// Members of `people` that a tag of kind `who` fits.
fn target(who: Who, people: &[Person]) -> Option<Target> {
    let all_old = people.iter().all(|p| p.age() >= 60);
    let head_age = people[0].age();
    let fits = |f: &dyn Fn(&Person) -> bool| {
        let members: Vec<usize> = (0..people.len()).filter(|&i| f(&people[i])).collect();
        (!members.is_empty()).then_some(Target::OneOf(members))
    };
    match who {
        Who::Household => Some(Target::Household),
        Who::Bereaved => (head_age >= 50 && people.iter().all(|p| p.relation != "子女"))
            .then_some(Target::Household),
        Who::LivingAlone => (people.len() == 1 && all_old).then_some(Target::All(vec![0])),
        Who::EmptyNest => {
            (people.len() >= 2 && all_old).then(|| Target::All((0..people.len()).collect()))
        }
        Who::Child => fits(&|p| p.age() < 16),
        Who::Adult => fits(&|p| (18..=75).contains(&p.age())),
        Who::Young => fits(&|p| (20..=40).contains(&p.age())),
        Who::Woman => fits(&|p| p.female && (18..=49).contains(&p.age())),
        Who::Mother => fits(&|p| p.female && (22..=40).contains(&p.age())),
        Who::Veteran => fits(&|p| !p.female && (22..=80).contains(&p.age())),
    }
}

/// Adds one key-person tag that fits the family and is not used in it yet.
fn tag(rng: &mut StdRng, people: &[Person], tags: &mut Vec<String>, members: &mut [Vec<String>]) {
    let used = |kind: &str| {
        tags.iter()
            .chain(members.iter().flatten())
            .any(|t| t == kind)
    };
    let candidates: Vec<(&str, u32, Target)> = TAGS
        .iter()
        .filter(|(_, kind, _, _)| !used(kind))
        .filter_map(|&(_, kind, who, weight)| Some((kind, weight, target(who, people)?)))
        .collect();
    let total: u32 = candidates.iter().map(|c| c.1).sum();
    if total == 0 {
        return;
    }
    let mut roll = rng.gen_range(0..total);
    for (kind, weight, target) in candidates {
        if roll >= weight {
            roll -= weight;
            continue;
        }
        match target {
            Target::Household => tags.push(kind.to_string()),
            Target::All(list) => list.iter().for_each(|&i| members[i].push(kind.to_string())),
            Target::OneOf(list) => {
                members[list[rng.gen_range(0..list.len())]].push(kind.to_string());
            }
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::seed::demo;

    #[test]
    fn families_are_plausible() {
        let demo = demo(11);
        for h in &demo.households {
            assert!((1..=5).contains(&h.members.len()), "{}", h.address);
            let head = &h.members[0];
            assert_eq!(head.relation, "户主");
            assert_eq!(head.name, h.head);
            let head_year = head.birth_year.expect("head has a birth year");
            assert!((1936..=2000).contains(&head_year));
            for m in &h.members {
                let year = m.birth_year.expect("members have birth years");
                assert!((1900..YEAR).contains(&year), "{} born {year}", m.name);
                assert!(["户主", "配偶", "子女", "父母", "孙子女"].contains(&m.relation.as_str()));
                let chars = m.name.chars().count();
                assert!((2..=4).contains(&chars), "name {}", m.name);
            }
            let ids: HashSet<_> = h.members.iter().map(|m| m.id).collect();
            assert_eq!(ids.len(), h.members.len());
        }
        let sizes: HashSet<usize> = demo.households.iter().map(|h| h.members.len()).collect();
        assert_eq!(sizes.len(), 5, "every family size from 1 to 5 occurs");
    }

    #[test]
    fn phones_are_mobile_numbers() {
        for h in demo(3).households {
            assert_eq!(h.phone.len(), 11, "{}", h.phone);
            assert!(h.phone.bytes().all(|b| b.is_ascii_digit()));
            assert!(["13", "15", "18"].contains(&&h.phone[..2]), "{}", h.phone);
        }
    }

    #[test]
    fn about_fifteen_percent_carry_key_person_tags() {
        let demo = demo(5);
        let kinds: HashSet<&str> = TAGS.iter().map(|t| t.1).collect();
        let mut seen = HashSet::new();
        let mut tagged = 0;
        for h in &demo.households {
            let all: Vec<&String> = h
                .tags
                .iter()
                .chain(h.members.iter().flat_map(|m| &m.tags))
                .collect();
            if !all.is_empty() {
                tagged += 1;
            }
            for t in all {
                assert!(kinds.contains(t.as_str()), "unknown tag {t}");
                seen.insert(t.clone());
            }
        }
        let share = f64::from(tagged) / demo.households.len() as f64;
        assert!((0.10..=0.20).contains(&share), "tagged share {share}");
        assert!(seen.len() >= 15, "only {} kinds used", seen.len());
        let alone = demo.households.iter().filter(|h| h.members.len() == 1);
        for h in alone.filter(|h| h.members[0].tags.iter().any(|t| t == "独居老人")) {
            assert!(YEAR - h.members[0].birth_year.unwrap_or(YEAR) >= 60);
        }
    }

    #[test]
    fn notes_are_mostly_empty() {
        let demo = demo(2);
        let noted = demo
            .households
            .iter()
            .filter(|h| !h.notes.is_empty())
            .count();
        assert!(
            noted > 0 && noted < demo.households.len() / 10,
            "{noted} notes"
        );
    }
}
