// `esimo policy validate FILE`: checks a policy document (JSON or YAML, docs/policies.md) the way the server does,
// against the carrier catalog, and says where it is wrong. Exit codes: 0 valid, 2 invalid, 1 anything else (a file
// that cannot be read, a bad option).
#include <ostream>

#include "app/catalog_seed.hpp"
#include "app/commands.hpp"
#include "app/policy_file.hpp"
#include "app/support.hpp"
#include "domain/catalog.hpp"
#include "policy/evaluate.hpp"

namespace esimo::app {

int cmd_policy_validate(const PolicyValidateArgs& args, Io io) {
  std::optional<policy::Format> format;
  if (args.format) {
    if (*args.format == "json") {
      format = policy::Format::json;
    } else if (*args.format == "yaml") {
      format = policy::Format::yaml;
    } else {
      return report_error(io, Error(Errc::invalid_argument, "--format: json or yaml", "--format"));
    }
  }
  std::vector<domain::Carrier> carriers;
  const std::vector<domain::Carrier>* catalog = nullptr;
  if (!args.no_catalog) {
    auto config = load_config(args.common);
    if (!config.ok()) return report_error(io, config.error());
    auto xml = read_text_file(config->service_providers_xml);
    if (!xml.ok()) return report_error(io, xml.error());
    auto parsed = domain::parse_service_providers_xml(*xml);
    if (!parsed.ok()) return report_error(io, parsed.error());
    carriers = std::move(parsed).value();
    catalog = &carriers;
  }
  policy::Diagnostic d;
  auto doc = load_policy_file(args.file, catalog, format, &d);
  if (!doc.ok()) {
    if (d.message.empty()) return report_error(io, doc.error());  // not a document problem: the file itself
    // FILE:LINE:COLUMN: (what editors jump to), then the path, the position in the expression and the reason.
    io.err << args.file.string() << ":";
    if (d.line != 0) io.err << d.line << ":" << d.column << ":";
    io.err << " error: " << d.to_string() << "\n";
    io.err.flush();
    return 2;
  }
  if (args.json) {
    io.out << policy::to_json(*doc) << "\n";
  } else {
    const auto compiled = policy::CompiledPolicy::compile(*doc);
    io.out << args.file.string() << ": valid policy " << doc->name << " (scope " << policy::to_string(doc->scope.kind);
    if (doc->scope.kind == policy::ScopeKind::group) io.out << " " << doc->scope.group;
    if (doc->scope.kind == policy::ScopeKind::device && doc->scope.device) io.out << " " << doc->scope.device->str();
    io.out << ", " << compiled.rules().size() << " rule" << (compiled.rules().size() == 1 ? "" : "s");
    if (doc->objective) io.out << ", objective " << policy::to_string(*doc->objective);
    io.out << (catalog ? ", carriers checked against the catalog" : ", carriers not checked (--no-catalog)") << ")\n";
    for (const auto& r : compiled.rules()) io.out << "  rule " << r.name << ": when " << r.when_text << " do " << r.do_text << "\n";
  }
  io.out.flush();
  return 0;
}

}  // namespace esimo::app
