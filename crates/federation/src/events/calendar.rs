//! iCalendar feeds (RFC 5545): per event, per group, per instance, and a person's private feed.
//! Times are written as local times with `TZID`, and every zone used gets a `VTIMEZONE` built
//! from the time-zone database, so clients place each event at the right instant.

use std::collections::{BTreeMap, BTreeSet};

use ics::parameters::TzIDParam;
use ics::properties::{
    Categories, Created, Description, DtEnd, DtStart, Geo, LastModified, Location, Method, RRule,
    RecurrenceID, Sequence, Status, Summary, TzName, URL,
};
use ics::{Daylight, ICalendar, Standard, TimeZone as VTimeZone, escape_text};
use jiff::{Timestamp, tz::TimeZone};
use kith_storage::{EventFields, EventSeries, StoredEvent};

use super::{EventDraft, zone};
use crate::sanitize;

const DAY_MS: i64 = 86_400_000;

/// A feed: its name, its events, and the series some of them belong to.
pub struct Feed<'a> {
    /// `X-WR-CALNAME`.
    pub name: &'a str,
    /// The events, one `VEVENT` each.
    pub events: &'a [StoredEvent],
    /// Series to emit as one `VEVENT` with `RRULE` at the series' current time and length
    /// (moved by "this and all later dates" edits); their dates that read as the rule says are
    /// left to it, and the others — edited, or kept at a time or title the series no longer
    /// has — are written as overrides (`RECURRENCE-ID`).
    pub series: &'a [EventSeries],
    /// The base URL series UIDs are made from.
    pub base: &'a str,
    /// The events whose online link this feed's reader may see (`actions::online_link`): none
    /// in public feeds; in a person's private feed, those they are going to or organise. A
    /// series' rule never carries it.
    pub online_for: &'a BTreeSet<String>,
}

/// Renders a feed.
pub fn render(feed: &Feed<'_>) -> String {
    let mut cal = ICalendar::new("2.0", "-//Kith//Kith events//EN");
    cal.push(Method::new("PUBLISH"));
    cal.push(ics::components::Property::new(
        "X-WR-CALNAME",
        escape_text(feed.name.to_owned()),
    ));
    let mut zones: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut widen = |tz: &str, from: i64, to: i64| {
        let range = zones.entry(tz.to_owned()).or_insert((from, to));
        range.0 = range.0.min(from);
        range.1 = range.1.max(to);
    };
    let rules: BTreeMap<&str, Rule> = feed
        .series
        .iter()
        .map(|s| (s.id.as_str(), Rule::of(s)))
        .collect();
    for series in feed.series {
        // A rule may run on for years: cover two years of transitions from its start.
        widen(
            &series.timezone,
            series.first_start,
            series.first_start + 730 * DAY_MS,
        );
        cal.add_event(series_event(series, feed.base));
    }
    for event in feed.events {
        let rule = event.fields.series_id.as_deref().and_then(|s| rules.get(s));
        if rule.is_some_and(|r| r.covers(event)) {
            continue;
        }
        let (start, end) = times(event);
        widen(&event.fields.timezone, start, end);
        let online = feed.online_for.contains(&event.object.id);
        cal.add_event(vevent(event, rule, feed.base, online));
    }
    for (tz, (from, to)) in &zones {
        if let Some(vtz) = vtimezone(tz, from - DAY_MS, to + DAY_MS) {
            cal.add_timezone(vtz);
        }
    }
    cal.to_string()
}

/// What a series' rule says of each of its dates: the shift of its time since the rule's start
/// ("this and all later dates" moves it), its length, and its title.
struct Rule {
    shift: i64,
    duration: i64,
    title: Option<String>,
}

impl Rule {
    fn of(series: &EventSeries) -> Rule {
        Rule {
            shift: series.start_shift,
            duration: series.duration,
            title: template(series).map(|t| t.title),
        }
    }

