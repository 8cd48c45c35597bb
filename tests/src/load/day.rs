//! A grid worker's day of field work as real records: visits with checklist answers, incident
//! reports and household edits, ready to upload.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use automerge::AutoCommit;
use gridwalk_shared::doc;
use gridwalk_shared::model::{
    Answer, ChecklistTemplate, Household, Incident, IncidentAction, IncidentEvent, ItemKind,
    Location, Record, RecordKind, ReferenceData, Visit,
};
use gridwalk_shared::time::Timestamp;
use gridwalk_shared::wire::{DocDownload, DocUpload};
use serde_bytes::ByteBuf;
use uuid::Uuid;

/// Visits in a day's work.
pub const VISITS: usize = 20;
/// Incident reports in a day's work.
pub const INCIDENTS: usize = 2;
/// Household edits in a day's work.
pub const HOUSEHOLD_EDITS: usize = 5;
/// Records in a day's work.
pub const RECORDS: usize = VISITS + INCIDENTS + HOUSEHOLD_EDITS;

/// 09:00 Beijing time on Tuesday 10 March 2026, the simulated day's start (epoch ms).
pub const DAY_START_MS: i64 = 1_773_104_400_000;

/// Visit notes a grid worker writes.
pub const NOTES: [&str; 10] = [
    "家中一切正常",
    "户主外出务工，由配偶接待",
    "独居老人身体状况良好，已提醒按时服药",
    "已宣传防范电信网络诈骗",
    "楼道有杂物堆放，已劝导清理",
    "租户已登记居住信息",
    "燃气软管老化，建议更换",
    "居民反映路灯不亮",
    "已发放垃圾分类宣传材料",
    "下次走访时带医保参保材料",
];

/// Descriptions of reported problems.
pub const INCIDENT_TEXT: [&str; 4] = [
    "小区东门垃圾桶满溢，周边有暴露垃圾",
    "3号楼楼道堆放纸箱，堵塞消防通道",
    "电动自行车在楼道内充电",
    "路灯损坏，夜间照明不足",
];

/// A small deterministic generator (SplitMix64) so runs are repeatable.
#[derive(Debug, Clone)]
pub struct Mix(u64);

