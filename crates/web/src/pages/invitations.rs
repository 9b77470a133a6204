//! Invitations (issue 26): the organisers' page that makes, lists and revokes links
//! (`/g/NAME/invitations`), and the page a link opens (`/invite/SECRET`), from which a person
//! joins with an account here or gives the address of their account elsewhere and is told how
//! to follow the group from there. Each form runs `kith_federation::actions::invitations`.
//!
//! A link's page is for whoever holds the link: never cached, never indexed, and the secret
//! never reaches another site (the `Referrer-Policy` every page carries).

use askama::Template;
use axum::{
    Form, Router,
    extract::{Path, State},
    response::Response,
    routing::{get, post},
};
use kith_federation::actions::By;
use kith_federation::actions::{invitations, invite_person as personal, joining};
use kith_storage::{Actor, Invitation};
use serde::Deserialize;

use super::views::{display_name, human_time, paragraphs};
use super::{CsrfForm, Layout, OrPage, PageError, render, render_with_remote_form, see_other};
use crate::auth::Viewer;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    // Every answer of a link's pages, a refusal or a "not found" too, is for whoever holds
    // the link alone: its URL is the secret.
    let link = Router::new()
        .route("/invite/{secret}", get(link_page))
        .route("/invite/{secret}/join", post(join))
        .route("/invite/{secret}/remote", post(remote))
        .layer(axum::middleware::map_response(kept_private));
    Router::new()
        .route(
            "/g/{name}/invitations",
            get(organisers_page).post(make_link),
        )
        .route("/g/{name}/invitations/revoke", post(revoke))
        .route("/g/{name}/invitations/person", post(invite_person))
        .merge(link)
}

async fn kept_private(response: Response) -> Response {
    crate::access::for_asker_alone(response)
}

/// An open invitation in the organisers' list.
struct OpenLine {
    id: String,
    /// "A link" or the person it is for.
    what: String,
    uses: i64,
    max_uses: i64,
    expires: String,
}

#[derive(Template)]
#[template(path = "group_invitations.html")]
struct OrganisersPage {
    layout: Layout,
    group_url: String,
    group_title: String,
    hidden: bool,
    /// Members-only or hidden: joining from a new server gives that server copies.
    private: bool,
    /// How its people elsewhere follow it (`@NAME@DOMAIN`, a hidden group's secret name).
    follow_handle: String,
    /// A link just made, shown this once.
    new_link: Option<String>,
    /// What became of a personal invitation just asked for.
    said: Said,
    open: Vec<OpenLine>,
}

/// What the page says after a personal invitation: whom it went to, or what was wrong.
#[derive(Default)]
struct Said {
    sent: Option<String>,
    problem: Option<String>,
}

async fn organisers_view(
    state: &AppState,
    viewer: &Viewer,
    name: &str,
    new_link: Option<String>,
    said: Said,
) -> Result<Response, ApiError> {
    let account = viewer.require()?;
    let by = By::Account(account);
    let open = invitations::open_invitations(&state.ctx, name, by).await?;
    let group = joining::local_group(&state.ctx, name).await?;
    let mut lines = Vec::with_capacity(open.len());
    for i in open {
        lines.push(open_line(state, i).await?);
    }
    let follow = invitations::follow_name(&state.ctx, &group).await?;
    let mut layout = Layout::new(state, viewer, "Invitations");
    layout.noindex = true;
    let page = OrganisersPage {
        layout,
        group_url: group.id.clone(),
        group_title: display_name(&group),
        hidden: group.is_hidden(),
        private: !group.is_public(),
        follow_handle: format!("@{follow}@{}", group.domain),
        new_link,
        said,
        open: lines,
    };
    Ok(crate::access::for_asker_alone(render(viewer, &page)?))
}

async fn open_line(state: &AppState, i: Invitation) -> Result<OpenLine, ApiError> {
    let what = match &i.invitee_id {
        Some(id) => match state.ctx.db.actor(id).await {
            Ok(person) => format!("For {}", super::views::handle(&person)),
            Err(_) => format!("For {id}"),
        },
        None => "A link".to_owned(),
    };
    Ok(OpenLine {
        id: i.id,
        what,
        uses: i.uses,
        max_uses: i.max_uses,
        expires: human_time(i.expires_at),
    })
}

async fn organisers_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    organisers_view(&state, &viewer, &name, None, Said::default())
        .await
        .or_page(&state, &viewer)
}

#[derive(Deserialize)]
struct LinkForm {
    csrf: String,
    max_uses: i64,
    days: i64,
}

async fn make_link(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<LinkForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let made = invitations::create_link(
        &state.ctx,
        &name,
        form.max_uses,
        form.days,
        By::Account(account),
    )
    .await
    .or_page(&state, &viewer)?;
    // Shown once, on this answer (not through a redirect, which would put it in a URL).
    organisers_view(&state, &viewer, &name, Some(made.url), Said::default())
        .await
        .or_page(&state, &viewer)
}

#[derive(Deserialize)]
struct PersonForm {
    csrf: String,
    address: String,
}

