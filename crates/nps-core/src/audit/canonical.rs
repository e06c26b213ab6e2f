//! Canonical JSON: one byte sequence per JSON value, so a hash over it does not depend on who
//! printed the value.
//!
//! The audit trail hashes entries whose row images come from `row_to_json` at capture time and
//! from `jsonb` output at verification time. Both print the same values differently (key order,
//! whitespace, `1.50` vs `1.5`, `1e2` vs `100`), so both sides parse into [`Json`] and print
//! [`Json::canonical`]:
//!
//! - objects: keys sorted by their bytes (UTF-8 byte order is code point order), a repeated key
//!   keeps its last value (as `jsonb` does);
//! - no whitespace;
//! - numbers: plain decimal notation, no exponent, no leading zeros, no trailing fraction zeros,
//!   no `-0` (`1.50`, `1.5e0` and `15E-1` all print as `1.5`). Exact: digits are never rounded
//!   through a float;
//! - strings: escaped only where JSON requires it (`"`, `\`, control characters as `\b \f \n \r
//!   \t` or `\u00xx`); every other byte as is. Strings are bytes, so the form does not depend on
//!   the database encoding.

use std::collections::BTreeMap;

use crate::error::{ErrorKind, NpsError, Result};

/// Nesting deeper than this is refused (Postgres' own stack limit refuses far less).
const MAX_DEPTH: usize = 1000;
/// A number whose plain decimal form would be longer than this is refused (`numeric` holds at
/// most 131072 digits before and 16383 after the point).
const MAX_NUMBER_LEN: usize = 150_000;

/// A parsed JSON value. Numbers are kept as their canonical decimal text; strings and keys as
/// bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(Vec<u8>),
    Array(Vec<Json>),
    Object(BTreeMap<Vec<u8>, Json>),
}

impl Json {
    /// A string value.
    pub fn str(s: impl AsRef<[u8]>) -> Json {
        Json::String(s.as_ref().to_vec())
    }

    /// An integer value.
    pub fn int(n: impl Into<i128>) -> Json {
        Json::Number(n.into().to_string())
    }

    /// `Json::Null` for `None`.
    pub fn opt(v: Option<Json>) -> Json {
        v.unwrap_or(Json::Null)
    }

    /// An object from `(key, value)` pairs.
    pub fn object<K: AsRef<[u8]>>(pairs: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Object(pairs.into_iter().map(|(k, v)| (k.as_ref().to_vec(), v)).collect())
    }

    /// The value under `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(m) => m.get(key.as_bytes()),
            _ => None,
        }
    }

    /// The canonical text of this value.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        self.write_canonical(&mut out);
        out
    }

    /// Append the canonical text of this value to `out`.
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        match self {
            Json::Null => out.extend_from_slice(b"null"),
            Json::Bool(true) => out.extend_from_slice(b"true"),
            Json::Bool(false) => out.extend_from_slice(b"false"),
            Json::Number(n) => out.extend_from_slice(n.as_bytes()),
            Json::String(s) => write_string(s, out),
            Json::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write_canonical(out);
                }
                out.push(b']');
            }
            Json::Object(members) => {
                out.push(b'{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_string(k, out);
                    out.push(b':');
                    v.write_canonical(out);
                }
                out.push(b'}');
            }
        }
    }
}

fn write_string(s: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x00..=0x1f => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 15) as usize],
            ]),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// Parse JSON text (RFC 8259) into a [`Json`] value.
pub fn parse(text: &[u8]) -> Result<Json> {
    let mut p = Parser { s: text, i: 0, depth: 0 };
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.error("unexpected text after the JSON value"));
    }
    Ok(v)
}

