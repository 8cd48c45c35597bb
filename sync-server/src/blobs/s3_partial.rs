//! A resumable upload in the object store, shared by every node (docs/storage.md). Under
//! `partial/HASH/`:
//! - `piece/OFFSET` (20 digits): the bytes one append brought, created only if absent
//!   (`PutMode::Create`), so of two nodes racing for one offset exactly one wins;
//! - `upload`: the id of the blob's S3 multipart upload, made when the first 5 MiB are in;
//! - `part/INDEX` (5 digits): the ETag of multipart part INDEX, bytes
//!   `INDEX × 5 MiB ..+ 5 MiB` (fixed boundaries: every node uploads the same bytes as a
//!   part, so a race uploads it twice, identically);
//! - `whole`: the completed multipart object, until its hash is checked.
//!
//! Bytes held = the parts in a row from 0, then the pieces that continue from their end.

use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt, TryStreamExt};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutMode};
use sha2::{Digest, Sha256};

use super::s3::{found, S3BlobStore, PART_BYTES};
use super::{BlobError, BlobResult};

/// Ranged reads of pieces in flight at once.
const READS_AT_ONCE: usize = 8;

/// A piece of a partial upload: bytes `start..start + size`.
#[derive(Debug, Clone)]
struct Piece {
    start: u64,
    size: u64,
    path: Path,
}

impl Piece {
    fn end(&self) -> u64 {
        self.start + self.size
    }
}

/// What the object store holds of one upload in progress.
#[derive(Debug, Default)]
pub(super) struct PartialState {
    /// Parts recorded, in a row from index 0.
    parts: u64,
    pieces: Vec<Piece>,
    /// Every object of the upload, to delete it.
    objects: Vec<Path>,
    /// Whether the multipart upload was completed into `whole` (a finish cut short).
    staged: bool,
}

impl PartialState {
    fn parts_end(&self) -> u64 {
        self.parts * PART_BYTES
    }

    /// The pieces that continue from the parts' end, in order; bytes held is the last one's
    /// end.
    fn chain(&self) -> (Vec<&Piece>, u64) {
        let (mut chain, mut at) = (Vec::new(), self.parts_end());
        while let Some(next) = self
            .pieces
            .iter()
            .filter(|p| p.start <= at && at < p.end())
            .max_by_key(|p| p.end())
        {
            chain.push(next);
            at = next.end();
        }
        (chain, at)
    }

    /// Bytes held.
    pub(super) fn held(&self) -> u64 {
        self.chain().1
    }
}

impl S3BlobStore {
    fn partial_key(&self, hash: &str, rest: &str) -> Path {
        self.key(&format!("partial/{hash}/{rest}"))
    }

    /// Reads the state of the upload of `hash` (one LIST).
    pub(super) async fn partial_state(&self, hash: &str) -> BlobResult<PartialState> {
        let root = self.partial_key(hash, "");
        let listed: Vec<ObjectMeta> = self.s3.list(Some(&root)).try_collect().await?;
        let mut state = PartialState::default();
        let mut part_indexes = Vec::new();
        for meta in listed {
            // Below the prefix: `partial/HASH/KIND[/N]`.
            let parts = self.relative(&meta.location);
            match parts.get(2..).unwrap_or_default() {
                [kind, n] if kind == "piece" => {
                    if let Ok(start) = n.parse::<u64>() {
                        state.pieces.push(Piece {
                            start,
                            size: meta.size,
                            path: meta.location.clone(),
                        });
                    }
                }
                [kind, n] if kind == "part" => part_indexes.extend(n.parse::<u64>().ok()),
                [kind] if kind == "whole" => state.staged = true,
                _ => {}
            }
            state.objects.push(meta.location);
        }
        part_indexes.sort_unstable();
        state.parts = part_indexes
            .iter()
            .enumerate()
            .take_while(|(i, n)| *i as u64 == **n)
            .count() as u64;
        state.pieces.retain(|p| p.size > 0);
        Ok(state)
    }

    /// Appends `bytes` at `at` as one piece; then turns each full 5 MiB into a part.
    pub(super) async fn append_piece(&self, hash: &str, at: u64, bytes: Bytes) -> BlobResult<u64> {
        let mut state = self.partial_state(hash).await?;
        let held = state.held();
        if held != at {
            return Err(BlobError::OffsetTaken { held });
        }
        if bytes.is_empty() {
            return Ok(at);
        }
        let path = self.partial_key(hash, &format!("piece/{at:020}"));
        let size = bytes.len() as u64;
        let put = self
            .s3
            .put_opts(&path, bytes.into(), PutMode::Create.into())
            .await;
        match put {
            Ok(_) => {}
            Err(object_store::Error::AlreadyExists { .. }) => {
                let held = self.partial_state(hash).await?.held();
                return Err(BlobError::OffsetTaken { held });
            }
            Err(e) => return Err(e.into()),
        }
        state.pieces.push(Piece {
            start: at,
            size,
            path,
        });
        // The piece is kept whatever happens next; a part that fails now is made later.
        if let Err(e) = self.make_parts(hash, &mut state).await {
            tracing::warn!(blob = %hash, "multipart part not made yet: {e}");
        }
        Ok(at + size)
    }

