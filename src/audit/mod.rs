//! Audit glue: the capture trigger every audited table carries, the guard that keeps the audit
//! tables append-only, and chain verification. Entry content, canonical JSON, hashing and the
//! verification rules are `nps_core::audit` and `nps_core::canonical`.
//!
//! Capture (`nps._audit_capture()`, AFTER INSERT OR UPDATE OR DELETE, FOR EACH ROW):
//! 1. the row images become JSON through `row_to_json`, an UPDATE keeps only the columns that
//!    changed (an UPDATE that changes nothing records nothing);
//! 2. the chain is the row's run (the column named by the trigger's argument), else its table;
//! 3. as the audit table's owner, with `search_path` pinned: on the transaction's first append
//!    to the chain, lock its head row (`nps.audit_chains`, whose row lock orders appends to one
//!    chain and nothing else); take the next entry id, hash the entry onto the previous one and
//!    insert it. The chain's head advances in backend memory and is written to its row once,
//!    just before the transaction commits.
//!
//! Changes made by the extension's own install or upgrade script are part of the extension, not
//! of its users' history, and are not captured.

use std::cell::Cell;
use std::ffi::CStr;

use nps_core::audit::canonical::{self, Json};
use nps_core::audit::chain::{chain_of, reason_of, row_change, Entry, Head, GENESIS, PG_EPOCH_UNIX_US};
use nps_core::{ErrorKind, NpsError};
use pgrx::pg_sys::{self, Datum, Oid};

use crate::backend::{
    nps_relation, owner_of, relation_name, role_name, setting, trigger_data, AsOwner, GucScope,
};
use crate::error::{report, OrRaise};
use crate::fmgr::pg_v1;
use crate::spi::{self, Arg, KeptPlan};

mod drop_guard;
mod verify;

#[cfg(any(test, feature = "pg_test"))]
mod tests;

thread_local! {
    /// True while the capture path writes the audit tables; the append-only guard lets only
    /// these writes through. Backend memory, not settable from SQL.
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
}

fn op_name(event: u32) -> &'static str {
    match event & pg_sys::TRIGGER_EVENT_OPMASK {
        pg_sys::TRIGGER_EVENT_INSERT => "INSERT",
        pg_sys::TRIGGER_EVENT_UPDATE => "UPDATE",
        pg_sys::TRIGGER_EVENT_DELETE => "DELETE",
        _ => "TRUNCATE",
    }
}

fn refuse(message: String, hint: &str) -> ! {
    report(NpsError::new(ErrorKind::AppendOnly, message, hint))
}

pg_v1! {
    /// `nps._audit_append_only()`: BEFORE INSERT OR UPDATE OR DELETE (per row) and BEFORE
    /// TRUNCATE on the audit tables. Only the capture path inserts audit entries and moves chain
    /// heads; rows restored by a superuser in `session_replication_role = replica` (pg_restore,
    /// logical replication) arrive already captured. Nothing else changes them, whoever asks.
    fn nps_audit_append_only, pg_finfo_nps_audit_append_only, |fcinfo| {
        unsafe {
            let td = trigger_data(fcinfo, "nps._audit_append_only()");
            let event = (*td).tg_event;
            let table = String::from_utf8_lossy(&relation_name((*td).tg_relation)).into_owned();
            let op = op_name(event);
            let capturing = CAPTURING.with(Cell::get);
            let replica = pg_sys::SessionReplicationRole == pg_sys::SESSION_REPLICATION_ROLE_REPLICA as i32;
            let head_table = table.ends_with(".audit_chains");
            let allowed = match op {
                "INSERT" => capturing || replica,
                "UPDATE" => capturing && head_table,
                _ => false,
            };
            if !allowed {
                let hint = match op {
                    "INSERT" => "Entries are appended only by the capture trigger of an audited table (nps.enable_audit). Restoring a dump? Run pg_restore with PGOPTIONS='-c session_replication_role=replica' (docs/audit.md).",
                    _ => "Audit entries never change. nps.verify_audit() checks the trail; nps.audit_heads(), stored outside the database, witnesses it.",
                };
                refuse(format!("{op} on {table} is refused: the audit trail is append-only"), hint);
            }
            if op == "UPDATE" {
                Datum::from((*td).tg_newtuple)
            } else {
                Datum::from((*td).tg_trigtuple)
            }
        }
    }
}

