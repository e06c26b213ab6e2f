//! The audit trail's rules: what an entry records about a change, how entries chain by hash,
//! and how a chain is verified.
//!
//! Each chain (one per run, one per table for rows outside runs) is a sequence of entries at
//! positions 1, 2, 3 …; entry *n* stores the hash of entry *n − 1* (`prev_hash`, 32 zero bytes
//! for the first) and its own hash, `sha256(prev_hash || canonical_json(entry))`. Editing an
//! entry changes its hash; removing or reordering entries breaks the `prev_hash` links; removing
//! the tail is seen against a head recorded elsewhere (the chain-head table, or heads exported
//! with `nps.audit_heads()`).

use sha2::{Digest, Sha256};

use crate::audit::canonical::Json;

/// A sha256 digest.
pub type Hash = [u8; 32];

/// The `prev_hash` of a chain's first entry.
pub const GENESIS: Hash = [0; 32];

/// Microseconds from the Unix epoch to the Postgres epoch (2000-01-01 00:00:00 UTC).
pub const PG_EPOCH_UNIX_US: i64 = 946_684_800_000_000;

/// One audit entry: every column the hash covers. Text is kept as bytes, as the database
/// stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Global sequence number (the audit table's primary key).
    pub id: i64,
    /// `run:<id>` or `table:<schema.table>`.
    pub chain: Vec<u8>,
    /// Position in the chain, from 1.
    pub pos: i64,
    pub run_id: Option<i64>,
    /// Full (epoch-extended) transaction id.
    pub xid: u64,
    /// When the change was captured, microseconds since the Unix epoch (UTC).
    pub at_us: i64,
    /// Schema-qualified table name.
    pub table: Vec<u8>,
    /// INSERT, UPDATE or DELETE.
    pub op: Vec<u8>,
    /// The changed row's primary key, `{column: value}`.
    pub pk: Json,
    /// DELETE: the whole row; UPDATE: the changed columns' old values.
    pub old: Option<Json>,
    /// INSERT: the whole row; UPDATE: the changed columns' new values.
    pub new: Option<Json>,
    pub session_user: Vec<u8>,
    pub current_user: Vec<u8>,
    /// The application actor (`nps.actor` setting).
    pub actor: Option<Vec<u8>>,
    pub client_addr: Option<Vec<u8>>,
    pub reason: Option<Vec<u8>>,
}

impl Entry {
    /// The entry as a JSON object; every field present, absent ones as null.
    pub fn to_json(&self) -> Json {
        let text = |v: &Option<Vec<u8>>| Json::opt(v.as_ref().map(Json::str));
        Json::object([
            ("id", Json::int(self.id)),
            ("chain", Json::str(&self.chain)),
            ("pos", Json::int(self.pos)),
            ("run_id", Json::opt(self.run_id.map(Json::int))),
            ("xid", Json::int(self.xid)),
            ("at", Json::int(self.at_us)),
            ("table", Json::str(&self.table)),
            ("op", Json::str(&self.op)),
            ("pk", self.pk.clone()),
            ("old", Json::opt(self.old.clone())),
            ("new", Json::opt(self.new.clone())),
            ("session_user", Json::str(&self.session_user)),
            ("current_user", Json::str(&self.current_user)),
            ("actor", text(&self.actor)),
            ("client_addr", text(&self.client_addr)),
            ("reason", text(&self.reason)),
        ])
    }

    /// `sha256(prev || canonical_json(entry))`.
    pub fn hash(&self, prev: &Hash) -> Hash {
        link_hash(prev, &self.to_json().canonical())
    }
}

/// `sha256(prev || canonical)`.
pub fn link_hash(prev: &Hash, canonical: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(canonical);
    h.finalize().into()
}