/// The canonical text of JSON text.
pub fn canonicalize(text: &[u8]) -> Result<Vec<u8>> {
    parse(text).map(|v| v.canonical())
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> NpsError {
        NpsError::new(
            ErrorKind::InvalidText,
            format!("invalid JSON at byte {}: {what}", self.i),
            "Pass a JSON value as jsonb produces it.",
        )
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &[u8], v: Json) -> Result<Json> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.error("unknown literal"))
        }
    }

    fn value(&mut self) -> Result<Json> {
        match self.peek() {
            Some(b'n') => self.literal(b"null", Json::Null),
            Some(b't') => self.literal(b"true", Json::Bool(true)),
            Some(b'f') => self.literal(b"false", Json::Bool(false)),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => self.nested(Self::array),
            Some(b'{') => self.nested(Self::object),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("unexpected end of text")),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Json>) -> Result<Json> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn array(&mut self) -> Result<Json> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self) -> Result<Json> {
        self.i += 1;
        let mut members = BTreeMap::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':'"));
            }
            self.i += 1;
            self.ws();
            let v = self.value()?;
            members.insert(key, v);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self.s.get(self.i..self.i + 4).ok_or_else(|| self.error("short \\u escape"))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.error("bad \\u escape"))?;
        let v = u32::from_str_radix(text, 16).map_err(|_| self.error("bad \\u escape"))?;
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<Vec<u8>> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let b = self.peek().ok_or_else(|| self.error("unterminated string"))?;
            self.i += 1;
            match b {
                b'"' => return Ok(out),
                b'\\' => {
                    let e = self.peek().ok_or_else(|| self.error("unterminated escape"))?;
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp) {
                                if self.s.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return Err(self.error("lone high surrogate"));
                                }
                                self.i += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(self.error("bad low surrogate"));
                                }
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                            } else if (0xDC00..0xE000).contains(&cp) {
                                return Err(self.error("lone low surrogate"));
                            }
                            let c = char::from_u32(cp).ok_or_else(|| self.error("bad code point"))?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(self.error("unknown escape")),
                    }
                }
                0x00..=0x1f => return Err(self.error("control character in a string")),
                _ => out.push(b),
            }
        }
    }

    fn digits(&mut self) -> &[u8] {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        &self.s[start..self.i]
    }

    fn number(&mut self) -> Result<Json> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let int = self.digits().to_vec();
        if int.is_empty() || (int.len() > 1 && int[0] == b'0') {
            return Err(self.error("bad number"));
        }
        let mut frac = Vec::new();
        if self.peek() == Some(b'.') {
            self.i += 1;
            frac = self.digits().to_vec();
            if frac.is_empty() {
                return Err(self.error("bad number: no digits after '.'"));
            }
        }
        let mut exp: i64 = 0;
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            let neg_exp = match self.peek() {
                Some(b'-') => {
                    self.i += 1;
                    true
                }
                Some(b'+') => {
                    self.i += 1;
                    false
                }
                _ => false,
            };
            let e = self.digits();
            if e.is_empty() {
                return Err(self.error("bad number: no digits in the exponent"));
            }
            let e: i64 = std::str::from_utf8(e)
                .ok()
                .and_then(|t| t.parse().ok())
                .filter(|e: &i64| *e <= MAX_NUMBER_LEN as i64)
                .ok_or_else(|| self.error("number out of range"))?;
            exp = if neg_exp { -e } else { e };
        }
        let text =
            plain_decimal(negative, &int, &frac, exp).ok_or_else(|| self.error("number out of range"))?;
        Ok(Json::Number(text))
    }
}

