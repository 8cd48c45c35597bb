//! Device credentials: one-time enrolment codes and bearer tokens, stored only as hashes.

use axum::http::HeaderMap;
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::store::{DeviceAuth, Store};

/// Letters and digits that cannot be mistaken for each other when read aloud or typed.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A new enrolment code such as `K7QD-M2XP-4TNA`.
pub fn new_enroll_code() -> String {
    let mut rng = rand::thread_rng();
    let chars: Vec<char> = (0..12)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The hash an enrolment code is stored under (case, spaces and dashes ignored).
pub fn enroll_code_hash(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    sha256_hex(normalised.as_bytes())
}

/// A new random device token (256 bits, hex).
pub fn new_token() -> String {
    hex::encode(rand::thread_rng().gen::<[u8; 32]>())
}

/// SHA-256 of bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The token in the request's `Authorization: Bearer` header, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The device behind the request's `Authorization: Bearer` token; refuses revoked devices.
pub async fn authenticate<S: Store>(
    store: &S,
    headers: &HeaderMap,
) -> Result<DeviceAuth, AppError> {
    let token = bearer(headers)
        .ok_or_else(|| AppError::unauthorized("missing `Authorization: Bearer <token>` header"))?;
    let device = store
        .device_by_token(sha256_hex(token.as_bytes()))
        .await?
        .ok_or_else(|| AppError::unauthorized("unknown device token; enrol the device again"))?;
    if device.revoked {
        return Err(AppError::new(
            axum::http::StatusCode::FORBIDDEN,
            "device_revoked",
            "this device was revoked by an administrator; enrol it again",
        ));
    }
    Ok(device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_hash_ignores_formatting() {
        let code = new_enroll_code();
        assert_eq!(code.len(), 14);
        assert!(code
            .chars()
            .all(|c| c == '-' || CODE_ALPHABET.contains(&(c as u8))));
        let sloppy = code.to_lowercase().replace('-', " ");
        assert_eq!(enroll_code_hash(&code), enroll_code_hash(&sloppy));
        assert_ne!(enroll_code_hash(&code), enroll_code_hash("AAAA-AAAA-AAAA"));
    }

    #[test]
    fn tokens_are_random() {
        assert_ne!(new_token(), new_token());
        assert_eq!(new_token().len(), 64);
    }
}
