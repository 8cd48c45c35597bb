//! Natural order for addresses and names: "2号楼" before "10号楼", "第二网格" before "第三网格".

/// Whether `c` is part of a number: an ASCII digit or a Chinese numeral (一 … 九, 十, 百, 千).
fn numeral(c: char) -> bool {
    c.is_ascii_digit() || chinese_digit(c).is_some() || matches!(c, '十' | '百' | '千')
}

fn chinese_digit(c: char) -> Option<u64> {
    "零一二三四五六七八九"
        .chars()
        .position(|d| d == c)
        .map(|d| d as u64)
        .or(match c {
            '〇' => Some(0),
            '两' => Some(2),
            _ => None,
        })
}

/// The value of a run of digits ("12") or Chinese numerals ("十二", "一百零五").
fn value(run: &str) -> u64 {
    if run.chars().all(|c| c.is_ascii_digit()) {
        return run.parse().unwrap_or(u64::MAX);
    }
    let (mut total, mut digit) = (0u64, 0u64);
    for c in run.chars() {
        let unit = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            _ => {
                digit = chinese_digit(c)
                    .or_else(|| c.to_digit(10).map(u64::from))
                    .unwrap_or(0);
                continue;
            }
        };
        total += digit.max(1) * unit;
        digit = 0;
    }
    total + digit
}

/// Sort key that puts "2号楼" before "10号楼" and "第二网格" before "第十网格": runs of
/// digits or of Chinese numerals compare by value.
pub fn natural_key(text: &str) -> Vec<(u8, u64, String)> {
    let mut key = Vec::new();
    let mut run = String::new();
    let mut other = String::new();
    for c in text.chars() {
        if numeral(c) {
            if !other.is_empty() {
                key.push((1, 0, std::mem::take(&mut other)));
            }
            run.push(c);
        } else {
            if !run.is_empty() {
                key.push((0, value(&run), std::mem::take(&mut run)));
            }
            other.push(c);
        }
    }
    if !run.is_empty() {
        key.push((0, value(&run), run));
    }
    if !other.is_empty() {
        key.push((1, 0, other));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::{natural_key, value};

    #[test]
    fn numbers_sort_by_value() {
        let mut names = vec!["10号楼", "2号楼", "1号楼", "幸福路9号", "幸福路10号"];
        names.sort_by_key(|n| natural_key(n));
        assert_eq!(
            names,
            ["1号楼", "2号楼", "10号楼", "幸福路9号", "幸福路10号"]
        );
    }

    #[test]
    fn chinese_numerals_sort_by_value() {
        let mut grids = vec!["第三网格", "第十网格", "第一网格", "第二网格", "第十一网格"];
        grids.sort_by_key(|n| natural_key(n));
        assert_eq!(
            grids,
            ["第一网格", "第二网格", "第三网格", "第十网格", "第十一网格"]
        );
        for (run, n) in [
            ("十", 10),
            ("十二", 12),
            ("二十", 20),
            ("二十三", 23),
            ("一百零五", 105),
            ("两千", 2000),
        ] {
            assert_eq!(value(run), n, "{run}");
        }
    }
}
