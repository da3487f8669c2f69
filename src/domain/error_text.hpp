#pragma once
// Internal to src/domain: how parse errors quote the input at fault.
#include <string>
#include <string_view>

namespace esimo::domain {

// The input in double quotes for an error message: at most 64 characters ("..." after), '"' and '\' escaped,
// control and non-ASCII bytes as \xNN.
std::string quote_input(std::string_view s);

}  // namespace esimo::domain
