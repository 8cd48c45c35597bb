//! [`BlobStore`] in an S3-compatible object store (docs/storage.md), through the
//! `object_store` crate. Under `PREFIX` in the bucket: `ab/abcdef…` whole blobs,
//! `thumbs/ab/abcdef…` the thumbnail hash of a photo, `partial/abcdef…/…` the state of an
//! upload in progress ([`super::s3_partial`]) — all of it in the bucket, none on a node, so
//! any node continues an upload another began.

use std::ops::Range;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use gridwalk_shared::media::{is_blob_hash, sniff};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutMode};

use super::{BlobError, BlobReader, BlobResult, BlobStore, BoxFuture, Held, Stored, StoredBlob};

/// Size of every multipart part but the last: S3's smallest.
pub const PART_BYTES: u64 = 5 * 1024 * 1024;

/// Blobs under a prefix of one S3 bucket.
pub struct S3BlobStore {
    pub(super) s3: Arc<AmazonS3>,
    prefix: String,
}

/// The object store's answer to a missing key, as `None`.
pub(super) fn found<T>(result: object_store::Result<T>) -> BlobResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn fan(hash: &str) -> &str {
    hash.get(..2).unwrap_or("00")
}

impl S3BlobStore {
    /// The store in `bucket` under `prefix`, configured from the `AWS_*` environment
    /// (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, …);
    /// path-style requests, and plain HTTP when the endpoint is `http://` (a local server).
    pub fn from_env(bucket: &str, prefix: &str) -> BlobResult<S3BlobStore> {
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
        if endpoint.starts_with("http://") {
            builder = builder.with_allow_http(true);
        }
        Ok(S3BlobStore::new(Arc::new(builder.build()?), prefix))
    }

    /// The store over an opened bucket, under `prefix`.
    pub fn new(s3: Arc<AmazonS3>, prefix: &str) -> S3BlobStore {
        S3BlobStore {
            s3,
            prefix: prefix.trim_matches('/').to_string(),
        }
    }

    /// The key `rest` under the prefix.
    pub(super) fn key(&self, rest: &str) -> Path {
        match self.prefix.is_empty() {
            true => Path::from(rest),
            false => Path::from(format!("{}/{rest}", self.prefix)),
        }
    }

    pub(super) fn whole(&self, hash: &str) -> Path {
        self.key(&format!("{}/{hash}", fan(hash)))
    }

    fn thumb_link(&self, photo: &str) -> Path {
        self.key(&format!("thumbs/{}/{photo}", fan(photo)))
    }

    /// The parts of `key` below the prefix.
    pub(super) fn relative(&self, key: &Path) -> Vec<String> {
        let skip = self.key("").parts().count();
        key.parts()
            .skip(skip)
            .map(|p| p.as_ref().to_string())
            .collect()
    }

    async fn open_now(
        &self,
        hash: &str,
        range: Option<Range<u64>>,
    ) -> BlobResult<Option<BlobReader>> {
        let path = self.whole(hash);
        let options = GetOptions::new().with_range(range.clone().map(GetRange::Bounded));
        let Some(got) = found(self.s3.get_opts(&path, options).await)? else {
            return Ok(None);
        };
        let size = got.meta.size;
        let served = got.range.clone();
        let mut stream = got.into_stream();
        // The type from the blob's first bytes: those at hand, or one small ranged read.
        let (head, first) = if served.start == 0 {
            let first = stream.next().await.transpose()?.unwrap_or_default();
            (first.clone(), Some(first))
        } else {
            (self.s3.get_range(&path, 0..size.min(64)).await?, None)
        };
        let rest = stream.map_err(std::io::Error::other);
        let body = futures_util::stream::iter(first.map(Ok)).chain(rest);
        Ok(Some(BlobReader {
            size,
            range: served,
            media: sniff(&head),
            body: Box::pin(tokio_util::io::StreamReader::new(body)),
        }))
    }

