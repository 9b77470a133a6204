//! Links and names that come from other servers, made safe to store and to show. Both checks
//! run twice: when a remote document is stored, and again when a page renders what is stored
//! (rows written before the check existed, or by another path, are covered too).
//!
//! A link is kept only as an absolute `http`/`https` URL with a host, parsed by the WHATWG URL
//! parser of the `url` crate, the one browsers follow (so `java\tscript:`, ` javascript:` and
//! `JAVASCRIPT:` are read as the `javascript:` they are, and refused). A name loses the Unicode
//! controls that reorder or hide what people read (bidi overrides, isolates and marks, and
//! zero-width characters), which would let `U+202E nimda` show as `admin`.

/// The longest link kept; longer ones are dropped (no page needs them, and they bloat rows).
pub const MAX_LINK: usize = 4096;

/// The link as it may be stored and put in an `href`: `Some` of the parsed and re-serialised
/// URL when `raw` is an absolute `http`/`https` URL with a host and at most [`MAX_LINK`] bytes;
/// `None` for `javascript:`, `data:`, `vbscript:`, relative links and anything else.
pub fn safe_link(raw: &str) -> Option<String> {
    if raw.len() > MAX_LINK {
        return None;
    }
    let url = url::Url::parse(raw).ok()?;
    let web = matches!(url.scheme(), "http" | "https") && url.host().is_some();
    (web && url.as_str().len() <= MAX_LINK).then(|| url.into())
}

/// [`safe_link`] of an optional value.
pub fn safe_link_of(raw: Option<&str>) -> Option<String> {
    raw.and_then(safe_link)
}

/// Whether a character is dropped from names: bidi embeddings, overrides, isolates and marks
/// (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), zero-width characters (U+200B–U+200D,
/// U+2060, U+FEFF) and control characters (C0, DEL, C1).
pub fn is_hidden_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{061C}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'
            | '\u{FEFF}'
    ) || c.is_control()
}

/// A display name (or another short text shown as a name: a title, a place) without the
/// characters of [`is_hidden_control`], trimmed.
pub fn clean_name(raw: &str) -> String {
    let kept: String = raw.chars().filter(|c| !is_hidden_control(*c)).collect();
    kept.trim().to_owned()
}

/// [`clean_name`] of an optional value; `None` when nothing visible is left.
pub fn clean_name_of(raw: Option<&str>) -> Option<String> {
    raw.map(clean_name).filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_with_a_host_are_kept() {
        assert_eq!(
            safe_link("https://mastodon.example/@felix").as_deref(),
            Some("https://mastodon.example/@felix")
        );
        assert_eq!(
            safe_link("HTTP://Example.COM/a b").as_deref(),
            Some("http://example.com/a%20b")
        );
        for hostile in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "javascript://mastodon.example/%0Aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "mailto:a@b.example",
            "/relative/path",
            "//evil.example/x",
            "",
        ] {
            assert_eq!(safe_link(hostile), None, "{hostile:?}");
        }
        let long = format!("https://a.example/{}", "x".repeat(MAX_LINK));
        assert_eq!(safe_link(&long), None);
    }

    #[test]
    fn names_lose_bidi_and_zero_width_characters() {
        assert_eq!(clean_name("\u{202E}nimda"), "nimda");
        assert_eq!(
            clean_name("Fe\u{200B}lix\u{2066}\u{2069}\u{200E}\u{FEFF} "),
            "Felix"
        );
        assert_eq!(clean_name("a\u{061C}b\u{2060}c\u{200D}d\u{200F}"), "abcd");
        assert_eq!(clean_name("line\nbreak\u{7}"), "linebreak");
        assert_eq!(clean_name("Zoë 🏃 Café"), "Zoë 🏃 Café");
        assert_eq!(clean_name_of(Some("\u{202E}\u{200B}")), None);
        assert_eq!(clean_name_of(None), None);
    }
}