/// The row of `tuple` as JSON, through `row_to_json`.
unsafe fn row_json(tuple: pg_sys::HeapTuple, desc: pg_sys::TupleDesc) -> Json {
    unsafe {
        let composite = pg_sys::heap_copy_tuple_as_datum(tuple, desc);
        let json = pgrx::direct_function_call::<Datum>(pg_sys::row_to_json, &[Some(composite)])
            .expect("row_to_json returns a value");
        let v = pg_sys::pg_detoast_datum_packed(json.cast_mut_ptr());
        canonical::parse(pgrx::varlena::varlena_to_byte_slice(v)).or_raise()
    }
}

/// The primary key columns of a relation, or an error naming the table.
unsafe fn primary_key(rel: pg_sys::Relation, desc: pg_sys::TupleDesc, table: &[u8]) -> Vec<Vec<u8>> {
    unsafe {
        let bms = pg_sys::RelationGetIndexAttrBitmap(
            rel,
            pg_sys::IndexAttrBitmapKind::INDEX_ATTR_BITMAP_PRIMARY_KEY,
        );
        let mut cols = Vec::new();
        let mut member = -1;
        loop {
            member = pg_sys::bms_next_member(bms, member);
            if member < 0 {
                break;
            }
            let attnum = member + pg_sys::FirstLowInvalidHeapAttributeNumber;
            cols.push(CStr::from_ptr(pg_sys::SPI_fname(desc, attnum)).to_bytes().to_vec());
        }
        if cols.is_empty() {
            report(NpsError::new(
                ErrorKind::InvalidTableDefinition,
                format!(
                    "table {} has no primary key; audit entries name rows by it",
                    String::from_utf8_lossy(table)
                ),
                "Add a primary key to the table, or remove its audit_capture trigger.",
            ));
        }
        cols
    }
}

/// The client's address as `inet` prints it; `None` over a Unix socket.
unsafe fn client_addr() -> Option<Vec<u8>> {
    unsafe {
        let inet = pgrx::direct_function_call::<Datum>(pg_sys::inet_client_addr, &[])?;
        let text = pgrx::direct_function_call::<&CStr>(pg_sys::inet_out, &[Some(inet)])?;
        Some(text.to_bytes().to_vec())
    }
}

/// The settings that shape how values print, fixed while row images are made, so a row's JSON
/// does not depend on the session (`extra_float_digits = -15` would print 0.11 and 0.12 alike
/// and hide the change; timestamps print in UTC).
unsafe fn pinned_output() -> GucScope {
    unsafe {
        GucScope::enter(&[
            (c"extra_float_digits", c"1"),
            (c"TimeZone", c"UTC"),
            (c"IntervalStyle", c"iso_8601"),
            (c"DateStyle", c"ISO, YMD"),
        ])
    }
}

/// While alive: running as the audit tables' owner (see [`AsOwner`]) with the capture flag set.
/// An error unwinding through it leaves the restoring to the (sub)transaction abort.
struct AsAuditOwner {
    _owner: AsOwner,
}

impl AsAuditOwner {
    unsafe fn enter() -> AsAuditOwner {
        unsafe {
            let owner = AsOwner::enter(owner_of(c"audit_log"));
            CAPTURING.with(|c| c.set(true));
            AsAuditOwner { _owner: owner }
        }
    }
}

impl Drop for AsAuditOwner {
    fn drop(&mut self) {
        CAPTURING.with(|c| c.set(false));
    }
}

/// Lock a chain's head row for the rest of the transaction: concurrent appends to the chain
/// wait here, and under REPEATABLE READ a head moved since the snapshot is a serialization
/// failure rather than a fork.
static LOCK_HEAD: KeptPlan =
    KeptPlan::new("SELECT pos, hash FROM nps.audit_chains WHERE chain = $1 FOR UPDATE", &[pg_sys::TEXTOID]);

/// Create a chain's head row. A chain whose head row is missing but which has entries (a head
/// lost in a partial restore) continues after its last entry instead of forking.
static NEW_HEAD: KeptPlan = KeptPlan::new(
    "INSERT INTO nps.audit_chains AS c (chain, run_id, pos, hash) \
     SELECT $1, $2, coalesce(l.pos, 0), coalesce(l.hash, decode(repeat('00', 32), 'hex')) \
     FROM (SELECT) AS one LEFT JOIN LATERAL \
          (SELECT e.pos, e.hash FROM nps.audit_log e WHERE e.chain = $1 ORDER BY e.pos DESC LIMIT 1) AS l ON true \
     ON CONFLICT (chain) DO NOTHING",
    &[pg_sys::TEXTOID, pg_sys::INT8OID],
);

