// NATS nkeys for the probe's and the observations' connections: the public key of a user seed, for
// natsOptions_SetNKey. The text form (base32, CRC) is base/nkey_text.h.
#pragma once

#include <string>

namespace natsexp {

// The public key ("U…") of an encoded user nkey seed ("SU…"). Throws std::invalid_argument with a
// message that never contains the seed.
std::string nkey_public_from_seed(const std::string& seed);

}  // namespace natsexp
