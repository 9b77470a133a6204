//! The plain text of HTML (Atom titles, iCalendar descriptions, poll answers, report comments),
//! read in one linear pass with the tokenizer of `scan.rs` and no tree: paragraph ends become
//! a blank line, line breaks, list items and quotes a new line; tags are dropped; the content
//! of `script` and `style` is left out. Its cost is proportional to the length read whatever
//! the nesting, so a page or feed may call it on any stored row, including rows an older Kith
//! stored before remote HTML was bounded.

use super::scan::{Scanner, Token};

/// Raw-text elements whose content is text a person reads.
const READABLE_RAW: [&str; 3] = ["textarea", "title", "plaintext"];

/// The text of an HTML fragment, trimmed.
pub fn text(html: &str) -> String {
    text_prefix(html, usize::MAX).0
}

/// At most `max_chars` characters of the text of an HTML fragment (trimmed at the start), and
/// whether more text follows. Reading stops there, so the cost is that of the prefix.
pub fn text_prefix(html: &str, max_chars: usize) -> (String, bool) {
    let mut out = Text {
        s: String::new(),
        chars: 0,
        max: max_chars,
    };
    for token in Scanner::new(html) {
        let full = match token {
            Token::Text(t) => out.push_decoded(t),
            Token::Start { name, .. } if name.eq_ignore_ascii_case("br") => out.push("\n"),
            Token::End { name } if name.eq_ignore_ascii_case("p") => out.push("\n\n"),
            Token::End { name }
                if ["li", "blockquote", "pre"]
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(name)) =>
            {
                out.push("\n")
            }
            Token::Raw { name, text }
                if READABLE_RAW.iter().any(|n| n.eq_ignore_ascii_case(name)) =>
            {
                out.push_decoded(text)
            }
            Token::Start { .. } | Token::End { .. } | Token::Raw { .. } => false,
        };
        if full {
            let trimmed = out.s.trim_end().len();
            out.s.truncate(trimmed);
            return (out.s, true);
        }
    }
    let trimmed = out.s.trim_end().len();
    out.s.truncate(trimmed);
    (out.s, false)
}

/// Text gathered so far.
struct Text {
    s: String,
    chars: usize,
    max: usize,
}

impl Text {
    /// Appends `t`; `true` once text beyond `max` characters was offered (it is dropped).
    fn push(&mut self, t: &str) -> bool {
        t.chars().any(|c| self.push_char(c))
    }

    /// Appends `c`; `true` when it is beyond `max` characters.
    fn push_char(&mut self, c: char) -> bool {
        // Leading whitespace is trimmed, and trailing whitespace would be: neither counts.
        if c.is_whitespace() && (self.s.is_empty() || self.chars == self.max) {
            return false;
        }
        if self.chars == self.max {
            return true;
        }
        self.s.push(c);
        self.chars += 1;
        false
    }

    /// Appends text with its character references decoded; `true` as [`Text::push`].
    fn push_decoded(&mut self, t: &str) -> bool {
        let mut rest = t;
        while let Some(at) = rest.find('&') {
            let (c, used) = reference(&rest[at..]);
            if self.push(&rest[..at]) || self.push_char(c) {
                return true;
            }
            rest = &rest[at + used..];
        }
        self.push(rest)
    }
}

/// The character a reference at the start of `s` (which starts with `&`) stands for, and the
/// bytes it takes. Stored HTML was written by html5ever's serializer, which uses only the
/// references below; any other `&` is read as itself.
fn reference(s: &str) -> (char, usize) {
    const NAMED: [(&str, char); 6] = [
        ("&amp;", '&'),
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&quot;", '"'),
        ("&apos;", '\''),
        ("&nbsp;", ' '),
    ];
    if let Some((name, c)) = NAMED.iter().find(|(n, _)| s.starts_with(n)) {
        return (*c, name.len());
    }
    // The `;` is looked for in the next nine bytes only: searching the rest of the document
    // for every `&#` was quadratic in a document of `&#`s.
    if let Some(number) = s.strip_prefix("&#")
        && let Some(end) = number.bytes().take(9).position(|b| b == b';')
    {
        let digits = &number[..end];
        let code = match digits.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => digits.parse().ok(),
        };
        if let Some(c) = code.and_then(char::from_u32).filter(|&c| c != '\0') {
            return (c, end + 3);
        }
    }
    ('&', 1)
}