impl Mix {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Mix {
        Mix(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The reference data a day's work is written against.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// The current visit checklist.
    pub template: ChecklistTemplate,
    /// Incident category codes, `env.garbage` first.
    pub categories: Vec<String>,
}

impl Catalog {
    /// The current checklist and the incident categories of `reference`.
    pub fn of(reference: &ReferenceData) -> Result<Catalog> {
        let template = reference
            .current_checklist()
            .context("the deployment has no visit checklist")?
            .clone();
        let mut categories: Vec<String> = reference
            .categories
            .iter()
            .map(|c| c.code.clone())
            .collect();
        categories.sort_by_key(|c| c != "env.garbage");
        if categories.is_empty() {
            bail!("the deployment has no incident categories");
        }
        Ok(Catalog {
            template,
            categories,
        })
    }
}

/// A household as downloaded: its record and its whole document.
#[derive(Debug, Clone)]
pub struct HouseholdDoc {
    /// The record.
    pub record: Household,
    /// The saved document it was read from.
    pub snapshot: Vec<u8>,
}

/// The households among downloaded documents, by address.
pub fn households(docs: &[DocDownload]) -> Result<Vec<HouseholdDoc>> {
    let mut out = Vec::new();
    for d in docs.iter().filter(|d| d.kind == RecordKind::Household) {
        let document = doc::load(&d.data)?;
        if let Record::Household(record) = doc::read(&document, RecordKind::Household)? {
            out.push(HouseholdDoc {
                record,
                snapshot: d.data.to_vec(),
            });
        }
    }
    out.sort_by(|a, b| a.record.address.cmp(&b.record.address));
    Ok(out)
}

/// The records of downloaded documents as one gzip-compressed JSON array, in bytes: what the
/// same download would weigh as JSON.
pub fn json_gzip_len(docs: &[DocDownload]) -> Result<usize> {
    let mut records = Vec::with_capacity(docs.len());
    for d in docs {
        records.push(doc::read(&doc::load(&d.data)?, d.kind)?);
    }
    Ok(gridwalk_shared::wire::gzip(&serde_json::to_vec(&records)?).len())
}

fn fake_hash(rng: &mut Mix) -> String {
    (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect()
}

/// Answers to the checklist: every required item and about 60% of the others.
pub fn answers(template: &ChecklistTemplate, rng: &mut Mix) -> BTreeMap<String, Answer> {
    let mut out = BTreeMap::new();
    for item in &template.items {
        if !item.required && rng.unit() >= 0.6 {
            continue;
        }
        let answer = match &item.kind {
            ItemKind::YesNo => Answer::YesNo(rng.unit() < 0.5),
            ItemKind::SingleChoice { options } => Answer::Choice(rng.pick(options).clone()),
            ItemKind::MultiChoice { options } => {
                let mut chosen = vec![rng.pick(options).clone()];
                let other = rng.pick(options).clone();
                if !chosen.contains(&other) {
                    chosen.push(other);
                }
                Answer::Choices(chosen)
            }
            ItemKind::Text => Answer::Text(rng.pick(&NOTES).to_string()),
            ItemKind::Number => Answer::Number((1 + rng.below(6)) as f64),
            ItemKind::Photo => Answer::Photos(vec![fake_hash(rng)]),
        };
        out.insert(item.key.clone(), answer);
    }
    out
}

/// A position fix near the demo street at `at`.
pub fn location(rng: &mut Mix, at: Timestamp) -> Location {
    Location {
        lat: 39.11 + rng.unit() * 0.02,
        lon: 117.19 + rng.unit() * 0.02,
        accuracy_m: Some((3 + rng.below(28)) as f64),
        at,
        adjusted_from: None,
    }
}

/// A finished visit by `worker` to `household`, started at `started`.
pub fn visit(
    catalog: &Catalog,
    rng: &mut Mix,
    household: &Household,
    worker: Uuid,
    started: Timestamp,
) -> Visit {
    let ended = Timestamp::from_millis(started.millis() + 10 * 60_000);
    Visit {
        id: Uuid::now_v7(),
        grid_id: household.grid_id,
        household_id: household.id,
        worker_id: worker,
        started_at: started,
        ended_at: Some(ended),
        location: Some(location(rng, started)),
        template_id: Some(catalog.template.id),
        template_version: Some(i64::from(catalog.template.version)),
        answers: answers(&catalog.template, rng),
        notes: format!("{}，{}", rng.pick(&NOTES), rng.pick(&NOTES)),
        photos: Vec::new(),
        audio: Vec::new(),
        follow_up: rng.unit() < 0.1,
        campaign: None,
    }
}

/// A new incident reported by `reporter` in `grid` at `at`.
pub fn incident(
    category: &str,
    rng: &mut Mix,
    grid: Uuid,
    reporter: Uuid,
    at: Timestamp,
) -> Incident {
    Incident {
        id: Uuid::now_v7(),
        grid_id: grid,
        category: category.to_string(),
        description: rng.pick(&INCIDENT_TEXT).to_string(),
        location: Some(location(rng, at)),
        photos: vec![fake_hash(rng)],
        audio: Vec::new(),
        reporter_id: reporter,
        events: vec![IncidentEvent {
            id: Uuid::now_v7(),
            at,
            by: reporter,
            action: IncidentAction::Report,
            note: String::new(),
            photos: Vec::new(),
            location: None,
        }],
        received: Default::default(),
    }
}

fn to_upload(record: &Record, changes: Vec<automerge::Change>) -> DocUpload {
    DocUpload {
        doc_id: record.id(),
        kind: record.kind(),
        scope: record.scope(),
        changes: changes
            .iter()
            .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
            .collect(),
    }
}

/// A new document for `record`, as an upload of all its changes.
pub fn create(record: &Record) -> Result<DocUpload> {
    Ok(create_kept(record)?.0)
}

/// Like [`create`], also returning the document for later edits.
pub fn create_kept(record: &Record) -> Result<(DocUpload, AutoCommit)> {
    let mut document = doc::create(record)?;
    let changes = document.get_changes(&[]);
    Ok((to_upload(record, changes), document))
}

/// Writes `record` into `document` and returns an upload of only the new changes.
pub fn change(document: &mut AutoCommit, record: &Record) -> Result<DocUpload> {
    let before = document.get_heads();
    doc::write(document, record)?;
    let changes = document.get_changes(&before);
    if changes.is_empty() {
        bail!(
            "editing {} {} made no change",
            record.kind().as_str(),
            record.id()
        );
    }
    Ok(to_upload(record, changes))
}

/// Edits the phone number on a copy of a downloaded household; returns the edited record and
/// an upload of only the new change.
pub fn edit_phone(household: &HouseholdDoc, rng: &mut Mix) -> Result<(Record, DocUpload)> {
    let mut document = doc::load(&household.snapshot)?;
    let mut record = household.record.clone();
    record.phone = format!("139{:08}", rng.below(100_000_000));
    let record = Record::Household(record);
    let upload = change(&mut document, &record)?;
    Ok((record, upload))
}

/// One record of a day's work: what changed, and the upload carrying it.
#[derive(Debug, Clone)]
pub struct Work {
    /// The record after the change.
    pub record: Record,
    /// Its upload.
    pub upload: DocUpload,
}

/// A grid worker's day: [`VISITS`] visits and [`HOUSEHOLD_EDITS`] phone edits on the
/// households of its `slot` (its own run of `grid_households`, wrapping round), and
/// [`INCIDENTS`] incident reports.
pub fn day(
    catalog: &Catalog,
    rng: &mut Mix,
    worker: Uuid,
    grid_households: &[HouseholdDoc],
    slot: usize,
) -> Result<Vec<Work>> {
    let n = grid_households.len();
    if n == 0 {
        bail!("the grid has no households");
    }
    let mut work = Vec::with_capacity(RECORDS);
    for i in 0..VISITS {
        let household = &grid_households[(slot * VISITS + i) % n].record;
        let started = Timestamp::from_millis(DAY_START_MS + i as i64 * 15 * 60_000);
        let record = Record::Visit(visit(catalog, rng, household, worker, started));
        work.push(Work {
            upload: create(&record)?,
            record,
        });
    }
    let grid = grid_households[0].record.grid_id;
    for i in 0..INCIDENTS {
        let category = &catalog.categories[i % catalog.categories.len()];
        let at = Timestamp::from_millis(DAY_START_MS + (i as i64 * 2 + 1) * 60 * 60_000);
        let record = Record::Incident(incident(category, rng, grid, worker, at));
        work.push(Work {
            upload: create(&record)?,
            record,
        });
    }
    for i in 0..HOUSEHOLD_EDITS {
        let (record, upload) = edit_phone(&grid_households[(slot * HOUSEHOLD_EDITS + i) % n], rng)?;
        work.push(Work { record, upload });
    }
    Ok(work)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridwalk_shared::validate::{validate_change, validate_record, Actor};

    #[test]
    fn a_day_is_valid_for_the_demo_street() {
        let demo = gridwalk_server::seed::demo(1);
        let reference = demo.reference;
        let catalog = Catalog::of(&reference).unwrap();
        let worker = reference
            .users
            .iter()
            .find(|u| u.login == "worker1")
            .unwrap();
        let docs: Vec<HouseholdDoc> = demo
            .households
            .iter()
            .filter(|h| h.grid_id == worker.scope_id)
            .take(40)
            .map(|h| HouseholdDoc {
                record: h.clone(),
                snapshot: doc::create(&Record::Household(h.clone())).unwrap().save(),
            })
            .collect();
        let actor = Actor {
            user_id: worker.id,
            role: worker.role,
            scope_id: worker.scope_id,
        };
        let mut rng = Mix::new(7);
        let work = day(&catalog, &mut rng, worker.id, &docs, 1).unwrap();
        assert_eq!(work.len(), RECORDS);
        for w in &work {
            validate_record(&w.record, &reference).unwrap();
            let old = docs
                .iter()
                .find(|d| d.record.id == w.record.id())
                .map(|d| Record::Household(d.record.clone()));
            validate_change(old.as_ref(), &w.record, &actor, &reference).unwrap();
            assert!(!w.upload.changes.is_empty());
        }
    }
}
