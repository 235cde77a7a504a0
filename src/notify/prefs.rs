//! Each recipient's choices per kind and channel. A row for a kind wins over a row for every
//! kind (`*`, what an unsubscribe link from a digest-less kind writes), which wins over the
//! kind's default ([`super::Kind::default_on`]).

use std::collections::HashMap;

use entity::notification_preference;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::{Channel, Kind};
use crate::error::AppResult;

/// Every kind, in a preference row.
pub const ANY_KIND: &str = "*";

/// The recipient key of an account.
pub fn account(id: &str) -> String {
    format!("account:{id}")
}

/// The recipient key of the filer of a complaint filed without an account.
pub fn complaint(id: &str) -> String {
    format!("complaint:{id}")
}

/// Whether `kind` goes out on `channel` under `rows` (one recipient's rows).
pub fn enabled(rows: &[notification_preference::Model], kind: Kind, channel: Channel) -> bool {
    let find = |k: &str| {
        rows.iter()
            .find(|r| r.kind == k && r.channel == channel.as_str())
            .map(|r| r.enabled)
    };
    find(kind.as_str())
        .or_else(|| find(ANY_KIND))
        .unwrap_or_else(|| kind.default_on(channel))
}

/// The rows of several recipients, in one query.
pub async fn of(
    db: &impl ConnectionTrait,
    recipients: &[String],
) -> AppResult<HashMap<String, Vec<notification_preference::Model>>> {
    let mut out: HashMap<String, Vec<notification_preference::Model>> = HashMap::new();
    for chunk in recipients.chunks(500) {
        for r in notification_preference::Entity::find()
            .filter(notification_preference::Column::Recipient.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            out.entry(r.recipient.clone()).or_default().push(r);
        }
    }
    Ok(out)
}

/// Sets one choice (`kind: None` for every kind of the channel).
pub async fn set(
    db: &impl ConnectionTrait,
    recipient: &str,
    kind: Option<Kind>,
    channel: Channel,
    on: bool,
) -> AppResult<()> {
    use sea_orm::sea_query::OnConflict;
    notification_preference::Entity::insert(notification_preference::ActiveModel {
        recipient: Set(recipient.to_string()),
        kind: Set(kind.map(Kind::as_str).unwrap_or(ANY_KIND).to_string()),
        channel: Set(channel.as_str().to_string()),
        enabled: Set(on),
        updated_at: Set(crate::clock::now()),
    })
    .on_conflict(
        OnConflict::columns([
            notification_preference::Column::Recipient,
            notification_preference::Column::Kind,
            notification_preference::Column::Channel,
        ])
        .update_columns([
            notification_preference::Column::Enabled,
            notification_preference::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, channel: Channel, enabled: bool) -> notification_preference::Model {
        notification_preference::Model {
            recipient: "account:a".into(),
            kind: kind.into(),
            channel: channel.as_str().into(),
            enabled,
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_kinds_row_wins_over_every_kind_which_wins_over_the_default() {
        assert!(enabled(&[], Kind::NewItem, Channel::Email));
        assert!(!enabled(&[], Kind::NewItem, Channel::Sms));
        assert!(enabled(&[], Kind::ComplaintAnswered, Channel::Sms));
        assert!(!enabled(&[], Kind::ComplaintAnswered, Channel::Zalo));
        let rows = [
            row(ANY_KIND, Channel::Email, false),
            row("NEW_ITEM", Channel::Email, true),
        ];
        assert!(enabled(&rows, Kind::NewItem, Channel::Email));
        assert!(!enabled(&rows, Kind::Overdue, Channel::Email));
        assert!(enabled(&rows, Kind::Overdue, Channel::InApp));
    }
}
