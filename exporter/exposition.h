// Prometheus text exposition format 0.0.4.
#pragma once

#include <string>
#include <vector>

#include <prometheus/metric_family.h>

namespace natsexp {

inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string to_text_exposition(const std::vector<prometheus::MetricFamily>& families);

}  // namespace natsexp
