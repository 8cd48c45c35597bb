//! `--photo` and `--audio` on `visit add` and `report add`: the same pipeline the app uses,
//! all or nothing.

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use clap::Args;
use gridwalk_client::{Attachments, Client};
use uuid::Uuid;

#[derive(Debug, Args)]
pub struct Media {
    /// Photo to attach (JPEG, PNG or WebP; repeatable). Downscaled, upright, without metadata.
    #[arg(long = "photo", value_name = "PATH")]
    photos: Vec<PathBuf>,
    /// Audio note to attach (WebM, Ogg, WAV, M4A or MP3; repeatable).
    #[arg(long = "audio", value_name = "PATH")]
    audio: Vec<PathBuf>,
}

impl Media {
    /// Runs every photo and recording through the pipeline; on the first refusal, whatever
    /// this command already added is discarded and the error names the file.
    pub fn add(&self, client: &Client) -> Result<Attachments> {
        let mut added = Attachments::default();
        let result = self.add_each(client, &mut added);
        if result.is_err() {
            discard(client, &added);
        }
        result.map(|()| added)
    }

    fn add_each(&self, client: &Client, added: &mut Attachments) -> Result<()> {
        for path in &self.photos {
            let photo = client
                .add_photo_file(path)
                .map_err(|e| anyhow!("{}: {e}", path.display()))?;
            added.photos.push(photo.hash);
        }
        for path in &self.audio {
            let note = client
                .add_audio_file(path, None)
                .map_err(|e| anyhow!("{}: {e}", path.display()))?;
            added.audio.push(note.hash);
        }
        Ok(())
    }

    /// Creates the record; if that is refused, the blobs added for it are discarded.
    pub fn undo_on_error(
        &self,
        client: &Client,
        added: &Attachments,
        create: impl FnOnce(&Attachments) -> gridwalk_client::Result<Uuid>,
    ) -> Result<Uuid> {
        create(added).map_err(|e| {
            discard(client, added);
            e.into()
        })
    }
}

fn discard(client: &Client, added: &Attachments) {
    for hash in added.photos.iter().chain(&added.audio) {
        // A blob another record already references stays; that is not a failure here.
        let _ = client.discard_blob(hash);
    }
}
