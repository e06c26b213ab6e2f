//! Workflow templates: the serde model, its validation, and required-field checking.
//!
//! A template is a named, versioned list of steps (milestones); each step has tasks. The JSON form
//! is what `nps.import_template` accepts and `nps.export_template` returns. [`parse`] reads it,
//! reporting the JSON path of the first problem (`steps[2].tasks[0].due: ...`), then [`validate`]
//! checks the rules no type can express. [`Template::to_json`] writes the normalized form: defaults
//! filled in, so export → import → export is the identity.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::calendar::DayCount;
use crate::error::{ErrorKind, NpsError, Result};

/// Longest template, step, task or field name we accept, in characters.
pub const MAX_NAME: usize = 200;
/// Postgres' identifier limit (NAMEDATALEN - 1), for role names.
pub const MAX_ROLE: usize = 63;

const TEMPLATE_HINT: &str =
    "Fix the definition at the path named and import it again; docs/workflow.md describes the format.";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a template object with \"name\" and \"steps\"")]
pub struct Template {
    pub name: String,
    /// Assigned on import when absent: one more than the latest stored version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// What a run of this template is about (e.g. `cycle`, `account`, `response`); free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a step object with \"key\" and \"name\"")]
pub struct Step {
    pub key: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Can never be skipped and must record its declared evidence before it completes.
    #[serde(default)]
    pub checkpoint: bool,
    /// May be skipped with a reason (never a checkpoint or an approval gate).
    #[serde(default)]
    pub skippable: bool,
    /// What completing the step must record (required for checkpoints).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Field>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    #[serde(default)]
    pub tasks: Vec<Task>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an approval object like {\"role\": \"nps_approver\", \"min_approvers\": 1}"
)]
pub struct Approval {
    /// The Postgres role whose members decide.
    pub role: String,
    /// Approvals needed; one rejection sends the step back.
    #[serde(default = "one")]
    pub min_approvers: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a task object with \"key\" and \"title\"")]
pub struct Task {
    pub key: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub owner: OwnerRule,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Due>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
}

/// Who owns a task: `"run_owner"`, `{"role": "nps_csm"}`, or `{"subject": "csm"}` (the role named
/// by that attribute of the run's subject, e.g. the account's CSM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "\"run_owner\", {\"role\": \"role_name\"} or {\"subject\": \"attribute\"}"
)]
pub enum OwnerRule {
    #[default]
    RunOwner,
    Role(String),
    Subject(String),
}

/// A due offset from the moment the task's step becomes active.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a due offset like {\"days\": 2, \"calendar\": \"business\"} or {\"hours\": 4}"
)]
pub struct Due {
    #[serde(default)]
    pub days: u32,
    #[serde(default)]
    pub hours: u32,
    #[serde(default)]
    pub calendar: Calendar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Calendar {
    #[default]
    Calendar,
    Business,
}

impl From<Calendar> for DayCount {
    fn from(c: Calendar) -> Self {
        match c {
            Calendar::Calendar => DayCount::Calendar,
            Calendar::Business => DayCount::Business,
        }
    }
}

/// A typed value a task or step must record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a field object like {\"name\": \"outcome\", \"type\": \"text\"}")]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default = "yes")]
    pub required: bool,
    /// The allowed values of a `one_of` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// The table a `reference` field points into (its single-column primary key), e.g. `nps.runs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The least value of a `number` field (kept as written: 0 stays 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<serde_json::Number>,
    /// The greatest value of a `number` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<serde_json::Number>,
    /// A `number` field takes whole numbers only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub integer: bool,
}

fn yes() -> bool {
    true
}

impl Field {
    fn min_f64(&self) -> Option<f64> {
        self.min.as_ref().and_then(serde_json::Number::as_f64)
    }

