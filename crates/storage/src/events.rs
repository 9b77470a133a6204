//! Events: the object row (title, description, times, document) plus what only events have
//! (place, capacity, join mode, status…), written together in one transaction.

use sqlx::FromRow;

use crate::{
    Database, NewObject, Result, StorageError, StoredObject, now_millis, objects::object_columns,
    text_enum::text_enum,
};

text_enum!(
    /// Whether an event takes place (`ical:status`).
    EventStatus {
        /// Planned but not settled.
        Tentative = "tentative",
        /// Takes place.
        Confirmed = "confirmed",
        /// Called off.
        Cancelled = "cancelled",
    }
);

text_enum!(
    /// How people take part in an event.
    JoinMode {
        /// Anyone may answer; capacity still applies.
        Free = "free",
        /// Answers wait for an organiser.
        Approval = "approval",
        /// People register on another site (`external_url`).
        External = "external",
        /// No registration: people just come.
        None = "none",
    }
);

text_enum!(
    /// How local people answer a remote event.
    RsvpStyle {
        /// `Join` / `Leave` (Mobilizon, Kith).
        Join = "join",
        /// `Accept` / `TentativeAccept` / `Reject` on the Event (Friendica, Hubzilla).
        Accept = "accept",
    }
);

/// A confirmed event, as the forms and a remote event without `ical:status` have it.
impl Default for EventStatus {
    fn default() -> Self {
        EventStatus::Confirmed
    }
}

/// Anyone may answer, as the forms and a remote event without a join mode have it.
impl Default for JoinMode {
    fn default() -> Self {
        JoinMode::Free
    }
}

/// `Join` / `Leave`, the schema's default.
impl Default for RsvpStyle {
    fn default() -> Self {
        RsvpStyle::Join
    }
}

/// What an event has beyond a post, as stored.
#[derive(Clone, Debug, Default, PartialEq, FromRow)]
pub struct EventFields {
    /// The person who organised it.
    pub organizer_id: Option<String>,
    /// The IANA time zone its times are shown in.
    pub timezone: String,
    /// Whether it takes place.
    pub status: EventStatus,
    /// How people take part.
    pub join_mode: JoinMode,
    /// Where people register when the join mode is `external`.
    pub external_url: Option<String>,
    /// The place's name.
    pub place_name: Option<String>,
    /// The place's postal address, as one line.
    pub place_address: Option<String>,
    /// Latitude in degrees.
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    pub longitude: Option<f64>,
    /// The link for online and hybrid events.
    pub online_url: Option<String>,
    /// How many may come; `None` for no limit.
    pub capacity: Option<i64>,
    /// Upper-case category id (Mobilizon's list).
    pub category: Option<String>,
    /// Hashtags without `#`, as a JSON array.
    pub tags: String,
    /// The poll Mastodon members answer.
    pub question_id: Option<String>,
    /// The series it is an occurrence of.
    pub series_id: Option<String>,
    /// The occurrence's start in its series (unchanged when one occurrence is moved).
    pub occurrence: Option<i64>,
    /// How local people answer it, when it is remote.
    pub rsvp_style: RsvpStyle,
}

/// An event: its object row and its event fields.
#[derive(Clone, Debug, FromRow)]
pub struct StoredEvent {
    /// The object row.
    #[sqlx(flatten)]
    pub object: StoredObject,
    /// The event fields.
    #[sqlx(flatten)]
    pub fields: EventFields,
    /// Bumped on every edit (iCalendar `SEQUENCE`).
    pub sequence: i64,
}

macro_rules! event_columns {
    () => {
        "organizer_id, timezone, status, join_mode, external_url, place_name, place_address, \
         latitude, longitude, online_url, capacity, category, tags, question_id, series_id, \
         occurrence, rsvp_style, sequence"
    };
}

