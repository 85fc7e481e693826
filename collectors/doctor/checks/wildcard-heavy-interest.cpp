// wildcard-heavy-interest: broad wildcard subscriptions and a poor match cache.
#include "collectors/doctor/checks.h"

#include <algorithm>
#include <optional>

#include "base/text.h"
#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/helpers.h"

namespace natsexp::doctor {

namespace {

// `>`, `*.>`, `*.*.>`: a full wildcard with no literal token before it. Returns the number of `*`
// before the `>` (fewer is broader), or nullopt for any other subject. Allocates nothing: it runs
// over every subscription of every connection.
std::optional<std::size_t> broad_stars(const std::string& subject) {
  std::size_t stars = 0, i = 0;
  while (i + 1 < subject.size() && subject[i] == '*' && subject[i + 1] == '.') {
    ++stars;
    i += 2;
  }
  if (i + 1 == subject.size() && subject[i] == '>') return stars;
  return std::nullopt;
}

}  // namespace

CheckResult check_wildcard_heavy_interest(const ServerEvidence& now, const DoctorConfig& config) {
  const auto& cfg = config.wildcard_interest;
  CheckResult r = begin_check(kWildcardHeavyInterest, config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  if (!now.connections && !now.subsz) return skip(r, missing(now, "connz") + "; " + missing(now, "subsz"));

  struct Broad {
    std::size_t literal_stars;  // the number of `*` before `>`: fewer is broader
    double msgs;
    std::string line;
  };
  std::vector<Broad> broad;
  std::size_t total = 0;
  if (now.connections) {
    for (const auto& c : *now.connections) {
      for (const auto& s : c.subscriptions) {
        if (s.subject.rfind("_INBOX.", 0) == 0) continue;  // request/reply inboxes are not interest
        ++total;
        const auto stars = broad_stars(s.subject);
        if (!stars) continue;
        std::string line = quoted(s.subject) + (s.queue.empty() ? "" : " (queue " + s.queue + ")") + " by " +
                           connection_label(c.name, c.cid, c.account, c.ip);
        if (s.msgs) line += ": " + format_number(*s.msgs) + " messages delivered";
        broad.push_back({*stars, s.msgs.value_or(0), line});
      }
    }
  }
  std::vector<std::string> lines;
  std::size_t affected = 0;
  std::vector<std::string> parts;
  const double share = total ? static_cast<double>(broad.size()) / static_cast<double>(total) : 0;
  if (now.connections) {
    if (!broad.empty() && share >= cfg.broad_share) {
      lines.push_back(std::to_string(broad.size()) + " of " + std::to_string(total) + " client subscriptions (" +
                      format_percent(share) + ") are on broad wildcards (threshold " + format_percent(cfg.broad_share) +
                      ")");
      std::stable_sort(broad.begin(), broad.end(), [](const Broad& a, const Broad& b) {
        return a.literal_stars != b.literal_stars ? a.literal_stars < b.literal_stars : a.msgs > b.msgs;
      });
      for (const auto& b : broad) lines.push_back(b.line);
      affected += broad.size();
      parts.push_back(format_percent(share) + " of client subscriptions on broad wildcards");
    }
  }
  if (now.subsz && now.subsz->cache_hit_rate && now.subsz->max_fanout) {
    const auto& s = *now.subsz;
    const double matches = s.num_matches.value_or(0);
    if (*s.cache_hit_rate < cfg.max_cache_hit_ratio && *s.max_fanout >= cfg.min_fanout && matches >= cfg.min_matches) {
      lines.insert(lines.begin(), "match cache hit ratio " + format_percent(*s.cache_hit_rate) + " (below " +
                                      format_percent(cfg.max_cache_hit_ratio) + ") with a max fanout of " +
                                      format_number(*s.max_fanout) + " (at least " + format_number(cfg.min_fanout) +
                                      ") over " + format_number(matches) + " lookups");
      affected += 1;
      parts.insert(parts.begin(), "low match-cache hit ratio with high fanout");
    }
  }
  if (affected == 0) {
    std::string summary =
        std::to_string(broad.size()) + " of " + std::to_string(total) + " client subscriptions on broad wildcards";
    if (total) summary += " (" + format_percent(share) + ", threshold " + format_percent(cfg.broad_share) + ")";
    if (!now.connections) summary = missing(now, "connz");
    if (now.subsz && now.subsz->cache_hit_rate)
      summary += "; match cache hit ratio " + format_percent(*now.subsz->cache_hit_rate) + ", max fanout " +
                 format_number(now.subsz->max_fanout.value_or(0));
    r.summary = summary;
    return r;
  }
  add_evidence(r, lines, config.max_evidence + 1);
  std::string summary;
  summary += strings::join(parts, "; ");
  finding(r, affected, summary);
  return r;
}

const CheckDefinition kWildcardHeavyInterest = {
    settings_of<&DoctorConfig::wildcard_interest>,
    "Subscriptions on broad wildcards (>, *.>) receive far more than their subscriber needs, and a low "
    "match-cache hit ratio with a high fanout makes the server do a full subject lookup and many copies "
    "for every message.",
    "Subscribe to the subjects the client uses (orders.*.created rather than >), give each kind of "
    "message its own subject hierarchy, and use a JetStream consumer with a filter subject for "
    "audit or archive taps instead of a live > subscription. A monitoring tap belongs in its own "
    "account or on its own server.",
    [](const ServerEvidence& now, const ServerBaseline*, double, const DoctorConfig& config) {
      return check_wildcard_heavy_interest(now, config);
    },
    nullptr,
    nullptr,
};

}  // namespace natsexp::doctor
