// The one YAML reader. See config/reader.h.
#include "config/reader.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <limits>

#include "base/boolean.h"
#include "base/duration.h"
#include "base/size.h"
#include "base/text.h"

namespace natsexp {

using strings::quote;
using strings::trim;

namespace {

constexpr std::size_t kMaxProblems = 20;
const std::map<std::string, std::string> kNoEnvironment;

// "0.5..1", "> 0 and <= 1", ">= 1": the range of a number, for messages.
std::string number_range_text(double lo, double hi, bool lo_open) {
  auto fmt = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return std::string(buf);
  };
  if (hi == std::numeric_limits<double>::max()) return std::string(lo_open ? "> " : ">= ") + fmt(lo);
  return (lo_open ? "> " + fmt(lo) + " and <= " : fmt(lo) + "..") + fmt(hi);
}

// A typed value: `parse` turns the text into a value or throws std::invalid_argument (a syntax
// problem, prefixed by `bad`); `range` gives the range text when the value is out of it, else "".
// Each reader returns false (with the problem added) when the value is not one; `out` is then left
// as it was. Ranges are inclusive.
template <typename T, typename Parse, typename Range>
bool typed(Reader& r, const Entry& e, T& out, const char* expected, const std::string& bad, Parse parse, Range range) {
  std::string text;
  if (!r.scalar(e, text, expected)) return false;
  T v{};
  try {
    v = parse(text);
  } catch (const std::invalid_argument& err) {
    r.add(e, bad.empty() ? std::string(err.what()) + quote(text) : quote(text) + bad + err.what());
    return false;
  }
  if (const std::string range_text = range(v); !range_text.empty()) {
    r.add(e, quote(text) + " is out of range (" + range_text + ")");
    return false;
  }
  out = v;
  return true;
}

bool read_count(Reader& r, const Entry& e, std::size_t& out, std::size_t lo, std::size_t hi) {
  auto parse = [](const std::string& text) {
    std::string t = trim(text);
    if (!t.empty() && t[0] == '+') t.erase(0, 1);
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || ptr != t.data() + t.size())
      throw std::invalid_argument("expected a whole number, got ");
    return v;
  };
  std::int64_t v = 0;
  if (!typed(r, e, v, "a whole number", "", parse, [&](std::int64_t n) {
        return n < std::int64_t(lo) || n > std::int64_t(hi) ? std::to_string(lo) + ".." + std::to_string(hi) : "";
      }))
    return false;
  out = static_cast<std::size_t>(v);
  return true;
}

bool read_number(Reader& r, const Entry& e, double& out, double lo, double hi, bool lo_open) {
  auto parse = [](const std::string& text) {
    const std::string t = trim(text);
    double v = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(v))
      throw std::invalid_argument("expected a number, got ");
    return v;
  };
  return typed(r, e, out, "a number", "", parse, [&](double v) {
    return v < lo || v > hi || (lo_open && v == lo) ? number_range_text(lo, hi, lo_open) : "";
  });
}

bool read_duration(Reader& r, const Entry& e, std::chrono::milliseconds& out, std::chrono::milliseconds lo,
                   std::chrono::milliseconds hi, bool lo_open) {
  return typed(r, e, out, "a duration", " is not a valid duration: ", parse_duration, [&](std::chrono::milliseconds d) {
    if (lo_open) return d <= lo || d > hi ? "must be > " + format_duration(lo) + " and <= " + format_duration(hi) : "";
    return d < lo || d > hi ? format_duration(lo) + ".." + format_duration(hi) : "";
  });
}

bool read_size(Reader& r, const Entry& e, std::size_t& out, std::size_t lo, std::size_t hi) {
  return typed(r, e, out, "a size", " is not a valid size: ", parse_size,
               [&](std::size_t v) { return v < lo || v > hi ? format_size(lo) + ".." + format_size(hi) : ""; });
}

// A file name that must be readable now.
bool readable_file(Reader& r, const Entry& e, std::string& out, std::string (*check)(const std::string&)) {
  std::string path;
  if (!r.string(e, path)) return false;
  auto why = unreadable(path);
  if (std::string problem; !why && check && !(problem = check(path)).empty()) why = problem;
  if (why) {
    r.add(e, *why);
    return false;
  }
  out = path;
  return true;
}

