//! A linear HTML tokenizer: text, start and end tags with their attributes, and the content of
//! the elements whose content is not markup (`script`, `style`, `textarea`, …). It keeps the
//! HTML tokenizer's rules for where a tag, a comment or a quoted attribute value begins and
//! ends (WHATWG HTML §13.2.5), and builds no tree: every byte is looked at a bounded number of
//! times, so a document costs time in proportion to its length whatever its shape.
//!
//! It feeds the nesting bound (`bound.rs`) and the plain-text extraction (`text.rs`).

/// A piece of an HTML document. Comments, doctypes and processing instructions are skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Token<'a> {
    /// Text as written: character references are not decoded.
    Text(&'a str),
    /// A start tag: its name and its attributes as written (read them with [`attributes`]).
    Start {
        /// The name, in the case it was written.
        name: &'a str,
        /// What stands between the name and the closing `>`.
        attrs: &'a str,
    },
    /// An end tag.
    End {
        /// The name, in the case it was written.
        name: &'a str,
    },
    /// What follows the start tag of an element whose content is text, not markup, up to its
    /// end tag (or the end of the document).
    Raw {
        /// The element's name.
        name: &'a str,
        /// Its content.
        text: &'a str,
    },
}

/// Elements whose content the HTML tokenizer reads as text up to their end tag (`plaintext`:
/// to the end of the document).
const RAW_TEXT: [&str; 10] = [
    "script",
    "style",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "textarea",
    "title",
    "plaintext",
];

/// The tokens of a document, in order.
pub(super) struct Scanner<'a> {
    src: &'a str,
    pos: usize,
    /// The raw-text element whose start tag was the last token.
    raw: Option<&'a str>,
}

impl<'a> Scanner<'a> {
    /// Tokens of `src`.
    pub(super) fn new(src: &'a str) -> Self {
        Scanner {
            src,
            pos: 0,
            raw: None,
        }
    }

    /// The content of a raw-text element, up to `</name` followed by a space, `/` or `>`.
    fn raw_text(&mut self, name: &'a str) -> Token<'a> {
        let rest = &self.src[self.pos..];
        let mut end = rest.len();
        if !name.eq_ignore_ascii_case("plaintext") {
            let mut from = 0;
            while let Some(found) = rest[from..].find("</") {
                let at = from + found;
                let after = &rest.as_bytes()[at + 2..];
                let matches = after.len() >= name.len()
                    && after[..name.len()].eq_ignore_ascii_case(name.as_bytes())
                    && after
                        .get(name.len())
                        .is_none_or(|&b| is_space(b) || b == b'/' || b == b'>');
                if matches {
                    end = at;
                    break;
                }
                from = at + 2;
            }
        }
        self.pos += end;
        Token::Raw {
            name,
            text: &rest[..end],
        }
    }

    /// A tag whose name starts at `name_at`; `None` when the document ends inside it (the HTML
    /// tokenizer drops such a tag).
    fn tag(&mut self, name_at: usize, end: bool) -> Option<Token<'a>> {
        let bytes = self.src.as_bytes();
        let mut i = name_at;
        while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'/' && bytes[i] != b'>' {
            i += 1;
        }
        let name = &self.src[name_at..i];
        let close = attribute_section_end(&self.src[i..])?;
        let attrs = &self.src[i..i + close];
        self.pos = i + close + 1;
        if end {
            return Some(Token::End { name });
        }
        if RAW_TEXT.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            self.raw = Some(name);
        }
        Some(Token::Start { name, attrs })
    }

    /// Skips a comment (`<!--` at the current position), ended by `-->` or `--!>`.
    fn skip_comment(&mut self) {
        let body = self.pos + 4;
        let rest = &self.src[body..];
        // `<!-->` and `<!--->` end at once.
        if rest.starts_with('>') {
            self.pos = body + 1;
            return;
        }
        if rest.starts_with("->") {
            self.pos = body + 2;
            return;
        }
        let mut from = 0;
        while let Some(found) = rest[from..].find("--") {
            let at = from + found + 2;
            if rest[at..].starts_with('>') {
                self.pos = body + at + 1;
                return;
            }
            if rest[at..].starts_with("!>") {
                self.pos = body + at + 2;
                return;
            }
            from = from + found + 1;
        }
        self.pos = self.src.len();
    }

    /// Skips a bogus comment (`<!…>`, `<?…>`, `</…>`) from `from` to the next `>`.
    fn skip_to_gt(&mut self, from: usize) {
        self.pos = self.src[from..]
            .find('>')
            .map_or(self.src.len(), |at| from + at + 1);
    }
}

