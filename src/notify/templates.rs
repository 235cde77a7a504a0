//! The messages, in Vietnamese and English (the recipient's language). Each shows the tracking
//! code, the unit, what happened, the next deadline and a link; none holds a contact, a name or
//! the text of the item (which may hold personal data), so a message forwarded or read over a
//! shoulder tells nothing about anyone else.
//!
//! Text messages are written without marks (tin nhắn không dấu): with marks an SMS is UCS-2 and
//! holds 70 characters, without it holds 160, which gateways bill per part. Zalo ZNS keeps the
//! marks within 400 characters.

use chrono::{DateTime, Utc};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::Kind;
use crate::error::Lang;

/// Longest SMS, in characters (one GSM-7 part).
pub const SMS_LIMIT: usize = 160;
/// Longest Zalo ZNS message, in characters.
pub const ZNS_LIMIT: usize = 400;

/// What a message says about its subject.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The tracking code (a complaint's, a request's) or the dialogue's title.
    pub code: Option<String>,
    /// The unit's name.
    pub unit: Option<String>,
    /// What happened beyond the headline (a reason, a time, counts), in Vietnamese and English.
    pub detail: Option<(String, String)>,
    /// The next deadline.
    pub deadline: Option<DateTime<Utc>>,
    /// Where to see it.
    pub link: Option<String>,
}

/// A message, rendered for one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    /// The e-mail's text and the inbox entry's body.
    pub body: String,
    /// The SMS (unaccented, at most [`SMS_LIMIT`] characters).
    pub sms: String,
    /// The Zalo ZNS text (at most [`ZNS_LIMIT`] characters).
    pub zns: String,
}

/// The headline of a kind.
pub fn headline(kind: Kind, lang: Lang) -> &'static str {
    let (vi, en) = match kind {
        Kind::ComplaintReceived => (
            "Đã tiếp nhận phản ánh, kiến nghị",
            "Your feedback was received",
        ),
        Kind::ComplaintAccepted => (
            "Phản ánh, kiến nghị đã được thụ lý",
            "Your feedback was accepted for handling",
        ),
        Kind::ComplaintForwarded => (
            "Phản ánh, kiến nghị đã được chuyển đến đơn vị có thẩm quyền",
            "Your feedback was forwarded to the competent unit",
        ),
        Kind::ComplaintAnswered => (
            "Phản ánh, kiến nghị đã có trả lời",
            "Your feedback was answered",
        ),
        Kind::ComplaintClosed => (
            "Phản ánh, kiến nghị đã kết thúc",
            "Your feedback was closed",
        ),
        Kind::ComplaintRejected => (
            "Phản ánh, kiến nghị không được thụ lý",
            "Your feedback was not accepted",
        ),
        Kind::NewItem => (
            "Phản ánh, kiến nghị mới cho đơn vị",
            "A new item for your unit",
        ),
        Kind::DeadlineSoon => (
            "Còn một ngày làm việc đến hạn trả lời",
            "An answer is due within one working day",
        ),
        Kind::Overdue => (
            "Phản ánh, kiến nghị đã quá hạn trả lời",
            "An item is past its answer deadline",
        ),
        Kind::Reopened => (
            "Người phản ánh chưa hài lòng, phản ánh được mở lại",
            "The filer was not satisfied: the item is open again",
        ),
        Kind::DailyDigest => (
            "Tổng hợp phản ánh, kiến nghị đầu ngày",
            "Morning digest of your unit's items",
        ),
        Kind::DialogueInvitation => (
            "Thư mời dự đối thoại doanh nghiệp",
            "Invitation to a dialogue with businesses",
        ),
        Kind::DialogueRescheduled => (
            "Đối thoại doanh nghiệp thay đổi thời gian, địa điểm",
            "A dialogue moved",
        ),
        Kind::DialogueCancelled => (
            "Đối thoại doanh nghiệp đã bị hủy",
            "A dialogue was cancelled",
        ),
        Kind::CommitmentMade => (
            "Đơn vị đã cam kết xử lý kiến nghị",
            "A unit committed to act on what you raised",
        ),
        Kind::CommitmentDue => (
            "Cam kết xử lý kiến nghị sắp đến hạn",
            "A commitment to you is due within one working day",
        ),
        Kind::CommitmentDone => (
            "Đơn vị báo cáo đã hoàn thành cam kết",
            "A unit reported its commitment done",
        ),
        Kind::ReviewRequested => (
            "Yêu cầu xem xét mới trong Chỉ số CCHC",
            "A new request in the PAR review queue",
        ),
        Kind::PrivacyRequestDue => (
            "Yêu cầu về dữ liệu cá nhân sắp đến hạn",
            "A personal-data request is due within two working days",
        ),
        Kind::Test => ("Thư thử nghiệm của Góp Ý", "Góp Ý test message"),
    };
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// A deadline in city time, as people write it (`17:00 08/12/2026`).
pub fn when(t: DateTime<Utc>) -> String {
    crate::clock::local(t).format("%H:%M %d/%m/%Y").to_string()
}

