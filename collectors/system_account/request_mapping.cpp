#include "collectors/system_account/request_mapping.h"

#include <charconv>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include "collectors/collector.h"

namespace natsexp::system_account {

namespace {

enum class Kind { boolean, integer, text, state, subs, text_list };

// One HTTP query option: its name in the body and how its value is typed there.
struct Option {
  const char* json;
  Kind kind;
};

struct Endpoint {
  const char* token;
  bool compress;
  std::map<std::string, Option> options;  // by HTTP query name
};

// HTTP query names and their JSON names, from nats-server's monitor.go (the handle* functions read
// the query, the *Options structs carry the JSON tags) for 2.9 through 2.14.
const std::map<std::string, Endpoint>& endpoints() {
  static const std::map<std::string, Endpoint> table = {
      {"/varz", {"VARZ", false, {}}},
      {"/connz",
       {"CONNZ",
        true,
        {{"sort", {"sort", Kind::text}},
         {"auth", {"auth", Kind::boolean}},
         {"subs", {"subscriptions", Kind::subs}},
         {"offset", {"offset", Kind::integer}},
         {"limit", {"limit", Kind::integer}},
         {"cid", {"cid", Kind::integer}},
         {"state", {"state", Kind::state}},
         {"mqtt_client", {"mqtt_client", Kind::text}},
         {"user", {"user", Kind::text}},
         {"acc", {"acc", Kind::text}},
         {"filter_subject", {"filter_subject", Kind::text}}}}},
      {"/routez", {"ROUTEZ", false, {{"subs", {"subscriptions", Kind::subs}}}}},
      {"/gatewayz",
       {"GATEWAYZ",
        false,
        {{"accs", {"accounts", Kind::boolean}},
         {"gw_name", {"name", Kind::text}},
         {"acc_name", {"account_name", Kind::text}}}}},
      {"/leafz", {"LEAFZ", false, {{"subs", {"subscriptions", Kind::subs}}, {"acc", {"account", Kind::text}}}}},
      {"/subsz",
       {"SUBSZ",
        true,
        {{"subs", {"subscriptions", Kind::boolean}},
         {"offset", {"offset", Kind::integer}},
         {"limit", {"limit", Kind::integer}},
         {"acc", {"account", Kind::text}},
         {"test", {"test", Kind::text}}}}},
      {"/jsz",
       {"JSZ",
        true,
        {{"acc", {"account", Kind::text}},
         {"accounts", {"accounts", Kind::boolean}},
         {"streams", {"streams", Kind::boolean}},
         {"consumers", {"consumer", Kind::boolean}},
         {"config", {"config", Kind::boolean}},
         {"leader-only", {"leader_only", Kind::boolean}},
         {"leader_only", {"leader_only", Kind::boolean}},
         {"offset", {"offset", Kind::integer}},
         {"limit", {"limit", Kind::integer}},
         {"raft", {"raft", Kind::boolean}}}}},
      {"/healthz",
       {"HEALTHZ",
        false,
        {{"js-enabled", {"js-enabled", Kind::boolean}},
         {"js-enabled-only", {"js-enabled-only", Kind::boolean}},
         {"js-server-only", {"js-server-only", Kind::boolean}}}}},
      {"/accstatz",
       {"STATZ", false, {{"unused", {"include_unused", Kind::boolean}}, {"acc", {"accounts", Kind::text_list}}}}},
  };
  return table;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec != std::errc() || p != s.data() + i + 3) throw FetchError("bad percent escape in query");
      out += static_cast<char>(v);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Go's strconv.ParseBool, which the server's HTTP handlers use.
bool parse_bool(const std::string& name, const std::string& v) {
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False") return false;
  throw FetchError("query option " + name + " is not a boolean");
}

// A JSON object written member by member; values are JSON text already.
class BodyWriter {
 public:
  void set(const std::string& key, std::string json_value) {
    for (auto& m : members_)
      if (m.first == key) {
        m.second = std::move(json_value);
        return;
      }
    members_.emplace_back(key, std::move(json_value));
  }
  bool empty() const { return members_.empty(); }
  std::string text() const {
    std::string out = "{";
    for (const auto& [k, v] : members_) out += (out.size() > 1 ? "," : "") + quoted(k) + ":" + v;
    return out + "}";
  }
  static std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (unsigned char ch : s) {
      if (ch == '"' || ch == '\\') {
        out += '\\';
        out += static_cast<char>(ch);
      } else if (ch < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", ch);
        out += buf;
      } else {
        out += static_cast<char>(ch);
      }
    }
    return out + "\"";
  }

