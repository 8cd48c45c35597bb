//! Test media made on the spot: photos that compress badly and short recordings.

use image::{Rgb, RgbImage};
use rand::{Rng, SeedableRng};

/// A camera-like JPEG that compresses badly (noise), so uploads take many chunks.
pub fn noisy_jpeg(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let image = RgbImage::from_fn(width, height, |_, _| Rgb(rng.gen()));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&image)
        .expect("encode a test JPEG");
    out
}

/// A WAV file of `seconds` of 8 kHz 8-bit mono silence.
pub fn wav(seconds: u32) -> Vec<u8> {
    let data = 8000 * seconds;
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    for field in [16u32, 0x0001_0001, 8000, 8000, 0x0008_0001] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    out.resize(out.len() + data as usize, 128);
    out
}