// A list of strings (a single string is a list of one), each checked by `check` (a problem or "").
bool read_strings(Reader& r, const Entry& e, std::vector<std::string>& out, std::string (*check)(const std::string&)) {
  std::vector<Entry> list;
  if (e.value.IsScalar()) list.push_back(e);
  else list = r.items(e, "a list of strings");
  if (!e.value.IsScalar() && !e.value.IsSequence()) return false;
  std::vector<std::string> values;
  for (const auto& item : list) {
    std::string v;
    if (!r.scalar(item, v, "a string")) return false;
    if (const std::string why = check ? check(v) : ""; !why.empty()) {
      r.add(item, why);
      return false;
    }
    values.push_back(v);
  }
  out = values;
  return true;
}

}  // namespace

std::string secret_stem(const std::string& key) {
  for (const std::string suffix : {"_file", "_env"})
    if (key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0)
      return key.substr(0, key.size() - suffix.size());
  return key;
}

std::string yaml_kind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return "nothing";
    case YAML::NodeType::Scalar: return "a single value";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
  }
  return "something else";
}

void throw_problems(const std::vector<std::string>& problems) {
  if (problems.empty()) return;
  std::vector<std::string> shown(problems.begin(), problems.begin() + std::min(kMaxProblems, problems.size()));
  if (problems.size() > kMaxProblems)
    shown.push_back("... and " + std::to_string(problems.size() - kMaxProblems) + " more problems");
  throw ConfigError(strings::join(shown, "\n"));
}

YAML::Node parse_yaml(const std::string& yaml_text, const std::string& source) {
  try {
    return YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    const std::string where = e.mark.line >= 0 ? source + ":" + std::to_string(e.mark.line + 1) : source;
    throw ConfigError(where + ": invalid YAML: " + e.msg);
  }
}

Reader::Reader(std::string source, const std::map<std::string, std::string>* environment,
               std::map<std::string, std::string>* origins)
    : source_(source.empty() ? "<config>" : std::move(source)), env_(environment), origins_(origins) {}

std::string Reader::where(const YAML::Node& n) const {
  const YAML::Mark m = n.Mark();
  return m.line < 0 ? source_ : source_ + ":" + std::to_string(m.line + 1);
}

std::string Reader::where(const Entry& e) const {
  if (!e.at.empty()) return e.at;
  if (e.value.IsDefined() && !e.value.IsNull() && e.value.Mark().line >= 0) return where(e.value);
  return where(e.key);
}

void Reader::add(const std::string& at, const std::string& path, const std::string& problem) {
  problems_.push_back(at + (path.empty() ? "" : ": " + path) + ": " + problem);
}

std::vector<Entry> Reader::entries(const YAML::Node& map, const std::string& path, const std::string& map_where,
                                   const std::vector<std::string>& known, const char* what,
                                   const std::map<std::string, std::string>& refused) {
  std::vector<Entry> out;
  const std::string shown = path.empty() ? "top level" : path;
  if (!map.IsMap()) {
    add(map_where, shown, "expected a map, got " + yaml_kind(map));
    return out;
  }
  std::map<std::string, int> seen;  // key -> 1-based line of its first use
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      add(where(key), shown, "keys must be plain names, got " + yaml_kind(key));
      continue;
    }
    const std::string name = key.Scalar();
    const std::string p = path.empty() ? name : path + "." + name;
    auto [pos, fresh] = seen.emplace(name, key.Mark().line + 1);
    if (!fresh) {
      add(where(key), p, "duplicate key (first given at line " + std::to_string(pos->second) + ")");
      continue;
    }
    if (auto r = refused.find(name); r != refused.end()) {
      add(where(key), p, "not supported by nats-exporter" + r->second);
      continue;
    }
    if (!known.empty() && std::find(known.begin(), known.end(), name) == known.end()) {
      std::string hint = strings::did_you_mean(name, known);
      if (hint.empty() && list_known_) hint = " (known: " + strings::join(known, ", ") + ")";
      add(where(key), p, std::string("unknown ") + what + hint);
      continue;
    }
    if (it->second.IsNull()) continue;
    out.push_back(Entry{key, it->second, name, p, ""});
    set_origin(p, where(out.back()));
  }
  return out;
}

std::vector<Entry> Reader::items(const Entry& e, const char* expected) {
  std::vector<Entry> out;
  if (!e.value.IsSequence()) {
    add(e, std::string("expected ") + expected + ", got " + yaml_kind(e.value));
    return out;
  }
  std::size_t i = 0;
  for (auto it = e.value.begin(); it != e.value.end(); ++it, ++i) {
    out.push_back(Entry{it->IsNull() ? e.key : *it, *it, "", e.path + "[" + std::to_string(i) + "]", ""});
    set_origin(out.back().path, it->IsNull() ? where(e) : where(*it));
  }
  return out;
}