impl<'a> Iterator for Scanner<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            if let Some(name) = self.raw.take() {
                return Some(self.raw_text(name));
            }
            let rest = &self.src[self.pos..];
            let bytes = rest.as_bytes();
            match bytes {
                [] => return None,
                [b'<', c, ..] if c.is_ascii_alphabetic() => match self.tag(self.pos + 1, false) {
                    Some(token) => return Some(token),
                    None => self.pos = self.src.len(),
                },
                [b'<', b'/', c, ..] if c.is_ascii_alphabetic() => {
                    match self.tag(self.pos + 2, true) {
                        Some(token) => return Some(token),
                        None => self.pos = self.src.len(),
                    }
                }
                [b'<', b'/', b'>', ..] => self.pos += 3,
                [b'<', b'/'] => {
                    self.pos += 2;
                    return Some(Token::Text("</"));
                }
                [b'<', b'/', ..] => self.skip_to_gt(self.pos + 2),
                [b'<', b'!', b'-', b'-', ..] => self.skip_comment(),
                [b'<', b'!' | b'?', ..] => self.skip_to_gt(self.pos + 2),
                [b'<', ..] => {
                    self.pos += 1;
                    return Some(Token::Text("<"));
                }
                _ => {
                    let len = rest.find('<').unwrap_or(rest.len());
                    self.pos += len;
                    return Some(Token::Text(&rest[..len]));
                }
            }
        }
    }
}

/// The HTML tokenizer's whitespace.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0C')
}

/// One attribute: its name, and its value as written (character references not decoded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Attribute<'a> {
    /// The name, in the case it was written.
    pub name: &'a str,
    /// The value; `None` for an attribute written without one.
    pub value: Option<&'a str>,
}

/// Reads attributes from the start of `s`; stops at the `>` that ends the tag or at the end.
struct Attributes<'a> {
    s: &'a str,
    pos: usize,
    /// Where the `>` ending the tag is, once reached.
    closed_at: Option<usize>,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Attribute<'a>;

    fn next(&mut self) -> Option<Attribute<'a>> {
        let b = self.s.as_bytes();
        let mut i = self.pos;
        while i < b.len() && (is_space(b[i]) || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() || b[i] == b'>' {
            self.closed_at = (i < b.len()).then_some(i);
            self.pos = b.len();
            return None;
        }
        // A name may begin with `=`; it ends at a space, `/`, `>` or `=`.
        let name_at = i;
        i += 1;
        while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let name = &self.s[name_at..i];
        let mut j = i;
        while j < b.len() && is_space(b[j]) {
            j += 1;
        }
        if j >= b.len() || b[j] != b'=' {
            self.pos = i;
            return Some(Attribute { name, value: None });
        }
        j += 1;
        while j < b.len() && is_space(b[j]) {
            j += 1;
        }
        let (value, next) = match b.get(j) {
            Some(&q @ (b'"' | b'\'')) => match self.s[j + 1..].find(q as char) {
                Some(len) => (&self.s[j + 1..j + 1 + len], j + len + 2),
                // The document ends inside the value.
                None => (&self.s[j + 1..], b.len()),
            },
            _ => {
                let mut k = j;
                while k < b.len() && !is_space(b[k]) && b[k] != b'>' {
                    k += 1;
                }
                (&self.s[j..k], k)
            }
        };
        self.pos = next;
        Some(Attribute {
            name,
            value: Some(value),
        })
    }
}

/// Where the `>` ending a tag is in `s` (which follows the tag's name), skipping quoted values;
/// `None` when the document ends first.
fn attribute_section_end(s: &str) -> Option<usize> {
    let mut attrs = Attributes {
        s,
        pos: 0,
        closed_at: None,
    };
    for _ in attrs.by_ref() {}
    attrs.closed_at
}

/// The attributes of a start tag's attribute section ([`Token::Start::attrs`]).
pub(super) fn attributes(attrs: &str) -> impl Iterator<Item = Attribute<'_>> {
    Attributes {
        s: attrs,
        pos: 0,
        closed_at: None,
    }
}
