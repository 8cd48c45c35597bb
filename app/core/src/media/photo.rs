//! The photo pipeline: check the input before decoding, decode under limits, downscale,
//! apply the EXIF orientation, and re-encode as a metadata-free JPEG plus a thumbnail.

use std::io::Cursor;

use gridwalk_shared::media::{sniff, MediaType};
use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};

use super::{sha256_hex, MediaError};

/// Largest input file accepted (a 50-megapixel camera JPEG is well below it).
pub const MAX_INPUT_BYTES: u64 = 40 * 1024 * 1024;
/// Most pixels an input may have (50 megapixels).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Longest side an input may have.
pub const MAX_SIDE: u32 = 16_384;
/// Most bytes the decoder may allocate (the decoded image and its working buffers).
pub const MAX_DECODE_BYTES: u64 = 200 * 1024 * 1024;
/// Long edge of the stored photo.
pub const LONG_EDGE: u32 = 1920;
/// Long edge of the thumbnail.
pub const THUMBNAIL_EDGE: u32 = 320;
/// JPEG quality of the stored photo.
pub const QUALITY: u8 = 80;
/// JPEG quality of the thumbnail.
pub const THUMBNAIL_QUALITY: u8 = 75;

/// One encoded JPEG and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// SHA-256 of `bytes`, hex.
    pub hash: String,
    /// The JPEG file.
    pub bytes: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// A processed photo: the downscaled, upright, metadata-free JPEG and its thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedPhoto {
    /// The photo (long edge ≤ [`LONG_EDGE`]).
    pub full: Encoded,
    /// The thumbnail (long edge ≤ [`THUMBNAIL_EDGE`]).
    pub thumbnail: Encoded,
    /// What the input was.
    pub source: MediaType,
}

/// Runs the pipeline on the bytes of a JPEG, PNG or WebP file.
pub fn process(input: &[u8]) -> Result<ProcessedPhoto, MediaError> {
    if input.is_empty() {
        return Err(MediaError::Empty);
    }
    let size = input.len() as u64;
    if size > MAX_INPUT_BYTES {
        return Err(MediaError::TooLarge {
            what: "photo",
            bytes: size,
            limit: MAX_INPUT_BYTES,
        });
    }
    let source = sniff(input);
    let format = match source {
        MediaType::Jpeg => ImageFormat::Jpeg,
        MediaType::Png => ImageFormat::Png,
        MediaType::WebP => ImageFormat::WebP,
        other => {
            return Err(MediaError::Unsupported {
                found: other.name(),
                accepted: "JPEG, PNG, WebP",
            })
        }
    };
    if source == MediaType::Jpeg && !jpeg_is_complete(input) {
        return Err(corrupt(
            source,
            "the file is truncated (no end-of-image marker)",
        ));
    }
    let (image, orientation) = decode(input, format, source)?;
    // Orientation is applied after downscaling: the same result, on far fewer pixels.
    let mut full = shrink(image, LONG_EDGE);
    full.apply_orientation(orientation);
    let full = flatten(full);
    let thumbnail = match fit(full.width(), full.height(), THUMBNAIL_EDGE) {
        Some((width, height)) => image::imageops::thumbnail(&full, width, height),
        None => full.clone(),
    };
    Ok(ProcessedPhoto {
        full: encode(&full, QUALITY)?,
        thumbnail: encode(&thumbnail, THUMBNAIL_QUALITY)?,
        source,
    })
}

fn corrupt(format: MediaType, message: impl Into<String>) -> MediaError {
    MediaError::Corrupt {
        format: format.name(),
        message: message.into(),
    }
}

/// Decodes under limits: the dimensions, pixel count and buffer size are checked from the
/// header before anything is allocated for pixels.
fn decode(
    input: &[u8],
    format: ImageFormat,
    source: MediaType,
) -> Result<(DynamicImage, Orientation), MediaError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = ImageReader::with_format(Cursor::new(input), format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| image_error(e, source))?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(MediaError::TooManyPixels {
            width,
            height,
            limit: MAX_PIXELS,
        });
    }
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(MediaError::TooManyPixels {
            width,
            height,
            limit: MAX_PIXELS,
        });
    }
    // A broken EXIF block must not cost the photo: it is then shown as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(|e| image_error(e, source))?;
    Ok((image, orientation))
}

fn image_error(error: ImageError, source: MediaType) -> MediaError {
    match error {
        ImageError::Limits(e) => MediaError::Limit(e.to_string()),
        other => corrupt(source, other.to_string()),
    }
}

/// Scales down (never up) so the long edge is at most `edge`. Area averaging: fast, and with
/// no intermediate float buffer the size of the source.
fn shrink(image: DynamicImage, edge: u32) -> DynamicImage {
    match fit(image.width(), image.height(), edge) {
        Some((width, height)) => image.thumbnail_exact(width, height),
        None => image,
    }
}

/// The size with long edge `edge` and the same aspect, if that is smaller than the image.
fn fit(width: u32, height: u32, edge: u32) -> Option<(u32, u32)> {
    let long = width.max(height);
    if long <= edge {
        return None;
    }
    let scale = |side: u32| {
        let scaled = (u64::from(side) * u64::from(edge) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled).unwrap_or(edge).clamp(1, edge)
    };
    Some((scale(width), scale(height)))
}

/// RGB for JPEG: transparent pixels are laid on white, not black.
fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}

/// Baseline JPEG with no metadata segments (the encoder writes only JFIF).
fn encode(image: &RgbImage, quality: u8) -> Result<Encoded, MediaError> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(image)
        .map_err(|e| MediaError::Encode(e.to_string()))?;
    Ok(Encoded {
        hash: sha256_hex(&bytes),
        bytes,
        width: image.width(),
        height: image.height(),
    })
}

/// Whether a JPEG has an end-of-image marker after its first scan: the decoder fills a
/// truncated file with grey instead of failing, so this is checked first.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut at = 2;
    // Walk the marker segments up to the first start-of-scan.
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return false;
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if marker == 0xDA {
            let scan = &bytes[(at + 2 + length).min(bytes.len())..];
            return scan.windows(2).any(|w| w == [0xFF, 0xD9]);
        }
        at += 2 + length;
    }
    false
}
