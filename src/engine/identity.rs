//! Who is acting: the facts from the backend and the registers, the decision from
//! `nps_core::engine::identity`.
//!
//! The role that acts is the *outer* user: the login, or the role `SET ROLE` switched to.
//! SECURITY DEFINER functions change only the current user, so the guards (which run as the
//! extension's owner to see complete facts) still know who asked. None of it can be set from SQL
//! except by `SET ROLE`, which needs membership, and `nps.actor`, which only a registered
//! application's naming counts for.
//!
//! The answer is kept for the rest of the transaction, keyed by the outer role, the login and
//! `nps.actor` (a `SET ROLE` or a new `nps.actor` is a new key), and forgotten when the
//! transaction ends or when this backend changes a register.

use std::cell::{Cell, RefCell};

use nps_core::engine::identity::{self, Acting, Named, Registered, SessionFacts};
use nps_core::text::normalize_identity;
use nps_core::NpsError;
use pgrx::pg_sys::{self, Datum, Oid};

use crate::backend::{owner_of, role_name, setting, AsOwner};
use crate::error::OrRaise;
use crate::fmgr::{new_text, pg_v1, return_null};
use crate::spi::{self, Arg, KeptPlan};

#[derive(Clone, PartialEq)]
struct Key {
    outer: Oid,
    session: Oid,
    restricted: bool,
    actor: Option<Vec<u8>>,
}

/// One answer of `actor_has_role`: for whom, which role, held or not.
struct Held {
    key: Key,
    role: Vec<u8>,
    holds: bool,
}

thread_local! {
    static CACHE: RefCell<Option<(Key, Result<Acting, NpsError>)>> = const { RefCell::new(None) };
    /// Which roles the person acting holds, as far as asked in this transaction; forgotten with
    /// the identity whenever a role's memberships or attributes change (in this backend or, once
    /// it is told, in another), a register changes, or a subtransaction rolls back.
    static HOLDS: RefCell<Vec<Held>> = const { RefCell::new(Vec::new()) };
    static REGISTERED: Cell<bool> = const { Cell::new(false) };
}

/// Whether a person holds a role (`nps.has_role`, which reads the registers as their owner).
static HAS_ROLE: KeptPlan = KeptPlan::new("SELECT nps.has_role($1, $2)", &[pg_sys::TEXTOID, pg_sys::TEXTOID]);

/// What the registers say about the outer role, the login and the person `nps.actor` names.
static FACTS: KeptPlan = KeptPlan::new(
    "SELECT (SELECT p.active FROM nps.people p WHERE p.identity = $1 AND p.application IS NULL), \
            (SELECT a.active FROM nps.applications a WHERE a.login = $1), \
            EXISTS (SELECT FROM nps.people p WHERE p.identity = $2 AND p.application IS NULL), \
            (SELECT a.active FROM nps.applications a WHERE a.login = $2), \
            (SELECT p.identity FROM nps.people p WHERE p.identity = $3), \
            (SELECT p.active FROM nps.people p WHERE p.identity = $3), \
            (SELECT p.application FROM nps.people p WHERE p.identity = $3)",
    &[pg_sys::TEXTOID, pg_sys::TEXTOID, pg_sys::TEXTOID],
);

