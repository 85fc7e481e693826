// MetricSet: the families one collector builds during one scrape.
//
//   MetricSet out;
//   out.gauge("nats_server_connections", "Client connections open now.").set(varz_number(v, "connections"));
//   out.counter("nats_route_messages_received_total", "...").add(n, {{"remote_id", id}});
//
// A value given as std::nullopt (a missing or mistyped JSON field) is skipped: that series is absent,
// the rest of the collector still reports.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/metric_family.h>

namespace natsexp {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Family {
 public:
  Family(std::string name, std::string help, prometheus::MetricType type);

  // One sample with these labels. Counters and gauges only.
  Family& add(double value, const Labels& labels = {});
  Family& add(std::optional<double> value, const Labels& labels = {});
  // Shorthand for a family with a single unlabelled sample.
  Family& set(std::optional<double> value) { return add(value); }

  // One histogram sample: cumulative bucket counts for `upper_bounds` (without +Inf), plus count and sum.
  Family& add_histogram(const std::vector<double>& upper_bounds, const std::vector<std::uint64_t>& cumulative_counts,
                        std::uint64_t count, double sum, const Labels& labels = {});

  const std::string& name() const { return family_.name; }
  bool empty() const { return family_.metric.empty(); }
  prometheus::MetricFamily& raw() { return family_; }
  const prometheus::MetricFamily& raw() const { return family_; }

 private:
  prometheus::MetricFamily family_;
};

class MetricSet {
 public:
  Family& gauge(const std::string& name, const std::string& help);
  Family& counter(const std::string& name, const std::string& help);
  Family& histogram(const std::string& name, const std::string& help);

  // Adds these labels to every sample already in the set (identity, static target labels).
  void add_labels(const Labels& labels);
  // Moves every family of `other` into this set, merging families with the same name.
  void merge(MetricSet&& other);
  // The families with at least one sample, in the order they were first declared.
  std::vector<prometheus::MetricFamily> take();

  // For tests: the value of the sample of `name` whose labels include all of `labels`.
  std::optional<double> value(const std::string& name, const Labels& labels = {}) const;
  // For tests: how many samples `name` has.
  std::size_t count(const std::string& name) const;
  const Family* find(const std::string& name) const;

 private:
  Family& declare(const std::string& name, const std::string& help, prometheus::MetricType type);
  std::deque<Family> families_;  // a deque: Family& handed out stays valid as families are added
};

}  // namespace natsexp
