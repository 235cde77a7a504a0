//! The portal's rate limits (DESIGN.md §5), each a [`RateLimiter`] whose check and count are one
//! step: failed sign-ins per account and per address, registrations per address, submissions
//! (ratings and complaints) per address for anonymous callers and unconfirmed accounts and per
//! account for citizens and businesses, and guesses of a secret that goes with a public code (a complaint's contact for
//! its tracking code, a dossier's rating code) per code.

use std::net::IpAddr;
use std::time::Duration;

use super::rate_limit::RateLimiter;
use crate::auth::Actor;
use crate::config::Config;
use crate::error::{AppError, AppResult, Msg};

pub struct Limits {
    /// Failed sign-ins, keyed by `acct:<account id>`, `login:<unknown login>` and `addr:<ip>`.
    pub login_failures: RateLimiter,
    /// Ratings and complaints, keyed by `addr:<ip>` (anonymous) or `acct:<account id>`.
    pub submissions: RateLimiter,
    /// New accounts per client address.
    pub registrations: RateLimiter,
    /// Wrong secrets given with a public code, keyed by the code's object.
    pub code_guesses: RateLimiter,
}

const HOUR: Duration = Duration::from_secs(3600);

impl Limits {
    /// The limits, counted in `db` (shared by every server on it).
    pub fn new(config: &Config, db: &sea_orm::DatabaseConnection) -> Limits {
        // Keys are hashed with the token secret, which every server of one portal shares.
        let secret: std::sync::Arc<[u8]> =
            std::sync::Arc::from(config.jwt_secret.as_deref().unwrap_or_default().as_bytes());
        let limiter = |name, window| RateLimiter::new(name, window, db.clone(), secret.clone());
        Limits {
            login_failures: limiter("login", config.login_window),
            submissions: limiter("submit", HOUR),
            registrations: limiter("register", HOUR),
            code_guesses: limiter("guess", HOUR),
        }
    }
}

fn limited(secs: u64, vi: String, en: String) -> AppError {
    AppError::RateLimited {
        msg: Msg::new(vi, en),
        retry_after_secs: secs,
    }
}

/// Counts a rating or complaint: anonymous callers per address, citizens and businesses per
/// account and, while their account is unconfirmed, per address with the anonymous callers;
/// staff and scripts are not limited (see [`crate::access::submission_limits`]).
pub async fn submission(
    limits: &Limits,
    config: &Config,
    actor: &Actor,
    client: IpAddr,
) -> AppResult<()> {
    let who = crate::access::submission_limits(actor);
    let mut keys: Vec<(String, u32)> = Vec::new();
    if let Some(a) = who.account {
        keys.push((format!("acct:{a}"), config.account_submissions_per_hour));
    }
    if who.address {
        keys.push((
            format!("addr:{client}"),
            config.anonymous_submissions_per_hour,
        ));
    }
    let refs: Vec<(&str, u32)> = keys.iter().map(|(k, l)| (k.as_str(), *l)).collect();
    let Some((i, secs)) = limits.submissions.take_all(&refs).await? else {
        return Ok(());
    };
    let limit = refs[i].1;
    let by_address = refs[i].0.starts_with("addr:");
    Err(if by_address && who.account.is_none() {
        limited(
            secs,
            format!(
                "Bạn đã gửi quá {limit} lượt trong một giờ khi không đăng nhập. Vui lòng thử lại sau {secs} giây."
            ),
            format!(
                "More than {limit} anonymous submissions in an hour. Try again in {secs} seconds."
            ),
        )
    } else if by_address {
        limited(
            secs,
            format!(
                "Tài khoản chưa được xác nhận dùng chung giới hạn {limit} lượt một giờ với người không đăng nhập từ cùng địa chỉ, và giới hạn này đã hết. Vui lòng thử lại sau {secs} giây."
            ),
            format!(
                "An unconfirmed account shares the limit of {limit} anonymous submissions an hour from its address, which is used up. Try again in {secs} seconds."
            ),
        )
    } else {
        limited(
            secs,
            format!(
                "Tài khoản đã gửi quá {limit} lượt đánh giá, phản ánh trong một giờ. Vui lòng thử lại sau {secs} giây."
            ),
            format!(
                "This account sent more than {limit} ratings and complaints in an hour. Try again in {secs} seconds."
            ),
        )
    })
}

