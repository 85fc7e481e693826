#include "collectors/http_response_parser.h"

#include <algorithm>

namespace natsexp {

namespace {

// A monitoring port's headers are a few hundred bytes; this bounds what a hostile peer can make us hold.
constexpr std::size_t kMaxHeaderBytes = 64 << 10;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls `each` with every comma-separated token of a header value, trimmed.
template <typename Each>
void for_each_token(std::string_view value, Each each) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    each(trim(value.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

HttpResponseParser::State HttpResponseParser::fail(std::string why) {
  if (state_ == State::need_more) {
    state_ = State::failed;
    error_ = std::move(why);
  }
  return state_;
}

HttpResponseParser::State HttpResponseParser::complete() {
  state_ = State::done;
  return state_;
}

HttpResponseParser::State HttpResponseParser::feed(std::string_view data) {
  if (!data.empty()) started_ = true;
  if (state_ != State::need_more) {
    if (state_ == State::done) leftover_ += data.size();
    return state_;
  }
  std::size_t i = 0;
  while (state_ == State::need_more && i < data.size()) {
    switch (phase_) {
      case Phase::body_length:
      case Phase::chunk_data: {
        const std::size_t take = std::min(length_, data.size() - i);
        if (!append_body(data.substr(i, take))) return state_;
        i += take;
        length_ -= take;
        if (length_ == 0) {
          if (phase_ == Phase::body_length) complete();
          else phase_ = Phase::chunk_end;
        }
        break;
      }
      case Phase::body_until_close:
        if (!append_body(data.substr(i))) return state_;
        i = data.size();
        break;
      default: {  // the line phases
        const auto nl = data.find('\n', i);
        const std::size_t end = nl == std::string_view::npos ? data.size() : nl;
        if (line_.size() + (end - i) > kMaxHeaderBytes) return fail("response header line too long");
        line_.append(data.data() + i, end - i);
        i = nl == std::string_view::npos ? data.size() : nl + 1;
        if (nl == std::string_view::npos) break;
        std::string_view line = line_;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const bool ok = on_line(line);
        line_.clear();
        if (!ok) return state_;
      }
    }
  }
  if (state_ == State::done) leftover_ += data.size() - i;
  return state_;
}

HttpResponseParser::State HttpResponseParser::finish() {
  if (state_ != State::need_more) return state_;
  if (phase_ == Phase::body_until_close) return complete();
  return fail(started_ ? "connection closed before the response ended" : "connection closed without a response");
}

bool HttpResponseParser::append_body(std::string_view data) {
  if (body_.size() + data.size() > max_body_) {
    too_large_ = true;
    fail("response larger than " + std::to_string(max_body_) + " bytes");
    return false;
  }
  body_.append(data.data(), data.size());
  return true;
}

bool HttpResponseParser::on_line(std::string_view line) {
  switch (phase_) {
    case Phase::status_line: return on_status_line(line);
    case Phase::headers:
    case Phase::trailers:
      header_bytes_ += line.size() + 2;
      if (header_bytes_ > kMaxHeaderBytes) {
        fail("response headers too large");
        return false;
      }
      if (!line.empty()) return phase_ == Phase::trailers || on_header(line);  // trailers are ignored
      if (phase_ == Phase::trailers) {
        complete();
        return true;
      }
      return on_headers_end();
    case Phase::chunk_size: return on_chunk_size(line);
    case Phase::chunk_end:
      if (!line.empty()) {
        fail("chunk not followed by CRLF");
        return false;
      }
      phase_ = Phase::chunk_size;
      return true;
    default: return false;
  }
}

bool HttpResponseParser::on_status_line(std::string_view line) {
  // "HTTP/1.1 200 OK"
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !is_digit(line[7]) || line[8] != ' ' ||
      !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) || (line.size() > 12 && line[12] != ' ')) {
    fail("not an HTTP/1.x status line");
    return false;
  }
  http11_ = line[7] != '0';
  keep_alive_ = http11_;
  status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (status_ < 100) {
    fail("invalid HTTP status");
    return false;
  }
  phase_ = Phase::headers;
  return true;
}

bool HttpResponseParser::on_header(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    fail("malformed response header");
    return false;
  }
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim(line.substr(colon + 1));
  if (iequals(name, "content-length")) {
    if (value.empty() || value.size() > 18 || !std::all_of(value.begin(), value.end(), is_digit)) {
      fail("invalid Content-Length");
      return false;
    }
    const std::size_t length = std::stoull(std::string(value));
    if (has_length_ && length != length_) {
      fail("conflicting Content-Length headers");
      return false;
    }
    has_length_ = true;
    length_ = length;
  } else if (iequals(name, "transfer-encoding")) {
    // The last coding decides how the body ends; a chunked one must be last (RFC 9112 6.1).
    bool last_chunked = false;
    for_each_token(value, [&](std::string_view token) {
      if (!token.empty()) last_chunked = iequals(token, "chunked");
    });
    chunked_ = last_chunked;
    if (!chunked_) {
      fail("unsupported Transfer-Encoding");
      return false;
    }
  } else if (iequals(name, "connection")) {
    for_each_token(value, [&](std::string_view token) {
      if (iequals(token, "close")) keep_alive_ = false;
      else if (iequals(token, "keep-alive") && !http11_) keep_alive_ = true;
    });
  }
  return true;
}

bool HttpResponseParser::on_headers_end() {
  if (status_ < 200) {  // an interim response (100 Continue, 103 Early Hints): the real one follows
    const auto max_body = max_body_;
    *this = HttpResponseParser(max_body);
    started_ = true;
    return true;
  }
  if (status_ == 204 || status_ == 304) {
    complete();
    return true;
  }
  if (chunked_) {
    phase_ = Phase::chunk_size;  // Transfer-Encoding overrides Content-Length (RFC 9112 6.3)
    return true;
  }
  if (has_length_) {
    if (length_ > max_body_) {
      too_large_ = true;
      fail("response larger than " + std::to_string(max_body_) + " bytes");
      return false;
    }
    body_.reserve(length_);
    if (length_ == 0) complete();
    else phase_ = Phase::body_length;
    return true;
  }
  keep_alive_ = false;  // delimited by the close
  phase_ = Phase::body_until_close;
  return true;
}

bool HttpResponseParser::on_chunk_size(std::string_view line) {
  std::size_t size = 0, digits = 0;
  for (; digits < line.size() && hex_value(line[digits]) >= 0; ++digits) {
    if (digits == 15) {
      fail("chunk size too large");
      return false;
    }
    size = size * 16 + static_cast<std::size_t>(hex_value(line[digits]));
  }
  const std::string_view rest = trim(line.substr(digits));
  if (digits == 0 || (!rest.empty() && rest.front() != ';')) {  // ";name=value" extensions are ignored
    fail("invalid chunk size");
    return false;
  }
  if (size == 0) {
    phase_ = Phase::trailers;
    return true;
  }
  if (body_.size() + size > max_body_) {
    too_large_ = true;
    fail("response larger than " + std::to_string(max_body_) + " bytes");
    return false;
  }
  length_ = size;
  phase_ = Phase::chunk_data;
  return true;
}

}  // namespace natsexp
