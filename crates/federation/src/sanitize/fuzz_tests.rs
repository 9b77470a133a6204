//! Property tests of the sanitiser (the long run: `scripts/fuzz`): on arbitrary text and on tag
//! soup built from the allowlist, hostile elements and attributes, comments, quotes and deep
//! nesting, the cleaned HTML is bounded, stable when cleaned again, and holds nothing that runs;
//! the bound keeps its budget; the tokenizer and the text extraction stay linear.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::bound::bound;
use super::scan::{Scanner, Token, attributes};
use super::{MAX_BYTES, MAX_DEPTH, TAG_ATTRIBUTES, TAGS, clean, text, text_prefix};

/// Proptest's configuration (`PROPTEST_CASES` honoured), the count divided by `cost`.
fn config(cost: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: (default.cases / cost).max(4),
        ..default
    }
}

/// Element names the generated documents use: the allowlist (`TAGS`) and the hostile or
/// unknown ones a sanitiser must drop, in odd cases too.
const HOSTILE_NAMES: &[&str] = &[
    "script",
    "style",
    "iframe",
    "textarea",
    "title",
    "plaintext",
    "xmp",
    "img",
    "svg",
    "math",
    "table",
    "td",
    "div",
    "form",
    "noscript",
    "template",
    "A",
    "ScRiPt",
    "P",
];

fn names() -> Vec<&'static str> {
    super::TAGS.iter().chain(HOSTILE_NAMES).copied().collect()
}

const ATTRS: &[&str] = &[
    "href", "class", "start", "reversed", "value", "onclick", "onerror", "ONLOAD", "style", "src",
    "rel", "id", "=x", "\"", "href\t",
];

const VALUES: &[&str] = &[
    "https://a.example/x",
    "http://a.example/?q=1&amp;r=2",
    "mailto:a@b.example",
    "javascript:alert(1)",
    " JAVASCRIPT:alert(1)",
    "java\tscript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript&colon;alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:x",
    "/relative",
    "//evil.example",
    "mention hashtag u-url evil",
    "h-card invisible",
    "\"><script>alert(1)</script>",
    "1",
    "",
];

/// A piece of HTML: a tag (allowed, hostile or unknown, with odd attributes and quoting), an end
/// tag, text, a comment or other markup-like debris.
fn piece() -> impl Strategy<Value = String> {
    let attr = (
        prop::sample::select(ATTRS),
        prop::sample::select(VALUES),
        0u8..4,
    )
        .prop_map(|(name, value, quote)| match quote {
            0 => format!(" {name}=\"{value}\""),
            1 => format!(" {name}='{value}'"),
            2 => format!(" {name}={value}"),
            _ => format!(" {name}"),
        });
    prop_oneof![
        6 => (prop::sample::select(names()), prop::collection::vec(attr, 0..3), any::<bool>())
            .prop_map(|(n, a, slash)| format!("<{n}{}{}>", a.concat(), if slash { "/" } else { "" })),
        4 => prop::sample::select(names()).prop_map(|n| format!("</{n}>")),
        4 => "[a-z &;#<>\"'=/\u{a0}é😀-]{0,12}",
        1 => prop::sample::select(&[
            "<!--", "-->", "--!>", "<!-->", "<!DOCTYPE html>", "<?xml?>", "</", "<", ">", "</ >",
            "<![CDATA[", "]]>", "&", "&amp;", "&lt;", "&#0;", "&#x110000;", "&#128512;", "\0",
            "\r\n", "<a href=\"", "<p title='",
        ][..]).prop_map(str::to_owned),
    ]
}

/// Tag soup, sometimes with a deep run of nesting in it.
fn soup() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(piece(), 0..40),
        prop::sample::select(&["<p>", "<blockquote>", "<ul><li>", "<span>", "<b><i>", "<a>"][..]),
        0usize..300,
        any::<bool>(),
    )
        .prop_map(|(pieces, open, depth, close)| {
            let mut html = pieces.concat();
            let mut run = open.repeat(depth);
            if close {
                run.push_str(&"</li></ul></blockquote></span></i></b></a></p>".repeat(depth / 2));
            }
            let middle = (0..=html.len() / 2)
                .rev()
                .find(|&i| html.is_char_boundary(i));
            html.insert_str(middle.unwrap_or(0), &run);
            html
        })
}

/// The deepest nesting of elements in markup, and whether every end tag closed the innermost
/// open element.
fn depth(html: &str) -> (usize, bool) {
    let (mut stack, mut deepest, mut nested) = (Vec::new(), 0, true);
    for token in Scanner::new(html) {
        match token {
            Token::Start { name, .. } if name != "br" => stack.push(name),
            Token::End { name } => nested &= stack.pop() == Some(name),
            _ => {}
        }
        deepest = deepest.max(stack.len());
    }
    (deepest, nested && stack.is_empty())
}

/// What a browser does to an `href` before reading its scheme: references decoded (the ones
/// html5ever writes), tabs and newlines dropped, leading and trailing controls and spaces
/// trimmed.
fn href_as_read(value: &str) -> String {
    let decoded = value
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u{a0}")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let kept: String = decoded
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    kept.trim_matches(|c: char| c <= ' ').to_owned()
}

