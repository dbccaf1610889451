#include "transport/http/origin_guard.hpp"

#include <algorithm>
#include <cctype>

#include "common/text.hpp"

namespace azsql::transport::http {

namespace {

using text::to_lower;

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 5 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

/// Splits "host[:port]" / "[v6][:port]" into host (brackets removed) and port text.
bool split_host_port(std::string_view hp, std::string& host, std::string& port) {
  if (hp.empty()) return false;
  if (hp.front() == '[') {
    auto close = hp.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    host = to_lower(hp.substr(1, close - 1));
    auto rest = hp.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':' || !all_digits(rest.substr(1))) return false;
    port = std::string(rest.substr(1));
    return true;
  }
  auto colon = hp.find(':');
  if (colon != std::string_view::npos) {
    if (!all_digits(hp.substr(colon + 1))) return false;
    port = std::string(hp.substr(colon + 1));
    hp = hp.substr(0, colon);
  }
  if (hp.empty()) return false;
  for (unsigned char c : hp) {
    if (!(std::isalnum(c) || c == '-' || c == '.' || c == '_')) return false;
  }
  host = to_lower(hp);
  return true;
}

}  // namespace

std::string host_of_host_header(std::string_view host_header) {
  std::string host, port;
  if (!split_host_port(host_header, host, port)) return {};
  return host;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1") return true;
  return host.rfind("127.", 0) == 0 && is_ip_literal(host);  // 127.0.0.0/8 dotted quad
}

std::string normalize_origin(std::string_view origin) {
  std::string scheme;
  std::string_view rest;
  std::string o = to_lower(origin);
  std::string_view ov(o);
  if (ov.rfind("http://", 0) == 0) {
    scheme = "http";
    rest = ov.substr(7);
  } else if (ov.rfind("https://", 0) == 0) {
    scheme = "https";
    rest = ov.substr(8);
  } else {
    return {};
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos || rest.find('@') != std::string_view::npos) return {};
  std::string host, port;
  if (!split_host_port(rest, host, port)) return {};
  if ((scheme == "http" && port == "80") || (scheme == "https" && port == "443")) port.clear();
  std::string out = scheme + "://";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (!port.empty()) out += ":" + port;
  return out;
}

bool is_ip_literal(std::string_view host) {
  if (host.find(':') != std::string_view::npos) {  // IPv6: hex digits, colons, maybe a dotted tail
    return std::all_of(host.begin(), host.end(),
                       [](unsigned char c) { return std::isxdigit(c) || c == ':' || c == '.'; });
  }
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    auto dot = host.find('.', i);
    auto part = host.substr(i, dot == std::string_view::npos ? std::string_view::npos : dot - i);
    if (!all_digits(part) || part.size() > 3 || std::stoi(std::string(part)) > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    i = dot + 1;
  }
  return parts == 4;
}

bool host_allowed(std::string_view host_header, const GuardPolicy& policy) {
  std::string host = host_of_host_header(host_header);
  if (host.empty()) return false;
  if (is_loopback_host(host)) return true;
  for (const auto& a : policy.allowed_hosts) {
    if (a == "*" || to_lower(a) == host) return true;
  }
  for (const auto& a : policy.allowed_origins) {
    std::string n = normalize_origin(a);
    if (n.empty()) continue;
    auto hostpart = std::string_view(n).substr(n.find("://") + 3);
    if (host_of_host_header(hostpart) == host) return true;
  }
  std::string bind = to_lower(policy.bind_host);
  if (!bind.empty() && bind.front() == '[') bind = host_of_host_header(bind);
  return !is_loopback_host(bind) && is_ip_literal(host);
}

bool origin_allowed(std::string_view origin, bool origin_present, const GuardPolicy& policy) {
  if (!origin_present) return true;
  std::string n = normalize_origin(origin);
  if (n.empty()) return false;  // "null", file://, malformed
  for (const auto& a : policy.allowed_origins) {
    if (a == "*") return true;
    if (normalize_origin(a) == n) return true;
  }
  auto hostpart = std::string_view(n).substr(n.find("://") + 3);
  return is_loopback_host(host_of_host_header(hostpart));
}

}  // namespace azsql::transport::http