/// The chain's last entry as this transaction sees it (its own entries included).
static LAST_ENTRY: KeptPlan = KeptPlan::new(
    "SELECT pos, hash FROM nps.audit_log WHERE chain = $1 ORDER BY pos DESC LIMIT 1",
    &[pg_sys::TEXTOID],
);

/// Record a chain's last entry as its head (once per chain, when the transaction commits).
static RECORD_HEAD: KeptPlan = KeptPlan::new(
    "UPDATE nps.audit_chains c SET pos = l.pos, hash = l.hash \
     FROM (SELECT e.pos, e.hash FROM nps.audit_log e WHERE e.chain = $1 ORDER BY e.pos DESC LIMIT 1) AS l \
     WHERE c.chain = $1 AND (c.pos, c.hash) IS DISTINCT FROM (l.pos, l.hash)",
    &[pg_sys::TEXTOID],
);

/// Insert an entry.
static APPEND: KeptPlan = KeptPlan::new(
    "INSERT INTO nps.audit_log (id, chain, pos, run_id, xid, at, table_name, op, pk, old, new, \
                                session_user_name, current_user_name, actor, client_addr, reason, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5::xid8, $6, $7, $8::nps.audit_op, $9::jsonb, $10::jsonb, $11::jsonb, \
             $12, $13, $14, $15::inet, $16, $17, $18)",
    &[
        pg_sys::INT8OID,
        pg_sys::TEXTOID,
        pg_sys::INT8OID,
        pg_sys::INT8OID,
        pg_sys::TEXTOID,
        pg_sys::TIMESTAMPTZOID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::BYTEAOID,
        pg_sys::BYTEAOID,
    ],
);

/// The run a row belongs to: the value of the trigger's run column, when it is an integer.
fn run_of(row: &Json, column: Option<&[u8]>) -> Option<i64> {
    match column.and_then(|c| row.get(std::str::from_utf8(c).ok()?)) {
        Some(Json::Number(n)) => n.parse().ok(),
        _ => None,
    }
}

pg_v1! {
    /// `nps._audit_capture()`: the capture trigger (see the module documentation).
    fn nps_audit_capture, pg_finfo_nps_audit_capture, |fcinfo| {
        unsafe {
            let td = trigger_data(fcinfo, "nps._audit_capture()");
            let event = (*td).tg_event;
            if event & pg_sys::TRIGGER_EVENT_ROW == 0 || event & pg_sys::TRIGGER_EVENT_TIMINGMASK != pg_sys::TRIGGER_EVENT_AFTER {
                report(NpsError::new(
                    ErrorKind::InvalidParameter,
                    "nps._audit_capture() must fire AFTER … FOR EACH ROW",
                    "Attach it with nps.enable_audit(table).",
                ));
            }
            if pg_sys::creating_extension
                && pg_sys::CurrentExtensionObject == pg_sys::get_extension_oid(c"pg_nps".as_ptr(), true)
            {
                return Datum::from(0usize);
            }
            let rel = (*td).tg_relation;
            let desc = (*rel).rd_att;
            let table = relation_name(rel);
            let op = op_name(event);
            let pinned = pinned_output();
            let (old, new) = match op {
                "INSERT" => (None, Some(row_json((*td).tg_trigtuple, desc))),
                "DELETE" => (Some(row_json((*td).tg_trigtuple, desc)), None),
                _ => (Some(row_json((*td).tg_trigtuple, desc)), Some(row_json((*td).tg_newtuple, desc))),
            };
            drop(pinned);
            let whole = new.as_ref().or(old.as_ref()).expect("a row image");
            let pk = Json::object(primary_key(rel, desc, &table).into_iter().map(|c| {
                let v = whole.get(&String::from_utf8_lossy(&c)).cloned().unwrap_or(Json::Null);
                (c, v)
            }));
            let trigger = (*td).tg_trigger;
            let run_column = ((*trigger).tgnargs > 0).then(|| CStr::from_ptr(*(*trigger).tgargs).to_bytes());
            registered((*rel).rd_id, &table, run_column);
            let run_id = run_of(whole, run_column);
            let (old, new) = match (old, new) {
                (Some(o), Some(n)) => match row_change(&o, &n) {
                    Some((o, n)) => (Some(o), Some(n)),
                    None => return Datum::from(0usize),
                },
                other => other,
            };
            let chain = chain_of(run_id, &table);
            // A stated reason is text like any other: at most 2000 characters, no control
            // characters but line breaks and tabs (22001, 22023); the write waits for a good one.
            let stated = setting(c"nps.reason");
            if let Some(raw) = &stated {
                nps_core::text::check("the audit reason (nps.reason)", &String::from_utf8_lossy(raw), nps_core::text::Kind::Reason)
                    .or_raise();
            }
            let reason = reason_of(new.as_ref(), stated.as_deref());
            let at = pg_sys::GetCurrentTimestamp();
            let mut entry = Entry {
                id: 0,
                chain,
                pos: 0,
                run_id,
                xid: pg_sys::GetTopFullTransactionId().value,
                at_us: at + PG_EPOCH_UNIX_US,
                table,
                op: op.as_bytes().to_vec(),
                pk,
                old,
                new,
                session_user: role_name(pg_sys::GetSessionUserId()),
                // The role outside SECURITY DEFINER functions (the guards run as the owner) and
                // the person pg_nps found acting: who made the change, not whose rights ran it.
                current_user: role_name(pg_sys::GetOuterUserId()),
                actor: crate::engine::identity::actor_for_audit().map(String::into_bytes),
                client_addr: client_addr(),
                reason,
            };
            append(&mut entry, at);
            Datum::from(0usize)
        }
    }
}

