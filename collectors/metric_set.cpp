#include "collectors/metric_set.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace natsexp {

namespace {

prometheus::ClientMetric with_labels(const Labels& labels) {
  prometheus::ClientMetric m;
  m.label.reserve(labels.size());
  for (const auto& [k, v] : labels) m.label.push_back({k, v});
  return m;
}

bool has_labels(const prometheus::ClientMetric& m, const Labels& wanted) {
  return std::all_of(wanted.begin(), wanted.end(), [&](const auto& kv) {
    return std::any_of(m.label.begin(), m.label.end(),
                       [&](const auto& l) { return l.name == kv.first && l.value == kv.second; });
  });
}

double sample_value(const prometheus::MetricFamily& f, const prometheus::ClientMetric& m) {
  switch (f.type) {
    case prometheus::MetricType::Counter: return m.counter.value;
    case prometheus::MetricType::Histogram: return static_cast<double>(m.histogram.sample_count);
    default: return m.gauge.value;
  }
}

}  // namespace

Family::Family(std::string name, std::string help, prometheus::MetricType type) {
  family_.name = std::move(name);
  family_.help = std::move(help);
  family_.type = type;
}

Family& Family::add(double value, const Labels& labels) {
  auto m = with_labels(labels);
  if (family_.type == prometheus::MetricType::Counter) m.counter.value = value;
  else m.gauge.value = value;
  family_.metric.push_back(std::move(m));
  return *this;
}

Family& Family::add(std::optional<double> value, const Labels& labels) {
  if (value) add(*value, labels);
  return *this;
}

Family& Family::add_histogram(const std::vector<double>& upper_bounds,
                              const std::vector<std::uint64_t>& cumulative_counts, std::uint64_t count, double sum,
                              const Labels& labels) {
  auto m = with_labels(labels);
  for (std::size_t i = 0; i < upper_bounds.size() && i < cumulative_counts.size(); ++i)
    m.histogram.bucket.push_back({cumulative_counts[i], upper_bounds[i]});
  m.histogram.bucket.push_back({count, std::numeric_limits<double>::infinity()});
  m.histogram.sample_count = count;
  m.histogram.sample_sum = sum;
  family_.metric.push_back(std::move(m));
  return *this;
}

Family& MetricSet::declare(const std::string& name, const std::string& help, prometheus::MetricType type) {
  for (auto& f : families_) {
    if (f.name() != name) continue;
    if (f.raw().type != type) throw std::logic_error("metric " + name + " declared with two types");
    return f;
  }
  families_.emplace_back(name, help, type);
  return families_.back();
}

Family& MetricSet::gauge(const std::string& name, const std::string& help) {
  return declare(name, help, prometheus::MetricType::Gauge);
}
Family& MetricSet::counter(const std::string& name, const std::string& help) {
  return declare(name, help, prometheus::MetricType::Counter);
}
Family& MetricSet::histogram(const std::string& name, const std::string& help) {
  return declare(name, help, prometheus::MetricType::Histogram);
}

void MetricSet::add_labels(const Labels& labels) {
  for (auto& f : families_)
    for (auto& m : f.raw().metric) {
      m.label.reserve(m.label.size() + labels.size());  // one allocation per sample, not one per label
      for (const auto& [k, v] : labels) m.label.push_back({k, v});
    }
}

void MetricSet::merge(MetricSet&& other) {
  for (auto& f : other.families_) {
    auto& mine = declare(f.name(), f.raw().help, f.raw().type);
    auto& from = f.raw().metric;
    mine.raw().metric.insert(mine.raw().metric.end(), std::make_move_iterator(from.begin()),
                             std::make_move_iterator(from.end()));
  }
  other.families_.clear();
}

std::vector<prometheus::MetricFamily> MetricSet::take() {
  std::vector<prometheus::MetricFamily> out;
  for (auto& f : families_)
    if (!f.empty()) out.push_back(std::move(f.raw()));
  families_.clear();
  return out;
}

const Family* MetricSet::find(const std::string& name) const {
  for (const auto& f : families_)
    if (f.name() == name) return &f;
  return nullptr;
}

std::optional<double> MetricSet::value(const std::string& name, const Labels& labels) const {
  const Family* f = find(name);
  if (!f) return std::nullopt;
  const auto& fam = f->raw();
  for (const auto& m : fam.metric)
    if (has_labels(m, labels)) return sample_value(fam, m);
  return std::nullopt;
}

std::size_t MetricSet::count(const std::string& name) const {
  const Family* f = find(name);
  return f ? f->raw().metric.size() : 0;
}

}  // namespace natsexp
