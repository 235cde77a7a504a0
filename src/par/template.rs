//! The criteria template of a period: a tree of criteria with codes, names and maximum points
//! summing to 100, each leaf with its source (DESIGN.md §7), and the default that ships.
//!
//! A template arrives as JSON (`openParPeriod(input: {template})`):
//! `{"name": "...", "criteria": [{"code": "1", "name": "...", "children": [{"code": "1.1",
//! "name": "...", "max": 3, "source": "APPRAISED"}]}]}`. A leaf's source is `APPRAISED`,
//! `SATISFACTION` with a `component` (or written `SATISFACTION(ACCESS)`), `TIMELINESS`,
//! `COMPLAINT_HANDLING` or `APOLOGY`.

use std::collections::HashSet;

use entity::rating_score::Component;
use sea_orm::{ActiveEnum, Iterable};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

/// Where a leaf's points come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Entered by the evaluator (the unit's self-assessment beside it).
    Appraised,
    /// Maximum × satisfied share of the year's verified ratings of one component.
    Satisfaction(Component),
    /// Maximum × share of dossiers completed on time.
    Timeliness,
    /// Maximum × share of complaints answered within their deadline.
    ComplaintHandling,
    /// Maximum × share of late dossiers that got a timely apology.
    Apology,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Appraised => "APPRAISED",
            Source::Satisfaction(_) => "SATISFACTION",
            Source::Timeliness => "TIMELINESS",
            Source::ComplaintHandling => "COMPLAINT_HANDLING",
            Source::Apology => "APOLOGY",
        }
    }

    pub fn is_computed(self) -> bool {
        self != Source::Appraised
    }

    fn parse(source: &str, component: Option<&str>) -> Option<Source> {
        let s = source.trim().to_ascii_uppercase();
        let (head, inner) = match s.split_once('(') {
            Some((h, rest)) => (
                h.trim().to_string(),
                Some(rest.trim_end_matches(')').trim().to_string()),
            ),
            None => (s.clone(), None),
        };
        Some(match head.as_str() {
            "APPRAISED" => Source::Appraised,
            "TIMELINESS" => Source::Timeliness,
            "COMPLAINT_HANDLING" => Source::ComplaintHandling,
            "APOLOGY" => Source::Apology,
            "SATISFACTION" => {
                let c = inner.or_else(|| component.map(|c| c.trim().to_ascii_uppercase()))?;
                Source::Satisfaction(Component::iter().find(|x| x.to_value() == c)?)
            }
            _ => return None,
        })
    }
}

/// A criterion as written in a template.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CriterionDef {
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<CriterionDef>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TemplateDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub criteria: Vec<CriterionDef>,
}

/// A criterion of a validated template, in tree order.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    pub code: String,
    pub name: String,
    pub max: f64,
    /// `None` for a group; a leaf has one.
    pub source: Option<Source>,
    pub parent: Option<String>,
    /// The top-level criterion (area) this one belongs to.
    pub area: String,
    pub depth: u8,
}

/// A validated template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub name: Option<String>,
    /// Every criterion in tree order (areas are those of depth 0).
    pub criteria: Vec<Criterion>,
    /// The normalised JSON stored with the period.
    pub json: String,
}

impl Template {
    pub fn areas(&self) -> impl Iterator<Item = &Criterion> {
        self.criteria.iter().filter(|c| c.depth == 0)
    }

    pub fn leaves(&self) -> impl Iterator<Item = &Criterion> {
        self.criteria.iter().filter(|c| c.source.is_some())
    }

    pub fn get(&self, code: &str) -> Option<&Criterion> {
        self.criteria.iter().find(|c| c.code == code)
    }

    /// The leaf `code`, or `BAD_USER_INPUT` on `field`.
    pub fn leaf(&self, field: &str, code: &str) -> AppResult<&Criterion> {
        match self.get(code.trim()) {
            Some(c) if c.source.is_some() => Ok(c),
            Some(c) => Err(AppError::bad_input(
                field,
                format!(
                    "Tiêu chí {} là nhóm tiêu chí; hãy chọn một tiêu chí thành phần.",
                    c.code
                ),
                format!(
                    "Criterion {} is a group; choose one of its leaf criteria.",
                    c.code
                ),
            )),
            None => Err(AppError::bad_input(
                field,
                format!(
                    "Bộ tiêu chí của kỳ đánh giá không có tiêu chí {}.",
                    code.trim()
                ),
                format!("The period's template has no criterion {}.", code.trim()),
            )),
        }
    }

    /// Parses and validates a template given as JSON.
    pub fn parse(json: &str) -> AppResult<Template> {
        let def: TemplateDef = serde_json::from_str(json).map_err(|e| {
            bad(
                format!("Bộ tiêu chí không phải JSON hợp lệ: {e}."),
                format!("The template is not valid JSON: {e}."),
            )
        })?;
        Template::from_def(def)
    }