/// Which events a calendar lists.
#[derive(Clone, Copy, Debug)]
pub enum CalendarScope<'a> {
    /// The events of one group (by actor id).
    Group(&'a str),
    /// This instance's events and those of remote groups a local actor follows, but for
    /// members-only and hidden groups' (shown to their members in the group alone) and remote
    /// events shared with followers only.
    Instance,
    /// The events a person answered going, maybe, or waits for.
    Attendee(&'a str),
}

impl Database {
    /// Stores a new event (object row and event row together); an id stored before, or a second
    /// occurrence of a series at the same time, is [`StorageError::Conflict`].
    pub async fn insert_event(&self, object: &NewObject, fields: &EventFields) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.insert_event(object, fields).await?;
        tx.commit().await
    }

    /// The event with this object id.
    pub async fn event(&self, id: &str) -> Result<StoredEvent> {
        sqlx::query_as(concat!(
            "SELECT ",
            object_columns!(),
            ", ",
            event_columns!(),
            " FROM objects JOIN events ON events.object_id = objects.id WHERE objects.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// The event a poll belongs to.
    pub async fn event_by_question(&self, question_id: &str) -> Result<StoredEvent> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT object_id FROM events WHERE question_id = $1")
                .bind(question_id)
                .fetch_optional(&self.pool)
                .await?;
        self.event(&id.ok_or(StorageError::NotFound)?).await
    }

    /// Replaces an event's content and fields after an edit and bumps its sequence.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_event(
        &self,
        id: &str,
        name: &str,
        summary: &str,
        content: Option<&str>,
        start_time: i64,
        end_time: i64,
        data: &str,
        fields: &EventFields,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.update_event(
            id, name, summary, content, start_time, end_time, data, fields,
        )
        .await?;
        tx.commit().await
    }

    /// Replaces the JSON document kept for an event (after counts changed).
    pub async fn set_object_data(&self, id: &str, data: &str) -> Result<()> {
        sqlx::query("UPDATE objects SET data = $1 WHERE id = $2 AND deleted_at IS NULL")
            .bind(data)
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Records how a local event went out: its document, the `Create` it was sent in (re-sent
    /// in outbox items) and the group's `Announce` id; one write.
    pub async fn record_event_published(
        &self,
        id: &str,
        data: &str,
        activity: &str,
        announce_id: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.record_event_published(id, data, activity, announce_id)
            .await?;
        tx.commit().await
    }

    /// The inboxes of the remote people who answered an event and may come (going, maybe,
    /// waitlisted, pending), shared inboxes preferred: who hears of its changes besides the
    /// group's members.
    pub async fn answerer_inboxes(&self, event_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT COALESCE(a.shared_inbox_url, a.inbox_url) FROM rsvps r \
             JOIN actors a ON a.id = r.actor_id WHERE r.event_id = $1 AND NOT a.local \
             AND r.status IN ('going', 'maybe', 'waitlisted', 'pending')",
        )
        .bind(event_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Live events of a calendar that end after `from`, soonest first, at most `limit`.
    pub async fn calendar_events(
        &self,
        scope: CalendarScope<'_>,
        from: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>> {
        let filter = match scope {
            CalendarScope::Group(_) => "objects.group_id = $3",
            CalendarScope::Instance => {
                "(objects.local OR objects.group_id IN (SELECT followee_id FROM follows \
                 WHERE state = 'accepted')) AND $3 = $3 \
                 AND (objects.group_id IS NULL OR objects.group_id NOT IN \
                 (SELECT id FROM actors WHERE visibility <> 'public')) \
                 AND objects.visibility IN ('public', 'unlisted')"
            }
            CalendarScope::Attendee(_) => {
                "objects.id IN (SELECT event_id FROM rsvps WHERE actor_id = $3 \
                 AND status IN ('going', 'maybe', 'waitlisted', 'pending'))"
            }
        };
        let key = match scope {
            CalendarScope::Group(id) | CalendarScope::Attendee(id) => id,
            CalendarScope::Instance => "",
        };
        let sql = format!(
            "SELECT {}, {} FROM objects JOIN events ON events.object_id = objects.id \
             WHERE objects.deleted_at IS NULL AND objects.end_time > $1 AND {filter} \
             ORDER BY objects.start_time, objects.id LIMIT $2",
            object_columns!(),
            event_columns!()
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(from)
            .bind(limit)
            .bind(key)
            .fetch_all(&self.pool)
            .await?)
    }
}

fn bind_fields<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    f: &'q EventFields,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query
        .bind(&f.organizer_id)
        .bind(&f.timezone)
        .bind(f.status)
        .bind(f.join_mode)
        .bind(&f.external_url)
        .bind(&f.place_name)
        .bind(&f.place_address)
        .bind(f.latitude)
        .bind(f.longitude)
        .bind(&f.online_url)
        .bind(f.capacity)
        .bind(&f.category)
        .bind(&f.tags)
        .bind(&f.question_id)
        .bind(&f.series_id)
        .bind(f.occurrence)
        .bind(f.rsvp_style)
}

impl crate::Tx {
    /// [`Database::insert_event`] inside this transaction, with the `Create` it sends.
    pub async fn insert_event(&mut self, object: &NewObject, fields: &EventFields) -> Result<()> {
        crate::objects::insert_object_in(self.conn(), object).await?;
        bind_fields(
            sqlx::query(
                "INSERT INTO events (organizer_id, timezone, status, join_mode, external_url, \
                 place_name, place_address, latitude, longitude, online_url, capacity, \
                 category, tags, question_id, series_id, occurrence, rsvp_style, object_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $18)",
            ),
            fields,
        )
        .bind(&object.id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// [`Database::record_event_published`] inside this transaction.
    pub async fn record_event_published(
        &mut self,
        id: &str,
        data: &str,
        activity: &str,
        announce_id: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE objects SET data = $1, activity = $2, announce_id = $3, held_reason = NULL \
             WHERE id = $4 AND deleted_at IS NULL",
        )
        .bind(data)
        .bind(activity)
        .bind(announce_id)
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// [`Database::update_event`] inside this transaction, with the `Update` it sends.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_event(
        &mut self,
        id: &str,
        name: &str,
        summary: &str,
        content: Option<&str>,
        start_time: i64,
        end_time: i64,
        data: &str,
        fields: &EventFields,
    ) -> Result<()> {
        let tx = self.write_tx();
        let done = sqlx::query(
            "UPDATE objects SET name = $1, summary = $2, content = $3, start_time = $4, \
             end_time = $5, data = $6, updated_at = $7 WHERE id = $8 AND deleted_at IS NULL",
        )
        .bind(name)
        .bind(summary)
        .bind(content)
        .bind(start_time)
        .bind(end_time)
        .bind(data)
        .bind(now_millis())
        .bind(id)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        bind_fields(
            sqlx::query(
                "UPDATE events SET organizer_id = $1, timezone = $2, status = $3, \
                 join_mode = $4, external_url = $5, place_name = $6, place_address = $7, \
                 latitude = $8, longitude = $9, online_url = $10, capacity = $11, \
                 category = $12, tags = $13, question_id = $14, series_id = $15, \
                 occurrence = $16, rsvp_style = $17, sequence = sequence + 1 \
                 WHERE object_id = $18",
            ),
            fields,
        )
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// [`Database::event`] as this transaction sees it (after its own writes).
    pub async fn event(&mut self, id: &str) -> Result<StoredEvent> {
        sqlx::query_as(concat!(
            "SELECT ",
            object_columns!(),
            ", ",
            event_columns!(),
            " FROM objects JOIN events ON events.object_id = objects.id WHERE objects.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StorageError::NotFound)
    }

    /// [`Database::set_object_data`] inside this transaction.
    pub async fn set_object_data(&mut self, id: &str, data: &str) -> Result<()> {
        sqlx::query("UPDATE objects SET data = $1 WHERE id = $2 AND deleted_at IS NULL")
            .bind(data)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
