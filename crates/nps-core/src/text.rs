//! Text that reaches pg_nps from people and files: identities normalized once, "blank" that means
//! blank, and the length limits of every kind of text, in one place.
//!
//! An identity (a respondent, a person an application names) is compared in its normalized form:
//! Unicode NFKC, surrounding white space removed, e-mail addresses case-folded. Control
//! characters (CR and LF among them), line and paragraph separators and format characters
//! (zero-width spaces and joiners, bidirectional controls, the byte-order mark, the soft hyphen)
//! are refused rather than removed: an identity that carries one is not what it shows.

use unicode_normalization::UnicodeNormalization;

use crate::error::{ErrorKind, NpsError, Result};

/// Unicode's format characters (general category Cf, Unicode 15), as inclusive ranges.
const FORMAT: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// A format character (Cf): invisible, yet it changes what a string compares equal to.
pub fn is_format(c: char) -> bool {
    let c = c as u32;
    FORMAT.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// Characters that show as nothing although they are no format character: the rest of Unicode's
/// default-ignorable code points (the combining grapheme joiner, variation selectors, Hangul
/// fillers, Mongolian variation selectors, the tag block) and the blank-looking braille pattern.
const INVISIBLE: &[(u32, u32)] = &[
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2800, 0x2800),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0xE0000, 0xE0FFF),
];

/// Invisible though not a format character (see `INVISIBLE`).
pub fn is_invisible(c: char) -> bool {
    let c = c as u32;
    INVISIBLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// A private-use character or a noncharacter: no agreed glyph, so two people read it differently.
fn is_unassigned_meaning(c: char) -> bool {
    let c = c as u32;
    (0xE000..=0xF8FF).contains(&c)
        || (0xF0000..=0x10FFFF).contains(&c)
        || (0xFDD0..=0xFDEF).contains(&c)
        || (c & 0xFFFF) >= 0xFFFE
}

/// What an identity or a name may not hold: a control, line-break, format or invisible character,
/// a private-use character or a noncharacter.
fn not_for_keys(c: char) -> bool {
    c.is_control() || is_format(c) || is_line_break(c) || is_invisible(c) || is_unassigned_meaning(c)
}

/// Characters that break a line: CR, LF, and the rest Unicode counts as line ends.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// True when `s` holds nothing a reader could read: only white space, control and format
/// characters. A reason, a piece of evidence or a note must be more than that.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(|c| c.is_whitespace() || c.is_control() || is_format(c) || is_invisible(c))
}

/// How messages show a value a person typed: control and format characters as `U+XXXX`, at most
/// 40 characters, so that a refused value can be read and cannot forge the message's lines.
pub fn shown(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 40 {
            out.push('…');
            break;
        }
        if not_for_keys(c) {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn char_name(c: char) -> &'static str {
    match c {
        '\n' => "LINE FEED",
        '\r' => "CARRIAGE RETURN",
        '\t' => "CHARACTER TABULATION",
        '\u{0}' => "NULL",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{2060}' => "WORD JOINER",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE",
        '\u{00AD}' => "SOFT HYPHEN",
        '\u{2028}' => "LINE SEPARATOR",
        '\u{2029}' => "PARAGRAPH SEPARATOR",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{034F}' => "COMBINING GRAPHEME JOINER",
        '\u{2800}' => "BRAILLE PATTERN BLANK",
        '\u{3164}' => "HANGUL FILLER",
        c if is_format(c) => "a format character",
        c if is_invisible(c) => "an invisible character",
        c if is_unassigned_meaning(c) => "a private-use character or noncharacter",
        _ => "a control character",
    }
}

/// The kinds of text pg_nps stores, each with its limit in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Who someone is: a respondent, a person, an application login. Normalized; one line.
    Identity,
    /// A name that is also a key: a cycle, an account's external id, a template, a playbook, a
    /// root-cause key. One line.
    Name,
    /// A title or a display name. One line.
    Title,
    /// Why: a reason to skip, cancel, reject, force, drop, move a due date. Line breaks allowed.
    Reason,
    /// What a respondent wrote. Line breaks allowed.
    Comment,
    /// Free text: notes, conversation bodies, outcomes, evidence, e-mail bodies. Line breaks allowed.
    Text,
}

impl Kind {
    /// The longest text of this kind pg_nps keeps, in characters.
    pub fn limit(self) -> usize {
        match self {
            Kind::Identity => 320,
            Kind::Name => 200,
            Kind::Title => 500,
            Kind::Reason => 2_000,
            Kind::Comment => 20_000,
            Kind::Text => 100_000,
        }
    }

    /// The kind named in SQL (`nps._text(what, value, kind)`).
    pub fn parse(name: &str) -> Option<Kind> {
        Some(match name {
            "identity" => Kind::Identity,
            "name" => Kind::Name,
            "title" => Kind::Title,
            "reason" => Kind::Reason,
            "comment" => Kind::Comment,
            "text" => Kind::Text,
            _ => return None,
        })
    }

