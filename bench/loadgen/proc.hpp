#pragma once
/// Process helpers for the load generator: spawn a server in its own process group, stop it by
/// PID, and read CPU time and memory of the process and its descendants from /proc.
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace azsql::bench {

/// One reading over a process tree (root and every descendant alive at the time).
struct ProcSample {
  double cpu_s = 0;        ///< utime + stime, seconds
  long rss_kib = 0;        ///< sum of VmRSS
  long hwm_kib = 0;        ///< sum of VmHWM (peak RSS since start or since reset_peak())
  std::size_t processes = 0;
};

/// Every live descendant of `root`, root first.
std::vector<pid_t> process_tree(pid_t root);

/// Sums CPU time and memory over process_tree(root).
ProcSample sample_tree(pid_t root);

/// Resets VmHWM to the current RSS for every process in the tree (/proc/PID/clear_refs = 5).
/// Returns false when the kernel refused (then peaks are measured from the start of the process).
bool reset_peak(pid_t root);

/// A started child. `in_fd`/`out_fd` are pipes to its stdin/stdout when spawned with pipes,
/// otherwise -1 (stdout and stderr then go to the log file).
struct Child {
  pid_t pid = -1;
  int in_fd = -1;
  int out_fd = -1;
};

/// fork + execvp in a new process group. With `pipes`, stdin/stdout are pipes and stderr goes to
/// `log_path`; without, stdin is /dev/null and stdout+stderr go to `log_path`.
/// Throws std::runtime_error when fork/pipe fails; exec failure shows up as an early exit.
Child spawn(const std::vector<std::string>& argv, const std::string& log_path, bool pipes);

/// SIGTERM to the child's process group, wait up to `grace`, then SIGKILL. Reaps the child.
void stop(Child& child, std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

/// True while the child has not exited (reaps it if it has).
bool alive(Child& child);

/// A TCP port on 127.0.0.1 that was free a moment ago.
unsigned short free_port();

}  // namespace azsql::bench
