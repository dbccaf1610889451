#include "proc.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace azsql::bench {
namespace {

struct StatLine {
  pid_t ppid = 0;
  unsigned long long utime = 0, stime = 0;
  bool ok = false;
};

StatLine read_stat(pid_t pid) {
  StatLine s;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return s;
  // The command name is in parentheses and may contain spaces: parse after the last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  std::vector<std::string> fields;
  while (rest >> field) fields.push_back(field);
  // fields[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
  if (fields.size() < 13) return s;
  s.ppid = static_cast<pid_t>(std::atol(fields[1].c_str()));
  s.utime = std::strtoull(fields[11].c_str(), nullptr, 10);
  s.stime = std::strtoull(fields[12].c_str(), nullptr, 10);
  s.ok = true;
  return s;
}

long status_kib(pid_t pid, const char* key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const std::size_t n = std::strlen(key);
  while (std::getline(f, line)) {
    if (line.compare(0, n, key) == 0) return std::atol(line.c_str() + n);
  }
  return 0;
}

}  // namespace

std::vector<pid_t> process_tree(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      pid_t pid = static_cast<pid_t>(std::atol(e->d_name));
      StatLine s = read_stat(pid);
      if (s.ok) children.emplace(s.ppid, pid);
    }
    ::closedir(d);
  }
  std::vector<pid_t> out{root};
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto [b, e] = children.equal_range(out[i]);
    for (auto it = b; it != e; ++it) out.push_back(it->second);
  }
  return out;
}

ProcSample sample_tree(pid_t root) {
  ProcSample s;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  for (pid_t pid : process_tree(root)) {
    StatLine st = read_stat(pid);
    if (!st.ok) continue;
    s.cpu_s += static_cast<double>(st.utime + st.stime) / tick;
    s.rss_kib += status_kib(pid, "VmRSS:");
    s.hwm_kib += status_kib(pid, "VmHWM:");
    ++s.processes;
  }
  return s;
}

bool reset_peak(pid_t root) {
  bool ok = true;
  for (pid_t pid : process_tree(root)) {
    std::ofstream f("/proc/" + std::to_string(pid) + "/clear_refs");
    f << "5";
    f.flush();
    ok = ok && f.good();
  }
  return ok;
}

Child spawn(const std::vector<std::string>& argv, const std::string& log_path, bool pipes) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1};
  if (pipes && (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0))
    throw std::runtime_error("pipe failed");
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open " + log_path);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);
    if (pipes) {
      ::dup2(in_pipe[0], 0);
      ::dup2(out_pipe[1], 1);
    } else {
      int null_fd = ::open("/dev/null", O_RDONLY);
      ::dup2(null_fd, 0);
      ::dup2(log_fd, 1);
    }
    ::dup2(log_fd, 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so stop() never races the child's own call
  ::close(log_fd);
  Child c;
  c.pid = pid;
  if (pipes) {
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    c.in_fd = in_pipe[1];
    c.out_fd = out_pipe[0];
  }
  return c;
}

bool alive(Child& child) {
  if (child.pid <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(child.pid, &status, WNOHANG);
  if (r == child.pid) {
    child.pid = -1;
    return false;
  }
  return true;
}

void stop(Child& child, std::chrono::milliseconds grace) {
  if (child.in_fd >= 0) ::close(child.in_fd), child.in_fd = -1;
  if (child.pid > 0) {
    const pid_t pgid = child.pid;
    ::kill(-pgid, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (alive(child) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (child.pid > 0) {
      ::kill(-pgid, SIGKILL);
      int status = 0;
      ::waitpid(child.pid, &status, 0);
      child.pid = -1;
    }
    ::kill(-pgid, SIGKILL);  // leftovers of the group (a launcher's child), if any; ESRCH otherwise
  }
  if (child.out_fd >= 0) ::close(child.out_fd), child.out_fd = -1;
}

unsigned short free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace azsql::bench