 private:
  std::vector<std::pair<std::string, std::string>> members_;
};

}  // namespace

SystemRequest map_monitor_path(const std::string& path_and_query) {
  const auto q = path_and_query.find('?');
  const std::string path = path_and_query.substr(0, q);
  const auto it = endpoints().find(path);
  if (it == endpoints().end()) throw FetchError("no system-account request for " + path);
  const Endpoint& endpoint = it->second;
  SystemRequest request;
  request.endpoint = endpoint.token;
  request.account_ping = path == "/accstatz";
  request.compress = endpoint.compress;
  BodyWriter body;
  if (q != std::string::npos) {
    std::string query = path_and_query.substr(q + 1);
    std::size_t start = 0;
    while (start <= query.size()) {
      const auto amp = query.find('&', start);
      const std::string pair = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      start = amp == std::string::npos ? query.size() + 1 : amp + 1;
      if (pair.empty()) continue;
      const auto eq = pair.find('=');
      const std::string name = percent_decode(pair.substr(0, eq));
      const std::string value = eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1));
      const auto opt = endpoint.options.find(name);
      if (opt == endpoint.options.end())
        throw FetchError("query option " + name + " of " + path + " has no system-account equivalent");
      const Option& o = opt->second;
      switch (o.kind) {
        case Kind::boolean: body.set(o.json, parse_bool(name, value) ? "true" : "false"); break;
        case Kind::text: body.set(o.json, BodyWriter::quoted(value)); break;
        case Kind::text_list: body.set(o.json, "[" + BodyWriter::quoted(value) + "]"); break;
        case Kind::integer: {
          long long n = 0;
          auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
          if (value.empty() || ec != std::errc() || p != value.data() + value.size())
            throw FetchError("query option " + name + " is not a whole number");
          body.set(o.json, std::to_string(n));
          break;
        }
        case Kind::state:
          // The body's state is the server's ConnState number, not the HTTP word.
          if (value == "open") body.set(o.json, "0");
          else if (value == "closed") body.set(o.json, "1");
          else if (value == "any" || value == "all") body.set(o.json, "2");
          else throw FetchError("query option state must be open, closed or all");
          break;
        case Kind::subs:
          if (value == "detail") body.set("subscriptions_detail", "true");
          else body.set(o.json, parse_bool(name, value) ? "true" : "false");
          break;
      }
    }
  }
  if (!body.empty()) request.body = body.text();
  return request;
}

std::string request_subject(const SystemRequest& request, const std::string& server_id) {
  if (request.account_ping) return "$SYS.REQ.ACCOUNT.PING." + request.endpoint;
  return "$SYS.REQ.SERVER." + server_id + "." + request.endpoint;
}

std::string request_body(const SystemRequest& request, const std::string& server_name) {
  if (!request.account_ping) return request.body;
  // request.body is our own writer's output: an object, "{…}", or empty.
  const std::string filter = BodyWriter::quoted("server_name") + ":" + BodyWriter::quoted(server_name);
  if (request.body.empty()) return "{" + filter + "}";
  return request.body.substr(0, request.body.size() - 1) + "," + filter + "}";
}

ReplyServer read_reply_server(const JsonValue& server) {
  ReplyServer s;
  auto text = [&](const char* key) { return std::string(server.find(key).as_string().value_or("")); };
  s.id = text("id");
  s.name = text("name");
  s.cluster = text("cluster");
  s.domain = text("domain");
  s.version = text("ver");
  s.jetstream = server.find("jetstream").as_bool().value_or(false);
  return s;
}

UnwrappedReply unwrap_reply(std::string text) {
  const auto envelope = parse_json(std::move(text));
  const JsonValue root = envelope->root();
  if (!root.is_object() || !root.find("server").is_object())
    throw FetchError("the reply is not a system-account envelope (no \"server\" object)");
  UnwrappedReply out;
  out.server = read_reply_server(root.find("server"));
  const JsonValue error = root.find("error");
  if (error.is_object()) {
    const auto code = error.find("code").as_integer();
    const std::string description(error.find("description").as_string().value_or("no description"));
    throw FetchError("server " + out.server.name + " answered error" + (code ? " " + std::to_string(*code) : "") +
                         ": " + description,
                     static_cast<int>(code.value_or(0)));
  }
  JsonValue data = root.find("data");
  if (!data.exists()) data = root.find("statsz");
  if (!data.is_object()) throw FetchError("the reply of server " + out.server.name + " has no \"data\" object");
  out.data = parse_json(json_text(data));
  return out;
}

}  // namespace natsexp::system_account
