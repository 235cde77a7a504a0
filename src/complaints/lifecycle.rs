//! The complaint lifecycle as one table: each step with the states it may start from and the
//! state it leads to. Every transition check, what a complaint's state allows
//! (`crate::access::complaint_state`) and the event names all derive from [`LIFECYCLE`].
//!
//! ```text
//! RECEIVED ──accept──▶ ACCEPTED ──answer──▶ ANSWERED ──close / filer satisfied──▶ CLOSED
//!    │ ▲                  │  ▲                  │
//!    │ └──assign (forward)┘  └──filer unsatisfied (reopen once)
//!    ├──reject──▶ REJECTED            (RECEIVED or ACCEPTED)
//!    └──markDuplicate──▶ DUPLICATE    (RECEIVED or ACCEPTED)
//! ```

use entity::complaint::Status;

use crate::error::AppError;

/// One step of the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Accept,
    Answer,
    Reject,
    Assign,
    MarkDuplicate,
    /// The filer is satisfied with the answer: closed.
    RateSatisfied,
    /// The filer is not satisfied, the first time: reopened for a new answer.
    Reopen,
    /// The filer is not satisfied again: recorded, the complaint stays answered.
    RateUnsatisfied,
    Close,
}

/// What the event log calls a step (and the filing before any step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Filed,
    Accepted,
    Answered,
    Rejected,
    Forwarded,
    Duplicate,
    Rated,
    Reopened,
    Closed,
    /// An official decided the legal track (feedback, complaint, denunciation).
    Classified,
    /// Linked to a dialogue with businesses (an earlier complaint, or a duplicate's original).
    DialogueLinked,
    /// A unit committed to a step on it.
    Committed,
    /// A unit reported its commitment done.
    CommitmentDone,
}

impl Event {
    pub const ALL: &'static [Event] = &[
        Event::Filed,
        Event::Accepted,
        Event::Answered,
        Event::Rejected,
        Event::Forwarded,
        Event::Duplicate,
        Event::Rated,
        Event::Reopened,
        Event::Closed,
        Event::Classified,
        Event::DialogueLinked,
        Event::Committed,
        Event::CommitmentDone,
    ];

    /// The event a stored name stands for.
    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.iter().copied().find(|e| e.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Event::Filed => "FILED",
            Event::Accepted => "ACCEPTED",
            Event::Answered => "ANSWERED",
            Event::Rejected => "REJECTED",
            Event::Forwarded => "FORWARDED",
            Event::Duplicate => "DUPLICATE",
            Event::Rated => "RATED",
            Event::Reopened => "REOPENED",
            Event::Closed => "CLOSED",
            Event::Classified => "CLASSIFIED",
            Event::DialogueLinked => "DIALOGUE_LINKED",
            Event::Committed => "COMMITTED",
            Event::CommitmentDone => "COMMITMENT_DONE",
        }
    }
}

/// A row of the lifecycle table.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    pub step: Step,
    /// The GraphQL mutation that takes this step.
    pub mutation: &'static str,
    pub from: &'static [Status],
    pub to: Status,
    pub event: Event,
}

pub const OPEN: &[Status] = &[Status::Received, Status::Accepted];

/// Every status, in lifecycle order.
pub const ALL: &[Status] = &[
    Status::Received,
    Status::Accepted,
    Status::Answered,
    Status::Closed,
    Status::Rejected,
    Status::Duplicate,
];

/// Every step, in the order portals list the allowed actions.
pub const LIFECYCLE: &[Transition] = &[
    Transition {
        step: Step::Accept,
        mutation: "acceptComplaint",
        from: &[Status::Received],
        to: Status::Accepted,
        event: Event::Accepted,
    },
    Transition {
        step: Step::Answer,
        mutation: "answerComplaint",
        from: &[Status::Accepted],
        to: Status::Answered,
        event: Event::Answered,
    },
    Transition {
        step: Step::Reject,
        mutation: "rejectComplaint",
        from: OPEN,
        to: Status::Rejected,
        event: Event::Rejected,
    },
    Transition {
        step: Step::Assign,
        mutation: "assignComplaint",
        from: OPEN,
        to: Status::Received,
        event: Event::Forwarded,
    },
    Transition {
        step: Step::MarkDuplicate,
        mutation: "markDuplicate",
        from: OPEN,
        to: Status::Duplicate,
        event: Event::Duplicate,
    },
    Transition {
        step: Step::RateSatisfied,
        mutation: "rateComplaintAnswer",
        from: &[Status::Answered],
        to: Status::Closed,
        event: Event::Rated,
    },
    Transition {
        step: Step::Reopen,
        mutation: "rateComplaintAnswer",
        from: &[Status::Answered],
        to: Status::Accepted,
        event: Event::Reopened,
    },
    Transition {
        step: Step::RateUnsatisfied,
        mutation: "rateComplaintAnswer",
        from: &[Status::Answered],
        to: Status::Answered,
        event: Event::Rated,
    },
    Transition {
        step: Step::Close,
        mutation: "closeComplaint",
        from: &[Status::Answered],
        to: Status::Closed,
        event: Event::Closed,
    },
];

