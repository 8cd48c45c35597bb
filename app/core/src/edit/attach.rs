//! Attaching photos and audio notes (blobs already added on this device) to records.

use gridwalk_shared::{doc, Record, RecordKind};
use rusqlite::Connection;
use uuid::Uuid;

use crate::store::blobs::{self, BlobKind};
use crate::{Client, Error, Result};

/// Photos and audio notes to attach, by the hashes [`Client::add_photo`] and
/// [`Client::add_audio`] returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachments {
    /// Photo hashes.
    pub photos: Vec<String>,
    /// Audio note hashes.
    pub audio: Vec<String>,
}

/// Refuses hashes that are not a photo or audio note held on this device, so a record never
/// references a blob nobody can upload.
pub(super) fn check(conn: &Connection, media: &Attachments) -> Result<()> {
    let wanted = media
        .photos
        .iter()
        .map(|h| (h, BlobKind::Photo))
        .chain(media.audio.iter().map(|h| (h, BlobKind::Audio)));
    for (hash, kind) in wanted {
        match blobs::get(conn, hash)? {
            Some(row) if row.kind == kind => {}
            _ => {
                let what = if kind == BlobKind::Photo {
                    "photo"
                } else {
                    "audio note"
                };
                return Err(Error::Usage(format!(
                    "no {what} {hash} on this device: add it first"
                )));
            }
        }
    }
    Ok(())
}

impl Client {
    /// Adds photos and audio notes to an existing visit or incident.
    pub fn attach(&self, id: Uuid, media: &Attachments) -> Result<()> {
        check(self.store().conn(), media)?;
        self.edit(id, None, |document, old, _| {
            let extend = |list: &mut Vec<String>, new: &[String]| {
                for hash in new {
                    if !list.contains(hash) {
                        list.push(hash.clone());
                    }
                }
            };
            let record = match old.clone() {
                Record::Visit(mut visit) => {
                    extend(&mut visit.photos, &media.photos);
                    extend(&mut visit.audio, &media.audio);
                    Record::Visit(visit)
                }
                Record::Incident(mut incident) => {
                    extend(&mut incident.photos, &media.photos);
                    extend(&mut incident.audio, &media.audio);
                    Record::Incident(incident)
                }
                other => {
                    return Err(super::wrong_kind(id, RecordKind::Visit, other.kind()));
                }
            };
            Ok(doc::write(document, &record)?)
        })
    }
}
