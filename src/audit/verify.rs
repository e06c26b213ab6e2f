//! `nps._audit_verify(chain text, heads jsonb) returns jsonb`: walk chains in position order,
//! recompute every hash, and report per chain the entries checked and the first broken link.
//! `nps.verify_audit()` in `sql/audit.sql` turns the report into rows.

use std::collections::HashMap;

use nps_core::audit::canonical::{self, Json};
use nps_core::audit::chain::{parse_hash, ChainCheck, ChainReport, Entry, Head, PG_EPOCH_UNIX_US};
use nps_core::{ErrorKind, NpsError};
use pgrx::pg_sys;
use pgrx::PgMemoryContexts;

use crate::error::{report, OrRaise};
use crate::fmgr::{arg, jsonb_datum, jsonb_text, pg_v1, varlena_bytes};
use crate::spi::{self, Arg, Connection, Cursor, KeptPlan, Row};

const COLUMNS: &str = "id, chain, pos, run_id, xid, at, table_name, op, pk, old, new, \
                       session_user_name, current_user_name, actor, client_addr, reason, prev_hash, hash";
const BATCH: i64 = 1000;
/// Stands for a recorded head hash that is not 32 bytes (tampered): it matches no entry.
const UNREADABLE: nps_core::audit::chain::Hash = [0xff; 32];

static RECORDED_HEAD: KeptPlan =
    KeptPlan::new("SELECT pos, hash FROM nps.audit_chains WHERE chain = $1", &[pg_sys::TEXTOID]);

/// Exported heads, `[{"chain": …, "pos": …, "hash": "<64 hex digits>"}, …]` as
/// `jsonb_agg(nps.audit_heads())` gives them; other keys are ignored.
fn exported_heads(json: &str) -> HashMap<Vec<u8>, Head> {
    let bad = |i: usize, what: &str| -> ! {
        report(NpsError::new(
            ErrorKind::InvalidParameter,
            format!("exported heads: element {i} {what}"),
            "Pass the heads as exported: SELECT jsonb_agg(h) FROM nps.audit_heads() h.",
        ))
    };
    let Json::Array(items) = canonical::parse(json.as_bytes()).or_raise() else {
        report(NpsError::new(
            ErrorKind::InvalidParameter,
            "exported heads must be a JSON array",
            "Pass the heads as exported: SELECT jsonb_agg(h) FROM nps.audit_heads() h.",
        ))
    };
    let mut heads = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let Some(Json::String(chain)) = item.get("chain") else { bad(i, "has no \"chain\" string") };
        let pos = match item.get("pos") {
            Some(Json::Number(n)) => n.parse::<i64>().ok().filter(|p| *p >= 1),
            _ => None,
        };
        let Some(pos) = pos else { bad(i, "has no positive integer \"pos\"") };
        let hash = match item.get("hash") {
            Some(Json::String(h)) => std::str::from_utf8(h).ok().and_then(parse_hash),
            _ => None,
        };
        let Some(hash) = hash else { bad(i, "has no \"hash\" of 64 hex digits") };
        heads.insert(chain.clone(), Head { pos, hash });
    }
    heads
}

/// The entry a stored row holds, its id and position, and its stored hashes.
unsafe fn entry_of(row: &Row) -> (Entry, Vec<u8>, Vec<u8>) {
    unsafe {
        let text = |c| row.text(c).unwrap_or_default();
        let json = |c| row.text(c).map(|t| canonical::parse(&t).or_raise());
        let entry = Entry {
            id: row.int8(1).unwrap_or_default(),
            chain: text(2),
            pos: row.int8(3).unwrap_or_default(),
            run_id: row.int8(4),
            xid: String::from_utf8_lossy(&text(5)).parse().unwrap_or_default(),
            at_us: row.int8(6).unwrap_or_default() + PG_EPOCH_UNIX_US,
            table: text(7),
            op: text(8),
            pk: json(9).unwrap_or(Json::Null),
            old: json(10),
            new: json(11),
            session_user: text(12),
            current_user: text(13),
            actor: row.text(14),
            client_addr: row.text(15),
            reason: row.text(16),
        };
        (entry, row.bytes(17).unwrap_or_default(), row.bytes(18).unwrap_or_default())
    }
}

unsafe fn recorded_head(chain: &[u8]) -> Option<Head> {
    unsafe {
        // Read-only: the same snapshot as the cursor over the entries, so a commit landing
        // between the two reads cannot look like a removed tail.
        if spi::execute(&RECORDED_HEAD, &[Arg::text(chain)], true) == 0 {
            spi::free_result();
            return None;
        }
        let r = spi::row(0);
        let head = Head { pos: r.int8(1).unwrap_or_default(), hash: r.hash(2).unwrap_or(UNREADABLE) };
        spi::free_result();
        Some(head)
    }
}

