//! The device's photo pipeline (sniff, decode under limits, downscale, orient, re-encode):
//! any bytes give a photo and thumbnail within their edges, or a `MediaError`.

#![no_main]

use gridwalk_client::media::photo::{process, LONG_EDGE, THUMBNAIL_EDGE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Ok(photo) = process(input) {
        assert!(photo.full.width.max(photo.full.height) <= LONG_EDGE);
        assert!(photo.thumbnail.width.max(photo.thumbnail.height) <= THUMBNAIL_EDGE);
    }
});
