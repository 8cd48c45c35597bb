//! Test images made on the spot: JPEGs with a hand-written EXIF block, and PNG headers that
//! claim more pixels than they hold.

#![allow(dead_code)] // each test file uses a different part

use image::{codecs::jpeg::JpegEncoder, Rgb, RgbImage};

/// A pure red pixel.
pub const RED: Rgb<u8> = Rgb([230, 20, 20]);
/// Text planted in the EXIF block, which must not survive processing.
pub const SECRET: &str = "GRIDWALK-GPS-39.9042N-116.4074E";

/// Encodes `image` as a JPEG (JFIF only, no EXIF).
pub fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(image)
        .expect("encode test JPEG");
    out
}

/// Inserts an EXIF APP1 segment (big-endian TIFF, IFD0 with Make = [`SECRET`] and the
/// given Orientation) right after the SOI marker.
pub fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let make = format!("{SECRET}\0");
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\0\x2A");
    tiff.extend_from_slice(&8u32.to_be_bytes()); // IFD0 offset
    tiff.extend_from_slice(&2u16.to_be_bytes()); // two entries
    let data_offset = 8 + 2 + 2 * 12 + 4;
    // 0x010F Make, ASCII, stored after the IFD.
    tiff.extend_from_slice(&0x010Fu16.to_be_bytes());
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&(make.len() as u32).to_be_bytes());
    tiff.extend_from_slice(&(data_offset as u32).to_be_bytes());
    // 0x0112 Orientation, SHORT, inline.
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    tiff.extend_from_slice(make.as_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A valid-looking PNG whose header claims `width`×`height` RGBA pixels but whose data is a
/// few bytes of deflate: a decompression bomb if anyone trusts the header.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, deflate, no filter, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&chunk(b"IHDR", &ihdr));
    // zlib stream of a run of zeros (stored block header + a little data).
    out.extend_from_slice(&chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0x60, 0x00, 0x00]));
    out.extend_from_slice(&chunk(b"IEND", &[]));
    out
}

/// A JPEG whose frame header claims `width`×`height` (the scan data is a real small image's).
pub fn jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = jpeg(&RgbImage::from_pixel(16, 16, RED), 80);
    let mut at = 2;
    while at + 9 < bytes.len() {
        let marker = bytes[at + 1];
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if marker == 0xC0 || marker == 0xC2 {
            bytes[at + 5..at + 7].copy_from_slice(&height.to_be_bytes());
            bytes[at + 7..at + 9].copy_from_slice(&width.to_be_bytes());
            break;
        }
        at += 2 + length;
    }
    bytes
}