bool Reader::scalar(const Entry& e, std::string& out, const char* expected) {
  if (!e.value.IsScalar()) {
    add(e, std::string("expected ") + expected + ", got " + yaml_kind(e.value));
    return false;
  }
  out = e.value.Scalar();
  return true;
}

bool Reader::boolean(const Entry& e, bool& out) {
  std::string t;
  if (!scalar(e, t, "true or false")) return false;
  auto v = parse_bool(t);
  if (!v) add(e, "expected true or false, got " + quote(t));
  else out = *v;
  return v.has_value();
}

bool Reader::seconds(const Entry& e, double& out, double hi) {
  return typed(*this, e, out, "a duration", " is not a valid duration: ", parse_seconds, [&](double v) {
    return v > hi
               ? "must be > 0s and <= " + format_duration(std::chrono::milliseconds(static_cast<long long>(hi * 1000)))
               : "";
  });
}

bool Reader::secret(const Entry& e, std::string& out) {
  std::string text;
  if (!string(e, text)) return false;
  const std::string stem = secret_stem(e.name);
  if (stem == e.name) {
    out = text;
    return true;
  }
  try {
    out = e.name == stem + "_file" ? read_secret_file(text) : read_secret_env(env_ ? *env_ : kNoEnvironment, text);
  } catch (const std::exception& err) {
    add(e, err.what());
    return false;
  }
  set_origin(e.path.substr(0, e.path.size() - (e.name.size() - stem.size())), where(e));  // password_file sets password
  return true;
}

std::optional<std::size_t> Reader::choice(const Entry& e, const std::vector<std::string>& names, const char* what,
                                          bool exact) {
  std::string text;
  if (!scalar(e, text, strings::join(names, ", ", " or ").c_str())) return std::nullopt;
  const std::string key = exact ? text : strings::lower(trim(text));
  for (std::size_t i = 0; i < names.size(); ++i)
    if (key == (exact ? names[i] : strings::lower(names[i]))) return i;
  add(e, quote(text) + " is not " + what + " (" + strings::join(names, ", ", " or ") + ")" +
             strings::did_you_mean(key, names));
  return std::nullopt;
}

bool Reader::value(const Entry& e, const RowSpec& row, FieldRef out) {
  using std::chrono::milliseconds;
  auto* text = std::get_if<std::string*>(&out);
  auto* d = std::get_if<double*>(&out);
  std::size_t n = 0;  // count and size, for a size_t or an int field
  auto set_n = [&](bool ok) {
    if (!ok) return false;
    if (auto* i = std::get_if<int*>(&out)) **i = static_cast<int>(n);
    else *std::get<std::size_t*>(out) = n;
    return true;
  };
  switch (row.type) {
    case RowType::text: {
      if (!string(e, **text)) return false;
      const std::string why = row.check ? row.check(**text) : "";
      if (!why.empty()) add(e, why);
      return why.empty();
    }
    case RowType::choice: {
      std::string what = std::string("a ") + row.key;  // "log.level": "is not a log level"
      std::replace(what.begin(), what.end(), '.', ' ');
      const auto i = choice(e, row.choices, what.c_str());
      if (i) **text = row.choices[*i];
      return i.has_value();
    }
    case RowType::secret: return secret(e, **text);
    case RowType::file: return readable_file(*this, e, **text, row.check);
    case RowType::boolean: return boolean(e, *std::get<bool*>(out));
    case RowType::count:
      return set_n(read_count(*this, e, n, static_cast<std::size_t>(row.lo), static_cast<std::size_t>(row.hi)));
    case RowType::size:
      return set_n(read_size(*this, e, n, static_cast<std::size_t>(row.lo), static_cast<std::size_t>(row.hi)));
    case RowType::number: return read_number(*this, e, **d, row.lo, row.hi, row.lo_open);
    case RowType::seconds: return seconds(e, **d, row.hi);
    case RowType::duration:
      return read_duration(*this, e, *std::get<milliseconds*>(out), milliseconds(static_cast<long long>(row.lo)),
                           milliseconds(static_cast<long long>(row.hi)), row.lo_open);
    case RowType::strings: return read_strings(*this, e, *std::get<std::vector<std::string>*>(out), row.check);
    default: add(e, "cannot be read here"); return false;
  }
}

}  // namespace natsexp
