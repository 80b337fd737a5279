//! The test-case engine: loads the YAML catalogue, resolves it against a SUT profile, drives
//! the harness roles, decides verdicts and hands a [`model::RunReport`] to the reports.
//!
//! - [`case`]: the case schema and loader (errors name file, line and field).
//! - [`sut`]: SUT profiles (`builtin`, `builtin:<flaw>`, YAML files for real deployments).
//! - [`steps`]: what a step does to the lab, and what it records.
//! - [`checks`]: expectations evaluated over what was recorded.
//! - [`runner`]: applicability, parallel execution, verdicts.
//! - [`model`]: the result types; [`report`]: JUnit, JSON and HTML views of them.

pub mod call;
pub mod case;
pub mod checks;
pub mod mediaplane;
pub mod model;
pub mod report;
pub mod runner;
pub mod steps;
pub mod sut;
pub mod tls;
pub mod tlsagree;
pub mod za;
