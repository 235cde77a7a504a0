//! The two scalars of time the API speaks (docs/api.md, "Time"):
//!
//! - `DateTime` ([`Instant`]): a moment. Read as any RFC 3339 time; printed always the same
//!   way, in city time with whole seconds: `2026-12-04T09:00:00+07:00`.
//! - `Date` ([`Day`]): a day of the city's calendar, `YYYY-MM-DD`.
//!
//! async-graphql's own chrono scalars print 0, 3 or 9 decimals depending on the value and the
//! zone of the Rust type; these print one form whatever was stored.

use std::ops::Deref;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};

/// A moment (the GraphQL scalar `DateTime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub DateTime<Utc>);

impl Instant {
    /// The RFC 3339 form the API prints: city time, whole seconds.
    pub fn print(t: &DateTime<Utc>) -> String {
        t.with_timezone(&crate::clock::city_offset())
            .to_rfc3339_opts(SecondsFormat::Secs, false)
    }
}

#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
/// A moment, RFC 3339 (`2026-12-04T09:00:00+07:00`). Any offset is read; the server prints
/// city time (UTC+7) with whole seconds.
impl ScalarType for Instant {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            // chrono's reading of RFC 3339, which also takes years beyond four digits: those
            // are refused by the range check of the field, which names it.
            Value::String(s) => s
                .trim()
                .parse::<DateTime<chrono::FixedOffset>>()
                .map(|t| Instant(t.with_timezone(&Utc)))
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "\"{s}\" không phải thời điểm RFC 3339, ví dụ 2026-12-04T09:00:00+07:00 / is not an RFC 3339 time such as 2026-12-04T09:00:00+07:00"
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(Instant::print(&self.0))
    }
}

impl<Tz: TimeZone> From<DateTime<Tz>> for Instant {
    fn from(t: DateTime<Tz>) -> Instant {
        Instant(t.with_timezone(&Utc))
    }
}

impl From<Instant> for DateTime<Utc> {
    fn from(t: Instant) -> DateTime<Utc> {
        t.0
    }
}

impl Deref for Instant {
    type Target = DateTime<Utc>;
    fn deref(&self) -> &DateTime<Utc> {
        &self.0
    }
}

/// A day of the city's calendar (the GraphQL scalar `Date`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub NaiveDate);

#[Scalar(
    name = "Date",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
/// A day of the city's calendar, `YYYY-MM-DD` (`2026-12-04`).
impl ScalarType for Day {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map(Day)
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "\"{s}\" không phải ngày dạng YYYY-MM-DD / is not a date such as 2026-12-04"
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<NaiveDate> for Day {
    fn from(d: NaiveDate) -> Day {
        Day(d)
    }
}

impl From<Day> for NaiveDate {
    fn from(d: Day) -> NaiveDate {
        d.0
    }
}

impl Deref for Day {
    type Target = NaiveDate;
    fn deref(&self) -> &NaiveDate {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_print_one_way() {
        for s in [
            "2026-12-04T02:00:00Z",
            "2026-12-04T02:00:00.123Z",
            "2026-12-04T02:00:00.123456789+00:00",
            "2026-12-04T09:00:00+07:00",
        ] {
            let v = Instant::parse(Value::String(s.into())).unwrap();
            assert_eq!(
                v.to_value(),
                Value::String("2026-12-04T09:00:00+07:00".into()),
                "{s}"
            );
        }
        assert!(Instant::parse(Value::String("2026-12-04".into())).is_err());
    }

    #[test]
    fn dates_read_and_print_iso() {
        let d = Day::parse(Value::String("2026-02-01".into())).unwrap();
        assert_eq!(d.0, NaiveDate::from_ymd_opt(2026, 2, 1).unwrap());
        assert_eq!(d.to_value(), Value::String("2026-02-01".into()));
        assert!(Day::parse(Value::String("01/02/2026".into())).is_err());
    }
}
