//! Server-authoritative catalogues of the demo street: departments, incident categories and
//! their routing, the visit checklist, the service catalogue and the 2026 calendar.

use chrono::{Datelike, NaiveDate, Weekday};
use gridwalk_shared::calendar::WorkCalendar;
use gridwalk_shared::model::{
    ChecklistItem, ChecklistTemplate, Department, IncidentCategory, ItemKind, RoutingRule,
    ServiceItem,
};
use rand::rngs::StdRng;
use uuid::Uuid;

use super::names::{self, Kind};
use super::new_id;

/// Street departments (owned by the street) and city departments (owned by the district).
pub(super) fn departments(rng: &mut StdRng, street: Uuid, district: Uuid) -> Vec<Department> {
    let street = names::STREET_DEPARTMENTS.iter().map(|n| (n, street));
    let city = names::CITY_DEPARTMENTS.iter().map(|n| (n, district));
    street
        .chain(city)
        .map(|(name, unit_id)| Department {
            id: new_id(rng),
            name: name.to_string(),
            unit_id,
        })
        .collect()
}

/// Incident categories (code, group, name).
pub(super) fn categories() -> Vec<IncidentCategory> {
    names::CATEGORIES
        .iter()
        .map(|&(code, group, name, _, _)| IncidentCategory {
            code: code.to_string(),
            name: name.to_string(),
            group: group.to_string(),
        })
        .collect()
}

/// One street-wide routing rule per incident category.
pub(super) fn routing(street: Uuid, departments: &[Department]) -> Vec<RoutingRule> {
    names::CATEGORIES
        .iter()
        .map(|&(code, _, _, level, department)| RoutingRule {
            category: code.to_string(),
            area_id: street,
            level,
            department_id: department
                .and_then(|name| departments.iter().find(|d| d.name == name))
                .map(|d| d.id),
            days: level.default_days(),
        })
        .collect()
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// The visit checklist (网格走访清单), version 1.
pub(super) fn checklist(rng: &mut StdRng) -> ChecklistTemplate {
    let items = names::CHECKLIST
        .iter()
        .map(|&(key, label, kind, options, required)| ChecklistItem {
            key: key.to_string(),
            label: label.to_string(),
            kind: match kind {
                Kind::YesNo => ItemKind::YesNo,
                Kind::Single => ItemKind::SingleChoice {
                    options: strings(options),
                },
                Kind::Multi => ItemKind::MultiChoice {
                    options: strings(options),
                },
                Kind::Text => ItemKind::Text,
                Kind::Number => ItemKind::Number,
                Kind::Photo => ItemKind::Photo,
            },
            required,
        })
        .collect();
    ChecklistTemplate {
        id: new_id(rng),
        version: 1,
        name: "网格走访清单".to_string(),
        items,
    }
}

/// The service catalogue (办事一本通).
pub(super) fn services(rng: &mut StdRng) -> Vec<ServiceItem> {
    names::SERVICES
        .iter()
        .map(
            |&(category, name, days, department, materials, steps)| ServiceItem {
                id: new_id(rng),
                category: category.to_string(),
                name: name.to_string(),
                materials: strings(materials),
                steps: strings(steps),
                time_limit_days: days,
                department: department.to_string(),
            },
        )
        .collect()
}

/// `WorkCalendar::default()` with China's 2026 public holidays and make-up workdays (调休).
pub(super) fn calendar_2026() -> WorkCalendar {
    let date = |(month, day): (u32, u32)| NaiveDate::from_ymd_opt(2026, month, day);
    let weekend = |d: &NaiveDate| matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
    let mut calendar = WorkCalendar::default();
    for &(first, last) in names::HOLIDAYS_2026 {
        let (Some(first), Some(last)) = (date(first), date(last)) else {
            continue;
        };
        let days = first.iter_days().take_while(|d| *d <= last);
        calendar.holidays.extend(days.filter(|d| !weekend(d)));
    }
    let workdays = names::WORKDAYS_2026.iter().filter_map(|&d| date(d));
    calendar.workdays.extend(workdays.filter(weekend));
    calendar
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::seed::demo;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("valid test date")
    }

    #[test]
    fn checklist_has_thirty_items_of_every_kind() {
        let r = demo(1).reference;
        let template = r.current_checklist().expect("a checklist");
        assert_eq!(
            (template.version, template.name.as_str()),
            (1, "网格走访清单")
        );
        assert_eq!(template.items.len(), 30);
        let kinds: HashSet<&str> = template
            .items
            .iter()
            .map(|i| match &i.kind {
                ItemKind::YesNo => "yes_no",
                ItemKind::SingleChoice { options } | ItemKind::MultiChoice { options } => {
                    assert!(options.len() >= 2, "{}", i.key);
                    if matches!(i.kind, ItemKind::SingleChoice { .. }) {
                        "single"
                    } else {
                        "multi"
                    }
                }
                ItemKind::Text => "text",
                ItemKind::Number => "number",
                ItemKind::Photo => "photo",
            })
            .collect();
        assert_eq!(kinds.len(), 6);
        assert_eq!(template.items.iter().filter(|i| i.required).count(), 5);
        assert!(!template
            .items
            .iter()
            .any(|i| i.required && i.kind == ItemKind::Photo));
        let keys: HashSet<&str> = template.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys.len(), 30);
        for key in [
            "residents.count_changed",
            "safety.fire_extinguisher",
            "safety.gas_leak",
            "elderly.living_alone_ok",
        ] {
            assert!(keys.contains(key), "{key}");
        }
    }

    #[test]
    fn service_catalogue_has_eight_categories() {
        let r = demo(1).reference;
        assert_eq!(r.services.len(), 28);
        let mut per_category: HashMap<&str, usize> = HashMap::new();
        for s in &r.services {
            *per_category.entry(s.category.as_str()).or_default() += 1;
            assert!((2..=5).contains(&s.materials.len()), "{}", s.name);
            assert!((3..=5).contains(&s.steps.len()), "{}", s.name);
            assert!(s.time_limit_days <= 20, "{}", s.name);
            assert!(!s.department.is_empty());
        }
        assert_eq!(per_category.len(), 8);
        assert!(per_category.values().all(|&n| n >= 3));
        assert!(r.services.iter().any(|s| s.time_limit_days == 0));
        let names: HashSet<&str> = r.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names.len(), 28);
    }

    #[test]
    fn key_person_tags_are_three_classes_of_twenty_two_kinds() {
        let classes: HashSet<&str> = names::TAGS.iter().map(|t| t.0).collect();
        let kinds: HashSet<&str> = names::TAGS.iter().map(|t| t.1).collect();
        assert_eq!((classes.len(), kinds.len()), (3, 22));
    }

    #[test]
    fn calendar_has_the_2026_holidays() {
        let cal = demo(1).reference.calendar;
        assert_eq!(cal.utc_offset_minutes, 480);
        assert_eq!(cal.holidays.len(), 19);
        assert_eq!(cal.workdays.len(), 6);
        for off in [
            "2026-01-01",
            "2026-01-02",
            "2026-02-16",
            "2026-02-23",
            "2026-04-06",
            "2026-05-05",
            "2026-06-19",
            "2026-09-25",
            "2026-10-07",
        ] {
            assert!(!cal.is_working_day(date(off)), "{off}");
        }
        for on in [
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10",
            "2026-10-08",
        ] {
            assert!(cal.is_working_day(date(on)), "{on}");
        }
        assert!(cal
            .holidays
            .iter()
            .all(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)));
    }
}
