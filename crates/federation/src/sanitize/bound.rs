//! The shape remote HTML is given before html5ever parses it: only the elements and attributes
//! of the allowlist, every element closed in order, at most [`MAX_DEPTH`] elements open at once
//! (deeper tags are dropped and their text kept, as if the nesting had been flattened), and at
//! most a given number of bytes (the rest is cut, open elements are closed, `…` marks the cut).
//!
//! Why before: html5ever's tree builder looks through the open elements for many tags (a block
//! start closes an open `<p>` anywhere above it), so a document nested N levels deep costs it
//! time in N². This pass reads the document once with the linear tokenizer of `scan.rs`, keeps
//! its own count of open elements, and writes markup in which html5ever finds nothing deeper
//! than the bound (every element it gets is closed explicitly, in order), so what ammonia then
//! does is linear too. Attributes are bounded as well: html5ever compares each attribute of a
//! tag with the ones before it, and only the allowlist's (two at most) get through.

use super::scan::{Scanner, Token, attributes};
use super::{TAG_ATTRIBUTES, TAGS};

/// Elements open at once, at most. Gumbo, which Mastodon's sanitiser parses with, stops at
/// 400 (sparklemotion/nokogiri lib/nokogiri/gumbo.rb); people nest quotes and lists a handful
/// of levels, so 64 keeps every real post whole and html5ever's cost per tag small.
pub const MAX_DEPTH: usize = 64;

/// Marks where a document was cut.
const ELLIPSIS: &str = "…";

/// Raw-text elements whose content is text to keep (that of `script` and `style` is dropped).
const READABLE_RAW: [&str; 3] = ["textarea", "title", "plaintext"];

/// Elements whose start closes an open `<p>` (HTML's "close a p element").
const CLOSES_P: [&str; 6] = ["p", "ul", "ol", "li", "blockquote", "pre"];

/// Elements that stop the search for an open `<li>` to close when another starts (HTML's
/// "special" elements among the allowed ones, but for `p`).
const LI_BARRIERS: [&str; 5] = ["li", "ul", "ol", "blockquote", "pre"];

/// A document after the bound.
pub(super) struct Bounded {
    /// The markup: allowed elements only, well nested, within the depth and the budget.
    pub html: String,
    /// Start tags dropped for being deeper than [`MAX_DEPTH`].
    pub flattened: usize,
    /// Whether the document was cut at the budget.
    pub truncated: bool,
}

/// Bounds `src` to [`MAX_DEPTH`] and `budget` bytes, in one pass.
pub(super) fn bound(src: &str, budget: usize) -> Bounded {
    let mut shaper = Shaper {
        out: String::with_capacity(src.len().min(budget)),
        stack: Vec::new(),
        open: [0; TAGS.len()],
        barriers: Vec::new(),
        shown: 0,
        close_len: 0,
        budget,
        flattened: 0,
        truncated: false,
    };
    for token in Scanner::new(src) {
        let fits = match token {
            Token::Text(t) => shaper.text(t),
            Token::Start { name, attrs } => tag_of(name).is_none_or(|tag| shaper.start(tag, attrs)),
            Token::End { name } => tag_of(name).is_none_or(|tag| shaper.end(tag)),
            Token::Raw { name, text }
                if READABLE_RAW.iter().any(|r| r.eq_ignore_ascii_case(name)) =>
            {
                shaper.text(text)
            }
            Token::Raw { .. } => true,
        };
        if !fits {
            shaper.out.push_str(ELLIPSIS);
            shaper.truncated = true;
            break;
        }
    }
    while !shaper.stack.is_empty() {
        shaper.pop();
    }
    Bounded {
        html: shaper.out,
        flattened: shaper.flattened,
        truncated: shaper.truncated,
    }
}

/// The index in [`TAGS`] of an allowed element.
fn tag_of(name: &str) -> Option<usize> {
    TAGS.iter().position(|t| t.eq_ignore_ascii_case(name))
}

/// An element the pass has open; `shown` when its start tag was written (not flattened).
struct Open {
    tag: usize,
    shown: bool,
}

struct Shaper {
    out: String,
    /// The open elements, innermost last.
    stack: Vec<Open>,
    /// How many of each tag are open, so an end tag with nothing to close costs nothing.
    open: [usize; TAGS.len()],
    /// Positions in `stack` of the open [`LI_BARRIERS`].
    barriers: Vec<usize>,
    /// Open elements whose start tag was written.
    shown: usize,
    /// Bytes of the end tags those need.
    close_len: usize,
    budget: usize,
    flattened: usize,
    truncated: bool,
}

impl Shaper {
    /// Whether `more` bytes fit, keeping room for the end tags and the ellipsis.
    fn fits(&self, more: usize) -> bool {
        let needed = self.out.len() + self.close_len + ELLIPSIS.len();
        needed.saturating_add(more) <= self.budget
    }

