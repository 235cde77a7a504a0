//! E-mail over SMTP (`PORTAL_SMTP_URL`, `PORTAL_SMTP_FROM`), or, when no server is set, appended
//! to one mailbox file a day under `<data dir>/outbox/` (`2026-12-08.mbox`, the mbox format
//! that mail programs open), so a demo shows what would be sent.
//!
//! Every message carries a one-click unsubscribe link (RFC 8058: `List-Unsubscribe` and
//! `List-Unsubscribe-Post`), signed, that needs no sign-in, and a `Message-ID` made from the
//! message's id, so a retry after a lost reply is recognisable as the same message.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Failure;

/// How `PORTAL_SMTP_URL` is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
    pub credentials: Option<(String, String)>,
    /// `smtps://`: TLS from the first byte.
    pub implicit_tls: bool,
    /// `?tls=required`: refuse a server that does not offer STARTTLS. By default STARTTLS is
    /// used where the server offers it.
    pub require_starttls: bool,
}

impl SmtpTarget {
    /// Parses `smtp://user:pass@host:587[?tls=required]` or `smtps://…:465`.
    pub fn parse(s: &str) -> Result<SmtpTarget, String> {
        let u = url::Url::parse(s).map_err(|e| format!("not a URL ({e})"))?;
        let implicit_tls = match u.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => return Err(format!("expected smtp:// or smtps://, got {other}://")),
        };
        let host = u
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the URL names no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = u.port().unwrap_or(if implicit_tls { 465 } else { 587 });
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let credentials = (!u.username().is_empty()).then(|| {
            (
                decode(u.username()),
                decode(u.password().unwrap_or_default()),
            )
        });
        let mut require_starttls = false;
        for (k, v) in u.query_pairs() {
            match (k.as_ref(), v.as_ref()) {
                ("tls", "required") => require_starttls = true,
                ("tls", "opportunistic") => {}
                (k, v) => {
                    return Err(format!(
                        "unknown option {k}={v} (only tls=required or tls=opportunistic)"
                    ));
                }
            }
        }
        Ok(SmtpTarget {
            host,
            port,
            credentials,
            implicit_tls,
            require_starttls,
        })
    }
}

/// One e-mail to send.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The message's id (its `Message-ID` and the file's name).
    pub id: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// The one-click unsubscribe link, if the message has one.
    pub unsubscribe: Option<String>,
}

/// Where e-mails go.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Files {
        dir: PathBuf,
        from: Mailbox,
    },
}

impl Mailer {
    /// The SMTP server of `PORTAL_SMTP_URL`, or files under `outbox`.
    pub fn new(smtp_url: Option<&str>, from: &str, outbox: PathBuf) -> Result<Mailer, String> {
        let from: Mailbox = from.parse().map_err(|e| format!("PORTAL_SMTP_FROM: {e}"))?;
        let Some(url) = smtp_url else {
            return Ok(Mailer::Files { dir: outbox, from });
        };
        let t = SmtpTarget::parse(url).map_err(|e| format!("PORTAL_SMTP_URL: {e}"))?;
        let tls_params =
            || TlsParameters::new(t.host.clone()).map_err(|e| format!("PORTAL_SMTP_URL: {e}"));
        let tls = if t.implicit_tls {
            Tls::Wrapper(tls_params()?)
        } else if t.require_starttls {
            Tls::Required(tls_params()?)
        } else {
            Tls::Opportunistic(tls_params()?)
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(t.host.clone())
            .port(t.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(20)));
        if let Some((user, pass)) = t.credentials {
            b = b.credentials(Credentials::new(user, pass));
        }
        Ok(Mailer::Smtp {
            transport: b.build(),
            from,
        })
    }

    /// Where messages go, for the logs.
    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp { .. } => "SMTP".into(),
            Mailer::Files { dir, .. } => format!("files under {}", dir.display()),
        }
    }

    /// Builds the message.
    pub fn message(&self, m: &Mail) -> Result<Message, Failure> {
        let from = match self {
            Mailer::Smtp { from, .. } | Mailer::Files { from, .. } => from.clone(),
        };
        let to: Mailbox =
            m.to.parse()
                .map_err(|e| Failure::permanent(format!("the address cannot take mail ({e})")))?;
        let domain = from.email.domain().to_string();
        let mut b = Message::builder()
            .from(from)
            .to(to)
            .subject(m.subject.clone())
            .message_id(Some(format!("<{}@{}>", m.id, domain)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".into(),
            ));
        let mut body = m.body.clone();
        if let Some(link) = &m.unsubscribe {
            b = b
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{link}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
            body.push_str(&format!(
                "\n\n--\nNgừng nhận loại thư này / Stop these e-mails: {link}\n"
            ));
        }
        b.header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| Failure::permanent(format!("the message cannot be built ({e})")))
    }

    /// Sends one e-mail. The error says why, for the delivery record.
    pub async fn send(&self, m: &Mail) -> Result<(), Failure> {
        let msg = self.message(m)?;
        match self {
            Mailer::Smtp { transport, .. } => transport.send(msg).await.map(|_| ()).map_err(|e| {
                let reason = format!("SMTP: {e}");
                if e.is_permanent() {
                    Failure::permanent(reason)
                } else {
                    Failure::transient(reason)
                }
            }),
            Mailer::Files { dir, .. } => {
                append_to_outbox(dir, "mbox", &mbox_entry(&msg.formatted()))
                    .await
                    .map_err(Failure::transient)
            }
        }
    }
}

