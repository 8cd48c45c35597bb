//! Blob basics shared by devices and the server: what a blob hash looks like, the size limit,
//! and the media type of a file as its first bytes tell it (never its name or a header).

/// Largest blob either side stores (a processed photo is far smaller; an audio note too).
pub const MAX_BLOB_BYTES: u64 = 16 * 1024 * 1024;

/// Whether `text` is a blob name: SHA-256 as 64 lowercase hex digits.
pub fn is_blob_hash(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A file's type, from its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// JPEG image.
    Jpeg,
    /// PNG image.
    Png,
    /// WebP image.
    WebP,
    /// HEIC/HEIF image (iPhone default; not accepted: the app asks for JPEG).
    Heic,
    /// AVIF image.
    Avif,
    /// GIF image.
    Gif,
    /// BMP image.
    Bmp,
    /// TIFF image.
    Tiff,
    /// PDF document.
    Pdf,
    /// WebM (Matroska) audio, as browsers' `MediaRecorder` writes it.
    WebM,
    /// Ogg (Opus or Vorbis) audio.
    Ogg,
    /// WAV (RIFF PCM) audio.
    Wav,
    /// MPEG-4 audio (`.m4a`, AAC), as iOS records it.
    M4a,
    /// MP3 audio.
    Mp3,
    /// Printable text.
    Text,
    /// Anything else.
    Unknown,
}

impl MediaType {
    /// Short human name, used in error messages (e.g. `HEIC`).
    pub fn name(self) -> &'static str {
        match self {
            MediaType::Jpeg => "JPEG",
            MediaType::Png => "PNG",
            MediaType::WebP => "WebP",
            MediaType::Heic => "HEIC",
            MediaType::Avif => "AVIF",
            MediaType::Gif => "GIF",
            MediaType::Bmp => "BMP",
            MediaType::Tiff => "TIFF",
            MediaType::Pdf => "PDF",
            MediaType::WebM => "WebM",
            MediaType::Ogg => "Ogg",
            MediaType::Wav => "WAV",
            MediaType::M4a => "M4A",
            MediaType::Mp3 => "MP3",
            MediaType::Text => "text",
            MediaType::Unknown => "unknown",
        }
    }

    /// MIME type to serve it as.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::WebP => "image/webp",
            MediaType::Heic => "image/heic",
            MediaType::Avif => "image/avif",
            MediaType::Gif => "image/gif",
            MediaType::Bmp => "image/bmp",
            MediaType::Tiff => "image/tiff",
            MediaType::Pdf => "application/pdf",
            MediaType::WebM => "audio/webm",
            MediaType::Ogg => "audio/ogg",
            MediaType::Wav => "audio/wav",
            MediaType::M4a => "audio/mp4",
            MediaType::Mp3 => "audio/mpeg",
            MediaType::Text => "text/plain",
            MediaType::Unknown => "application/octet-stream",
        }
    }

    /// File name extension (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::WebP => "webp",
            MediaType::Heic => "heic",
            MediaType::Avif => "avif",
            MediaType::Gif => "gif",
            MediaType::Bmp => "bmp",
            MediaType::Tiff => "tiff",
            MediaType::Pdf => "pdf",
            MediaType::WebM => "webm",
            MediaType::Ogg => "ogg",
            MediaType::Wav => "wav",
            MediaType::M4a => "m4a",
            MediaType::Mp3 => "mp3",
            MediaType::Text => "txt",
            MediaType::Unknown => "bin",
        }
    }

    /// The type with this MIME type (as [`MediaType::mime`] spells it).
    pub fn from_mime(mime: &str) -> MediaType {
        ALL.into_iter()
            .find(|t| t.mime() == mime)
            .unwrap_or(MediaType::Unknown)
    }

    /// Whether it is one of the audio types.
    pub fn is_audio(self) -> bool {
        matches!(
            self,
            MediaType::WebM | MediaType::Ogg | MediaType::Wav | MediaType::M4a | MediaType::Mp3
        )
    }
}

const ALL: [MediaType; 16] = [
    MediaType::Jpeg,
    MediaType::Png,
    MediaType::WebP,
    MediaType::Heic,
    MediaType::Avif,
    MediaType::Gif,
    MediaType::Bmp,
    MediaType::Tiff,
    MediaType::Pdf,
    MediaType::WebM,
    MediaType::Ogg,
    MediaType::Wav,
    MediaType::M4a,
    MediaType::Mp3,
    MediaType::Text,
    MediaType::Unknown,
];

/// The type of `bytes`, from their first bytes.
pub fn sniff(bytes: &[u8]) -> MediaType {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        MediaType::Jpeg
    } else if at(0, b"\x89PNG\r\n\x1a\n") {
        MediaType::Png
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        MediaType::WebP
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        MediaType::Wav
    } else if at(4, b"ftyp") {
        iso_brand(bytes.get(8..12).unwrap_or_default())
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        MediaType::Gif
    } else if at(0, b"BM") && bytes.len() > 14 {
        MediaType::Bmp
    } else if at(0, b"II*\0") || at(0, b"MM\0*") {
        MediaType::Tiff
    } else if at(0, b"%PDF") {
        MediaType::Pdf
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        MediaType::WebM
    } else if at(0, b"OggS") {
        MediaType::Ogg
    } else if at(0, b"ID3") || (bytes.len() > 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        MediaType::Mp3
    } else if is_text(bytes) {
        MediaType::Text
    } else {
        MediaType::Unknown
    }
}

/// The type of an ISO base media file (`ftyp` box) by its major brand.
fn iso_brand(brand: &[u8]) -> MediaType {
    match brand {
        b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
            MediaType::Heic
        }
        b"avif" | b"avis" => MediaType::Avif,
        b"M4A " | b"M4B " | b"mp42" | b"isom" | b"iso2" | b"dash" | b"3gp4" | b"3gp5" => {
            MediaType::M4a
        }
        _ => MediaType::Unknown,
    }
}

fn is_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(512)];
    !head.is_empty()
        && std::str::from_utf8(head).is_ok_and(|s| {
            s.chars()
                .all(|c| !c.is_control() || c.is_whitespace() || c == '\u{feff}')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_magic_bytes() {
        let cases: [(&[u8], MediaType); 10] = [
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF", MediaType::Jpeg),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", MediaType::Png),
            (b"RIFF\x10\0\0\0WEBPVP8 ", MediaType::WebP),
            (b"RIFF\x10\0\0\0WAVEfmt ", MediaType::Wav),
            (b"\0\0\0\x18ftypheic\0\0\0\0", MediaType::Heic),
            (b"\0\0\0\x18ftypM4A \0\0\0\0", MediaType::M4a),
            (b"\x1A\x45\xDF\xA3\x9f\x42\x86\x81", MediaType::WebM),
            (b"OggS\0\x02", MediaType::Ogg),
            ("楼道堆放杂物\n".as_bytes(), MediaType::Text),
            (b"\0\x01\x02\x03", MediaType::Unknown),
        ];
        for (bytes, expected) in cases {
            assert_eq!(sniff(bytes), expected, "{bytes:?}");
        }
        assert_eq!(MediaType::from_mime("audio/webm"), MediaType::WebM);
        assert_eq!(sniff(b""), MediaType::Unknown);
    }

    #[test]
    fn blob_hashes_are_lowercase_sha256_hex() {
        assert!(is_blob_hash(&"ab".repeat(32)));
        assert!(!is_blob_hash(&"AB".repeat(32)));
        assert!(!is_blob_hash("abc"));
        assert!(!is_blob_hash(&"zz".repeat(32)));
    }
}
