#pragma once
// Starts tests/tds_server/tds_server.py on a random port (--port 0), reads its JSON line and stops
// it by PID (SIGTERM, then closing its stdin) in the destructor.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace tds_test {

struct TdsServer {
  pid_t pid = -1;
  int in_fd = -1;
  int port = 0;
  int routing_port = 0;
  std::string cert;
  std::string line;

  explicit TdsServer(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"/usr/bin/python3", std::string(AZSQL_SOURCE_DIR) + "/tests/tds_server/tds_server.py",
                                     "--port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    int out[2], in[2];
    if (pipe(out) != 0 || pipe(in) != 0) return;
    pid = fork();
    if (pid == 0) {
      dup2(out[1], 1);
      dup2(in[0], 0);
      close(out[0]);
      close(in[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    close(in[0]);
    in_fd = in[1];
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    close(out[0]);
    port = int_field("\"port\"");
    routing_port = int_field("\"routing_port\"");
    auto k = line.find("\"cert\"");
    if (k != std::string::npos) {
      auto q1 = line.find('"', line.find(':', k) + 1);
      auto q2 = line.find('"', q1 + 1);
      if (q1 != std::string::npos && q2 != std::string::npos) cert = line.substr(q1 + 1, q2 - q1 - 1);
    }
  }
  int int_field(const char* key) const {
    auto k = line.find(key);
    if (k == std::string::npos) return 0;
    auto c = line.find(':', k);
    return std::atoi(line.c_str() + c + 1);
  }
  ~TdsServer() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      if (in_fd >= 0) close(in_fd);
      int st;
      waitpid(pid, &st, 0);
    }
  }
  TdsServer(const TdsServer&) = delete;
  TdsServer& operator=(const TdsServer&) = delete;
};

}  // namespace tds_test
