//! `--memory-limit`: a size in binary units (`2G`, `512M`, `1.5GiB`, `300000000` bytes),
//! `available` (the memory free when the command starts) or `none` (no check).

use irl::error::quote;
use irl::inference::MemoryLimit;

/// Parse a size such as `2G`, `512M`, `1.5GiB`, `300000000` (bytes), or `none`.
pub fn parse_memory_limit(text: &str) -> std::result::Result<MemoryLimit, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(MemoryLimit::Unlimited);
    }
    if t.eq_ignore_ascii_case("available") {
        return Ok(MemoryLimit::Available);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let shown = quote(text);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("\"{shown}\" is not a size such as 2G, 512M or none"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown unit \"{}\" in \"{shown}\"; use B, K, M, G or T (powers of 1024), \"available\" or \"none\"",
                quote(other)
            ))
        }
    };
    if !value.is_finite() || value <= 0.0 {
        return Err(format!("\"{shown}\" must be a positive size"));
    }
    Ok(MemoryLimit::Bytes((value * scale as f64) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_memory_limit("2G"), Ok(MemoryLimit::Bytes(2 << 30)));
        assert_eq!(
            parse_memory_limit("1.5GiB"),
            Ok(MemoryLimit::Bytes(3 << 29))
        );
        assert_eq!(
            parse_memory_limit("512 M"),
            Ok(MemoryLimit::Bytes(512 << 20))
        );
        assert_eq!(parse_memory_limit("4096"), Ok(MemoryLimit::Bytes(4096)));
        assert_eq!(parse_memory_limit("none"), Ok(MemoryLimit::Unlimited));
        assert!(parse_memory_limit("2X")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_memory_limit("-1G").is_err());
        assert!(parse_memory_limit("0").is_err());
    }
}
