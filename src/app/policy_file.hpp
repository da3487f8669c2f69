#pragma once
// A policy document read from a file by the command line (`esimo policy validate`, `esimo twin run --policy`):
// JSON (canonical) or the YAML subset of docs/policies.md, chosen by the extension (.json / .yaml / .yml) or, for any
// other name, by the first character that is not a blank or a comment ('{' is JSON).
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "domain/model.hpp"
#include "policy/policy.hpp"

namespace esimo::app {

policy::Format policy_format_of(const std::filesystem::path& path, std::string_view text);

// Reads and parses one document; `catalog` (may be null) resolves carrier references. A file that cannot be read is
// an io_error naming it; a bad document is the parser's error with the file name in front ("FILE: rules[0].when:
// line 3, column 33, ...") and *diagnostic (when given) holds it in structured form.
Result<policy::Policy> load_policy_file(const std::filesystem::path& path, const std::vector<domain::Carrier>* catalog,
                                        std::optional<policy::Format> format = std::nullopt,
                                        policy::Diagnostic* diagnostic = nullptr);

}  // namespace esimo::app