/// Renders a message.
pub fn render(kind: Kind, lang: Lang, f: &Facts) -> Rendered {
    let head = headline(kind, lang);
    let (l_code, l_unit, l_due, l_link) = match lang {
        Lang::Vi => ("Mã", "Đơn vị", "Hạn tiếp theo", "Xem chi tiết"),
        Lang::En => ("Code", "Unit", "Next deadline", "Details"),
    };
    let detail = f.detail.as_ref().map(|(vi, en)| match lang {
        Lang::Vi => vi.as_str(),
        Lang::En => en.as_str(),
    });
    let subject = match &f.code {
        Some(c) => format!("[Góp Ý] {c}: {head}"),
        None => format!("[Góp Ý] {head}"),
    };
    let mut body = vec![head.to_string(), String::new()];
    if let Some(c) = &f.code {
        body.push(format!("{l_code}: {c}"));
    }
    if let Some(u) = &f.unit {
        body.push(format!("{l_unit}: {u}"));
    }
    if let Some(d) = detail {
        body.push(d.to_string());
    }
    if let Some(t) = f.deadline {
        body.push(format!("{l_due}: {}", when(t)));
    }
    if let Some(l) = &f.link {
        body.push(format!("{l_link}: {l}"));
    }
    let body = body.join("\n");
    // Text messages: what matters first, then what fits.
    let due = f.deadline.map(|t| format!("{l_due}: {}", when(t)));
    let parts = |with_marks: bool| -> Vec<Option<String>> {
        let conv = |s: &str| {
            if with_marks {
                s.to_string()
            } else {
                unaccent(s)
            }
        };
        vec![
            Some(conv(&match &f.code {
                Some(c) => format!("Góp Ý {c}: {head}"),
                None => format!("Góp Ý: {head}"),
            })),
            due.as_deref().map(conv),
            f.unit.as_deref().map(|u| conv(&format!("{l_unit}: {u}"))),
            detail.map(conv),
            f.link.clone(),
        ]
    };
    Rendered {
        subject,
        body,
        sms: fit(parts(false), SMS_LIMIT),
        zns: fit(parts(true), ZNS_LIMIT),
    }
}

/// Joins the parts that fit within `limit` characters, in order of importance (the first is
/// cut if it alone is too long); a link fits whole or not at all.
fn fit(parts: Vec<Option<String>>, limit: usize) -> String {
    let mut out = String::new();
    for (i, p) in parts.into_iter().flatten().enumerate() {
        let sep = if i == 0 { "" } else { ". " };
        let len = out.chars().count() + sep.chars().count() + p.chars().count();
        if len <= limit {
            out.push_str(sep);
            out.push_str(&p);
        } else if i == 0 {
            out = p.chars().take(limit).collect();
        }
    }
    out
}

/// Vietnamese without its marks, case kept (`Đã tiếp nhận` → `Da tiep nhan`); anything else
/// outside ASCII becomes `?`.
pub fn unaccent(s: &str) -> String {
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            c if c.is_whitespace() => ' ',
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            code: Some("PA-2026-ABCD-EFGH".into()),
            unit: Some("Phường Chợ Lớn".into()),
            detail: Some((
                "Lý do: không thuộc thẩm quyền giải quyết của đơn vị, đề nghị liên hệ cơ quan thuế.".into(),
                "Reason: not within the unit's competence; contact the tax office.".into(),
            )),
            deadline: Some(
                DateTime::parse_from_rfc3339("2026-12-18T10:00:00Z")
                    .unwrap()
                    .with_timezone(&Utc),
            ),
            link: Some("https://gopy.example.gov.vn/tra-cuu/PA-2026-ABCD-EFGH".into()),
        }
    }

    #[test]
    fn every_kind_fits_its_channels_in_both_languages() {
        for k in Kind::ALL {
            for lang in [Lang::Vi, Lang::En] {
                let r = render(k, lang, &facts());
                assert!(
                    r.sms.chars().count() <= SMS_LIMIT,
                    "{k:?} {lang:?}: {}",
                    r.sms
                );
                assert!(r.sms.is_ascii(), "{}", r.sms);
                assert!(r.zns.chars().count() <= ZNS_LIMIT, "{k:?}: {}", r.zns);
                assert!(r.sms.contains("PA-2026-ABCD-EFGH"), "{}", r.sms);
                assert!(r.subject.contains("PA-2026-ABCD-EFGH"));
                assert!(r.body.contains("Phường Chợ Lớn"));
                assert!(r.body.contains("17:00 18/12/2026"), "{}", r.body);
            }
        }
    }

    #[test]
    fn the_language_is_the_recipients() {
        let vi = render(Kind::ComplaintAnswered, Lang::Vi, &facts());
        let en = render(Kind::ComplaintAnswered, Lang::En, &facts());
        assert!(vi.body.starts_with("Phản ánh, kiến nghị đã có trả lời"));
        assert!(vi.body.contains("Hạn tiếp theo: 17:00 18/12/2026"));
        assert!(en.body.starts_with("Your feedback was answered"));
        assert!(en.body.contains("Next deadline: 17:00 18/12/2026"));
        assert!(
            vi.sms
                .starts_with("Gop Y PA-2026-ABCD-EFGH: Phan anh, kien nghi da co tra loi"),
            "{}",
            vi.sms
        );
    }

    #[test]
    fn a_text_message_drops_what_does_not_fit_and_keeps_the_code() {
        let mut f = facts();
        f.link = Some(format!("https://gopy.example.gov.vn/{}", "x".repeat(200)));
        let r = render(Kind::ComplaintRejected, Lang::Vi, &f);
        assert!(
            !r.sms.contains("https://"),
            "a link that does not fit is left out whole: {}",
            r.sms
        );
        assert!(r.sms.contains("PA-2026-ABCD-EFGH"));
        assert_eq!(
            unaccent("Đường Nguyễn Trãi, Quận 5"),
            "Duong Nguyen Trai, Quan 5"
        );
        assert_eq!(unaccent("Ｑ5 😀"), "?5 ?");
    }
}
