// common/strings.h — small ASCII string helpers shared by every component (pure, thread-safe).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace am {

std::string toLower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string_view trim(std::string_view s);  // ASCII space, tab, CR, LF
// Split on any of `seps`; empty pieces are dropped when skipEmpty.
std::vector<std::string> split(std::string_view s, std::string_view seps, bool skipEmpty = true);
// Lowercase, strip one trailing dot.
std::string normalizeDomain(std::string_view d);

}  // namespace am
