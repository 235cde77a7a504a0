//! The notifications API: the inbox (`notifications`, `markNotificationsRead`), each account's
//! settings (`notificationSettings`, `setNotificationSettings`), admins' view of deliveries
//! (`notificationDeliveries`, `retryNotification`), and the `notifications` subscription over
//! graphql-transport-ws at `/graphql/ws`.

use async_graphql::futures_util::Stream;
use async_graphql::{
    Context, Enum, ID, InputObject, Object, SimpleObject, Subscription, connection::Connection,
};
use entity::notification;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::{Channel, Kind, prefs, status};
use crate::context::CtxExt;
use crate::error::{AppError, Lang};
use crate::pagination::Page;
use crate::scalars::Instant;

/// The sort key of the inbox: newest first.
const SORT: &str = "notifications";

/// An entry of the caller's inbox.
pub struct Notification(pub notification::Model);

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn kind(&self) -> Option<Kind> {
        Kind::parse(&self.0.kind)
    }
    /// The headline, with the tracking code where there is one.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// The message: what happened, the unit, the next deadline.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// Where the portal shows the item.
    async fn link(&self) -> Option<&str> {
        self.0.link.as_deref()
    }
    async fn created_at(&self) -> Instant {
        self.0.created_at.into()
    }
    async fn read_at(&self) -> Option<Instant> {
        self.0.read_at.map(Into::into)
    }
    async fn read(&self) -> bool {
        self.0.read_at.is_some()
    }
}

/// The inbox page, with what is unread.
#[derive(SimpleObject)]
pub struct InboxFields {
    /// Entries matching the filter, over all pages.
    pub total_count: u64,
    /// Unread entries in the whole inbox.
    pub unread_count: u64,
}

/// A message's delivery, as admins see it (never its address).
pub struct NotificationDelivery(pub notification::Model);

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Queued,
    Sent,
    /// Failed; tried again at `nextAttemptAt`.
    Failed,
    /// Failed `PORTAL_NOTIFY_MAX_ATTEMPTS` times.
    GaveUp,
    /// Not sent: the consent was withdrawn, the contact removed or the account closed first.
    Cancelled,
}

