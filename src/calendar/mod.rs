//! The working-day calendar: Monday to Friday, minus public holidays, in the city's time zone.
//! Every deadline of the portal (dossiers, apologies, complaints) is computed here.
//!
//! Holidays come from `config/holidays.csv` (built in; `PORTAL_HOLIDAYS_FILE` names an edited
//! copy) and from the `holidays` table, where admins add dates. A deadline is fixed when it is
//! computed: a holiday added later does not move deadlines already set.

pub mod graphql;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use entity::holiday;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

use crate::auth::Actor;
use crate::clock::city_offset;
use crate::error::{AppError, AppResult, on_unique};

/// The holiday list built into the binary.
pub const BUILT_IN: &str = include_str!("../../config/holidays.csv");

/// When the working day ends: a deadline falls at this local time of its last working day.
pub fn office_close() -> NaiveTime {
    NaiveTime::from_hms_opt(17, 0, 0).expect("static time")
}

/// Parses a `date,name` CSV (lines starting with `#` are comments).
pub fn parse_holidays(text: &str) -> anyhow::Result<BTreeMap<NaiveDate, String>> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("date,") {
            continue;
        }
        let (d, name) = line.split_once(',').unwrap_or((line, ""));
        let date = NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|e| {
            anyhow::anyhow!(
                "PORTAL_HOLIDAYS_FILE: line {}: {d:?} is not a date YYYY-MM-DD ({e})",
                i + 1
            )
        })?;
        out.insert(date, name.trim().to_string());
    }
    Ok(out)
}

/// A set of holidays and the arithmetic of working days.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    holidays: BTreeMap<NaiveDate, String>,
}

impl Calendar {
    pub fn new(holidays: BTreeMap<NaiveDate, String>) -> Calendar {
        Calendar { holidays }
    }

    pub fn holidays(&self) -> &BTreeMap<NaiveDate, String> {
        &self.holidays
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains_key(&d)
    }

