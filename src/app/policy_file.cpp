#include "app/policy_file.hpp"

#include "app/catalog_seed.hpp"

namespace esimo::app {

policy::Format policy_format_of(const std::filesystem::path& path, std::string_view text) {
  const std::string ext = path.extension().string();
  if (ext == ".json" || ext == ".JSON") return policy::Format::json;
  if (ext == ".yaml" || ext == ".yml" || ext == ".YAML" || ext == ".YML") return policy::Format::yaml;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else {
      return c == '{' ? policy::Format::json : policy::Format::yaml;
    }
  }
  return policy::Format::json;
}

Result<policy::Policy> load_policy_file(const std::filesystem::path& path, const std::vector<domain::Carrier>* catalog,
                                        std::optional<policy::Format> format, policy::Diagnostic* diagnostic) {
  ESIMO_TRY(std::string text, read_text_file(path));
  policy::ParseOptions options;
  options.format = format.value_or(policy_format_of(path, text));
  options.catalog = catalog;
  policy::Diagnostic d;
  auto parsed = policy::parse_policy(text, options, &d);
  if (!parsed) {
    if (diagnostic != nullptr) *diagnostic = d;
    Error e = parsed.error();
    e.message = path.string() + ": " + e.message;
    return e;
  }
  return parsed;
}

}  // namespace esimo::app
