//! Peak resident memory of this process, from Linux's `/proc`.
//!
//! `VmHWM` in `/proc/self/status` is the high-water mark of the resident set size (in
//! kB, i.e. KiB). Writing `5` to `/proc/self/clear_refs` resets it to the current
//! resident size (Linux ≥ 4.0), so the peak of one stretch of work is read as: reset,
//! work, read. Memory freed earlier but kept by the allocator counts as resident, so a
//! stretch that follows a larger one may read a little high. Elsewhere, or where `/proc`
//! refuses, the peak is unknown (`None`).

use std::fs;

/// Reset the resident-memory high-water mark; `false` if that is not possible here.
pub fn reset_peak_resident() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The resident-memory high-water mark in bytes, when the system reports it.
pub fn peak_resident_bytes() -> Option<u64> {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| vm_hwm_bytes(&status))
}

/// The `VmHWM:  <n> kB` line of a `/proc/<pid>/status` text, in bytes.
fn vm_hwm_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let mut fields = line["VmHWM:".len()..].split_whitespace();
    let kib: u64 = fields.next()?.parse().ok()?;
    (fields.next() == Some("kB")).then_some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_high_water_mark_line() {
        let status = "Name:\tirl\nVmPeak:\t  900 kB\nVmHWM:\t   13572 kB\nVmRSS:\t 13000 kB\n";
        assert_eq!(vm_hwm_bytes(status), Some(13572 * 1024));
        assert_eq!(vm_hwm_bytes("Name:\tirl\n"), None);
        assert_eq!(vm_hwm_bytes("VmHWM:\t  many kB\n"), None);
        assert_eq!(vm_hwm_bytes("VmHWM:\t  12 MB\n"), None);
    }

    #[test]
    fn a_fresh_allocation_raises_the_mark_after_a_reset() {
        if !reset_peak_resident() {
            return;
        }
        let before = peak_resident_bytes().expect("Linux reports VmHWM");
        let block = vec![1u8; 64 << 20];
        std::hint::black_box(&block);
        let after = peak_resident_bytes().unwrap();
        assert!(after >= before + (60 << 20), "{before} → {after}");
        drop(block);
        assert!(reset_peak_resident());
        assert!(peak_resident_bytes().unwrap() < after);
    }
}
