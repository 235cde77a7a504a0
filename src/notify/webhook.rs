//! SMS and Zalo ZNS through the city's gateway contracts: each message is a signed HTTP webhook
//! to `PORTAL_SMS_WEBHOOK_URL` or `PORTAL_ZALO_WEBHOOK_URL`.
//!
//! The request is `POST` with a JSON body (`id`, `channel`, `kind`, `to`, `text`) and:
//! - `X-Gopy-Timestamp`: the Unix time of sending, in seconds;
//! - `X-Gopy-Signature`: `sha256=` and the hex HMAC-SHA256, under the channel's secret, of the
//!   timestamp, a `.`, and the body's bytes. A gateway recomputes it, compares in constant time
//!   and refuses a timestamp more than five minutes off, so a captured request cannot be
//!   replayed later nor altered;
//! - `Idempotency-Key`: the message's id, the same on every retry, so the gateway sends a text
//!   once even when its answer to the first try was lost.
//!
//! Any 2xx answer is a delivery. A gateway left unset appends its messages, one JSON a line, to
//! a file a day under `<data dir>/outbox/` (`2026-12-08.sms.jsonl`, `….zalo.jsonl`).

use std::path::PathBuf;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{Channel, Failure};

pub const TIMESTAMP_HEADER: &str = "X-Gopy-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Gopy-Signature";
/// How far a receiver should accept a timestamp from its own clock.
pub const TOLERANCE_SECS: i64 = 300;

/// The HMAC of `body` sent at `timestamp`.
fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature header's value of `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// What a receiver does: whether `signature` is right for `body` at `timestamp`, and the
/// timestamp within [`TOLERANCE_SECS`] of `now`.
pub fn verify(secret: &str, timestamp: i64, body: &[u8], signature: &str, now: i64) -> bool {
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return false;
    }
    let Some(bytes) = signature
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    mac(secret, timestamp, body).verify_slice(&bytes).is_ok()
}

/// A phone number as gateways take it: a Vietnamese number (`0912 345 678`, `84912…`) as
/// `+84912345678`; any other keeps its digits and a leading `+`.
pub fn e164(phone: &str) -> String {
    let plus = phone.trim_start().starts_with('+');
    let digits: String = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    if plus {
        format!("+{digits}")
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("+84{rest}")
    } else if digits.starts_with("84") && digits.len() >= 11 {
        format!("+{digits}")
    } else {
        digits
    }
}

/// One text message.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Text {
    pub id: String,
    pub channel: &'static str,
    pub kind: &'static str,
    pub to: String,
    pub text: String,
}

/// A gateway: its webhook and secret, or files.
#[derive(Clone)]
pub struct Gateway {
    channel: Channel,
    hook: Option<(String, String)>,
    dir: PathBuf,
    client: reqwest::Client,
}

impl Gateway {
    pub fn new(channel: Channel, hook: Option<(String, String)>, dir: PathBuf) -> Gateway {
        Gateway {
            channel,
            hook,
            dir,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap_or_default(),
        }
    }

    pub fn describe(&self) -> String {
        match &self.hook {
            Some((url, _)) => format!("webhook {}", url.split('?').next().unwrap_or(url)),
            None => format!("files under {}", self.dir.display()),
        }
    }

    /// Sends one text. The error says why, for the delivery record.
    pub async fn send(&self, t: &Text) -> Result<(), Failure> {
        let body = serde_json::to_vec(t).map_err(|e| Failure::permanent(e.to_string()))?;
        let Some((url, secret)) = &self.hook else {
            let ext = match self.channel {
                Channel::Zalo => "zalo.jsonl",
                _ => "sms.jsonl",
            };
            let mut line = body;
            line.push(b'\n');
            return super::email::append_to_outbox(&self.dir, ext, &line)
                .await
                .map_err(Failure::transient);
        };
        let ts = crate::clock::now().timestamp();
        let r = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, ts.to_string())
            .header(SIGNATURE_HEADER, sign(secret, ts, &body))
            .header("Idempotency-Key", t.id.clone())
            .body(body)
            .send()
            .await
            .map_err(|e| {
                Failure::transient(format!(
                    "{} gateway unreachable: {e}",
                    self.channel.as_str()
                ))
            })?;
        if r.status().is_success() {
            Ok(())
        } else {
            let status = r.status();
            let text: String = r
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            let reason = format!(
                "{} gateway answered {status}: {text}",
                self.channel.as_str()
            );
            // A refusal of this message (a bad number, a template the gateway rejects) will not
            // change on a retry; a timeout or a rate limit may.
            if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
                Err(Failure::permanent(reason))
            } else {
                Err(Failure::transient(reason))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_checks_out_only_for_its_body_time_and_secret() {
        let body = br#"{"id":"1","text":"Gop Y"}"#;
        let s = sign("secret-of-the-gateway", 1_800_000_000, body);
        assert!(s.starts_with("sha256=") && s.len() == 7 + 64);
        assert!(verify(
            "secret-of-the-gateway",
            1_800_000_000,
            body,
            &s,
            1_800_000_100
        ));
        assert!(!verify(
            "secret-of-the-gateway",
            1_800_000_000,
            b"{}",
            &s,
            1_800_000_100
        ));
        assert!(!verify(
            "another-secret-entirely",
            1_800_000_000,
            body,
            &s,
            1_800_000_100
        ));
        assert!(!verify(
            "secret-of-the-gateway",
            1_800_000_001,
            body,
            &s,
            1_800_000_100
        ));
        // A replay long after.
        assert!(!verify(
            "secret-of-the-gateway",
            1_800_000_000,
            body,
            &s,
            1_800_001_000
        ));
        assert!(!verify(
            "secret-of-the-gateway",
            1_800_000_000,
            body,
            "sha256=zz",
            1_800_000_000
        ));
    }

    #[test]
    fn phones_go_out_in_international_form() {
        assert_eq!(e164("0912 345 678"), "+84912345678");
        assert_eq!(e164("0912.345.678"), "+84912345678");
        assert_eq!(e164("+84 912 345 678"), "+84912345678");
        assert_eq!(e164("84912345678"), "+84912345678");
    }
}
