//! Reading a scenario file: every key and value kind checked against the schema (the
//! serialized default scenario), every problem with its dotted key and line.

use toml::de::{DeTable, DeValue};
use yieldline_core::line::line_of;

use super::{Guardrails, Issue, Scenario};
use crate::SimError;

/// Parses and validates a scenario file (see [`Scenario::from_toml_str`]).
pub(super) fn parse(text: &str) -> Result<Scenario, SimError> {
    let doc = DeTable::parse(text).map_err(|e| {
        SimError::InvalidScenario(vec![Issue {
            key: "(syntax)".into(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().trim().to_string(),
        }])
    })?;
    let mut issues = Vec::new();
    let schema = toml::Value::try_from(schema_shape()).map_err(|e| {
        SimError::InvalidScenario(vec![Issue {
            key: "(schema)".into(),
            line: None,
            message: e.to_string(),
        }])
    })?;
    if let toml::Value::Table(schema) = &schema {
        check_table(text, doc.get_ref(), schema, "", &mut issues);
    }
    if !issues.is_empty() {
        issues.sort_by_key(|i| i.line);
        return Err(SimError::InvalidScenario(issues));
    }
    let scenario: Scenario = toml::from_str(text).map_err(|e| {
        SimError::InvalidScenario(vec![Issue {
            key: "(document)".into(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().trim().to_string(),
        }])
    })?;
    let mut issues = scenario.problems();
    if issues.is_empty() {
        Ok(scenario)
    } else {
        for issue in &mut issues {
            issue.line = find_line(text, doc.get_ref(), &issue.key);
        }
        issues.sort_by_key(|i| i.line);
        Err(SimError::InvalidScenario(issues))
    }
}

/// A scenario with every optional section present (and one item in every list), so
/// that its serialization names every key a file may use.
fn schema_shape() -> Scenario {
    let mut shape = Scenario::default();
    shape.policy.guardrails = Some(Guardrails::default());
    shape.drift = vec![super::Drift::default()];
    shape.experiment = Some(super::ExperimentParams::schema_shape());
    shape
}

fn kind_of_schema(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date-time",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

/// Checks the document's keys and value kinds against the schema (the serialized
/// default scenario), collecting every unknown key and every wrong kind.
fn check_table(
    text: &str,
    doc: &DeTable<'_>,
    schema: &toml::Table,
    path: &str,
    issues: &mut Vec<Issue>,
) {
    for (k, v) in doc {
        let key = k.get_ref().as_ref();
        let full = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        match schema.get(key) {
            None => {
                let known: Vec<&str> = schema.keys().map(String::as_str).collect();
                issues.push(Issue {
                    key: full,
                    line: Some(line_of(text, k.span().start)),
                    message: format!("unknown key; expected one of: {}", known.join(", ")),
                });
            }
            Some(s) => check_value(text, v, s, &full, issues),
        }
    }
}

fn check_value(
    text: &str,
    v: &toml::Spanned<DeValue<'_>>,
    schema: &toml::Value,
    path: &str,
    issues: &mut Vec<Issue>,
) {
    let line = Some(line_of(text, v.span().start));
    let mut wrong = || {
        issues.push(Issue {
            key: path.to_string(),
            line,
            message: format!(
                "must be {}, found {}",
                kind_of_schema(schema),
                v.get_ref().type_str()
            ),
        });
    };
    match (schema, v.get_ref()) {
        (toml::Value::Table(s), DeValue::Table(t)) => check_table(text, t, s, path, issues),
        (toml::Value::Array(s), DeValue::Array(a)) => {
            if let Some(first) = s.first() {
                for (i, item) in a.iter().enumerate() {
                    check_value(text, item, first, &format!("{path}[{i}]"), issues);
                }
            }
        }
        (toml::Value::String(_), DeValue::String(_))
        | (toml::Value::Boolean(_), DeValue::Boolean(_)) => {}
        (toml::Value::Float(_), DeValue::Float(_) | DeValue::Integer(_)) => {}
        (toml::Value::Integer(_), DeValue::Integer(i)) => {
            let ok = i64::from_str_radix(i.as_str(), i.radix())
                .is_ok_and(|n| (0..=i64::MAX).contains(&n));
            if !ok {
                issues.push(Issue {
                    key: path.to_string(),
                    line,
                    message: format!("must be a non-negative integer, found {}", i.as_str()),
                });
            }
        }
        _ => wrong(),
    }
}

/// Line of the deepest part of a dotted key path (`a.b[2].c`) present in the document.
fn find_line(text: &str, doc: &DeTable<'_>, key: &str) -> Option<usize> {
    let mut best = None;
    let mut table = Some(doc);
    let mut value: Option<&toml::Spanned<DeValue<'_>>> = None;
    for part in key.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let t = table?;
        let (k, v) = t.get_key_value(name)?;
        best = Some(line_of(text, k.span().start));
        value = Some(v);
        if let Some(i) = index {
            let item = v.get_ref().as_array()?.get(i)?;
            best = Some(line_of(text, item.span().start));
            value = Some(item);
        }
        table = value.and_then(|v| v.get_ref().as_table());
    }
    let _ = value;
    best
}
