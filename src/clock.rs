//! The city's clock: Asia/Ho_Chi_Minh is UTC+7 all year (no daylight saving since 1975), so a
//! fixed offset is exact and needs no time-zone database.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// How far the city's clock runs from the machine's, in milliseconds: zero unless the server
/// was started at a given instant (`PORTAL_CLOCK`, or a test harness), so that a training
/// server or a test suite lives the same working days whatever day it runs on. The clock keeps
/// running from that instant; tokens and rate-limit windows stay on the machine's clock.
static OFFSET_MS: AtomicI64 = AtomicI64::new(0);

/// Starts the city's clock at `start` (it runs on from there). Process-wide: every server in
/// the process shares it.
pub fn start_at(start: DateTime<Utc>) {
    OFFSET_MS.store((start - Utc::now()).num_milliseconds(), Ordering::Relaxed);
}

/// Whether the clock was started at a given instant (a warning at start-up says so).
pub fn is_set() -> bool {
    OFFSET_MS.load(Ordering::Relaxed) != 0
}

/// Now, on the city's clock (the machine's, unless [`start_at`] moved it).
pub fn now() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::milliseconds(OFFSET_MS.load(Ordering::Relaxed))
}

pub fn city_offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// Now, in the city's zone.
pub fn now_local() -> DateTime<FixedOffset> {
    now().with_timezone(&city_offset())
}

/// Today's date in the city.
pub fn today() -> NaiveDate {
    now_local().date_naive()
}

/// A UTC instant shown in the city's zone (RFC 3339 with `+07:00`).
pub fn local(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&city_offset())
}

/// The years a date given by a client may fall in. Outside them a date is a typo or an attack
/// (chrono and the databases disagree at their far ends), never a record of this portal.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

/// A client's date, within [`YEARS`]; `BAD_USER_INPUT` on `field` otherwise.
pub fn check_date(
    field: &str,
    d: impl Into<NaiveDate>,
) -> Result<NaiveDate, crate::error::AppError> {
    use chrono::Datelike;
    let d: NaiveDate = d.into();
    if YEARS.contains(&d.year()) {
        Ok(d)
    } else {
        Err(crate::error::AppError::bad_input(
            field,
            format!(
                "Ngày {d} nằm ngoài khoảng năm {}–{}.",
                YEARS.start(),
                YEARS.end()
            ),
            format!(
                "The date {d} is outside the years {}–{}.",
                YEARS.start(),
                YEARS.end()
            ),
        ))
    }
}

/// A client's instant, within [`YEARS`] in the city; `BAD_USER_INPUT` on `field` otherwise.
pub fn check_instant(
    field: &str,
    t: impl Into<crate::scalars::Instant>,
) -> Result<DateTime<Utc>, crate::error::AppError> {
    let t: DateTime<Utc> = t.into().0;
    check_date(field, t.with_timezone(&city_offset()).date_naive())?;
    Ok(t)
}

/// A filter's bounds: `from` and `to`, each optional.
pub type Range = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A filter's `from` and `to` instants, each checked by [`check_instant`].
pub fn check_range(
    from: Option<crate::scalars::Instant>,
    to: Option<crate::scalars::Instant>,
) -> Result<Range, crate::error::AppError> {
    Ok((
        from.map(|t| check_instant("from", t)).transpose()?,
        to.map(|t| check_instant("to", t)).transpose()?,
    ))
}

/// The first instant of a client's date in the city (`BAD_USER_INPUT` outside [`YEARS`]).
pub fn day_start(
    field: &str,
    d: impl Into<NaiveDate>,
) -> Result<DateTime<Utc>, crate::error::AppError> {
    let d = check_date(field, d)?;
    Ok((d.and_time(chrono::NaiveTime::MIN) - city_offset()).and_utc())
}

/// A client's month, `YYYY-MM`: the key as the portal writes it, and its first instant and the
/// first instant of the next month in the city. `BAD_USER_INPUT` on `field` otherwise.
pub fn month_range(
    field: &str,
    s: &str,
) -> Result<(String, DateTime<Utc>, DateTime<Utc>), crate::error::AppError> {
    use chrono::Datelike;
    let bad = || {
        crate::error::AppError::bad_input(
            field,
            "Tháng có dạng YYYY-MM, ví dụ 2026-03.",
            "A month is written YYYY-MM, e.g. 2026-03.",
        )
    };
    let first =
        NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d").map_err(|_| bad())?;
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .ok_or_else(bad)?;
    if !YEARS.contains(&first.year()) {
        return Err(bad());
    }
    Ok((
        first.format("%Y-%m").to_string(),
        day_start(field, first)?,
        day_start(field, next)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_the_years_are_refused_not_panicked_on() {
        let far = NaiveDate::from_ymd_opt(-262143, 1, 1).unwrap();
        assert!(day_start("from", far).is_err());
        assert!(day_start("from", NaiveDate::MAX).is_err());
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(
            day_start("from", d).unwrap().to_rfc3339(),
            "2025-12-31T17:00:00+00:00"
        );
    }
}
