//! Where blobs live, as named on the command line: `DIR` or `s3://BUCKET/PREFIX`.

use std::path::PathBuf;
use std::str::FromStr;

use super::BlobError;

/// A blob location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobLocation {
    /// A local directory.
    Dir(PathBuf),
    /// Objects under `PREFIX` (may be empty) in an S3 bucket.
    S3 {
        /// The bucket.
        bucket: String,
        /// Key prefix, without leading or trailing `/`.
        prefix: String,
    },
}

impl FromStr for BlobLocation {
    type Err = BlobError;

    fn from_str(text: &str) -> Result<Self, BlobError> {
        let Some(rest) = text.strip_prefix("s3://") else {
            if text.contains("://") {
                return Err(BlobError::Location(format!(
                    "blob storage is a directory or s3://BUCKET/PREFIX, not {text}"
                )));
            }
            return Ok(BlobLocation::Dir(PathBuf::from(text)));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(BlobError::Location(format!(
                "name the bucket: s3://BUCKET/PREFIX, not {text}"
            )));
        }
        Ok(BlobLocation::S3 {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_a_directory_or_a_bucket_with_a_prefix() {
        let s3 = |b: &str, p: &str| BlobLocation::S3 {
            bucket: b.into(),
            prefix: p.into(),
        };
        assert_eq!(
            "s3://media/street-1/".parse().ok(),
            Some(s3("media", "street-1"))
        );
        assert_eq!("s3://media".parse().ok(), Some(s3("media", "")));
        assert_eq!(
            "/var/lib/gw/blobs".parse().ok(),
            Some(BlobLocation::Dir("/var/lib/gw/blobs".into()))
        );
        assert!("s3:///x".parse::<BlobLocation>().is_err());
        assert!("gs://b/p".parse::<BlobLocation>().is_err());
    }
}
