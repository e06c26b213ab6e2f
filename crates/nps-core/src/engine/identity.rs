//! Who is acting. A person is the unit of identity: every owner, requester, decider, verifier and
//! completer is one. pg_nps' capability roles (`nps_csm`, `nps_approver`, …) grant rights and are
//! never a person, so `SET ROLE nps_approver` makes nobody a second approver.
//!
//! The facts come from the backend (the role set by `SET ROLE` or the login, which SECURITY
//! DEFINER functions do not change; the session's login; the `nps.actor` setting) and from the
//! registers `nps.people` and `nps.applications`. A person acts:
//! - as their own role: a login role, or a role an application switches to per request
//!   (PostgREST style: the application's login is registered, and `SET ROLE`s to the person);
//! - as an end user named by a registered application (Supabase style: the application sets
//!   `nps.actor` for each transaction, and only people registered for that application count).
//!
//! Everything else is refused with SQLSTATE NP012: a capability or other group role, a role that
//! is not registered, an inactive person, one person's session acting as another person's role,
//! an application naming someone it may not name, and `nps.actor` set by anyone but an
//! application. An application naming nobody acts as itself, which only service work allows
//! (intake, the outbox), never a decision.

use serde::Deserialize;

use crate::error::{ErrorKind, NpsError, Result};

/// pg_nps' capability roles: what they grant is listed in `docs/security.md`. None is a person.
pub const CAPABILITY_ROLES: [&str; 8] = [
    "nps_admin",
    "nps_csm",
    "nps_approver",
    "nps_analyst",
    "nps_auditor",
    "nps_pii",
    "nps_intake",
    "nps_mailer",
];

/// Whether `role` is one of pg_nps' capability roles.
pub fn is_capability(role: &str) -> bool {
    CAPABILITY_ROLES.contains(&role)
}

/// A row of a register, as far as acting goes.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Registered {
    pub active: bool,
}

/// The person an application names through `nps.actor`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub identity: String,
    pub active: bool,
    /// The application registered to name this person (NULL: a person of their own role).
    pub application: Option<String>,
}

/// Everything the decision needs; every field must be present (no defaults on what grants).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFacts {
    /// The role in effect outside SECURITY DEFINER functions: the login, or the role `SET ROLE`
    /// switched to.
    pub outer: String,
    /// The session's login role.
    pub session: String,
    pub outer_is_superuser: bool,
    pub session_is_superuser: bool,
    /// Inside a security-restricted operation (VACUUM, ANALYZE, CREATE INDEX, REFRESH
    /// MATERIALIZED VIEW …): the code running is a table owner's, run for whoever maintains it.
    pub restricted: bool,
    /// `nps.actor`, normalized as an identity; `None` when unset or empty.
    #[serde(deserialize_with = "crate::error::required")]
    pub actor: Option<String>,
    /// The `nps.people` row of a person whose identity is the outer role.
    #[serde(deserialize_with = "crate::error::required")]
    pub outer_person: Option<Registered>,
    /// The `nps.applications` row of the outer role.
    #[serde(deserialize_with = "crate::error::required")]
    pub outer_application: Option<Registered>,
    /// Whether the login is a registered person.
    pub session_person: bool,
    /// The `nps.applications` row of the login.
    #[serde(deserialize_with = "crate::error::required")]
    pub session_application: Option<Registered>,
    /// The person `actor` names, when there is one.
    #[serde(deserialize_with = "crate::error::required")]
    pub named: Option<Named>,
}

/// Who acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acting {
    /// A person, by identity.
    Person(String),
    /// A registered application acting as itself (service work only).
    Application(String),
    /// A superuser that is not a registered person (configuration and repair only).
    Superuser(String),
}

fn refuse(message: String, hint: impl Into<String>) -> NpsError {
    NpsError::new(ErrorKind::NotAPerson, message, hint)
}

