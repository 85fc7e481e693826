// Feeds the configuration parsers garbage: every input is tried as the main YAML config (then
// validated, as main() does), as a --web.config.file, and as a duration and a byte size.
// A ConfigError (or std::invalid_argument from parse_duration/parse_size, their documented error) is
// an allowed outcome: main() prints it and exits 2. Any other exception would escape main() and
// abort the process, so here it is a failure, as is a crash, hang, leak or sanitizer report.
//
// Secret and certificate files named by an input are read: run from a scratch directory.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "collectors/collector.h"
#include "config/load.h"
#include "config/web_config.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(natsexp::fuzz::as_text(data, size));
  try {
    natsexp::Config config = natsexp::load_config_yaml(text, "fuzz.yaml");
    natsexp::validate_config(config, {natsexp::collector_names(), natsexp::default_collector_names()});
  } catch (const natsexp::ConfigError&) {}
  try {
    natsexp::load_web_config_yaml(text, "web.yml");
  } catch (const natsexp::ConfigError&) {}
  try {
    natsexp::format_duration(natsexp::parse_duration(text));
  } catch (const std::invalid_argument&) {}
  try {
    natsexp::parse_size(text);
  } catch (const std::invalid_argument&) {}
  return 0;
}

#ifndef NATSEXP_LIBFUZZER
int main(int argc, char** argv) {
  return natsexp::fuzz::replay_main(
      argc, argv, "fuzz_config", 0,
      {"", "{", "[", "- - - -", "a: &a [*a]", "targets: ~", "targets: [1, [2], {x: 3}]",
       "scrape: {timeout: 99999999999999999999999h}", "web: {max_request_bytes: 1e400 GiB}", "tls_server_config: []",
       "basic_auth_users: {a: [b]}", "probes: [{}]", "doctor: {interval: -1s}"});
}
#endif