    fn max_f64(&self) -> Option<f64> {
        self.max.as_ref().and_then(serde_json::Number::as_f64)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Number,
    Boolean,
    OneOf,
    Reference,
}

fn invalid(path: &str, what: impl std::fmt::Display) -> NpsError {
    NpsError::new(ErrorKind::InvalidTemplate, format!("invalid template at {path}: {what}"), TEMPLATE_HINT)
}

/// Read a template from JSON. Type errors name the path of the offending value.
pub fn parse(json: &str) -> Result<Template> {
    let de = &mut serde_json::Deserializer::from_str(json);
    let t: Template = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { "(top level)".to_string() } else { path };
        // serde_json appends " at line L column C": the path already says where.
        let what = e.inner().to_string();
        let what = what.rfind(" at line ").map_or(what.as_str(), |i| &what[..i]).to_string();
        invalid(&path, what)
    })?;
    validate(&t)?;
    Ok(t)
}

fn is_key(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= MAX_ROLE
}

fn check_name(path: &str, s: &str) -> Result<()> {
    if s.trim().is_empty() {
        return Err(invalid(path, "must not be empty"));
    }
    if s.chars().count() > MAX_NAME {
        return Err(invalid(path, format!("is longer than {MAX_NAME} characters")));
    }
    Ok(())
}

fn check_key(path: &str, s: &str) -> Result<()> {
    if !is_key(s) {
        return Err(invalid(
            path,
            format!("\"{s}\" is not a key: use lower-case letters, digits and _, starting with a letter"),
        ));
    }
    Ok(())
}

fn check_role(path: &str, s: &str) -> Result<()> {
    if s.is_empty() || s.len() > MAX_ROLE || s.contains('\0') {
        return Err(invalid(path, format!("\"{s}\" is not a role name (1 to {MAX_ROLE} bytes)")));
    }
    Ok(())
}

fn check_fields(path: &str, fields: &[Field]) -> Result<()> {
    let mut seen = HashSet::new();
    for (i, f) in fields.iter().enumerate() {
        let p = format!("{path}[{i}]");
        check_key(&format!("{p}.name"), &f.name)?;
        if !seen.insert(f.name.as_str()) {
            return Err(invalid(&format!("{p}.name"), format!("field \"{}\" is declared twice", f.name)));
        }
        match f.kind {
            FieldType::OneOf => {
                if f.options.is_empty() {
                    return Err(invalid(&format!("{p}.options"), "a one_of field needs at least one option"));
                }
                let mut opts = HashSet::new();
                for (j, o) in f.options.iter().enumerate() {
                    check_name(&format!("{p}.options[{j}]"), o)?;
                    if !opts.insert(o.as_str()) {
                        return Err(invalid(
                            &format!("{p}.options[{j}]"),
                            format!("option \"{o}\" is listed twice"),
                        ));
                    }
                }
            }
            _ if !f.options.is_empty() => {
                return Err(invalid(&format!("{p}.options"), "only a one_of field has options"));
            }
            _ => {}
        }
        match (f.kind, &f.to) {
            (FieldType::Reference, None) => {
                return Err(invalid(&format!("{p}.to"), "a reference field names the table it points into"));
            }
            (FieldType::Reference, Some(t)) => {
                check_name(&format!("{p}.to"), t)?;
                // Unqualified, a name would find whatever the session puts first (a temporary
                // table of the person filling the field); pg_temp is never a reference's home.
                let qualified = t.split_once('.').is_some_and(|(schema, table)| {
                    !schema.is_empty()
                        && !table.is_empty()
                        && !table.contains('.')
                        && !schema.to_lowercase().starts_with("pg_temp")
                });
                if !qualified {
                    return Err(invalid(
                        &format!("{p}.to"),
                        format!("names table \"{t}\" without its schema; write it as schema.table (e.g. \"crm.tickets\"), never in pg_temp"),
                    ));
                }
            }
            (_, Some(_)) => return Err(invalid(&format!("{p}.to"), "only a reference field has \"to\"")),
            _ => {}
        }
        if f.kind != FieldType::Number && (f.min.is_some() || f.max.is_some() || f.integer) {
            return Err(invalid(&p, "only a number field has min, max or integer"));
        }
        for (bound, v) in [("min", f.min_f64()), ("max", f.max_f64())] {
            if v.is_some_and(|v| !v.is_finite()) {
                return Err(invalid(&format!("{p}.{bound}"), "a bound is a finite number"));
            }
        }
        if let (Some(lo), Some(hi)) = (f.min_f64(), f.max_f64()) {
            if lo > hi {
                return Err(invalid(&format!("{p}.max"), format!("max {hi} is below min {lo}")));
            }
        }
        if let Some(l) = &f.label {
            check_name(&format!("{p}.label"), l)?;
        }
    }
    Ok(())
}

