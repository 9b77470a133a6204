//! `/api/v1` for invitations to a group (issue 26): organisers make, list and revoke links;
//! a signed-in person joins by one. The rules are `kith_federation::actions::invitations`'.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{delete, get, post},
};
use kith_federation::actions::By;
use kith_federation::actions::{invitations, invite_person};
use kith_storage::Invitation;
use serde::{Deserialize, Serialize};

use super::groups::MembershipView;
use crate::auth::Authed;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/groups/{name}/invitations", get(list).post(create))
        .route("/api/v1/groups/{name}/invitations/{id}", delete(revoke))
        .route("/api/v1/invitations/{secret}/join", post(join))
}

/// An invitation as organisers see it (never its secret, which only its maker saw once).
#[derive(Serialize)]
struct InvitationView {
    id: String,
    /// The link, only in the answer that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    invitee: Option<String>,
    max_uses: i64,
    uses: i64,
    created_at: i64,
    expires_at: i64,
}

fn view(invitation: Invitation, url: Option<String>) -> InvitationView {
    InvitationView {
        id: invitation.id,
        url,
        invitee: invitation.invitee_id,
        max_uses: invitation.max_uses,
        uses: invitation.uses,
        created_at: invitation.created_at,
        expires_at: invitation.expires_at,
    }
}

async fn list(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
) -> Result<Json<Vec<InvitationView>>, ApiError> {
    let open = invitations::open_invitations(&state.ctx, &name, By::Account(&account)).await?;
    Ok(Json(open.into_iter().map(|i| view(i, None)).collect()))
}

/// A new link: `max_uses` people within `days` days (1 and 7 when left out); or, with
/// `address`, a personal invitation for that one person (one use, 14 days), sent to them.
#[derive(Deserialize)]
struct NewLinkBody {
    max_uses: Option<i64>,
    days: Option<i64>,
    address: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(name): Path<String>,
    body: Option<Json<NewLinkBody>>,
) -> Result<(StatusCode, Json<InvitationView>), ApiError> {
    let body = body.map(|Json(b)| b);
    if let Some(address) = body.as_ref().and_then(|b| b.address.as_deref()) {
        if body
            .as_ref()
            .is_some_and(|b| b.max_uses.is_some() || b.days.is_some())
        {
            return Err(ApiError::BadRequest(
                "a personal invitation is for one person and 14 days: leave out max_uses and days"
                    .into(),
            ));
        }
        let made =
            invite_person::invite_person(&state.ctx, &name, address, By::Account(&account)).await?;
        return Ok((StatusCode::CREATED, Json(view(made.invitation, None))));
    }
    let (max_uses, days) = body.map_or((1, 7), |b| (b.max_uses.unwrap_or(1), b.days.unwrap_or(7)));
    let made =
        invitations::create_link(&state.ctx, &name, max_uses, days, By::Account(&account)).await?;
    Ok((
        StatusCode::CREATED,
        Json(view(made.invitation, Some(made.url))),
    ))
}

async fn revoke(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path((name, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    invitations::revoke(&state.ctx, &name, &id, By::Account(&account)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn join(
    State(state): State<AppState>,
    Authed(account): Authed,
    Path(secret): Path<String>,
) -> Result<Json<MembershipView>, ApiError> {
    let (_, m) = invitations::join(&state.ctx, &account, &secret).await?;
    Ok(Json(MembershipView {
        group: m.group_id,
        state: m.state,
        role: m.role,
    }))
}
