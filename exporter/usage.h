// --help and --help=markdown, derived from the rows of the settings (config/settings.h).
#pragma once

#include <string>

#include "config/config.h"

namespace natsexp {

// The --help text. `collectors`: the known and default collector names, from the collector registry.
std::string usage_text(const CollectorCatalog& collectors);
// The --help=markdown text: the flag reference committed as docs/flags.md.
std::string flags_markdown(const CollectorCatalog& collectors);

}  // namespace natsexp
