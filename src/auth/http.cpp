// HTTP for token endpoints: one libcurl easy handle per request, cancellable through the
// progress callback, bounded by connect and total timeouts.
//
// libcurl is loaded with dlopen on the first token request rather than linked: it pulls in
// GnuTLS, Kerberos, p11-kit, nettle, LDAP… (~2.5 MiB of resident pages once relocated), which a
// server using SQLite, SQL authentication or a static token never needs (PRODUCT.md §8 idle RSS).
#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>
#include <thread>

#include "auth/detail.hpp"
#include "common/text.hpp"

namespace azsql::auth::detail {

namespace {

constexpr std::size_t kMaxBody = 1u << 20;  // token responses are a few KiB

/// The libcurl entry points this file uses, resolved from libcurl.so.4 at first use.
struct CurlApi {
  CURLcode (*global_init)(long) = nullptr;
  CURL* (*easy_init)() = nullptr;
  void (*easy_cleanup)(CURL*) = nullptr;
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
  CURLcode (*easy_perform)(CURL*) = nullptr;
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
  const char* (*easy_strerror)(CURLcode) = nullptr;
  curl_slist* (*slist_append)(curl_slist*, const char*) = nullptr;
  void (*slist_free_all)(curl_slist*) = nullptr;
  std::string error;  ///< why loading failed (empty when every symbol resolved)
};

template <typename Fn>
bool resolve(void* lib, const char* name, Fn& out, std::string& error) {
  out = reinterpret_cast<Fn>(::dlsym(lib, name));
  if (!out && error.empty()) error = std::string("libcurl has no symbol ") + name;
  return out != nullptr;
}

/// Loads libcurl once (thread-safe) and initialises it; the library stays loaded.
const CurlApi& curl_api() {
  static const CurlApi api = [] {
    CurlApi a;
    void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* e = ::dlerror();
      a.error = std::string("cannot load libcurl.so.4 (needed for Entra ID token requests): ") + (e ? e : "unknown error");
      return a;
    }
    bool ok = resolve(lib, "curl_global_init", a.global_init, a.error);
    ok = resolve(lib, "curl_easy_init", a.easy_init, a.error) && ok;
    ok = resolve(lib, "curl_easy_cleanup", a.easy_cleanup, a.error) && ok;
    ok = resolve(lib, "curl_easy_setopt", a.easy_setopt, a.error) && ok;
    ok = resolve(lib, "curl_easy_perform", a.easy_perform, a.error) && ok;
    ok = resolve(lib, "curl_easy_getinfo", a.easy_getinfo, a.error) && ok;
    ok = resolve(lib, "curl_easy_strerror", a.easy_strerror, a.error) && ok;
    ok = resolve(lib, "curl_slist_append", a.slist_append, a.error) && ok;
    ok = resolve(lib, "curl_slist_free_all", a.slist_free_all, a.error) && ok;
    if (ok && a.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) a.error = "curl_global_init failed";
    return a;
  }();
  return api;
}

struct Sink {
  std::string body;
  std::optional<std::chrono::seconds> retry_after;
  bool overflow = false;
};

size_t on_body(char* ptr, size_t size, size_t nmemb, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t n = size * nmemb;
  if (s->body.size() + n > kMaxBody) {
    s->overflow = true;
    return 0;
  }
  s->body.append(ptr, n);
  return n;
}

size_t on_header(char* ptr, size_t size, size_t nitems, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t n = size * nitems;
  std::string_view line(ptr, n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos && text::iequals(line.substr(0, colon), "retry-after")) {
    const std::string_view v = text::trim(line.substr(colon + 1));
    long secs = 0;
    bool digits = !v.empty() && v.size() < 9;
    for (char c : v) {
      if (c < '0' || c > '9') {
        digits = false;
        break;
      }
      secs = secs * 10 + (c - '0');
    }
    if (digits) s->retry_after = std::chrono::seconds(secs);  // HTTP-date form: ignored
  }
  return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const CancelToken*>(user);
  return cancel->cancelled() ? 1 : 0;
}

}  // namespace

std::string url_host(std::string_view url) {
  auto p = url.find("://");
  if (p == std::string_view::npos) return {};
  std::string_view rest = url.substr(p + 3);
  auto end = rest.find_first_of("/?#");
  if (end != std::string_view::npos) rest = rest.substr(0, end);
  auto at = rest.rfind('@');
  if (at != std::string_view::npos) rest = rest.substr(at + 1);  // never echo userinfo
  return std::string(rest);
}

