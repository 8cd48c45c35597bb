//! When a household's next visit is due (应访日期), from its key-person tags and its last
//! visit, under the deployment's [`VisitRules`]: one function for phone, server and admin web.

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::Serialize;

use crate::model::{Frequency, Household, VisitRules};

/// A household's next visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NextVisit {
    /// The frequency that applies (the strictest of its tags' rules).
    pub frequency: Frequency,
    /// The tag whose rule it is; `None`: the default rule.
    pub tag: Option<String>,
    /// Local date the next visit is due by; `None`: never visited, due now.
    pub due_on: Option<NaiveDate>,
    /// Due now: never visited, or the due date is today or past.
    pub due: bool,
    /// The due date has passed.
    pub overdue: bool,
}

/// The date a visit at `frequency` is due after one on `last`.
pub fn due_after(frequency: Frequency, last: NaiveDate) -> NaiveDate {
    let months = |n| {
        last.checked_add_months(Months::new(n))
            .unwrap_or(NaiveDate::MAX)
    };
    match frequency {
        Frequency::Weekly => last
            .checked_add_days(Days::new(7))
            .unwrap_or(NaiveDate::MAX),
        Frequency::TwiceMonthly => half_month_after(last),
        Frequency::Monthly => months(1),
        Frequency::Quarterly => months(3),
    }
}

/// Half a calendar month on: the 1st–15th move to the 16th–30th of the same month (at most
/// its last day), the 16th onwards to the same day less 15 of the next month.
fn half_month_after(date: NaiveDate) -> NaiveDate {
    let day = date.day();
    if day <= 15 {
        let last = last_day_of_month(date);
        date.with_day((day + 15).min(last)).unwrap_or(date)
    } else {
        let next = date
            .with_day(1)
            .and_then(|d| d.checked_add_months(Months::new(1)))
            .unwrap_or(NaiveDate::MAX);
        next.with_day(day - 15).unwrap_or(next)
    }
}

fn last_day_of_month(date: NaiveDate) -> u32 {
    date.with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day())
}

/// The rule for a household whose household and member tags are `tags`: the strictest
/// frequency among its tags' rules (ties: the first rule); the default only for households
/// no rule names.
pub fn rule_for<'a>(
    rules: &VisitRules,
    tags: impl IntoIterator<Item = &'a str>,
) -> (Frequency, Option<String>) {
    let tags: Vec<&str> = tags.into_iter().collect();
    rules
        .by_tag
        .iter()
        .filter(|r| tags.contains(&r.tag.as_str()))
        .min_by_key(|r| r.frequency)
        .map_or((rules.default, None), |r| {
            (r.frequency, Some(r.tag.clone()))
        })
}

/// The next visit of a household with `tags`, last visited on `last` (local date), as of
/// `today` (local date).
pub fn next_visit<'a>(
    rules: &VisitRules,
    tags: impl IntoIterator<Item = &'a str>,
    last: Option<NaiveDate>,
    today: NaiveDate,
) -> NextVisit {
    let (frequency, tag) = rule_for(rules, tags);
    let due_on = last.map(|last| due_after(frequency, last));
    NextVisit {
        frequency,
        tag,
        due_on,
        due: due_on.is_none_or(|d| d <= today),
        overdue: due_on.is_some_and(|d| d < today),
    }
}

/// Sort key putting the most urgent visit first: overdue (longest overdue first), then due
/// today, then never visited, then the rest by due date.
pub fn urgency(next: &NextVisit) -> (u8, Option<NaiveDate>) {
    let rank = match (next.overdue, next.due, next.due_on) {
        (true, _, _) => 0,
        (false, true, Some(_)) => 1,
        (false, _, None) => 2,
        (false, false, Some(_)) => 3,
    };
    (rank, next.due_on)
}

