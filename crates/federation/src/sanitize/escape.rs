//! The other way round: Kith's own plain text (a local summary, an organiser's note) made into
//! HTML that shows it as typed.

/// Escapes text for HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Plain text (a local summary) as HTML paragraphs.
pub fn plain_to_html(text: &str) -> String {
    text.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let escaped = escape_html(p.trim()).replace('\n', "<br>");
            format!("<p>{escaped}</p>")
        })
        .collect()
}
