#pragma once
// Events and webhooks (docs/api.md "Events and webhooks"): what esimo tells the outside world happened, in order.
// Events are appended to the store with the change they report (one transaction); GET /v1/events reads them; the
// WebhookDispatcher POSTs them to each subscription, signed, at least once, in order.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.hpp"
#include "base/metrics.hpp"
#include "store/store.hpp"

namespace esimo::api {

// Every event type esimo emits. A webhook or a GET /v1/events filter names these, or "prefix.*" of them.
inline constexpr std::string_view kEventTypes[] = {"outage.declared", "outage.updated", "outage.resolved",
                                                   "carrier.status_changed"};
bool known_event_type_pattern(std::string_view pattern);

// The outage as GET /v1/outages/{id} shows it, and its event: "outage.declared" when `previous` is none (first
// stored), "outage.resolved" when it has just become resolved, else "outage.updated".
std::string outage_json(const store::OutageRecord& o);
store::EventRecord outage_event(const store::OutageRecord& o, const store::OutageRecord* previous);
std::string carrier_status_json(const store::CarrierStatusRecord& s);
store::EventRecord carrier_status_event(const store::CarrierStatusRecord& s);

// The JSON body POSTed for one event (also one item of GET /v1/events):
// {"id":"evt_<seq>","seq":N,"type":"...","subject":"...","time":"<RFC 3339>","data":{...}}
std::string event_json(const store::EventRecord& e);
// The Esimo-Signature header value: "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds, std::string_view body);

struct WebhookOptions {
  std::chrono::milliseconds poll_interval{250};  // how often the dispatcher looks for new events
  std::chrono::milliseconds timeout{5000};       // per delivery request (connect, write, read)
  std::chrono::seconds max_backoff{600};         // retry delay after failures: 1 s, 2 s, 4 s, ... up to this
  std::size_t batch = 100;                       // events read per webhook per pass
  std::string ca_file;                           // PEM bundle for https:// receivers; empty: the system store
  std::chrono::hours retention{24 * 30};         // events older than this that every webhook has passed are pruned
  std::chrono::minutes prune_every{60};
};

// Delivers events to webhooks: one thread, one keep-alive connection per webhook, in seq order; a webhook that fails
// waits (exponential backoff) and is retried from its cursor, so delivery is at least once (a receiver deduplicates on
// the event id). The cursor is stored after each delivered batch.
class WebhookDispatcher {
 public:
  WebhookDispatcher(store::Store& store, const Clock& clock, metrics::Registry& metrics, WebhookOptions options = {});
  ~WebhookDispatcher();
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  void start();  // the delivery thread
  void stop();   // waits for the thread; idempotent
  // One pass over every webhook whose retry time has come; returns the events delivered. start() calls it in a loop;
  // tests may call it directly instead.
  std::size_t run_once();

  struct Connection;

 private:
  std::size_t deliver(const store::WebhookRecord& hook);

  store::Store& store_;
  const Clock& clock_;
  metrics::Registry& metrics_;
  WebhookOptions options_;
  std::map<std::string, std::unique_ptr<Connection>> connections_;  // by tenant/id; the delivery thread's own
  std::map<std::string, std::chrono::steady_clock::time_point> retry_at_;
  std::chrono::steady_clock::time_point next_prune_{};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace esimo::api
