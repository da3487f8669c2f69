// REST: the event log (GET /v1/events) and webhook subscriptions (/v1/webhooks). See events.hpp.
#include <charconv>

#include "api/events.hpp"
#include "api/handlers.hpp"
#include "crypto/random.hpp"

namespace esimo::api {

namespace events_api_detail {

constexpr std::size_t kMaxTypes = 32;

// Type filters: each a known type or "prefix.*" of known types.
ApiResult<std::vector<std::string>> read_types(const std::vector<std::string>& types, const std::string& field) {
  if (types.size() > kMaxTypes) {
    return make_problem(400, "invalid_types", "at most " + std::to_string(kMaxTypes) + " event types", field);
  }
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (!known_event_type_pattern(types[i])) {
      std::string known;
      for (std::string_view t : kEventTypes) known += (known.empty() ? "" : ", ") + std::string(t);
      return make_problem(400, "invalid_event_type",
                          "'" + types[i] + "' is not an event type or a 'prefix.*' of one (types: " + known + ")",
                          field);
    }
  }
  return types;
}

void write_webhook(JsonWriter& w, const store::WebhookRecord& h, bool with_secret) {
  w.begin_object().field("id", h.id).field("url", h.url).key("types").begin_array();
  for (const auto& t : h.types) w.str(t);
  w.end_array();
  if (with_secret) w.field("secret", h.secret);
  w.field_num("cursor", h.cursor).field_num("failures", h.failures).field("last_error", h.last_error);
  w.key("last_attempt_at");
  if (h.last_attempt_at) write_time(w, *h.last_attempt_at);
  else w.null();
  w.key("created_at");
  write_time(w, h.created_at);
  w.end_object();
}

}  // namespace events_api_detail

ApiResult<http::Response> h_events_list(Env& env, Call& call) {
  namespace d = events_api_detail;
  ESIMO_TRY(auto q, QueryReader::make(call.req.query, "type*", true));
  std::int64_t after = 0;
  const std::string& a = q.page().after;
  if (!a.empty()) {
    auto [p, ec] = std::from_chars(a.data(), a.data() + a.size(), after);
    if (ec != std::errc() || p != a.data() + a.size() || after < 0) {
      return make_problem(400, "invalid_after", "after must be an event seq (a non-negative integer)", "after");
    }
  }
  ESIMO_TRY(auto types, d::read_types(q.all("type"), "type"));
  ESIMO_TRY(auto events, env.ctx.store.list_events(call.tenant(), after, q.page().limit + 1, types));
  store::PageOf<store::EventRecord> page;
  for (auto& e : events) {
    if (page.items.size() == q.page().limit) {
      page.next_after = std::to_string(page.items.back().seq);
      break;
    }
    page.items.push_back(std::move(e));
  }
  return page_response(page, [](JsonWriter& w, const store::EventRecord& e) { w.raw(event_json(e)); }, q, env, call);
}

ApiResult<http::Response> h_webhooks_create(Env& env, Call& call) {
  namespace d = events_api_detail;
  ESIMO_TRY(auto body, parse_json(call.req.body));
  ESIMO_TRY(auto rd, ObjectReader::make(body, ""));
  store::WebhookRecord h;
  h.tenant_id = call.tenant();
  ESIMO_TRY(h.url, rd.req_string("url"));
  if (!(h.url.starts_with("http://") || h.url.starts_with("https://")) || h.url.size() > 2048) {
    return make_problem(400, "invalid_url", "url must be an http:// or https:// URL of at most 2048 bytes", "url");
  }
  ESIMO_TRY(auto types, rd.opt_string_array("types"));
  if (types) {
    ESIMO_TRY(h.types, d::read_types(*types, "types"));
  }
  ESIMO_TRY(auto secret, rd.opt_string("secret"));
  if (secret) {
    if (secret->size() < 16 || secret->size() > 256) {
      return make_problem(400, "invalid_secret", "secret must be 16..256 bytes", "secret");
    }
    h.secret = *secret;
  } else {
    h.secret = "whsec_" + crypto::random_alnum(32);
  }
  ESIMO_CHECK(rd.finish());
  // Only events appended from now on: a new subscription does not replay history (GET /v1/events does).
  ESIMO_TRY(h.cursor, env.ctx.store.last_event_seq());
  h.id = "whk_" + crypto::random_alnum(16);
  h.created_at = env.ctx.clock.now();
  ESIMO_CHECK(env.ctx.store.create_webhook(h));
  JsonWriter w;
  d::write_webhook(w, h, true);
  auto resp = json_response(201, w.take());
  resp.set_header("location", "/v1/webhooks/" + h.id);
  return resp;
}

ApiResult<http::Response> h_webhooks_list(Env& env, Call& call) {
  ESIMO_TRY(auto q, QueryReader::make(call.req.query, "", true));
  ESIMO_TRY(auto page, env.ctx.store.list_webhooks(call.tenant(), q.page()));
  return page_response(
      page, [](JsonWriter& w, const store::WebhookRecord& h) { events_api_detail::write_webhook(w, h, false); }, q, env,
      call);
}

ApiResult<http::Response> h_webhook_get(Env& env, Call& call) {
  ESIMO_TRY(auto h, env.ctx.store.get_webhook(call.tenant(), call.params[0]));
  JsonWriter w;
  events_api_detail::write_webhook(w, h, false);
  return json_response(200, w.take());
}

ApiResult<http::Response> h_webhook_delete(Env& env, Call& call) {
  ESIMO_CHECK(env.ctx.store.delete_webhook(call.tenant(), call.params[0]));
  return no_content();
}

const char* events_openapi_schemas() {
  return R"json({
  "Event": {"type": "object", "required": ["id", "seq", "type", "subject", "time", "data"],
    "properties": {"id": {"type": "string", "description": "evt_<seq>: the receiver's deduplication key"},
      "seq": {"type": "integer", "description": "increasing; GET /v1/events?after=<seq> continues from it"},
      "type": {"enum": ["outage.declared", "outage.updated", "outage.resolved", "carrier.status_changed"]},
      "subject": {"type": "string", "description": "the resource: outages/<id> or carriers/<id>"},
      "time": {"type": "string", "format": "date-time"},
      "data": {"type": "object", "description": "the resource as its GET shows it (Outage or CarrierStatus)"}}},
  "WebhookCreate": {"type": "object", "required": ["url"], "additionalProperties": false,
    "properties": {"url": {"type": "string", "description": "http:// or https://"},
      "types": {"type": "array", "items": {"type": "string"}, "description": "event types or prefix.*; empty or absent: all"},
      "secret": {"type": "string", "minLength": 16, "maxLength": 256, "description": "HMAC key; generated when absent"}}},
  "Webhook": {"type": "object",
    "properties": {"id": {"type": "string"}, "url": {"type": "string"},
      "types": {"type": "array", "items": {"type": "string"}},
      "secret": {"type": "string", "description": "only in the answer to POST /v1/webhooks"},
      "cursor": {"type": "integer", "description": "seq of the last event delivered or passed"},
      "failures": {"type": "integer", "description": "consecutive failed attempts"},
      "last_error": {"type": "string"},
      "last_attempt_at": {"type": ["string", "null"], "format": "date-time"},
      "created_at": {"type": "string", "format": "date-time"}}}
})json";
}

}  // namespace esimo::api
