//! Property tests of the readers of short untrusted strings: handles (`name@host`), links and
//! names from remote documents, and `Retry-After`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fuzz_support;

use std::time::{Duration, UNIX_EPOCH};

use fuzz_support::{config, text, url_like};
use kith_federation::outbound::answers::{MAX_RETRY_AFTER, retry_after};
use kith_federation::protocol::Handle;
use kith_federation::untrusted::{MAX_LINK, clean_name, is_hidden_control, safe_link};
use proptest::prelude::*;

/// Handles: well-formed ones with odd hosts and names, and anything.
fn handle_like() -> impl Strategy<Value = String> {
    let name = prop_oneof!["[a-zA-Z0-9._~%-]{1,12}", text()];
    let host = prop_oneof![
        "[a-z0-9.-]{1,12}(:[0-9]{0,6})?",
        "\\[[0-9a-f:.]{2,20}\\](:[0-9]{1,5})?",
        text(),
        url_like(),
    ];
    let prefix = prop::sample::select(&["", "@", "acct:", "ACCT:@", " "][..]);
    prop_oneof![
        4 => (prefix, name, host).prop_map(|(p, n, h)| format!("{p}{n}@{h}")),
        1 => text(),
    ]
}

proptest! {
    #![proptest_config(config(1))]

    /// A parsed handle's host is a host and nothing more, its name an `acct:` user part, and
    /// reading its written form again gives the same handle.
    #[test]
    fn handles_are_a_name_and_a_bare_host(raw in handle_like(), http in any::<bool>()) {
        let scheme = if http { "http" } else { "https" };
        let Ok(handle) = Handle::parse(&raw, scheme) else { return Ok(()) };
        let forbidden = |c: char| "/?#@\\".contains(c) || c.is_whitespace() || c.is_control();
        prop_assert!(!handle.host.is_empty());
        prop_assert!(!handle.host.chars().any(forbidden), "host {:?}", handle.host);
        prop_assert!(handle.host.is_ascii(), "host {:?}", handle.host);
        prop_assert!(!handle.name.is_empty() && !handle.name.chars().any(forbidden));
        prop_assert_eq!(Handle::parse(&handle.to_string(), scheme).ok(), Some(handle.clone()));
        let url = handle.webfinger_url(scheme).unwrap();
        prop_assert_eq!(url.path(), "/.well-known/webfinger");
        let authority = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap()),
            None => url.host_str().unwrap().to_owned(),
        };
        prop_assert_eq!(authority, handle.host.clone());
        let resource: Vec<_> = url.query_pairs().collect();
        prop_assert_eq!(resource.len(), 1);
        prop_assert_eq!(resource[0].1.as_ref(), handle.acct());
    }

    /// A kept link is an absolute http(s) URL with a host, no longer than [`MAX_LINK`], that
    /// reads back as itself.
    #[test]
    fn safe_links_are_web_urls_with_a_host(raw in url_like()) {
        let Some(link) = safe_link(&raw) else { return Ok(()) };
        let url = url::Url::parse(&link).unwrap();
        prop_assert!(matches!(url.scheme(), "http" | "https"), "{}", link);
        prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()), "{}", link);
        prop_assert!(link.len() <= MAX_LINK);
        prop_assert!(!link.chars().any(|c| c.is_whitespace() || c.is_control()), "{:?}", link);
        prop_assert_eq!(safe_link(&link), Some(link.clone()));
    }

    /// A cleaned name has no hidden controls, is trimmed, and cleans to itself.
    #[test]
    fn clean_names_are_visible_and_stable(raw in text()) {
        let name = clean_name(&raw);
        prop_assert!(!name.chars().any(is_hidden_control), "{:?}", name);
        prop_assert_eq!(name.trim(), name.as_str());
        prop_assert_eq!(clean_name(&name), name.clone());
    }

    /// `Retry-After`: read as a time between a second and [`MAX_RETRY_AFTER`] ahead, or not at
    /// all; a number of seconds and an HTTP date read as what they say.
    #[test]
    fn retry_after_is_bounded(
        raw in prop_oneof![text(), "[ ]?[0-9]{1,25}[ ]?", "-?[0-9]{1,5}"],
        now in 0i64..8_000_000_000_000,
        seconds in 0u64..100_000,
    ) {
        let max = MAX_RETRY_AFTER.as_millis() as i64;
        if let Some(at) = retry_after(&raw, now) {
            prop_assert!(at >= now + 1_000 && at <= now + max, "{:?} -> {}", raw, at - now);
        }
        let wait = (seconds as i64 * 1000).clamp(1_000, max);
        prop_assert_eq!(retry_after(&seconds.to_string(), now), Some(now + wait));
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(now as u64 / 1000 + seconds));
        let expected = (seconds as i64 * 1000 - now % 1000).clamp(1_000, max);
        prop_assert_eq!(retry_after(&date, now), Some(now + expected));
    }
}