    fn one_line(self) -> bool {
        matches!(self, Kind::Identity | Kind::Name | Kind::Title)
    }
}

/// Check a text of `kind` (`what` names it in messages: "the comment of the response of …",
/// "cycle name"): not longer than the kind's limit (22001, naming the limit), and none of the
/// characters the kind refuses (22023, naming the character; see `forbidden`). Identities are
/// also normalized: see [`normalize_identity`]. Returns the text to store.
pub fn check(what: &str, value: &str, kind: Kind) -> Result<String> {
    if kind == Kind::Identity {
        return normalize_identity(what, value);
    }
    let len = value.chars().count();
    if len > kind.limit() {
        return Err(NpsError::new(
            ErrorKind::TooLong,
            format!("{what} is {len} characters long; at most {} are kept", kind.limit()),
            too_long_hint(kind),
        ));
    }
    if let Some(c) = value.chars().find(|&c| forbidden(c, kind)) {
        return Err(NpsError::new(
            ErrorKind::InvalidParameter,
            format!("{what} \"{}\" contains U+{:04X} ({})", shown(value), c as u32, char_name(c)),
            if kind.one_line() {
                "Names and titles are one line of visible characters; remove the character."
            } else {
                "Remove the control or format character (line breaks and tabs are kept)."
            },
        ));
    }
    Ok(value.to_string())
}

/// Names are keys: one line of visible characters. Titles are one line, and may carry the format
/// characters right-to-left scripts and emoji need. Free text keeps line breaks and tabs; other
/// control characters (escape sequences that repaint a terminal among them) are refused.
fn forbidden(c: char, kind: Kind) -> bool {
    match kind {
        Kind::Identity | Kind::Name => not_for_keys(c),
        Kind::Title => c.is_control() || is_line_break(c),
        Kind::Reason | Kind::Comment | Kind::Text => c.is_control() && !matches!(c, '\n' | '\r' | '\t'),
    }
}

fn too_long_hint(kind: Kind) -> &'static str {
    match kind {
        Kind::Identity => "Identify people by e-mail address or contact id.",
        Kind::Name => "Use a shorter name; it is a key that people type and indexes hold.",
        Kind::Title => "Use a shorter title and put the rest in the description or a note.",
        Kind::Reason => "Say why in a few sentences; log longer notes with nps.log_conversation.",
        Kind::Comment => {
            "Keep the comment to what the respondent wrote; log longer notes with nps.log_conversation."
        }
        Kind::Text => "Link to a document instead of pasting it.",
    }
}

