// `esimo policy validate FILE`: checks a policy document (JSON or YAML, docs/policies.md) the way the server does,
// against the carrier catalog, and says where it is wrong. `esimo policy apply FILE --server URL --api-key KEY`:
// creates the document on a running esimo (POST /v1/policies), or replaces the one with its name or scope (PUT).
// Exit codes: 0 done, 2 invalid document, 1 anything else (a file that cannot be read, a bad option, the server).
#include <boost/json.hpp>
#include <ostream>

#include "app/catalog_seed.hpp"
#include "app/commands.hpp"
#include "app/policy_file.hpp"
#include "app/support.hpp"
#include "domain/catalog.hpp"
#include "net/http_client.hpp"
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

namespace cmd_policy_detail {

// The "detail" of an RFC 9457 problem body, else the body's start.
std::string problem_detail(const http::Response& r) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(r.body, ec);
  if (!ec && v.is_object()) {
    if (const auto* d = v.as_object().if_contains("detail"); d != nullptr && d->is_string()) {
      return std::string(d->as_string());
    }
  }
  return r.body.substr(0, 300);
}

std::string json_str(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The id of the stored policy with this name, or with this scope (one document per scope), following "next" links.
Result<std::string> find_policy(net::HttpClient& client, const net::UrlParts& url, const std::vector<http::Header>& auth,
                                const policy::Policy& doc) {
  const std::string kind(policy::to_string(doc.scope.kind));
  const std::string target = doc.scope.kind == policy::ScopeKind::group ? doc.scope.group
                             : doc.scope.kind == policy::ScopeKind::device && doc.scope.device ? doc.scope.device->str()
                                                                                                 : std::string();
  std::string next = url.prefix + "/v1/policies?limit=1000";
  std::string by_scope;
  while (!next.empty()) {
    ESIMO_TRY(http::Response r, client.request(http::Method::get, next, auth));
    if (r.status != 200) return Error(Errc::unavailable, "GET /v1/policies answered " + std::to_string(r.status));
    boost::system::error_code ec;
    const auto v = boost::json::parse(r.body, ec);
    if (ec || !v.is_object()) return Error(Errc::parse_error, "GET /v1/policies: not a JSON object");
    const auto& o = v.as_object();
    if (const auto* items = o.if_contains("items"); items != nullptr && items->is_array()) {
      for (const auto& item : items->as_array()) {
        if (!item.is_object()) continue;
        const auto& p = item.as_object();
        if (json_str(p, "name") == doc.name) return json_str(p, "id");
        if (const auto* sc = p.if_contains("scope"); sc != nullptr && sc->is_object()) {
          if (json_str(sc->as_object(), "kind") == kind && json_str(sc->as_object(), "target") == target) {
            by_scope = json_str(p, "id");
          }
        }
      }
    }
    next.clear();
    if (const auto* n = o.if_contains("next"); n != nullptr && n->is_string()) next = std::string(n->as_string());
  }
  if (by_scope.empty()) return Error(Errc::not_found, "no stored policy named " + doc.name + " or with its scope");
  return by_scope;
}

}  // namespace cmd_policy_detail

int cmd_policy_apply(const PolicyApplyArgs& args, Io io) {
  namespace d = cmd_policy_detail;
  auto text = read_text_file(args.file);
  if (!text.ok()) return report_error(io, text.error());
  const policy::Format format = policy_format_of(args.file, *text);
  // Checked here first (without the catalog: the server resolves carriers against the tenant's).
  policy::Diagnostic diag;
  auto doc = policy::parse_policy(*text, policy::ParseOptions{format, nullptr}, &diag);
  if (!doc.ok()) {
    io.err << args.file.string() << ":";
    if (diag.line != 0) io.err << diag.line << ":" << diag.column << ":";
    io.err << " error: " << diag.to_string() << "\n";
    return 2;
  }
  auto url = net::parse_url(args.server);
  if (!url.ok()) return report_error(io, url.error());
  net::ClientOptions co;
  co.tls = url->tls;
  if (args.ca_file) co.ca_file = *args.ca_file;
  auto client = net::HttpClient::connect(url->host, url->port, co);
  if (!client.ok()) return report_error(io, client.error());
  const std::vector<http::Header> auth = {{"Authorization", "Bearer " + args.api_key}};
  const std::string_view ct = format == policy::Format::yaml ? "application/yaml" : "application/json";
  auto r = (*client)->request(http::Method::post, url->prefix + "/v1/policies", auth, *text, ct);
  if (!r.ok()) return report_error(io, r.error());
  std::string verb = "created";
  if (r->status == 409) {
    auto id = d::find_policy(**client, *url, auth, *doc);
    if (!id.ok()) return report_error(io, Error(Errc::already_exists, d::problem_detail(*r) + "; " + id.error().message));
    r = (*client)->request(http::Method::put, url->prefix + "/v1/policies/" + *id, auth, *text, ct);
    if (!r.ok()) return report_error(io, r.error());
    verb = "replaced";
  }
  if (r->status == 422 || r->status == 400) {
    io.err << args.file.string() << ": error: " << d::problem_detail(*r) << "\n";
    return 2;
  }
  if (r->status != 200 && r->status != 201) {
    return report_error(io, Error(Errc::unavailable, "the server answered " + std::to_string(r->status) + ": " +
                                                         d::problem_detail(*r)));
  }
  boost::system::error_code ec;
  const auto v = boost::json::parse(r->body, ec);
  std::string id, revision;
  if (!ec && v.is_object()) {
    id = d::json_str(v.as_object(), "id");
    if (const auto* rev = v.as_object().if_contains("revision"); rev != nullptr && rev->is_int64()) {
      revision = std::to_string(rev->as_int64());
    }
  }
  io.out << verb << " policy " << doc->name << " (" << id << ", revision " << revision << ")\n";
  io.out.flush();
  return 0;
}

}  // namespace esimo::app