    /// The instant of the rule's instance for a date keyed by `occurrence`.
    fn instance(&self, occurrence: i64) -> i64 {
        occurrence + self.shift
    }

    /// Whether a date reads exactly as the rule's instance (so needs no override).
    fn covers(&self, event: &StoredEvent) -> bool {
        let (start, end) = times(event);
        event.sequence == 0
            && event
                .fields
                .occurrence
                .is_some_and(|o| self.instance(o) == start)
            && end - start == self.duration
            && self.title == event.object.name
    }
}

/// A series' template, as its dates are made from it.
fn template(series: &EventSeries) -> Option<super::CheckedEvent> {
    serde_json::from_str::<EventDraft>(&series.template)
        .ok()
        .and_then(|draft| draft.check().ok())
}

fn times(event: &StoredEvent) -> (i64, i64) {
    let start = event.object.start_time.unwrap_or_default();
    (start, event.object.end_time.unwrap_or(start))
}

/// `YYYYMMDDTHHMMSS` in a zone, for `TZID` properties.
fn local(millis: i64, tz: &str) -> String {
    let zone = zone(tz).unwrap_or(TimeZone::UTC);
    Timestamp::from_millisecond(millis)
        .map(|t| t.to_zoned(zone).strftime("%Y%m%dT%H%M%S").to_string())
        .unwrap_or_default()
}

/// `YYYYMMDDTHHMMSSZ`, for `DTSTAMP` and friends.
fn utc(millis: i64) -> String {
    Timestamp::from_millisecond(millis)
        .map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

fn series_uid(series: &EventSeries, base: &str) -> String {
    format!("{base}series/{}", series.id)
}

/// `DTSTART` and `DTEND` as local times in `tz`, with `TZID`.
fn push_times(ev: &mut ics::Event<'_>, start: i64, end: i64, tz: &str) {
    let mut dtstart = DtStart::new(local(start, tz));
    dtstart.add(TzIDParam::new(tz.to_owned()));
    ev.push(dtstart);
    let mut dtend = DtEnd::new(local(end, tz));
    dtend.add(TzIDParam::new(tz.to_owned()));
    ev.push(dtend);
}

/// `LOCATION` (place, address, the online link when `online`), `GEO` and `CATEGORIES`.
fn push_place(ev: &mut ics::Event<'_>, f: &EventFields, online: bool) {
    let where_ = [
        f.place_name.as_deref(),
        f.place_address.as_deref(),
        f.online_url.as_deref().filter(|_| online),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    if !where_.is_empty() {
        ev.push(Location::new(escape_text(where_)));
    }
    if let (Some(lat), Some(lon)) = (f.latitude, f.longitude) {
        ev.push(Geo::new(format!("{lat:.6};{lon:.6}")));
    }
    if let Some(category) = &f.category {
        ev.push(Categories::new(escape_text(category.clone())));
    }
}

fn vevent<'a>(
    event: &'a StoredEvent,
    rule: Option<&Rule>,
    base: &str,
    online: bool,
) -> ics::Event<'a> {
    let o = &event.object;
    let f = &event.fields;
    let (start, end) = times(event);
    let uid = match (&f.series_id, rule) {
        (Some(series), Some(_)) => format!("{base}series/{series}"),
        _ => o.id.clone(),
    };
    let stamp = o.updated_at.unwrap_or(o.published_at);
    let mut ev = ics::Event::new(uid, utc(stamp));
    push_times(&mut ev, start, end, &f.timezone);
    if let (Some(rule), Some(occurrence)) = (rule, f.occurrence) {
        // The instance it replaces, as the (moved) rule places it.
        let mut rid = RecurrenceID::new(local(rule.instance(occurrence), &f.timezone));
        rid.add(TzIDParam::new(f.timezone.clone()));
        ev.push(rid);
    }
    ev.push(Summary::new(escape_text(
        o.name.clone().unwrap_or_default(),
    )));
    if let Some(html) = &o.content {
        ev.push(Description::new(escape_text(sanitize::text(html))));
    }
    ev.push(Status::new(f.status.as_str().to_uppercase()));
    ev.push(URL::new(o.url.clone().unwrap_or_else(|| o.id.clone())));
    ev.push(Sequence::new(event.sequence.to_string()));
    ev.push(Created::new(utc(o.published_at)));
    ev.push(LastModified::new(utc(stamp)));
    push_place(&mut ev, f, online);
    ev
}