    /// Bytes `from..to` of the upload, read from its pieces (a few ranged reads at a time).
    async fn read_pieces(&self, state: &PartialState, from: u64, to: u64) -> BlobResult<Bytes> {
        let wanted: Vec<(Path, std::ops::Range<u64>)> = state
            .chain()
            .0
            .into_iter()
            .filter_map(|piece| {
                let (start, end) = (from.max(piece.start), to.min(piece.end()));
                (start < end).then(|| (piece.path.clone(), start - piece.start..end - piece.start))
            })
            .collect();
        let s3 = self.s3.clone();
        let read: Vec<Bytes> = futures_util::stream::iter(wanted)
            .map(move |(path, range)| {
                let s3 = s3.clone();
                async move { s3.get_range(&path, range).await }
            })
            .buffered(READS_AT_ONCE)
            .try_collect()
            .await?;
        let mut out = BytesMut::with_capacity((to - from) as usize);
        for bytes in read {
            out.extend_from_slice(&bytes);
        }
        if out.len() as u64 != to - from {
            return Err(BlobError::Io(std::io::Error::other(
                "a piece of the upload changed while it was read",
            )));
        }
        Ok(out.freeze())
    }

    /// The id of the multipart upload of `hash`, begun if there is none (one wins a race).
    async fn multipart_id(&self, hash: &str) -> BlobResult<String> {
        let record = self.partial_key(hash, "upload");
        if let Some(got) = found(self.s3.get(&record).await)? {
            return Ok(String::from_utf8_lossy(&got.bytes().await?).into_owned());
        }
        let staged = self.partial_key(hash, "whole");
        let id = self.s3.create_multipart(&staged).await?;
        let mine = Bytes::from(id.clone());
        match self
            .s3
            .put_opts(&record, mine.into(), PutMode::Create.into())
            .await
        {
            Ok(_) => Ok(id),
            Err(object_store::Error::AlreadyExists { .. }) => {
                let _ = self.s3.abort_multipart(&staged, &id).await;
                let got = self.s3.get(&record).await?;
                Ok(String::from_utf8_lossy(&got.bytes().await?).into_owned())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Uploads `data` as part `index` of the multipart upload and records its ETag.
    async fn upload_part(&self, hash: &str, index: u64, data: Bytes) -> BlobResult<()> {
        let id = self.multipart_id(hash).await?;
        let staged = self.partial_key(hash, "whole");
        let part = self
            .s3
            .put_part(&staged, &id, index as usize, data.into())
            .await?;
        let record = self.partial_key(hash, &format!("part/{index:05}"));
        let etag = Bytes::from(part.content_id);
        match self
            .s3
            .put_opts(&record, etag.into(), PutMode::Create.into())
            .await
        {
            Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Turns every full 5 MiB past the parts into a part, and drops the pieces it covers.
    async fn make_parts(&self, hash: &str, state: &mut PartialState) -> BlobResult<()> {
        while state.held() >= state.parts_end() + PART_BYTES {
            let from = state.parts_end();
            let data = self.read_pieces(state, from, from + PART_BYTES).await?;
            self.upload_part(hash, state.parts, data).await?;
            state.parts += 1;
            let end = state.parts_end();
            let covered: Vec<Path> = state
                .pieces
                .iter()
                .filter(|p| p.end() <= end)
                .map(|p| p.path.clone())
                .collect();
            state.pieces.retain(|p| p.end() > end);
            self.delete_all(covered).await;
        }
        Ok(())
    }

    /// Deletes `paths`, as far as it can (what stays is ignored, and gc removes it).
    async fn delete_all(&self, paths: Vec<Path>) {
        let stream = futures_util::stream::iter(paths.into_iter().map(Ok)).boxed();
        let mut deleted = self.s3.delete_stream(stream);
        while let Some(result) = deleted.next().await {
            if let Err(e) = result {
                tracing::debug!("left an upload object behind: {e}");
            }
        }
    }

    /// Makes the upload of `hash` whole if its bytes hash to `hash`; returns the size.
    pub(super) async fn finish_upload(&self, hash: &str) -> BlobResult<u64> {
        if let Some(meta) = found(self.s3.head(&self.whole(hash)).await)? {
            return Ok(meta.size);
        }
        let state = self.partial_state(hash).await?;
        let mut held = state.held();
        if state.parts == 0 && !state.staged {
            let bytes = self.read_pieces(&state, 0, held).await?;
            if hex::encode(Sha256::digest(&bytes)) != hash {
                return self.mismatch(hash).await;
            }
            self.s3.put(&self.whole(hash), bytes.into()).await?;
        } else {
            let staged = self.staged(hash, &state).await?;
            let (named, size) = self.hash_of(&staged).await?;
            if named != hash {
                return self.mismatch(hash).await;
            }
            held = size;
            self.s3.copy(&staged, &self.whole(hash)).await?;
        }
        self.discard(hash).await?;
        Ok(held)
    }

    /// Completes the multipart upload (the pieces past the parts as its last part) into
    /// `partial/HASH/whole`, unless a finish cut short did already. An upload that cannot
    /// be completed (a part not as recorded) is discarded: the device sends it again.
    async fn staged(&self, hash: &str, state: &PartialState) -> BlobResult<Path> {
        let staged = self.partial_key(hash, "whole");
        if state.staged {
            return Ok(staged);
        }
        let mut state_now = PartialState {
            parts: state.parts,
            pieces: state.pieces.clone(),
            ..PartialState::default()
        };
        self.make_parts(hash, &mut state_now).await?;
        let (from, held) = (state_now.parts_end(), state_now.held());
        let mut count = state_now.parts;
        if held > from {
            let tail = self.read_pieces(&state_now, from, held).await?;
            self.upload_part(hash, count, tail).await?;
            count += 1;
        }
        let mut parts = Vec::new();
        for index in 0..count {
            let record = self.partial_key(hash, &format!("part/{index:05}"));
            let etag = self.s3.get(&record).await?.bytes().await?;
            parts.push(PartId {
                content_id: String::from_utf8_lossy(&etag).into_owned(),
            });
        }
        let id = self.multipart_id(hash).await?;
        if let Err(e) = self.s3.complete_multipart(&staged, &id, parts).await {
            // Another node may have completed it meanwhile.
            if found(self.s3.head(&staged).await)?.is_none() {
                tracing::warn!(blob = %hash, "multipart upload not completed, discarded: {e}");
                self.discard(hash).await?;
                return Err(e.into());
            }
        }
        Ok(staged)
    }

    /// The SHA-256 and size of the object at `path`, read as a stream.
    async fn hash_of(&self, path: &Path) -> BlobResult<(String, u64)> {
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut stream = self.s3.get(path).await?.into_stream();
        while let Some(chunk) = stream.next().await.transpose()? {
            hasher.update(&chunk);
            size += chunk.len() as u64;
        }
        Ok((hex::encode(hasher.finalize()), size))
    }

    async fn mismatch(&self, hash: &str) -> BlobResult<u64> {
        self.discard(hash).await?;
        Err(BlobError::HashMismatch(hash.to_string()))
    }

    /// Deletes the upload of `hash`: its objects, and its multipart upload if begun.
    pub(super) async fn discard(&self, hash: &str) -> BlobResult<()> {
        let record = self.partial_key(hash, "upload");
        if let Some(got) = found(self.s3.get(&record).await)? {
            let id = String::from_utf8_lossy(&got.bytes().await?).into_owned();
            let staged = self.partial_key(hash, "whole");
            if let Err(e) = self.s3.abort_multipart(&staged, &id).await {
                tracing::debug!(blob = %hash, "multipart upload not aborted: {e}");
            }
        }
        let state = self.partial_state(hash).await?;
        self.delete_all(state.objects).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(parts: u64, pieces: &[(u64, u64)]) -> PartialState {
        PartialState {
            parts,
            pieces: pieces
                .iter()
                .map(|&(start, size)| Piece {
                    start,
                    size,
                    path: Path::from(format!("piece/{start}")),
                })
                .collect(),
            ..PartialState::default()
        }
    }

    #[test]
    fn bytes_held_are_the_parts_then_the_pieces_that_continue_them() {
        assert_eq!(state(0, &[]).held(), 0);
        assert_eq!(state(0, &[(0, 10), (10, 5)]).held(), 15);
        // A gap: what lies past it is not held.
        assert_eq!(state(0, &[(0, 10), (20, 5)]).held(), 10);
        let p = PART_BYTES;
        // A piece across the part's end continues it; a stale piece below it is ignored.
        assert_eq!(state(1, &[(p - 10, 30), (p - 100, 50)]).held(), p + 20);
        // Of two pieces covering one offset, the one reaching further is taken.
        assert_eq!(state(1, &[(p, 10), (p, 40), (p + 10, 5)]).held(), p + 40);
        assert_eq!(state(2, &[]).held(), 2 * p);
    }
}
