//! Decompression bombs are refused from their headers, before any pixel buffer exists: the
//! process's peak memory (VmHWM) barely moves. One test in its own binary, so no other test
//! raises the peak meanwhile.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

mod images;

use gridwalk_client::media::photo;
use gridwalk_client::MediaError;

/// Peak resident memory of this process in KiB (Linux), if known.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn bombs_are_refused_without_large_allocations() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // 100000×100000 RGBA would be 40 GB.
        ("png 100000x100000", images::png_claiming(100_000, 100_000)),
        // Within the side limit but 256 megapixels (1 GB as RGBA).
        ("png 16000x16000", images::png_claiming(16_000, 16_000)),
        // 65535×65535 JPEG: 12.8 GB as RGB.
        ("jpeg 65535x65535", images::jpeg_claiming(65_535, 65_535)),
        // 10000×6000 = 60 megapixels, over the 50-megapixel limit.
        ("jpeg 10000x6000", images::jpeg_claiming(10_000, 6_000)),
    ];
    let before = peak_kib();
    for (name, bytes) in cases {
        assert!(bytes.len() < 4096, "{name}: the bomb itself is tiny");
        let error = photo::process(&bytes).unwrap_err();
        assert!(
            matches!(
                error,
                MediaError::TooManyPixels { .. } | MediaError::Limit(_)
            ),
            "{name}: {error:?}"
        );
        assert!(!error.to_string().is_empty());
    }
    if let (Some(before), Some(after)) = (before, peak_kib()) {
        let grown_mib = after.saturating_sub(before) / 1024;
        assert!(grown_mib < 32, "peak memory grew by {grown_mib} MiB");
    }
}
