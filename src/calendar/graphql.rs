//! GraphQL of the working-day calendar.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{Datelike, NaiveDate};

use super::{Day, DayKind as Kind, YearInfo, YearStatus as Status};
use crate::context::CtxExt;

/// What a listed day is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum DayKind {
    /// A day off: a public holiday, Tết, a compensatory or swapped day off.
    Holiday,
    /// A Saturday or Sunday worked in exchange for a day off.
    WorkingDay,
}

impl From<Kind> for DayKind {
    fn from(k: Kind) -> DayKind {
        match k {
            Kind::Holiday => DayKind::Holiday,
            Kind::WorkingDay => DayKind::WorkingDay,
        }
    }
}

/// Whether a year's days are the Government's announced arrangement.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CalendarYearStatus {
    /// As announced by the Government (see `source`).
    Confirmed,
    /// The statutory days only, before the year's arrangement is announced.
    Provisional,
}

impl From<Status> for CalendarYearStatus {
    fn from(s: Status) -> CalendarYearStatus {
        match s {
            Status::Confirmed => CalendarYearStatus::Confirmed,
            Status::Provisional => CalendarYearStatus::Provisional,
        }
    }
}

/// A listed day: a day off, or a swapped working day.
#[derive(SimpleObject)]
pub struct Holiday {
    pub date: crate::scalars::Day,
    pub name: String,
    pub kind: DayKind,
    /// The status of the day's year.
    pub year_status: CalendarYearStatus,
}

/// A year of the calendar: its status and listed days.
#[derive(SimpleObject)]
pub struct CalendarYear {
    pub year: i32,
    pub status: CalendarYearStatus,
    /// Where the year's days come from (the Government's announcements).
    pub source: Option<String>,
    pub days: Vec<Holiday>,
}

fn holiday(date: NaiveDate, d: &Day, status: Status) -> Holiday {
    Holiday {
        date: date.into(),
        name: d.name.clone(),
        kind: d.kind.into(),
        year_status: status.into(),
    }
}

fn year_of(cal: &super::Calendar, year: i32) -> CalendarYear {
    let info = cal.year(year);
    CalendarYear {
        year,
        status: info.status.into(),
        source: Some(info.source).filter(|s| !s.is_empty()),
        days: cal
            .days()
            .iter()
            .filter(|(d, _)| d.year() == year)
            .map(|(date, d)| holiday(*date, d, info.status))
            .collect(),
    }
}

#[derive(Default)]
pub struct CalendarQuery;

#[Object]
impl CalendarQuery {
    /// The listed days of a year: days off and swapped working days (weekends are not
    /// listed), each with its year's status. Public.
    async fn holidays(&self, ctx: &Context<'_>, year: i32) -> Vec<Holiday> {
        year_of(&ctx.state().calendar.get(), year).days
    }

    /// A year of the calendar: confirmed or provisional, its source and its days. Public.
    async fn calendar_year(&self, ctx: &Context<'_>, year: i32) -> CalendarYear {
        year_of(&ctx.state().calendar.get(), year)
    }

    /// The deadline `days` working days after `from` (close of office hours, city time), as
    /// dossiers and complaints compute it. Public.
    async fn working_day_deadline(
        &self,
        ctx: &Context<'_>,
        from: crate::scalars::Instant,
        days: u32,
    ) -> async_graphql::Result<crate::scalars::Instant> {
        if days > 365 {
            return Err(crate::error::AppError::bad_input(
                "days",
                "Tối đa 365 ngày làm việc.",
                "At most 365 working days.",
            )
            .into());
        }
        let due = ctx
            .state()
            .calendar
            .get()
            .deadline(crate::clock::check_instant("from", from)?, days);
        Ok(crate::clock::local(due).into())
    }
}

#[derive(Default)]
pub struct CalendarMutation;

async fn add(
    ctx: &Context<'_>,
    date: NaiveDate,
    kind: Kind,
    name: &str,
) -> async_graphql::Result<Holiday> {
    let s = ctx.state();
    let date = crate::clock::check_date("date", date)?;
    let d = super::add_day(&s.db, &s.calendar, ctx.actor(), date, kind, name).await?;
    Ok(answer(ctx, date, d))
}

fn answer(ctx: &Context<'_>, date: NaiveDate, d: Day) -> Holiday {
    let status = ctx.state().calendar.get().year(date.year()).status;
    holiday(date, &d, status)
}

#[Object]
impl CalendarMutation {
    /// Admins: adds a day off (deadlines computed from now on skip it).
    async fn add_holiday(
        &self,
        ctx: &Context<'_>,
        date: crate::scalars::Day,
        name: String,
    ) -> async_graphql::Result<Holiday> {
        add(ctx, date.0, Kind::Holiday, &name).await
    }

    /// Admins: makes a Saturday or Sunday a working day, swapped for a day off (deadlines
    /// computed from now on count it).
    async fn add_working_day(
        &self,
        ctx: &Context<'_>,
        date: crate::scalars::Day,
        name: String,
    ) -> async_graphql::Result<Holiday> {
        add(ctx, date.0, Kind::WorkingDay, &name).await
    }

    /// Admins: removes a listed day off or swapped working day; the date follows the weekday
    /// rule again. Returns the day removed.
    async fn remove_holiday(
        &self,
        ctx: &Context<'_>,
        date: crate::scalars::Day,
    ) -> async_graphql::Result<Holiday> {
        let s = ctx.state();
        let date = crate::clock::check_date("date", date)?;
        let d = super::remove_day(&s.db, &s.calendar, ctx.actor(), date).await?;
        Ok(answer(ctx, date, d))
    }

    /// Admins: marks a year's days confirmed (as the Government announced them, with the
    /// source) or provisional.
    async fn set_calendar_year(
        &self,
        ctx: &Context<'_>,
        year: i32,
        status: CalendarYearStatus,
        source: Option<String>,
    ) -> async_graphql::Result<CalendarYear> {
        let s = ctx.state();
        let status = match status {
            CalendarYearStatus::Confirmed => Status::Confirmed,
            CalendarYearStatus::Provisional => Status::Provisional,
        };
        let _: YearInfo =
            super::set_year(&s.db, &s.calendar, ctx.actor(), year, status, source).await?;
        Ok(year_of(&s.calendar.get(), year))
    }
}
