//! GraphQL of the working-day calendar.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};

use crate::context::CtxExt;

#[derive(SimpleObject)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
}

#[derive(Default)]
pub struct CalendarQuery;

#[Object]
impl CalendarQuery {
    /// Public holidays of a year (weekends are not listed). Public.
    async fn holidays(&self, ctx: &Context<'_>, year: i32) -> Vec<Holiday> {
        ctx.state()
            .calendar
            .get()
            .holidays()
            .iter()
            .filter(|(d, _)| d.year() == year)
            .map(|(d, n)| Holiday {
                date: *d,
                name: n.clone(),
            })
            .collect()
    }

    /// The deadline `days` working days after `from` (close of office hours, city time), as
    /// dossiers and complaints compute it. Public.
    async fn working_day_deadline(
        &self,
        ctx: &Context<'_>,
        from: DateTime<FixedOffset>,
        days: u32,
    ) -> async_graphql::Result<DateTime<FixedOffset>> {
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
        Ok(crate::clock::local(due))
    }
}

#[derive(Default)]
pub struct CalendarMutation;

#[Object]
impl CalendarMutation {
    /// Admins: adds a public holiday (deadlines computed from now on skip it).
    async fn add_holiday(
        &self,
        ctx: &Context<'_>,
        date: NaiveDate,
        name: String,
    ) -> async_graphql::Result<Holiday> {
        let s = ctx.state();
        let date = crate::clock::check_date("date", date)?;
        let h = super::add_holiday(&s.db, &s.calendar, ctx.actor(), date, &name).await?;
        Ok(Holiday {
            date: h.date,
            name: h.name,
        })
    }
}
