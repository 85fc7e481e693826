#include "base/subject.h"

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

}  // namespace natsexp