/// Invites one person by address; the page says to whom it went, or what was wrong with the
/// address (a typo is not an error page).
async fn invite_person(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<PersonForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let outcome =
        personal::invite_person(&state.ctx, &name, &form.address, By::Account(account)).await;
    let said = match outcome {
        Ok(invited) => Said {
            sent: Some(super::views::handle(&invited.person)),
            problem: None,
        },
        Err(kith_federation::FederationError::BadRequest(problem)) => Said {
            sent: None,
            problem: Some(problem),
        },
        Err(other) => return Err(ApiError::from(other)).or_page(&state, &viewer),
    };
    organisers_view(&state, &viewer, &name, None, said)
        .await
        .or_page(&state, &viewer)
}

#[derive(Deserialize)]
struct RevokeForm {
    csrf: String,
    id: String,
}

async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    invitations::revoke(&state.ctx, &name, &form.id, By::Account(account))
        .await
        .or_page(&state, &viewer)?;
    let group = joining::local_group(&state.ctx, &name)
        .await
        .or_page(&state, &viewer)?;
    Ok(see_other(&format!("{}/invitations?done=saved", group.id)))
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct LinkPage {
    layout: Layout,
    /// The link's own path, where its forms post.
    path: String,
    title: String,
    summary: String,
    rules: String,
    /// For a personal invitation: whom it is for.
    for_whom: Option<String>,
    /// A members-only or hidden group (the page says what that means).
    private: bool,
    /// After an address elsewhere was given: the name to follow, a button's target on the
    /// person's own server when it offers one, and whether their waiting request was accepted
    /// instead (they follow already).
    follow: Option<(String, Option<String>, bool)>,
    problem: Option<String>,
}

async fn link_view(
    state: &AppState,
    viewer: &Viewer,
    secret: &str,
    follow: Option<(String, Option<String>, bool)>,
    problem: Option<String>,
) -> Result<Response, ApiError> {
    let opened = invitations::opened(&state.ctx, secret).await?;
    opened_view(state, viewer, secret, opened, follow, problem).await
}

/// The link's page for an invitation opened before: after an address is given, the use it
/// took may have been the last, and the page must still say what to follow.
async fn opened_view(
    state: &AppState,
    viewer: &Viewer,
    secret: &str,
    (invitation, group): (Invitation, Actor),
    follow: Option<(String, Option<String>, bool)>,
    problem: Option<String>,
) -> Result<Response, ApiError> {
    let settings = state.ctx.db.group_settings(&group.id).await?;
    let for_whom = match &invitation.invitee_id {
        Some(id) => Some(super::views::handle(&state.ctx.db.actor(id).await?)),
        None => None,
    };
    let mut layout = Layout::new(
        state,
        viewer,
        format!("Invitation to {}", display_name(&group)),
    );
    layout.noindex = true;
    let page = LinkPage {
        layout,
        path: format!("/invite/{secret}"),
        title: display_name(&group),
        summary: paragraphs(group.summary.as_deref()),
        rules: paragraphs(settings.rules.as_deref()),
        for_whom,
        private: !group.is_public(),
        follow,
        problem,
    };
    // Marked for its holder alone by the layer over every `/invite/` route (`router`).
    render_with_remote_form(state, viewer, &page)
}

async fn link_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(secret): Path<String>,
) -> Result<Response, PageError> {
    link_view(&state, &viewer, &secret, None, None)
        .await
        .map_err(|e| link_error(&state, &viewer, e))
}

/// What a link's visitor reads when it opens nothing: a closed invitation is not found, and
/// says what that means (whatever the reason, alike: a wrong secret learns nothing).
fn link_error(state: &AppState, viewer: &Viewer, error: impl Into<ApiError>) -> PageError {
    let error = error.into();
    let closed = matches!(error, ApiError::NotFound);
    let page = PageError::new(state, viewer, error);
    match closed {
        true => page.saying(
            "This invitation is unknown, used up, expired or withdrawn. Ask whoever sent it for \
             a new one.",
        ),
        false => page,
    }
}

async fn join(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(secret): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let account = viewer.signed_in(&form.csrf).or_page(&state, &viewer)?;
    let (group, _) = invitations::join(&state.ctx, account, &secret)
        .await
        .map_err(|e| link_error(&state, &viewer, e))?;
    Ok(see_other(&format!("{}?done=joined", group.id)))
}

#[derive(Deserialize)]
struct AddressForm {
    csrf: String,
    address: String,
}

async fn remote(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(secret): Path<String>,
    Form(form): Form<AddressForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf).or_page(&state, &viewer)?;
    // Opened before it is used: the use taken below may be the link's last.
    let opened = invitations::opened(&state.ctx, &secret)
        .await
        .map_err(|e| link_error(&state, &viewer, e))?;
    let outcome = invitations::invite_remote(&state.ctx, &secret, &form.address).await;
    let view = match outcome {
        Ok(invitee) => {
            let button = match invitee.accepted {
                true => None,
                false => follow_button(&state, &form.address, &invitee.group).await,
            };
            let follow = Some((invitee.follow, button, invitee.accepted));
            opened_view(&state, &viewer, &secret, opened, follow, None).await
        }
        // A typo in the address: the same page, saying what went wrong.
        Err(kith_federation::FederationError::BadRequest(problem)) => {
            link_view(&state, &viewer, &secret, None, Some(problem)).await
        }
        Err(other) => Err(other.into()),
    };
    view.map_err(|e| link_error(&state, &viewer, e))
}

/// Where the person's own server lets them follow the group with one click, when it says.
async fn follow_button(state: &AppState, address: &str, group: &Actor) -> Option<String> {
    joining::remote_interaction_url(&state.ctx, address, &group.id)
        .await
        .ok()
}
