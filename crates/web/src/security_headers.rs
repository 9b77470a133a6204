//! The headers every response carries so a browser limits what a page can do, whatever got
//! into it: a Content-Security-Policy that runs only Kith's own script and stylesheet (no
//! inline script, no plugins, no `<base>`, forms only to Kith, never framed), `X-Frame-Options`
//! for browsers without `frame-ancestors`, `X-Content-Type-Options: nosniff`, and a
//! `Referrer-Policy` that tells other sites nothing of the page a visitor came from.
//!
//! Applied as the outermost layer of the router, so pages, the JSON API, feeds, error pages,
//! the fallback 404 and answers from the document cache all carry them. A handler may set its
//! own policy (see [`allow_forms_to_other_servers`]); the layer keeps it.

use axum::{
    http::{HeaderValue, header},
    response::Response,
};

/// The policy of every page: Kith's own script and stylesheet (`/static/`), nothing inline,
/// nothing framed, no plugins, no `<base>` to re-point relative links, forms only to Kith.
pub const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'; object-src 'none'";

/// The same, for pages whose remote-interaction forms answer with a redirect to the visitor's
/// own server (browsers check `form-action` against every redirect a form submission follows).
const POLICY_REMOTE_FORMS: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self' https:; frame-ancestors 'none'; \
     base-uri 'none'; object-src 'none'";

/// [`POLICY_REMOTE_FORMS`] in development mode, where other servers speak plain http.
const POLICY_REMOTE_FORMS_DEV: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self' https: http:; \
     frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The middleware (`axum::middleware::map_response`): adds the headers, keeping a policy a
/// handler set.
pub async fn add(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Lets the forms of a page (remote join, remote answer) be sent on to another server's
/// follow page: `form-action` also allows `https:` (and `http:` in development mode).
pub fn allow_forms_to_other_servers(response: &mut Response, dev: bool) {
    let policy = if dev {
        POLICY_REMOTE_FORMS_DEV
    } else {
        POLICY_REMOTE_FORMS
    };
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
}
