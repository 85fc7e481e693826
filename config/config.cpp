#include "config/config.h"

namespace natsexp {

const std::vector<std::string>& enabled_collectors(const Config& config, const TargetConfig& target) {
  return target.collectors ? *target.collectors : config.collectors;
}

}  // namespace natsexp
