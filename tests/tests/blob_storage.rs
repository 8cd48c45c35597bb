//! The blob-store contract (gridwalk_tests::blob_contract) on both backends: a blob directory,
//! and a prefix of a bucket on a real S3-compatible server (moto, on loopback; the S3 tests
//! say they skip when it is not installed, unless GRIDWALK_REQUIRE_SERVICES=1).

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

use gridwalk_tests::blob_contract::{self as contract, Backing, DirBacking, S3Backing};

fn directory() -> Option<Box<dyn Backing>> {
    Some(Box::new(DirBacking::new().unwrap()))
}

fn s3() -> Option<Box<dyn Backing>> {
    let bucket = gridwalk_tests::s3::bucket()?;
    Some(Box::new(S3Backing::new(bucket, "street-1/blobs")))
}

macro_rules! contract_on {
    ($backend:ident: $($check:ident),+ $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    if let Some(backing) = super::$backend() {
                        super::contract::$check(backing.as_ref()).await.unwrap();
                    }
                }
            )+
        }
    };
}

macro_rules! contract {
    ($($backend:ident),+) => {
        $(
            contract_on!($backend:
                whole_blob_round_trip,
                resumable_upload_continues_on_another_node,
                racing_writers_on_one_offset,
                a_bad_hash_is_refused_and_nothing_kept,
                ranged_reads,
                inventory_and_remove,
                thumbnails_beside_their_photo,
            );
        )+
    };
}

contract!(directory, s3);

/// On S3 an upload's state is objects in the bucket, nothing on the node: 256 KiB pieces
/// until 5 MiB are in, then a multipart part (the pieces it covers deleted); the whole blob
/// beside its hash name once finished, and no upload state left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_upload_state_lives_in_the_bucket() {
    use bytes::Bytes;
    use gridwalk_server::blobs::BlobStore;
    let Some(bucket) = gridwalk_tests::s3::bucket() else {
        return;
    };
    let store = bucket.store("p").unwrap();
    let (bytes, hash) = contract::blob(5 * 1024 * 1024 + 300 * 1024, 20);
    let partial = format!("p/partial/{hash}");
    let mut at = 0;
    while at < 4 * contract::PIECE {
        let piece = Bytes::copy_from_slice(&bytes[at..at + contract::PIECE]);
        at = store.append(&hash, at as u64, piece).await.unwrap() as usize;
    }
    let keys = bucket.keys().await.unwrap();
    let pieces: Vec<_> = (0..4)
        .map(|i| format!("{partial}/piece/{:020}", i * contract::PIECE))
        .collect();
    assert_eq!(keys, pieces, "one object per piece");

    let rest = Bytes::copy_from_slice(&bytes[at..5 * 1024 * 1024 + 100 * 1024]);
    store.append(&hash, at as u64, rest).await.unwrap();
    let keys = bucket.keys().await.unwrap();
    assert_eq!(
        keys,
        vec![
            format!("{partial}/part/00000"),
            format!("{partial}/piece/{:020}", at),
            format!("{partial}/upload"),
        ],
        "the first 5 MiB became part 0; the piece across its end stays"
    );
    let tail = Bytes::copy_from_slice(&bytes[5 * 1024 * 1024 + 100 * 1024..]);
    store
        .append(&hash, 5 * 1024 * 1024 + 100 * 1024, tail)
        .await
        .unwrap();
    store.finish(&hash).await.unwrap();
    let keys = bucket.keys().await.unwrap();
    assert_eq!(
        keys,
        vec![format!("p/{}/{hash}", &hash[..2])],
        "only the whole blob"
    );
}

/// A node that died after completing the multipart upload into `partial/HASH/whole`, before
/// copying it into place: the next finish, on another node, goes on from the staged object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_finish_goes_on_after_a_node_died_mid_finish() {
    use bytes::Bytes;
    use gridwalk_server::blobs::{BlobStore, Held};
    let Some(bucket) = gridwalk_tests::s3::bucket() else {
        return;
    };
    let (bytes, hash) = contract::blob(5 * 1024 * 1024 + 50_000, 21);
    let first = bucket.store("p").unwrap();
    let held = first
        .append(&hash, 0, Bytes::copy_from_slice(&bytes))
        .await
        .unwrap();
    assert_eq!(held, bytes.len() as u64);
    let staged = format!("p/partial/{hash}/whole");
    bucket.put(&staged, bytes.clone()).await.unwrap();
    drop(first);

    let second = bucket.store("p").unwrap();
    assert_eq!(second.finish(&hash).await.unwrap(), bytes.len() as u64);
    assert_eq!(
        second.held(&hash).await.unwrap(),
        Held::Whole(bytes.len() as u64)
    );
    let keys = bucket.keys().await.unwrap();
    assert_eq!(
        keys,
        vec![format!("p/{}/{hash}", &hash[..2])],
        "only the whole blob"
    );
}

/// Requests to the object store per upload, counted by a proxy in front of it, for a 1 MiB
/// photo and a 6 MiB recording sent as devices send them (a `HEAD`, then per 256 KiB piece
/// the offset check and the append, then the finish): the figures in docs/storage.md.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_requests_per_upload() {
    use bytes::Bytes;
    use gridwalk_server::blobs::BlobStore;
    use gridwalk_tests::proxy::CutProxy;
    let Some(bucket) = gridwalk_tests::s3::bucket() else {
        return;
    };
    let proxy = CutProxy::start(bucket.endpoint.trim_start_matches("http://"))
        .await
        .unwrap();
    let via = gridwalk_tests::s3::S3Bucket {
        endpoint: proxy.url.clone(),
        ..bucket.clone()
    };
    let store = via.store("p").unwrap();
    let mut seen = 0;
    for (len, seed, most) in [(1024 * 1024, 30, 32), (6 * 1024 * 1024, 31, 160)] {
        let (bytes, hash) = contract::blob(len, seed);
        store.held(&hash).await.unwrap();
        let mut at = 0;
        while at < len {
            let end = (at + contract::PIECE).min(len);
            store.held(&hash).await.unwrap();
            let piece = Bytes::copy_from_slice(&bytes[at..end]);
            at = store.append(&hash, at as u64, piece).await.unwrap() as usize;
        }
        store.finish(&hash).await.unwrap();
        let requests = proxy.requests();
        let mine = &requests[seen..];
        seen = requests.len();
        let mut by_method = std::collections::BTreeMap::<&str, usize>::new();
        for request in mine {
            *by_method
                .entry(request.split(' ').next().unwrap())
                .or_default() += 1;
        }
        eprintln!("{len} bytes: {} requests {by_method:?}", mine.len());
        assert!(mine.len() <= most, "{len} bytes: {} requests", mine.len());
    }
}
