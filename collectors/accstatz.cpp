#include "collectors/accstatz.h"

#include <set>
#include <utility>
#include <vector>

#include "collectors/registry_list.h"

namespace natsexp {

namespace {

struct Spec {
  const char* name;
  const char* help;
  bool counter;
  std::optional<double> (*value)(const JsonValue& account);
};

const Spec kSpecs[] = {
    {"nats_account_connections", "Client connections of the account open on this server.", false,
     [](const JsonValue& a) { return number(a, "conns"); }},
    {"nats_account_leafnodes", "Leaf node connections bound to the account on this server.", false,
     [](const JsonValue& a) { return number(a, "leafnodes"); }},
    // total_conns is conns + leafnodes at this moment and falls when connections close: a gauge.
    {"nats_account_all_connections", "Client plus leaf node connections of the account on this server.", false,
     [](const JsonValue& a) { return number(a, "total_conns"); }},
    {"nats_account_subscriptions", "Subscriptions of the account on this server (2.10+).", false,
     [](const JsonValue& a) { return number(a, "num_subscriptions"); }},
    {"nats_account_slow_consumers_total", "Slow consumers among the account's connections on this server.", true,
     [](const JsonValue& a) { return number(a, "slow_consumers"); }},
    {"nats_account_messages_sent_total", "Messages the server sent to the account's connections.", true,
     [](const JsonValue& a) { return number(child(a, "sent"), "msgs"); }},
    {"nats_account_messages_received_total", "Messages the server received from the account's connections.", true,
     [](const JsonValue& a) { return number(child(a, "received"), "msgs"); }},
    {"nats_account_bytes_sent_total", "Payload bytes the server sent to the account's connections.", true,
     [](const JsonValue& a) { return number(child(a, "sent"), "bytes"); }},
    {"nats_account_bytes_received_total", "Payload bytes the server received from the account's connections.", true,
     [](const JsonValue& a) { return number(child(a, "received"), "bytes"); }},
};

}  // namespace

void translate_accstatz(const JsonValue& document, MetricSet& out) {
  std::vector<std::pair<JsonValue, Labels>> rows;
  const JsonValue& accounts = child(document, "account_statz");
  if (accounts.is_array()) {
    std::set<std::string> seen;  // a repeated account would be a duplicate series
    for (const JsonValue& a : accounts) {
      const auto name = text(a, "acc");
      if (!name || name->empty() || !seen.insert(*name).second) continue;
      rows.emplace_back(a, Labels{{"account", *name}});
    }
  }
  // One family at a time: a Family& is not held across the next declaration.
  for (const Spec& spec : kSpecs) {
    Family& f = spec.counter ? out.counter(spec.name, spec.help) : out.gauge(spec.name, spec.help);
    for (const auto& [account, labels] : rows) f.add(spec.value(account), labels);
  }
}

std::unique_ptr<Collector> make_accstatz_collector() {
  return std::make_unique<SingleEndpointCollector>("accstatz", kAccstatzPath, translate_accstatz);
}

}  // namespace natsexp
