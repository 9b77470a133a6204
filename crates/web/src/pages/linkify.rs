//! Bare web addresses in rendered text made into links, after sanitising: the HTML given is
//! already safe (sanitised on arrival, or written by Kith from plain text), so only its text
//! between tags is looked at, never text already inside a link, and an address becomes a link
//! only when `untrusted::safe_link` takes it (http(s), no credentials, no odd characters).
//! Mentions (`@name@host`) link to `/mention/@name@host`, which sends the reader to the
//! person's page here or their profile elsewhere, when Kith knows them.

use kith_federation::untrusted::safe_link;

/// Where an address in escaped text ends: white space, a quote or angle bracket, or an escaped
/// one.
const ENDS: [&str; 9] = [
    "&lt;", "&gt;", "&quot;", "&#34;", "&#39;", "&#x27;", "\"", "'", "<",
];

/// The HTML with bare `http://` and `https://` addresses in its text made into links
/// (`rel="nofollow noopener ugc"`), shown as written.
pub fn linkify(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    let mut in_link = 0usize;
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            let tag = rest[..end].to_ascii_lowercase();
            if tag.starts_with("<a ") || tag == "<a>" {
                in_link += 1;
            } else if tag.starts_with("</a") {
                in_link = in_link.saturating_sub(1);
            }
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        match in_link {
            0 => link_text(&rest[..end], &mut out),
            _ => out.push_str(&rest[..end]),
        }
        rest = &rest[end..];
    }
    out
}

fn link_text(text: &str, out: &mut String) {
    let mut rest = text;
    // Mentions first, between them the addresses.
    while let Some((start, end)) = next_mention(rest) {
        link_addresses(&rest[..start], out);
        let mention = &rest[start..end];
        out.push_str("<a href=\"/mention/");
        out.push_str(mention);
        out.push_str("\" class=\"mention\" rel=\"nofollow\">");
        out.push_str(mention);
        out.push_str("</a>");
        rest = &rest[end..];
    }
    link_addresses(rest, out);
}

/// The next `@name@host` in escaped text that starts a word: its byte range.
fn next_mention(text: &str) -> Option<(usize, usize)> {
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-';
    let host_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':';
    let mut from = 0;
    while let Some(i) = text[from..].find('@').map(|i| i + from) {
        from = i + 1;
        let starts_word = text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == '(' || c == '>');
        if !starts_word {
            continue;
        }
        let after = &text[i + 1..];
        let name_len = after.find(|c: char| !name_char(c)).unwrap_or(after.len());
        if name_len == 0 || !after[name_len..].starts_with('@') {
            continue;
        }
        let host = &after[name_len + 1..];
        let mut host_len = host.find(|c: char| !host_char(c)).unwrap_or(host.len());
        while host_len > 0 && host[..host_len].ends_with(['.', ':', '-']) {
            host_len -= 1;
        }
        if host_len == 0 || !host[..host_len].contains('.') && !host[..host_len].contains(':') {
            continue;
        }
        return Some((i, i + 1 + name_len + 1 + host_len));
    }
    None
}

fn link_addresses(text: &str, out: &mut String) {
    let mut rest = text;
    // One pass: each `http` is looked at once (no search that starts over from the same place).
    while let Some(at) = rest.find("http") {
        if !(rest[at..].starts_with("https://") || rest[at..].starts_with("http://")) {
            out.push_str(&rest[..at + 4]);
            rest = &rest[at + 4..];
            continue;
        }
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let mut len = tail
            .char_indices()
            .find(|(i, c)| c.is_whitespace() || ENDS.iter().any(|e| tail[*i..].starts_with(e)))
            .map_or(tail.len(), |(i, _)| i);
        // Sentence punctuation after an address is not part of it.
        while len > 0 && tail[..len].ends_with(['.', ',', ';', ':', '!', '?', ')']) {
            len -= 1;
        }
        let url = &tail[..len];
        let scheme_only = url.ends_with("//");
        match safe_link(&url.replace("&amp;", "&")) {
            Some(_) if !scheme_only => {
                out.push_str("<a href=\"");
                out.push_str(url);
                out.push_str("\" rel=\"nofollow noopener ugc\">");
                out.push_str(url);
                out.push_str("</a>");
            }
            _ => out.push_str(url),
        }
        rest = &tail[len..];
        if len == 0 {
            // Not an address after all: keep one character and look further.
            let step = rest.chars().next().map_or(0, char::len_utf8);
            out.push_str(&rest[..step]);
            rest = &rest[step..];
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::linkify;

    #[test]
    fn bare_addresses_become_links_and_nothing_else_does() {
        assert_eq!(
            linkify("<p>Route: https://example.org/run?a=1&amp;b=2.</p>"),
            "<p>Route: <a href=\"https://example.org/run?a=1&amp;b=2\" \
             rel=\"nofollow noopener ugc\">https://example.org/run?a=1&amp;b=2</a>.</p>"
        );
        // Already a link: left alone, text and attribute.
        let linked = "<p><a href=\"https://a.example/\">https://a.example/</a> ok</p>";
        assert_eq!(linkify(linked), linked);
        // Not web links, or broken ones.
        for text in [
            "<p>javascript:alert(1)</p>",
            "<p>https://</p>",
            "<p>ftp://files.example/x</p>",
            "<p>see http:// later</p>",
        ] {
            assert_eq!(linkify(text), text);
        }
        // An escaped quote or bracket ends the address: nothing breaks out of the attribute.
        let out = linkify("<p>https://x.example/&quot;onmouseover=&quot;alert(1) &lt;b&gt;</p>");
        assert!(
            out.starts_with("<p><a href=\"https://x.example/\" rel"),
            "{out}"
        );
        assert!(!out.contains("\"onmouseover"), "{out}");
        // Two in a row, in parentheses, and non-ASCII text around them.
        assert_eq!(
            linkify("<p>(https://a.example) é https://b.example</p>"),
            "<p>(<a href=\"https://a.example\" rel=\"nofollow noopener ugc\">https://a.example</a>) é \
             <a href=\"https://b.example\" rel=\"nofollow noopener ugc\">https://b.example</a></p>"
        );
        assert_eq!(
            linkify("<p>httpx http:/ https://c.example</p>")
                .matches("<a ")
                .count(),
            1
        );
    }

    #[test]
    fn mentions_become_links_to_the_resolver() {
        assert_eq!(
            linkify("<p>Thanks @mia@runners.example.</p>"),
            "<p>Thanks <a href=\"/mention/@mia@runners.example\" class=\"mention\" \
             rel=\"nofollow\">@mia@runners.example</a>.</p>"
        );
        // Not mentions: an e-mail-like word, a lone @name, a name with odd characters.
        for text in [
            "<p>mail mia@runners.example</p>",
            "<p>hi @mia</p>",
            "<p>@mi&quot;a@x.example</p>",
        ] {
            assert_eq!(linkify(text), text);
        }
        // In a link already: left alone.
        let linked = "<p><a href=\"https://m.example/@mia\">@mia@m.example</a></p>";
        assert_eq!(linkify(linked), linked);
    }
}
