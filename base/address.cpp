#include "base/address.h"

#include <algorithm>
#include <cctype>

#include "base/text.h"

namespace natsexp {

namespace {

std::optional<HostPort> fail(std::string* problem, const char* why) {
  if (problem) *problem = why;
  return std::nullopt;
}

std::size_t authority_start(const std::string& url) {
  const std::size_t p = url.find("://");
  return p == std::string::npos ? 0 : p + 3;
}

// Index of the '@' that ends the userinfo, or npos.
std::size_t userinfo_end(const std::string& url, std::size_t start) {
  const std::size_t at = url.rfind('@');
  return at == std::string::npos || at < start ? std::string::npos : at;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::optional<HostPort> split_host_port(const std::string& text, std::string* problem) {
  HostPort out;
  if (!text.empty() && text[0] == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string::npos || close == 1) return fail(problem, "has an invalid host");
    out.host = text.substr(0, close + 1);
    const std::string after = text.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail(problem, "has an invalid host");
      out.port = after.substr(1);
      if (out.port.empty()) return fail(problem, "has an invalid port");
    }
  } else if (const std::size_t colon = text.rfind(':'); colon != std::string::npos) {
    out.host = text.substr(0, colon);
    out.port = text.substr(colon + 1);
    if (out.port.empty()) return fail(problem, "has an invalid port");
    if (out.host.find(':') != std::string::npos) return fail(problem, "has an invalid host");
  } else {
    out.host = text;
  }
  for (char ch : out.host)
    if (std::isspace(static_cast<unsigned char>(ch)) || ch == '/' || ch == '@' || ch == '%')
      return fail(problem, "has an invalid host");
  if (!out.port.empty()) {
    if (out.port.size() > 5 ||
        !std::all_of(out.port.begin(), out.port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return fail(problem, "has an invalid port");
    const int p = std::stoi(out.port);
    if (p < 1 || p > 65535) return fail(problem, "has an invalid port");
  }
  return out;
}

std::optional<ListenAddress> parse_listen_address(const std::string& text, std::string* problem) {
  std::string why;
  const auto hp = text.find(':') == std::string::npos ? std::nullopt : split_host_port(text, &why);
  if (!hp || hp->port.empty()) {
    if (problem)
      *problem = strings::quote(text) +
                 (why == "has an invalid port" ? " " + why + " (1..65535)" : " is not host:port or :port");
    return std::nullopt;
  }
  ListenAddress out{hp->host.empty() ? "0.0.0.0" : hp->host, std::stoi(hp->port)};
  if (out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  return out;
}

std::optional<Url> split_url(const std::string& url, std::string* problem, const std::vector<std::string>& schemes) {
  Url u;
  std::vector<std::string> shown;  // "http://", for "is not an http:// or https:// URL"
  for (const auto& s : schemes) shown.push_back(s + "://");
  // "an http://", "a nats://": the article as the scheme is read aloud.
  const std::string not_one = schemes.empty() ? "is not a URL"
                                              : std::string("is not a") + (schemes[0][0] == 'h' ? "n " : " ") +
                                                    strings::join(shown, " or ") + " URL";
  const std::size_t sep = url.find("://");
  if (sep == std::string::npos || sep == 0) {
    if (problem) *problem = not_one;
    return std::nullopt;
  }
  u.scheme = strings::lower(url.substr(0, sep));
  const std::size_t start = sep + 3;
  const std::size_t at = userinfo_end(url, start);
  u.has_userinfo = at != std::string::npos;
  if (u.has_userinfo) u.userinfo = url.substr(start, at - start);
  const std::size_t host_start = u.has_userinfo ? at + 1 : start;
  std::size_t end = url.find_first_of("/?#", host_start);
  if (end == std::string::npos) end = url.size();
  const std::string hostport = url.substr(host_start, end - host_start);
  if (hostport.empty()) {
    if (problem) *problem = "has no host";
    return std::nullopt;
  }
  auto hp = split_host_port(hostport, problem);
  if (!hp) return std::nullopt;
  if (hp->host.empty()) {
    if (problem) *problem = "has no host";
    return std::nullopt;
  }
  u.authority = *hp;
  u.path = url.substr(end);
  if (!schemes.empty() && std::find(schemes.begin(), schemes.end(), u.scheme) == schemes.end()) {
    if (problem) *problem = not_one;
    return std::nullopt;
  }
  return u;
}

std::string port_or_default(const Url& url) {
  if (!url.authority.port.empty()) return url.authority.port;
  return url.scheme == "https" ? "443" : url.scheme == "http" ? "80" : "4222";
}

bool take_url_credentials(std::string& url, std::string& username, std::string& password) {
  const std::size_t start = authority_start(url);
  const std::size_t at = userinfo_end(url, start);
  if (at == std::string::npos) return false;
  const std::string userinfo = url.substr(start, at - start);
  const std::size_t colon = userinfo.find(':');
  username = percent_decode(userinfo.substr(0, colon));
  password = colon == std::string::npos ? "" : percent_decode(userinfo.substr(colon + 1));
  url.erase(start, at + 1 - start);
  return true;
}

std::string redact_url(const std::string& url) {
  std::string copy = url, user, pass;
  take_url_credentials(copy, user, pass);
  return copy;
}

std::string redact_urls(const std::vector<std::string>& urls) {
  std::vector<std::string> shown;
  for (const auto& u : urls) shown.push_back(redact_url(u));
  return strings::join(shown, ",");
}

}  // namespace natsexp