fn utf8(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

unsafe fn gather(key: &Key) -> Result<SessionFacts, NpsError> {
    unsafe {
        let outer = utf8(role_name(key.outer));
        let session = utf8(role_name(key.session));
        let actor = match &key.actor {
            Some(raw) => Some(normalize_identity("nps.actor", &utf8(raw.clone()))?),
            None => None,
        };
        let _spi = spi::Connection::open();
        let _owner = AsOwner::enter(owner_of(c"people"));
        spi::execute(&FACTS, &[Arg::text(&outer), Arg::text(&session), Arg::opt_text(actor.as_ref())], true);
        let r = spi::row(0);
        let active = |col: i32| r.boolean(col).map(|active| Registered { active });
        let facts = SessionFacts {
            outer_is_superuser: pg_sys::superuser_arg(key.outer),
            session_is_superuser: pg_sys::superuser_arg(key.session),
            restricted: key.restricted,
            outer_person: active(1),
            outer_application: active(2),
            session_person: r.boolean(3).unwrap_or(false),
            session_application: active(4),
            named: r.text(5).map(|identity| Named {
                identity: utf8(identity),
                active: r.boolean(6).unwrap_or(false),
                application: r.text(7).map(utf8),
            }),
            outer,
            session,
            actor,
        };
        spi::free_result();
        Ok(facts)
    }
}

/// Who acts in this transaction (cached; see the module documentation).
unsafe fn acting() -> Result<Acting, NpsError> {
    unsafe {
        watch_transaction();
        let key = current_key();
        if let Some(hit) =
            CACHE.with(|c| c.borrow().as_ref().filter(|(k, _)| *k == key).map(|(_, v)| v.clone()))
        {
            return hit;
        }
        let decided = gather(&key).and_then(|f| identity::acting(&f));
        CACHE.with(|c| *c.borrow_mut() = Some((key, decided.clone())));
        decided
    }
}

fn forget() {
    CACHE.with(|c| *c.borrow_mut() = None);
    HOLDS.with(|h| h.borrow_mut().clear());
}

/// The key of the transaction's identity cache for the session as it is now.
unsafe fn current_key() -> Key {
    unsafe {
        Key {
            outer: pg_sys::GetOuterUserId(),
            session: pg_sys::GetSessionUserId(),
            restricted: crate::backend::in_maintenance(),
            actor: setting(c"nps.actor"),
        }
    }
}

/// Whether whoever is acting holds `role`: the person (`nps.has_role`, asked once per role and
/// transaction unless something it depends on changes: a policy checking every row asks once),
/// an application acting as itself (its login's membership), a superuser acting as itself
/// (always); false when nobody registered is acting.
unsafe fn actor_has_role(role: &[u8]) -> bool {
    unsafe {
        match acting() {
            Ok(Acting::Person(person)) => {
                let key = current_key();
                if let Some(hit) = HOLDS.with(|h| {
                    h.borrow().iter().find(|h| h.key == key && h.role.as_slice() == role).map(|h| h.holds)
                }) {
                    return hit;
                }
                let _spi = spi::Connection::open();
                let _owner = AsOwner::enter(owner_of(c"people"));
                spi::execute(&HAS_ROLE, &[Arg::text(&person), Arg::text(role)], true);
                let holds = spi::row(0).boolean(1).unwrap_or(false);
                spi::free_result();
                HOLDS.with(|h| h.borrow_mut().push(Held { key, role: role.to_vec(), holds }));
                holds
            }
            Ok(Acting::Application(_)) => {
                let Ok(name) = std::ffi::CString::new(role) else { return false };
                let oid = pg_sys::get_role_oid(name.as_ptr(), true);
                oid != pg_sys::InvalidOid && pg_sys::is_member_of_role(pg_sys::GetOuterUserId(), oid)
            }
            Ok(Acting::Superuser(_)) => true,
            Err(_) => false,
        }
    }
}

fn watch_transaction() {
    if !REGISTERED.with(Cell::get) {
        // SAFETY: plain registrations of functions with the signatures Postgres expects; the
        // syscache callbacks are Postgres' own way to learn that roles changed (acl.c keeps its
        // membership cache the same way).
        unsafe {
            pg_sys::RegisterXactCallback(Some(on_xact), std::ptr::null_mut());
            pg_sys::RegisterSubXactCallback(Some(on_subxact), std::ptr::null_mut());
            for cache in [pg_sys::SysCacheIdentifier::AUTHMEMROLEMEM, pg_sys::SysCacheIdentifier::AUTHOID] {
                pg_sys::CacheRegisterSyscacheCallback(
                    cache as i32,
                    Some(on_roles_changed),
                    Datum::from(0usize),
                );
            }
        }
        REGISTERED.with(|r| r.set(true));
    }
}

#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_xact(event: pg_sys::XactEvent::Type, _arg: *mut std::ffi::c_void) {
    if crate::backend::ends_transaction(event) {
        forget();
        crate::backend::forget_owner_frames();
    }
}

/// A rolled-back subtransaction may have changed a register or a role the answers reflect.
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_subxact(
    event: pg_sys::SubXactEvent::Type,
    _mine: pg_sys::SubTransactionId,
    _parent: pg_sys::SubTransactionId,
    _arg: *mut std::ffi::c_void,
) {
    if event == pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB {
        forget();
    }
}

/// A role's memberships or attributes changed (a GRANT, REVOKE, ALTER ROLE or DROP ROLE here, or
/// in another backend once this one reads the invalidation).
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn on_roles_changed(_arg: Datum, _cache: std::ffi::c_int, _hash: u32) {
    forget();
}

/// Who the audit trail records as acting: the person (or application, or superuser) acting, `pg_nps`
/// while the extension's own script runs, or `None` when nobody registered is acting (the entry
/// still names the roles).
pub fn actor_for_audit() -> Option<String> {
    if installing() {
        return Some("pg_nps".to_owned());
    }
    match unsafe { acting() } {
        Ok(Acting::Person(p) | Acting::Application(p) | Acting::Superuser(p)) => Some(p),
        Err(_) => None,
    }
}

fn installing() -> bool {
    // SAFETY: reads two backend globals and the catalog, as CREATE EXTENSION itself does.
    unsafe {
        pg_sys::creating_extension
            && pg_sys::CurrentExtensionObject == pg_sys::get_extension_oid(c"pg_nps".as_ptr(), true)
    }
}

fn person_of(a: Acting) -> Option<String> {
    match a {
        Acting::Person(p) => Some(p),
        _ => None,
    }
}