/// Decide who acts (see the module documentation).
pub fn acting(f: &SessionFacts) -> Result<Acting> {
    // Maintenance runs the code of a table's owner (an index expression, a materialized view's
    // query) while the outer role stays whoever maintains it, often a superuser: nobody acts, or
    // an owner's function would act as the DBA or autovacuum.
    if f.restricted {
        return Err(refuse(
            format!("nobody acts for pg_nps inside a security-restricted operation (maintenance run by {})", f.outer),
            "VACUUM, ANALYZE, CREATE INDEX and REFRESH MATERIALIZED VIEW run a table owner's code; pg_nps' work and its personal data are a person's own statement's.",
        ));
    }
    if is_capability(&f.outer) {
        return Err(refuse(
            format!("role {} is a pg_nps capability role, not a person", f.outer),
            "Act as yourself (RESET ROLE): capability roles grant rights, and only persons own, decide, verify or complete work.",
        ));
    }
    if let Some(app) = &f.outer_application {
        if !app.active {
            return Err(refuse(
                format!("application {} is inactive", f.outer),
                "An nps_admin reactivates it: UPDATE nps.applications SET active = true WHERE login = '…'.",
            ));
        }
        // An application's rights are its own login's: a member of its role who switched to it
        // would name its end users at will.
        if f.session != f.outer {
            let trusted = f.session_is_superuser || f.session_application.as_ref().is_some_and(|a| a.active);
            if !trusted {
                let who = if f.session_person { "person" } else { "login" };
                return Err(refuse(
                    format!(
                        "{who} {} acts as application {}: an application acts only through its own login",
                        f.session, f.outer
                    ),
                    format!(
                        "Connect as {} itself; REVOKE {} FROM {} if the membership was not meant for this.",
                        f.outer, f.outer, f.session
                    ),
                ));
            }
        }
        let Some(actor) = &f.actor else {
            return Ok(Acting::Application(f.outer.clone()));
        };
        return match &f.named {
            Some(p) if p.application.as_deref() == Some(f.outer.as_str()) && p.identity == *actor => {
                if p.active {
                    Ok(Acting::Person(p.identity.clone()))
                } else {
                    Err(refuse(
                        format!("person \"{actor}\" is inactive"),
                        "An nps_admin reactivates the person (UPDATE nps.people SET active = true), or their work goes to someone else (nps.reassign_task).",
                    ))
                }
            }
            _ => Err(refuse(
                format!("application {} names \"{actor}\", who is not a person it may name", f.outer),
                format!(
                    "Register the person for this application: nps.add_person('{actor}', 'Display Name', application => '{}').",
                    f.outer
                ),
            )),
        };
    }
    if let Some(p) = &f.outer_person {
        if !p.active {
            return Err(refuse(
                format!("person {} is inactive", f.outer),
                "An nps_admin reactivates the person (UPDATE nps.people SET active = true), or their work goes to someone else (nps.reassign_task).",
            ));
        }
        if let Some(actor) = &f.actor {
            if *actor != f.outer {
                return Err(refuse(
                    format!("nps.actor names \"{actor}\", but {} acts as themself", f.outer),
                    "Only a registered application names the person acting; RESET nps.actor.",
                ));
            }
        }
        if f.session != f.outer {
            let trusted = f.session_is_superuser || f.session_application.as_ref().is_some_and(|a| a.active);
            if !trusted {
                let who = if f.session_person { "person" } else { "login" };
                return Err(refuse(
                    format!("{who} {} acts as person {}: a person acts only as themself", f.session, f.outer),
                    format!(
                        "Log in as {}, or register {} as an application (nps.add_application) if it switches to its users' roles.",
                        f.outer, f.session
                    ),
                ));
            }
        }
        return Ok(Acting::Person(f.outer.clone()));
    }
    if f.outer_is_superuser {
        if let Some(actor) = &f.actor {
            return Err(refuse(
                format!("nps.actor names \"{actor}\", but {} is not a registered application", f.outer),
                "Only a registered application names the person acting; RESET nps.actor.",
            ));
        }
        return Ok(Acting::Superuser(f.outer.clone()));
    }
    Err(refuse(
        format!("role {} is not a registered person", f.outer),
        format!(
            "An nps_admin registers people: SELECT nps.add_person('{}', 'Display Name'). Group roles are never persons.",
            f.outer
        ),
    ))
}

