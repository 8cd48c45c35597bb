//! The sync load generator's parts (`gridwalk-loadgen`, see `docs/benchmarks.md`): a grid
//! worker's day of records, the wire, deployments, the three phases and the report.

pub mod day;
pub mod field_ops;
pub mod fresh;
pub mod many;
pub mod net;
pub mod nodes;
pub mod peer;
pub mod report;
pub mod setup;
pub mod side_by_side;
pub mod stats;
