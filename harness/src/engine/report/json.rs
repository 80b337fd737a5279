//! `report.json`: the [`RunReport`] serialised as it is (pretty-printed, UTF-8, trailing
//! newline). The format is documented field by field in docs/report-schema.md and as a JSON
//! Schema (draft 2020-12) in docs/report.schema.json; its version is
//! [`crate::engine::model::SCHEMA_VERSION`], carried in the `schema` field.

use crate::engine::model::RunReport;

/// The text of report.json.
pub fn render(report: &RunReport) -> Result<String, std::io::Error> {
    let mut s = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    s.push('\n');
    Ok(s)
}
