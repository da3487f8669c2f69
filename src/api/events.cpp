// Events (their JSON and types) and the webhook dispatcher. See events.hpp.
#include "api/events.hpp"

#include <algorithm>

#include "api/codec.hpp"
#include "api/json_io.hpp"
#include "base/log.hpp"
#include "crypto/digest.hpp"
#include "net/http_client.hpp"

namespace esimo::api {

namespace events_detail {

void write_opt_time_field(JsonWriter& w, std::string_view key, const std::optional<TimePoint>& t) {
  w.key(key);
  if (t) write_time(w, *t);
  else w.null();
}

std::int64_t unix_seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

bool matches(const std::vector<std::string>& patterns, std::string_view type) {
  if (patterns.empty()) return true;
  for (const auto& p : patterns) {
    if (p.size() >= 2 && p.ends_with(".*")) {
      if (type.starts_with(std::string_view(p).substr(0, p.size() - 1))) return true;
    } else if (p == type) {
      return true;
    }
  }
  return false;
}

std::string key_of(const store::WebhookRecord& h) { return std::to_string(h.tenant_id) + "/" + h.id; }

}  // namespace events_detail

bool known_event_type_pattern(std::string_view pattern) {
  for (std::string_view t : kEventTypes) {
    if (t == pattern) return true;
    if (pattern.size() >= 2 && pattern.ends_with(".*") && t.starts_with(pattern.substr(0, pattern.size() - 1))) {
      return true;
    }
  }
  return false;
}

std::string outage_json(const store::OutageRecord& o) {
  JsonWriter w;
  w.begin_object().field("id", o.id).field("carrier", o.carrier_id).key("country");
  if (o.country) w.str(o.country->str());
  else w.null();
  w.field("source", o.source).field("state", o.state).field("detail", o.detail);
  w.field_num("affected_devices", o.affected_devices).key("started_at");
  write_time(w, o.started_at);
  events_detail::write_opt_time_field(w, "ended_at", o.ended_at);
  w.key("updated_at");
  write_time(w, o.updated_at);
  w.end_object();
  return w.take();
}

store::EventRecord outage_event(const store::OutageRecord& o, const store::OutageRecord* previous) {
  store::EventRecord e;
  e.tenant_id = o.tenant_id;
  if (previous == nullptr) e.type = "outage.declared";
  else if (o.state == "resolved" && previous->state != "resolved") e.type = "outage.resolved";
  else e.type = "outage.updated";
  e.subject = "outages/" + o.id;
  e.data_json = outage_json(o);
  e.occurred_at = o.updated_at;
  return e;
}

std::string carrier_status_json(const store::CarrierStatusRecord& s) {
  JsonWriter w;
  w.begin_object().field("carrier", s.carrier_id).field("state", domain::to_string(s.state)).key("countries");
  w.begin_array();
  for (const auto& c : s.countries) w.str(c.str());
  w.end_array().field("note", s.note).key("updated_at");
  write_time(w, s.updated_at);
  w.end_object();
  return w.take();
}

store::EventRecord carrier_status_event(const store::CarrierStatusRecord& s) {
  store::EventRecord e;
  e.tenant_id = s.tenant_id;
  e.type = "carrier.status_changed";
  e.subject = "carriers/" + s.carrier_id;
  e.data_json = carrier_status_json(s);
  e.occurred_at = s.updated_at;
  return e;
}

std::string event_json(const store::EventRecord& e) {
  JsonWriter w;
  w.begin_object().field("id", "evt_" + std::to_string(e.seq)).field_num("seq", e.seq).field("type", e.type);
  w.field("subject", e.subject).key("time");
  write_time(w, e.occurred_at);
  w.key("data").raw(e.data_json).end_object();
  return w.take();
}

std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
  const std::string t = std::to_string(unix_seconds);
  std::string signed_text;
  signed_text.reserve(t.size() + 1 + body.size());
  signed_text.append(t).push_back('.');
  signed_text.append(body);
  const auto mac = crypto::hmac_sha256(as_bytes(secret), as_bytes(signed_text));
  return "t=" + t + ",v1=" + to_hex(mac);
}

// ---- the dispatcher

struct WebhookDispatcher::Connection {
  std::string url;  // the webhook URL this connection was made for
  std::string target;
  std::unique_ptr<net::HttpClient> client;
};

WebhookDispatcher::WebhookDispatcher(store::Store& store, const Clock& clock, metrics::Registry& metrics,
                                     WebhookOptions options)
    : store_(store), clock_(clock), metrics_(metrics), options_(std::move(options)) {}

WebhookDispatcher::~WebhookDispatcher() { stop(); }

void WebhookDispatcher::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock lk(mu_);
    while (!stopping_) {
      lk.unlock();
      run_once();
      lk.lock();
      cv_.wait_for(lk, options_.poll_interval, [this] { return stopping_; });
    }
  });
}

void WebhookDispatcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::size_t WebhookDispatcher::run_once() {
  auto hooks = store_.list_all_webhooks();
  if (!hooks) {
    log::warn("webhooks: cannot list subscriptions", {{"error", hooks.error().message}});
    return 0;
  }
  // Forget connections and retry times of deleted webhooks.
  std::map<std::string, bool> live;
  for (const auto& h : *hooks) live[events_detail::key_of(h)] = true;
  std::erase_if(connections_, [&](const auto& kv) { return !live.contains(kv.first); });
  std::erase_if(retry_at_, [&](const auto& kv) { return !live.contains(kv.first); });

  std::size_t delivered = 0;
  const auto now = std::chrono::steady_clock::now();
  if (now >= next_prune_) {
    next_prune_ = now + options_.prune_every;
    if (auto n = store_.prune_events(clock_.now() - options_.retention); !n) {
      log::warn("webhooks: cannot prune events", {{"error", n.error().message}});
    } else if (*n > 0) {
      log::info("events pruned", {{"count", *n}});
    }
  }
  for (const auto& h : *hooks) {
    auto it = retry_at_.find(events_detail::key_of(h));
    if (it != retry_at_.end() && now < it->second) continue;
    delivered += deliver(h);
  }
  return delivered;
}

std::size_t WebhookDispatcher::deliver(const store::WebhookRecord& hook) {
  const std::string key = events_detail::key_of(hook);
  auto events = store_.list_events(hook.tenant_id, hook.cursor, options_.batch, {});
  if (!events) {
    log::warn("webhooks: cannot read events", {{"webhook", hook.id}, {"error", events.error().message}});
    return 0;
  }
  if (events->empty()) return 0;

  store::WebhookRecord next = hook;
  std::size_t delivered = 0;
  std::string error;
  for (const auto& e : *events) {
    if (!events_detail::matches(hook.types, e.type)) {
      next.cursor = e.seq;  // not subscribed: passed without a request
      continue;
    }
    auto& conn = connections_[key];
    if (!conn || conn->url != hook.url) {
      conn = std::make_unique<Connection>();
      conn->url = hook.url;
    }
    if (!conn->client) {
      auto parts = net::parse_url(hook.url);
      if (!parts) {
        error = "bad url: " + parts.error().message;
        break;
      }
      net::ClientOptions co;
      co.tls = parts->tls;
      co.ca_file = options_.ca_file;
      co.timeout = options_.timeout;
      auto client = net::HttpClient::connect(parts->host, parts->port, co);
      if (!client) {
        error = "connect: " + client.error().message;
        break;
      }
      conn->client = std::move(*client);
      conn->target = parts->prefix.empty() ? "/" : parts->prefix;
    }
    const std::string body = event_json(e);
    const auto t = events_detail::unix_seconds(clock_.now());
    std::vector<http::Header> headers = {{"Esimo-Event-Id", "evt_" + std::to_string(e.seq)},
                                         {"Esimo-Event-Type", e.type},
                                         {"Esimo-Signature", webhook_signature(hook.secret, t, body)},
                                         {"User-Agent", "esimo-webhooks/1"}};
    auto resp = conn->client->request(http::Method::post, conn->target, std::move(headers), body, "application/json");
    if (!resp) {
      error = resp.error().message;
      conn->client.reset();  // reconnect next time
      break;
    }
    if (resp->status < 200 || resp->status > 299) {
      error = "HTTP " + std::to_string(resp->status);
      break;
    }
    next.cursor = e.seq;
    ++delivered;
  }

  const bool failed = !error.empty();
  metrics_.counter("esimo_webhook_deliveries_total", "Webhook event deliveries", {{"result", "ok"}})
      .inc(delivered);
  if (failed) {
    metrics_.counter("esimo_webhook_deliveries_total", "Webhook event deliveries", {{"result", "error"}}).inc();
    next.failures = hook.failures + 1;
    next.last_error = error.substr(0, 500);
    const auto shift = std::min<std::int64_t>(next.failures - 1, 20);
    const auto delay = std::min<std::chrono::seconds>(std::chrono::seconds(std::int64_t{1} << shift), options_.max_backoff);
    retry_at_[key] = std::chrono::steady_clock::now() + delay;
    log::warn("webhook delivery failed", {{"webhook", hook.id},
                                          {"url", hook.url},
                                          {"error", next.last_error},
                                          {"failures", next.failures},
                                          {"retry_in_s", static_cast<std::int64_t>(delay.count())}});
  } else {
    next.failures = 0;
    next.last_error.clear();
    retry_at_.erase(key);
  }
  if (next.cursor == hook.cursor && next.failures == hook.failures && next.last_error == hook.last_error) {
    return delivered;
  }
  next.last_attempt_at = clock_.now();
  if (auto st = store_.record_webhook_attempt(next, hook.cursor); !st.ok()) {
    // Deleted or recreated meanwhile: the next pass reads it afresh.
    log::info("webhook cursor not stored", {{"webhook", hook.id}, {"error", st.error().message}});
  }
  return delivered;
}

}  // namespace esimo::api