pg_v1! {
    /// `nps.current_person() returns text`: the person acting, or NP012 saying why there is none.
    fn nps_current_person, pg_finfo_nps_current_person, |_fcinfo| {
        let person = unsafe { acting() }.and_then(identity::require_person).or_raise();
        unsafe { new_text(person.as_bytes()) }
    }
}

pg_v1! {
    /// `nps._person_or_null() returns text`: the person acting, or NULL when none is (for views
    /// and row-level security, which must not fail for a reader who is not a person).
    fn nps_person_or_null, pg_finfo_nps_person_or_null, |fcinfo| {
        match unsafe { acting() }.ok().and_then(person_of) {
            Some(p) => unsafe { new_text(p.as_bytes()) },
            None => unsafe { return_null(fcinfo) },
        }
    }
}

pg_v1! {
    /// `nps.current_actor() returns text`: the person acting, else the application acting as
    /// itself, else the superuser acting as itself; NP012 for anyone else.
    fn nps_current_actor, pg_finfo_nps_current_actor, |_fcinfo| {
        let who = match unsafe { acting() }.or_raise() {
            Acting::Person(p) | Acting::Application(p) | Acting::Superuser(p) => p,
        };
        unsafe { new_text(who.as_bytes()) }
    }
}

pg_v1! {
    /// `nps._actor_or_null() returns text`: `nps.current_actor()`, or NULL when nobody is acting
    /// (for views, which show nothing rather than fail).
    fn nps_actor_or_null, pg_finfo_nps_actor_or_null, |fcinfo| {
        match unsafe { acting() } {
            Ok(Acting::Person(p) | Acting::Application(p) | Acting::Superuser(p)) => unsafe { new_text(p.as_bytes()) },
            Err(_) => unsafe { return_null(fcinfo) },
        }
    }
}

/// Whether a person is acting and holds one of `roles` (reading is a person's: an application
/// or a superuser acting as itself never counts here).
unsafe fn person_holds_any(roles: &[&[u8]]) -> bool {
    unsafe { matches!(acting(), Ok(Acting::Person(_))) && roles.iter().any(|role| actor_has_role(role)) }
}

pg_v1! {
    /// `nps._sees_everything() returns boolean`: the person acting holds nps_admin or nps_auditor.
    fn nps_sees_everything, pg_finfo_nps_sees_everything, |_fcinfo| {
        Datum::from(unsafe { person_holds_any(&[b"nps_admin", b"nps_auditor"]) })
    }
}

pg_v1! {
    /// `nps._sees_personal_data() returns boolean`: the person acting holds nps_admin,
    /// nps_auditor or nps_pii.
    fn nps_sees_personal_data, pg_finfo_nps_sees_personal_data, |_fcinfo| {
        Datum::from(unsafe { person_holds_any(&[b"nps_admin", b"nps_auditor", b"nps_pii"]) })
    }
}

pg_v1! {
    /// `nps._actor_has_role(role text) returns boolean`: see `actor_has_role`.
    fn nps_actor_has_role, pg_finfo_nps_actor_has_role, |fcinfo| {
        if unsafe { crate::fmgr::arg(fcinfo, 0) }.isnull {
            return Datum::from(false);
        }
        let role = unsafe { crate::fmgr::text(fcinfo, 0) };
        Datum::from(unsafe { actor_has_role(role.as_bytes()) })
    }
}

pg_v1! {
    /// `nps._acting_kind() returns text`: person, application or superuser; NULL when nobody
    /// registered is acting.
    fn nps_acting_kind, pg_finfo_nps_acting_kind, |fcinfo| {
        let kind = match unsafe { acting() } {
            Ok(Acting::Person(_)) => "person",
            Ok(Acting::Application(_)) => "application",
            Ok(Acting::Superuser(_)) => "superuser",
            Err(_) => return unsafe { return_null(fcinfo) },
        };
        unsafe { new_text(kind.as_bytes()) }
    }
}

pg_v1! {
    /// `nps._registers_changed()`: statement trigger on the registers; forgets this backend's
    /// answer so that the rest of the transaction sees the change.
    fn nps_registers_changed, pg_finfo_nps_registers_changed, |fcinfo| {
        unsafe { crate::backend::trigger_data(fcinfo, "nps._registers_changed()") };
        forget();
        Datum::from(0usize)
    }
}

pg_v1! {
    /// `nps._outer_role() returns text`: the role in effect outside SECURITY DEFINER functions.
    fn nps_outer_role, pg_finfo_nps_outer_role, |_fcinfo| {
        let name = unsafe { role_name(pg_sys::GetOuterUserId()) };
        unsafe { new_text(&name) }
    }
}

pg_v1! {
    /// `nps._installing() returns boolean`: whether pg_nps' own install or update script is
    /// running (its shipped rows are the extension's, not anyone's change).
    fn nps_installing, pg_finfo_nps_installing, |_fcinfo| {
        Datum::from(installing())
    }
}
