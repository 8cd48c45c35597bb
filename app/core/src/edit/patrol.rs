//! Patrols (巡查) on the device: start, position fixes, stop; the visits and reports made
//! while one runs are attached to it. Also the hand-over's remarks (交班会), the week's sheet
//! and the worker's own figures, all from the records held here.

use chrono::NaiveDate;
use gridwalk_shared::{
    handover::{handover_sheet, HandoverSheet},
    model::{Handover, HandoverRemark, Location, Patrol, TrackPoint},
    patrol_week::{patrol_week, week_of, PatrolWeek},
    scores::{scoreboard, GridScore, Period, PeriodKind},
    time::{new_id, Timestamp},
    validate::MAX_TRACK,
    workflow::fold_incident,
    Record, RecordKind,
};
use serde::Serialize;
use uuid::Uuid;

use super::{context, wrong_kind};
use crate::store::{meta, records};
use crate::{Client, Error, Result};

/// The signed-in worker's patrols now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PatrolStatus {
    /// The patrol running, if one is.
    pub running: Option<Patrol>,
    /// This week against the rule.
    pub week: PatrolWeek,
}

/// The worker's own figures (我的指标): their grid's score this period and their patrol week.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MyFigures {
    /// The period scored.
    pub period: Period,
    /// The worker's grid, scored from the records on this device.
    pub grid: Option<GridScore>,
    /// This week's patrols against the rule.
    pub patrol: PatrolWeek,
}

/// Every other point of the route's interior, keeping its first and last: a long patrol's
/// route stays within [`MAX_TRACK`] points.
fn thin(track: &mut Vec<TrackPoint>) {
    let last = track.len().saturating_sub(1);
    let mut i = 0;
    track.retain(|_| {
        let keep = i == 0 || i == last || i % 2 == 0;
        i += 1;
        keep
    });
}