/// One message as an mbox entry: a `From ` line, the message with its own lines that begin with
/// `From ` quoted (`>From `), and a blank line.
fn mbox_entry(message: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "From gopy-outbox {}\n",
        chrono::Utc::now().format("%a %b %e %H:%M:%S %Y")
    )
    .into_bytes();
    let text = String::from_utf8_lossy(message).replace("\r\n", "\n");
    for line in text.lines() {
        if line.trim_start_matches('>').starts_with("From ") {
            out.push(b'>');
        }
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    out
}

/// Appends `entry` to today's outbox file of a channel (`<city date>.<ext>`): the demo's
/// channels. One file a day rather than one a message, so that a busy demo creates no file per
/// message; each entry is one append, whole, under a lock of this process.
pub async fn append_to_outbox(
    dir: &std::path::Path,
    ext: &str,
    entry: &[u8],
) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let path = dir.join(format!("{}.{ext}", crate::clock::today()));
    let _turn = LOCK.lock().await;
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut f = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .await
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    f.write_all(entry)
        .await
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.flush()
        .await
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smtp_url_says_host_port_credentials_and_tls() {
        let t = SmtpTarget::parse("smtp://g%C3%B3p:p%40ss@mail.example.gov.vn:2525").unwrap();
        assert_eq!(t.host, "mail.example.gov.vn");
        assert_eq!(t.port, 2525);
        assert_eq!(t.credentials, Some(("góp".into(), "p@ss".into())));
        assert!(!t.implicit_tls && !t.require_starttls);
        let t = SmtpTarget::parse("smtps://mail.example.gov.vn").unwrap();
        assert_eq!((t.port, t.implicit_tls), (465, true));
        assert_eq!(SmtpTarget::parse("smtp://h").unwrap().port, 587);
        assert!(
            SmtpTarget::parse("smtp://h?tls=required")
                .unwrap()
                .require_starttls
        );
        assert!(SmtpTarget::parse("smtp://h?tsl=required").is_err());
        assert!(SmtpTarget::parse("http://h").is_err());
        assert!(SmtpTarget::parse("smtp://").is_err());
    }

    #[test]
    fn an_mbox_entry_quotes_from_lines_and_ends_with_a_blank_line() {
        let e = String::from_utf8(mbox_entry(
            b"Subject: x\r\n\r\nFrom here on\r\n>From there\r\nok",
        ))
        .unwrap();
        assert!(e.starts_with("From gopy-outbox "), "{e}");
        let body: Vec<&str> = e.lines().skip(1).collect();
        assert_eq!(
            body,
            ["Subject: x", "", ">From here on", ">>From there", "ok", ""]
        );
        assert!(e.ends_with("ok\n\n"));
    }

    #[test]
    fn a_message_carries_the_one_click_unsubscribe_headers() {
        let m = Mailer::new(None, "Góp Ý <no-reply@gopy.example.gov.vn>", "/tmp".into()).unwrap();
        let msg = m
            .message(&Mail {
                id: "0190-abc".into(),
                to: "filer@example.com".into(),
                subject: "[Góp Ý] PA-1: Đã tiếp nhận".into(),
                body: "Nội dung".into(),
                unsubscribe: Some(
                    "https://gopy.example.gov.vn/notifications/unsubscribe?token=t".into(),
                ),
            })
            .unwrap();
        let text = String::from_utf8(msg.formatted()).unwrap();
        assert!(
            text.contains(
                "List-Unsubscribe: <https://gopy.example.gov.vn/notifications/unsubscribe?token=t>"
            ),
            "{text}"
        );
        assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(
            text.contains("Message-ID: <0190-abc@gopy.example.gov.vn>"),
            "{text}"
        );
        assert!(text.contains("To: filer@example.com"));
    }
}
