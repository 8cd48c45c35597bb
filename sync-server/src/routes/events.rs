//! `GET /v1/events`: live nudges for a device (Bearer), see [`crate::live`].

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;

use crate::app::AppState;
use crate::error::AppError;
use crate::live::Changed;
use crate::store::{Store, Visibility};
use crate::{auth, sync};

/// Whether a commit touched what `visibility` shows.
pub fn visible(visibility: &Visibility, changed: &Changed) -> bool {
    changed.scopes.iter().any(|s| visibility.units.contains(s))
        || visibility
            .department
            .is_some_and(|d| changed.departments.contains(&d))
}

/// Opens a device's stream of `changed` nudges.
pub async fn events<S: Store>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, AppError> {
    let device = auth::authenticate(&state.store, &headers).await?;
    let actor = sync::actor(&device);
    let visibility = sync::visibility(&actor, &state.store.reference());
    state
        .live
        .stream(move |changed| visible(&visibility, changed))
}
