//! The device's apply of a sync response (`wire::decode` then `Client::apply_round`: reference
//! data, rejections with server copies, downloaded documents, cursor) on a fresh store, twice:
//! the second time every document is already held and is merged. Any body is applied or
//! refused with an error, never a panic.

#![no_main]

use gridwalk_client::Client;
use gridwalk_shared::wire::{self, SyncResponse, PROTOCOL_VERSION};
use libfuzzer_sys::fuzz_target;

// libfuzzer-sys's panic hook aborts on every panic, even one `doc::guard` catches (Automerge
// 0.12 panics on some malformed changes; docs/fuzzing.md): silence it. A panic the code under
// test does not catch still aborts the run through libfuzzer-sys's own `catch_unwind`.
fuzz_target!(
    init: {
        std::panic::set_hook(Box::new(|_| {}));
    },
    |body: &[u8]| {
    let Ok(response) = wire::decode::<SyncResponse>(body) else {
        return;
    };
    if response.protocol != PROTOCOL_VERSION {
        return;
    }
    // In memory where there is a tmpfs: the store is created for every input.
    let dir = tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .expect("a temporary directory");
    let client = Client::open(dir.path()).expect("a new store opens");
    let prepared = client
        .prepare_round()
        .expect("an empty store prepares a round");
    for _ in 0..2 {
        let _ = client.apply_round(&prepared, response.clone());
    }
    }
);
