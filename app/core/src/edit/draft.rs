//! Visit drafts (走访草稿): a visit being filled in, kept on the device so that it survives
//! the app being closed, and turned into a visit record when the worker finishes it.
//! Drafts are local only (the `meta` table, one row per household); they never sync.

use std::collections::BTreeMap;

use gridwalk_shared::{
    model::{Answer, CampaignKind, CampaignWork, Location, Visit},
    time::{new_id, Timestamp},
    validate::validate_record,
    Record,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::context;
use crate::store::{drafts, queries};
use crate::{Client, Error, Result};

/// A visit being filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VisitDraft {
    /// Id the finished visit will have (finishing twice cannot make two visits).
    pub visit_id: Uuid,
    /// Household visited.
    pub household_id: Uuid,
    /// When the visit started.
    pub started_at: Timestamp,
    /// Position fix taken for the visit; `None` when there was none.
    pub location: Option<Location>,
    /// Checklist template id the answers belong to.
    pub template_id: Option<Uuid>,
    /// Checklist template version the answers belong to.
    pub template_version: Option<u32>,
    /// Answers by item key.
    pub answers: BTreeMap<String, Answer>,
    /// Notes.
    pub notes: String,
    /// Photo blob hashes added on this device.
    pub photos: Vec<String>,
    /// Audio note blob hashes added on this device (absent in drafts saved before notes).
    #[serde(default)]
    pub audio: Vec<String>,
    /// Needs a follow-up visit.
    pub follow_up: bool,
    /// Last saved.
    pub saved_at: Timestamp,
    /// The campaign whose task this visit does (absent in drafts saved before campaigns).
    #[serde(default)]
    pub campaign_id: Option<Uuid>,
}

impl VisitDraft {
    /// The visit this draft describes, ended at `ended` (`None`: still a draft).
    fn visit(&self, grid_id: Uuid, worker_id: Uuid, ended: Option<Timestamp>) -> Visit {
        Visit {
            id: self.visit_id,
            grid_id,
            household_id: self.household_id,
            worker_id,
            started_at: self.started_at,
            ended_at: ended,
            location: self.location.clone(),
            template_id: self.template_id,
            template_version: self.template_version.map(i64::from),
            answers: self.answers.clone(),
            notes: self.notes.clone(),
            photos: self.photos.clone(),
            audio: self.audio.clone(),
            follow_up: self.follow_up,
            campaign: self.campaign_id.map(|campaign_id| CampaignWork {
                campaign_id,
                building_id: None,
                census: None,
            }),
        }
    }
}

impl Client {
    /// The draft for `household`, or a new one started now with the current checklist
    /// template (not stored until [`Client::save_visit_draft`]).
    pub fn open_visit_draft(&self, household: Uuid) -> Result<VisitDraft> {
        let store = self.store();
        let conn = store.conn();
        if let Some(draft) = drafts::load(conn, household)? {
            return Ok(draft);
        }
        let ctx = context(conn)?;
        queries::household(conn, household)?.ok_or(Error::NotFound(household))?;
        let template = ctx.reference.current_checklist();
        let now = self.clock.now();
        Ok(VisitDraft {
            visit_id: new_id(),
            household_id: household,
            started_at: now,
            location: None,
            template_id: template.map(|t| t.id),
            template_version: template.map(|t| t.version),
            answers: BTreeMap::new(),
            notes: String::new(),
            photos: Vec::new(),
            audio: Vec::new(),
            follow_up: false,
            saved_at: now,
            campaign_id: None,
        })
    }

    /// The draft of a campaign visit task (阶段性任务) to `household`: its stored draft, made
    /// the campaign's, or a new one with the campaign's checklist (not stored until saved).
    /// Building checks and census tasks are done with [`Client::do_campaign_task`].
    pub fn open_campaign_draft(&self, campaign: Uuid, household: Uuid) -> Result<VisitDraft> {
        let part = self
            .campaign_parts()?
            .into_iter()
            .find(|p| p.campaign_id == campaign && p.targets.iter().any(|t| t.id == household))
            .ok_or_else(|| {
                Error::Usage(format!("campaign {campaign} has no task for {household}"))
            })?;
        if part.task_kind != CampaignKind::Visit {
            return Err(Error::Usage(
                "only a visit campaign's task is done as a visit draft".into(),
            ));
        }
        let mut draft = self.open_visit_draft(household)?;
        if draft.campaign_id != Some(campaign) && draft.answers.is_empty() {
            if let (Some(id), Some(version)) = (part.template_id, part.template_version) {
                draft.template_id = Some(id);
                draft.template_version = u32::try_from(version).ok();
            }
        }
        draft.campaign_id = Some(campaign);
        Ok(draft)
    }

    /// Checks the draft's answers against its template and stores it; returns it as stored.
    pub fn save_visit_draft(&self, mut draft: VisitDraft) -> Result<VisitDraft> {
        draft.saved_at = self.clock.now();
        self.store().write(|tx| {
            let ctx = context(tx)?;
            let household = queries::household(tx, draft.household_id)?
                .ok_or(Error::NotFound(draft.household_id))?;
            let visit = draft.visit(household.grid_id, ctx.user.id, None);
            validate_record(&Record::Visit(visit), &ctx.reference)?;
            drafts::save(tx, &draft)?;
            Ok(draft)
        })
    }

    /// Every stored draft, most recently saved first.
    pub fn visit_drafts(&self) -> Result<Vec<VisitDraft>> {
        let mut drafts = drafts::all(self.store().conn())?;
        drafts.sort_by_key(|d| std::cmp::Reverse(d.saved_at));
        Ok(drafts)
    }

    /// Throws the draft for `household` away.
    pub fn discard_visit_draft(&self, household: Uuid) -> Result<()> {
        self.store().write(|tx| drafts::remove(tx, household))
    }

    /// Finishes the stored draft for `household`: in one transaction, records the visit
    /// (ended now, validated like any visit, so required items must be answered) and
    /// removes the draft. Returns the visit's id.
    pub fn finish_visit_draft(&self, household: Uuid) -> Result<Uuid> {
        let now = self.clock.now();
        self.create(|conn, ctx| {
            let draft = drafts::load(conn, household)?
                .ok_or_else(|| Error::Usage("there is no visit draft for this household".into()))?;
            let row = queries::household(conn, household)?.ok_or(Error::NotFound(household))?;
            let media = super::Attachments {
                photos: draft.photos.clone(),
                audio: draft.audio.clone(),
            };
            super::attach::check(conn, &media)?;
            drafts::remove(conn, household)?;
            let ended = now.max(draft.started_at);
            Ok(Record::Visit(draft.visit(
                row.grid_id,
                ctx.user.id,
                Some(ended),
            )))
        })
    }
}