impl Client {
    /// Records of these kinds held on the device.
    fn held(&self, kinds: &[RecordKind]) -> Result<Vec<Record>> {
        let store = self.store();
        let mut out = Vec::new();
        for (id, kind) in records::list(store.conn())? {
            if kinds.contains(&kind) {
                if let Some(stored) = records::load(store.conn(), id)? {
                    if let Ok(record) = stored.record() {
                        out.push(record);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The signed-in worker's running patrol.
    fn running_patrol(&self) -> Result<Option<Patrol>> {
        let me = context(self.store().conn())?.user.id;
        Ok(self
            .held(&[RecordKind::Patrol])?
            .into_iter()
            .filter_map(|r| match r {
                Record::Patrol(p) if p.worker_id == me && p.ended_at.is_none() => Some(p),
                _ => None,
            })
            .max_by_key(|p| p.started_at))
    }

    /// Starts a patrol of the signed-in worker's grid; returns its id.
    pub fn start_patrol(&self, at: Option<Location>) -> Result<Uuid> {
        if let Some(p) = self.running_patrol()? {
            return Err(Error::Usage(format!(
                "巡查进行中 / patrol {} is running: stop it first",
                p.id
            )));
        }
        let grid_id = self.own_grid()?;
        let now = self.clock.now();
        self.create(|_, ctx| {
            Ok(Record::Patrol(Patrol {
                id: new_id(),
                grid_id,
                worker_id: ctx.user.id,
                started_at: now,
                ended_at: None,
                track: at.map(|l| point(&l, now)).into_iter().collect(),
                visit_ids: Vec::new(),
                incident_ids: Vec::new(),
            }))
        })
    }

    /// Adds a position fix to the running patrol (thinning its route when full).
    pub fn patrol_fix(&self, at: Location) -> Result<Uuid> {
        let patrol = self.running_patrol()?.ok_or_else(no_patrol)?;
        let now = self.clock.now();
        self.change_patrol(patrol.id, |p| {
            if p.track.len() >= MAX_TRACK {
                thin(&mut p.track);
            }
            p.track.push(point(&at, now));
        })?;
        Ok(patrol.id)
    }

    /// Ends the running patrol, attaching the visits and reports made on it; returns its id.
    pub fn stop_patrol(&self) -> Result<Uuid> {
        let patrol = self.running_patrol()?.ok_or_else(no_patrol)?;
        let now = self.clock.now();
        let me = patrol.worker_id;
        let during = |t: Timestamp| t >= patrol.started_at && t <= now;
        let (mut visits, mut reports) = (Vec::new(), Vec::new());
        for record in self.held(&[RecordKind::Visit, RecordKind::Incident])? {
            match record {
                Record::Visit(v) if v.worker_id == me && during(v.started_at) => visits.push(v.id),
                Record::Incident(i)
                    if i.reporter_id == me
                        && fold_incident(&i.events).reported_at.is_some_and(during) =>
                {
                    reports.push(i.id)
                }
                _ => {}
            }
        }
        self.change_patrol(patrol.id, |p| {
            p.ended_at = Some(now);
            for id in visits {
                if !p.visit_ids.contains(&id) {
                    p.visit_ids.push(id);
                }
            }
            for id in reports {
                if !p.incident_ids.contains(&id) {
                    p.incident_ids.push(id);
                }
            }
        })?;
        Ok(patrol.id)
    }

    fn change_patrol(&self, id: Uuid, change: impl FnOnce(&mut Patrol)) -> Result<()> {
        self.edit(id, Some(RecordKind::Patrol), |doc, old, _| {
            let Record::Patrol(mut patrol) = old.clone() else {
                return Err(wrong_kind(id, RecordKind::Patrol, old.kind()));
            };
            change(&mut patrol);
            Ok(gridwalk_shared::doc::write(doc, &Record::Patrol(patrol))?)
        })
    }

    /// The running patrol and this week's patrol time against the rule.
    pub fn patrol_status(&self) -> Result<PatrolStatus> {
        let (me, reference) = self.me_and_reference()?;
        let patrols = self.held(&[RecordKind::Patrol])?;
        let patrols: Vec<&Patrol> = patrols
            .iter()
            .filter_map(|r| match r {
                Record::Patrol(p) => Some(p),
                _ => None,
            })
            .collect();
        let today = reference.calendar.local_date(self.clock.now());
        let week = patrol_week(
            patrols.iter().copied(),
            me,
            week_of(today),
            &reference.patrol_rule,
            &reference.calendar,
        );
        let running = patrols
            .into_iter()
            .filter(|p| p.worker_id == me && p.ended_at.is_none())
            .max_by_key(|p| p.started_at)
            .cloned();
        Ok(PatrolStatus { running, week })
    }

    fn me_and_reference(&self) -> Result<(Uuid, gridwalk_shared::model::ReferenceData)> {
        let store = self.store();
        let me = meta::credentials(store.conn())?
            .ok_or(Error::NotEnrolled)?
            .user
            .id;
        let reference = meta::reference(store.conn())?.ok_or(Error::NoReference)?;
        Ok((me, reference))
    }

    /// Adds the grid leader's remark to `grid`'s hand-over of the week holding `week`
    /// (default: last week), creating the week's record if needed; returns its id.
    pub fn add_handover_remark(
        &self,
        grid: Uuid,
        week: Option<NaiveDate>,
        text: &str,
    ) -> Result<Uuid> {
        let (me, reference) = self.me_and_reference()?;
        let now = self.clock.now();
        let monday = week_of(
            week.unwrap_or_else(|| reference.calendar.local_date(now) - chrono::Duration::days(7)),
        );
        let remark = HandoverRemark {
            id: new_id(),
            at: now,
            by: me,
            text: text.to_string(),
        };
        let existing = self
            .held(&[RecordKind::Handover])?
            .into_iter()
            .find_map(|r| match r {
                Record::Handover(h) if h.grid_id == grid && h.week == monday.to_string() => {
                    Some(h.id)
                }
                _ => None,
            });
        match existing {
            Some(id) => {
                self.edit(id, Some(RecordKind::Handover), |doc, old, _| {
                    let Record::Handover(mut handover) = old.clone() else {
                        return Err(wrong_kind(id, RecordKind::Handover, old.kind()));
                    };
                    handover.remarks.push(remark);
                    Ok(gridwalk_shared::doc::write(
                        doc,
                        &Record::Handover(handover),
                    )?)
                })?;
                Ok(id)
            }
            None => self.create(|_, _| {
                Ok(Record::Handover(Handover {
                    id: new_id(),
                    grid_id: grid,
                    week: monday.to_string(),
                    remarks: vec![remark],
                }))
            }),
        }
    }

    /// `grid`'s hand-over sheet for the week holding `week` (default: last week), from the
    /// records on this device (the hall tablet holds its community's).
    pub fn handover_sheet(&self, grid: Uuid, week: Option<NaiveDate>) -> Result<HandoverSheet> {
        let (_, reference) = self.me_and_reference()?;
        let now = self.clock.now();
        let monday = week_of(
            week.unwrap_or_else(|| reference.calendar.local_date(now) - chrono::Duration::days(7)),
        );
        let records = self.held(&RecordKind::ALL)?;
        Ok(handover_sheet(&records, &reference, grid, monday))
    }

    /// The signed-in worker's own figures for the period of `kind` holding today.
    pub fn my_figures(&self, kind: PeriodKind) -> Result<MyFigures> {
        let grid = self.own_grid().ok();
        let (_, reference) = self.me_and_reference()?;
        let now = self.clock.now();
        let period = Period::containing(kind, reference.calendar.local_date(now));
        let kinds = [
            RecordKind::Household,
            RecordKind::Visit,
            RecordKind::Incident,
            RecordKind::Patrol,
        ];
        let records = self.held(&kinds)?;
        let grid = grid.and_then(|g| {
            scoreboard(&records, &reference, period, &[g], now)
                .grids
                .pop()
        });
        Ok(MyFigures {
            period,
            grid,
            patrol: self.patrol_status()?.week,
        })
    }
}

fn point(l: &Location, now: Timestamp) -> TrackPoint {
    // Stored with six decimals (about 0.1 m): round now so the record reads back as written.
    let round = |x: f64, digits: f64| (x * digits).round() / digits;
    TrackPoint {
        at: now,
        lat: round(l.lat, 1e6),
        lon: round(l.lon, 1e6),
        accuracy_m: l.accuracy_m.map(|a| round(a, 10.0)),
    }
}

fn no_patrol() -> Error {
    Error::Usage("没有进行中的巡查 / no patrol is running: start one first".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_the_ends_and_halves_the_route() {
        let mut track: Vec<TrackPoint> = (0..10)
            .map(|i| TrackPoint {
                at: Timestamp::from_millis(i),
                lat: 0.0,
                lon: 0.0,
                accuracy_m: None,
            })
            .collect();
        thin(&mut track);
        let kept: Vec<i64> = track.iter().map(|p| p.at.millis()).collect();
        assert_eq!(kept, vec![0, 2, 4, 6, 8, 9]);
    }
}
