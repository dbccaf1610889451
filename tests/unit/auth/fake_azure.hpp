#pragma once
// Starts tests/fakes/fake_azure.py (real process, 127.0.0.1, random port), reads its JSON line, and
// talks to its /_control and /_log endpoints. Stopped by PID in the destructor.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "auth/detail.hpp"
#include "b64url.hpp"

namespace azsql::auth::testing {

inline std::string source_path(const std::string& rel) { return std::string(AZSQL_SOURCE_DIR) + "/" + rel; }

inline std::string python() { return ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"; }

/// A per-process scratch directory, removed at exit.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "azsql_auth_test_XXXXXX").string();
    char* d = ::mkdtemp(tmpl.data());
    if (d == nullptr) return std::string("/tmp");
    static const std::string* const leaked = new std::string(d);  // outlives static destructors
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(*leaked, ec);
    });
    return std::string(d);
  }();
  return dir;
}

class FakeAzure {
 public:
  explicit FakeAzure(std::vector<std::string> extra = {}) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return;
    std::vector<std::string> args{python(), source_path("tests/fakes/fake_azure.py"), "--cert-dir",
                                  scratch_dir() + "/certs"};
    for (auto& e : extra) args.push_back(std::move(e));
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (!ec && v.is_object()) info_ = v.as_object();
  }
  ~FakeAzure() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
    if (stdin_ >= 0) ::close(stdin_);
  }
  FakeAzure(const FakeAzure&) = delete;
  FakeAzure& operator=(const FakeAzure&) = delete;

  bool ok() const { return info_.contains("port"); }
  std::string str(const char* key) const {
    const auto* v = info_.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  }
  std::string base() const { return str("imds_endpoint"); }
  std::string token_url() const { return base() + "/" + str("tenant") + "/oauth2/v2.0/token"; }

  /// POST /_control with a JSON object.
  void control(const boost::json::object& o) const {
    detail::HttpRequest r;
    r.method = "POST";
    r.url = base() + "/_control";
    r.headers = {{"Content-Type", "application/json"}};
    r.body = boost::json::serialize(o);
    CancelToken c;
    (void)detail::http_send(r, c);
  }
  /// Requests the fake received (optionally only those for `endpoint`).
  boost::json::array log(const std::string& endpoint = {}) const {
    detail::HttpRequest r;
    r.url = base() + "/_log";
    CancelToken c;
    auto resp = detail::http_send(r, c);
    boost::json::array out;
    if (!resp.ok()) return out;
    auto v = boost::json::parse(resp->body);
    for (auto& e : v.as_object().at("requests").as_array()) {
      if (endpoint.empty() || e.as_object().at("endpoint").as_string() == endpoint) out.push_back(e);
    }
    return out;
  }

  /// POST /_mint: a user access token signed by the fake OpenID provider (see fake_azure.py).
  std::string mint(const boost::json::object& spec) const {
    detail::HttpRequest r;
    r.method = "POST";
    r.url = base() + "/_mint";
    r.headers = {{"Content-Type", "application/json"}};
    r.body = boost::json::serialize(spec);
    CancelToken c;
    auto resp = detail::http_send(r, c);
    if (!resp.ok() || resp->status != 200) return {};
    return std::string(boost::json::parse(resp->body).as_object().at("token").as_string());
  }

  EntraOptions entra() const {
    EntraOptions o;
    o.tenant_id = str("tenant");
    o.client_id = str("client_id");
    o.authority_host = str("authority_host");
    o.timeouts.connect = std::chrono::milliseconds(2000);
    o.timeouts.total = std::chrono::milliseconds(10000);
    o.retry.initial_delay = std::chrono::milliseconds(10);
    o.retry.max_delay = std::chrono::milliseconds(50);
    o.gone.min_delay = std::chrono::milliseconds(10);
    return o;
  }
  ManagedIdentityOptions imds() const {
    ManagedIdentityOptions o;
    o.imds_endpoint = base();
    o.timeouts.connect = std::chrono::milliseconds(2000);
    o.timeouts.total = std::chrono::milliseconds(10000);
    o.retry.initial_delay = std::chrono::milliseconds(10);
    o.retry.max_delay = std::chrono::milliseconds(50);
    o.gone.min_delay = std::chrono::milliseconds(10);
    return o;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  boost::json::object info_;
};

}  // namespace azsql::auth::testing
