//! Tests of the sanitiser: what it keeps and drops, the nesting and size bounds, and the plain
//! text read back.

use std::time::{Duration, Instant};

use super::{MAX_BYTES, MAX_DEPTH, clean, text, text_prefix};

/// `levels` levels of `<blockquote><ul><li>`, each with a word in it, all closed.
fn nested(levels: usize) -> String {
    let mut html = String::new();
    for n in 0..levels {
        html.push_str(&format!("<blockquote><ul><li>w{n} "));
    }
    html.push_str(&"</li></ul></blockquote>".repeat(levels));
    html
}

/// The deepest nesting of elements in well-formed markup.
fn depth(html: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0);
    for token in super::scan::Scanner::new(html) {
        match token {
            super::scan::Token::Start { name, .. } if name != "br" => depth += 1,
            super::scan::Token::End { .. } => depth = depth.saturating_sub(1),
            _ => {}
        }
        deepest = deepest.max(depth);
    }
    deepest
}

#[test]
fn hostile_html_is_defused() {
    let out = clean(
        r#"<p onclick="x()">hi <script>alert(1)</script><a href="javascript:alert(1)">x</a>
        <a href="https://m.example/@a" class="u-url mention evil">@a</a><img src=x></p>"#,
    )
    .html;
    assert!(!out.contains("script") && !out.contains("onclick") && !out.contains("img"));
    assert!(!out.contains("javascript") && !out.contains("alert"));
    assert!(out.contains(r#"class="u-url mention""#), "{out}");
    assert!(out.contains("rel=\"nofollow ugc noopener\""));
}

#[test]
fn ordinary_posts_come_through_as_before() {
    let mastodon = r#"<p>Hello <span class="h-card" translate="no"><a href="https://k.example/g/run" class="u-url mention">@<span>run</span></a></span> &amp; all</p><p>line<br />two</p>"#;
    let out = clean(mastodon);
    assert_eq!(
        out.html,
        r#"<p>Hello <span class="h-card"><a href="https://k.example/g/run" class="u-url mention" rel="nofollow ugc noopener">@<span>run</span></a></span> &amp; all</p><p>line<br>two</p>"#
    );
    assert_eq!((out.flattened, out.truncated), (0, false));
    // Unclosed items and paragraphs close as HTML closes them, without counting as nesting.
    let loose = format!("<ul>{}</ul>", "<li>item".repeat(200));
    let out = clean(&loose);
    assert_eq!(out.flattened, 0);
    assert_eq!(out.html.matches("<li>").count(), 200);
    assert_eq!(clean(&"<p>para".repeat(200)).flattened, 0);
    // Attributes are read as HTML reads them: quoted `>`, single quotes, no value.
    let out = clean(r#"<ol start='3' reversed data-x=">"><li value=2>a</li></ol>"#);
    assert_eq!(
        out.html,
        r#"<ol start="3" reversed=""><li value="2">a</li></ol>"#
    );
    // Comments and unknown elements go; the text of unknown elements stays.
    assert_eq!(
        clean("<!-- <ul> --><div>a<h1>b</h1></div><style>x{}</style>").html,
        "ab"
    );
}

#[test]
fn deep_nesting_is_flattened_and_its_text_kept() {
    let levels = 20_000;
    let out = clean(&nested(levels));
    assert!(depth(&out.html) <= MAX_DEPTH, "{}", depth(&out.html));
    // Three tags a level: all beyond the bound were dropped, and counted.
    assert_eq!(out.flattened, 3 * levels - MAX_DEPTH);
    for n in [0, 1_000, levels - 1] {
        assert!(
            out.html.contains(&format!("w{n} ")),
            "the word of level {n} is kept"
        );
    }
    // Unclosed, and mixed with inline elements: the same bound.
    let open = format!("{}x", "<blockquote><b><ul><li><em>".repeat(5_000));
    let out = clean(&open);
    assert!(depth(&out.html) <= MAX_DEPTH + 1, "{}", depth(&out.html));
    assert!(out.flattened > 20_000);
    assert!(out.html.contains('x'), "the text inside is kept");
    // Nesting within the bound is left as it is.
    let shallow = nested(MAX_DEPTH / 3);
    let out = clean(&shallow);
    assert_eq!(out.flattened, 0);
    assert_eq!(out.html, shallow);
}

#[test]
fn the_bound_costs_time_in_proportion_to_length() {
    // Before the bound, html5ever spent seconds on this (N² in the depth); the generous
    // limit leaves room for an unoptimised build on a busy machine.
    let started = Instant::now();
    let out = clean(&nested(20_000));
    assert!(out.flattened > 0);
    let deep = started.elapsed();
    assert!(deep < Duration::from_secs(5), "{deep:?}");
    // A tag with a hundred thousand attributes (html5ever checks each against the others).
    let attributes: String = (0..100_000).map(|n| format!(" a{n}")).collect();
    let started = Instant::now();
    let out = clean(&format!("<a{attributes} href=\"https://x.example/\">x</a>"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        out.html.starts_with("<a href=\"https://x.example/\""),
        "{}",
        out.html
    );
}

#[test]
fn long_documents_are_cut_to_the_size_bound() {
    let long = format!("<p>{}</p><p>end</p>", "word ".repeat(MAX_BYTES / 4));
    let out = clean(&long);
    assert!(out.truncated);
    assert!(out.html.len() <= MAX_BYTES, "{}", out.html.len());
    assert!(out.html.starts_with("<p>word word"));
    assert!(out.html.ends_with("…</p>"), "closed after the cut");
    assert!(!out.html.contains("end"));
    // Links grow when cleaned (they get `rel`): still within the bound.
    let links = "<a href=\"https://x.example/\">x</a>".repeat(MAX_BYTES / 20);
    let out = clean(&links);
    assert!(
        out.truncated && out.html.len() <= MAX_BYTES,
        "{}",
        out.html.len()
    );
    // Within the bound, nothing is cut.
    assert!(!clean("<p>short</p>").truncated);
}

#[test]
fn text_is_read_without_a_tree() {
    assert_eq!(
        text(
            "<p>Tom &amp; Jerry &lt;3</p><p>line<br>two &#39;x&#x27; &nbsp;</p><ul><li>a</li><li>b</li></ul>"
        ),
        "Tom & Jerry <3\n\nline\ntwo 'x'  \n\na\nb"
    );
    assert_eq!(
        text("<script>x()</script>a<!-- b -->c &bogus; &"),
        "ac &bogus; &"
    );
    let (prefix, more) = text_prefix("<p>  abcdef</p>", 3);
    assert_eq!((prefix.as_str(), more), ("abc", true));
    assert_eq!(text_prefix("<p>abc</p>  ", 3), ("abc".to_owned(), false));
    // A stored row from before the bound: read in one pass, text and all.
    let started = Instant::now();
    let plain = text(&nested(20_000));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(plain.starts_with("w0 w1 ") && plain.contains("w19999"));
}

/// A run of text full of `<` cut at the budget (each `<` is written as four bytes): the cut is
/// found in one pass. Found by the long run of the property tests (`fuzz_tests.rs`, a 200 KB
/// document of `<textarea>`s): the cut was searched a byte at a time, counting the `<`s again
/// each time, quadratic in the length.
#[test]
fn text_full_of_lt_is_cut_in_linear_time() {
    for html in [
        format!("<textarea>{}", "<".repeat(200_000)),
        "<textarea>".repeat(20_000),
        format!("<p>x</p><title>{}", "a<".repeat(100_000)),
    ] {
        let started = Instant::now();
        let cleaned = clean(&html);
        assert!(cleaned.truncated && cleaned.html.len() <= MAX_BYTES);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
}

/// Cleaning cleaned HTML changes nothing, whatever order a link's attributes came in. Found by
/// the long run of the property tests (`fuzz_tests.rs`): ammonia writes `rel` where a dropped
/// `class` was, so `<a class="x" href="…">` came out `rel` first, and `href` first once cleaned
/// again.
#[test]
fn cleaning_again_changes_nothing() {
    for html in [
        r#"<a class="x" href="https://a.example/x">t</a>"#,
        r#"<A class="mailto:a@b.example" href	="https://a.example/x">"/-&;a&;a<p>"#,
        r#"<a class="mention" href="https://a.example/x" class="x">t</a>"#,
        r#"<ol reversed start="3"><li value="2">a</li></ol>"#,
        "&#xd<p href=\"https://a.example/x\">",
        "<a href=\"https://a.example/&#13;x\">a&#13;b</a>",
    ] {
        let once = clean(html).html;
        assert_eq!(clean(&once).html, once, "{html}");
    }
    assert_eq!(
        clean(r#"<a class="x" href="https://a.example/x">t</a>"#).html,
        r#"<a href="https://a.example/x" rel="nofollow ugc noopener">t</a>"#
    );
}

/// Plain text of a document of `&#`s is read in one pass (found by the long run of the property
/// tests: each `&#` looked for its `;` in the whole rest of the document).
#[test]
fn references_are_read_in_linear_time() {
    // A megabyte, the largest body the inbox reads.
    let html = "&#".repeat(500_000);
    let started = Instant::now();
    assert_eq!(text(&html), html);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        text("&#233; &#x1F600; &#1234567890; x;"),
        "é 😀 &#1234567890; x;"
    );
}

/// A link inside a link is closed first, as HTML does, so cleaning again changes nothing (found
/// by the long run of the property tests).
#[test]
fn a_link_in_a_link_closes_the_first() {
    for html in [
        "<a><p><a>x</a></p></a>",
        "<p><a href=\"https://a.example/1\">a<a href=\"https://a.example/2\">b</a></p>",
        "<a></p><p><del><p></del><de<blockquote><blockquote><blockquote><blockquote><blockquote>\
         <blockquote><blockquote><blockquote>l><del><del><p></p><p><p><A>",
        "<p><a>x<p><a>y",
    ] {
        let once = clean(html).html;
        assert!(!once.contains("noopener\"><a"), "{once}");
        assert_eq!(clean(&once).html, once, "{html}");
    }
}
