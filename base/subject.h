// NATS subject grammar: tokens separated by dots, `*` matching one token, `>` one or more at the end.
#pragma once

#include <string>

namespace natsexp {

// Whether `subject` matches `pattern` with NATS wildcards (`*` one token, `>` one or more).
bool subject_matches(const std::string& pattern, const std::string& subject);

// What is wrong with `subject` as NATS reads it, or "": non-empty dot-separated tokens, no white
// space; with `wildcards`, `*` and `>` as whole tokens and `>` last (a subscription), without, none
// at all (a subject to publish to). The subject is quoted in the message: never pass a secret.
std::string subject_problem(const std::string& subject, bool wildcards);

}  // namespace natsexp