/// Whether a table is registered for audit (`nps.audit_registry`, written by nps.enable_audit),
/// with the run column its trigger names: the capture refuses any other table, so that nobody
/// can attach it to a table of their own and write into a run's chain. Looked up once per table
/// and transaction.
static REGISTERED: KeptPlan = KeptPlan::new(
    "SELECT coalesce(run_column::text, '') FROM nps.audit_registry WHERE table_name = $1::oid::regclass",
    &[pg_sys::INT8OID],
);

unsafe fn registered(rel: Oid, table: &[u8], run_column: Option<&[u8]>) {
    unsafe {
        heads::watch_transaction();
        let column = match heads::registered(rel) {
            Some(c) => c,
            None => {
                let found = {
                    let _spi = spi::Connection::open();
                    let _owner = AsAuditOwner::enter();
                    let n = spi::execute(&REGISTERED, &[Arg::Int8(i64::from(rel.to_u32()))], true);
                    let c = if n == 0 { None } else { spi::row(0).text(1) };
                    spi::free_result();
                    c
                };
                heads::remember(rel, found.clone());
                found
            }
        };
        let refuse_capture = |why: String| -> ! {
            report(NpsError::new(
                ErrorKind::AppendOnly,
                format!("{why}: nps._audit_capture() refuses to record {}", String::from_utf8_lossy(table)),
                "Only tables registered with nps.enable_audit are audited, each into the chain it was registered for.",
            ))
        };
        match column {
            None => refuse_capture(format!(
                "table {} is not registered for audit",
                String::from_utf8_lossy(table)
            )),
            Some(c) if c.as_slice() != run_column.unwrap_or(b"") => refuse_capture(format!(
                "the trigger names run column \"{}\", the registration \"{}\"",
                String::from_utf8_lossy(run_column.unwrap_or(b"")),
                String::from_utf8_lossy(&c)
            )),
            Some(_) => {}
        }
    }
}

/// Append `entry` to its chain: position and previous hash come from the chain's head, locked
/// on the first append of the transaction and then followed in memory.
unsafe fn append(entry: &mut Entry, at: pg_sys::TimestampTz) {
    unsafe {
        heads::watch_transaction();
        let _spi = spi::Connection::open();
        let _owner = AsAuditOwner::enter();
        let prev = match heads::cached(&entry.chain) {
            Some(head) => head,
            None => load_head(&entry.chain, entry.run_id),
        };
        entry.pos = prev.pos + 1;
        entry.id = next_entry_id();
        let hash = entry.hash(&prev.hash);
        let json = |v: &Option<Json>| Arg::opt_text(v.as_ref().map(Json::canonical));
        spi::execute(
            &APPEND,
            &[
                Arg::Int8(entry.id),
                Arg::text(&entry.chain),
                Arg::Int8(entry.pos),
                entry.run_id.map_or(Arg::Null, Arg::Int8),
                Arg::text(entry.xid.to_string()),
                Arg::Timestamptz(at),
                Arg::text(&entry.table),
                Arg::text(&entry.op),
                Arg::text(entry.pk.canonical()),
                json(&entry.old),
                json(&entry.new),
                Arg::text(&entry.session_user),
                Arg::text(&entry.current_user),
                Arg::opt_text(entry.actor.as_ref()),
                Arg::opt_text(entry.client_addr.as_ref()),
                Arg::opt_text(entry.reason.as_ref()),
                Arg::Bytes(prev.hash.to_vec()),
                Arg::Bytes(hash.to_vec()),
            ],
            false,
        );
        heads::appended(&entry.chain, Head { pos: entry.pos, hash });
    }
}

