// Child processes without a shell (fork/exec), with a deadline (used for the Azure CLI).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "auth/detail.hpp"

namespace azsql::auth::detail {

namespace {
constexpr std::size_t kMaxOutput = 1u << 20;

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

/// Reads the child's stdout/stderr (`fds`, closed and set to -1 at EOF) into `res` (at most
/// kMaxOutput each) until both end, the deadline passes (res.timed_out) or `cancel` fires (returns true).
bool read_outputs(int (&fds)[2], ProcessResult& res, std::chrono::steady_clock::time_point deadline,
                  const CancelToken& cancel) {
  std::string* bufs[2] = {&res.out, &res.err};
  while (fds[0] >= 0 || fds[1] >= 0) {
    if (cancel.cancelled()) return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      res.timed_out = true;
      return false;
    }
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    pollfd pfd[2];
    int np = 0;
    int idx[2];
    for (int i = 0; i < 2; ++i) {
      if (fds[i] >= 0) {
        pfd[np] = {fds[i], POLLIN, 0};
        idx[np++] = i;
      }
    }
    int pr = ::poll(pfd, static_cast<nfds_t>(np), static_cast<int>(std::min<long long>(wait_ms, 50)));
    if (pr < 0 && errno != EINTR) return false;
    for (int k = 0; k < np && pr > 0; ++k) {
      if (pfd[k].revents == 0) continue;
      char buf[4096];
      ssize_t got = ::read(pfd[k].fd, buf, sizeof buf);
      if (got > 0) {
        auto* b = bufs[idx[k]];
        if (b->size() < kMaxOutput) b->append(buf, static_cast<std::size_t>(std::min<ssize_t>(got, static_cast<ssize_t>(kMaxOutput - b->size()))));
      } else if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
        close_fd(fds[idx[k]]);
      }
    }
  }
  return false;
}
}  // namespace

std::string find_on_path(const std::string& name, const std::string& path_env) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : std::string();
  std::size_t start = 0;
  while (start <= path_env.size()) {
    auto end = path_env.find(':', start);
    if (end == std::string::npos) end = path_env.size();
    std::string dir = path_env.substr(start, end - start);
    if (!dir.empty() && dir.front() == '/') {  // relative PATH entries (incl. "") are ignored on purpose
      std::string candidate = dir + "/" + name;
      struct stat st {};
      if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
    }
    start = end + 1;
  }
  return {};
}

Result<ProcessResult> run_process(const std::string& path, const std::vector<std::string>& args,
                                  std::chrono::milliseconds timeout, const CancelToken& cancel) {
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, exec_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 || ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    for (int* p : {out_pipe, err_pipe, exec_pipe}) {
      close_fd(p[0]);
      close_fd(p[1]);
    }
    return Error::make(ErrorKind::Io, std::string("pipe failed: ") + std::strerror(errno));
  }
  // Everything the child needs is prepared before fork (only async-signal-safe calls after it).
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) {
    for (int* p : {out_pipe, err_pipe, exec_pipe}) {
      close_fd(p[0]);
      close_fd(p[1]);
    }
    return Error::make(ErrorKind::Io, std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    if (::chdir("/") != 0) {
      // keep the inherited working directory
    }
    ::execv(path.c_str(), argv.data());
    int err = errno;
    ssize_t ignored = ::write(exec_pipe[1], &err, sizeof err);
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so the group exists before a kill
  close_fd(out_pipe[1]);
  close_fd(err_pipe[1]);
  close_fd(exec_pipe[1]);

  int exec_errno = 0;
  ssize_t n = 0;
  do {
    n = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  close_fd(exec_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    close_fd(out_pipe[0]);
    close_fd(err_pipe[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return Error::make(ErrorKind::NotFound, "cannot run " + path + ": " + std::strerror(exec_errno));
  }

  ProcessResult res;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool killed = false;
  int fds[2] = {out_pipe[0], err_pipe[0]};
  bool cancelled = read_outputs(fds, res, deadline, cancel);
  if (res.timed_out || cancelled) {
    ::kill(-pid, SIGKILL);
    killed = true;
  }
  close_fd(fds[0]);
  close_fd(fds[1]);
  int status = 0;
  pid_t w = 0;
  while (!killed) {  // output closed: wait for the exit, still bounded by the deadline / cancel
    w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) break;
    if (cancel.cancelled()) cancelled = true;
    if (std::chrono::steady_clock::now() >= deadline) res.timed_out = true;
    if (cancelled || res.timed_out) {
      ::kill(-pid, SIGKILL);
      killed = true;
      break;
    }
    ::usleep(10000);
  }
  if (killed) {
    do {
      w = ::waitpid(pid, &status, 0);
    } while (w < 0 && errno == EINTR);
  }
  if (!killed && WIFEXITED(status)) {
    res.exit_code = WEXITSTATUS(status);
  } else {
    res.exit_code = -1;
  }
  if (cancelled) return Error::make(ErrorKind::Cancelled, "cancelled");
  return res;
}

}  // namespace azsql::auth::detail
