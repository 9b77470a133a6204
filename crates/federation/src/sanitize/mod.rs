//! Remote HTML, made safe and cheap once, when it arrives, before it is stored: cleaned to the
//! tags and classes Mastodon keeps (FEDERATION.md), with its nesting and size bounded first
//! (`bound.rs`) so that neither this cleaning nor anything that reads the stored HTML later
//! costs more than time in proportion to its length. Plain text is read from HTML in one linear
//! pass (`text.rs`), never by parsing it again.

mod bound;
mod escape;
mod scan;
mod text;

use std::collections::HashSet;
use std::sync::LazyLock;

use ammonia::Builder;

use crate::Counters;

pub use bound::MAX_DEPTH;
pub use escape::{escape_html, plain_to_html};
pub use text::{text, text_prefix};

/// Stored remote HTML is at most this many bytes; a longer document is cut. Pleroma and
/// Akkoma refuse remote posts over 100,000 characters by default (`remote_limit` in their
/// `config/config.exs`); a long Lemmy or blog post fits.
pub const MAX_BYTES: usize = 128 * 1024;

/// The elements kept: Mastodon's allowlist.
const TAGS: [&str; 16] = [
    "p",
    "span",
    "br",
    "a",
    "del",
    "pre",
    "code",
    "em",
    "strong",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "blockquote",
];

/// The attributes kept, per element: no `title`, `lang` or `style` on everything.
const TAG_ATTRIBUTES: [(&str, &[&str]); 4] = [
    ("a", &["href", "class"]),
    ("span", &["class"]),
    ("ol", &["start", "reversed"]),
    ("li", &["value"]),
];

static CLEANER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut b = Builder::empty();
    b.add_tags(TAGS).generic_attributes(HashSet::new());
    for (tag, attributes) in TAG_ATTRIBUTES {
        b.add_tag_attributes(tag, attributes.iter().copied());
    }
    b.url_schemes(HashSet::from(["http", "https", "mailto"]))
        // Links in what strangers wrote earn them no search ranking (`nofollow ugc`) and get no
        // handle on Kith's page (`noopener`).
        .link_rel(Some("nofollow ugc noopener"))
        .attribute_filter(|_, attr, value| {
            if attr != "class" {
                return Some(value.into());
            }
            // Only the microformat classes mentions and hashtags use survive.
            let kept: Vec<&str> = value
                .split_whitespace()
                .filter(|c| {
                    matches!(
                        *c,
                        "mention" | "hashtag" | "u-url" | "h-card" | "invisible" | "ellipsis"
                    )
                })
                .collect();
            (!kept.is_empty()).then(|| kept.join(" ").into())
        });
    b
});

/// Remote HTML after cleaning, and what the bounds took from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cleaned {
    /// Safe HTML: the allowlist only, at most [`MAX_DEPTH`] elements deep and [`MAX_BYTES`]
    /// long.
    pub html: String,
    /// Start tags dropped (their text kept) for being nested deeper than [`MAX_DEPTH`].
    pub flattened: usize,
    /// Whether the document was cut to [`MAX_BYTES`].
    pub truncated: bool,
}

/// Cleans HTML from another server: bounded in one linear pass, then sanitised by ammonia.
pub fn clean(input: &str) -> Cleaned {
    let mut budget = MAX_BYTES;
    loop {
        let bounded = bound::bound(input, budget);
        // A carriage return written as a reference (`&#xd`) comes out of html5ever as itself,
        // and an HTML parser reads it back as a line feed: written as one, the output reads
        // back as it is (cleaning it again changes nothing).
        let html = CLEANER.clean(&bounded.html).to_string().replace('\r', "\n");
        // Serialising adds a little (links get `rel`, a bare `&` becomes `&amp;`): when that
        // goes over, the document is cut shorter in proportion and cleaned again.
        if html.len() <= MAX_BYTES || budget <= 1024 {
            return Cleaned {
                html,
                flattened: bounded.flattened,
                truncated: bounded.truncated,
            };
        }
        budget = (budget * 9 / 10)
            .min(budget * MAX_BYTES / html.len())
            .max(1024);
    }
}

/// Whether stored HTML is within the bounds: at most [`MAX_BYTES`] long and [`MAX_DEPTH`]
/// elements deep (read in one linear pass).
pub fn within_bounds(html: &str) -> bool {
    html.len() <= MAX_BYTES && bound::bound(html, usize::MAX).flattened == 0
}

/// Cleans HTML from another server (see [`clean`]), counting in `counters` what was flattened
/// or cut and logging it with `source`, the id of the document it came from.
pub fn html(counters: &Counters, source: &str, input: &str) -> String {
    let cleaned = clean(input);
    if cleaned.flattened > 0 {
        Counters::bump(&counters.html_flattened);
        tracing::info!(
            source,
            tags = cleaned.flattened,
            "remote HTML nested deeper than {MAX_DEPTH}: flattened"
        );
    }
    if cleaned.truncated {
        Counters::bump(&counters.html_truncated);
        tracing::info!(source, "remote HTML longer than {MAX_BYTES} bytes: cut");
    }
    cleaned.html
}

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;