/// The rules cleaned HTML keeps (see the property).
fn assert_safe(html: &str) -> Result<(), TestCaseError> {
    let lower = html.to_ascii_lowercase();
    for hostile in ["<script", "<style", "<iframe", "<img", "<svg", "<!--"] {
        prop_assert!(!lower.contains(hostile), "{} in {}", hostile, html);
    }
    let (deepest, nested) = depth(html);
    prop_assert!(deepest <= MAX_DEPTH, "{} deep", deepest);
    prop_assert!(nested, "not well nested: {}", html);
    for token in Scanner::new(html) {
        let Token::Start { name, attrs } = token else {
            continue;
        };
        prop_assert!(TAGS.contains(&name), "<{}> kept", name);
        let allowed = TAG_ATTRIBUTES
            .iter()
            .find(|(t, _)| *t == name)
            .map_or(&[][..], |a| a.1);
        for attribute in attributes(attrs) {
            let ok = allowed.contains(&attribute.name) || (name == "a" && attribute.name == "rel");
            prop_assert!(
                ok,
                "{}={:?} kept on <{}>",
                attribute.name,
                attribute.value,
                name
            );
            if attribute.name == "href" {
                let href = href_as_read(attribute.value.unwrap_or_default());
                if let Ok(url) = url::Url::parse(&href) {
                    prop_assert!(
                        matches!(url.scheme(), "http" | "https" | "mailto"),
                        "href {:?}",
                        href
                    );
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(1))]

    /// Cleaned HTML is within [`MAX_BYTES`] and [`MAX_DEPTH`], well nested, holds only the
    /// allowlist (no script, no event handler, no link but http(s) and mailto), and cleaning
    /// it again changes nothing.
    #[test]
    fn cleaned_html_is_bounded_safe_and_stable(html in prop_oneof![soup(), any::<String>()]) {
        let cleaned = clean(&html);
        prop_assert!(cleaned.html.len() <= MAX_BYTES);
        assert_safe(&cleaned.html)?;
        let again = clean(&cleaned.html);
        prop_assert_eq!(&again.html, &cleaned.html, "from {:?}", html);
        prop_assert_eq!(again.flattened, 0);
        prop_assert!(!again.truncated);
    }

    /// The bound keeps any budget of at least a few bytes and writes well-nested markup at
    /// most [`MAX_DEPTH`] deep.
    #[test]
    fn the_bound_keeps_its_budget(html in soup(), budget in 0usize..400) {
        let bounded = bound(&html, budget);
        prop_assert!(bounded.html.len() <= budget.max(3), "{} > {}", bounded.html.len(), budget);
        let (deepest, nested) = depth(&bounded.html);
        prop_assert!(deepest <= MAX_DEPTH && nested, "{}", bounded.html);
        let whole = bound(&html, usize::MAX);
        prop_assert!(!whole.truncated);
        if !bounded.truncated {
            prop_assert_eq!(&bounded.html, &whole.html);
        }
    }

    /// Tokens are pieces of the document, in order, never overlapping.
    #[test]
    fn tokens_are_ordered_pieces_of_the_document(html in prop_oneof![soup(), any::<String>()]) {
        let start = html.as_ptr() as usize;
        let mut at = 0;
        let mut count = 0;
        for token in Scanner::new(&html) {
            let piece = match token {
                Token::Text(t) | Token::Raw { text: t, .. } => t,
                Token::Start { name, .. } | Token::End { name } => name,
            };
            // A stray `<` or `</` comes back as a constant, not as a piece of the document.
            let Some(offset) = (piece.as_ptr() as usize).checked_sub(start)
                .filter(|&o| o <= html.len())
            else {
                prop_assert!(piece == "<" || piece == "</");
                continue;
            };
            prop_assert!(offset >= at && offset + piece.len() <= html.len());
            at = offset + piece.len();
            count += 1;
            prop_assert!(count <= html.len() + 1);
        }
    }

    /// Plain text: no longer than the document, no markup left of cleaned HTML, and a prefix
    /// is the start of the whole text.
    #[test]
    fn text_is_a_bounded_reading(html in prop_oneof![soup(), any::<String>()], max in 0usize..64) {
        let whole = text(&html);
        prop_assert!(whole.chars().count() <= html.len());
        let (prefix, more) = text_prefix(&html, max);
        prop_assert!(prefix.chars().count() <= max);
        prop_assert!(whole.starts_with(&prefix), "{:?} / {:?}", prefix, whole);
        if !more {
            prop_assert_eq!(&prefix, &whole);
        }
    }
}

/// Adversarial documents of about 200 KiB: one unit repeated.
fn large() -> impl Strategy<Value = String> {
    let unit = prop_oneof![
        piece(),
        prop::sample::select(
            &[
                "<p>",
                "<a href=\"",
                "<!--",
                "--",
                "</",
                "<script>",
                "</scrip",
                "<b ",
                "=\"",
                "<textarea>",
                "&#",
                "<li><ul>",
                "<blockquote>",
                "<span class=\"mention",
            ][..]
        )
        .prop_map(str::to_owned),
    ];
    (prop::collection::vec(unit, 1..4), 150_000usize..210_000).prop_map(|(units, size)| {
        let unit = units.concat();
        unit.repeat(size / unit.len().max(1) + 1)
    })
}

proptest! {
    #![proptest_config(config(32))]

    /// 200 KiB of adversarial markup is read in time in proportion to its length: the output is
    /// bounded, and the passes finish well inside a loose limit (a quadratic pass would take
    /// minutes here).
    #[test]
    fn large_documents_stay_linear(html in large()) {
        let started = Instant::now();
        let bounded = bound(&html, MAX_BYTES);
        prop_assert!(bounded.html.len() <= MAX_BYTES);
        let plain = text(&html);
        prop_assert!(plain.len() <= html.len() * 2);
        let tokens = Scanner::new(&html).count();
        prop_assert!(tokens <= html.len() + 1);
        let limit = if cfg!(debug_assertions) { 20 } else { 2 };
        prop_assert!(started.elapsed() < Duration::from_secs(limit), "{:?}", started.elapsed());
        let cleaned = clean(&html);
        assert_safe(&cleaned.html)?;
    }
}