/// Every tag of a household: its own and its members'.
pub fn household_tags(household: &Household) -> impl Iterator<Item = &str> {
    household
        .tags
        .iter()
        .chain(household.members.iter().flat_map(|m| &m.tags))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::VisitRule;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
    }

    fn rules() -> VisitRules {
        VisitRules::seeded()
    }

    #[test]
    fn twice_a_month_crosses_the_month_boundary() {
        assert_eq!(
            due_after(Frequency::TwiceMonthly, date("2026-01-10")),
            date("2026-01-25")
        );
        assert_eq!(
            due_after(Frequency::TwiceMonthly, date("2026-01-20")),
            date("2026-02-05")
        );
        assert_eq!(
            due_after(Frequency::TwiceMonthly, date("2026-01-31")),
            date("2026-02-16")
        );
        assert_eq!(
            due_after(Frequency::TwiceMonthly, date("2026-02-15")),
            date("2026-02-28")
        );
        assert_eq!(
            due_after(Frequency::TwiceMonthly, date("2026-12-20")),
            date("2027-01-05")
        );
        let last = Some(date("2026-01-20"));
        let tags = ["重点上访人员"];
        let on_time = next_visit(&rules(), tags, last, date("2026-02-05"));
        assert!(on_time.due && !on_time.overdue, "{on_time:?}");
        let late = next_visit(&rules(), tags, last, date("2026-02-06"));
        assert!(late.due && late.overdue, "{late:?}");
        let early = next_visit(&rules(), tags, last, date("2026-01-31"));
        assert!(!early.due && !early.overdue, "{early:?}");
    }

    #[test]
    fn monthly_crosses_the_month_boundary_at_the_month_end() {
        assert_eq!(
            due_after(Frequency::Monthly, date("2026-01-31")),
            date("2026-02-28")
        );
        assert_eq!(
            due_after(Frequency::Monthly, date("2028-01-31")),
            date("2028-02-29")
        );
        assert_eq!(
            due_after(Frequency::Monthly, date("2026-12-15")),
            date("2027-01-15")
        );
        let rules = VisitRules::default();
        let last = Some(date("2026-01-31"));
        assert!(!next_visit(&rules, [], last, date("2026-02-27")).due);
        let due = next_visit(&rules, [], last, date("2026-02-28"));
        assert!(due.due && !due.overdue);
        assert!(next_visit(&rules, [], last, date("2026-03-01")).overdue);
    }

    #[test]
    fn a_tag_added_or_removed_changes_the_due_date() {
        let last = Some(date("2026-03-02"));
        let today = date("2026-03-10");
        let plain = next_visit(&rules(), ["党员"], last, today);
        assert_eq!(plain.due_on, Some(date("2026-06-02")));
        assert_eq!(
            (plain.frequency, plain.tag.as_deref()),
            (Frequency::Quarterly, None)
        );
        assert!(!plain.due);
        let alone = next_visit(&rules(), ["党员", "独居老人"], last, today);
        assert_eq!(alone.due_on, Some(date("2026-03-09")));
        assert_eq!(alone.tag.as_deref(), Some("独居老人"));
        assert!(alone.overdue);
        let removed = next_visit(&rules(), ["党员"], last, today);
        assert_eq!(removed, plain);
    }

    #[test]
    fn the_strictest_rule_among_several_tags_wins() {
        let mut rules = rules();
        rules.by_tag.push(VisitRule {
            tag: "残疾人".into(),
            frequency: Frequency::Monthly,
        });
        let last = Some(date("2026-05-01"));
        let today = date("2026-05-02");
        let both = next_visit(&rules, ["残疾人", "精神障碍患者"], last, today);
        assert_eq!(both.frequency, Frequency::TwiceMonthly);
        assert_eq!(both.due_on, Some(date("2026-05-16")));
        let all = next_visit(&rules, ["残疾人", "独居老人", "精神障碍患者"], last, today);
        assert_eq!(
            (all.frequency, all.due_on),
            (Frequency::Weekly, Some(date("2026-05-08")))
        );
        let monthly = next_visit(&rules, ["残疾人"], last, today);
        assert_eq!(monthly.due_on, Some(date("2026-06-01")));
    }

    #[test]
    fn the_default_is_for_households_no_rule_names() {
        let rules = VisitRules {
            by_tag: vec![VisitRule {
                tag: "租户".into(),
                frequency: Frequency::Quarterly,
            }],
            default: Frequency::Monthly,
        };
        assert_eq!(
            rule_for(&rules, ["租户", "党员"]),
            (Frequency::Quarterly, Some("租户".into()))
        );
        assert_eq!(rule_for(&rules, ["党员"]), (Frequency::Monthly, None));
    }

    #[test]
    fn overdue_comes_first_then_due_today_then_never_visited() {
        let today = date("2026-03-10");
        let at = |tags: &[&str], last: Option<&str>| {
            next_visit(&rules(), tags.iter().copied(), last.map(date), today)
        };
        let mut visits = [
            at(&[], Some("2026-03-01")),
            at(&[], None),
            at(&["独居老人"], Some("2026-03-03")),
            at(&["独居老人"], Some("2026-03-01")),
            at(&["独居老人"], Some("2026-03-02")),
        ];
        visits.sort_by_key(urgency);
        let due: Vec<_> = visits.iter().map(|v| (v.overdue, v.due_on)).collect();
        assert_eq!(
            due,
            [
                (true, Some(date("2026-03-08"))),
                (true, Some(date("2026-03-09"))),
                (false, Some(date("2026-03-10"))),
                (false, None),
                (false, Some(date("2026-06-01"))),
            ]
        );
    }

    #[test]
    fn never_visited_is_due_but_not_overdue() {
        let next = next_visit(&rules(), ["独居老人"], None, date("2026-01-01"));
        assert!(next.due && !next.overdue && next.due_on.is_none());
    }
}
