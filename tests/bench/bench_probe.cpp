// Benchmark of the client probe (printed, not asserted):
//   1. the probe's request latency (p50, p99) against a bare nats.c request loop, same server,
//      same subject, same payload and the same pace;
//   2. the probe's CPU use at 10 requests/s.
//
//   bench_probe [--rate 100] [--seconds 10] [--rounds 5] [--size 128] [--url nats://127.0.0.1:4222]
//
// Without --url it starts its own nats-server on a free port (stopped by PID at the end). The
// probe and the bare loop take turns, `rounds` times each for seconds/rounds, so that a change in
// the machine's load affects both alike. The probe's quantiles come from its own histograms
// (summed over the rounds), configured here with 5µs buckets so that the interpolation error stays
// below the differences that matter.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "collectors/probe/nats_handle.h"
#include "collectors/probe/probe_manager.h"
#include "config/probe_config.h"

extern char** environ;

using namespace natsexp;
using SteadyClock = std::chrono::steady_clock;

namespace {

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  double rank = q * static_cast<double>(v.size() - 1);
  auto lo = static_cast<std::size_t>(rank);
  std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}

void echo(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  probe::NatsPtr<natsMsg> owned(msg);
  const char* reply = natsMsg_GetReply(msg);
  if (reply && *reply) natsConnection_Publish(nc, reply, natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
}

// The bare loop: one connection that answers `subject` itself and requests it at `rate`, like the
// probe with its built-in responder.
std::vector<double> bare_loop(const std::string& url, const std::string& subject, int rate, int seconds, int size) {
  std::vector<double> samples;
  probe::NatsPtr<natsConnection> nc;
  if (natsConnection_ConnectTo(nc.out(), url.c_str()) != NATS_OK) {
    std::fprintf(stderr, "bare loop: cannot connect to %s\n", url.c_str());
    return samples;
  }
  probe::NatsPtr<natsSubscription> sub;
  natsConnection_Subscribe(sub.out(), nc.get(), subject.c_str(), echo, nullptr);
  natsConnection_Flush(nc.get());
  const std::string payload(static_cast<std::size_t>(size), 'x');
  const auto interval = std::chrono::microseconds(1000000 / rate);
  auto next = SteadyClock::now();
  for (int i = 0; i < rate * seconds; ++i) {
    probe::NatsPtr<natsMsg> reply;
    auto t0 = SteadyClock::now();
    natsStatus s = natsConnection_Request(reply.out(), nc.get(), subject.c_str(), payload.data(), size, 2000);
    auto t1 = SteadyClock::now();
    if (s == NATS_OK) samples.push_back(std::chrono::duration<double>(t1 - t0).count());
    next += interval;
    std::this_thread::sleep_until(next);
  }
  sub.reset();
  natsConnection_Close(nc.get());
  return samples;
}

ProbeConfig probe_config(const std::string& url, const std::string& subject, int rate, int size) {
  ProbeConfig p;
  p.name = "bench";
  p.kind = ProbeKind::request;
  p.servers = {url};
  p.subject = subject;
  p.responder_enabled = true;
  p.size = static_cast<std::size_t>(size);
  p.interval = std::chrono::milliseconds(1000 / rate);
  p.timeout = std::chrono::milliseconds(2000);
  p.buckets.clear();
  for (int us = 5; us <= 20000; us += 5) p.buckets.push_back(us * 1e-6);
  for (double s : {0.05, 0.1, 1.0, 10.0}) p.buckets.push_back(s);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  int rate = 100, seconds = 10, size = 128, rounds = 5;
  std::string url;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--rate") rate = std::atoi(argv[i + 1]);
    else if (k == "--seconds") seconds = std::atoi(argv[i + 1]);
    else if (k == "--size") size = std::atoi(argv[i + 1]);
    else if (k == "--rounds") rounds = std::max(1, std::atoi(argv[i + 1]));
    else if (k == "--url") url = argv[i + 1];
  }
  rate = std::clamp(rate, 1, 1000);
  pid_t server = 0;
  std::string dir;
  if (url.empty()) {
    char tmpl[] = "/tmp/bench-probe-XXXXXX";
    dir = ::mkdtemp(tmpl);
    const int port = free_port();
    const std::string conf = dir + "/n.conf";
    std::ofstream(conf) << "host: 127.0.0.1\nport: " << port << "\n";
    url = "nats://127.0.0.1:" + std::to_string(port);
    std::vector<std::string> args = {"nats-server", "-c", conf, "-l", dir + "/n.log"};
    std::vector<char*> argp;
    for (auto& a : args) argp.push_back(a.data());
    argp.push_back(nullptr);
    if (::posix_spawnp(&server, "nats-server", nullptr, nullptr, argp.data(), environ) != 0) {
      std::fprintf(stderr, "cannot start nats-server\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  const std::string subject = "bench.probe.echo";
  std::printf("server %s, subject %s, payload %d bytes, %d requests/s, %d rounds of %d s each\n", url.c_str(),
              subject.c_str(), size, rate, rounds, std::max(1, seconds / rounds));

  // 1. The probe and the bare loop, taking turns.
  const int round_seconds = std::max(1, seconds / rounds);
  const ProbeConfig config = probe_config(url, subject, rate, size);
  probe::LatencyHistogram probe_total(config.buckets);  // every round's samples
  std::vector<double> bare;
  for (int r = 0; r < rounds; ++r) {
    {
      probe::ProbeManager m({config});
      m.start();
      std::this_thread::sleep_for(std::chrono::seconds(round_seconds));
      auto snap = m.snapshots().at(0);
      m.stop();
      probe_total.add(snap.request_duration);
    }
    auto b = bare_loop(url, subject, rate, round_seconds, size);
    bare.insert(bare.end(), b.begin(), b.end());
  }
  const double probe_p50 = probe_total.quantile(0.5).value_or(0);
  const double probe_p99 = probe_total.quantile(0.99).value_or(0);
  const std::uint64_t probe_count = probe_total.count();
  const double probe_mean = probe_count ? probe_total.sum() / static_cast<double>(probe_count) : 0;
  std::printf("probe      : %6llu samples  p50 %8.1f us  p99 %8.1f us  mean %8.1f us\n",
              static_cast<unsigned long long>(probe_count), probe_p50 * 1e6, probe_p99 * 1e6, probe_mean * 1e6);
  const double bare_p50 = percentile(bare, 0.5), bare_p99 = percentile(bare, 0.99);
  double bare_mean = 0;
  for (double v : bare) bare_mean += v;
  if (!bare.empty()) bare_mean /= static_cast<double>(bare.size());
  std::printf("bare nats.c: %6zu samples  p50 %8.1f us  p99 %8.1f us  mean %8.1f us\n", bare.size(), bare_p50 * 1e6,
              bare_p99 * 1e6, bare_mean * 1e6);
  if (bare_p50 > 0)
    std::printf("probe p50 / bare p50 = %.3f (goal: within 10%%), p99 ratio %.3f\n", probe_p50 / bare_p50,
                probe_p99 / bare_p99);

  // 2. CPU at 10 requests/s.
  {
    ProbeConfig p = probe_config(url, subject + ".cpu", 10, size);
    p.buckets = default_probe_buckets();
    probe::ProbeManager m({p});
    m.start();
    std::this_thread::sleep_for(std::chrono::seconds(1));  // connect and settle
    const double c0 = cpu_seconds();
    const auto t0 = SteadyClock::now();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    const double c1 = cpu_seconds();
    const double wall = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    auto snap = m.snapshots().at(0);
    m.stop();
    std::printf("probe CPU at 10 req/s: %.3f%% of one core (%.3f s CPU in %.1f s, %llu requests)\n",
                100.0 * (c1 - c0) / wall, c1 - c0, wall,
                static_cast<unsigned long long>(snap.request_duration.count()));
  }

  if (server > 0) {
    ::kill(server, SIGTERM);
    int status = 0;
    ::waitpid(server, &status, 0);
    std::string cmd = "rm -rf " + dir;
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", dir.c_str());
  }
  return 0;
}
