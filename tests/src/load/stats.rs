//! Latency percentiles and process figures read from `/proc` (CPU time, RSS).

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

/// Latency distribution of a set of requests, in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latency {
    /// Number of samples.
    pub count: usize,
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

/// The `p`-th percentile (0–100) of sorted values, by the nearest-rank method.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Summarises request durations.
pub fn latency(samples: &[Duration]) -> Latency {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let count = ms.len();
    let mean_ms = if count == 0 {
        0.0
    } else {
        ms.iter().sum::<f64>() / count as f64
    };
    Latency {
        count,
        mean_ms,
        p50_ms: percentile(&ms, 50.0),
        p95_ms: percentile(&ms, 95.0),
        p99_ms: percentile(&ms, 99.0),
        max_ms: ms.last().copied().unwrap_or(0.0),
    }
}

/// One reading of a process's CPU time and memory.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ProcSample {
    /// User plus system CPU time so far, in milliseconds.
    pub cpu_ms: f64,
    /// User CPU time so far, in milliseconds.
    pub user_ms: f64,
    /// Resident set size now (VmRSS), KiB.
    pub rss_kib: u64,
    /// Peak resident set size (VmHWM), KiB.
    pub hwm_kib: u64,
}

impl ProcSample {
    /// Two processes' readings together (CPU and memory added up).
    pub fn plus(&self, other: &ProcSample) -> ProcSample {
        ProcSample {
            cpu_ms: self.cpu_ms + other.cpu_ms,
            user_ms: self.user_ms + other.user_ms,
            rss_kib: self.rss_kib + other.rss_kib,
            hwm_kib: self.hwm_kib + other.hwm_kib,
        }
    }
}

/// Clock ticks per second (`getconf CLK_TCK`, 100 if unknown).
pub fn clk_tck() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// Reads `/proc/PID/stat` (utime, stime) and `/proc/PID/status` (VmRSS, VmHWM).
pub fn sample(pid: u32, ticks_per_sec: f64) -> Result<ProcSample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("read /proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("malformed /proc/PID/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime and stime are fields 14 and 15.
    let tick = |i: usize| -> Result<f64> {
        let text = fields.get(i).context("short /proc/PID/stat")?;
        Ok(text.parse::<f64>()? * 1000.0 / ticks_per_sec)
    };
    let (user_ms, sys_ms) = (tick(11)?, tick(12)?);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("read /proc/{pid}/status"))?;
    let kib = |key: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok(ProcSample {
        cpu_ms: user_ms + sys_ms,
        user_ms,
        rss_kib: kib("VmRSS:"),
        hwm_kib: kib("VmHWM:"),
    })
}

/// Resets this process's peak resident set size (VmHWM) to its current RSS, so that a later
/// [`sample`] reports the peak of what ran since (`/proc/self/clear_refs`, Linux ≥ 4.0).
pub fn reset_own_peak() -> Result<()> {
    std::fs::write("/proc/self/clear_refs", "5").context("reset VmHWM via /proc/self/clear_refs")
}

/// CPU a process used between two samples.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CpuUse {
    /// CPU time, milliseconds.
    pub cpu_ms: f64,
    /// Of which in user space, milliseconds.
    pub user_ms: f64,
    /// CPU time as a percentage of one core over the wall time.
    pub percent_of_core: f64,
}

/// CPU used from `before` to `after` over `wall`.
pub fn cpu_use(before: &ProcSample, after: &ProcSample, wall: Duration) -> CpuUse {
    let cpu_ms = after.cpu_ms - before.cpu_ms;
    let wall_ms = wall.as_secs_f64() * 1000.0;
    CpuUse {
        cpu_ms,
        user_ms: after.user_ms - before.user_ms,
        percent_of_core: if wall_ms > 0.0 {
            100.0 * cpu_ms / wall_ms
        } else {
            0.0
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), 50.0);
        assert_eq!(percentile(&values, 99.0), 99.0);
        assert_eq!(percentile(&values, 100.0), 100.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn reads_this_process() {
        let me = sample(std::process::id(), clk_tck()).unwrap();
        assert!(me.rss_kib > 0 && me.hwm_kib >= me.rss_kib);
    }

    #[test]
    fn the_peak_resets_to_the_current_size() {
        let ticks = clk_tck();
        // Touch 64 MiB so the peak stands well above what stays resident after it is freed.
        let big = vec![1u8; 64 << 20];
        assert_eq!(big.iter().map(|&b| b as usize).sum::<usize>(), 64 << 20);
        drop(big);
        let before = sample(std::process::id(), ticks).unwrap();
        reset_own_peak().unwrap();
        let after = sample(std::process::id(), ticks).unwrap();
        assert!(before.hwm_kib >= (64 << 10), "{before:?}");
        assert!(after.hwm_kib < before.hwm_kib, "{before:?} → {after:?}");
    }
}
