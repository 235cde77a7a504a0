//! The running tallies of answers per unit, month and component (`rating_tallies`), written in
//! the same transaction as the ratings they count, so that a year's satisfaction of every unit
//! is a sum over a few thousand rows. Every path that writes ratings calls [`add`].

use std::collections::BTreeMap;

use entity::rating_score::Component;
use entity::rating_tally;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use crate::error::AppResult;

/// One answer to count.
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    pub unit_id: &'a str,
    pub month: &'a str,
    pub verified: bool,
    pub component: Component,
    pub score: i32,
}

/// (month, unit, component, verified)
type Key = (String, String, Component, bool);

/// Adds answers to the tallies (grouped first: one upsert per unit, month and component).
pub async fn add(db: &impl ConnectionTrait, answers: &[Answer<'_>]) -> AppResult<()> {
    let mut sums: BTreeMap<Key, (i64, i64, i64)> = BTreeMap::new();
    for a in answers {
        let e = sums
            .entry((
                a.month.to_string(),
                a.unit_id.to_string(),
                a.component,
                a.verified,
            ))
            .or_default();
        e.0 += 1;
        e.1 += a.score as i64;
        e.2 += i64::from(a.score >= 4);
    }
    let rows: Vec<rating_tally::ActiveModel> = sums
        .into_iter()
        .map(
            |((month, unit_id, component, verified), (n, sum, sat))| rating_tally::ActiveModel {
                month: Set(month),
                unit_id: Set(unit_id),
                component: Set(component),
                verified: Set(verified),
                answers: Set(n),
                score_sum: Set(sum),
                satisfied: Set(sat),
            },
        )
        .collect();
    for chunk in rows.chunks(500) {
        rating_tally::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([
                    rating_tally::Column::Month,
                    rating_tally::Column::UnitId,
                    rating_tally::Column::Component,
                    rating_tally::Column::Verified,
                ])
                .value(
                    rating_tally::Column::Answers,
                    Expr::cust("rating_tallies.answers + excluded.answers"),
                )
                .value(
                    rating_tally::Column::ScoreSum,
                    Expr::cust("rating_tallies.score_sum + excluded.score_sum"),
                )
                .value(
                    rating_tally::Column::Satisfied,
                    Expr::cust("rating_tallies.satisfied + excluded.satisfied"),
                )
                .to_owned(),
            )
            .exec(db)
            .await?;
    }
    Ok(())
}
