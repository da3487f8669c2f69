#include "api/esipa_service.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "base/log.hpp"

namespace esimo::api {

namespace esipa_detail {

// Outer tags of EsipaMessageFromIpaToEim (SGP.32 v1.2 §6.3, ASN.1 module SGP32Definitions): all are [APPLICATION-
// less] context tags 57..80 placed on the CHOICE, encoded BF xx.
struct KindEntry {
  std::uint8_t tag_byte;  // second identifier octet after 0xBF
  std::string_view name;
};
constexpr std::array<KindEntry, 8> kKinds = {{
    {0x4F, "get_eim_package"},                // [79] GetEimPackageRequest
    {0x50, "provide_eim_package_result"},     // [80] ProvideEimPackageResult
    {0x3D, "handle_notification"},            // [61] HandleNotificationEsipa
    {0x39, "initiate_authentication"},        // [57] InitiateAuthenticationRequestEsipa
    {0x3B, "authenticate_client"},            // [59] AuthenticateClientRequestEsipa
    {0x3A, "get_bound_profile_package"},      // [58] GetBoundProfilePackageRequestEsipa
    {0x41, "cancel_session"},                 // [65] CancelSessionRequestEsipa
    {0x4E, "transfer_eim_package_response"},  // [78] TransferEimPackageResponse
}};
constexpr std::size_t kUnknownKind = kKinds.size();     // a body with another (or no) outer tag
constexpr std::size_t kRejectedKind = kKinds.size() + 1;  // refused before the body was looked at (404/405/400/415)
constexpr std::size_t kKindSlots = kKinds.size() + 2;

std::size_t kind_index(ByteView body) {
  if (body.size() < 2 || body[0] != 0xBF) return kUnknownKind;
  for (std::size_t i = 0; i < kKinds.size(); ++i) {
    if (kKinds[i].tag_byte == body[1]) return i;
  }
  return kUnknownKind;
}

std::string_view kind_name(std::size_t index) {
  if (index < kKinds.size()) return kKinds[index].name;
  return index == kUnknownKind ? "unknown" : "rejected";
}

// "N" or "N.M.K" digits; false when empty, non-digit or too long to be a version number.
bool parse_number(std::string_view s, unsigned& out) {
  if (s.empty() || s.size() > 4) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

constexpr std::array<int, 9> kStatuses = {200, 204, 400, 404, 405, 413, 415, 500, 503};

http::Response text_response(int status, std::string text) {
  http::Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(text);
  r.body.push_back('\n');
  return r;
}

std::uint64_t next_esipa_request_number() {
  static std::atomic<std::uint64_t> n{0};
  return n.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace esipa_detail

AdminProtocol parse_admin_protocol(std::string_view header) {
  // SGP.32 §6.1.1: "gsma/rsp/v<x.y.z>". SGP.32 versions 1.0.x and 1.2.x are accepted and name the version; 2.x.y are
  // SGP.22 versions, which the deployed IPAds send, and say nothing about the SGP.32 version (the device's decides).
  AdminProtocol out;
  constexpr std::string_view kPrefix = "gsma/rsp/v";
  if (header.substr(0, kPrefix.size()) != kPrefix) return out;
  std::string_view rest = header.substr(kPrefix.size());
  unsigned parts[3] = {};
  for (int i = 0; i < 3; ++i) {
    auto dot = rest.find('.');
    std::string_view part = i < 2 ? rest.substr(0, dot) : rest;
    if ((i < 2 && dot == std::string_view::npos) || !esipa_detail::parse_number(part, parts[i])) return out;
    if (i < 2) rest.remove_prefix(dot + 1);
  }
  if (parts[0] == 1 && parts[1] == 0) {
    out = {true, sgp::Version::v1_0};
  } else if (parts[0] == 1 && parts[1] == 2) {
    out = {true, sgp::Version::v1_2};
  } else if (parts[0] == 2) {
    out = {true, std::nullopt};
  }
  return out;
}

std::string_view esipa_message_kind(ByteView body) {
  return esipa_detail::kind_name(esipa_detail::kind_index(body));
}

struct EsipaService::Impl {
  struct KindMetrics {
    metrics::Histogram* latency = nullptr;
    std::array<metrics::Counter*, esipa_detail::kStatuses.size()> by_status{};
  };

  Impl(EsipaHandler h, metrics::Registry& m, EsipaOptions o) : handler(std::move(h)), registry(m), options(o) {
    // Resolved once: the hot path (empty polls) never takes the registry's lock.
    for (std::size_t k = 0; k < esipa_detail::kKindSlots; ++k) {
      std::string kind(esipa_detail::kind_name(k));
      kinds[k].latency = &registry.histogram("esimo_esipa_request_seconds", "ESipa request latency by message kind",
                                             {{"kind", kind}});
      for (std::size_t s = 0; s < esipa_detail::kStatuses.size(); ++s) {
        kinds[k].by_status[s] =
            &registry.counter("esimo_esipa_requests_total", "ESipa requests by message kind and status",
                              {{"kind", kind}, {"status", std::to_string(esipa_detail::kStatuses[s])}});
      }
    }
  }

  void record(std::size_t kind, int status, std::chrono::steady_clock::time_point t0, const http::Request& req,
              std::size_t answer_bytes) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    KindMetrics& km = kinds[kind];
    metrics::Counter* c = nullptr;
    for (std::size_t s = 0; s < esipa_detail::kStatuses.size(); ++s) {
      if (esipa_detail::kStatuses[s] == status) c = km.by_status[s];
    }
    if (c == nullptr) {
      c = &registry.counter("esimo_esipa_requests_total", "ESipa requests by message kind and status",
                            {{"kind", std::string(esipa_detail::kind_name(kind))}, {"status", std::to_string(status)}});
    }
    c->inc();
    km.latency->observe(static_cast<double>(us) / 1e6);
    if (log::level() <= log::Level::info) {
      log::info("esipa", {{"request_id", req.request_id},
                          {"remote", req.remote_address},
                          {"kind", esipa_detail::kind_name(kind)},
                          {"admin_protocol", req.header("x-admin-protocol")},
                          {"status", status},
                          {"request_bytes", static_cast<std::uint64_t>(req.body.size())},
                          {"answer_bytes", static_cast<std::uint64_t>(answer_bytes)},
                          {"duration_us", static_cast<std::int64_t>(us)}});
    }
  }

  EsipaHandler handler;
  metrics::Registry& registry;
  EsipaOptions options;
  std::array<KindMetrics, esipa_detail::kKindSlots> kinds;
};

EsipaService::EsipaService(EsipaHandler handler, metrics::Registry& metrics, EsipaOptions options)
    : impl_(std::make_unique<Impl>(std::move(handler), metrics, options)) {}
EsipaService::~EsipaService() = default;

http::Response EsipaService::handle(http::Request& req) {
  using esipa_detail::text_response;
  auto t0 = std::chrono::steady_clock::now();
  if (req.request_id.empty()) req.request_id = "esipa_" + std::to_string(esipa_detail::next_esipa_request_number());
  auto reject = [&](http::Response r) {
    impl_->record(esipa_detail::kRejectedKind, r.status, t0, req, 0);
    return r;
  };
  if (req.path != kEsipaPath) return reject(text_response(404, "no such endpoint: " + req.path));
  if (req.method != http::Method::post) {
    auto r = text_response(405, std::string(http::method_name(req.method)) + " is not allowed; ESipa takes POST");
    r.set_header("allow", "POST");
    return reject(std::move(r));
  }
  std::string_view admin = req.header("x-admin-protocol");
  AdminProtocol protocol = parse_admin_protocol(admin);
  if (!protocol.accepted) {
    return reject(text_response(400, admin.empty() ? "missing X-Admin-Protocol (gsma/rsp/v<x.y.z>)"
                                                   : "unsupported X-Admin-Protocol '" + std::string(admin) +
                                                         "' (accepted: gsma/rsp/v1.0.x, v1.2.x, v2.x.y)"));
  }
  // Media type without parameters, case-insensitive (RFC 9110 §8.3.1).
  std::string_view ct = req.header("content-type");
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
  bool ct_ok = ct.size() == kEsipaContentType.size();
  for (std::size_t i = 0; ct_ok && i < ct.size(); ++i) {
    char c = ct[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    ct_ok = c == kEsipaContentType[i];
  }
  if (!ct_ok) {
    return reject(text_response(415, "Content-Type must be " + std::string(kEsipaContentType)));
  }
  if (req.body.size() > impl_->options.body_limit) {
    return reject(text_response(413, "the body is larger than " + std::to_string(impl_->options.body_limit) + " bytes"));
  }

  const ByteView body = as_bytes(req.body);
  const std::size_t kind = esipa_detail::kind_index(body);
  auto answer = impl_->handler(body, protocol.version);
  http::Response r;
  if (!answer.ok()) {
    const Error& e = answer.error();
    switch (e.code) {
      case Errc::parse_error:
      case Errc::invalid_argument:
      case Errc::unsupported:
        r = text_response(400, "the body is not a valid ESipa message: " + e.message);
        break;
      case Errc::unavailable:
        r = text_response(503, "the eIM is unavailable; retry later");
        break;
      default:
        // Internals stay in the log, not on the wire.
        log::error("esipa handler failed", {{"request_id", req.request_id},
                                            {"kind", esipa_detail::kind_name(kind)},
                                            {"code", errc_name(e.code)},
                                            {"error", e.message}});
        r = text_response(500, "internal error (request " + req.request_id + ")");
        break;
    }
  } else if (answer->empty()) {
    r.status = 204;
    r.content_type.clear();
  } else {
    r.status = 200;
    r.content_type = std::string(kEsipaContentType);
    r.body.assign(reinterpret_cast<const char*>(answer->data()), answer->size());
  }
  // SGP.32 §6.1.2: the answer carries the request's X-Admin-Protocol.
  r.set_header("x-admin-protocol", std::string(admin));
  impl_->record(kind, r.status, t0, req, r.body.size());
  return r;
}

}  // namespace esimo::api
