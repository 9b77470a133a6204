//! Recurring events: RFC 5545 rules read by the `rrule` crate, in the series' own zone (a
//! weekly 18:30 run stays at 18:30 local time across daylight-saving changes). Occurrences are
//! created ahead of time by a background task, each federated as its own Event.

use chrono::TimeZone as _;
use jiff::Timestamp;
use kith_storage::EventSeries;
use rrule::{RRuleSet, Tz};

use crate::{FederationError, Result};

/// How far ahead occurrences are created.
pub const HORIZON_MS: i64 = 56 * 86_400_000;
/// At most this many future occurrences exist per series at a time.
pub const MAX_AHEAD: u16 = 12;

fn rule_set(rule: &str, first_start: i64, timezone: &str) -> Result<RRuleSet> {
    let rule = rule.trim().trim_start_matches("RRULE:");
    if rule.is_empty() || rule.contains(['\n', '\r']) || rule.to_uppercase().contains("DTSTART") {
        return Err(FederationError::BadRequest(
            "give the rule as an RRULE value, such as FREQ=WEEKLY;COUNT=10".into(),
        ));
    }
    let start = Timestamp::from_millisecond(first_start)
        .map_err(|_| FederationError::BadRequest("the start is out of range".into()))?;
    let text = if timezone == "UTC" {
        format!("DTSTART:{}\nRRULE:{rule}", start.strftime("%Y%m%dT%H%M%SZ"))
    } else {
        let zone = super::zone(timezone)?;
        let local = start.to_zoned(zone).strftime("%Y%m%dT%H%M%S").to_string();
        format!("DTSTART;TZID={timezone}:{local}\nRRULE:{rule}")
    };
    text.parse::<RRuleSet>()
        .map_err(|e| FederationError::BadRequest(format!("the repeat rule is not valid: {e}")))
}

/// Checks a rule, returning it in the form kept (without an `RRULE:` prefix).
pub fn check_rule(rule: &str, first_start: i64, timezone: &str) -> Result<String> {
    rule_set(rule, first_start, timezone)?;
    Ok(rule.trim().trim_start_matches("RRULE:").to_owned())
}

/// The longest simple repeat, in occurrences.
pub const MAX_COUNT: u32 = 200;

/// The rule of a simple repeat as the pages offer it: `weekly` or `monthly` (on the first
/// start's weekday or day of month), ending on a date (`YYYY-MM-DD`, the last day an occurrence
/// may start, in the series' zone) or after a number of occurrences, or neither (until the
/// organiser stops it). `none` (or empty) is no repeat. The problem names the field it is
/// about (`repeat`, `repeat_until`, `repeat_count`).
pub fn simple_rule(
    frequency: &str,
    until: Option<&str>,
    count: Option<&str>,
    timezone: &str,
) -> std::result::Result<Option<String>, super::FieldProblem> {
    use super::FieldProblem;
    let freq = match frequency.trim() {
        "" | "none" => return Ok(None),
        "weekly" => "WEEKLY",
        "monthly" => "MONTHLY",
        _ => {
            return Err(FieldProblem::new(
                "repeat",
                "repeat weekly, monthly or not at all",
            ));
        }
    };
    let end = match (until, count) {
        (Some(_), Some(_)) => {
            return Err(FieldProblem::new(
                "repeat_count",
                "give an end date or a number of times, not both",
            ));
        }
        (Some(date), None) => {
            let date: jiff::civil::Date = date.trim().parse().map_err(|_| {
                FieldProblem::new(
                    "repeat_until",
                    "the end date must be a date such as 2027-06-30",
                )
            })?;
            let zone =
                super::zone(timezone).map_err(|e| FieldProblem::from_error("timezone", e))?;
            // The whole of that day in the series' zone; RFC 5545 wants UNTIL in UTC when the
            // start has a zone.
            let last = date
                .at(23, 59, 59, 0)
                .to_zoned(zone)
                .map_err(|e| FieldProblem::new("repeat_until", e.to_string()))?;
            format!(";UNTIL={}", last.timestamp().strftime("%Y%m%dT%H%M%SZ"))
        }
        (None, Some(count)) => match count.trim().parse::<u32>() {
            Ok(n) if (2..=MAX_COUNT).contains(&n) => format!(";COUNT={n}"),
            _ => {
                return Err(FieldProblem::new(
                    "repeat_count",
                    format!("the number of times must be a whole number from 2 to {MAX_COUNT}"),
                ));
            }
        },
        (None, None) => String::new(),
    };
    Ok(Some(format!("FREQ={freq}{end}")))
}

