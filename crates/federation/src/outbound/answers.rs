//! What a receiving server's answer to a delivery means (`delivery.rs`): 2xx is done; `429` or
//! `503` with `Retry-After` (delay-seconds or an HTTP date) asks for another try no sooner than
//! it says (Mastodon 4.6 answers `503` when it could not fetch the sender's key for a moment);
//! another 4xx than 408 and 429 is a refusal, kept with the start of what the server said;
//! anything else is worth another try.

use std::time::Duration;

use kith_storage::now_millis;

/// Why a delivery did not go through.
pub(crate) enum Failure {
    /// Will never succeed (a dead host, a refused address).
    Permanent(String),
    /// The receiving server refused it: a `4xx` other than 408 and 429 (status, what it said).
    Refused(u16, String),
    /// The host asked to be sent it again no sooner than this time (milliseconds): `429` or
    /// `503` with `Retry-After`.
    Deferred(i64, String),
    /// Worth another try later.
    Temporary(String),
}

/// The longest a host may put off a delivery with `Retry-After`: a larger value (or a date
/// further ahead) is read as this. The backoff of failures reaches a day, but a host that asks
/// for hours is one Kith still wants to reach the same day.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(6 * 60 * 60);

/// When a `Retry-After` value (delay-seconds, or an HTTP date) says to try again, from `now`
/// (milliseconds): at least a second later, at most [`MAX_RETRY_AFTER`]; `None` when it is
/// neither form.
pub fn retry_after(value: &str, now: i64) -> Option<i64> {
    let value = value.trim();
    let wait_ms = if let Ok(seconds) = value.parse::<u64>() {
        i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        let at = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
        i64::try_from(at).unwrap_or(i64::MAX).saturating_sub(now)
    };
    let max = MAX_RETRY_AFTER.as_millis() as i64;
    Some(now + wait_ms.clamp(1_000, max))
}

/// What the receiving server said, for the log: the start of its answer, on one line.
async fn answer_text(response: reqwest::Response) -> String {
    let body = response.bytes().await.unwrap_or_default();
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The outcome of a delivery from the receiving server's answer.
pub(crate) async fn outcome(response: reqwest::Response) -> Result<(), Failure> {
    let status = response.status().as_u16();
    let asked = (status == 429 || status == 503)
        .then(|| response.headers().get(reqwest::header::RETRY_AFTER))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after(v, now_millis()));
    match (status, asked) {
        (200..=299, _) => Ok(()),
        (_, Some(until)) => Err(Failure::Deferred(until, format!("HTTP {status}"))),
        (408 | 429, None) => Err(Failure::Temporary(format!("HTTP {status}"))),
        (400..=499, None) => Err(Failure::Refused(status, answer_text(response).await)),
        _ => Err(Failure::Temporary(format!("HTTP {status}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates_within_bounds() {
        let now = 1_700_000_000_000;
        assert_eq!(retry_after("120", now), Some(now + 120_000));
        assert_eq!(
            retry_after(" 0 ", now),
            Some(now + 1_000),
            "at least a second"
        );
        let max = MAX_RETRY_AFTER.as_millis() as i64;
        assert_eq!(retry_after("99999999", now), Some(now + max), "capped");
        let at = std::time::UNIX_EPOCH + Duration::from_millis(now as u64 + 90_000);
        assert_eq!(
            retry_after(&httpdate::fmt_http_date(at), now),
            Some(now + 90_000)
        );
        let past = std::time::UNIX_EPOCH + Duration::from_millis(now as u64 - 90_000);
        assert_eq!(
            retry_after(&httpdate::fmt_http_date(past), now),
            Some(now + 1_000)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-5", now), None);
    }
}