impl DeliveryStatus {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => status::QUEUED,
            DeliveryStatus::Sent => status::SENT,
            DeliveryStatus::Failed => status::FAILED,
            DeliveryStatus::GaveUp => status::GAVE_UP,
            DeliveryStatus::Cancelled => status::CANCELLED,
        }
    }
    fn parse(s: &str) -> Option<DeliveryStatus> {
        [
            DeliveryStatus::Queued,
            DeliveryStatus::Sent,
            DeliveryStatus::Failed,
            DeliveryStatus::GaveUp,
            DeliveryStatus::Cancelled,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

#[Object]
impl NotificationDelivery {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn kind(&self) -> Option<Kind> {
        Kind::parse(&self.0.kind)
    }
    async fn channel(&self) -> Option<Channel> {
        Channel::parse(&self.0.channel)
    }
    async fn status(&self) -> Option<DeliveryStatus> {
        DeliveryStatus::parse(&self.0.status)
    }
    /// Tries so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// Why the last try failed, or why it was cancelled.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn created_at(&self) -> Instant {
        self.0.created_at.into()
    }
    /// When it is (or was) next due: a text held over the night waits for 07:00.
    async fn next_attempt_at(&self) -> Instant {
        self.0.next_attempt_at.into()
    }
    async fn sent_at(&self) -> Option<Instant> {
        self.0.sent_at.map(Into::into)
    }
    /// The account told, if it is one (a filer without an account has none).
    async fn recipient_account_id(&self) -> Option<ID> {
        self.0.account_id.clone().map(ID)
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Vi,
    En,
}

impl From<Lang> for Language {
    fn from(l: Lang) -> Language {
        match l {
            Lang::Vi => Language::Vi,
            Lang::En => Language::En,
        }
    }
}

impl From<Language> for Lang {
    fn from(l: Language) -> Lang {
        match l {
            Language::Vi => Lang::Vi,
            Language::En => Lang::En,
        }
    }
}

/// Whether one kind goes out on one channel.
#[derive(SimpleObject, Clone)]
pub struct NotificationPreference {
    pub kind: Kind,
    pub channel: Channel,
    pub enabled: bool,
    /// Not chosen: the kind's default.
    pub is_default: bool,
}

/// An account's notification settings.
#[derive(SimpleObject)]
pub struct NotificationSettings {
    /// The language messages are written in.
    pub language: Language,
    /// Every kind the account can be told of, on every channel.
    pub preferences: Vec<NotificationPreference>,
}

#[derive(InputObject)]
pub struct NotificationPreferenceInput {
    pub kind: Kind,
    pub channel: Channel,
    pub enabled: bool,
}

#[derive(InputObject)]
pub struct NotificationSettingsInput {
    pub language: Option<Language>,
    #[graphql(default)]
    pub preferences: Vec<NotificationPreferenceInput>,
}

#[derive(InputObject, Default)]
pub struct NotificationDeliveryFilter {
    /// Default: `FAILED` and `GAVE_UP`.
    pub status: Option<Vec<DeliveryStatus>>,
    pub channel: Option<Channel>,
    pub kind: Option<Kind>,
}

#[derive(SimpleObject)]
pub struct MarkNotificationsReadResult {
    /// Entries marked read by this call.
    pub count: u64,
    pub unread_count: u64,
}

async fn settings(
    ctx: &Context<'_>,
    account_id: &str,
) -> async_graphql::Result<NotificationSettings> {
    let state = ctx.state();
    let a = entity::account::Entity::find_by_id(account_id.to_string())
        .one(&state.db)
        .await?
        .ok_or_else(AppError::sign_in_required)?;
    let key = prefs::account(&a.id);
    let rows = prefs::of(&state.db, std::slice::from_ref(&key))
        .await?
        .remove(&key)
        .unwrap_or_default();
    let mut preferences = vec![];
    for kind in Kind::for_role(a.role) {
        for channel in Channel::ALL {
            let chosen = rows.iter().any(|r| {
                (r.kind == kind.as_str() || r.kind == prefs::ANY_KIND)
                    && r.channel == channel.as_str()
            });
            preferences.push(NotificationPreference {
                kind,
                channel,
                enabled: prefs::enabled(&rows, kind, channel),
                is_default: !chosen,
            });
        }
    }
    Ok(NotificationSettings {
        language: Lang::from_code(a.lang.as_deref()).into(),
        preferences,
    })
}

/// The signed-in caller's account id.
fn account_of(ctx: &Context<'_>) -> async_graphql::Result<String> {
    let p = ctx.actor().signed_in()?;
    p.account_id.clone().ok_or_else(|| {
        AppError::forbidden(
            "Thông báo dành cho tài khoản; token tích hợp không có hộp thư.",
            "Notifications are for accounts; an integration token has no inbox.",
        )
        .into()
    })
}

fn inbox(account: &str) -> sea_orm::Select<notification::Entity> {
    notification::Entity::find()
        .filter(notification::Column::AccountId.eq(account))
        .filter(notification::Column::Channel.eq(Channel::InApp.as_str()))
}

async fn unread(db: &sea_orm::DatabaseConnection, account: &str) -> Result<u64, AppError> {
    Ok(inbox(account)
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

#[derive(Default)]
pub struct NotificationsQuery;

#[Object]
impl NotificationsQuery {
    /// The caller's inbox, newest first; `unread: true` for unread entries only.
    #[graphql(complexity = "crate::pagination::list_cost(first, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        unread: Option<bool>,
    ) -> async_graphql::Result<Connection<String, Notification, InboxFields>> {
        let account = account_of(ctx)?;
        let page = Page::keyed(SORT, first, after.as_deref(), true)?;
        let db = &ctx.state().db;
        let mut q = inbox(&account);
        if unread == Some(true) {
            q = q.filter(notification::Column::ReadAt.is_null());
        }
        let total = q.clone().count(db).await?;
        let rows = page
            .seek(
                q,
                notification::Column::CreatedAt,
                true,
                notification::Column::Id,
            )
            .all(db)
            .await?;
        let slice = page.slice(Some(total), rows, |m| (m.created_at, m.id.as_str()));
        let fields = InboxFields {
            total_count: total,
            unread_count: unread_count(db, &account, unread, total).await?,
        };
        Ok(page.keyed_connection_with(slice.map(Notification), fields))
    }

    /// The caller's language and choices per kind and channel.
    async fn notification_settings(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<NotificationSettings> {
        let account = account_of(ctx)?;
        settings(ctx, &account).await
    }

    /// Admins: messages by delivery state, failures first by default, newest first.
    #[graphql(complexity = "crate::pagination::list_cost(first, child_complexity)")]
    async fn notification_deliveries(
        &self,
        ctx: &Context<'_>,
        filter: Option<NotificationDeliveryFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<crate::pagination::Conn<NotificationDelivery>> {
        crate::access::require_admin(ctx.actor())?;
        let f = filter.unwrap_or_default();
        let page = Page::parse(first, after.as_deref())?;
        let statuses: Vec<&str> = f
            .status
            .unwrap_or_else(|| vec![DeliveryStatus::Failed, DeliveryStatus::GaveUp])
            .into_iter()
            .map(DeliveryStatus::as_str)
            .collect();
        let mut q = notification::Entity::find()
            .filter(notification::Column::Status.is_in(statuses))
            .filter(notification::Column::Channel.ne(Channel::InApp.as_str()));
        if let Some(c) = f.channel {
            q = q.filter(notification::Column::Channel.eq(c.as_str()));
        }
        if let Some(k) = f.kind {
            q = q.filter(notification::Column::Kind.eq(k.as_str()));
        }
        let db = &ctx.state().db;
        let total = q.clone().count(db).await?;
        use sea_orm::{QueryOrder, QuerySelect};
        let rows = q
            .order_by_desc(notification::Column::CreatedAt)
            .order_by_desc(notification::Column::Id)
            .offset(page.offset)
            .limit(page.limit)
            .all(db)
            .await?;
        Ok(page.connection(total, rows.into_iter().map(NotificationDelivery).collect()))
    }
}

async fn unread_count(
    db: &sea_orm::DatabaseConnection,
    account: &str,
    unread_only: Option<bool>,
    total: u64,
) -> Result<u64, AppError> {
    if unread_only == Some(true) {
        Ok(total)
    } else {
        unread(db, account).await
    }
}

#[derive(Default)]
pub struct NotificationsMutation;

#[Object]
impl NotificationsMutation {
    /// Marks entries of the caller's inbox read (`ids`, at most 100), or all of them
    /// (`all: true`). Entries of others are not touched, and not told apart from unknown ids.
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        ids: Option<Vec<ID>>,
        all: Option<bool>,
    ) -> async_graphql::Result<MarkNotificationsReadResult> {
        let account = account_of(ctx)?;
        let ids: Vec<String> = ids.unwrap_or_default().into_iter().map(|i| i.0).collect();
        if ids.len() > 100 {
            return Err(AppError::bad_input(
                "ids",
                "Tối đa 100 thông báo mỗi lần; dùng all: true để đánh dấu tất cả.",
                "At most 100 entries at once; use all: true to mark them all.",
            )
            .into());
        }
        if ids.is_empty() && all != Some(true) {
            return Err(AppError::bad_input(
                "ids",
                "Cho biết các thông báo cần đánh dấu (ids), hoặc all: true.",
                "Name the entries to mark (ids), or pass all: true.",
            )
            .into());
        }
        let state = ctx.state();
        let txn = crate::db::begin(&state.db).await?;
        let mut upd = notification::Entity::update_many()
            .col_expr(
                notification::Column::ReadAt,
                Expr::value(crate::clock::now()),
            )
            .filter(notification::Column::AccountId.eq(account.as_str()))
            .filter(notification::Column::Channel.eq(Channel::InApp.as_str()))
            .filter(notification::Column::ReadAt.is_null());
        if all != Some(true) {
            upd = upd.filter(notification::Column::Id.is_in(ids));
        }
        let count = upd.exec(&*txn).await?.rows_affected;
        txn.commit().await?;
        Ok(MarkNotificationsReadResult {
            count,
            unread_count: unread(&state.db, &account).await?,
        })
    }

    /// Sets the caller's language and choices. A kind the caller's role is never told of is
    /// refused, and nothing changes.
    async fn set_notification_settings(
        &self,
        ctx: &Context<'_>,
        input: NotificationSettingsInput,
    ) -> async_graphql::Result<NotificationSettings> {
        let account = account_of(ctx)?;
        let role = ctx.actor().signed_in()?.role;
        if input.preferences.len() > 200 {
            return Err(AppError::bad_input(
                "input.preferences",
                "Tối đa 200 lựa chọn mỗi lần.",
                "At most 200 choices at once.",
            )
            .into());
        }
        let allowed = Kind::for_role(role);
        for (i, p) in input.preferences.iter().enumerate() {
            if !allowed.contains(&p.kind) {
                return Err(AppError::bad_input(
                    format!("input.preferences[{i}].kind"),
                    format!(
                        "Tài khoản này không nhận loại thông báo {}.",
                        p.kind.as_str()
                    ),
                    format!("This account is never told of {}.", p.kind.as_str()),
                )
                .into());
            }
        }
        let state = ctx.state();
        let key = prefs::account(&account);
        let txn = crate::db::begin(&state.db).await?;
        for p in &input.preferences {
            prefs::set(&*txn, &key, Some(p.kind), p.channel, p.enabled).await?;
        }
        if let Some(l) = input.language {
            entity::account::Entity::update_many()
                .col_expr(
                    entity::account::Column::Lang,
                    Expr::value(Lang::from(l).code()),
                )
                .filter(entity::account::Column::Id.eq(account.as_str()))
                .exec(&*txn)
                .await?;
        }
        txn.commit().await?;
        settings(ctx, &account).await
    }

    /// Admins: sends a failed or given-up message again, from now.
    async fn retry_notification(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<NotificationDelivery> {
        crate::access::require_admin(ctx.actor())?;
        let state = ctx.state();
        let txn = crate::db::begin(&state.db).await?;
        let n = notification::Entity::update_many()
            .col_expr(notification::Column::Status, Expr::value(status::QUEUED))
            .col_expr(notification::Column::Attempts, Expr::value(0))
            .col_expr(
                notification::Column::NextAttemptAt,
                Expr::value(crate::clock::now()),
            )
            .filter(notification::Column::Id.eq(id.0.as_str()))
            .filter(notification::Column::Status.is_in([status::FAILED, status::GAVE_UP]))
            .exec(&*txn)
            .await?
            .rows_affected;
        txn.commit().await?;
        let m = notification::Entity::find_by_id(id.0.clone())
            .one(&state.db)
            .await?
            .filter(|m| m.channel != Channel::InApp.as_str())
            .ok_or_else(|| AppError::not_found("Không có thông báo này.", "No such message."))?;
        if n == 0 {
            return Err(AppError::bad_input(
                "id",
                "Chỉ gửi lại được thông báo đã thất bại hoặc đã bỏ.",
                "Only a failed or given-up message can be sent again.",
            )
            .into());
        }
        state.notify_wake.wake();
        Ok(NotificationDelivery(m))
    }
}

#[derive(Default)]
pub struct NotificationsSubscription;

#[Subscription]
impl NotificationsSubscription {
    /// New entries of the caller's inbox as they arrive (over graphql-transport-ws at
    /// `/graphql/ws`, signed in with `{"token": "…"}` in `connection_init`).
    async fn notifications(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = Notification> + use<>> {
        use tokio::sync::broadcast::error::RecvError;
        let account = account_of(ctx)?;
        let state = ctx.state().clone();
        let session = ctx.data_opt::<crate::graphql_ws::Session>().cloned();
        // A new subscription on a connection whose sign-in ended (a logout, a disabled account)
        // is refused.
        if let Some(s) = &session
            && !s
                .holds(&state, &account, std::time::Duration::from_secs(5))
                .await
        {
            return Err(AppError::sign_in_required().into());
        }
        let Some((rx, watch)) = state.notify_hub.watch(&account) else {
            return Err(AppError::bad_input(
                "notifications",
                format!(
                    "Tài khoản đã có {} kết nối nhận thông báo trực tiếp; hãy đóng bớt.",
                    super::hub::MAX_PER_ACCOUNT
                ),
                format!(
                    "This account already holds {} live notification subscriptions; close some.",
                    super::hub::MAX_PER_ACCOUNT
                ),
            )
            .into());
        };
        let next_check = session
            .as_ref()
            .map(|s| tokio::time::Instant::now() + s.every);
        Ok(async_graphql::futures_util::stream::unfold(
            (rx, watch, account, state, session, next_check),
            |(mut rx, watch, account, state, session, mut next_check)| async move {
                loop {
                    // The sign-in is checked again now and then: an expired token or an ended
                    // session ends the subscription.
                    let wait = next_check
                        .map(|t| t.saturating_duration_since(tokio::time::Instant::now()))
                        .unwrap_or(std::time::Duration::from_secs(3600));
                    let got = tokio::time::timeout(wait, rx.recv()).await;
                    if let (Some(s), Some(t)) = (&session, next_check)
                        && tokio::time::Instant::now() >= t
                    {
                        if !s.holds(&state, &account, s.every).await {
                            return None;
                        }
                        next_check = Some(tokio::time::Instant::now() + s.every);
                    }
                    match got {
                        Ok(Ok(m)) if m.account_id.as_deref() == Some(account.as_str()) => {
                            let n = Notification((*m).clone());
                            return Some((n, (rx, watch, account, state, session, next_check)));
                        }
                        Ok(Ok(_)) | Err(_) => continue,
                        // Missed some under load: the inbox has them.
                        Ok(Err(RecvError::Lagged(_))) => continue,
                        Ok(Err(RecvError::Closed)) => return None,
                    }
                }
            },
        ))
    }
}
