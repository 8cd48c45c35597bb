//! The photo pipeline on real images made here with the `image` crate: orientation, size,
//! metadata removal and thumbnails; and the refusals for broken, truncated and foreign files.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a line number

mod images;

use gridwalk_client::media::photo::{self, ProcessedPhoto};
use gridwalk_client::{Client, MediaError};
use gridwalk_shared::media::{sniff, MediaType};
use image::{GenericImageView, Rgb, RgbImage, Rgba, RgbaImage};

use images::{jpeg, with_exif, RED};

fn decoded(bytes: &[u8]) -> image::DynamicImage {
    assert_eq!(sniff(bytes), MediaType::Jpeg);
    image::load_from_memory(bytes).unwrap()
}

fn is_red(pixel: Rgb<u8>) -> bool {
    pixel[0] > 180 && pixel[1] < 80 && pixel[2] < 80
}

/// JPEG marker segments before the first scan (APPn, COM, …).
fn markers(jpeg: &[u8]) -> Vec<u8> {
    let (mut at, mut found) = (2, Vec::new());
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF && jpeg[at + 1] != 0xDA {
        found.push(jpeg[at + 1]);
        at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
    }
    found
}

fn check_clean(processed: &ProcessedPhoto) {
    for out in [&processed.full.bytes, &processed.thumbnail.bytes] {
        let segments = markers(out);
        assert!(
            !segments
                .iter()
                .any(|m| (0xE1..=0xEF).contains(m) || *m == 0xFE),
            "no EXIF/XMP/ICC/comment segments: {segments:x?}"
        );
        let text = String::from_utf8_lossy(out);
        assert!(!text.contains("Exif") && !text.contains(images::SECRET));
    }
    assert_eq!(
        processed.full.hash,
        gridwalk_client::media::sha256_hex(&processed.full.bytes)
    );
    let thumb = decoded(&processed.thumbnail.bytes);
    assert_eq!(thumb.width().max(thumb.height()), photo::THUMBNAIL_EDGE);
}

#[test]
fn camera_jpeg_is_turned_upright_shrunk_and_stripped() {
    // 4000×3000 landscape as the sensor stored it, red in the top-left corner; EXIF says
    // "rotate 90° clockwise to view" (orientation 6), as phones held upright write.
    let mut sensor = RgbImage::from_pixel(4000, 3000, Rgb([20, 60, 200]));
    for y in 0..600 {
        for x in 0..800 {
            sensor.put_pixel(x, y, RED);
        }
    }
    let input = with_exif(&jpeg(&sensor, 90), 6);
    let processed = photo::process(&input).unwrap();
    assert_eq!(processed.source, MediaType::Jpeg);
    let full = decoded(&processed.full.bytes);
    assert_eq!(
        (full.width(), full.height()),
        (1440, 1920),
        "upright, long edge 1920"
    );
    let full = full.to_rgb8();
    assert!(
        is_red(*full.get_pixel(1400, 40)),
        "top-left went to the top-right"
    );
    assert!(!is_red(*full.get_pixel(40, 40)));
    assert!(!is_red(*full.get_pixel(1400, 1880)));
    check_clean(&processed);
    assert!(
        processed.full.bytes.len() < 1_000_000,
        "q80 of a flat image is small"
    );
}

#[test]
fn png_with_transparency_is_laid_on_white() {
    let mut png = RgbaImage::from_pixel(2500, 1000, Rgba([0, 0, 0, 0]));
    for x in 0..100 {
        png.put_pixel(x, 500, Rgba([255, 0, 0, 255]));
    }
    let mut bytes = Vec::new();
    png.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .unwrap();
    let processed = photo::process(&bytes).unwrap();
    assert_eq!(processed.source, MediaType::Png);
    let full = decoded(&processed.full.bytes);
    assert_eq!((full.width(), full.height()), (1920, 768));
    let corner = full.get_pixel(1900, 10);
    assert!(
        corner[0] > 240 && corner[1] > 240 && corner[2] > 240,
        "{corner:?}"
    );
    check_clean(&processed);
}

#[test]
fn small_webp_keeps_its_size_and_gets_a_thumbnail() {
    let webp = RgbImage::from_fn(800, 600, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut bytes = Vec::new();
    webp.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::WebP,
    )
    .unwrap();
    assert_eq!(sniff(&bytes), MediaType::WebP);
    let processed = photo::process(&bytes).unwrap();
    assert_eq!((processed.full.width, processed.full.height), (800, 600));
    assert_eq!(
        (processed.thumbnail.width, processed.thumbnail.height),
        (320, 240)
    );
    check_clean(&processed);
}

#[test]
fn same_photo_same_name() {
    let image = RgbImage::from_pixel(640, 480, Rgb([1, 2, 3]));
    let input = jpeg(&image, 90);
    let (a, b) = (
        photo::process(&input).unwrap(),
        photo::process(&input).unwrap(),
    );
    assert_eq!(a, b);
    assert_ne!(a.full.hash, a.thumbnail.hash);
}

#[test]
fn foreign_broken_and_truncated_files_are_refused_by_name() {
    let good = jpeg(&RgbImage::from_pixel(1000, 800, Rgb([9, 9, 9])), 90);
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("heic", heic, "HEIC"),
        ("text", "一张照片\n".as_bytes().to_vec(), "text"),
        ("gif", b"GIF89a\x01\0\x01\0".to_vec(), "GIF"),
        (
            "truncated jpeg",
            good[..good.len() / 2].to_vec(),
            "truncated",
        ),
        ("jpeg header only", good[..200].to_vec(), "JPEG"),
        (
            "garbage after magic",
            [&good[..4], &[0x55; 400][..]].concat(),
            "JPEG",
        ),
        ("empty", Vec::new(), "empty"),
    ];
    for (name, bytes, expected) in cases {
        let error = photo::process(&bytes).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(expected), "{name}: {text}");
        assert!(
            matches!(
                error,
                MediaError::Unsupported { .. } | MediaError::Corrupt { .. } | MediaError::Empty
            ),
            "{name}: {error:?}"
        );
    }
}

#[test]
fn client_stores_photos_beside_the_store_and_refuses_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::open(dir.path()).unwrap();
    let input = jpeg(&RgbImage::from_pixel(2000, 1000, Rgb([200, 10, 10])), 90);
    let photo = client.add_photo(&input).unwrap();
    assert!(photo.path.starts_with(dir.path().join("blobs")));
    assert!(photo
        .path
        .ends_with(format!("{}/{}.jpg", &photo.hash[..2], photo.hash)));
    assert_eq!(std::fs::read(&photo.path).unwrap().len() as u64, photo.size);
    assert_eq!(
        client.local_blob(&photo.hash, true).unwrap(),
        Some(photo.thumbnail_path.clone())
    );
    // Not attached to any record: nothing to upload, and it can be discarded.
    assert!(client.pending_uploads().unwrap().is_empty());
    assert!(client.discard_blob(&photo.hash).unwrap());
    assert!(!photo.path.exists() && !photo.thumbnail_path.exists());

    let text = dir.path().join("note.txt");
    std::fs::write(&text, "不是图片").unwrap();
    let error = client.add_photo_file(&text).unwrap_err();
    assert!(error.to_string().contains("text"), "{error}");
    let huge = dir.path().join("huge.jpg");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(photo::MAX_INPUT_BYTES + 1)
        .unwrap();
    let error = client.add_photo_file(&huge).unwrap_err();
    assert!(
        matches!(
            error,
            gridwalk_client::Error::Media(MediaError::TooLarge { .. })
        ),
        "refused by size before reading: {error}"
    );
}
