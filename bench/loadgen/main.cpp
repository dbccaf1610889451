// azsql-loadgen: starts one MCP server, measures it, stops it, prints one JSON line.
//
//   azsql-loadgen http  [options] -- server command with %PORT% ...
//   azsql-loadgen stdio [options] -- server command ...
//   azsql-loadgen call  --url-port N --tool T --args JSON      (one call against a running server)
//
// Every loop is bounded by a request count AND a wall-clock limit; a watchdog ends the run (and
// the server's process group) if anything hangs past the whole budget. See bench/README.md.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <latch>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mcp_client.hpp"
#include "proc.hpp"

using namespace azsql::bench;
namespace bj = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<pid_t> g_child{-1};

struct Args {
  std::map<std::string, std::string> opt;
  std::vector<std::string> command;

  std::string str(const std::string& k, const std::string& def = "") const {
    auto it = opt.find(k);
    return it == opt.end() ? def : it->second;
  }
  double num(const std::string& k, double def) const {
    auto it = opt.find(k);
    return it == opt.end() ? def : std::atof(it->second.c_str());
  }
  std::size_t count(const std::string& k, std::size_t def) const { return static_cast<std::size_t>(num(k, static_cast<double>(def))); }
};

Args parse_args(int argc, char** argv, int first) {
  Args a;
  int i = first;
  for (; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--") {
      ++i;
      break;
    }
    if (s.rfind("--", 0) != 0 || i + 1 >= argc) {
      std::fprintf(stderr, "azsql-loadgen: bad argument '%s' (options are --name value)\n", s.c_str());
      std::exit(2);
    }
    a.opt[s.substr(2)] = argv[++i];
  }
  for (; i < argc; ++i) a.command.emplace_back(argv[i]);
  return a;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
  return s;
}

/// tools/call params for tool `tool` with `args_template` (%ID% → id).
std::string call_params(const std::string& tool, const std::string& args_template, long id) {
  return R"({"name":")" + tool + R"(","arguments":)" + replace_all(args_template, "%ID%", std::to_string(id)) + "}";
}

/// CPU seconds used by this process (all load-generator threads).
double self_cpu_s() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

/// Nearest-rank percentile of sorted samples.
double pct(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return NAN;
  std::size_t k = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, k == 0 ? 0 : k - 1)];
}

std::size_t count_occurrences(std::string_view hay, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + needle.size())) ++n;
  return n;
}

void watchdog(double seconds) {
  std::thread([seconds] {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    std::fprintf(stderr, "azsql-loadgen: watchdog: run exceeded its %.0f s budget, stopping\n", seconds);
    if (pid_t c = g_child.load(); c > 0) {
      ::kill(-c, SIGKILL);
    }
    std::fflush(stderr);
    ::_exit(3);
  }).detach();
}

/// Result of one load phase.
struct Phase {
  std::size_t ok = 0, errors = 0, reconnects = 0;
  double elapsed_s = 0;
  std::vector<double> lat_us;  ///< sorted
  ProcSample before, after;
  std::size_t last_bytes = 0, max_bytes = 0, min_rows_seen = SIZE_MAX;
  double client_cpu_s = 0;
  std::string first_error;
};

struct Target {
  unsigned short port = 0;
  std::string path = "/mcp";
  std::string protocol = "2025-06-18";
  pid_t pid = -1;
};