/// Counts a registration from a client address.
pub async fn registration(limits: &Limits, config: &Config, client: IpAddr) -> AppResult<()> {
    let limit = config.registrations_per_hour;
    let taken = limits
        .registrations
        .take(&format!("addr:{client}"), limit)
        .await?;
    taken.map_or(Ok(()), |secs| {
        Err(limited(
                secs,
                format!(
                    "Địa chỉ này đã đăng ký quá {limit} tài khoản trong một giờ. Vui lòng thử lại sau {secs} giây."
                ),
                format!(
                    "More than {limit} accounts registered from this address in an hour. Try again in {secs} seconds."
                ),
            ))
        })
}

/// Guesses of the secret that goes with a public code. Wrong guesses count per code and
/// client address (`PORTAL_CODE_GUESSES_PER_HOUR`), and per code from all addresses at ten
/// times that: one stranger cannot lock the real filer out, and many addresses together still
/// cannot search the codes. Once a key is at its limit every guess is refused, right or wrong,
/// so the answers past the limit tell nothing.
pub struct CodeGuess;

fn too_many_guesses(secs: u64, limit: u32) -> AppError {
    limited(
        secs,
        format!(
            "Đã nhập sai quá {limit} lần cho mã này trong một giờ. Vui lòng thử lại sau {secs} giây."
        ),
        format!(
            "More than {limit} wrong guesses for this code in an hour. Try again in {secs} seconds."
        ),
    )
}

impl CodeGuess {
    /// Answers a guess against `key` (`complaint:<id>`, `dossier:<id>`) from `client` that was
    /// `right` or not: `Ok(right)` within the limits, `RATE_LIMITED` past them. A wrong guess
    /// is counted in the same step as its check; a right one is not counted.
    pub async fn check(
        limits: &Limits,
        config: &Config,
        key: String,
        client: IpAddr,
        right: bool,
    ) -> AppResult<bool> {
        let limit = config.code_guesses_per_hour;
        let everyone = limit.saturating_mul(10);
        let mine = format!("{key}@{client}");
        let keys = [(mine.as_str(), limit), (key.as_str(), everyone)];
        let over = if right {
            let mut over = None;
            for (i, (k, l)) in keys.iter().enumerate() {
                if let Some(secs) = limits.code_guesses.peek(k, *l).await? {
                    over = Some((i, secs));
                    break;
                }
            }
            over
        } else {
            limits.code_guesses.take_all(&keys).await?
        };
        match over {
            Some((i, secs)) => Err(too_many_guesses(
                secs,
                if i == 0 { limit } else { everyone },
            )),
            None => Ok(right),
        }
    }
}

/// The sign-in limits. Failures count per address, per account and address
/// (`login_failures_per_account`), and per account from all addresses at ten times that:
/// guessing one password stays slow, yet a stranger's five wrong tries do not lock its holder
/// out. An attempt is checked against the limits before the password is (past them it is
/// refused without being checked), and counted only when the password was wrong: concurrent
/// right sign-ins do not lock each other out. Guesses in flight at once are counted as they
/// fail, so a burst gets at most its own size beyond the limit.
pub struct LoginAttempt<'a> {
    limits: &'a Limits,
    keys: [(String, u32); 3],
}

fn too_many_logins(secs: u64) -> AppError {
    limited(
        secs,
        format!("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {secs} giây."),
        format!("Too many failed sign-ins. Try again in {secs} seconds."),
    )
}

impl<'a> LoginAttempt<'a> {
    /// Checks an attempt from `client` for `target` (`acct:<account id>` once the login
    /// resolves to an account, else `login:<the login, normalised>`) against the limits.
    pub async fn check(
        limits: &'a Limits,
        config: &Config,
        client: IpAddr,
        target: String,
    ) -> AppResult<LoginAttempt<'a>> {
        let per_account = config.login_failures_per_account;
        let keys = [
            (format!("addr:{client}"), config.login_failures_per_address),
            (format!("{target}@{client}"), per_account),
            (target, per_account.saturating_mul(10)),
        ];
        for (k, limit) in &keys {
            if let Some(secs) = limits.login_failures.peek(k, *limit).await? {
                return Err(too_many_logins(secs));
            }
        }
        Ok(LoginAttempt { limits, keys })
    }

    /// The password was wrong: the failure counts (`RATE_LIMITED` when it was one too many).
    pub async fn failed(self) -> AppResult<()> {
        let keys: Vec<(&str, u32)> = self.keys.iter().map(|(k, l)| (k.as_str(), *l)).collect();
        match self.limits.login_failures.take_all(&keys).await? {
            Some((_, secs)) => Err(too_many_logins(secs)),
            None => Ok(()),
        }
    }

    /// The password was right: the account starts afresh from this address.
    pub async fn succeeded(self) -> AppResult<()> {
        self.limits.login_failures.clear(&self.keys[1].0).await
    }
}
