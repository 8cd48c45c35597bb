//! Unit tests against real SQLite files in temporary directories. `fixture` builds reference
//! data, signed-in clients and hand-built sync answers, so rounds can be applied without a
//! network; the real server is exercised end to end in `tests/tests/`.

mod campaigns;
mod desk;
mod edits;
mod fixture;
mod hostile;
mod http;
mod screens;
mod store;
mod sync;