/// The table's row of a step.
pub fn transition(step: Step) -> &'static Transition {
    LIFECYCLE
        .iter()
        .find(|t| t.step == step)
        .expect("every step has a row in LIFECYCLE")
}

/// Whether a complaint in status `s` may take `step`.
pub fn allows(step: Step, s: Status) -> bool {
    transition(step).from.contains(&s)
}

/// The mutations whose steps a status allows, each once, in table order: what a refusal names.
/// Who may take them is another matter (`crate::access::complaint_actions`).
pub fn mutations_from(s: Status) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for t in LIFECYCLE.iter().filter(|t| t.from.contains(&s)) {
        if !out.contains(&t.mutation) {
            out.push(t.mutation);
        }
    }
    out
}

/// A status's name as the API spells it.
pub fn status_name(s: Status) -> String {
    use sea_orm::ActiveEnum;
    s.to_value()
}

/// `CONFLICT`: `mutation` cannot be taken in status `s`; says which can.
pub fn illegal(mutation: &str, s: Status) -> AppError {
    let allowed: Vec<(&str, &str, &str)> = mutations_from(s).into_iter().map(words).collect();
    let (vi_list, en_list) = if allowed.is_empty() {
        (
            "không còn thao tác nào, phản ánh đã kết thúc".to_string(),
            "nothing more, the item is settled".to_string(),
        )
    } else {
        (
            allowed.iter().map(|a| a.0).collect::<Vec<_>>().join(", "),
            allowed.iter().map(|a| a.1).collect::<Vec<_>>().join(", "),
        )
    };
    let (act_vi, act_en, _) = words(mutation);
    let (st_vi, st_en) = status_words(s);
    AppError::ConflictState {
        msg: crate::error::Msg::new(
            format!("Không thể {act_vi} phản ánh {st_vi}. Còn có thể: {vi_list}."),
            format!("An item that is {st_en} cannot be {act_en}. It can be: {en_list}."),
        ),
        status: status_name(s),
        allowed: allowed.iter().map(|a| a.2.to_string()).collect(),
    }
}

/// A step's words (Vietnamese verb, English past participle) and its `ComplaintAction` name.
fn words(mutation: &str) -> (&'static str, &'static str, &'static str) {
    match mutation {
        "acceptComplaint" => ("nhận xử lý", "accepted", "ACCEPT"),
        "answerComplaint" => ("trả lời", "answered", "ANSWER"),
        "rejectComplaint" => ("từ chối", "rejected", "REJECT"),
        "assignComplaint" => ("chuyển", "forwarded", "ASSIGN"),
        "markDuplicate" => ("đánh dấu trùng", "marked a duplicate", "MARK_DUPLICATE"),
        "rateComplaintAnswer" => ("đánh giá câu trả lời của", "rated", "RATE_ANSWER"),
        "closeComplaint" => ("đóng", "closed", "CLOSE"),
        "classifyComplaint" => ("phân loại", "classified", "CLASSIFY"),
        _ => ("xử lý", "changed", "UNKNOWN"),
    }
}

/// A status in words: Vietnamese (after "phản ánh"), English (after "is").
fn status_words(s: Status) -> (&'static str, &'static str) {
    match s {
        Status::Received => ("mới tiếp nhận", "just received"),
        Status::Accepted => ("đang xử lý", "being handled"),
        Status::Answered => ("đã trả lời", "answered"),
        Status::Closed => ("đã đóng", "closed"),
        Status::Rejected => ("đã bị từ chối", "rejected"),
        Status::Duplicate => ("trùng với phản ánh khác", "a duplicate"),
    }
}

/// Whether a status is still open for handling (received or accepted).
pub fn is_open(s: Status) -> bool {
    OPEN.contains(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mutations_a_status_allows_follow_the_table() {
        assert_eq!(
            mutations_from(Status::Received),
            [
                "acceptComplaint",
                "rejectComplaint",
                "assignComplaint",
                "markDuplicate"
            ]
        );
        assert_eq!(
            mutations_from(Status::Accepted),
            [
                "answerComplaint",
                "rejectComplaint",
                "assignComplaint",
                "markDuplicate"
            ]
        );
        assert_eq!(
            mutations_from(Status::Answered),
            ["rateComplaintAnswer", "closeComplaint"]
        );
        for s in [Status::Closed, Status::Rejected, Status::Duplicate] {
            assert!(mutations_from(s).is_empty());
        }
    }

    #[test]
    fn every_step_has_one_row() {
        for t in LIFECYCLE {
            assert_eq!(
                LIFECYCLE.iter().filter(|u| u.step == t.step).count(),
                1,
                "{:?}",
                t.step
            );
        }
    }
}
