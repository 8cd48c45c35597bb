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

/// A calm, recognisable JPEG (a sky-to-grass gradient with a "building"), for screenshots.
pub fn scene_jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let building = (0.3..0.7).contains(&fx) && fy > 0.35 && fy < 0.75;
        let window = building
            && ((fx * 20.0) as u32).is_multiple_of(2)
            && ((fy * 16.0) as u32).is_multiple_of(2);
        match (fy > 0.75, building, window) {
            (_, _, true) => Rgb([250, 220, 120]),
            (_, true, _) => Rgb([170, 120, 100]),
            (true, _, _) => Rgb([90, 150, 80]),
            _ => Rgb([(120.0 + 80.0 * fy) as u8, (170.0 + 50.0 * fy) as u8, 235]),
        }
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image)
        .expect("encode a test JPEG");
    out
}
