//! Audio notes: a short recording (WebM/Opus or Ogg from `MediaRecorder`, WAV, M4A or MP3),
//! checked by its magic bytes, its size and its duration, and stored as it is.

use gridwalk_shared::media::{sniff, MediaType};

use super::{sha256_hex, MediaError};

/// Largest audio note accepted.
pub const MAX_AUDIO_BYTES: u64 = 8 * 1024 * 1024;
/// Longest audio note accepted, in milliseconds (3 minutes).
pub const MAX_AUDIO_MS: u64 = 180_000;

/// A checked audio note, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedAudio {
    /// SHA-256 of `bytes`, hex.
    pub hash: String,
    /// The recording as given.
    pub bytes: Vec<u8>,
    /// Its container format.
    pub media_type: MediaType,
    /// Duration read from the file, else the one the recorder declared.
    pub duration_ms: Option<u64>,
}

/// Checks a recording. `declared_ms` is the length the recorder measured; the file's own
/// duration wins when the container states one (browsers' WebM often does not).
pub fn check(bytes: Vec<u8>, declared_ms: Option<u64>) -> Result<ProcessedAudio, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let size = bytes.len() as u64;
    if size > MAX_AUDIO_BYTES {
        return Err(MediaError::TooLarge {
            what: "audio",
            bytes: size,
            limit: MAX_AUDIO_BYTES,
        });
    }
    let media_type = sniff(&bytes);
    let read = match media_type {
        MediaType::Wav => wav_ms(&bytes),
        MediaType::Ogg => ogg_ms(&bytes),
        MediaType::WebM => webm_ms(&bytes),
        MediaType::M4a => mp4_ms(&bytes),
        MediaType::Mp3 => None,
        other => {
            return Err(MediaError::Unsupported {
                found: other.name(),
                accepted: "WebM, Ogg, WAV, M4A, MP3",
            })
        }
    };
    let duration_ms = read.or(declared_ms);
    if let Some(ms) = duration_ms.filter(|ms| *ms > MAX_AUDIO_MS) {
        return Err(MediaError::TooLong {
            seconds: ms / 1000,
            limit: MAX_AUDIO_MS / 1000,
        });
    }
    Ok(ProcessedAudio {
        hash: sha256_hex(&bytes),
        bytes,
        media_type,
        duration_ms,
    })
}

fn u32_le(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u32_be(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32::from_be_bytes(
        bytes.get(at..at + 4)?.try_into().ok()?,
    )))
}

fn ms(units: u64, per_second: u64) -> Option<u64> {
    (per_second > 0).then(|| units.saturating_mul(1000) / per_second)
}

/// WAV: the `data` chunk's size over the `fmt ` chunk's byte rate.
fn wav_ms(bytes: &[u8]) -> Option<u64> {
    let (mut at, mut byte_rate, mut data) = (12, None, None);
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32_le(bytes, at + 4)? as usize;
        match id {
            b"fmt " => byte_rate = u32_le(bytes, at + 16),
            b"data" => data = Some(size as u64),
            _ => {}
        }
        at = at.checked_add(8 + size + size % 2)?;
    }
    ms(data?, u64::from(byte_rate?))
}

/// Ogg: the last page's granule position over the stream's sample rate (Opus: always 48 kHz).
fn ogg_ms(bytes: &[u8]) -> Option<u64> {
    let rate = if bytes.windows(8).take(512).any(|w| w == b"OpusHead") {
        48_000
    } else {
        let at = bytes
            .windows(7)
            .take(512)
            .position(|w| w == b"\x01vorbis")?;
        u64::from(u32_le(bytes, at + 12)?)
    };
    let tail_start = bytes.len().saturating_sub(64 * 1024);
    let last = tail_start + bytes[tail_start..].windows(4).rposition(|w| w == b"OggS")?;
    let granule = i64::from_le_bytes(bytes.get(last + 6..last + 14)?.try_into().ok()?);
    ms(u64::try_from(granule).ok()?, rate)
}

/// Reads an EBML variable-length number (an element id keeps its marker bit).
fn ebml_vint(bytes: &[u8], at: usize, keep_marker: bool) -> Option<(u64, usize)> {
    let first = *bytes.get(at)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let mut value = if keep_marker {
        u64::from(first)
    } else {
        u64::from(first) & ((1u64 << (8 - len)) - 1)
    };
    for i in 1..len {
        value = (value << 8) | u64::from(*bytes.get(at + i)?);
    }
    Some((value, len))
}

