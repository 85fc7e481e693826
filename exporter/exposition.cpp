#include "exporter/exposition.h"

#include <sstream>

#include <prometheus/text_serializer.h>

namespace natsexp {

std::string to_text_exposition(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace natsexp
