//! Natural order for addresses and names: "2号楼" before "10号楼".

/// Sort key that puts "2号楼" before "10号楼": digit runs compare by value.
pub fn natural_key(text: &str) -> Vec<(u8, u64, String)> {
    let mut key = Vec::new();
    let mut digits = String::new();
    let mut other = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !other.is_empty() {
                key.push((1, 0, std::mem::take(&mut other)));
            }
            digits.push(c);
        } else {
            if !digits.is_empty() {
                key.push((
                    0,
                    digits.parse().unwrap_or(u64::MAX),
                    std::mem::take(&mut digits),
                ));
            }
            other.push(c);
        }
    }
    if !digits.is_empty() {
        key.push((0, digits.parse().unwrap_or(u64::MAX), digits));
    }
    if !other.is_empty() {
        key.push((1, 0, other));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::natural_key;

    #[test]
    fn numbers_sort_by_value() {
        let mut names = vec!["10号楼", "2号楼", "1号楼", "幸福路9号", "幸福路10号"];
        names.sort_by_key(|n| natural_key(n));
        assert_eq!(
            names,
            ["1号楼", "2号楼", "10号楼", "幸福路9号", "幸福路10号"]
        );
    }
}