/// HMAC-SHA-256 (RFC 2104) of `message` under `key`: the keyed hash that pseudonymizes
/// respondents, so that nobody without the key can recompute a pseudonym from an address.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Hash {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parse 64 hex digits (an optional `\x` prefix, as bytea prints, is accepted).
pub fn parse_hash(text: &str) -> Option<Hash> {
    let t = text.strip_prefix("\\x").unwrap_or(text);
    if t.len() != 64 || !t.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// The chain a row's change belongs to: its run's, or its table's when it belongs to no run.
pub fn chain_of(run_id: Option<i64>, table: &[u8]) -> Vec<u8> {
    match run_id {
        Some(id) => format!("run:{id}").into_bytes(),
        None => [b"table:".as_slice(), table].concat(),
    }
}

/// What an UPDATE changed: the old and new values of the columns that differ, or `None` when
/// the new row equals the old one (such an UPDATE changes no state and is not recorded).
pub fn row_change(old: &Json, new: &Json) -> Option<(Json, Json)> {
    let (Json::Object(o), Json::Object(n)) = (old, new) else {
        return (old != new).then(|| (old.clone(), new.clone()));
    };
    let mut before = std::collections::BTreeMap::new();
    let mut after = std::collections::BTreeMap::new();
    for (k, nv) in n {
        let ov = o.get(k).unwrap_or(&Json::Null);
        if ov != nv {
            before.insert(k.clone(), ov.clone());
            after.insert(k.clone(), nv.clone());
        }
    }
    (!after.is_empty()).then_some((Json::Object(before), Json::Object(after)))
}

/// Whether a column carries the reason of a change: `reason` or a name ending in `_reason`.
fn is_reason_column(name: &[u8]) -> bool {
    name == b"reason" || name.ends_with(b"_reason")
}

/// The reason a change carried: the first reason column (see [`is_reason_column`]) that the
/// change set to a non-empty text (`new` is the inserted row, or an UPDATE's changed columns),
/// else the session's stated reason (`nps.reason` setting).
pub fn reason_of(new: Option<&Json>, stated: Option<&[u8]>) -> Option<Vec<u8>> {
    if let Some(Json::Object(cols)) = new {
        for (k, v) in cols {
            if let Json::String(s) = v {
                if is_reason_column(k) && !s.is_empty() {
                    return Some(s.clone());
                }
            }
        }
    }
    stated.filter(|s| !s.is_empty()).map(<[u8]>::to_vec)
}

/// Kinds of broken chains, as `nps.verify_audit()` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The entry's content no longer hashes to its stored hash: it was edited.
    Altered,
    /// The entry's `prev_hash` is not the hash of the entry before it: entries were reordered,
    /// or one was inserted or replaced along with its hash.
    BrokenLink,
    /// Positions are missing before this entry: entries were deleted.
    Missing,
    /// The chain ends before a recorded or exported head: its tail was removed.
    Truncated,
    /// The entry at an exported head's position has another hash: the chain was rewritten (and
    /// re-hashed) after the heads were exported.
    Rewritten,
    /// Entries follow the chain's recorded head, which the capture path always advances: they
    /// were added around it.
    Unrecorded,
}

impl Problem {
    pub fn name(self) -> &'static str {
        match self {
            Problem::Altered => "altered",
            Problem::BrokenLink => "broken_link",
            Problem::Missing => "missing",
            Problem::Truncated => "truncated",
            Problem::Rewritten => "rewritten",
            Problem::Unrecorded => "unrecorded",
        }
    }
}

/// A chain's head: its last position and the hash of the entry there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub pos: i64,
    pub hash: Hash,
}

/// The first broken link of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub problem: Problem,
    /// The chain position where it shows.
    pub pos: i64,
    /// The audit entry's id there, when one exists.
    pub id: Option<i64>,
    pub detail: String,
}

/// Walks one chain's entries in position order and reports the first broken link.
#[derive(Debug)]
pub struct ChainCheck {
    entries: i64,
    last: Head,
    exported: Option<Head>,
    exported_seen: bool,
    first_break: Option<Break>,
}

impl ChainCheck {
    /// Start a chain; `exported` is the head exported for it earlier, if any.
    pub fn new(exported: Option<Head>) -> Self {
        ChainCheck {
            entries: 0,
            last: Head { pos: 0, hash: GENESIS },
            exported,
            exported_seen: false,
            first_break: None,
        }
    }

    fn broken(&mut self, problem: Problem, pos: i64, id: Option<i64>, detail: String) {
        if self.first_break.is_none() {
            self.first_break = Some(Break { problem, pos, id, detail });
        }
    }