    async fn inventory_now(&self) -> BlobResult<Vec<StoredBlob>> {
        let mut whole = Vec::new();
        let mut partial: std::collections::BTreeMap<String, StoredBlob> = Default::default();
        let mut listing = self.s3.list(Some(&self.key("")));
        while let Some(meta) = listing.next().await.transpose()? {
            let parts = self.relative(&meta.location);
            let modified = SystemTime::from(meta.last_modified);
            match parts.as_slice() {
                [fan_out, hash] if fan_out.len() == 2 && is_blob_hash(hash) => {
                    whole.push(StoredBlob {
                        hash: hash.clone(),
                        kind: Stored::Whole,
                        size: meta.size,
                        modified,
                    })
                }
                [dir, hash, ..] if dir == "partial" && is_blob_hash(hash) => {
                    let entry = partial.entry(hash.clone()).or_insert(StoredBlob {
                        hash: hash.clone(),
                        kind: Stored::Partial,
                        size: 0,
                        modified,
                    });
                    entry.size += meta.size;
                    entry.modified = entry.modified.max(modified);
                }
                _ => {}
            }
        }
        whole.extend(partial.into_values());
        whole.sort_by(|a, b| a.hash.cmp(&b.hash));
        Ok(whole)
    }

    async fn remove_now(&self, blob: &StoredBlob) -> BlobResult<()> {
        match blob.kind {
            Stored::Partial => self.discard(&blob.hash).await,
            Stored::Whole => {
                found(self.s3.delete(&self.thumb_link(&blob.hash)).await)?;
                found(self.s3.delete(&self.whole(&blob.hash)).await)?;
                Ok(())
            }
        }
    }
}

impl BlobStore for S3BlobStore {
    fn held(&self, hash: &str) -> BoxFuture<'_, BlobResult<Held>> {
        let hash = hash.to_string();
        Box::pin(async move {
            if let Some(meta) = found(self.s3.head(&self.whole(&hash)).await)? {
                return Ok(Held::Whole(meta.size));
            }
            let held = self.partial_state(&hash).await?.held();
            Ok(if held == 0 {
                Held::Nothing
            } else {
                Held::Partial(held)
            })
        })
    }

    fn append(&self, hash: &str, at: u64, bytes: Bytes) -> BoxFuture<'_, BlobResult<u64>> {
        let hash = hash.to_string();
        Box::pin(async move { self.append_piece(&hash, at, bytes).await })
    }

    fn gather_bytes(&self) -> usize {
        PART_BYTES as usize
    }

    fn finish(&self, hash: &str) -> BoxFuture<'_, BlobResult<u64>> {
        let hash = hash.to_string();
        Box::pin(async move {
            match self.finish_upload(&hash).await {
                Err(BlobError::HashMismatch(h)) => Err(BlobError::HashMismatch(h)),
                // Another node may have finished it meanwhile.
                Err(e) => match self.held(&hash).await? {
                    Held::Whole(size) => Ok(size),
                    _ => Err(e),
                },
                done => done,
            }
        })
    }

    fn open(
        &self,
        hash: &str,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'_, BlobResult<Option<BlobReader>>> {
        let hash = hash.to_string();
        Box::pin(async move { self.open_now(&hash, range).await })
    }

    fn set_thumbnail(&self, photo: &str, thumbnail: &str) -> BoxFuture<'_, BlobResult<()>> {
        let (link, thumbnail) = (self.thumb_link(photo), thumbnail.to_string());
        Box::pin(async move {
            let put = self
                .s3
                .put_opts(&link, Bytes::from(thumbnail).into(), PutMode::Create.into())
                .await;
            match put {
                Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn thumbnail(&self, photo: &str) -> BoxFuture<'_, BlobResult<Option<String>>> {
        let link = self.thumb_link(photo);
        Box::pin(async move {
            let Some(got) = found(self.s3.get(&link).await)? else {
                return Ok(None);
            };
            let text = String::from_utf8_lossy(&got.bytes().await?)
                .trim()
                .to_string();
            Ok(Some(text).filter(|t| is_blob_hash(t)))
        })
    }

    fn inventory(&self) -> BoxFuture<'_, BlobResult<Vec<StoredBlob>>> {
        Box::pin(self.inventory_now())
    }

    fn remove(&self, blob: &StoredBlob) -> BoxFuture<'_, BlobResult<()>> {
        let blob = blob.clone();
        Box::pin(async move { self.remove_now(&blob).await })
    }
}
