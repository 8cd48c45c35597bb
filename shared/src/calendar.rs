//! Working-day calendar: weekends, public holidays and make-up workdays (调休).

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Weekday};
use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Which dates are working days in a deployment, and its time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkCalendar {
    /// Offset of local time from UTC in minutes (Asia/Shanghai: 480).
    pub utc_offset_minutes: i32,
    /// Public holidays that fall on weekdays.
    pub holidays: BTreeSet<NaiveDate>,
    /// Weekend days that are working days (调休上班).
    pub workdays: BTreeSet<NaiveDate>,
}

impl Default for WorkCalendar {
    fn default() -> Self {
        Self {
            utc_offset_minutes: 8 * 60,
            holidays: BTreeSet::new(),
            workdays: BTreeSet::new(),
        }
    }
}

impl WorkCalendar {
    fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_minutes * 60)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset is valid"))
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.workdays.contains(&date) {
            return true;
        }
        if self.holidays.contains(&date) {
            return false;
        }
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The local date of an instant.
    pub fn local_date(&self, at: Timestamp) -> NaiveDate {
        at.0.with_timezone(&self.offset()).date_naive()
    }

    /// A local day as epoch milliseconds, from its midnight to the next.
    pub fn day_millis(&self, date: NaiveDate) -> std::ops::Range<i64> {
        let midnight = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc().timestamp_millis())
                .unwrap_or_default()
                - i64::from(self.utc_offset_minutes) * 60_000
        };
        midnight(date)..midnight(date + Duration::days(1))
    }

    /// The due time for work started at `start` with `days` working days allowed: the end
    /// (23:59:59 local) of the `days`-th working day after the start's day. With `days == 0`
    /// it is the end of the start day, or of the next working day if that is not one.
    pub fn due(&self, start: Timestamp, days: u32) -> Timestamp {
        let mut date = self.local_date(start);
        while !self.is_working_day(date) {
            date += Duration::days(1);
        }
        let mut left = days;
        while left > 0 {
            date += Duration::days(1);
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        let end = date.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default());
        let local = self
            .offset()
            .from_local_datetime(&end)
            .single()
            .map(|t| t.with_timezone(&chrono::Utc));
        local.map(Timestamp::from).unwrap_or(start)
    }

    /// Working days from `from`'s date to `to`'s date (0 if `to` is not later).
    pub fn working_days_between(&self, from: Timestamp, to: Timestamp) -> u32 {
        let (mut date, end) = (self.local_date(from), self.local_date(to));
        let mut count = 0;
        while date < end {
            date += Duration::days(1);
            if self.is_working_day(date) {
                count += 1;
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        Timestamp::from(
            chrono::DateTime::parse_from_rfc3339(text)
                .expect("valid test time")
                .with_timezone(&chrono::Utc),
        )
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("valid test date")
    }

    #[test]
    fn weekends_are_skipped() {
        let cal = WorkCalendar::default();
        // Friday 2026-11-20 10:00 Beijing + 3 working days = Wednesday 25th.
        let due = cal.due(ts("2026-11-20T10:00:00+08:00"), 3);
        assert_eq!(due, ts("2026-11-25T23:59:59+08:00"));
    }

    #[test]
    fn same_day_rolls_to_next_working_day_on_a_weekend() {
        let cal = WorkCalendar::default();
        let due = cal.due(ts("2026-11-21T09:00:00+08:00"), 0);
        assert_eq!(due, ts("2026-11-23T23:59:59+08:00"));
    }

    #[test]
    fn holidays_and_make_up_workdays() {
        let mut cal = WorkCalendar::default();
        // National Day style week: Thu 1 Oct – Wed 7 Oct off, Sat 10 Oct worked.
        for d in 1..=7 {
            cal.holidays.insert(date(&format!("2026-10-0{d}")));
        }
        cal.workdays.insert(date("2026-10-10"));
        assert!(!cal.is_working_day(date("2026-10-05")));
        assert!(cal.is_working_day(date("2026-10-10")));
        // Reported Wed 30 Sep evening (local), 2 working days: Thu 8th, Fri 9th.
        let due = cal.due(ts("2026-09-30T20:00:00+08:00"), 2);
        assert_eq!(due, ts("2026-10-09T23:59:59+08:00"));
        // One more: Saturday the 10th is a make-up workday.
        let due = cal.due(ts("2026-09-30T20:00:00+08:00"), 3);
        assert_eq!(due, ts("2026-10-10T23:59:59+08:00"));
    }

    #[test]
    fn local_date_uses_the_offset() {
        let cal = WorkCalendar::default();
        // 17:00 UTC on the 22nd is 01:00 on the 23rd in Beijing.
        assert_eq!(
            cal.local_date(ts("2026-11-22T17:00:00Z")),
            date("2026-11-23")
        );
        assert_eq!(
            cal.working_days_between(
                ts("2026-11-20T10:00:00+08:00"),
                ts("2026-11-24T10:00:00+08:00")
            ),
            2
        );
    }
}
