//! Open311 API keys and the requests filed with them (`open311_keys`, `open311_requests` in
//! `admin.sql`). A trait beside [`Store`], as [`super::BlobRefs`] is.

use std::future::Future;

use uuid::Uuid;

use super::{Store, StoreResult};

/// A live Open311 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Key {
    /// Its name (who uses it).
    pub name: String,
    /// The org unit it files into and reads.
    pub unit_id: Uuid,
}

/// What the server keeps about a request filed over Open311, beside its incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Request {
    /// The incident it became (its `service_request_id`).
    pub incident_id: Uuid,
    /// The tracking token handed back at filing.
    pub token: String,
    /// Name of the key it was filed with.
    pub key_name: String,
    /// `address_string` as given.
    pub address: Option<String>,
    /// `media_url` as given.
    pub media_url: Option<String>,
    /// The submitter's contact details as JSON (`email`, names, `phone`); never sent out.
    pub contact: String,
}

/// Open311 keys and filed requests.
pub trait Open311Store: Store {
    /// Stores a new key (by its hash) named `name` for `unit_id`; an earlier live key of that
    /// name is revoked.
    fn issue_open311_key(
        &self,
        key_hash: String,
        name: String,
        unit_id: Uuid,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Revokes the live key named `name`; false when there was none.
    fn revoke_open311_key(&self, name: String) -> impl Future<Output = StoreResult<bool>> + Send;

    /// The live key with this hash.
    fn open311_key(
        &self,
        key_hash: String,
    ) -> impl Future<Output = StoreResult<Option<Open311Key>>> + Send;

    /// Records a filed request.
    fn record_open311_request(
        &self,
        request: Open311Request,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The filed requests among these incidents.
    fn open311_requests(
        &self,
        incident_ids: Vec<Uuid>,
    ) -> impl Future<Output = StoreResult<Vec<Open311Request>>> + Send;

    /// The filed request with this token.
    fn open311_token(
        &self,
        token: String,
    ) -> impl Future<Output = StoreResult<Option<Open311Request>>> + Send;
}
