//! The working-day calendar: Monday to Friday, minus public holidays, plus the Saturdays (or
//! Sundays) the Government swaps in as working days, in the city's time zone. Every deadline of
//! the portal (dossiers, apologies, complaints) is computed here, and so is the day a receipt
//! counts from (Decree 118/2025/NĐ-CP: same-day procedures received after the cut-off, and
//! online submissions outside office hours, count from the next working day).
//!
//! Days come from `config/holidays.csv` (built in; `PORTAL_HOLIDAYS_FILE` names an edited copy)
//! and from the `holidays` table, where admins add days off and working days or remove a day of
//! the file; each year is marked confirmed (the Government announced it) or provisional. A
//! deadline is fixed when it is computed: a day changed later does not move deadlines already
//! set.

pub mod graphql;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday,
};
use entity::{calendar_year, holiday};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

use crate::auth::Actor;
use crate::clock::city_offset;
use crate::error::{AppError, AppResult};

/// The holiday list built into the binary.
pub const BUILT_IN: &str = include_str!("../../config/holidays.csv");

/// When the working day ends: a deadline falls at this local time of its last working day.
pub fn office_close() -> NaiveTime {
    NaiveTime::from_hms_opt(17, 0, 0).expect("static time")
}

/// What a listed day is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayKind {
    /// A day off (a public holiday, Tết, a day swapped off).
    Holiday,
    /// A Saturday or Sunday worked in exchange for a day off.
    WorkingDay,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "HOLIDAY",
            DayKind::WorkingDay => "WORKING_DAY",
        }
    }

    fn parse(s: &str) -> Option<DayKind> {
        match s.trim().to_ascii_uppercase().as_str() {
            "HOLIDAY" | "OFF" => Some(DayKind::Holiday),
            "WORKING_DAY" | "WORKING" => Some(DayKind::WorkingDay),
            _ => None,
        }
    }
}

/// A listed day: a day off or a working day, with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub kind: DayKind,
    pub name: String,
}

/// Whether a year's days are the Government's announced ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum YearStatus {
    Confirmed,
    Provisional,
}

impl YearStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            YearStatus::Confirmed => "CONFIRMED",
            YearStatus::Provisional => "PROVISIONAL",
        }
    }

    fn parse(s: &str) -> Option<YearStatus> {
        match s.trim().to_ascii_uppercase().as_str() {
            "CONFIRMED" => Some(YearStatus::Confirmed),
            "PROVISIONAL" => Some(YearStatus::Provisional),
            _ => None,
        }
    }
}

/// A year's status and where its days come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearInfo {
    pub status: YearStatus,
    pub source: String,
}

/// The days and years of a holiday file.
#[derive(Debug, Clone, Default)]
pub struct CalendarFile {
    pub days: BTreeMap<NaiveDate, Day>,
    pub years: BTreeMap<i32, YearInfo>,
}

/// Parses the holiday file. Lines starting with `#` are comments; a row is
/// `date,kind,name` (kind HOLIDAY or WORKING_DAY; the older `date,name` means a holiday), or
/// `year,status,source` with a 4-digit year and status CONFIRMED or PROVISIONAL.
pub fn parse_holidays(text: &str) -> anyhow::Result<CalendarFile> {
    let mut out = CalendarFile::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("date,") {
            continue;
        }
        let err = |what: String| anyhow::anyhow!("PORTAL_HOLIDAYS_FILE: line {}: {what}", i + 1);
        let fields: Vec<&str> = line.splitn(3, ',').map(str::trim).collect();
        if fields[0].len() == 4 && fields[0].bytes().all(|b| b.is_ascii_digit()) {
            let year: i32 = fields[0].parse().expect("four digits");
            let status = fields
                .get(1)
                .and_then(|s| YearStatus::parse(s))
                .ok_or_else(|| {
                    err(format!(
                        "year {year}: the status must be CONFIRMED or PROVISIONAL"
                    ))
                })?;
            out.years.insert(
                year,
                YearInfo {
                    status,
                    source: fields.get(2).unwrap_or(&"").to_string(),
                },
            );
            continue;
        }
        let date = NaiveDate::parse_from_str(fields[0], "%Y-%m-%d")
            .map_err(|e| err(format!("{:?} is not a date YYYY-MM-DD ({e})", fields[0])))?;
        let (kind, name) = match (fields.get(1), fields.get(2)) {
            (Some(k), Some(n)) => match DayKind::parse(k) {
                Some(kind) => (kind, n.to_string()),
                // `date,name` with a comma in the name.
                None => (DayKind::Holiday, format!("{k},{n}")),
            },
            (Some(n), None) => (DayKind::Holiday, n.to_string()),
            _ => (DayKind::Holiday, String::new()),
        };
        if kind == DayKind::WorkingDay && !is_weekend(date) {
            return Err(err(format!(
                "{date} is a weekday; only a Saturday or Sunday can be a swapped working day"
            )));
        }
        out.days.insert(date, Day { kind, name });
    }
    Ok(out)
}