/// Runs `clients` threads, each with its own session, issuing tools/call until `max_requests`
/// calls were issued in total or `seconds` passed. `on_tick` runs on the calling thread about
/// once a second while the phase runs. Sessions are set up before the clock starts.
template <typename MakeParams, typename Tick>
Phase run_phase(const Target& tg, std::size_t clients, std::size_t max_requests, double seconds, MakeParams make_params,
                std::string_view row_marker, Tick on_tick) {
  Phase ph;
  std::latch ready(static_cast<std::ptrdiff_t>(clients) + 1);
  std::atomic<bool> go{false};
  std::atomic<std::size_t> issued{0}, finished{0};
  Clock::time_point t_start, deadline;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      HttpClient cl("127.0.0.1", tg.port, tg.path, tg.protocol);
      std::string why;
      bool up = cl.handshake(&why);
      ready.count_down();
      while (!go.load()) std::this_thread::yield();
      std::vector<double> lat;
      std::size_t ok = 0, err = 0, last_bytes = 0, max_bytes = 0, min_rows = SIZE_MAX;
      std::string first_err = up ? "" : why;
      if (!up) ++err;
      std::mt19937_64 rng(1000 + c);
      while (up && Clock::now() < deadline && issued.fetch_add(1) < max_requests) {
        std::string params = make_params(rng);
        auto t0 = Clock::now();
        Reply r = cl.request("tools/call", params);
        double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        std::string bad;
        if (r.ok && result_ok(r.json, &bad)) {
          ++ok;
          lat.push_back(us);
          last_bytes = r.bytes;
          max_bytes = std::max(max_bytes, r.bytes);
          if (!row_marker.empty()) min_rows = std::min(min_rows, count_occurrences(r.json, row_marker));
        } else {
          ++err;
          if (first_err.empty()) first_err = r.ok ? bad : r.error;
        }
      }
      finished.fetch_add(1);
      cl.end_session();  // after the clock: not part of the phase's figures
      std::lock_guard lk(mu);
      ph.ok += ok;
      ph.errors += err;
      ph.reconnects += cl.reconnects();
      ph.lat_us.insert(ph.lat_us.end(), lat.begin(), lat.end());
      ph.last_bytes = last_bytes ? last_bytes : ph.last_bytes;
      ph.max_bytes = std::max(ph.max_bytes, max_bytes);
      ph.min_rows_seen = std::min(ph.min_rows_seen, min_rows);
      if (ph.first_error.empty()) ph.first_error = first_err;
    });
  }
  ready.arrive_and_wait();
  ph.before = sample_tree(tg.pid);
  const double cpu0 = self_cpu_s();
  t_start = Clock::now();
  deadline = t_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  go.store(true);
  auto next_tick = t_start + std::chrono::seconds(1);
  while (finished.load() < clients) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (Clock::now() >= next_tick) {
      on_tick(std::chrono::duration<double>(Clock::now() - t_start).count());
      next_tick += std::chrono::seconds(1);
    }
  }
  ph.elapsed_s = std::chrono::duration<double>(Clock::now() - t_start).count();
  ph.after = sample_tree(tg.pid);
  ph.client_cpu_s = self_cpu_s() - cpu0;
  for (auto& t : threads) t.join();
  std::sort(ph.lat_us.begin(), ph.lat_us.end());
  return ph;
}

bj::object phase_json(const Phase& ph) {
  bj::object o;
  o["calls"] = ph.ok;
  o["errors"] = ph.errors;
  o["reconnects"] = ph.reconnects;
  o["elapsed_s"] = ph.elapsed_s;
  o["rps"] = ph.elapsed_s > 0 ? static_cast<double>(ph.ok) / ph.elapsed_s : 0.0;
  o["p50_us"] = pct(ph.lat_us, 50);
  o["p90_us"] = pct(ph.lat_us, 90);
  o["p99_us"] = pct(ph.lat_us, 99);
  o["max_us"] = ph.lat_us.empty() ? NAN : ph.lat_us.back();
  o["cpu_us_per_call"] = ph.ok ? (ph.after.cpu_s - ph.before.cpu_s) * 1e6 / static_cast<double>(ph.ok) : NAN;
  o["client_cpu_us_per_call"] = ph.ok ? ph.client_cpu_s * 1e6 / static_cast<double>(ph.ok) : NAN;
  o["server_cpu_util"] = ph.elapsed_s > 0 ? (ph.after.cpu_s - ph.before.cpu_s) / ph.elapsed_s : 0.0;
  o["rss_kib_after"] = ph.after.rss_kib;
  o["bytes"] = ph.last_bytes;
  if (!ph.first_error.empty()) o["first_error"] = ph.first_error;
  return o;
}

std::vector<std::size_t> parse_list(const std::string& s) {
  std::vector<std::size_t> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(static_cast<std::size_t>(std::atol(item.c_str())));
  return v;
}

void emit(const bj::object& o, const Args& a) {
  std::string line = bj::serialize(o);
  std::cout << line << std::endl;
  if (auto out = a.str("out"); !out.empty()) {
    FILE* f = std::fopen(out.c_str(), "a");
    if (f) {
      std::fprintf(f, "%s\n", line.c_str());
      std::fclose(f);
    }
  }
}

void progress(const std::string& name, const std::string& what) {
  std::fprintf(stderr, "  [%s] %s\n", name.c_str(), what.c_str());
}

// ------------------------------------------------------------------------------------------ http

