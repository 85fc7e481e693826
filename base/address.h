// The one reading of host:port and of URLs, for listen addresses, monitoring URLs (http, https)
// and NATS URLs (nats, tls).
//
// Port 0 is refused everywhere (1..65535). The config accepted no port 0 while the HTTP server's
// own parser did: a listen port the kernel picks cannot be put in a Prometheus scrape config, and
// no server listens on port 0 to be connected to, so 0 is a typo wherever a user writes a port.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace natsexp {

struct HostPort {
  std::string host;  // as written; an IPv6 literal keeps its brackets ("[::1]"); may be empty
  std::string port;  // digits, 1..65535; empty when none was given
};

// Reads host[:port] or [ipv6][:port]. `problem` (when given) is set to "has no host", "has an
// invalid host" or "has an invalid port" on failure, to be prefixed by the quoted text.
std::optional<HostPort> split_host_port(const std::string& text, std::string* problem = nullptr);

// A listen address, host:port or :port: ":7777" is {"0.0.0.0", 7777}, "[::1]:9" is {"::1", 9}.
struct ListenAddress {
  std::string host;  // without brackets
  int port = 0;
};
// The listen address in `text`, or nullopt with `problem` (when given) set to the quoted text and
// why: "is not host:port or :port" or "has an invalid port (1..65535)".
std::optional<ListenAddress> parse_listen_address(const std::string& text, std::string* problem = nullptr);

struct Url {
  std::string scheme;    // lower case
  std::string userinfo;  // "user:password" as written (percent-encoded), "" when absent
  bool has_userinfo = false;
  HostPort authority;
  std::string path;  // from the first '/', '?' or '#' after the authority, as written
};

// Splits scheme://[userinfo@]host[:port][path]. The last '@' ends the userinfo, so that a password
// holding '/', '?', '#' or '@' is never mistaken for a host or a path. `problem` as above, or
// "is not a URL"; with `schemes` (lower case), one of them is required, else "is not an http:// or
// https:// URL" (also when the text is not a URL at all).
std::optional<Url> split_url(const std::string& url, std::string* problem = nullptr,
                             const std::vector<std::string>& schemes = {});

// The URL's port, or its scheme's default: 443 for https, 80 for http, 4222 for nats and tls.
std::string port_or_default(const Url& url);

// If `url` carries user:password@, removes it from `url` and stores the percent-decoded parts in
// `username` and `password`. Returns whether it did.
bool take_url_credentials(std::string& url, std::string& username, std::string& password);
// The URL with any user:password removed, for logs and labels.
std::string redact_url(const std::string& url);
// The URLs without credentials, comma-separated: a connection's servers, for log lines.
std::string redact_urls(const std::vector<std::string>& urls);

}  // namespace natsexp
