// filter/auth/dkim/handles.cpp — header rebuilding for libopendkim (see handles.h).
// Stateless; thread-safe.
#include "filter/auth/dkim/handles.h"

namespace am::dkim {

std::string headerForLibopendkim(std::string_view name, std::string_view value) {
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.remove_suffix(1);
  std::string out;
  out.reserve(name.size() + 1 + value.size() + value.size() / 32);
  out.append(name);
  out.push_back(':');
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\n' && (i == 0 || value[i - 1] != '\r')) out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

}  // namespace am::dkim
