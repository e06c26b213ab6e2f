//! SLA calendar maths: due dates in calendar or business days.
//!
//! A business day is Monday to Friday and not a holiday. Adding `n` business days to a moment
//! walks forward day by day and counts only business days, keeping the time of day: Friday 15:00
//! plus one business day is Monday 15:00, and a task created on Saturday with one business day is
//! due Monday at the same time. Adding zero days returns the start unchanged.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

use crate::error::Result;
use crate::{ErrorKind, NpsError};

/// The longest due offset: 100 years of days (or of hours). Longer ones are no SLA, and would
/// walk the calendar for minutes.
pub const MAX_DAYS: u32 = 36_525;
/// The longest due offset in hours.
pub const MAX_HOURS: u32 = MAX_DAYS * 24;

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
/// Offsets beyond [`MAX_DAYS`] / [`MAX_HOURS`], and results past the last date the calendar
/// holds (year 262142), are refused with 22008.
pub fn add_due(
    start: NaiveDateTime,
    days: u32,
    hours: u32,
    count: DayCount,
    holidays: &[NaiveDate],
) -> Result<NaiveDateTime> {
    let overflow = || {
        NpsError::new(
            ErrorKind::DatetimeOverflow,
            format!("{start} plus {days} days and {hours} hours is past the last date a timestamp holds"),
            "Due offsets are at most 36525 days (or 876600 hours), and due dates fall before the year 262143.",
        )
    };
    if days > MAX_DAYS || hours > MAX_HOURS {
        return Err(NpsError::new(
            ErrorKind::DatetimeOverflow,
            format!("a due offset of {days} days and {hours} hours is longer than 100 years"),
            "Due offsets are at most 36525 days (or 876600 hours).",
        ));
    }
    let moved = match count {
        DayCount::Calendar => {
            start.checked_add_signed(Duration::days(i64::from(days))).ok_or_else(overflow)?
        }
        DayCount::Business => {
            let mut day = start.date();
            let mut left = days;
            while left > 0 {
                day = day.succ_opt().ok_or_else(overflow)?;
                if is_business_day(day, holidays) {
                    left -= 1;
                }
            }
            day.and_time(start.time())
        }
    };
    moved.checked_add_signed(Duration::hours(i64::from(hours))).ok_or_else(overflow)
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
        assert_eq!(
            add_due(at(2026, 11, 20, 15), 2, 0, DayCount::Calendar, &[]).unwrap(),
            at(2026, 11, 22, 15)
        );
    }

    #[test]
    fn business_days_skip_weekends_and_keep_the_time() {
        assert_eq!(
            add_due(at(2026, 11, 20, 15), 1, 0, DayCount::Business, &[]).unwrap(),
            at(2026, 11, 23, 15)
        );
        assert_eq!(
            add_due(at(2026, 11, 20, 15), 5, 0, DayCount::Business, &[]).unwrap(),
            at(2026, 11, 27, 15)
        );
    }

    #[test]
    fn a_weekend_start_counts_from_monday() {
        // Saturday + 1 business day = Monday.
        assert_eq!(add_due(at(2026, 11, 21, 9), 1, 0, DayCount::Business, &[]).unwrap(), at(2026, 11, 23, 9));
    }

    #[test]
    fn holidays_are_skipped() {
        let thanksgiving = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        // Wed + 1 business day with Thursday a holiday = Friday.
        assert_eq!(
            add_due(at(2026, 11, 25, 10), 1, 0, DayCount::Business, &[thanksgiving]).unwrap(),
            at(2026, 11, 27, 10)
        );
    }

    #[test]
    fn zero_days_is_the_start_and_hours_add_on_top() {
        assert_eq!(add_due(at(2026, 11, 21, 9), 0, 0, DayCount::Business, &[]).unwrap(), at(2026, 11, 21, 9));
        assert_eq!(
            add_due(at(2026, 11, 20, 9), 0, 4, DayCount::Calendar, &[]).unwrap(),
            at(2026, 11, 20, 13)
        );
    }

    #[test]
    fn business_days_between_counts_only_workdays() {
        let fri = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let tue = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(business_days_between(fri, tue, &[]), 2);
        assert_eq!(business_days_between(tue, fri, &[]), 0);
    }

    #[test]
    fn offsets_and_results_beyond_a_timestamp_are_refused_not_panicked() {
        let e = add_due(at(262_142, 12, 1, 0), 100, 0, DayCount::Calendar, &[]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::DatetimeOverflow);
        assert!(e.message.contains("past the last date"), "{}", e.message);
        let e = add_due(at(2026, 1, 1, 0), 1_000_000, 0, DayCount::Business, &[]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::DatetimeOverflow);
        assert!(e.message.contains("longer than 100 years"));
        assert!(add_due(at(2026, 1, 1, 0), MAX_DAYS, MAX_HOURS, DayCount::Business, &[]).is_ok());
    }
}
