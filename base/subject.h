// NATS subject grammar: tokens separated by dots, `*` matching one token, `>` one or more at the end.
#pragma once

#include <string>

namespace natsexp {

// Whether `subject` matches `pattern` with NATS wildcards (`*` one token, `>` one or more).
bool subject_matches(const std::string& pattern, const std::string& subject);

}  // namespace natsexp
