//! The city's clock: Asia/Ho_Chi_Minh is UTC+7 all year (no daylight saving since 1975), so a
//! fixed offset is exact and needs no time-zone database.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub fn city_offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// Now, in the city's zone.
pub fn now_local() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&city_offset())
}

/// Today's date in the city.
pub fn today() -> NaiveDate {
    now_local().date_naive()
}

/// A UTC instant shown in the city's zone (RFC 3339 with `+07:00`).
pub fn local(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&city_offset())
}