    /// Feed the next entry (by position): its id and position, its stored `prev_hash` and hash,
    /// and the canonical JSON of its content.
    pub fn feed(&mut self, id: i64, pos: i64, prev: &[u8], hash: &[u8], canonical: &[u8]) {
        self.entries += 1;
        let expected = self.last.pos + 1;
        if pos > expected {
            self.broken(
                Problem::Missing,
                expected,
                Some(id),
                if pos - 1 == expected {
                    format!("position {expected} is missing before entry {id}")
                } else {
                    format!("positions {expected} to {} are missing before entry {id}", pos - 1)
                },
            );
        } else if pos < expected {
            self.broken(Problem::BrokenLink, pos, Some(id), format!("entry {id} repeats position {pos}"));
        }
        let stored_prev: Option<Hash> = prev.try_into().ok();
        let stored: Option<Hash> = hash.try_into().ok();
        let recomputed = stored_prev.map(|p| link_hash(&p, canonical));
        if stored.is_none() || recomputed != stored {
            self.broken(
                Problem::Altered,
                pos,
                Some(id),
                format!("entry {id} does not hash to its stored hash: its content was changed"),
            );
        } else if stored_prev != Some(self.last.hash) {
            self.broken(
                Problem::BrokenLink,
                pos,
                Some(id),
                format!("entry {id} does not link to the entry before it: entries were reordered, replaced or inserted"),
            );
        }
        if let (Some(e), Some(h)) = (self.exported, stored) {
            if e.pos == pos {
                self.exported_seen = true;
                if e.hash != h {
                    self.broken(
                        Problem::Rewritten,
                        pos,
                        Some(id),
                        format!("entry {id} is not the one exported as the head at position {pos}: the chain was rewritten after the export"),
                    );
                }
            }
        }
        self.last = Head { pos, hash: stored.unwrap_or(GENESIS) };
    }

    /// Finish the chain against its recorded head (the chain-head table's row, if any).
    pub fn finish(mut self, recorded: Option<Head>) -> ChainReport {
        let last = self.last;
        if let Some(e) = self.exported {
            if e.pos > last.pos {
                self.broken(
                    Problem::Truncated,
                    last.pos + 1,
                    None,
                    format!(
                        "the exported head is at position {}, the chain ends at {}: its tail was removed",
                        e.pos, last.pos
                    ),
                );
            } else if !self.exported_seen {
                self.broken(
                    Problem::Missing,
                    e.pos,
                    None,
                    format!("the exported head's position {} is missing", e.pos),
                );
            }
        }
        if let Some(r) = recorded {
            if r.pos > last.pos {
                self.broken(
                    Problem::Truncated,
                    last.pos + 1,
                    None,
                    format!("the chain's recorded head is at position {}, the chain ends at {}: its tail was removed", r.pos, last.pos),
                );
            } else if r.pos < last.pos {
                self.broken(
                    Problem::Unrecorded,
                    r.pos + 1,
                    None,
                    format!(
                        "the chain's recorded head is at position {}, yet entries run to {}",
                        r.pos, last.pos
                    ),
                );
            } else if r.hash != last.hash {
                self.broken(
                    Problem::Rewritten,
                    r.pos,
                    None,
                    format!(
                        "the last entry is not the one recorded as the chain's head at position {}",
                        r.pos
                    ),
                );
            }
        }
        ChainReport { entries: self.entries, head: last, first_break: self.first_break }
    }
}

/// The result of verifying one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Entries checked.
    pub entries: i64,
    /// The last entry's position and hash (position 0 when the chain has no entries).
    pub head: Head,
    pub first_break: Option<Break>,
}

