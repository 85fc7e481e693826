#include "base/subject.h"

#include <cctype>

#include "base/text.h"

namespace natsexp {

bool subject_matches(const std::string& pattern, const std::string& subject) {
  std::size_t p = 0, s = 0;
  for (;;) {
    const std::size_t pe = pattern.find('.', p), se = subject.find('.', s);
    const std::string pt = pattern.substr(p, pe == std::string::npos ? std::string::npos : pe - p);
    const std::string st = subject.substr(s, se == std::string::npos ? std::string::npos : se - s);
    if (pt == ">") return true;  // one or more tokens remain in `subject`
    if (pt != "*" && pt != st) return false;
    if (pe == std::string::npos || se == std::string::npos) return pe == std::string::npos && se == std::string::npos;
    p = pe + 1;
    s = se + 1;
  }
}

std::string subject_problem(const std::string& subject, bool wildcards) {
  if (strings::trim(subject).empty()) return "must not be empty";
  const std::string shown = strings::quote(subject);
  for (char ch : subject)
    if (std::isspace(static_cast<unsigned char>(ch)) || static_cast<unsigned char>(ch) < 0x20)
      return shown + " must not contain white space";
  for (std::size_t start = 0;;) {
    const std::size_t dot = subject.find('.', start);
    const std::string token = subject.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (token.empty()) return shown + " has an empty token";
    if (!wildcards && (token == "*" || token == ">"))
      return shown + " must not contain wildcards (a probe publishes to it)";
    if (wildcards && token == ">" && dot != std::string::npos) return shown + ": \">\" must be the last token";
    if (wildcards && token.size() > 1 && token.find_first_of("*>") != std::string::npos)
      return shown + ": a wildcard must be a whole token";
    if (dot == std::string::npos) return "";
    start = dot + 1;
  }
}

}  // namespace natsexp