/// The person acting; an application acting as itself or a superuser that is not a person is
/// refused.
pub fn person(f: &SessionFacts) -> Result<String> {
    require_person(acting(f)?)
}

/// The person of `acting`, or the refusal for an application or a superuser acting as itself.
pub fn require_person(acting: Acting) -> Result<String> {
    match acting {
        Acting::Person(p) => Ok(p),
        Acting::Application(a) => Err(refuse(
            format!("application {a} names no person"),
            "Set the end user for each transaction: SET LOCAL nps.actor = '<identity>'.",
        )),
        Acting::Superuser(s) => Err(refuse(
            format!("superuser {s} is not a registered person"),
            format!("Register yourself to own, decide or complete work: SELECT nps.add_person('{s}', 'Display Name')."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(role: &str) -> SessionFacts {
        SessionFacts {
            outer: role.into(),
            session: role.into(),
            outer_is_superuser: false,
            session_is_superuser: false,
            restricted: false,
            actor: None,
            outer_person: Some(Registered { active: true }),
            outer_application: None,
            session_person: true,
            session_application: None,
            named: None,
        }
    }

    fn kind(r: Result<String>) -> ErrorKind {
        r.unwrap_err().kind
    }

    #[test]
    fn a_person_acts_as_themself() {
        assert_eq!(person(&login("csm_ben")).unwrap(), "csm_ben");
    }

    #[test]
    fn capability_roles_are_never_persons() {
        for role in CAPABILITY_ROLES {
            let mut f = login("lead_carol");
            f.outer = role.into();
            f.outer_person = Some(Registered { active: true }); // even if someone registered it
            let e = person(&f).unwrap_err();
            assert_eq!(e.kind, ErrorKind::NotAPerson);
            assert!(e.message.contains(role), "{}", e.message);
        }
    }

    #[test]
    fn one_person_cannot_act_as_another() {
        let mut f = login("csm_ben");
        f.session = "lead_carol".into(); // carol is a member of csm_ben and ran SET ROLE csm_ben
        assert_eq!(kind(person(&f)), ErrorKind::NotAPerson);
        f.session_person = false; // an unregistered login
        assert_eq!(kind(person(&f)), ErrorKind::NotAPerson);
        f.session_application = Some(Registered { active: true }); // a registered application
        assert_eq!(person(&f).unwrap(), "csm_ben");
        f.session_application = Some(Registered { active: false });
        assert_eq!(kind(person(&f)), ErrorKind::NotAPerson);
        f.session_application = None;
        f.session_is_superuser = true; // a superuser switching to a person
        assert_eq!(person(&f).unwrap(), "csm_ben");
    }

    #[test]
    fn unregistered_and_inactive_roles_are_refused() {
        let mut f = login("cs_team");
        f.outer_person = None;
        let e = person(&f).unwrap_err();
        assert!(e.message.contains("not a registered person"), "{}", e.message);
        let mut f = login("left_the_company");
        f.outer_person = Some(Registered { active: false });
        assert!(person(&f).unwrap_err().message.contains("inactive"));
    }

    #[test]
    fn applications_name_their_own_people_only() {
        let mut f = login("portal");
        f.outer_person = None;
        f.session_person = false;
        f.outer_application = Some(Registered { active: true });
        f.session_application = Some(Registered { active: true });
        assert_eq!(acting(&f).unwrap(), Acting::Application("portal".into()));
        assert_eq!(kind(person(&f)), ErrorKind::NotAPerson);
        f.actor = Some("ann@acme.example".into());
        f.named = Some(Named {
            identity: "ann@acme.example".into(),
            active: true,
            application: Some("portal".into()),
        });
        assert_eq!(person(&f).unwrap(), "ann@acme.example");
        // Someone registered for another application, or a role-person, is not this one's to name.
        f.named = Some(Named {
            identity: "ann@acme.example".into(),
            active: true,
            application: Some("other".into()),
        });
        assert_eq!(kind(person(&f)), ErrorKind::NotAPerson);
        f.named = Some(Named { identity: "ann@acme.example".into(), active: true, application: None });
        assert_eq!(kind(person(&f)), ErrorKind::NotAPerson);
        f.named = None;
        assert_eq!(kind(person(&f)), ErrorKind::NotAPerson);
        f.named = Some(Named {
            identity: "ann@acme.example".into(),
            active: false,
            application: Some("portal".into()),
        });
        assert!(person(&f).unwrap_err().message.contains("inactive"));
        f.outer_application = Some(Registered { active: false });
        assert_eq!(kind(person(&f)), ErrorKind::NotAPerson);
    }

    #[test]
    fn only_applications_name_people() {
        let mut f = login("csm_ben");
        f.actor = Some("director@acme.example".into());
        assert_eq!(kind(person(&f)), ErrorKind::NotAPerson);
        f.actor = Some("csm_ben".into()); // naming oneself changes nothing
        assert_eq!(person(&f).unwrap(), "csm_ben");
        let mut su = login("postgres");
        su.outer_person = None;
        su.outer_is_superuser = true;
        su.session_is_superuser = true;
        assert_eq!(acting(&su).unwrap(), Acting::Superuser("postgres".into()));
        assert_eq!(kind(person(&su)), ErrorKind::NotAPerson);
        su.actor = Some("anyone".into());
        assert!(acting(&su).is_err());
    }

    #[test]
    fn only_the_applications_own_login_acts_as_it() {
        let mut f = login("portal");
        f.outer_person = None;
        f.session_person = false;
        f.outer_application = Some(Registered { active: true });
        f.actor = Some("bob@app.example".into());
        f.named = Some(Named {
            identity: "bob@app.example".into(),
            active: true,
            application: Some("portal".into()),
        });
        assert_eq!(acting(&f).unwrap(), Acting::Person("bob@app.example".into()));
        // A person who is a member of the application's role and switched to it.
        f.session = "csm_ben".into();
        f.session_person = true;
        assert!(acting(&f).unwrap_err().message.contains("acts as application portal"));
        f.actor = None;
        f.named = None;
        assert!(acting(&f).is_err());
        // A superuser (or another registered application, e.g. an authenticator) may switch to it.
        f.session_is_superuser = true;
        assert_eq!(acting(&f).unwrap(), Acting::Application("portal".into()));
    }

    #[test]
    fn nobody_acts_inside_maintenance() {
        let mut f = login("csm_ben");
        f.restricted = true;
        assert_eq!(kind(person(&f)), ErrorKind::NotAPerson);
        let mut su = login("postgres");
        su.outer_is_superuser = true;
        su.session_is_superuser = true;
        su.outer_person = None;
        su.session_person = false;
        assert!(matches!(acting(&su), Ok(Acting::Superuser(_))));
        su.restricted = true;
        assert!(acting(&su).is_err());
    }

    #[test]
    fn facts_are_complete_or_refused() {
        let partial = r#"{"outer": "x", "session": "x", "outer_is_superuser": false}"#;
        assert!(serde_json::from_str::<SessionFacts>(partial).is_err());
        let extra = r#"{"outer": "x", "session": "x", "outer_is_superuser": false, "session_is_superuser": false,
            "restricted": false, "actor": null, "outer_person": null, "outer_application": null, "session_person": false,
            "session_application": null, "named": null, "is_admin": true}"#;
        assert!(serde_json::from_str::<SessionFacts>(extra).is_err());
        // An Option must be there as null: a forgotten fact is a bug, not "no".
        let missing = r#"{"outer": "x", "session": "x", "outer_is_superuser": false, "session_is_superuser": false,
            "restricted": false, "actor": null, "outer_person": null, "session_person": false,
            "session_application": null, "named": null}"#;
        assert!(serde_json::from_str::<SessionFacts>(missing).is_err());
    }
}