/// The normalized form of an identity: NFKC, trimmed, e-mail addresses (anything with an `@`)
/// case-folded. Refused: NULL-like blank input (22004), a control, line-break or format character
/// (22023, naming it), white space inside an e-mail address (22023), more than 320 characters
/// after normalization (22001).
pub fn normalize_identity(what: &str, raw: &str) -> Result<String> {
    if let Some(c) = raw.chars().find(|&c| not_for_keys(c)) {
        // Refused before normalizing: NFKC keeps these, and trimming would hide a trailing LF.
        return Err(NpsError::new(
            ErrorKind::InvalidParameter,
            format!("{what} \"{}\" contains U+{:04X} ({})", shown(raw), c as u32, char_name(c)),
            "An identity is one line of visible characters; remove the control, format or invisible character.",
        ));
    }
    let nfkc: String = raw.nfkc().collect();
    let trimmed = nfkc.trim();
    if trimmed.is_empty() {
        return Err(NpsError::new(
            ErrorKind::NullValue,
            format!("{what} is missing"),
            "Identify the person by e-mail address or contact id.",
        ));
    }
    let normalized = if trimmed.contains('@') {
        if trimmed.chars().any(char::is_whitespace) {
            return Err(NpsError::new(
                ErrorKind::InvalidParameter,
                format!("{what} \"{}\" is an e-mail address with white space in it", shown(trimmed)),
                "Write the address without spaces.",
            ));
        }
        trimmed.to_lowercase()
    } else {
        trimmed.to_string()
    };
    let len = normalized.chars().count();
    if len > Kind::Identity.limit() {
        return Err(NpsError::new(
            ErrorKind::TooLong,
            format!(
                "{what} \"{}\" is {len} characters long; at most {} are kept",
                shown(&normalized),
                Kind::Identity.limit()
            ),
            too_long_hint(Kind::Identity),
        ));
    }
    Ok(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Result<String> {
        normalize_identity("respondent", s)
    }

    #[test]
    fn one_person_answers_once_whatever_the_spelling() {
        let forms = [
            "ann@acme.example",
            "Ann@Acme.Example",
            "  ann@acme.example  ",
            "ann@acme.example\u{00A0}",
            "\u{FF41}nn@acme.example",  // fullwidth a
            "ann@acme.exam\u{1D4C5}le", // mathematical script p folds to p under NFKC
        ];
        for f in forms {
            assert_eq!(n(f).unwrap(), "ann@acme.example", "{f:?}");
        }
        // NFC and NFD spellings of an accented address are one address.
        assert_eq!(n("jos\u{00E9}@x.example").unwrap(), n("jose\u{0301}@x.example").unwrap());
    }

    #[test]
    fn invisible_and_line_breaking_characters_are_refused_and_named() {
        for (s, cp) in [
            ("ann@acme.example\n", "U+000A"),
            ("ann@acme.example\r\nBcc: x@evil.example", "U+000D"),
            ("an\u{200B}n@acme.example", "U+200B"),
            ("ann@acme.exa\u{200D}mple", "U+200D"),
            ("\u{FEFF}ann@acme.example", "U+FEFF"),
            ("ann\u{202E}@acme.example", "U+202E"),
            ("ann\u{2028}@acme.example", "U+2028"),
            ("ann\t@acme.example", "U+0009"),
            // Default-ignorable, blank-looking, private-use and noncharacters: each makes a
            // second respondent that reads exactly like the first.
            ("ann\u{034F}@acme.example", "U+034F"),
            ("ann@acme.example\u{FE0F}", "U+FE0F"),
            ("ann\u{3164}@acme.example", "U+3164"),
            ("ann\u{FFA0}@acme.example", "U+FFA0"),
            ("ann\u{2800}@acme.example", "U+2800"),
            ("ann\u{E000}@acme.example", "U+E000"),
            ("ann\u{10FFFF}@acme.example", "U+10FFFF"),
            ("ann\u{E0041}@acme.example", "U+E0041"),
        ] {
            let e = n(s).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidParameter, "{s:?}");
            assert!(e.message.contains(cp), "{s:?}: {}", e.message);
            assert!(!e.message.contains('\n') && !e.message.contains('\r'), "{}", e.message);
        }
    }

    #[test]
    fn blank_and_long_identities() {
        assert_eq!(n("   ").unwrap_err().kind, ErrorKind::NullValue);
        assert_eq!(n("").unwrap_err().kind, ErrorKind::NullValue);
        assert_eq!(n("\u{3000}").unwrap_err().kind, ErrorKind::NullValue); // ideographic space
        let e = n(&"r".repeat(321)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLong);
        assert!(e.message.contains("321") && e.message.contains("320"), "{}", e.message);
        assert_eq!(n(&"r".repeat(320)).unwrap().len(), 320);
        assert_eq!(n("ann @acme.example").unwrap_err().kind, ErrorKind::InvalidParameter);
        // Contact ids keep their case.
        assert_eq!(n(" C-1234 ").unwrap(), "C-1234");
    }

    #[test]
    fn blank_means_nothing_to_read() {
        for s in [
            "",
            " ",
            "\t",
            "\n",
            "\u{200B}",
            " \u{200B}\u{FEFF} ",
            "\u{00A0}\u{3000}",
            "\u{034F}",
            "\u{3164}\u{2800}",
        ] {
            assert!(is_blank(s), "{s:?}");
        }
        for s in ["x", " why ", "\u{200B}no"] {
            assert!(!is_blank(s), "{s:?}");
        }
    }

    #[test]
    fn limits_name_themselves() {
        let e = check("cycle name", &"q".repeat(201), Kind::Name).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLong);
        assert!(e.message.contains("at most 200"), "{}", e.message);
        assert_eq!(check("cycle name", "2026-Q4", Kind::Name).unwrap(), "2026-Q4");
        assert_eq!(check("cycle name", "Q4\nQ1", Kind::Name).unwrap_err().kind, ErrorKind::InvalidParameter);
        assert_eq!(check("note", "line one\nline two\ttab", Kind::Text).unwrap(), "line one\nline two\ttab");
        assert_eq!(check("note", "bell\u{7}", Kind::Text).unwrap_err().kind, ErrorKind::InvalidParameter);
        assert_eq!(check("note", "\u{1b}[2J", Kind::Text).unwrap_err().kind, ErrorKind::InvalidParameter);
        // Right-to-left text and emoji sequences keep their format characters.
        assert!(check("comment", "\u{5E9}\u{200F}ok \u{1F468}\u{200D}\u{1F469}", Kind::Comment).is_ok());
        assert!(check("title", "\u{5E9}\u{200F} plan", Kind::Title).is_ok());
        assert!(check("account", "ACME\u{200B}", Kind::Name).is_err());
        assert!(check("reason", &"r".repeat(2001), Kind::Reason).is_err());
        for k in ["identity", "name", "title", "reason", "comment", "text"] {
            assert!(Kind::parse(k).is_some());
        }
        assert!(Kind::parse("essay").is_none());
    }

    #[test]
    fn shown_values_cannot_forge_lines() {
        assert_eq!(shown("a\nb"), "a<U+000A>b");
        assert_eq!(shown(&"x".repeat(50)).chars().count(), 41);
    }
}