    pub fn from_def(mut def: TemplateDef) -> AppResult<Template> {
        if def.criteria.is_empty() {
            return Err(bad(
                "Bộ tiêu chí phải có ít nhất một lĩnh vực.",
                "The template needs at least one criterion.",
            ));
        }
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut total = 0.0;
        for c in &mut def.criteria {
            total += walk(c, None, None, 0, &mut out, &mut seen)?;
        }
        if out.len() > 500 {
            return Err(bad(
                "Bộ tiêu chí có quá 500 tiêu chí.",
                "The template has more than 500 criteria.",
            ));
        }
        if (total - 100.0).abs() > 0.005 {
            return Err(bad(
                format!(
                    "Tổng điểm tối đa của bộ tiêu chí là {}, phải bằng 100.",
                    round2(total)
                ),
                format!(
                    "The template's maximum points add up to {}, not 100.",
                    round2(total)
                ),
            ));
        }
        if let Some(n) = &def.name {
            def.name = Some(one_line(n)?).filter(|n| !n.chars().all(crate::text::is_invisible));
        }
        let json = serde_json::to_string(&def).map_err(AppError::internal)?;
        Ok(Template {
            name: def.name.clone(),
            criteria: out,
            json,
        })
    }

    /// The default template (see the README: the eight areas of Decision 876/QĐ-BNV).
    pub fn default_template() -> Template {
        Template::parse(DEFAULT_TEMPLATE).expect("the default template is valid")
    }
}

fn bad(
    vi: impl Into<std::borrow::Cow<'static, str>>,
    en: impl Into<std::borrow::Cow<'static, str>>,
) -> AppError {
    AppError::bad_input("template", vi, en)
}

/// A name on one line: NFC, no control characters, no line breaks or tabs, and no
/// bidirectional overrides or isolates (which reorder what a reader sees).
fn one_line(name: &str) -> AppResult<String> {
    let n = crate::text::clean("template", name, 300)?;
    if n.chars().any(crate::text::breaks_a_line) {
        return Err(bad(
            format!(
                "Tên \"{}\" phải nằm trên một dòng, không có ký tự đảo chiều văn bản.",
                n.escape_debug()
            ),
            format!(
                "The name \"{}\" must be one line, without text-direction controls.",
                n.escape_debug()
            ),
        ));
    }
    Ok(n)
}

pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Validates one criterion and its children, fills in a group's maximum, and returns it.
fn walk(
    c: &mut CriterionDef,
    parent: Option<&str>,
    area: Option<&str>,
    depth: u8,
    out: &mut Vec<Criterion>,
    seen: &mut HashSet<String>,
) -> AppResult<f64> {
    c.code = c.code.trim().to_string();
    c.name = one_line(&c.name)?;
    let code_ok = (1..=32).contains(&c.code.len())
        && c.code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !code_ok {
        return Err(bad(
            format!(
                "Mã tiêu chí \"{}\" không hợp lệ: 1–32 ký tự chữ, số, '.', '_' hoặc '-'.",
                c.code
            ),
            format!(
                "Criterion code \"{}\" is invalid: 1–32 letters, digits, '.', '_' or '-'.",
                c.code
            ),
        ));
    }
    if !seen.insert(c.code.clone()) {
        return Err(bad(
            format!("Mã tiêu chí {} bị trùng.", c.code),
            format!("Criterion code {} appears twice.", c.code),
        ));
    }
    if c.name.chars().all(crate::text::is_invisible) {
        return Err(bad(
            format!("Tiêu chí {} cần có tên (tối đa 300 ký tự).", c.code),
            format!(
                "Criterion {} needs a name of at most 300 characters.",
                c.code
            ),
        ));
    }
    if depth > 3 {
        return Err(bad(
            format!("Tiêu chí {} nằm sâu quá 4 cấp.", c.code),
            format!("Criterion {} is nested deeper than 4 levels.", c.code),
        ));
    }
    let area_code = area.unwrap_or(&c.code).to_string();
    let index = out.len();
    out.push(Criterion {
        code: c.code.clone(),
        name: c.name.clone(),
        max: 0.0,
        source: None,
        parent: parent.map(str::to_string),
        area: area_code.clone(),
        depth,
    });
    let max = if c.children.is_empty() {
        let Some(src) = c.source.as_deref() else {
            return Err(bad(
                format!(
                    "Tiêu chí {} không có tiêu chí con nên phải có nguồn điểm (source).",
                    c.code
                ),
                format!(
                    "Criterion {} has no children, so it needs a source.",
                    c.code
                ),
            ));
        };
        let Some(source) = Source::parse(src, c.component.as_deref()) else {
            return Err(bad(
                format!(
                    "Nguồn điểm của tiêu chí {} không hợp lệ: dùng APPRAISED, SATISFACTION (kèm component), TIMELINESS, COMPLAINT_HANDLING hoặc APOLOGY.",
                    c.code
                ),
                format!(
                    "Criterion {} has an unknown source: use APPRAISED, SATISFACTION (with a component), TIMELINESS, COMPLAINT_HANDLING or APOLOGY.",
                    c.code
                ),
            ));
        };
        let max = c.max.unwrap_or(f64::NAN);
        if !(max.is_finite() && max > 0.0 && max <= 100.0) {
            return Err(bad(
                format!(
                    "Điểm tối đa của tiêu chí {} phải lớn hơn 0 và không quá 100.",
                    c.code
                ),
                format!(
                    "Criterion {} needs a maximum above 0 and at most 100.",
                    c.code
                ),
            ));
        }
        let max = round2(max);
        c.max = Some(max);
        c.source = Some(source.name().to_string());
        c.component = match source {
            Source::Satisfaction(comp) => Some(comp.to_value()),
            _ => None,
        };
        out[index].source = Some(source);
        max
    } else {
        if c.source.is_some() || c.component.is_some() {
            return Err(bad(
                format!(
                    "Tiêu chí {} có tiêu chí con nên không có nguồn điểm riêng.",
                    c.code
                ),
                format!(
                    "Criterion {} has children, so it takes no source of its own.",
                    c.code
                ),
            ));
        }
        let mut sum = 0.0;
        let code = c.code.clone();
        for child in &mut c.children {
            sum += walk(child, Some(&code), Some(&area_code), depth + 1, out, seen)?;
        }
        if let Some(m) = c.max
            && (m - sum).abs() > 0.005
        {
            return Err(bad(
                format!(
                    "Điểm tối đa của tiêu chí {} là {m} nhưng các tiêu chí con cộng lại {}.",
                    c.code,
                    round2(sum)
                ),
                format!(
                    "Criterion {} has a maximum of {m} but its children add up to {}.",
                    c.code,
                    round2(sum)
                ),
            ));
        }
        let sum = round2(sum);
        c.max = Some(sum);
        sum
    };
    out[index].max = max;
    Ok(max)
}

