// The one duration grammar, for the config file, the flags, the probe's latencies and the
// monitoring JSON: an optional sign, then one or more <number><unit> terms such as "1h30m",
// "2.5ms", "219µs" or NATS' uptime "1y2d3h". Units: ns, us (µs, μs), ms, s, m, h, d, w, y (365d).
// A number may have a fraction and an exponent ("1.5", "1e-3"). Each caller says what it accepts
// beyond that (a sign, a number without a unit).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace natsexp {

struct DurationText {
  long double seconds = 0;
  bool negative = false;  // a leading '-'
  bool unitless = false;  // a plain number ("10", "0.05"): no unit at all
};

// Scans `text` (surrounding white space allowed). nullopt with `problem` set ("unknown unit \"x\"
// (use ...)", "not a duration") when it is not one.
std::optional<DurationText> scan_duration(std::string_view text, std::string* problem = nullptr);

// A config duration ("500ms", "10s", "1m30s"): a unit is required, no sign, whole milliseconds.
// Throws std::invalid_argument with the reason.
std::chrono::milliseconds parse_duration(const std::string& text);
// A latency in seconds with sub-millisecond precision ("25us", "2.5ms", "1s", or a plain number of
// seconds such as 0.001). Must be > 0. Throws std::invalid_argument.
double parse_seconds(const std::string& text);
// A Go duration string from the monitoring JSON ("219µs", "-1.5s", "0"), in seconds; nullopt when it
// is not one.
std::optional<double> go_duration_seconds(std::string_view text);

// Formats a duration the way parse_duration reads it: "1m30s", "500ms", "0s".
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace natsexp
