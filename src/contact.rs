//! Contact values: a Vietnamese phone number and an e-mail address, each parsed once into a type
//! so that a value that exists is valid and normalised.

use crate::error::AppError;

/// A Vietnamese phone number in national form: `+84 912 345 678` and `0912.345.678` both
/// become `0912345678` (10 digits starting with 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Phone, AppError> {
        let t: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        let national = if let Some(r) = t.strip_prefix("+84") {
            format!("0{r}")
        } else if let Some(r) = t.strip_prefix("84").filter(|r| r.len() == 9) {
            format!("0{r}")
        } else {
            t
        };
        if national.len() != 10
            || !national.starts_with('0')
            || !national.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(AppError::bad_input(
                "phone",
                format!("Số điện thoại {s:?} không hợp lệ (10 chữ số, bắt đầu bằng 0)."),
                format!("{s:?} is not a valid phone number (10 digits starting with 0)."),
            ));
        }
        Ok(Phone(national))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An e-mail address, trimmed and lower-cased; a plain shape check (one `@`, a dot after it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Email, AppError> {
        let e = s.trim().to_lowercase();
        // A bare address (RFC 5322's dot-atom on both sides), nothing a mail library would read
        // as a display name, a quoted part or a list: what is stored is what is mailed, and one
        // mailbox has one spelling (the per-contact limits count by it).
        let atom = |part: &str, extra: &str| {
            !part.is_empty()
                && !part.starts_with('.')
                && !part.ends_with('.')
                && !part.contains("..")
                && part
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '.' || extra.contains(c))
        };
        let ok = e.len() <= 254
            && match e.split_once('@') {
                Some((local, domain)) => {
                    atom(local, "!#$%&'*+/=?^_`{|}~-")
                        && atom(domain, "-")
                        && domain.contains('.')
                        && domain
                            .split('.')
                            .all(|l| !l.starts_with('-') && !l.ends_with('-'))
                }
                None => false,
            };
        if !ok {
            return Err(AppError::bad_input(
                "email",
                format!("Địa chỉ e-mail {e:?} không hợp lệ."),
                format!("{e:?} is not a valid e-mail address."),
            ));
        }
        Ok(Email(e))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A name, a phone and an e-mail, each possibly missing.
pub type ContactFields = (Option<String>, Option<String>, Option<String>);

/// [`given_or_account`] for the caller, whose account (when signed in with one) is read from
/// `db`.
pub async fn given_or_callers(
    db: &sea_orm::DatabaseConnection,
    actor: &crate::auth::Actor,
    c: &crate::complaints::ContactInput,
) -> Result<ContactFields, AppError> {
    let account = match actor.principal().and_then(|p| p.account_id.as_deref()) {
        Some(id) => crate::accounts::find(db, id).await?,
        None => None,
    };
    given_or_account(
        c.name.as_deref(),
        c.phone.as_deref(),
        c.email.as_deref(),
        account.as_ref(),
    )
}

/// A contact as given (name, phone, e-mail, each optional), each field checked, and each left
/// out taken from the signed-in `account`. Field names are `contact.name`, `contact.phone` and
/// `contact.email`.
pub fn given_or_account(
    name: Option<&str>,
    phone: Option<&str>,
    email: Option<&str>,
    account: Option<&entity::account::Model>,
) -> Result<ContactFields, AppError> {
    fn given(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|s| !s.is_empty())
    }
    let name = match given(name) {
        Some(n) => Some(crate::text::one_line("contact.name", n, 200)?),
        None => account.map(|a| a.display_name.clone()),
    };
    let phone = match given(phone) {
        Some(p) => Some(Phone::parse(p).map(Phone::into_string).map_err(|_| {
            AppError::bad_input(
                "contact.phone",
                format!("Số điện thoại {p:?} không hợp lệ (10 chữ số, bắt đầu bằng 0)."),
                format!("{p:?} is not a valid phone number (10 digits starting with 0)."),
            )
        })?),
        None => account.and_then(|a| crate::accounts::given_phone(a).map(str::to_string)),
    };
    let email = match given(email) {
        Some(e) => Some(Email::parse(e).map(Email::into_string).map_err(|_| {
            AppError::bad_input(
                "contact.email",
                format!("Địa chỉ e-mail {e:?} không hợp lệ."),
                format!("{e:?} is not a valid e-mail address."),
            )
        })?),
        None => account.and_then(|a| crate::accounts::given_email(a).map(str::to_string)),
    };
    Ok((name, phone, email))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(
            Phone::parse("+84 912 345 678").unwrap().as_str(),
            "0912345678"
        );
        assert_eq!(Phone::parse("0912.345.678").unwrap().as_str(), "0912345678");
        assert_eq!(Phone::parse("84912345678").unwrap().as_str(), "0912345678");
        assert!(Phone::parse("12345").is_err());
        assert!(Phone::parse("09123456ab").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" An@Example.VN ").unwrap().as_str(),
            "an@example.vn"
        );
        assert!(Email::parse("an@").is_err());
        assert!(Email::parse("an example@x.vn").is_err());
        assert_eq!(
            Email::parse("thu-tai+GY.1@sở-tư-pháp.vn").unwrap().as_str(),
            "thu-tai+gy.1@sở-tư-pháp.vn"
        );
        // Nothing a mail library reads as a display name, a quoted part, a list or a hidden
        // character: one mailbox, one spelling.
        for bad in [
            "x<victim@example.com>",
            "\"a\\nb\"@example.com",
            "a\u{202e}bad@example.com",
            "a@b.vn,c@d.vn",
            "a;b@c.vn",
            "a(b)@c.vn",
            "a..b@c.vn",
            ".a@c.vn",
            "a@-c.vn",
            "a@c..vn",
            "a@[127.0.0.1]",
            "a\u{200b}@c.vn",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }
}