/// The default: the eight areas of the national PAR INDEX frame (Decision 876/QĐ-BNV, 2022)
/// and 100 points, of which 32 (the share of the sociological survey in that frame) come from
/// people's and businesses' satisfaction through the five SIPAS components. The split of the
/// other 68 points between areas is this portal's; a city loads its own template.
pub const DEFAULT_TEMPLATE: &str = r#"{
  "name": "Khung mặc định của Góp Ý theo 8 lĩnh vực của PAR INDEX (Quyết định 876/QĐ-BNV)",
  "criteria": [
    {"code": "1", "name": "Công tác chỉ đạo, điều hành cải cách hành chính", "children": [
      {"code": "1.1", "name": "Kế hoạch cải cách hành chính năm", "max": 3, "source": "APPRAISED"},
      {"code": "1.2", "name": "Báo cáo cải cách hành chính", "max": 2, "source": "APPRAISED"},
      {"code": "1.3", "name": "Kiểm tra công tác cải cách hành chính", "max": 2, "source": "APPRAISED"},
      {"code": "1.4", "name": "Thông tin, tuyên truyền cải cách hành chính", "max": 2, "source": "APPRAISED"}
    ]},
    {"code": "2", "name": "Cải cách thể chế", "children": [
      {"code": "2.1", "name": "Tham mưu xây dựng văn bản quy phạm pháp luật", "max": 3, "source": "APPRAISED"},
      {"code": "2.2", "name": "Rà soát, kiểm tra văn bản quy phạm pháp luật", "max": 3, "source": "APPRAISED"}
    ]},
    {"code": "3", "name": "Cải cách thủ tục hành chính và thực hiện cơ chế một cửa, một cửa liên thông", "children": [
      {"code": "3.1", "name": "Công bố, công khai thủ tục hành chính", "max": 3, "source": "APPRAISED"},
      {"code": "3.2", "name": "Tỷ lệ hồ sơ giải quyết đúng hạn", "max": 6, "source": "TIMELINESS"},
      {"code": "3.3", "name": "Xin lỗi đúng hạn khi hồ sơ trễ hạn", "max": 2, "source": "APOLOGY"},
      {"code": "3.4", "name": "Trả lời phản ánh, kiến nghị đúng hạn", "max": 5, "source": "COMPLAINT_HANDLING"}
    ]},
    {"code": "4", "name": "Cải cách tổ chức bộ máy hành chính", "children": [
      {"code": "4.1", "name": "Sắp xếp, kiện toàn tổ chức bộ máy", "max": 3, "source": "APPRAISED"},
      {"code": "4.2", "name": "Phân cấp, ủy quyền", "max": 3, "source": "APPRAISED"}
    ]},
    {"code": "5", "name": "Cải cách chế độ công vụ", "children": [
      {"code": "5.1", "name": "Vị trí việc làm và cơ cấu ngạch công chức", "max": 3, "source": "APPRAISED"},
      {"code": "5.2", "name": "Tuyển dụng, đánh giá cán bộ, công chức", "max": 3, "source": "APPRAISED"},
      {"code": "5.3", "name": "Kỷ luật, kỷ cương hành chính", "max": 3, "source": "APPRAISED"}
    ]},
    {"code": "6", "name": "Cải cách tài chính công", "children": [
      {"code": "6.1", "name": "Giải ngân vốn đầu tư công", "max": 3, "source": "APPRAISED"},
      {"code": "6.2", "name": "Quản lý, sử dụng tài chính, tài sản công", "max": 3, "source": "APPRAISED"}
    ]},
    {"code": "7", "name": "Xây dựng và phát triển chính quyền điện tử, chính quyền số", "children": [
      {"code": "7.1", "name": "Cung cấp dịch vụ công trực tuyến", "max": 4, "source": "APPRAISED"},
      {"code": "7.2", "name": "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính", "max": 4, "source": "APPRAISED"},
      {"code": "7.3", "name": "Gửi, nhận văn bản điện tử", "max": 4, "source": "APPRAISED"}
    ]},
    {"code": "8", "name": "Tác động của cải cách hành chính đến người dân, tổ chức và phát triển kinh tế - xã hội", "children": [
      {"code": "8.1", "name": "Hài lòng về tiếp cận dịch vụ", "max": 6.4, "source": "SATISFACTION", "component": "ACCESS"},
      {"code": "8.2", "name": "Hài lòng về thủ tục hành chính", "max": 6.4, "source": "SATISFACTION", "component": "PROCEDURE"},
      {"code": "8.3", "name": "Hài lòng về công chức giải quyết công việc", "max": 6.4, "source": "SATISFACTION", "component": "OFFICIAL"},
      {"code": "8.4", "name": "Hài lòng về kết quả giải quyết", "max": 6.4, "source": "SATISFACTION", "component": "RESULT"},
      {"code": "8.5", "name": "Hài lòng về tiếp nhận, xử lý góp ý, phản ánh, kiến nghị", "max": 6.4, "source": "SATISFACTION", "component": "FEEDBACK_HANDLING"},
      {"code": "8.6", "name": "Tác động đến phát triển kinh tế - xã hội của địa phương, ngành", "max": 4, "source": "APPRAISED"}
    ]}
  ]
}"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_has_eight_areas_and_a_third_from_satisfaction() {
        let t = Template::default_template();
        assert_eq!(t.areas().count(), 8);
        let total: f64 = t.areas().map(|a| a.max).sum();
        assert!((total - 100.0).abs() < 1e-9);
        let sat: f64 = t
            .leaves()
            .filter(|c| matches!(c.source, Some(Source::Satisfaction(_))))
            .map(|c| c.max)
            .sum();
        assert!((sat - 32.0).abs() < 1e-9, "{sat}");
        assert_eq!(
            t.get("8.3").unwrap().source,
            Some(Source::Satisfaction(Component::Official))
        );
        assert_eq!(t.get("3.2").unwrap().area, "3");
    }

    #[test]
    fn bad_templates_name_the_criterion() {
        let msg = |j: &str| {
            Template::parse(j)
                .unwrap_err()
                .message(crate::error::Lang::En)
        };
        assert!(
            msg(r#"{"criteria":[{"code":"A","name":"a","max":90,"source":"APPRAISED"}]}"#)
                .contains("90")
        );
        assert!(
            msg(r#"{"criteria":[{"code":"A","name":"a","max":100,"source":"GUESS"}]}"#)
                .contains("Criterion A")
        );
        assert!(msg(
            r#"{"criteria":[{"code":"A","name":"a","max":50,"source":"APPRAISED"},{"code":"A","name":"b","max":50,"source":"APPRAISED"}]}"#
        )
        .contains("A appears twice"));
        assert!(msg(
            r#"{"criteria":[{"code":"G","name":"g","max":60,"children":[{"code":"G1","name":"x","max":100,"source":"APPRAISED"}]}]}"#
        )
        .contains("Criterion G"));
        assert!(msg("not json").contains("JSON"));
        let ok = Template::parse(
            r#"{"criteria":[{"code":"S","name":"s","max":100,"source":"SATISFACTION(result)"}]}"#,
        )
        .unwrap();
        assert_eq!(
            ok.criteria[0].source,
            Some(Source::Satisfaction(Component::Result))
        );
    }
}
