//! Room on the phone: a year of visits leaves ~160 MiB of photo originals that the server
//! already holds. After a sync, originals older than [`KEEP_UPLOADED_PHOTOS_DAYS`] are
//! removed from the device; their thumbnails stay (lists and cards show those), and opening
//! one fetches the original again ([`Client::blob`]). Nothing the server does not hold whole
//! is ever removed.

use serde::Serialize;

use super::files;
use crate::store::blobs;
use crate::{Client, Result};

/// Days a photo's original stays on the device once the server holds it.
pub const KEEP_UPLOADED_PHOTOS_DAYS: u32 = 30;

/// What [`Client::free_uploaded_photos`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Freed {
    /// Photo originals removed.
    pub photos: usize,
    /// Their bytes.
    pub bytes: u64,
}

impl Client {
    /// Removes the originals of photos stored here more than `days` days ago that the server
    /// holds whole (the device's own, uploaded, and colleagues' it fetched); thumbnails stay
    /// and [`Client::blob`] fetches an original again when it is opened.
    pub fn free_uploaded_photos(&self, days: u32) -> Result<Freed> {
        let before = self.clock.now().millis() - i64::from(days) * 86_400_000;
        let mut freed = Freed::default();
        let old = blobs::uploaded_photos_before(self.store().conn(), before)?;
        for photo in old {
            // The row goes first: a crash between the two leaves a stray file, never a row
            // pointing at nothing.
            self.store().write(|tx| blobs::forget(tx, &photo.hash))?;
            files::remove(&files::path(&self.dir, &photo.hash, photo.media_type()))?;
            freed.photos += 1;
            freed.bytes += photo.size;
        }
        Ok(freed)
    }
}