pub fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// How a receipt counts: the procedure's cut-off time and whether it came online.
#[derive(Debug, Clone, Copy, Default)]
pub struct Receipt {
    /// Received after this local time: counts from the next working day.
    pub cutoff: Option<NaiveTime>,
    /// Submitted online: outside office hours it counts from the next working day.
    pub online: bool,
}

/// A set of listed days and the arithmetic of working days.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, Day>,
    years: BTreeMap<i32, YearInfo>,
}

impl Calendar {
    pub fn new(file: CalendarFile) -> Calendar {
        Calendar {
            days: file.days,
            years: file.years,
        }
    }

    /// Every listed day: days off and swapped working days.
    pub fn days(&self) -> &BTreeMap<NaiveDate, Day> {
        &self.days
    }

    /// The days off only.
    pub fn holidays(&self) -> impl Iterator<Item = (&NaiveDate, &Day)> {
        self.days.iter().filter(|(_, d)| d.kind == DayKind::Holiday)
    }

    /// A year's status: as set, else provisional.
    pub fn year(&self, year: i32) -> YearInfo {
        self.years.get(&year).cloned().unwrap_or(YearInfo {
            status: YearStatus::Provisional,
            source: String::new(),
        })
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d).map(|d| d.kind) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::WorkingDay) => true,
            None => !is_weekend(d),
        }
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

    /// The working day a receipt at `at` counts from: its own day, or the next working day
    /// when it came on a day off, after the procedure's cut-off, or online after office hours
    /// (before they open, the same day's morning takes it).
    pub fn counts_from(&self, at: DateTime<Utc>, r: Receipt) -> NaiveDate {
        let local = at.with_timezone(&city_offset());
        let (day, time) = (
            local.date_naive(),
            local.time().with_nanosecond(0).unwrap_or_default(),
        );
        let next = || self.add_days(day + Duration::days(1), 0);
        if !self.is_working_day(day) {
            return next();
        }
        if r.cutoff.is_some_and(|c| time >= c) {
            return next();
        }
        // Online after office hours: the next working day. Before they open on a working day,
        // the receipt is taken that morning, so that day counts.
        if r.online && time >= office_close() {
            return next();
        }
        day
    }

    /// The due time of a procedure of `n` working days received at `at`: the close of office
    /// hours of the `n`th working day after the day the receipt counts from (that day itself
    /// for a same-day procedure).
    pub fn due(&self, at: DateTime<Utc>, n: u32, r: Receipt) -> DateTime<Utc> {
        at_close(self.add_days(self.counts_from(at, r), n))
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

/// The calendar shared by a running server, reloaded when an admin changes a day.
#[derive(Clone)]
pub struct SharedCalendar {
    base: Arc<CalendarFile>,
    current: Arc<RwLock<Arc<Calendar>>>,
}

/// `holidays.kind` of a day of the file an admin removed.
const REMOVED: &str = "REMOVED";

impl SharedCalendar {
    /// The file's days; call [`SharedCalendar::reload`] to apply the database's.
    pub fn new(base: CalendarFile) -> SharedCalendar {
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

    /// Rebuilds from the file and the `holidays` and `calendar_years` tables.
    pub async fn reload(&self, db: &DatabaseConnection) -> AppResult<()> {
        let mut all = (*self.base).clone();
        for h in holiday::Entity::find().all(db).await? {
            match DayKind::parse(&h.kind) {
                Some(kind) => {
                    all.days.insert(h.date, Day { kind, name: h.name });
                }
                None => {
                    all.days.remove(&h.date);
                }
            }
        }
        for y in calendar_year::Entity::find().all(db).await? {
            if let Some(status) = YearStatus::parse(&y.status) {
                all.years.insert(
                    y.year,
                    YearInfo {
                        status,
                        source: y.source.unwrap_or_default(),
                    },
                );
            }
        }
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Calendar::new(all));
        Ok(())
    }

    fn in_file(&self, d: NaiveDate) -> bool {
        self.base.days.contains_key(&d)
    }
}

/// Writes the database's word on `date`: a day off, a working day, or (`None`) the file's day
/// removed. One row per date.
async fn put(
    db: &DatabaseConnection,
    date: NaiveDate,
    kind: &str,
    name: String,
) -> AppResult<holiday::Model> {
    let m = holiday::ActiveModel {
        date: Set(date),
        name: Set(name),
        kind: Set(kind.to_string()),
        created_at: Set(crate::clock::now()),
    };
    let exists = holiday::Entity::find_by_id(date).one(db).await?.is_some();
    Ok(if exists {
        m.update(db).await?
    } else {
        // Two admins changing one day at once: the second learns so.
        m.insert(db).await.map_err(|e| {
            crate::error::on_unique(
                e,
                AppError::conflict(
                    format!("Ngày {date} vừa được thay đổi bởi một thao tác khác."),
                    format!("{date} was just changed by another request."),
                ),
            )
        })?
    })
}

/// Lists a day (admins only): a day off, or a swapped working day on a Saturday or Sunday. A
/// day that already is what is asked is `CONFLICT`.
pub async fn add_day(
    db: &DatabaseConnection,
    cal: &SharedCalendar,
    actor: &Actor,
    date: NaiveDate,
    kind: DayKind,
    name: &str,
) -> AppResult<Day> {
    crate::access::require_admin(actor)?;
    let name = crate::text::required("name", name, 200)?;
    match kind {
        DayKind::Holiday => {
            if cal.get().days().get(&date).map(|d| d.kind) == Some(DayKind::Holiday) {
                return Err(AppError::conflict(
                    format!("Ngày {date} đã là ngày nghỉ lễ."),
                    format!("{date} is already a holiday."),
                ));
            }
        }
        DayKind::WorkingDay => {
            if !is_weekend(date) {
                return Err(AppError::bad_input(
                    "date",
                    format!(
                        "Ngày {date} không phải thứ Bảy hay Chủ nhật; chỉ ngày nghỉ hằng tuần mới được hoán đổi thành ngày làm việc."
                    ),
                    format!(
                        "{date} is not a Saturday or Sunday; only a weekly day off can be swapped into a working day."
                    ),
                ));
            }
            if cal.get().is_working_day(date) {
                return Err(AppError::conflict(
                    format!("Ngày {date} đã là ngày làm việc."),
                    format!("{date} is already a working day."),
                ));
            }
        }
    }
    put(db, date, kind.as_str(), name.clone()).await?;
    cal.reload(db).await?;
    crate::announce::announce(db, crate::announce::Topic::Calendar).await;
    Ok(Day { kind, name })
}

/// Removes a listed day, a day off or a swapped working day (admins only): the date follows
/// the weekday rule again. `NOT_FOUND` when the date is not listed.
pub async fn remove_day(
    db: &DatabaseConnection,
    cal: &SharedCalendar,
    actor: &Actor,
    date: NaiveDate,
) -> AppResult<Day> {
    crate::access::require_admin(actor)?;
    let Some(day) = cal.get().days().get(&date).cloned() else {
        return Err(AppError::not_found(
            format!("Ngày {date} không có trong lịch ngày nghỉ và ngày làm việc hoán đổi."),
            format!("{date} is neither a listed day off nor a swapped working day."),
        ));
    };
    if cal.in_file(date) {
        put(db, date, REMOVED, day.name.clone()).await?;
    } else {
        holiday::Entity::delete_by_id(date).exec(db).await?;
    }
    cal.reload(db).await?;
    crate::announce::announce(db, crate::announce::Topic::Calendar).await;
    Ok(day)
}

/// Marks a year confirmed or provisional, with its source (admins only).
pub async fn set_year(
    db: &DatabaseConnection,
    cal: &SharedCalendar,
    actor: &Actor,
    year: i32,
    status: YearStatus,
    source: Option<String>,
) -> AppResult<YearInfo> {
    crate::access::require_admin(actor)?;
    if !(1900..=2199).contains(&year) {
        return Err(AppError::bad_input(
            "year",
            "Năm phải trong khoảng 1900–2199.",
            "The year must be within 1900–2199.",
        ));
    }
    let source = source
        .map(|s| crate::text::clean("source", &s, 500))
        .transpose()?
        .filter(|s| !s.is_empty());
    let m = calendar_year::ActiveModel {
        year: Set(year),
        status: Set(status.as_str().to_string()),
        source: Set(source.clone()),
        updated_at: Set(crate::clock::now()),
    };
    if calendar_year::Entity::find_by_id(year)
        .one(db)
        .await?
        .is_some()
    {
        m.update(db).await?;
    } else {
        m.insert(db).await.map_err(|e| {
            crate::error::on_unique(
                e,
                AppError::conflict(
                    format!("Năm {year} vừa được thay đổi bởi một thao tác khác."),
                    format!("{year} was just changed by another request."),
                ),
            )
        })?;
    }
    cal.reload(db).await?;
    crate::announce::announce(db, crate::announce::Topic::Calendar).await;
    Ok(cal.get().year(year))
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
        assert!(c.days().contains_key(&d("2026-02-17")));
        assert!(c.days().contains_key(&d("2027-02-08")));
        assert!(c.holidays().count() >= 20);
        assert_eq!(c.year(2026).status, YearStatus::Confirmed);
        assert_eq!(c.year(2027).status, YearStatus::Provisional);
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
    fn swapped_days_of_2026() {
        let c = cal();
        // New Year: Friday 2 January off, Saturday 10 January worked.
        assert!(!c.is_working_day(d("2026-01-02")));
        assert!(c.is_working_day(d("2026-01-10")));
        // Wednesday 31 December 2025 + 1 working day: Monday 5 January 2026.
        assert_eq!(c.add_days(d("2025-12-31"), 1), d("2026-01-05"));
        // Friday 9 January + 1: the swapped Saturday 10 January.
        assert_eq!(c.add_days(d("2026-01-09"), 1), d("2026-01-10"));
        // National Day: Saturday 22 August worked; 31 August – 2 September off.
        assert_eq!(c.add_days(d("2026-08-21"), 1), d("2026-08-22"));
        assert_eq!(c.add_days(d("2026-08-28"), 1), d("2026-09-03"));
    }

    #[test]
    fn receipts_after_the_cutoff_or_online_after_hours_count_from_the_next_working_day() {
        let c = cal();
        let at = |h: u32, m: u32| {
            city_offset()
                .with_ymd_and_hms(2026, 4, 23, h, m, 0)
                .unwrap()
                .with_timezone(&Utc)
        }; // Thursday 23 April 2026, city time
        let same_day = Receipt {
            cutoff: Some(NaiveTime::from_hms_opt(15, 0, 0).unwrap()),
            online: false,
        };
        assert_eq!(c.due(at(14, 59), 0, same_day), at_close(d("2026-04-23")));
        assert_eq!(c.due(at(15, 0), 0, same_day), at_close(d("2026-04-24")));
        let online = Receipt {
            cutoff: None,
            online: true,
        };
        assert_eq!(c.counts_from(at(10, 0), online), d("2026-04-23"));
        assert_eq!(c.counts_from(at(18, 30), online), d("2026-04-24"));
        // At 06:00 the office opens later that day: that day counts.
        assert_eq!(c.counts_from(at(6, 0), online), d("2026-04-23"));
        // Online on Friday evening: counts from Tuesday 28 April (Monday is Giỗ Tổ).
        let fri = city_offset()
            .with_ymd_and_hms(2026, 4, 24, 20, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(c.counts_from(fri, online), d("2026-04-28"));
        assert_eq!(c.due(fri, 2, online), at_close(d("2026-05-04")));
        // In person at 16:00 with no cut-off: the same day counts.
        assert_eq!(
            c.counts_from(at(16, 0), Receipt::default()),
            d("2026-04-23")
        );
    }

    #[test]
    fn bad_lines_name_the_file_variable() {
        let e = parse_holidays("2026-13-01,x").unwrap_err().to_string();
        assert!(e.contains("PORTAL_HOLIDAYS_FILE"), "{e}");
    }
}
