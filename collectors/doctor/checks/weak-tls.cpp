// weak-tls: old TLS versions and weak cipher suites.
#include "collectors/doctor/checks.h"

#include <cctype>

#include "base/text.h"
#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/helpers.h"

namespace natsexp::doctor {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

CheckResult check_weak_tls(const ServerEvidence& now, const DoctorConfig& config) {
  const auto& cfg = config.weak_tls;
  CheckResult r = begin_check(kWeakTls, config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  if (!now.connections) return skip(r, missing(now, "connz"));
  std::vector<std::string> lines;
  std::size_t tls = 0;
  for (const auto& c : *now.connections) {
    if (c.tls_version.empty() && c.tls_cipher.empty()) continue;
    ++tls;
    std::vector<std::string> why;
    // "1.0" < "1.2" as text for every version nats-server prints; an unknown one is reported.
    const bool known_version = c.tls_version.size() == 3 && c.tls_version[0] == '1' && c.tls_version[1] == '.';
    if (!c.tls_version.empty() && (!known_version || c.tls_version < cfg.min_version))
      why.push_back("TLS " + c.tls_version + " (below " + cfg.min_version + ")");
    const std::string cipher = lower(c.tls_cipher);
    for (const auto& weak : cfg.weak_ciphers)
      if (!weak.empty() && cipher.find(lower(weak)) != std::string::npos) {
        why.push_back("weak cipher suite " + c.tls_cipher);
        break;
      }
    if (why.empty()) continue;
    std::string line = connection_label(c.name, c.cid, c.account, c.ip);
    if (!c.lang.empty()) line += " [" + c.lang + (c.version.empty() ? "" : " " + c.version) + "]";
    line += ": ";
    line += strings::join(why, ", ");
    lines.push_back(line);
  }
  return conclude(
      std::move(r), lines, config.max_evidence,
      tls ? std::to_string(tls) + " TLS connections, all TLS " + cfg.min_version + "+ without a weak cipher suite"
          : "no client connection uses TLS",
      "connection uses", "connections use",
      " an old TLS version or a weak cipher suite (of " + std::to_string(tls) + " TLS connections)");
}

const CheckDefinition kWeakTls = {
    settings_of<&DoctorConfig::weak_tls>,
    "Clients connect with an outdated TLS version or a weak cipher suite.",
    "Upgrade the named clients' TLS libraries and restrict the server's tls block to TLS 1.2 or later "
    "with AEAD cipher suites (tls { cipher_suites: [...] }, and min_version where the server version "
    "supports it).",
    [](const ServerEvidence& now, const ServerBaseline*, double, const DoctorConfig& config) {
      return check_weak_tls(now, config);
    },
    nullptr,
    nullptr,
};

}  // namespace natsexp::doctor