fn at(millis: i64) -> Option<chrono::DateTime<Tz>> {
    Tz::UTC.timestamp_millis_opt(millis).single()
}

/// The starts of a series' occurrences in `[from, until)`, at most `limit`, and whether the
/// rule goes on after `until`.
pub fn occurrences(
    series: &EventSeries,
    from: i64,
    until: i64,
    limit: u16,
) -> Result<(Vec<i64>, bool)> {
    let set = rule_set(&series.rule, series.first_start, &series.timezone)?;
    let (Some(after), Some(before)) = (at(from - 1), at(until)) else {
        return Ok((Vec::new(), false));
    };
    let starts: Vec<i64> = set
        .clone()
        .after(after)
        .before(before)
        .all(limit)
        .dates
        .iter()
        .map(|d| d.timestamp_millis())
        .filter(|ms| *ms < until)
        .collect();
    let more = !set.after(before).all(1).dates.is_empty();
    Ok((starts, more))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(rule: &str, start: &str, tz: &str) -> EventSeries {
        EventSeries {
            id: "s".into(),
            group_id: "g".into(),
            organizer_id: None,
            rule: rule.into(),
            first_start: super::super::parse_time("t", start).unwrap_or_default(),
            duration: 3_600_000,
            timezone: tz.into(),
            template: "{}".into(),
            ended: false,
            created_at: 0,
            start_shift: 0,
        }
    }

    #[test]
    fn weekly_runs_keep_their_local_time_across_daylight_saving() {
        // 18:30 in London: 17:30Z in summer time, 18:30Z after the clocks go back on 25 Oct.
        let s = series(
            "FREQ=WEEKLY;COUNT=4",
            "2026-10-14T17:30:00Z",
            "Europe/London",
        );
        let (starts, more) =
            occurrences(&s, s.first_start, s.first_start + 60 * 86_400_000, 10).unwrap_or_default();
        let times: Vec<String> = starts
            .iter()
            .map(|ms| {
                Timestamp::from_millisecond(*ms)
                    .map(|t| t.to_string())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(
            times,
            [
                "2026-10-14T17:30:00Z",
                "2026-10-21T17:30:00Z",
                "2026-10-28T18:30:00Z",
                "2026-11-04T18:30:00Z"
            ]
        );
        assert!(!more);
        let endless = series("FREQ=MONTHLY;BYDAY=1TU", "2026-12-01T18:00:00Z", "UTC");
        let (starts, more) = occurrences(
            &endless,
            endless.first_start,
            endless.first_start + 40 * 86_400_000,
            10,
        )
        .unwrap_or_default();
        assert_eq!(starts.len(), 2);
        assert!(more);
        assert!(check_rule("FREQ=SOMETIMES", 0, "UTC").is_err());
        assert!(check_rule("FREQ=DAILY\nDTSTART:2020", 0, "UTC").is_err());
    }

    #[test]
    fn simple_repeats_end_on_a_day_in_the_series_zone_or_after_a_count() {
        let rule = |f, u, c| simple_rule(f, u, c, "Europe/Paris");
        assert_eq!(rule("none", None, None), Ok(None));
        assert_eq!(
            rule("weekly", None, Some("6")),
            Ok(Some("FREQ=WEEKLY;COUNT=6".into()))
        );
        // The end of 30 June in Paris (summer time, UTC+2) is 21:59:59 UTC.
        assert_eq!(
            rule("monthly", Some("2027-06-30"), None),
            Ok(Some("FREQ=MONTHLY;UNTIL=20270630T215959Z".into()))
        );
        assert_eq!(rule("weekly", None, None), Ok(Some("FREQ=WEEKLY".into())));
        let field = |r: std::result::Result<Option<String>, crate::events::FieldProblem>| {
            r.err().map(|p| p.field)
        };
        assert_eq!(field(rule("daily", None, None)), Some("repeat"));
        assert_eq!(field(rule("weekly", None, Some("1"))), Some("repeat_count"));
        assert_eq!(
            field(rule("weekly", None, Some("lots"))),
            Some("repeat_count")
        );
        assert_eq!(
            field(rule("weekly", Some("soon"), None)),
            Some("repeat_until")
        );
        assert_eq!(
            field(rule("weekly", Some("2027-01-01"), Some("3"))),
            Some("repeat_count")
        );
        // What it builds is a rule the series accepts.
        let built = rule("monthly", Some("2027-06-30"), None)
            .ok()
            .flatten()
            .unwrap_or_default();
        assert!(check_rule(&built, 1_800_000_000_000, "Europe/Paris").is_ok());
    }
}