    /// Text, with `<` written as a reference so it cannot start a tag; `false` when it was cut.
    fn text(&mut self, t: &str) -> bool {
        let extra = 3 * t.bytes().filter(|&b| b == b'<').count();
        if self.fits(t.len() + extra) {
            push_text(&mut self.out, t);
            return true;
        }
        let room = self
            .budget
            .saturating_sub(self.out.len() + self.close_len + ELLIPSIS.len());
        // The longest prefix that fits written out (`<` as four bytes), found in one pass: a
        // search that counted the `<`s again for each shorter prefix was quadratic.
        let (mut cut, mut written) = (0, 0);
        for (at, c) in t.char_indices() {
            written += if c == '<' { 4 } else { c.len_utf8() };
            if written > room {
                break;
            }
            cut = at + c.len_utf8();
        }
        push_text(&mut self.out, &t[..cut]);
        false
    }

    /// A start tag of an allowed element; `false` when it does not fit the budget.
    fn start(&mut self, tag: usize, attrs: &str) -> bool {
        let name = TAGS[tag];
        if name == "br" {
            return self.line_break();
        }
        if name == "li"
            && let Some(&at) = self.barriers.last()
            && TAGS[self.stack[at].tag] == "li"
        {
            while self.stack.len() > at {
                self.pop();
            }
        }
        if CLOSES_P.contains(&name)
            && let Some(p) = tag_of("p")
            && self.open[p] > 0
        {
            self.close(p);
        }
        // A link does not hold a link: HTML closes the open one first (the adoption agency);
        // written nested, html5ever would read it as two, and cleaning again would change it.
        if name == "a" && self.open[tag] > 0 {
            self.close(tag);
        }
        let shown = self.shown < MAX_DEPTH;
        if shown {
            let written = start_tag(tag, attrs);
            let close = name.len() + 3;
            if !self.fits(written.len() + close) {
                return false;
            }
            self.out.push_str(&written);
            self.shown += 1;
            self.close_len += close;
        } else {
            self.flattened += 1;
        }
        if LI_BARRIERS.contains(&name) {
            self.barriers.push(self.stack.len());
        }
        self.stack.push(Open { tag, shown });
        self.open[tag] += 1;
        true
    }

    /// An end tag of an allowed element: the element and those open inside it are closed.
    fn end(&mut self, tag: usize) -> bool {
        // html5ever reads `</br>` as `<br>`.
        if TAGS[tag] == "br" {
            return self.line_break();
        }
        if self.open[tag] > 0 {
            self.close(tag);
        }
        true
    }

    fn line_break(&mut self) -> bool {
        if !self.fits(4) {
            return false;
        }
        self.out.push_str("<br>");
        true
    }

    /// Closes the innermost open `tag` and everything inside it (one is open).
    fn close(&mut self, tag: usize) {
        while let Some(closed) = self.pop()
            && closed != tag
        {}
    }

    /// Closes the innermost open element, writing its end tag if its start tag was written.
    fn pop(&mut self) -> Option<usize> {
        let closed = self.stack.pop()?;
        self.open[closed.tag] -= 1;
        if self.barriers.last() == Some(&self.stack.len()) {
            self.barriers.pop();
        }
        if closed.shown {
            let name = TAGS[closed.tag];
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push('>');
            self.shown -= 1;
            self.close_len -= name.len() + 3;
        }
        Some(closed.tag)
    }
}

/// Writes text, `<` as `&lt;`.
fn push_text(out: &mut String, t: &str) {
    if t.contains('<') {
        out.push_str(&t.replace('<', "&lt;"));
    } else {
        out.push_str(t);
    }
}

/// A start tag with the element's allowed attributes (the first of each name, as html5ever
/// keeps), every value double-quoted, in the allowlist's order whatever the document's: ammonia
/// puts `rel` where a `class` it drops was, so `class` before `href` came out as `rel` before
/// `href`, and after cleaning again as `href` before `rel` (cleaning must change nothing the
/// second time).
fn start_tag(tag: usize, attrs: &str) -> String {
    let name = TAGS[tag];
    let mut out = format!("<{name}");
    let allowed = TAG_ATTRIBUTES
        .iter()
        .find(|(t, _)| *t == name)
        .map_or(&[][..], |(_, a)| *a);
    if !allowed.is_empty() {
        let mut values: Vec<Option<&str>> = vec![None; allowed.len()];
        for attribute in attributes(attrs) {
            if let Some(k) = allowed
                .iter()
                .position(|a| a.eq_ignore_ascii_case(attribute.name))
            {
                values[k].get_or_insert(attribute.value.unwrap_or_default());
            }
        }
        for (attribute, value) in allowed.iter().zip(values) {
            let Some(value) = value else { continue };
            out.push(' ');
            out.push_str(attribute);
            out.push_str("=\"");
            out.push_str(&value.replace('"', "&quot;"));
            out.push('"');
        }
    }
    out.push('>');
    out
}