    /// The `n`th working day after `day` (`n = 0`: `day` itself if it is a working day, else
    /// the next one).
    pub fn add_days(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut d = day;
        if n == 0 {
            while !self.is_working_day(d) {
                d += Duration::days(1);
            }
            return d;
        }
        let mut left = n;
        while left > 0 {
            d += Duration::days(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The working day `n` working days before `day`.
    pub fn sub_days(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut d = day;
        let mut left = n;
        while left > 0 {
            d -= Duration::days(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The deadline `n` working days after the instant `from`: the close of office hours of
    /// the `n`th working day after the local day of `from`. With `n = 0`, the close of the same
    /// day when that is a working day, else of the next working day.
    pub fn deadline(&self, from: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let local_day = from.with_timezone(&city_offset()).date_naive();
        let day = self.add_days(local_day, n);
        at_close(day)
    }

    /// The same local time of day, one working day earlier (for the apology rule: no later
    /// than one working day before the due time).
    pub fn one_working_day_before(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let local = t.with_timezone(&city_offset());
        let day = self.sub_days(local.date_naive(), 1);
        city_offset()
            .from_local_datetime(&day.and_time(local.time()))
            .single()
            .expect("a fixed offset has no gaps")
            .with_timezone(&Utc)
    }
}

/// The close of office hours of a local day, as a UTC instant.
pub fn at_close(day: NaiveDate) -> DateTime<Utc> {
    city_offset()
        .from_local_datetime(&day.and_time(office_close()))
        .single()
        .expect("a fixed offset has no gaps")
        .with_timezone(&Utc)
}

/// The calendar shared by a running server, reloaded when an admin adds a date.
#[derive(Clone)]
pub struct SharedCalendar {
    base: Arc<BTreeMap<NaiveDate, String>>,
    current: Arc<RwLock<Arc<Calendar>>>,
}

impl SharedCalendar {
    /// The file's holidays; call [`SharedCalendar::reload`] to add the database's.
    pub fn new(base: BTreeMap<NaiveDate, String>) -> SharedCalendar {
        let cal = Arc::new(Calendar::new(base.clone()));
        SharedCalendar {
            base: Arc::new(base),
            current: Arc::new(RwLock::new(cal)),
        }
    }

    /// The calendar as it is now.
    pub fn get(&self) -> Arc<Calendar> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Rebuilds from the file's holidays and the `holidays` table.
    pub async fn reload(&self, db: &DatabaseConnection) -> AppResult<()> {
        let mut all = (*self.base).clone();
        for h in holiday::Entity::find().all(db).await? {
            all.insert(h.date, h.name);
        }
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Calendar::new(all));
        Ok(())
    }
}

/// Adds a holiday (admins only).
pub async fn add_holiday(
    db: &DatabaseConnection,
    cal: &SharedCalendar,
    actor: &Actor,
    date: NaiveDate,
    name: &str,
) -> AppResult<holiday::Model> {
    crate::access::require_admin(actor)?;
    let name = crate::text::required("name", name, 200)?;
    if cal.get().holidays().contains_key(&date) {
        return Err(AppError::conflict(
            format!("Ngày {date} đã là ngày nghỉ lễ."),
            format!("{date} is already a holiday."),
        ));
    }
    let m = holiday::ActiveModel {
        date: Set(date),
        name: Set(name),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map_err(|e| {
        on_unique(
            e,
            AppError::conflict(
                format!("Ngày {date} đã là ngày nghỉ lễ."),
                format!("{date} is already a holiday."),
            ),
        )
    })?;
    cal.reload(db).await?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cal() -> Calendar {
        Calendar::new(parse_holidays(BUILT_IN).unwrap())
    }

    #[test]
    fn built_in_file_parses_and_has_tet() {
        let c = cal();
        assert!(c.holidays().contains_key(&d("2026-02-17")));
        assert!(c.holidays().contains_key(&d("2027-02-08")));
        assert!(c.holidays().len() >= 20);
    }

    #[test]
    fn weekends_and_holidays_are_not_working_days() {
        let c = cal();
        assert!(c.is_working_day(d("2026-04-24"))); // Friday
        assert!(!c.is_working_day(d("2026-04-25"))); // Saturday
        assert!(!c.is_working_day(d("2026-04-27"))); // Hùng Kings, compensatory Monday
        assert!(!c.is_working_day(d("2026-04-30")));
    }

    #[test]
    fn adding_days_skips_weekends_and_holidays() {
        let c = cal();
        // Friday 24 April 2026 + 3: Tue 28, Wed 29, (Thu 30 and Fri 1 May off) Mon 4 May.
        assert_eq!(c.add_days(d("2026-04-24"), 3), d("2026-05-04"));
        // Across Tết: Friday 13 February 2026 + 1 is Monday 23 February.
        assert_eq!(c.add_days(d("2026-02-13"), 1), d("2026-02-23"));
        assert_eq!(c.add_days(d("2026-04-25"), 0), d("2026-04-28"));
        assert_eq!(c.sub_days(d("2026-05-04"), 1), d("2026-04-29"));
    }

    #[test]
    fn deadlines_close_at_five_in_the_afternoon_local_time() {
        let c = cal();
        // Received Friday 24 April 2026 at 09:00 in the city (02:00 UTC).
        let received = Utc.with_ymd_and_hms(2026, 4, 24, 2, 0, 0).unwrap();
        let due = c.deadline(received, 3);
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap());
        // Received at 23:30 local on Thursday 23 April (16:30 UTC): the local day counts.
        let late_evening = Utc.with_ymd_and_hms(2026, 4, 23, 16, 30, 0).unwrap();
        assert_eq!(c.deadline(late_evening, 1).date_naive(), d("2026-04-24"));
        // One working day before Monday 4 May 17:00 is Wednesday 29 April 17:00.
        assert_eq!(
            c.one_working_day_before(due),
            Utc.with_ymd_and_hms(2026, 4, 29, 10, 0, 0).unwrap()
        );
    }

    #[test]
    fn bad_lines_name_the_file_variable() {
        let e = parse_holidays("2026-13-01,x").unwrap_err().to_string();
        assert!(e.contains("PORTAL_HOLIDAYS_FILE"), "{e}");
    }
}
