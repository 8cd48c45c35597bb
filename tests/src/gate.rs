//! A loopback TCP proxy that can hold back or lose the server's answers: the request reaches
//! the server and is handled there, but its answer waits until released, or never arrives.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What happens to the server's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answers {
    /// Passed on as they come.
    Pass,
    /// Kept back (the server has answered) until the gate is set otherwise.
    Hold,
    /// Lost: the connection is closed as soon as the server starts answering.
    Lose,
}

/// The proxy; it stops when dropped.
pub struct AnswerGate {
    /// Base URL to give the client.
    pub url: String,
    mode: watch::Sender<Answers>,
    held: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for AnswerGate {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl AnswerGate {
    /// Starts a proxy to `upstream` (`host:port`) that passes answers until set otherwise.
    pub async fn start(upstream: &str) -> Result<AnswerGate> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let (mode, modes) = watch::channel(Answers::Pass);
        let held = Arc::new(AtomicUsize::new(0));
        let (counter, upstream) = (held.clone(), upstream.to_string());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (modes, counter, upstream) = (modes.clone(), counter.clone(), upstream.clone());
                tokio::spawn(async move {
                    let _ = relay(client, &upstream, modes, &counter).await;
                });
            }
        });
        Ok(AnswerGate {
            url,
            mode,
            held,
            task,
        })
    }

    /// Applies `answers` from now on, also to connections already open and answers held.
    pub fn set(&self, answers: Answers) {
        self.mode.send_replace(answers);
    }

    /// Answers held back now.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    /// Polls until an answer is held back, or fails after `within`.
    pub async fn wait_held(&self, within: Duration) -> Result<()> {
        let deadline = Instant::now() + within;
        while self.held() == 0 {
            if Instant::now() > deadline {
                bail!("no answer was held back within {within:?}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }
}

/// Copies one connection both ways, passing, holding or losing the server's bytes as the
/// gate says when each piece arrives; either side ending ends the connection.
async fn relay(
    client: TcpStream,
    upstream: &str,
    mut modes: watch::Receiver<Answers>,
    held: &AtomicUsize,
) -> std::io::Result<()> {
    let server = TcpStream::connect(upstream).await?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = tokio::io::copy(&mut client_read, &mut server_write);
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = server_read.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(());
            }
            let mut mode = *modes.borrow_and_update();
            if mode == Answers::Hold {
                held.fetch_add(1, Ordering::SeqCst);
                let released = modes.wait_for(|m| *m != Answers::Hold).await.map(|m| *m);
                held.fetch_sub(1, Ordering::SeqCst);
                mode = released.unwrap_or(Answers::Lose);
            }
            if mode == Answers::Lose {
                return Ok(());
            }
            client_write.write_all(&buf[..n]).await?;
        }
    };
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
    Ok(())
}