bool is_loopback_url(std::string_view url) {
  std::string host = url_host(url);
  if (host.empty()) return false;
  if (host.front() == '[') {
    auto close = host.find(']');
    return close != std::string::npos && host.substr(1, close - 1) == "::1";
  }
  auto colon = host.find(':');
  if (colon != std::string::npos) host = host.substr(0, colon);
  host = text::to_lower(host);
  if (host == "localhost") return true;
  if (host.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += text::percent_encode(k);
    out += '=';
    out += text::percent_encode(v);
  }
  return out;
}

bool cancellable_sleep(std::chrono::milliseconds d, const CancelToken& cancel) {
  const auto deadline = std::chrono::steady_clock::now() + d;
  while (!cancel.cancelled()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(deadline - now, std::chrono::milliseconds(20)));
  }
  return false;
}

Result<HttpResponse> http_send(const HttpRequest& req, const CancelToken& cancel) {
  const CurlApi& api = curl_api();
  if (!api.error.empty()) return Error::make(ErrorKind::Internal, api.error);
  if (cancel.cancelled()) return Error::make(ErrorKind::Cancelled, "cancelled");
  std::unique_ptr<CURL, void (*)(CURL*)> h(api.easy_init(), api.easy_cleanup);
  if (!h) return Error::make(ErrorKind::Internal, "curl_easy_init failed");
  CURL* c = h.get();
  Sink sink;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* hdrs = nullptr;
  for (const auto& [k, v] : req.headers) hdrs = api.slist_append(hdrs, (k + ": " + v).c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> hdr_guard(hdrs, api.slist_free_all);
  const auto setopt = api.easy_setopt;

  setopt(c, CURLOPT_URL, req.url.c_str());
  setopt(c, CURLOPT_NOSIGNAL, 1L);
  setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.timeouts.connect.count()));
  setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeouts.total.count()));
  // Loopback test endpoints and the link-local IMDS address are never reached through a proxy.
  setopt(c, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1,169.254.169.254");
  setopt(c, CURLOPT_HTTPHEADER, hdrs);
  setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  setopt(c, CURLOPT_WRITEDATA, &sink);
  setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  setopt(c, CURLOPT_HEADERDATA, &sink);
  setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  setopt(c, CURLOPT_XFERINFODATA, &cancel);
  setopt(c, CURLOPT_NOPROGRESS, 0L);
  setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  setopt(c, CURLOPT_USERAGENT, "azsql-mcp");
  if (req.method == "POST") {
    setopt(c, CURLOPT_POST, 1L);
    setopt(c, CURLOPT_POSTFIELDS, req.body.c_str());
    setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
  }

  CURLcode rc = api.easy_perform(c);
  const std::string host = url_host(req.url);
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] ? std::string(errbuf) : std::string(api.easy_strerror(rc));
    if (rc == CURLE_ABORTED_BY_CALLBACK || cancel.cancelled()) return Error::make(ErrorKind::Cancelled, "cancelled");
    if (sink.overflow) return Error::make(ErrorKind::Protocol, "response from " + host + " is larger than 1 MiB");
    Error e;
    e.transient = true;
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      e.kind = ErrorKind::Timeout;
      e.message = "request to " + host + " timed out";
    } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY) {
      e.kind = ErrorKind::Unavailable;
      e.message = "cannot connect to " + host + ": " + detail;
    } else {
      e.kind = ErrorKind::Io;
      e.message = "request to " + host + " failed: " + detail;
    }
    return e;
  }
  HttpResponse r;
  api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  r.body = std::move(sink.body);
  r.retry_after = sink.retry_after;
  return r;
}

Result<HttpResponse> http_send_with_retry(const HttpRequest& req, const RetryPolicy& policy, const GoneRetry& gone,
                                          bool (*retriable)(long status), const CancelToken& cancel) {
  for (int attempt = 0;; ++attempt) {
    auto r = http_send(req, cancel);
    bool last = attempt >= policy.max_retries;
    std::optional<std::chrono::seconds> retry_after;
    long status = 0;
    if (r.ok()) {
      status = r->status;
      if (status == 410) last = attempt >= std::max(policy.max_retries, gone.max_retries);
      if (!retriable(status) || last) return r;
      retry_after = r->retry_after;
    } else {
      const auto kind = r.error().kind;
      if (kind == ErrorKind::Cancelled || !r.error().transient || last) return r;
    }
    auto delay = policy.delay(attempt);
    if (retry_after) delay = std::max(delay, std::chrono::duration_cast<std::chrono::milliseconds>(*retry_after));
    if (status == 410) delay = std::max(delay, gone.min_delay);
    delay = std::min(delay, std::max(policy.max_delay, status == 410 ? gone.min_delay : policy.max_delay));
    if (!cancellable_sleep(delay, cancel)) return Error::make(ErrorKind::Cancelled, "cancelled");
  }
}

}  // namespace azsql::auth::detail