#[cfg(test)]
mod hmac_tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        let key = [0xaau8; 131];
        assert_eq!(
            hex(&hmac_sha256(&key, b"Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::canonical::parse;

    fn entry(pos: i64, note: &str) -> Entry {
        Entry {
            id: 100 + pos,
            chain: b"run:7".to_vec(),
            pos,
            run_id: Some(7),
            xid: 7777,
            at_us: 1_700_000_000_000_000 + pos,
            table: b"nps.tasks".to_vec(),
            op: b"UPDATE".to_vec(),
            pk: parse(br#"{"id": 3}"#).unwrap(),
            old: Some(parse(br#"{"status": "open"}"#).unwrap()),
            new: Some(Json::object([("status", Json::str("done")), ("note", Json::str(note))])),
            session_user: b"app".to_vec(),
            current_user: b"carol".to_vec(),
            actor: Some(b"carol@example.com".to_vec()),
            client_addr: None,
            reason: None,
        }
    }

    /// A chain of n entries: (entry, prev, hash) each.
    fn chain(n: i64) -> Vec<(Entry, Hash, Hash)> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|pos| {
                let e = entry(pos, &format!("note {pos}"));
                let h = e.hash(&prev);
                let out = (e, prev, h);
                prev = h;
                out
            })
            .collect()
    }

    fn verify(rows: &[(Entry, Hash, Hash)], exported: Option<Head>, recorded: Option<Head>) -> ChainReport {
        let mut c = ChainCheck::new(exported);
        for (e, prev, h) in rows {
            c.feed(e.id, e.pos, prev, h, &e.to_json().canonical());
        }
        c.finish(recorded)
    }

    fn head_of(rows: &[(Entry, Hash, Hash)]) -> Head {
        let (e, _, h) = rows.last().unwrap();
        Head { pos: e.pos, hash: *h }
    }

    #[test]
    fn sha256_is_the_standard_one() {
        // FIPS 180-2 test vector for "abc" (with an empty prefix it is plain sha256).
        let mut h = Sha256::new();
        h.update(b"abc");
        let d: Hash = h.finalize().into();
        assert_eq!(hex(&d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(parse_hash(&format!("\\x{}", hex(&d))), Some(d));
        assert_eq!(parse_hash("abc"), None);
        assert_eq!(parse_hash(&"zz".repeat(32)), None);
    }

    #[test]
    fn entry_json_names_every_field() {
        let text = String::from_utf8(entry(1, "n").to_json().canonical()).unwrap();
        assert_eq!(
            text,
            r#"{"actor":"carol@example.com","at":1700000000000001,"chain":"run:7","client_addr":null,"current_user":"carol","id":101,"new":{"note":"n","status":"done"},"old":{"status":"open"},"op":"UPDATE","pk":{"id":3},"pos":1,"reason":null,"run_id":7,"session_user":"app","table":"nps.tasks","xid":7777}"#
        );
    }

    #[test]
    fn hash_covers_prev_and_content() {
        let e = entry(1, "n");
        let h = e.hash(&GENESIS);
        assert_eq!(h, link_hash(&GENESIS, &e.to_json().canonical()));
        assert_ne!(h, e.hash(&[1; 32]));
        let mut other = e.clone();
        other.current_user = b"mallory".to_vec();
        assert_ne!(h, other.hash(&GENESIS));
    }

    #[test]
    fn an_intact_chain_verifies() {
        let rows = chain(5);
        let r = verify(&rows, Some(Head { pos: 3, hash: rows[2].2 }), Some(head_of(&rows)));
        assert_eq!(r.first_break, None);
        assert_eq!(r.entries, 5);
        assert_eq!(r.head, head_of(&rows));
    }

    #[test]
    fn an_edited_entry_is_altered() {
        let mut rows = chain(4);
        let head = head_of(&rows);
        rows[1].0.current_user = b"mallory".to_vec();
        let b = verify(&rows, None, Some(head)).first_break.unwrap();
        assert_eq!((b.problem, b.pos, b.id), (Problem::Altered, 2, Some(102)));
    }

    #[test]
    fn a_deleted_entry_is_missing() {
        let mut rows = chain(4);
        let head = head_of(&rows);
        rows.remove(1);
        let b = verify(&rows, None, Some(head)).first_break.unwrap();
        assert_eq!((b.problem, b.pos, b.id), (Problem::Missing, 2, Some(103)));
    }

    #[test]
    fn swapped_contents_are_altered() {
        let mut rows = chain(4);
        let head = head_of(&rows);
        // Swap everything but the row identity (id, position, hashes).
        let (a, b) = (rows[1].0.clone(), rows[2].0.clone());
        rows[1].0 = Entry { id: a.id, pos: a.pos, ..b.clone() };
        rows[2].0 = Entry { id: b.id, pos: b.pos, ..a };
        let br = verify(&rows, None, Some(head)).first_break.unwrap();
        assert_eq!((br.problem, br.pos), (Problem::Altered, 2));
    }

    #[test]
    fn reordered_entries_break_the_link() {
        let mut rows = chain(4);
        let head = head_of(&rows);
        // Swap positions 2 and 3 with their hashes, re-hashed so each entry is self-consistent.
        let (e2, e3) = (rows[1].clone(), rows[2].clone());
        let mut moved3 = e3.0.clone();
        moved3.pos = 2;
        let mut moved2 = e2.0.clone();
        moved2.pos = 3;
        rows[1] = (moved3.clone(), e3.1, moved3.hash(&e3.1));
        rows[2] = (moved2.clone(), e2.1, moved2.hash(&e2.1));
        let b = verify(&rows, None, Some(head)).first_break.unwrap();
        assert_eq!((b.problem, b.pos), (Problem::BrokenLink, 2));
    }

    #[test]
    fn a_removed_tail_is_truncated() {
        let rows = chain(5);
        let exported = head_of(&rows);
        let cut = &rows[..3];
        // Against the recorded head.
        let b = verify(cut, None, Some(exported)).first_break.unwrap();
        assert_eq!((b.problem, b.pos), (Problem::Truncated, 4));
        // Against an exported head when the recorded head was rewound too.
        let b = verify(cut, Some(exported), Some(head_of(cut))).first_break.unwrap();
        assert_eq!((b.problem, b.pos), (Problem::Truncated, 4));
        // Nothing left at all.
        let b = verify(&[], Some(exported), None).first_break.unwrap();
        assert_eq!((b.problem, b.pos), (Problem::Truncated, 1));
    }

    #[test]
    fn a_rehashed_rewrite_is_caught_by_the_exported_head() {
        let rows = chain(4);
        let exported = Head { pos: 3, hash: rows[2].2 };
        // Rewrite entry 2 and re-hash everything after it: self-consistent, but not what was exported.
        let mut forged = rows[..1].to_vec();
        let mut prev = rows[0].2;
        for (e, _, _) in &rows[1..] {
            let mut e = e.clone();
            if e.pos == 2 {
                e.reason = Some(b"nothing to see".to_vec());
            }
            let h = e.hash(&prev);
            forged.push((e, prev, h));
            prev = h;
        }
        let forged_head = head_of(&forged);
        assert_eq!(verify(&forged, None, Some(forged_head)).first_break, None);
        let b = verify(&forged, Some(exported), Some(forged_head)).first_break.unwrap();
        assert_eq!((b.problem, b.pos), (Problem::Rewritten, 3));
    }

    #[test]
    fn entries_beyond_the_recorded_head_are_unrecorded() {
        let rows = chain(4);
        let b = verify(&rows, None, Some(Head { pos: 3, hash: rows[2].2 })).first_break.unwrap();
        assert_eq!((b.problem, b.pos), (Problem::Unrecorded, 4));
        let b = verify(&rows, None, Some(Head { pos: 4, hash: [9; 32] })).first_break.unwrap();
        assert_eq!(b.problem, Problem::Rewritten);
    }

    #[test]
    fn only_the_first_break_is_reported() {
        let mut rows = chain(6);
        let head = head_of(&rows);
        rows[4].0.current_user = b"x".to_vec();
        rows.remove(1);
        let r = verify(&rows, None, Some(head));
        assert_eq!(r.first_break.unwrap().problem, Problem::Missing);
        assert_eq!(r.entries, 5);
    }

    #[test]
    fn changes_list_only_what_differs() {
        let old = parse(br#"{"id":1,"status":"open","note":null,"n":1.50}"#).unwrap();
        let new = parse(br#"{"id":1,"status":"done","note":"x","n":1.5}"#).unwrap();
        let (o, n) = row_change(&old, &new).unwrap();
        assert_eq!(String::from_utf8(o.canonical()).unwrap(), r#"{"note":null,"status":"open"}"#);
        assert_eq!(String::from_utf8(n.canonical()).unwrap(), r#"{"note":"x","status":"done"}"#);
        assert_eq!(row_change(&old, &old), None);
    }

    #[test]
    fn reasons_come_from_reason_columns_then_the_setting() {
        let n = parse(br#"{"status":"cancelled","cancel_reason":"duplicate","note":"n"}"#).unwrap();
        assert_eq!(reason_of(Some(&n), Some(b"ticket 4")), Some(b"duplicate".to_vec()));
        let n = parse(br#"{"status":"done","reason":""}"#).unwrap();
        assert_eq!(reason_of(Some(&n), Some(b"ticket 4")), Some(b"ticket 4".to_vec()));
        assert_eq!(reason_of(Some(&n), Some(b"")), None);
        assert_eq!(reason_of(None, None), None);
        let n = parse(br#"{"treason":"x"}"#).unwrap();
        assert_eq!(reason_of(Some(&n), None), None);
    }

    #[test]
    fn chains_are_per_run_or_per_table() {
        assert_eq!(chain_of(Some(42), b"nps.tasks"), b"run:42");
        assert_eq!(chain_of(None, b"nps.templates"), b"table:nps.templates");
    }
}