/// Lock the chain's head row (creating it for a new chain) and return the chain's last entry.
unsafe fn load_head(chain: &[u8], run_id: Option<i64>) -> Head {
    unsafe {
        let row_head = |n: u64| {
            (n > 0).then(|| {
                let r = spi::row(0);
                Head { pos: r.int8(1).expect("pos"), hash: r.hash(2).expect("a 32-byte hash") }
            })
        };
        let mut head = row_head(spi::execute(&LOCK_HEAD, &[Arg::text(chain)], false));
        if head.is_none() {
            spi::execute(&NEW_HEAD, &[Arg::text(chain), run_id.map_or(Arg::Null, Arg::Int8)], false);
            head = row_head(spi::execute(&LOCK_HEAD, &[Arg::text(chain)], false));
        }
        let head = head.expect("the chain head exists once created");
        if heads::appended_in_transaction(chain) {
            // This transaction appended before a subtransaction rolled back: its surviving
            // entries, not the committed head, are where the chain continues.
            // Not read-only: the statement's snapshot would miss entries appended later in it.
            return row_head(spi::execute(&LAST_ENTRY, &[Arg::text(chain)], false))
                .unwrap_or(Head { pos: 0, hash: GENESIS });
        }
        head
    }
}

/// The next entry id, from `nps.audit_log_id_seq`.
unsafe fn next_entry_id() -> i64 {
    unsafe {
        let seq = nps_relation(c"audit_log_id_seq");
        pgrx::direct_function_call::<i64>(pg_sys::nextval_oid, &[Some(Datum::from(seq))])
            .expect("nextval returns a value")
    }
}

/// Record the heads of the chains this transaction appended to. Runs just before commit (and
/// before PREPARE TRANSACTION), after deferred triggers: one UPDATE per chain per transaction
/// instead of one per entry keeps the head row from piling up versions in long transactions.
unsafe fn record_heads(chains: Vec<Vec<u8>>) {
    unsafe {
        // At commit no statement is running any more, so there is no snapshot to run SQL in.
        let pushed = !pg_sys::ActiveSnapshotSet();
        if pushed {
            pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
        }
        record_heads_now(chains);
        if pushed {
            pg_sys::PopActiveSnapshot();
        }
    }
}

unsafe fn record_heads_now(chains: Vec<Vec<u8>>) {
    unsafe {
        let _spi = spi::Connection::open();
        let _owner = AsAuditOwner::enter();
        for chain in chains {
            spi::execute(&RECORD_HEAD, &[Arg::text(&chain)], false);
        }
    }
}

/// Record the heads of the chains this transaction has appended to so far, so that a
/// verification inside the transaction compares with them (they are recorded again at commit
/// if more entries follow).
pub(crate) unsafe fn flush_heads() {
    let chains = heads::appended_chains();
    if chains.is_empty() {
        return;
    }
    // DROP EXTENSION in the same transaction took the heads (and the entries) with it.
    if unsafe { nps_relation(c"audit_chains") } == Oid::INVALID {
        return;
    }
    unsafe { record_heads(chains) };
}

pg_v1! {
    /// `nps._audit_flush_heads() returns void`: record this transaction's chain heads now.
    fn nps_audit_flush_heads, pg_finfo_nps_audit_flush_heads, |_fcinfo| {
        unsafe { flush_heads() };
        Datum::from(0usize)
    }
}

/// The transaction's view of the chains it appends to.
mod heads {
    use std::cell::{Cell, RefCell};
    use std::collections::{BTreeSet, HashMap};

    use nps_core::audit::chain::Head;
    use pgrx::pg_sys;

