//! SLA calendar maths: due dates in calendar or business days.
//!
//! A business day is Monday to Friday and not a holiday. Adding `n` business days to a moment
//! walks forward day by day and counts only business days, keeping the time of day: Friday 15:00
//! plus one business day is Monday 15:00, and a task created on Saturday with one business day is
//! due Monday at the same time. Adding zero days returns the start unchanged.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

/// How a due offset counts days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayCount {
    /// Every day counts.
    Calendar,
    /// Weekends and holidays do not count.
    Business,
}

/// Whether `day` is a business day given a sorted or unsorted list of holidays.
pub fn is_business_day(day: NaiveDate, holidays: &[NaiveDate]) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&day)
}

/// `start` plus `days` days counted as `count` says, plus `hours` hours of wall-clock time.
pub fn add_due(
    start: NaiveDateTime,
    days: u32,
    hours: u32,
    count: DayCount,
    holidays: &[NaiveDate],
) -> NaiveDateTime {
    let moved = match count {
        DayCount::Calendar => start + Duration::days(i64::from(days)),
        DayCount::Business => {
            let mut day = start.date();
            let mut left = days;
            while left > 0 {
                day = day.succ_opt().unwrap_or(day);
                if is_business_day(day, holidays) {
                    left -= 1;
                }
            }
            day.and_time(start.time())
        }
    };
    moved + Duration::hours(i64::from(hours))
}

/// Business days strictly after `from` up to and including `to` (0 when `to <= from`): how many
/// business days an SLA breach has lasted.
pub fn business_days_between(from: NaiveDate, to: NaiveDate, holidays: &[NaiveDate]) -> u32 {
    let mut n = 0;
    let mut day = from;
    while day < to {
        day = day.succ_opt().unwrap_or(to);
        if is_business_day(day, holidays) {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, 0, 0).unwrap()
    }

    #[test]
    fn calendar_days_count_weekends() {
        // 2026-11-20 is a Friday.
        assert_eq!(add_due(at(2026, 11, 20, 15), 2, 0, DayCount::Calendar, &[]), at(2026, 11, 22, 15));
    }

    #[test]
    fn business_days_skip_weekends_and_keep_the_time() {
        assert_eq!(add_due(at(2026, 11, 20, 15), 1, 0, DayCount::Business, &[]), at(2026, 11, 23, 15));
        assert_eq!(add_due(at(2026, 11, 20, 15), 5, 0, DayCount::Business, &[]), at(2026, 11, 27, 15));
    }

    #[test]
    fn a_weekend_start_counts_from_monday() {
        // Saturday + 1 business day = Monday.
        assert_eq!(add_due(at(2026, 11, 21, 9), 1, 0, DayCount::Business, &[]), at(2026, 11, 23, 9));
    }

    #[test]
    fn holidays_are_skipped() {
        let thanksgiving = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        // Wed + 1 business day with Thursday a holiday = Friday.
        assert_eq!(
            add_due(at(2026, 11, 25, 10), 1, 0, DayCount::Business, &[thanksgiving]),
            at(2026, 11, 27, 10)
        );
    }

    #[test]
    fn zero_days_is_the_start_and_hours_add_on_top() {
        assert_eq!(add_due(at(2026, 11, 21, 9), 0, 0, DayCount::Business, &[]), at(2026, 11, 21, 9));
        assert_eq!(add_due(at(2026, 11, 20, 9), 0, 4, DayCount::Calendar, &[]), at(2026, 11, 20, 13));
    }

    #[test]
    fn business_days_between_counts_only_workdays() {
        let fri = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let tue = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(business_days_between(fri, tue, &[]), 2);
        assert_eq!(business_days_between(tue, fri, &[]), 0);
    }
}