/// A series as one `VEVENT` with its `RRULE`, described by the series' template.
fn series_event<'a>(series: &'a EventSeries, base: &str) -> ics::Event<'a> {
    let template = template(series);
    let mut ev = ics::Event::new(series_uid(series, base), utc(series.created_at));
    let start = series.first_start + series.start_shift;
    push_times(&mut ev, start, start + series.duration, &series.timezone);
    ev.push(RRule::new(series.rule.clone()));
    ev.push(Status::new("CONFIRMED"));
    if let Some(t) = template {
        ev.push(Summary::new(escape_text(t.title)));
        if let Some(html) = &t.content {
            ev.push(Description::new(escape_text(sanitize::text(html))));
        }
        push_place(&mut ev, &t.fields, false);
    }
    ev
}

/// `+HHMM` / `-HHMM`.
fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
}

/// A `VTIMEZONE` with one observance per transition between `from` and `to` (and the one in
/// force at `from`), read from the time-zone database.
fn vtimezone(name: &str, from: i64, to: i64) -> Option<VTimeZone<'static>> {
    let tz = zone(name).ok()?;
    let from_ts = Timestamp::from_millisecond(from).ok()?;
    let to_ts = Timestamp::from_millisecond(to).ok()?;
    let first = tz.to_offset_info(from_ts);
    let first_offset = first.offset().seconds();
    // The observance in force at `from` starts at the last transition before it (or 1970).
    let since = tz
        .preceding(from_ts)
        .next()
        .map(|t| t.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let since_local = since
        .to_zoned(tz.clone())
        .strftime("%Y%m%dT%H%M%S")
        .to_string();
    let mut vtz = VTimeZone::standard(
        name.to_owned(),
        observance_standard(
            &since_local,
            first_offset,
            first_offset,
            first.abbreviation(),
        ),
    );
    if first.dst().is_dst() {
        vtz = VTimeZone::daylight(
            name.to_owned(),
            observance_daylight(
                &since_local,
                first_offset,
                first_offset,
                first.abbreviation(),
            ),
        );
    }
    let mut previous = first_offset;
    for transition in tz.following(from_ts) {
        let at = transition.timestamp();
        if at > to_ts {
            break;
        }
        let offset = transition.offset().seconds();
        // DTSTART of an observance is local time in the offset in force before it.
        let before = jiff::tz::Offset::from_seconds(previous).ok()?;
        let start = at
            .to_zoned(TimeZone::fixed(before))
            .strftime("%Y%m%dT%H%M%S")
            .to_string();
        if transition.dst().is_dst() {
            vtz.add_daylight(observance_daylight(
                &start,
                previous,
                offset,
                transition.abbreviation(),
            ));
        } else {
            vtz.add_standard(observance_standard(
                &start,
                previous,
                offset,
                transition.abbreviation(),
            ));
        }
        previous = offset;
    }
    Some(vtz)
}

fn observance_standard(start: &str, from: i32, to: i32, abbreviation: &str) -> Standard<'static> {
    let mut s = Standard::new(start.to_owned(), offset_text(from), offset_text(to));
    s.push(TzName::new(abbreviation.to_owned()));
    s
}

fn observance_daylight(start: &str, from: i32, to: i32, abbreviation: &str) -> Daylight<'static> {
    let mut d = Daylight::new(start.to_owned(), offset_text(from), offset_text(to));
    d.push(TzName::new(abbreviation.to_owned()));
    d
}
