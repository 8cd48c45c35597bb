//! Records that left this device's scope: the server moved them to another grid
//! (re-gridding, `docs/decisions.md`). The move arrives as an ordinary change; once the
//! record it leaves says it is in a grid the device's user does not see, the device drops it
//! — but only when it holds no unsent change of it: those still upload (the server takes an
//! edit made before the device heard of the move), and the record goes once they are
//! acknowledged.

use std::collections::BTreeSet;

use gridwalk_shared::model::ReferenceData;
use gridwalk_shared::validate::{may_read, Actor};
use gridwalk_shared::workflow::department_of;
use gridwalk_shared::Record;
use rusqlite::Connection;
use uuid::Uuid;

use crate::store::{meta, outbox, records};
use crate::Result;

/// Documents of this round whose record is outside what the device's user may read.
pub(super) struct Leaving {
    actor: Option<Actor>,
    ids: BTreeSet<Uuid>,
}

impl Leaving {
    /// Nothing noted yet, for the device's user (none before enrolment: nothing leaves).
    pub(super) fn new(tx: &Connection) -> Result<Leaving> {
        let actor = meta::credentials(tx)?.map(|c| Actor {
            user_id: c.user.id,
            role: c.user.role,
            scope_id: c.user.scope_id,
        });
        Ok(Leaving {
            actor,
            ids: BTreeSet::new(),
        })
    }

    /// Notes document `id` if the `record` it now holds is outside the user's scope.
    pub(super) fn note(
        &mut self,
        id: Uuid,
        record: Option<&Record>,
        reference: Option<&ReferenceData>,
    ) {
        let (Some(actor), Some(record), Some(reference)) = (&self.actor, record, reference) else {
            return;
        };
        if !may_read(actor, record.scope(), department_of(record), reference) {
            self.ids.insert(id);
        }
    }

    /// Notes document `id` as [`note`](Self::note) does, reading its stored record.
    pub(super) fn note_stored(
        &mut self,
        tx: &Connection,
        id: Uuid,
        reference: Option<&ReferenceData>,
    ) -> Result<()> {
        if self.actor.is_none() {
            return Ok(());
        }
        let Ok(Some(stored)) = records::load(tx, id) else {
            return Ok(());
        };
        let record = gridwalk_shared::doc::read(&stored.doc, stored.kind).ok();
        self.note(id, record.as_ref(), reference);
        Ok(())
    }

    /// Drops the noted documents that hold no unsent change; how many.
    pub(super) fn drop_settled(self, tx: &Connection) -> Result<usize> {
        let mut dropped = 0;
        for id in self.ids {
            if !outbox::holds_unsent(tx, id)? {
                tracing::info!(doc = %id, "moved to a grid outside this device's scope: dropped");
                records::delete(tx, id)?;
                dropped += 1;
            }
        }
        Ok(dropped)
    }
}
