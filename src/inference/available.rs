//! The memory that new allocations of this process can still take: the least of what
//! the kernel reports available to new allocations (`MemAvailable` in `/proc/meminfo`),
//! what the process's memory cgroup has left under its limit (at every level of its
//! hierarchy, cgroup v2 `memory.max` less `memory.current` or v1 `memory.limit_in_bytes`
//! less `memory.usage_in_bytes`), and what the process's limits leave beside what it has
//! mapped already (`ulimit -v`: the address space less `VmSize`; `ulimit -d`: the data
//! size less `VmData`). Each is read from `/proc` and `/sys/fs/cgroup`, so on a system
//! without them nothing is known and the memory guard is off.

use std::fs;
use std::path::{Path, PathBuf};

/// The memory new allocations can take, with the name of the bound that sets it.
pub fn available_with_source() -> Option<(u64, &'static str)> {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let limits = fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let bounds = [
        (
            read("/proc/meminfo").and_then(|i| status_kib(&i, "MemAvailable:")),
            "the available memory",
        ),
        (cgroup_headroom(), "the memory left in its cgroup"),
        (
            headroom(
                limit(&limits, "Max address space"),
                status_kib(&status, "VmSize:"),
            ),
            "the address space left under ulimit -v",
        ),
        (
            headroom(
                limit(&limits, "Max data size"),
                status_kib(&status, "VmData:"),
            ),
            "the data size left under ulimit -d",
        ),
    ];
    bounds
        .into_iter()
        .filter_map(|(bytes, source)| Some((bytes?, source)))
        .min_by_key(|&(bytes, _)| bytes)
}

fn read(path: impl AsRef<Path>) -> Option<String> {
    fs::read_to_string(path).ok()
}

/// A `Key:   1234 kB` line of `/proc/meminfo` or `/proc/self/status`, in bytes.
pub(super) fn status_kib(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line[key.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// The soft limit of a `/proc/self/limits` row such as `Max address space`, in bytes;
/// `None` when unlimited.
pub(super) fn limit(limits: &str, name: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// What `limit` leaves beside `used`.
fn headroom(limit: Option<u64>, used: Option<u64>) -> Option<u64> {
    Some(limit?.saturating_sub(used.unwrap_or(0)))
}

/// The least headroom of the memory cgroups from the process's own to the root.
fn cgroup_headroom() -> Option<u64> {
    let membership = read("/proc/self/cgroup")?;
    let (v2, v1) = cgroup_paths(&membership);
    let mut least = None;
    let candidates = [
        v2.map(|p| {
            (
                PathBuf::from("/sys/fs/cgroup"),
                p,
                "memory.max",
                "memory.current",
            )
        }),
        v1.map(|p| {
            (
                PathBuf::from("/sys/fs/cgroup/memory"),
                p,
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
            )
        }),
    ];
    for (mount, path, limit_file, usage_file) in candidates.into_iter().flatten() {
        // Inside a container the recorded path may not exist under the mount, whose
        // root is then the process's own cgroup.
        let mut folder = mount.join(path.trim_start_matches('/'));
        if !folder.is_dir() {
            folder.clone_from(&mount);
        }
        loop {
            let limit = read(folder.join(limit_file)).and_then(|t| t.trim().parse::<u64>().ok());
            let usage = read(folder.join(usage_file)).and_then(|t| t.trim().parse::<u64>().ok());
            if let Some(room) = headroom(limit, usage) {
                least = Some(least.map_or(room, |l: u64| l.min(room)));
            }
            if folder == mount || !folder.pop() {
                break;
            }
        }
    }
    least
}

/// The cgroup v2 path (`0::/path`) and the v1 memory controller's path
/// (`N:memory:/path`) of `/proc/self/cgroup`.
pub(super) fn cgroup_paths(membership: &str) -> (Option<&str>, Option<&str>) {
    let mut v2 = None;
    let mut v1 = None;
    for line in membership.lines() {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next(), fields.next(), fields.next());
        match (controllers, path) {
            (Some(""), Some(path)) => v2 = Some(path),
            (Some(c), Some(path)) if c.split(',').any(|c| c == "memory") => v1 = Some(path),
            _ => {}
        }
    }
    (v2, v1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_and_status_lines_are_read_in_bytes() {
        let info = "MemTotal:       24683572 kB\nMemAvailable:   22870000 kB\n";
        assert_eq!(status_kib(info, "MemAvailable:"), Some(22_870_000 * 1024));
        assert_eq!(status_kib(info, "MemFree:"), None);
        let status = "Name:\tirl\nVmSize:\t  123 kB\nVmData:\t 45 kB\n";
        assert_eq!(status_kib(status, "VmSize:"), Some(123 * 1024));
    }

    #[test]
    fn soft_limits_are_read_and_unlimited_is_none() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max data size             unlimited            unlimited            bytes     \n\
                      Max address space         2048000000           unlimited            bytes     \n";
        assert_eq!(limit(limits, "Max address space"), Some(2_048_000_000));
        assert_eq!(limit(limits, "Max data size"), None);
        assert_eq!(headroom(Some(100), Some(30)), Some(70));
        assert_eq!(headroom(Some(10), Some(30)), Some(0));
        assert_eq!(headroom(None, Some(30)), None);
    }

    #[test]
    fn cgroup_paths_of_both_versions() {
        let v1 = "9:systemd:/\n4:memory:/jobs/42\n1:cpu,cpuacct:/\n0::/\n";
        assert_eq!(cgroup_paths(v1), (Some("/"), Some("/jobs/42")));
        assert_eq!(
            cgroup_paths("0::/user.slice/a.scope\n"),
            (Some("/user.slice/a.scope"), None)
        );
    }
}
