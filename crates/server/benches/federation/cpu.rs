//! Who used the machine's CPU during a timed part: Kith's threads by their names (requests,
//! the inbox writer, background work, signing), PostgreSQL's processes, the harness and its
//! helpers. Runs varied by a third with the machine saturated; this says which part took the
//! difference.

use std::collections::BTreeMap;

/// CPU seconds by part, so far.
pub type Split = BTreeMap<&'static str, f64>;

/// The command name in a `/proc/.../stat` file, and the CPU seconds (user + system) it gives.
pub fn read_stat(path: &str) -> Option<(String, f64)> {
    let stat = std::fs::read_to_string(path).ok()?;
    let (head, rest) = stat.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_owned();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every architecture Kith targets.
    Some((comm, ticks / 100.0))
}

/// The part a thread of Kith belongs to, by the names Kith gives its threads.
fn kith_part(thread: &str) -> &'static str {
    if thread.starts_with("kith-inbox-writ") {
        "kith writer"
    } else if thread.starts_with("kith-background") {
        "kith background"
    } else if thread.starts_with("kith-sign") {
        "kith signing"
    } else if thread.starts_with("tokio-rt-worker") {
        "kith requests"
    } else {
        "kith other"
    }
}

/// A snapshot of every process's CPU time, by part; `kith` is Kith's process id.
pub fn snapshot(kith: u32) -> Split {
    let mut split = Split::new();
    let me = std::process::id();
    let my_comm = read_stat(&format!("/proc/{me}/stat")).map(|(comm, _)| comm);
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return split;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == kith {
            let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
                continue;
            };
            for task in tasks.flatten() {
                let path = format!("{}/stat", task.path().display());
                if let Some((thread, seconds)) = read_stat(&path) {
                    *split.entry(kith_part(&thread)).or_default() += seconds;
                }
            }
            continue;
        }
        let Some((comm, seconds)) = read_stat(&format!("/proc/{pid}/stat")) else {
            continue;
        };
        let part = if pid == me {
            "harness"
        } else if comm == "postgres" {
            "postgres"
        } else if Some(&comm) == my_comm.as_ref() {
            "sink"
        } else {
            "other"
        };
        *split.entry(part).or_default() += seconds;
    }
    split
}

/// Cores used by each part between two snapshots `seconds` apart.
pub fn cores(before: &Split, after: &Split, seconds: f64) -> Split {
    after
        .iter()
        .map(|(part, t)| {
            let used = t - before.get(part).copied().unwrap_or(0.0);
            (*part, used.max(0.0) / seconds.max(1e-9))
        })
        .collect()
}

/// `part 0.52, …`, the largest first.
pub fn describe(cores: &Split) -> String {
    let mut parts: Vec<(&&str, &f64)> = cores.iter().filter(|(_, c)| **c >= 0.005).collect();
    parts.sort_by(|a, b| b.1.total_cmp(a.1));
    parts
        .iter()
        .map(|(part, c)| format!("{part} {c:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}