/// The canonical decimal text of `(-)int.frac × 10^exp`, or `None` when it would be too long.
fn plain_decimal(negative: bool, int: &[u8], frac: &[u8], exp: i64) -> Option<String> {
    // All significant digits, and the power of ten of the last one.
    let mut digits: Vec<u8> = int.iter().chain(frac).copied().collect();
    let mut scale = exp - frac.len() as i64;
    let lead = digits.iter().take_while(|&&d| d == b'0').count();
    digits.drain(..lead);
    while digits.last() == Some(&b'0') {
        digits.pop();
        scale += 1;
    }
    if digits.is_empty() {
        return Some("0".to_owned());
    }
    // Digits, the zeros the scale adds before or after them, a sign and a point.
    let len =
        if scale >= 0 { digits.len() as i64 + scale } else { (digits.len() as i64).max(-scale) + 1 } + 2;
    if len > MAX_NUMBER_LEN as i64 {
        return None;
    }
    let mut out = String::with_capacity(len as usize + 1);
    if negative {
        out.push('-');
    }
    let digits = String::from_utf8(digits).expect("ASCII digits");
    if scale >= 0 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', scale as usize));
    } else {
        let point = digits.len() as i64 + scale;
        if point > 0 {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        String::from_utf8(canonicalize(s.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn keys_sorted_whitespace_removed() {
        assert_eq!(
            canon(r#" { "b" : 1 , "a" : [ true , null , { "d":2, "c":"x" } ] } "#),
            r#"{"a":[true,null,{"c":"x","d":2}],"b":1}"#
        );
        // Byte order, not jsonb's shorter-first order.
        assert_eq!(canon(r#"{"bb":1,"a":2,"ab":3}"#), r#"{"a":2,"ab":3,"bb":1}"#);
    }

    #[test]
    fn repeated_key_keeps_the_last_value() {
        assert_eq!(canon(r#"{"a":1,"a":2}"#), r#"{"a":2}"#);
    }

    #[test]
    fn numbers_print_one_way() {
        for (input, want) in [
            ("1.50", "1.5"),
            ("15E-1", "1.5"),
            ("1.5e0", "1.5"),
            ("0.15e+1", "1.5"),
            ("100", "100"),
            ("1e2", "100"),
            ("1.0E+2", "100"),
            ("-0", "0"),
            ("-0.000", "0"),
            ("0.0015", "0.0015"),
            ("1.5e-3", "0.0015"),
            ("-12.340", "-12.34"),
            ("9223372036854775807", "9223372036854775807"),
            ("123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"),
            ("1e+20", "100000000000000000000"),
        ] {
            assert_eq!(canon(input), want, "{input}");
        }
    }

    #[test]
    fn strings_escape_only_what_json_requires() {
        assert_eq!(canon(r#""a\/b""#), r#""a/b""#);
        assert_eq!(canon(r#""\u00e9t\u00E9""#), "\"été\"");
        assert_eq!(canon("\"été\""), "\"été\"");
        assert_eq!(canon(r#""tab\there\nnl \u0001 \"q\" \\""#), r#""tab\there\nnl \u0001 \"q\" \\""#);
        assert_eq!(canon(r#""\ud83d\ude00""#), "\"😀\"");
        assert_eq!(canon(r#""\u001F""#), r#""\u001f""#);
    }

    #[test]
    fn canonical_form_is_a_fixed_point() {
        let text = r#"{"z":[1.10,-0,2E3,"x\u0007"],"a":{"k":false,"j":null},"m":"ü"}"#;
        let once = canonicalize(text.as_bytes()).unwrap();
        assert_eq!(canonicalize(&once).unwrap(), once);
    }

    #[test]
    fn bytes_outside_utf8_pass_through() {
        let latin1 = b"\"caf\xe9\"";
        assert_eq!(canonicalize(latin1).unwrap(), latin1.to_vec());
    }

    #[test]
    fn malformed_text_is_refused() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            "1e",
            "-",
            "\"abc",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00x\"",
            "nul",
            "[1] 2",
            "{1:2}",
            "\"a\nb\"",
            "1e999999999",
        ] {
            let e = canonicalize(bad.as_bytes()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidText, "{bad}");
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(canonicalize(deep.as_bytes()).is_err());
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(canonicalize(ok.as_bytes()).is_ok());
    }

    #[test]
    fn builders() {
        let v = Json::object([("n", Json::int(-3)), ("s", Json::str("x")), ("o", Json::opt(None))]);
        assert_eq!(String::from_utf8(v.canonical()).unwrap(), r#"{"n":-3,"o":null,"s":"x"}"#);
        assert_eq!(v.get("n"), Some(&Json::int(-3)));
    }
}