fn report_json(chain: &[u8], r: &ChainReport) -> Json {
    let run_id = std::str::from_utf8(chain)
        .ok()
        .and_then(|c| c.strip_prefix("run:"))
        .and_then(|id| id.parse::<i64>().ok());
    let b = r.first_break.as_ref();
    Json::object([
        ("chain", Json::str(chain)),
        ("run_id", Json::opt(run_id.map(Json::int))),
        ("entries", Json::int(r.entries)),
        ("ok", Json::Bool(b.is_none())),
        ("problem", Json::opt(b.map(|b| Json::str(b.problem.name())))),
        ("broken_pos", Json::opt(b.map(|b| Json::int(b.pos)))),
        ("broken_entry", Json::opt(b.and_then(|b| b.id).map(Json::int))),
        ("detail", Json::opt(b.map(|b| Json::str(&b.detail)))),
        ("head_pos", Json::int(r.head.pos)),
        (
            "head_hash",
            Json::opt((r.head.pos > 0).then(|| Json::str(nps_core::audit::chain::hex(&r.head.hash)))),
        ),
    ])
}

pg_v1! {
    /// `nps._audit_verify(chain text, heads jsonb) returns jsonb`: a JSON array with one object
    /// per chain (all chains when `chain` is NULL).
    fn nps_audit_verify, pg_finfo_nps_audit_verify, |fcinfo| {
        unsafe {
            let only: Option<Vec<u8>> = (!arg(fcinfo, 0).isnull).then(|| varlena_bytes(fcinfo, 0).to_vec());
            let mut exported = if arg(fcinfo, 1).isnull { HashMap::new() } else { exported_heads(&jsonb_text(fcinfo, 1)) };
            if let Some(c) = &only {
                exported.retain(|k, _| k == c);
            }
            let mut reports: Vec<Json> = Vec::new();
            // Record this transaction's own heads, then read the entries and the heads through
            // one snapshot that sees them.
            super::flush_heads();
            pg_sys::CommandCounterIncrement();
            pg_sys::PushCopiedSnapshot(pg_sys::GetActiveSnapshot());
            pg_sys::UpdateActiveSnapshotCommandId();
            {
                let _spi = Connection::open();
                // One chain or all: the cursor is planned with the argument's value, so the
                // NULL test folds away and one chain is read through the (chain, pos) index.
                let only_arg = [Arg::opt_text(only.as_ref())];
                let sql = format!("SELECT {COLUMNS} FROM nps.audit_log WHERE $1::text IS NULL OR chain = $1 ORDER BY chain, pos");
                let mut cursor = Cursor::open(&sql, &[pg_sys::TEXTOID], &only_arg);
                let mut batch_cxt = PgMemoryContexts::new("nps audit verify");
                let mut current: Option<(Vec<u8>, ChainCheck)> = None;
                let mut finished: Vec<(Vec<u8>, ChainCheck)> = Vec::new();
                loop {
                    let n = cursor.fetch(BATCH);
                    if n == 0 {
                        break;
                    }
                    batch_cxt.switch_to(|_| {
                        for i in 0..n {
                            let row = spi::row(i);
                            let (entry, prev, hash) = entry_of(&row);
                            if current.as_ref().is_none_or(|(c, _)| *c != entry.chain) {
                                if let Some(done) = current.take() {
                                    finished.push(done);
                                }
                                let check = ChainCheck::new(exported.remove(&entry.chain));
                                current = Some((entry.chain.clone(), check));
                            }
                            let (_, check) = current.as_mut().expect("a current chain");
                            check.feed(entry.id, entry.pos, &prev, &hash, &entry.to_json().canonical());
                        }
                    });
                    batch_cxt.reset();
                    // Chains end inside batches; their recorded heads are read between batches,
                    // where the cursor's result is not needed any more.
                    for (chain, check) in finished.drain(..) {
                        let head = recorded_head(&chain);
                        reports.push(report_json(&chain, &check.finish(head)));
                    }
                }
                if let Some((chain, check)) = current.take() {
                    let head = recorded_head(&chain);
                    reports.push(report_json(&chain, &check.finish(head)));
                }
                // Chains with a recorded head but no entries left at all.
                let mut empty = Cursor::open(
                    "SELECT chain, pos, hash FROM nps.audit_chains c WHERE ($1::text IS NULL OR chain = $1) \
                     AND NOT EXISTS (SELECT 1 FROM nps.audit_log l WHERE l.chain = c.chain) ORDER BY chain",
                    &[pg_sys::TEXTOID],
                    &only_arg,
                );
                let mut emptied = Vec::new();
                loop {
                    let n = empty.fetch(BATCH);
                    if n == 0 {
                        break;
                    }
                    for i in 0..n {
                        let r = spi::row(i);
                        let chain = r.text(1).unwrap_or_default();
                        let head = Head { pos: r.int8(2).unwrap_or_default(), hash: r.hash(3).unwrap_or(UNREADABLE) };
                        emptied.push((chain, head));
                    }
                }
                for (chain, head) in emptied {
                    let check = ChainCheck::new(exported.remove(&chain));
                    reports.push(report_json(&chain, &check.finish(Some(head))));
                }
            }
            pg_sys::PopActiveSnapshot();
            // Exported chains of which nothing is left.
            let mut gone: Vec<_> = exported.into_iter().collect();
            gone.sort_by(|a, b| a.0.cmp(&b.0));
            for (chain, head) in gone {
                reports.push(report_json(&chain, &ChainCheck::new(Some(head)).finish(None)));
            }
            let text = String::from_utf8(Json::Array(reports).canonical()).unwrap_or_else(|e| {
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            });
            jsonb_datum(&text)
        }
    }
}
