//! A stand-in for an online XYZ basemap (Tianditu, AMap…) on loopback: `GET /{z}/{x}/{y}.png`
//! answers a PNG naming the tile in its pixels, `GET /page/…` an HTML page (what a portal
//! answers for a bad key), anything else 404. It counts the tiles it served.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Result;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A running tile server; stops when dropped.
pub struct TileServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    served: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The PNG the server answers for tile `z/x/y` (its colour derived from the numbers).
pub fn tile_png(z: u8, x: u32, y: u32) -> Vec<u8> {
    let colour = image::Rgb([z.wrapping_mul(9), (x % 251) as u8, (y % 241) as u8]);
    let picture = image::RgbImage::from_pixel(256, 256, colour);
    let mut png = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut png, image::ImageFormat::Png)
        .expect("a PNG encodes");
    png.into_inner()
}

fn answer(path: &str) -> (&'static str, &'static str, Vec<u8>) {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["page", ..] => ("200 OK", "text/html", b"<html>invalid key</html>".to_vec()),
        [z, x, y] => match (
            z.parse::<u8>(),
            x.parse::<u32>(),
            y.trim_end_matches(".png").parse::<u32>(),
        ) {
            (Ok(z), Ok(x), Ok(y)) => ("200 OK", "image/png", tile_png(z, x, y)),
            _ => ("404 Not Found", "text/plain", b"no such tile".to_vec()),
        },
        _ => ("404 Not Found", "text/plain", b"no such tile".to_vec()),
    }
}

impl TileServer {
    /// Starts one on a free loopback port.
    pub async fn start() -> Result<TileServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let served = Arc::new(AtomicUsize::new(0));
        let counter = served.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let mut request = vec![0; 4096];
                    let Ok(n) = socket.read(&mut request).await else {
                        return;
                    };
                    let head = String::from_utf8_lossy(&request[..n]);
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let (status, kind, body) = answer(&path);
                    if kind == "image/png" {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                    let reply = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                    let _ = socket.write_all(&body).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Ok(TileServer { url, served, task })
    }

    /// Tiles served so far.
    pub fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }
}
