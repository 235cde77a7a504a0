//! Dialogues found by the words of their title and topic: the engine finds ids among those the
//! caller may see, the database hydrates them. When the engine is down, the database answers
//! (folded text, every word required).

use entity::dialogue;
use sea_orm::Condition;

use super::{DialogueFilter, Full};
use crate::access::{self, DialogueView, Scope};
use crate::auth::Actor;
use crate::error::AppResult;
use crate::pagination::Page;
use crate::search::text::ParsedQuery;
use crate::search::{DialogueQuery, DialogueVisibility};
use crate::state::AppState;

/// A page of the dialogues matching `text` that the caller may see, best first.
pub async fn search(
    state: &AppState,
    actor: &Actor,
    text: &str,
    f: &DialogueFilter,
    page: Page,
) -> AppResult<(u64, Vec<(Full, DialogueView)>)> {
    use sea_orm::ActiveEnum;
    let read = access::read_scope(&state.db, actor).await?;
    let visible = match &read {
        Scope::All => None,
        Scope::Units(u) => Some(DialogueVisibility {
            units: u.clone(),
            business: access::caller_business(actor).map(str::to_string),
        }),
        Scope::None => Some(DialogueVisibility {
            units: vec![],
            business: access::caller_business(actor).map(str::to_string),
        }),
    };
    let q = DialogueQuery {
        text: text.to_string(),
        visible,
        host: f.host_unit.clone(),
        kind: f.kind.map(|k| k.to_value()),
        status: f.status.map(|s| s.to_value()),
        business: f.business.clone(),
        from: f.from.map(|t| t.timestamp_millis()),
        to: f.to.map(|t| t.timestamp_millis()),
        offset: page.offset as usize,
        limit: page.limit as usize,
    };
    let found = match state.search.engine() {
        Ok(e) => e.search_dialogues(&q).await,
        Err(e) => Err(e),
    };
    match found {
        Ok(h) => Ok((
            h.total,
            super::visible_in_order(state, actor, &read, &h.ids).await?,
        )),
        Err(e) => {
            tracing::warn!(error = %e, "search engine unavailable: dialogues from the database");
            let parsed = ParsedQuery::parse(text);
            let mut words: Vec<String> = parsed.words.iter().map(|(_, f)| f.clone()).collect();
            for c in &parsed.codes {
                words.extend(crate::search::text::words(c));
            }
            let only: Condition = crate::db::words_match(dialogue::Column::SearchText, &words);
            let found = super::list(state, actor, f, Some(only), page).await?;
            Ok((
                found.total.unwrap_or(0),
                found.items.into_iter().map(|(_, d)| d).collect(),
            ))
        }
    }
}