int run_http(const Args& a) {
  const std::string name = a.str("name", "server");
  const std::string tool = a.str("tool");
  const std::string point_args = a.str("point-args");
  const std::string bulk_args = a.str("bulk-args");
  const long id_max = static_cast<long>(a.num("id-max", 100000));
  const double idle_wait = a.num("idle-wait", 5);
  const std::size_t lat_requests = a.count("lat-requests", 3000);
  const double lat_seconds = a.num("lat-seconds", 5);
  const auto tput_clients = parse_list(a.str("tput-clients", "1,8,32"));
  const double tput_seconds = a.num("tput-seconds", 5);
  const std::size_t tput_requests = a.count("tput-requests", 2000000);
  const std::size_t soak_clients = a.count("soak-clients", 8);
  const double soak_seconds = a.num("soak-seconds", 60);
  const double soak_settle = a.num("soak-settle", 5);
  const std::size_t bulk_requests = a.count("bulk-requests", 15);
  const double bulk_seconds = a.num("bulk-seconds", 20);
  const std::size_t bulk_rows = a.count("bulk-rows", 10000);
  const std::string row_marker = a.str("row-marker", "2024-");
  const double startup_timeout = a.num("startup-timeout", 30);
  if (tool.empty() || point_args.empty() || a.command.empty()) {
    std::fprintf(stderr, "azsql-loadgen http: --tool, --point-args and a command after -- are required\n");
    return 2;
  }
  double budget = startup_timeout + idle_wait + lat_seconds + 5 + soak_settle + soak_seconds + bulk_seconds + 60;
  for (std::size_t i = 0; i < tput_clients.size(); ++i) budget += tput_seconds + 5;
  watchdog(budget);

  Target tg;
  tg.port = a.opt.count("port") ? static_cast<unsigned short>(a.num("port", 0)) : free_port();
  tg.path = a.str("path", "/mcp");
  tg.protocol = a.str("protocol", "2025-06-18");
  std::vector<std::string> cmd;
  for (const auto& c : a.command) cmd.push_back(replace_all(c, "%PORT%", std::to_string(tg.port)));

  bj::object out;
  out["server"] = name;
  out["mode"] = "http";

  // Start → first successful tools/list (new connection, initialize, initialized, tools/list).
  const auto t0 = Clock::now();
  Child child = spawn(cmd, a.str("log", "/dev/null"), false);
  g_child = child.pid;
  tg.pid = child.pid;
  double startup_ms = -1;
  std::string why;
  while (ms_since(t0) < startup_timeout * 1000) {
    if (!alive(child)) {
      std::fprintf(stderr, "azsql-loadgen: %s exited during start-up (see %s)\n", name.c_str(), a.str("log").c_str());
      return 1;
    }
    HttpClient cl("127.0.0.1", tg.port, tg.path, tg.protocol);
    if (!cl.connect(&why) || !cl.handshake(&why)) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      continue;
    }
    Reply r = cl.request("tools/list", "{}");
    if (r.ok && result_ok(r.json, &why)) {
      startup_ms = ms_since(t0);
      cl.end_session();
      if (r.json.find("\"" + tool + "\"") == std::string::npos) {
        std::fprintf(stderr, "azsql-loadgen: %s: tools/list has no tool '%s'\n", name.c_str(), tool.c_str());
        stop(child);
        return 1;
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  if (startup_ms < 0) {
    std::fprintf(stderr, "azsql-loadgen: %s: no tools/list within %.0f s: %s\n", name.c_str(), startup_timeout, why.c_str());
    stop(child);
    return 1;
  }
  out["startup_ms"] = startup_ms;
  progress(name, "start→tools/list " + std::to_string(startup_ms) + " ms");

  // Idle RSS `idle_wait` seconds after the start.
  std::this_thread::sleep_until(t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(idle_wait)));
  ProcSample idle = sample_tree(tg.pid);
  out["idle_rss_kib"] = idle.rss_kib;
  out["processes"] = idle.processes;
  progress(name, "idle RSS " + std::to_string(idle.rss_kib) + " KiB");

  auto point = [&](std::mt19937_64& rng) {
    std::uniform_int_distribution<long> d(1, id_max);
    return call_params(tool, point_args, d(rng));
  };
  auto no_tick = [](double) {};
  std::size_t total_errors = 0;

  // Warm-up (not reported): the first calls pay for lazy initialisation in every server.
  run_phase(tg, 1, 200, 5, point, "", no_tick);

  // 10,000-row result: time per call, bytes, peak RSS growth (VmHWM after a reset vs RSS before).
  // Measured right after the warm-up, while the process is close to idle, so the growth is what
  // one big result costs and not hidden by heap grown under concurrent load.
  if (!bulk_args.empty()) {
    bool reset = reset_peak(tg.pid);
    ProcSample before = sample_tree(tg.pid);
    auto bulk = [&](std::mt19937_64&) { return call_params(tool, bulk_args, 0); };
    Phase ph = run_phase(tg, 1, bulk_requests, bulk_seconds, bulk, row_marker, no_tick);
    bj::object bo = phase_json(ph);
    bo["rss_before_kib"] = before.rss_kib;
    bo["hwm_after_kib"] = ph.after.hwm_kib;
    bo["peak_growth_kib"] = ph.after.hwm_kib - before.rss_kib;
    bo["peak_reset"] = reset;
    bo["rows_seen_min"] = ph.min_rows_seen == SIZE_MAX ? 0 : ph.min_rows_seen;
    bo["max_bytes"] = ph.max_bytes;
    if (ph.ok && ph.min_rows_seen < bulk_rows) {
      bo["rows_error"] = "expected at least " + std::to_string(bulk_rows) + " rows (marker '" + row_marker + "'), saw " +
                         std::to_string(ph.min_rows_seen);
      ++total_errors;
    }
    out["bulk"] = std::move(bo);
    total_errors += ph.errors;
    progress(name, "bulk p50 " + std::to_string(pct(ph.lat_us, 50) / 1000) + " ms, " + std::to_string(ph.max_bytes) + " bytes");
  }
  Phase lat = run_phase(tg, 1, lat_requests, lat_seconds, point, "", no_tick);
  out["latency_c1"] = phase_json(lat);
  total_errors += lat.errors;
  progress(name, "c=1 p50 " + std::to_string(pct(lat.lat_us, 50)) + " us");

  bj::object tput;
  for (std::size_t c : tput_clients) {
    Phase ph = run_phase(tg, c, tput_requests, tput_seconds, point, "", no_tick);
    tput[std::to_string(c)] = phase_json(ph);
    total_errors += ph.errors;
    progress(name, "c=" + std::to_string(c) + " " + std::to_string(static_cast<double>(ph.ok) / ph.elapsed_s) + " calls/s, errors " +
                       std::to_string(ph.errors) + (ph.first_error.empty() ? "" : " (" + ph.first_error + ")"));
  }
  out["throughput"] = std::move(tput);

  // Soak: RSS sampled every second; growth from the end of the settle period to the end.
  if (soak_seconds > 0) {
    std::vector<std::pair<double, long>> samples;
    auto tick = [&](double t) { samples.emplace_back(t, sample_tree(tg.pid).rss_kib); };
    Phase soak = run_phase(tg, soak_clients, SIZE_MAX / 2, soak_settle + soak_seconds, point, "", tick);
    samples.emplace_back(soak.elapsed_s, soak.after.rss_kib);
    long start_rss = 0, end_rss = samples.back().second, max_rss = 0;
    for (auto& [t, r] : samples) {
      if (start_rss == 0 && t >= soak_settle) start_rss = r;
      if (t >= soak_settle) max_rss = std::max(max_rss, r);
    }
    bj::object so = phase_json(soak);
    so["rss_start_kib"] = start_rss;
    so["rss_end_kib"] = end_rss;
    so["rss_max_kib"] = max_rss;
    so["growth_pct"] = start_rss ? 100.0 * static_cast<double>(end_rss - start_rss) / static_cast<double>(start_rss) : NAN;
    so["max_growth_pct"] = start_rss ? 100.0 * static_cast<double>(max_rss - start_rss) / static_cast<double>(start_rss) : NAN;
    bj::array series;
    for (auto& [t, r] : samples) series.push_back(bj::array{std::round(t * 10) / 10, r});
    so["rss_series"] = std::move(series);
    out["soak"] = std::move(so);
    total_errors += soak.errors;
    progress(name, "soak " + std::to_string(start_rss) + " → " + std::to_string(end_rss) + " KiB");
  }

  out["errors"] = total_errors;
  out["load_avg"] = [] {
    double l[3] = {0, 0, 0};
    ::getloadavg(l, 3);
    return bj::array{l[0], l[1], l[2]};
  }();
  stop(child);
  g_child = -1;
  emit(out, a);
  return total_errors ? 4 : 0;
}

// ----------------------------------------------------------------------------------------- stdio

int run_stdio(const Args& a) {
  const std::string name = a.str("name", "server");
  const std::string tool = a.str("tool");
  const std::string point_args = a.str("point-args");
  const long id_max = static_cast<long>(a.num("id-max", 100000));
  const std::size_t requests = a.count("lat-requests", 3000);
  const double seconds = a.num("lat-seconds", 5);
  if (tool.empty() || point_args.empty() || a.command.empty()) {
    std::fprintf(stderr, "azsql-loadgen stdio: --tool, --point-args and a command after -- are required\n");
    return 2;
  }
  watchdog(seconds + 90);
  bj::object out;
  out["server"] = name;
  out["mode"] = "stdio";
  const auto t0 = Clock::now();
  Child child = spawn(a.command, a.str("log", "/dev/null"), true);
  g_child = child.pid;
  StdioClient cl(child.in_fd, child.out_fd);
  std::string why;
  if (!cl.handshake(a.str("protocol", "2025-06-18"), &why)) {
    std::fprintf(stderr, "azsql-loadgen: %s (stdio): %s\n", name.c_str(), why.c_str());
    stop(child);
    return 1;
  }
  Reply tl = cl.request("tools/list", "{}");
  if (!tl.ok || !result_ok(tl.json, &why)) {
    std::fprintf(stderr, "azsql-loadgen: %s (stdio) tools/list: %s\n", name.c_str(), tl.ok ? why.c_str() : tl.error.c_str());
    stop(child);
    return 1;
  }
  out["startup_ms"] = ms_since(t0);
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<long> d(1, id_max);
  for (int i = 0; i < 200; ++i) cl.request("tools/call", call_params(tool, point_args, d(rng)));  // warm-up
  Phase ph;
  ph.before = sample_tree(child.pid);
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (std::size_t i = 0; i < requests && Clock::now() < deadline; ++i) {
    std::string params = call_params(tool, point_args, d(rng));
    auto t = Clock::now();
    Reply r = cl.request("tools/call", params);
    double us = std::chrono::duration<double, std::micro>(Clock::now() - t).count();
    std::string bad;
    if (r.ok && result_ok(r.json, &bad)) {
      ++ph.ok;
      ph.lat_us.push_back(us);
      ph.last_bytes = r.bytes;
    } else {
      ++ph.errors;
      if (ph.first_error.empty()) ph.first_error = r.ok ? bad : r.error;
      if (!r.ok) break;  // the pipe is out of step or closed
    }
  }
  ph.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  ph.after = sample_tree(child.pid);
  std::sort(ph.lat_us.begin(), ph.lat_us.end());
  out["latency_c1"] = phase_json(ph);
  out["errors"] = ph.errors;
  stop(child);
  g_child = -1;
  progress(name, "stdio p50 " + std::to_string(pct(ph.lat_us, 50)) + " us");
  emit(out, a);
  return ph.errors ? 4 : 0;
}

// ------------------------------------------------------------------------------------------ call

int run_call(const Args& a) {
  watchdog(a.num("timeout", 60));
  HttpClient cl("127.0.0.1", static_cast<unsigned short>(a.num("port", 0)), a.str("path", "/mcp"), a.str("protocol", "2025-06-18"));
  std::string why;
  if (!cl.handshake(&why)) {
    std::fprintf(stderr, "handshake: %s\n", why.c_str());
    return 1;
  }
  std::fprintf(stderr, "session: '%s'\n", cl.session_id().c_str());
  Reply r = a.str("method", "tools/call") == "tools/call"
                ? cl.request("tools/call", call_params(a.str("tool"), a.str("args", "{}"), 1))
                : cl.request(a.str("method"), a.str("params", "{}"));
  if (!r.ok) {
    std::fprintf(stderr, "call: %s\n", r.error.c_str());
    return 1;
  }
  std::cout << r.json << std::endl;
  return result_ok(r.json, &why) ? 0 : 4;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    std::fprintf(stderr, "usage: azsql-loadgen http|stdio|call [--option value ...] [-- server command]\n");
    return 2;
  }
  const std::string mode = argv[1];
  Args a = parse_args(argc, argv, 2);
  try {
    if (mode == "http") return run_http(a);
    if (mode == "stdio") return run_stdio(a);
    if (mode == "call") return run_call(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "azsql-loadgen: %s\n", e.what());
    if (pid_t c = g_child.load(); c > 0) ::kill(-c, SIGKILL);
    return 1;
  }
  std::fprintf(stderr, "azsql-loadgen: unknown mode '%s'\n", mode.c_str());
  return 2;
}
