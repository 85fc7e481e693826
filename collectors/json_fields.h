// Tolerant readers for NATS monitoring JSON.
//
// Every field is optional: servers 2.9 to 2.14 add, nest and omit fields. A reader returns
// std::nullopt when the field is missing or has the wrong type, so one odd field drops one series.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/duration.h"  // go_duration_seconds: the one duration grammar
#include "collectors/json.h"

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

}  // namespace natsexp
