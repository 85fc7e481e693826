// How the doctor writes numbers in its findings: the same in every check, report and page.
#pragma once

#include <string>

namespace natsexp::doctor {

// "415µs", "2.77ms", "1.5s", "3m20s".
std::string format_seconds(double seconds);
// "544942 B (532.2 KiB)".
std::string format_bytes(double bytes);
// "12.5%".
std::string format_percent(double ratio);
// A number without a needless fraction: "3", "2.5".
std::string format_number(double value);

}  // namespace natsexp::doctor