/// The rules beyond types: names, unique keys, checkpoint and approval consistency, due offsets.
pub fn validate(t: &Template) -> Result<()> {
    check_name("name", &t.name)?;
    if let Some(v) = t.version {
        if v < 1 {
            return Err(invalid("version", format!("{v} is not a version: versions start at 1")));
        }
    }
    if t.steps.is_empty() {
        return Err(invalid("steps", "a template needs at least one step"));
    }
    let mut step_keys = HashSet::new();
    for (i, s) in t.steps.iter().enumerate() {
        let p = format!("steps[{i}]");
        check_key(&format!("{p}.key"), &s.key)?;
        if !step_keys.insert(s.key.as_str()) {
            return Err(invalid(&format!("{p}.key"), format!("step key \"{}\" is used twice", s.key)));
        }
        check_name(&format!("{p}.name"), &s.name)?;
        if s.checkpoint && s.skippable {
            return Err(invalid(&format!("{p}.skippable"), "a checkpoint can never be skipped"));
        }
        if s.checkpoint && s.evidence.is_empty() {
            return Err(invalid(
                &format!("{p}.evidence"),
                "a checkpoint must declare the evidence it records",
            ));
        }
        if let Some(a) = &s.approval {
            if s.skippable {
                return Err(invalid(&format!("{p}.skippable"), "an approval gate can never be skipped"));
            }
            check_role(&format!("{p}.approval.role"), &a.role)?;
            if !(1..=100).contains(&a.min_approvers) {
                return Err(invalid(
                    &format!("{p}.approval.min_approvers"),
                    format!("{} is not between 1 and 100", a.min_approvers),
                ));
            }
        }
        check_fields(&format!("{p}.evidence"), &s.evidence)?;
        let mut task_keys = HashSet::new();
        for (j, task) in s.tasks.iter().enumerate() {
            let tp = format!("{p}.tasks[{j}]");
            check_key(&format!("{tp}.key"), &task.key)?;
            if !task_keys.insert(task.key.as_str()) {
                return Err(invalid(
                    &format!("{tp}.key"),
                    format!("task key \"{}\" is used twice in this step", task.key),
                ));
            }
            check_name(&format!("{tp}.title"), &task.title)?;
            match &task.owner {
                OwnerRule::RunOwner => {}
                OwnerRule::Role(r) => check_role(&format!("{tp}.owner.role"), r)?,
                OwnerRule::Subject(a) => check_key(&format!("{tp}.owner.subject"), a)?,
            }
            if let Some(d) = &task.due {
                if d.days > 3650 {
                    return Err(invalid(
                        &format!("{tp}.due.days"),
                        format!("{} days is more than ten years", d.days),
                    ));
                }
                if d.hours > 24 * 366 {
                    return Err(invalid(
                        &format!("{tp}.due.hours"),
                        format!("{} hours is more than a year", d.hours),
                    ));
                }
                if d.days == 0 && d.hours == 0 {
                    return Err(invalid(
                        &format!("{tp}.due"),
                        "a due offset needs days or hours greater than 0",
                    ));
                }
            }
            check_fields(&format!("{tp}.fields"), &task.fields)?;
        }
    }
    Ok(())
}