/// WebM: `Segment/Info/Duration` × `TimecodeScale`, when the recorder wrote it.
fn webm_ms(bytes: &[u8]) -> Option<u64> {
    const SEGMENT: u64 = 0x1853_8067;
    const INFO: u64 = 0x1549_A966;
    const SCALE: u64 = 0x2A_D7B1;
    const DURATION: u64 = 0x4489;
    let (mut at, mut end) = (0usize, bytes.len());
    let (mut scale_ns, mut duration) = (1_000_000u64, None);
    while at < end {
        let (id, id_len) = ebml_vint(bytes, at, true)?;
        let (size, size_len) = ebml_vint(bytes, at + id_len, false)?;
        let body = at + id_len + size_len;
        match id {
            // Descend into the segment and its info; an unknown size (live recording) is fine.
            SEGMENT | INFO => {
                if id == INFO {
                    end = body.saturating_add(usize::try_from(size).ok()?).min(end);
                }
                at = body;
                continue;
            }
            SCALE => scale_ns = read_uint(bytes.get(body..body + size as usize)?),
            DURATION => {
                let raw = bytes.get(body..body + size as usize)?;
                duration = match raw.len() {
                    4 => Some(f64::from(f32::from_be_bytes(raw.try_into().ok()?))),
                    8 => Some(f64::from_be_bytes(raw.try_into().ok()?)),
                    _ => None,
                };
            }
            _ => {}
        }
        at = body.checked_add(usize::try_from(size).ok()?)?;
    }
    let ms = duration? * scale_ns as f64 / 1_000_000.0;
    (ms.is_finite() && ms >= 0.0).then_some(ms as u64)
}

fn read_uint(raw: &[u8]) -> u64 {
    raw.iter().fold(0, |v, b| (v << 8) | u64::from(*b))
}

/// MPEG-4: the movie header's duration over its timescale.
fn mp4_ms(bytes: &[u8]) -> Option<u64> {
    let moov = find_box(bytes, b"moov")?;
    let mvhd = find_box(moov, b"mvhd")?;
    let (scale, duration) = match mvhd.first()? {
        0 => (u32_be(mvhd, 12)?, u32_be(mvhd, 16)?),
        1 => (
            u32_be(mvhd, 20)?,
            u64::from_be_bytes(mvhd.get(24..32)?.try_into().ok()?),
        ),
        _ => return None,
    };
    ms(duration, scale)
}

/// The body of the first box of type `kind` among the boxes in `bytes`.
fn find_box<'a>(bytes: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let size = usize::try_from(u32_be(bytes, at)?).ok()?;
        let (header, size) = match size {
            0 => (8, bytes.len() - at),
            1 => (
                16,
                usize::try_from(u64::from_be_bytes(
                    bytes.get(at + 8..at + 16)?.try_into().ok()?,
                ))
                .ok()?,
            ),
            n => (8, n),
        };
        if size < header {
            return None;
        }
        if &bytes[at + 4..at + 8] == kind {
            return bytes.get(at + header..at.checked_add(size)?);
        }
        at = at.checked_add(size)?;
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A WAV file of `seconds` of 8 kHz 8-bit mono silence.
    pub(crate) fn wav(seconds: u32) -> Vec<u8> {
        let data = 8000 * seconds;
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes()); // PCM
        out.extend_from_slice(&1u16.to_le_bytes()); // mono
        out.extend_from_slice(&8000u32.to_le_bytes()); // sample rate
        out.extend_from_slice(&8000u32.to_le_bytes()); // byte rate
        out.extend_from_slice(&1u16.to_le_bytes()); // block align
        out.extend_from_slice(&8u16.to_le_bytes()); // bits
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data.to_le_bytes());
        out.resize(out.len() + data as usize, 128);
        out
    }

    /// A minimal WebM header whose Info states `ms` milliseconds.
    fn webm(ms: f64) -> Vec<u8> {
        let mut info = vec![0x2A, 0xD7, 0xB1, 0x83, 0x0F, 0x42, 0x40]; // 1,000,000 ns
        info.extend_from_slice(&[0x44, 0x89, 0x88]);
        info.extend_from_slice(&ms.to_be_bytes());
        let mut out = vec![0x1A, 0x45, 0xDF, 0xA3, 0x80]; // empty EBML header
        out.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        out.extend_from_slice(&[0xFF, 0xFF]); // unknown-size segment
        out.extend_from_slice(&[0x15, 0x49, 0xA9, 0x66, 0x80 | info.len() as u8]);
        out.extend_from_slice(&info);
        out
    }

    #[test]
    fn durations_are_read_from_the_container() {
        let note = check(wav(3), None).unwrap();
        assert_eq!(note.media_type, MediaType::Wav);
        assert_eq!(note.duration_ms, Some(3000));
        assert_eq!(webm_ms(&webm(12_500.0)), Some(12_500));
        // The file's duration wins over the declared one.
        assert_eq!(check(wav(2), Some(99)).unwrap().duration_ms, Some(2000));
    }

    #[test]
    fn long_large_and_foreign_files_are_refused() {
        let long = check(webm(200_000.0), None).unwrap_err();
        assert!(
            matches!(long, MediaError::TooLong { seconds: 200, .. }),
            "{long}"
        );
        let declared = check(b"OggS\0\x02 no pages".to_vec(), Some(181_000)).unwrap_err();
        assert!(matches!(declared, MediaError::TooLong { .. }), "{declared}");
        let big = vec![0u8; MAX_AUDIO_BYTES as usize + 1];
        assert!(matches!(
            check(big, None),
            Err(MediaError::TooLarge { what: "audio", .. })
        ));
        let text = check("这不是录音".as_bytes().to_vec(), None).unwrap_err();
        assert!(text.to_string().contains("text"), "{text}");
    }
}
