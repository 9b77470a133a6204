//! Remote HTML, cleaned to the tags and classes Mastodon keeps (DESIGN §9) before it is stored.

use std::collections::HashSet;
use std::sync::LazyLock;

use ammonia::Builder;

static CLEANER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut b = Builder::empty();
    b.add_tags([
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
    ])
    // Only the attributes listed per tag: no `title`, `lang` or `style` on everything.
    .generic_attributes(HashSet::new())
    .add_tag_attributes("a", ["href", "class"])
    .add_tag_attributes("span", ["class"])
    .add_tag_attributes("ol", ["start", "reversed"])
    .add_tag_attributes("li", ["value"])
    .url_schemes(HashSet::from(["http", "https", "mailto"]))
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

/// Sanitises HTML from another server.
pub fn html(input: &str) -> String {
    CLEANER.clean(input).to_string()
}

static TEXT_ONLY: LazyLock<Builder<'static>> = LazyLock::new(Builder::empty);

/// The text of an HTML fragment (for iCalendar descriptions): tags dropped, paragraph and line
/// breaks kept as new lines, entities decoded.
pub fn html_to_text(input: &str) -> String {
    let spaced = input
        .replace("</p>", "\n\n")
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n");
    let text = TEXT_ONLY.clean(&spaced).to_string();
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hostile_html_is_defused() {
        let out = super::html(
            r#"<p onclick="x()">hi <script>alert(1)</script><a href="javascript:alert(1)">x</a>
            <a href="https://m.example/@a" class="u-url mention evil">@a</a><img src=x></p>"#,
        );
        assert!(!out.contains("script") && !out.contains("onclick") && !out.contains("img"));
        assert!(!out.contains("javascript"));
        assert!(out.contains(r#"class="u-url mention""#), "{out}");
        assert!(out.contains("rel=\"nofollow ugc noopener\""));
    }
}