impl Template {
    /// The normalized JSON form (defaults written out), as stored and exported.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a template always serializes")
    }
}

fn describe(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

/// Check recorded `values` (a JSON object) against `fields`. With `complete`, every required
/// field must be present; without, only the values given are type-checked (saving progress).
/// `what` names the task or step in messages. Reference fields are checked for shape here and for
/// existence by the caller, which can query the table.
pub fn check_values(what: &str, fields: &[Field], values: &Value, complete: bool) -> Result<()> {
    let empty = serde_json::Map::new();
    let obj = match values {
        Value::Object(m) => m,
        Value::Null => &empty,
        other => {
            return Err(NpsError::new(
                ErrorKind::InvalidParameter,
                format!("values for {what} must be a JSON object, not {}", describe(other)),
                "Pass the fields as an object, e.g. '{\"outcome\": \"resolved\"}'.",
            ))
        }
    };
    for key in obj.keys() {
        if !fields.iter().any(|f| &f.name == key) {
            let known: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            return Err(NpsError::new(
                ErrorKind::InvalidParameter,
                format!("{what} has no field \"{key}\""),
                if known.is_empty() {
                    "This one records no fields; put free text in the note.".to_string()
                } else {
                    format!("Its fields are: {}.", known.join(", "))
                },
            ));
        }
    }
    let mut missing = Vec::new();
    for f in fields {
        let v = obj.get(&f.name).unwrap_or(&Value::Null);
        let blank = v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty());
        if blank {
            if complete && f.required {
                missing.push(f.name.as_str());
            }
            continue;
        }
        let ok = match f.kind {
            FieldType::Text => v.is_string(),
            FieldType::Number => v.is_number(),
            FieldType::Boolean => v.is_boolean(),
            FieldType::OneOf => v.as_str().is_some_and(|s| f.options.iter().any(|o| o == s)),
            FieldType::Reference => v.is_string() || v.is_i64() || v.is_u64(),
        };
        if !ok {
            let expected = match f.kind {
                FieldType::Text => "text".to_string(),
                FieldType::Number => "a number".to_string(),
                FieldType::Boolean => "true or false".to_string(),
                FieldType::OneOf => format!("one of {}", f.options.join(", ")),
                FieldType::Reference => format!("a key of {}", f.to.as_deref().unwrap_or("the table")),
            };
            return Err(NpsError::new(
                ErrorKind::RequirementsUnmet,
                format!("field \"{}\" of {what} is {}, expected {expected}", f.name, describe(v)),
                format!("Record \"{}\" as {expected}.", f.name),
            ));
        }
        if let Some(x) = v.as_f64().filter(|_| f.kind == FieldType::Number) {
            let whole = !f.integer || x.fract() == 0.0;
            if !whole || f.min_f64().is_some_and(|lo| x < lo) || f.max_f64().is_some_and(|hi| x > hi) {
                let range = match (&f.min, &f.max) {
                    (Some(lo), Some(hi)) => format!(" from {lo} to {hi}"),
                    (Some(lo), None) => format!(" of {lo} or more"),
                    (None, Some(hi)) => format!(" of {hi} or less"),
                    (None, None) => String::new(),
                };
                let kind = if f.integer { "a whole number" } else { "a number" };
                return Err(NpsError::new(
                    ErrorKind::OutOfRange,
                    format!("field \"{}\" of {what} is {x}, expected {kind}{range}", f.name),
                    format!("Record \"{}\" as {kind}{range}.", f.name),
                ));
            }
        }
    }
    if !missing.is_empty() {
        return Err(NpsError::new(
            ErrorKind::RequirementsUnmet,
            format!("{what} is missing required field(s): {}", missing.join(", ")),
            "Record them first, e.g. nps.complete_task(task_id, fields => '{\"name\": value}').",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({
            "name": "Escalation",
            "steps": [
                {"key": "triage", "name": "Triage", "checkpoint": true,
                 "evidence": [{"name": "severity", "type": "one_of", "options": ["low", "high"]}],
                 "tasks": [{"key": "call", "title": "Call the client", "owner": {"subject": "csm"},
                            "due": {"days": 1, "calendar": "business"},
                            "fields": [{"name": "notes", "type": "text"}]}]},
                {"key": "signoff", "name": "Sign-off", "approval": {"role": "nps_approver"}}
            ]
        })
    }

    fn err_of(v: Value) -> String {
        parse(&v.to_string()).unwrap_err().message
    }

    #[test]
    fn parses_and_fills_defaults() {
        let t = parse(&minimal().to_string()).unwrap();
        assert_eq!(t.steps[0].tasks[0].owner, OwnerRule::Subject("csm".into()));
        assert_eq!(t.steps[1].approval.as_ref().unwrap().min_approvers, 1);
        assert!(t.steps[0].evidence[0].required);
        assert_eq!(t.steps[1].tasks.len(), 0);
    }

    #[test]
    fn normalized_form_round_trips() {
        let t = parse(&minimal().to_string()).unwrap();
        let once = t.to_json();
        let again = parse(&once).unwrap().to_json();
        assert_eq!(once, again);
        assert!(once.contains("\"min_approvers\":1"));
        assert!(once.contains("\"owner\":{\"subject\":\"csm\"}"));
    }

    #[test]
    fn type_errors_name_the_path() {
        let mut v = minimal();
        v["steps"][0]["tasks"][0]["due"] = json!("tomorrow");
        let m = err_of(v);
        assert_eq!(
            m,
            "invalid template at steps[0].tasks[0].due: invalid type: string \"tomorrow\", \
             expected a due offset like {\"days\": 2, \"calendar\": \"business\"} or {\"hours\": 4}"
        );
        let mut v = minimal();
        v["steps"][1]["approval"]["min_approvers"] = json!(-1);
        assert!(err_of(v).contains("steps[1].approval.min_approvers"));
    }

    #[test]
    fn unknown_keys_are_refused_with_their_path() {
        let mut v = minimal();
        v["steps"][0]["tasks"][0]["dew"] = json!({"days": 1});
        let m = err_of(v);
        assert!(m.contains("steps[0].tasks[0]") && m.contains("dew"), "{m}");
    }

    #[test]
    fn owner_rules_parse_in_all_three_forms() {
        let mut v = minimal();
        v["steps"][0]["tasks"][0]["owner"] = json!("run_owner");
        assert_eq!(parse(&v.to_string()).unwrap().steps[0].tasks[0].owner, OwnerRule::RunOwner);
        v["steps"][0]["tasks"][0]["owner"] = json!({"role": "nps_csm"});
        assert_eq!(parse(&v.to_string()).unwrap().steps[0].tasks[0].owner, OwnerRule::Role("nps_csm".into()));
        v["steps"][0]["tasks"][0]["owner"] = json!({"boss": "x"});
        assert!(err_of(v).contains("steps[0].tasks[0].owner"));
    }

    #[test]
    fn checkpoint_rules() {
        let mut v = minimal();
        v["steps"][0]["skippable"] = json!(true);
        assert_eq!(err_of(v), "invalid template at steps[0].skippable: a checkpoint can never be skipped");
        let mut v = minimal();
        v["steps"][0]["evidence"] = json!([]);
        assert!(err_of(v).contains("steps[0].evidence: a checkpoint must declare"));
        let mut v = minimal();
        v["steps"][1]["skippable"] = json!(true);
        assert!(err_of(v).contains("steps[1].skippable: an approval gate can never be skipped"));
    }

    #[test]
    fn keys_must_be_unique_and_well_formed() {
        let mut v = minimal();
        v["steps"][1]["key"] = json!("triage");
        assert!(err_of(v).contains("steps[1].key: step key \"triage\" is used twice"));
        let mut v = minimal();
        v["steps"][0]["key"] = json!("Triage Step");
        assert!(err_of(v).contains("steps[0].key"));
    }

    #[test]
    fn structural_limits() {
        assert!(err_of(json!({"name": "x", "steps": []}))
            .contains("at steps: a template needs at least one step"));
        assert!(err_of(json!({"name": " ", "steps": []})).contains("at name: must not be empty"));
        assert!(err_of(json!({"steps": []})).contains("(top level): missing field `name`"));
        let mut v = minimal();
        v["steps"][0]["tasks"][0]["due"] = json!({"days": 0});
        assert!(err_of(v).contains("steps[0].tasks[0].due: a due offset needs"));
        let mut v = minimal();
        v["version"] = json!(0);
        assert!(err_of(v).contains("at version"));
    }

    #[test]
    fn field_declarations_are_checked() {
        let mut v = minimal();
        v["steps"][0]["evidence"][0]["options"] = json!([]);
        assert!(err_of(v).contains("steps[0].evidence[0].options"));
        let mut v = minimal();
        v["steps"][0]["tasks"][0]["fields"] = json!([{"name": "t", "type": "reference"}]);
        assert!(err_of(v).contains("steps[0].tasks[0].fields[0].to"));
        for to in ["tickets", "pg_temp.tickets", "PG_TEMP_3.tickets", ".tickets", "crm.", "a.b.c"] {
            let mut v = minimal();
            v["steps"][0]["tasks"][0]["fields"] = json!([{"name": "t", "type": "reference", "to": to}]);
            assert!(err_of(v).contains("without its schema"), "{to}");
        }
        let mut v = minimal();
        v["steps"][0]["tasks"][0]["fields"] =
            json!([{"name": "a", "type": "text"}, {"name": "a", "type": "number"}]);
        assert!(err_of(v).contains("fields[1].name: field \"a\" is declared twice"));
        let mut v = minimal();
        v["steps"][0]["tasks"][0]["fields"] = json!([{"name": "a", "type": "date"}]);
        assert!(err_of(v).contains("fields[0].type"));
    }

    fn fields() -> Vec<Field> {
        let t = parse(
            &json!({"name": "x", "steps": [{"key": "s", "name": "S", "tasks": [{"key": "t", "title": "T",
                "fields": [{"name": "outcome", "type": "one_of", "options": ["fixed", "wontfix"]},
                           {"name": "minutes", "type": "number"},
                           {"name": "happy", "type": "boolean", "required": false},
                           {"name": "ticket", "type": "reference", "to": "nps.runs", "required": false}]}]}]})
            .to_string(),
        )
        .unwrap();
        t.steps[0].tasks[0].fields.clone()
    }

    #[test]
    fn values_complete_and_typed_pass() {
        let f = fields();
        check_values(
            "task 1",
            &f,
            &json!({"outcome": "fixed", "minutes": 12, "happy": true, "ticket": 3}),
            true,
        )
        .unwrap();
        check_values("task 1", &f, &json!({"outcome": "fixed", "minutes": 1.5}), true).unwrap();
    }

    #[test]
    fn missing_required_values_are_named() {
        let e = check_values("task 7", &fields(), &json!({"minutes": 3, "outcome": " "}), true).unwrap_err();
        assert_eq!(e.kind, ErrorKind::RequirementsUnmet);
        assert_eq!(e.message, "task 7 is missing required field(s): outcome");
        // Saving progress does not demand completeness.
        check_values("task 7", &fields(), &json!({"minutes": 3}), false).unwrap();
        check_values("task 7", &fields(), &Value::Null, false).unwrap();
    }

    #[test]
    fn wrong_types_and_unknown_fields_are_refused() {
        let e = check_values("task 7", &fields(), &json!({"outcome": "maybe"}), false).unwrap_err();
        assert!(e.message.contains("expected one of fixed, wontfix"), "{}", e.message);
        let e = check_values("task 7", &fields(), &json!({"minutes": "ten"}), false).unwrap_err();
        assert!(e.message.contains("\"minutes\" of task 7 is \"ten\", expected a number"));
        let e = check_values("task 7", &fields(), &json!({"mood": 1}), false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameter);
        assert!(e.hint.contains("outcome, minutes, happy, ticket"));
        let e = check_values("task 7", &fields(), &json!([1]), false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameter);
    }
}

/// The templates pg_nps ships (`templates/*.json`), in the order `CREATE EXTENSION` imports them.
pub const SHIPPED: &[(&str, &str)] = &[
    ("nps_survey_action_plan.json", include_str!("../../../../templates/nps_survey_action_plan.json")),
    ("nps_detractor.json", include_str!("../../../../templates/nps_detractor.json")),
    ("client_onboarding.json", include_str!("../../../../templates/client_onboarding.json")),
    ("qbr_preparation.json", include_str!("../../../../templates/qbr_preparation.json")),
    ("renewal_management.json", include_str!("../../../../templates/renewal_management.json")),
    ("client_escalation.json", include_str!("../../../../templates/client_escalation.json")),
];

/// The shipped templates as one JSON array of their definitions.
pub fn shipped_json_array() -> String {
    let mut out = String::from("[");
    for (i, (_, json)) in SHIPPED.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(json);
    }
    out.push(']');
    out
}

#[cfg(test)]
mod shipped_tests {
    use super::*;

    #[test]
    fn every_shipped_template_validates_and_round_trips() {
        for (file, json) in SHIPPED {
            let t = parse(json).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(parse(&t.to_json()).unwrap(), t, "{file}");
        }
        let all: Vec<Value> = serde_json::from_str(&shipped_json_array()).unwrap();
        assert_eq!(all.len(), SHIPPED.len());
    }

    #[test]
    fn the_nps_cycle_template_has_its_two_checkpoints_and_two_gates_in_order() {
        let t = parse(SHIPPED[0].1).unwrap();
        assert_eq!(t.name, "NPS Survey & Action Plan");
        let flags: Vec<(bool, bool)> = t.steps.iter().map(|s| (s.checkpoint, s.approval.is_some())).collect();
        assert_eq!(
            flags,
            [(true, false), (true, false), (false, false), (false, true), (false, false), (false, true)]
        );
        let d = parse(SHIPPED[1].1).unwrap();
        let names: Vec<&str> = d.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Investigation", "Resolution", "Feedback"]);
    }

    #[test]
    fn every_templates_directory_file_is_shipped() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../templates");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|f| f.ends_with(".json"))
            .collect();
        files.sort();
        let mut shipped: Vec<String> = SHIPPED.iter().map(|(f, _)| f.to_string()).collect();
        shipped.sort();
        assert_eq!(files, shipped);
    }

    #[test]
    fn number_fields_keep_to_their_range_and_wholeness() {
        use serde_json::json;
        let fields: Vec<Field> = serde_json::from_value(json!([
            {"name": "resurvey_score", "type": "number", "required": false, "min": 0, "max": 10, "integer": true}
        ]))
        .unwrap();
        check_fields("fields", &fields).unwrap();
        check_values("task #1", &fields, &json!({"resurvey_score": 8}), true).unwrap();
        for bad in [json!(42), json!(-1), json!(7.5)] {
            let e = check_values("task #1", &fields, &json!({"resurvey_score": bad}), true).unwrap_err();
            assert_eq!(e.kind, ErrorKind::OutOfRange);
            assert!(e.message.contains("expected a whole number from 0 to 10"), "{}", e.message);
        }
        let bounded_text: Vec<Field> =
            serde_json::from_value(json!([{"name": "x", "type": "text", "max": 3}])).unwrap();
        assert!(check_fields("fields", &bounded_text).is_err());
        let upside_down: Vec<Field> =
            serde_json::from_value(json!([{"name": "x", "type": "number", "min": 3, "max": 1}])).unwrap();
        assert!(check_fields("fields", &upside_down).unwrap_err().message.contains("max 1 is below min 3"));
    }
}