    thread_local! {
        /// Heads of chains locked in this transaction, advanced in memory with each append.
        static CACHED: RefCell<HashMap<Vec<u8>, Head>> = RefCell::new(HashMap::new());
        /// Chains this transaction appended to; their heads are recorded at commit.
        static APPENDED: RefCell<BTreeSet<Vec<u8>>> = const { RefCell::new(BTreeSet::new()) };
        static REGISTERED: Cell<bool> = const { Cell::new(false) };
        /// Tables looked up in the audit registry this transaction: their run column ("" for
        /// none), or None when not registered.
        static TABLES: RefCell<HashMap<pg_sys::Oid, Option<Vec<u8>>>> = RefCell::new(HashMap::new());
    }

    pub fn registered(rel: pg_sys::Oid) -> Option<Option<Vec<u8>>> {
        TABLES.with(|t| t.borrow().get(&rel).cloned())
    }

    pub fn remember(rel: pg_sys::Oid, column: Option<Vec<u8>>) {
        TABLES.with(|t| t.borrow_mut().insert(rel, column));
    }

    /// The registry changed in this backend: look the tables up again.
    pub fn forget_tables() {
        TABLES.with(|t| t.borrow_mut().clear());
    }

    pub fn cached(chain: &[u8]) -> Option<Head> {
        CACHED.with(|c| c.borrow().get(chain).copied())
    }

    pub fn appended_in_transaction(chain: &[u8]) -> bool {
        APPENDED.with(|a| a.borrow().contains(chain))
    }

    pub fn appended(chain: &[u8], head: Head) {
        CACHED.with(|c| c.borrow_mut().insert(chain.to_vec(), head));
        APPENDED.with(|a| a.borrow_mut().insert(chain.to_vec()));
    }

    pub fn appended_chains() -> Vec<Vec<u8>> {
        APPENDED.with(|a| a.borrow().iter().cloned().collect())
    }

    fn forget_all() {
        CACHED.with(|c| c.borrow_mut().clear());
        APPENDED.with(|a| a.borrow_mut().clear());
        forget_tables();
    }

    /// Register the transaction callbacks, once per backend.
    pub fn watch_transaction() {
        if !REGISTERED.with(Cell::get) {
            // SAFETY: plain registration of functions with the signatures Postgres expects.
            unsafe {
                pg_sys::RegisterXactCallback(Some(on_xact), std::ptr::null_mut());
                pg_sys::RegisterSubXactCallback(Some(on_subxact), std::ptr::null_mut());
            }
            REGISTERED.with(|r| r.set(true));
        }
    }

    #[pgrx::pg_guard]
    unsafe extern "C-unwind" fn on_xact(event: pg_sys::XactEvent::Type, _arg: *mut std::ffi::c_void) {
        match event {
            pg_sys::XactEvent::XACT_EVENT_PRE_COMMIT | pg_sys::XactEvent::XACT_EVENT_PRE_PREPARE => {
                // SAFETY: the transaction is still open; SPI may run.
                unsafe { super::flush_heads() };
                forget_all();
            }
            pg_sys::XactEvent::XACT_EVENT_ABORT
            | pg_sys::XactEvent::XACT_EVENT_PARALLEL_ABORT
            | pg_sys::XactEvent::XACT_EVENT_COMMIT
            | pg_sys::XactEvent::XACT_EVENT_PREPARE => forget_all(),
            _ => {}
        }
    }

    /// A rolled-back subtransaction takes its entries and its head locks with it: forget the
    /// cached heads (they are reloaded from the log on the next append), keep the list of chains.
    #[pgrx::pg_guard]
    unsafe extern "C-unwind" fn on_subxact(
        event: pg_sys::SubXactEvent::Type,
        _my: pg_sys::SubTransactionId,
        _parent: pg_sys::SubTransactionId,
        _arg: *mut std::ffi::c_void,
    ) {
        if event == pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB {
            CACHED.with(|c| c.borrow_mut().clear());
        }
    }
}

pg_v1! {
    /// `nps._audit_registry_changed()`: statement trigger on the registry; the capture looks its
    /// tables up again.
    fn nps_audit_registry_changed, pg_finfo_nps_audit_registry_changed, |fcinfo| {
        unsafe { trigger_data(fcinfo, "nps._audit_registry_changed()") };
        heads::forget_tables();
        Datum::from(0usize)
    }
}
