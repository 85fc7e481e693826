// Tolerant readers for NATS monitoring JSON.
//
// Every field is optional: servers 2.9 to 2.14 add, nest and omit fields. A reader returns
// std::nullopt when the field is missing or has the wrong type, so one odd field drops one series.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/duration.h"  // go_duration_seconds: the one duration grammar
#include "collectors/json.h"
#include "collectors/metric_set.h"

namespace natsexp {

// j[key] as a number (integer, unsigned or float). nullopt when j is not an object, the key is
// missing or the value is not a number.
std::optional<double> number(const JsonValue& j, std::string_view key);
// A number reached through a JSON pointer such as "/jetstream/stats/memory" (object keys only).
std::optional<double> number_at(const JsonValue& j, const char* pointer);
// j[key] as a string; nullopt when missing or not a string.
std::optional<std::string> text(const JsonValue& j, std::string_view key);
// j[key] as a string, or `fallback`.
std::string text_or(const JsonValue& j, std::string_view key, std::string fallback = "");
// j[key] as a bool; nullopt when missing or not a bool.
std::optional<bool> boolean(const JsonValue& j, std::string_view key);
// j[key] when it is an object or array, else a missing value (neither). Never throws.
JsonValue child(const JsonValue& j, std::string_view key);

// j[key] as a Go duration string, in seconds.
std::optional<double> duration(const JsonValue& j, std::string_view key);
// An RFC 3339 timestamp ("2026-11-25T12:52:13.310738556Z", offsets allowed) as Unix seconds.
std::optional<double> rfc3339_seconds(std::string_view s);
// j[key] as an RFC 3339 timestamp, in Unix seconds.
std::optional<double> timestamp(const JsonValue& j, std::string_view key);

// Nanoseconds (NATS' config fields such as ping_interval, write_deadline) to seconds.
inline std::optional<double> nanos_to_seconds(std::optional<double> ns) {
  if (!ns) return std::nullopt;
  return *ns / 1e9;
}
inline std::optional<double> bool_to_number(std::optional<bool> b) {
  if (!b) return std::nullopt;
  return *b ? 1.0 : 0.0;
}

// One metric read from one field of an object: the rows of a collector's plain fields.
struct FieldMetric {
  enum Kind { gauge, counter } kind;
  const char* name;
  const char* help;
  const char* field;
  std::optional<double> (*read)(const JsonValue&, std::string_view) = number;
};
// Fills fields of `out` from the keys of `j`, a row {&S::field, "key"} each: numbers by number(),
// strings by text_or(). For the structs that hold what a collector and the doctor both read.
template <typename S, typename T>
void read_fields(const JsonValue& j, S& out, std::initializer_list<std::pair<T S::*, const char*>> rows) {
  for (const auto& [field, key] : rows) {
    if constexpr (std::is_same_v<T, std::string>) out.*field = text_or(j, key);
    else out.*field = number(j, key);
  }
}

// Sets one unlabelled sample per row from `j` (a missing field leaves its family empty).
void set_fields(MetricSet& out, const JsonValue& j, const std::vector<FieldMetric>& rows);
// A field in nanoseconds (NATS' write_deadline, ping_interval), in seconds.
std::optional<double> nanos_field(const JsonValue& j, std::string_view key);

}  // namespace natsexp
