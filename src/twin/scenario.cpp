// Scenario files: TOML -> a validated Scenario (see scenario.hpp and docs/twin.md "Scenarios").
#include "twin/scenario.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace esimo::twin {
namespace scenario_detail {

using Fields = std::map<std::string, const toml::node*, std::less<>>;

constexpr std::size_t kMaxTables = 10000;  // [[networks.override]], [[events]], [[compliance]] each
constexpr std::size_t kMaxGroups = 1000;   // DeviceSpec::group is 16 bits; a thousand groups is plenty
using Weights = std::vector<std::pair<domain::CountryCode, double>>;

int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

// Reads one scenario file: every error is "source:line: reason" with the dotted key as Error::field.
class Reader {
 public:
  Reader(std::string_view source, const CarrierCatalog& catalog) : source_(source), catalog_(catalog) {}

  Error fail(int line, std::string_view key, std::string_view what) const {
    std::string msg(source_);
    if (line > 0) msg += ":" + std::to_string(line);
    msg += ": ";
    msg += what;
    return Error(Errc::invalid_argument, std::move(msg), std::string(key));
  }
  Error fail(const toml::node& n, std::string_view key, std::string_view what) const {
    return fail(line_of(n), key, what);
  }

  // The table's keys, each checked against `known`; an unknown one is refused at its line.
  Result<Fields> fields(const toml::table& t, const std::string& prefix,
                        std::initializer_list<std::string_view> known) {
    Fields out;
    for (auto&& [k, node] : t) {
      const std::string key(k.str());
      const std::string full = prefix.empty() ? key : prefix + "." + key;
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (auto it = known.begin(); it != known.end(); ++it)
          list += (it == known.begin() ? "" : ", ") + std::string(*it);
        return fail(node, full, "unknown key '" + full + "' (known here: " + list + ")");
      }
      out.emplace(key, &node);
    }
    return out;
  }

  // Bounds that keep the model's tables small (the network model indexes its parameter sets in 16 bits).
  Status check_count(const toml::array& a, const std::string& key, std::size_t max) const {
    if (a.size() <= max) return ok_status();
    return fail(a[max], key, "more than " + std::to_string(max) + " [[" + key + "]] tables");
  }

  Result<const toml::table*> table(const toml::node& n, const std::string& key) const {
    if (const auto* t = n.as_table()) return t;
    return fail(n, key, "'" + key + "' must be a table");
  }

  Result<std::string> string(const toml::node& n, const std::string& key) const {
    if (const auto* s = n.as_string()) return s->get();
    return fail(n, key, "'" + key + "' must be a string");
  }

  Result<bool> boolean(const toml::node& n, const std::string& key) const {
    if (const auto* b = n.as_boolean()) return b->get();
    return fail(n, key, "'" + key + "' must be true or false");
  }

  Result<double> number(const toml::node& n, const std::string& key, double lo, double hi) const {
    double v = 0;
    if (const auto* i = n.as_integer()) {
      v = static_cast<double>(i->get());
    } else if (const auto* f = n.as_floating_point()) {
      v = f->get();
    } else {
      return fail(n, key, "'" + key + "' must be a number");
    }
    if (!std::isfinite(v) || v < lo || v > hi) {
      return fail(n, key, "'" + key + "' = " + fmt(v) + " is outside " + fmt(lo) + ".." + fmt(hi));
    }
    return v;
  }

  Result<std::uint64_t> uint(const toml::node& n, const std::string& key, std::uint64_t lo, std::uint64_t hi) const {
    const auto* i = n.as_integer();
    if (i == nullptr || i->get() < 0) return fail(n, key, "'" + key + "' must be a non-negative integer");
    const auto v = static_cast<std::uint64_t>(i->get());
    if (v < lo || v > hi) {
      return fail(
          n, key,
          "'" + key + "' = " + std::to_string(v) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
    }
    return v;
  }

  // A duration: "15m", "1h30m", or an integer number of seconds. Must be > 0 unless zero_ok.
  Result<SimTime> duration(const toml::node& n, const std::string& key, bool zero_ok = false) const {
    SimTime d{};
    if (const auto* i = n.as_integer()) {
      if (i->get() < 0) return fail(n, key, "'" + key + "' must not be negative");
      d = std::chrono::seconds(i->get());
    } else if (const auto* s = n.as_string()) {
      auto p = parse_sim_duration(s->get());
      if (!p.ok()) return fail(n, key, key + ": " + p.error().message);
      d = *p;
    } else {
      return fail(n, key, "'" + key + "' must be a duration such as \"15m\" or \"1h30m\" (or seconds)");
    }
    if (!zero_ok && d <= SimTime::zero()) return fail(n, key, "'" + key + "' must be longer than 0s");
    return d;
  }

  Result<TimePoint> time_point(const toml::node& n, const std::string& key) const {
    if (const auto* dt = n.as_date_time()) {
      const auto& v = dt->get();
      if (!v.offset) return fail(n, key, "'" + key + "' needs a UTC offset (e.g. 2027-01-01T00:00:00Z)");
      const auto days = std::chrono::sys_days(std::chrono::year(v.date.year) / v.date.month / v.date.day);
      auto t = std::chrono::time_point_cast<Duration>(days) + std::chrono::hours(v.time.hour) +
               std::chrono::minutes(v.time.minute) + std::chrono::seconds(v.time.second) +
               std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(v.time.nanosecond)) -
               std::chrono::minutes(v.offset->minutes);
      return TimePoint(t.time_since_epoch());
    }
    if (const auto* s = n.as_string()) {
      if (auto t = parse_rfc3339(s->get())) return *t;
    }
    return fail(n, key, "'" + key + "' must be an RFC 3339 date-time such as 2027-01-01T00:00:00Z");
  }

  // An instant of the scenario: an offset from its start ("2h") or an absolute date-time.
  Result<SimTime> instant(const toml::node& n, const std::string& key, TimePoint start) const {
    if (n.is_date_time() || (n.is_string() && parse_rfc3339(n.as_string()->get()))) {
      ESIMO_TRY(TimePoint t, time_point(n, key));
      return std::chrono::duration_cast<SimTime>(t - start);
    }
    return duration(n, key, true);
  }

  Result<domain::CountryCode> country(const toml::node& n, const std::string& key) const {
    ESIMO_TRY(std::string s, string(n, key));
    return country_text(n, key, s);
  }
  Result<domain::CountryCode> country_text(const toml::node& n, const std::string& key, std::string_view s) const {
    auto c = domain::CountryCode::parse(s);
    if (!c.ok()) return fail(n, key, key + ": " + c.error().message);
    return *c;
  }

  Result<CarrierIndex> carrier(const toml::node& n, const std::string& key, const domain::CountryCode& country) const {
    ESIMO_TRY(std::string s, string(n, key));
    auto c = catalog_.resolve(s, country);
    if (!c.ok()) return fail(n, key, key + ": " + c.error().message);
    return *c;
  }

  // { amount = "0.01", currency = "EUR" } or "0.01 EUR".
  Result<domain::Money> money(const toml::node& n, const std::string& key) {
    std::string amount, currency;
    if (const auto* s = n.as_string()) {
      const auto& text = s->get();
      const auto sp = text.find(' ');
      if (sp == std::string::npos)
        return fail(n, key, "'" + key + "' must be \"AMOUNT CURRENCY\" such as \"0.01 EUR\"");
      amount = text.substr(0, sp);
      currency = text.substr(sp + 1);
    } else if (const auto* t = n.as_table()) {
      ESIMO_TRY(Fields f, fields(*t, key, {"amount", "currency"}));
      if (!f.count("amount") || !f.count("currency")) return fail(n, key, "'" + key + "' needs amount and currency");
      const toml::node& a = *f["amount"];
      if (a.is_string()) {
        amount = a.as_string()->get();
      } else {
        return fail(a, key + ".amount", "'" + key + ".amount' must be a decimal string such as \"0.0125\"");
      }
      ESIMO_TRY(currency, string(*f["currency"], key + ".currency"));
    } else {
      return fail(n, key, "'" + key + "' must be \"0.01 EUR\" or { amount = \"0.01\", currency = \"EUR\" }");
    }
    auto m = domain::Money::parse(amount, currency);
    if (!m.ok()) return fail(n, key, key + ": " + m.error().message);
    if (m->micros < 0) return fail(n, key, "'" + key + "' must not be negative");
    // One currency per scenario: the KPIs add prices up.
    if (!currency_) {
      currency_ = m->currency;
      currency_key_ = key;
      currency_line_ = line_of(n);
    } else if (*currency_ != m->currency) {
      return fail(n, key,
                  "'" + key + "' is in " + m->currency.str() + " but '" + currency_key_ + "' (line " +
                      std::to_string(currency_line_) + ") is in " + currency_->str() +
                      ": a scenario prices everything in one currency");
    }
    return *m;
  }

  // After the whole file: prices the file did not set come from the built-in defaults (EUR).
  Status check_default_currency(const NetworkParams& defaults) const {
    if (!currency_) return ok_status();
    for (const auto* m : {&defaults.price_per_mb, &defaults.monthly_fee}) {
      if (m->currency != *currency_) {
        return fail(currency_line_, currency_key_,
                    "prices are in " + currency_->str() + " but the built-in default " +
                        (m == &defaults.price_per_mb ? "price_per_mb" : "monthly_fee") + " is in " +
                        m->currency.str() + ": set it in [networks.defaults] in " + currency_->str());
      }
    }
    return ok_status();
  }

  Result<NormalDist> normal(const toml::node& n, const std::string& key, double lo, double hi) {
    ESIMO_TRY(const toml::table* t, table(n, key));
    ESIMO_TRY(Fields f, fields(*t, key, {"mean", "sd"}));
    if (!f.count("mean") || !f.count("sd")) return fail(n, key, "'" + key + "' needs mean and sd");
    NormalDist d;
    ESIMO_TRY(d.mean, number(*f["mean"], key + ".mean", lo, hi));
    ESIMO_TRY(d.sd, number(*f["sd"], key + ".sd", 0, hi - lo));
    return d;
  }

  Result<LatencyDist> latency(const toml::node& n, const std::string& key) {
    ESIMO_TRY(const toml::table* t, table(n, key));
    ESIMO_TRY(Fields f, fields(*t, key, {"p50", "p95"}));
    if (!f.count("p50") || !f.count("p95")) return fail(n, key, "'" + key + "' needs p50 and p95 (milliseconds)");
    LatencyDist d;
    ESIMO_TRY(d.p50_ms, number(*f["p50"], key + ".p50", 0.001, 600000));
    ESIMO_TRY(d.p95_ms, number(*f["p95"], key + ".p95", 0.001, 600000));
    if (d.p95_ms < d.p50_ms) return fail(n, key, "'" + key + "': p95 must not be below p50");
    return d;
  }

  // { DE = 3, FR = 1 } or ["DE", "FR"] (equal weights).
  Result<Weights> weights(const toml::node& n, const std::string& key) {
    Weights out;
    if (const auto* a = n.as_array()) {
      for (const auto& item : *a) {
        ESIMO_TRY(auto c, country(item, key));
        out.emplace_back(c, 1.0);
      }
    } else if (const auto* t = n.as_table()) {
      for (auto&& [k, v] : *t) {
        const std::string full = key + "." + std::string(k.str());
        ESIMO_TRY(auto c, country_text(v, full, k.str()));
        ESIMO_TRY(double w, number(v, full, 0, 1e9));
        if (w > 0) out.emplace_back(c, w);
      }
    } else {
      return fail(n, key, "'" + key + "' must be a list of countries or a table of weights { DE = 3, FR = 1 }");
    }
    if (out.empty()) return fail(n, key, "'" + key + "' names no country (with a weight above 0)");
    for (std::size_t i = 0; i < out.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (out[i].first == out[j].first) return fail(n, key, "'" + key + "' names " + out[i].first.str() + " twice");
      }
    }
    return out;
  }

  static std::string fmt(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
  }

  const CarrierCatalog& catalog() const { return catalog_; }
  std::string_view source() const { return source_; }

 private:
  std::string source_;
  const CarrierCatalog& catalog_;
  std::optional<domain::Currency> currency_;  // of the first price in the file
  std::string currency_key_;
  int currency_line_ = 0;
};

// ------------------------------------------------------------------------------------------------- networks

Result<NetworkLayer> read_layer(Reader& r, const Fields& f, const std::string& prefix) {
  NetworkLayer l;
  auto key = [&](const char* k) { return prefix + "." + k; };
  for (const auto& [k, node] : f) {
    const toml::node& n = *node;
    if (k == "coverage") {
      ESIMO_TRY(l.coverage, r.number(n, key("coverage"), 0, 1));
    } else if (k == "attach_success") {
      ESIMO_TRY(l.attach_success, r.number(n, key("attach_success"), 0, 1));
    } else if (k == "rsrp") {
      ESIMO_TRY(l.rsrp, r.normal(n, key("rsrp"), -140, -44));
    } else if (k == "rsrq") {
      ESIMO_TRY(l.rsrq, r.normal(n, key("rsrq"), -20, -3));
    } else if (k == "sinr") {
      ESIMO_TRY(l.sinr, r.normal(n, key("sinr"), -10, 30));
    } else if (k == "latency_ms") {
      ESIMO_TRY(l.latency, r.latency(n, key("latency_ms")));
    } else if (k == "price_per_mb") {
      ESIMO_TRY(l.price_per_mb, r.money(n, key("price_per_mb")));
    } else if (k == "monthly_fee") {
      ESIMO_TRY(l.monthly_fee, r.money(n, key("monthly_fee")));
    }
  }
  return l;
}

#define ESIMO_SCENARIO_LAYER_KEYS \
  "coverage", "attach_success", "rsrp", "rsrq", "sinr", "latency_ms", "price_per_mb", "monthly_fee"

// Optional `carrier` (+ `carrier_country` to name a foreign carrier) resolved for `country`.
Result<CarrierIndex> read_carrier_ref(Reader& r, const Fields& f, const std::string& prefix,
                                      const domain::CountryCode& country) {
  auto it = f.find("carrier");
  if (it == f.end()) {
    if (auto cc = f.find("carrier_country"); cc != f.end()) {
      return r.fail(*cc->second, prefix + ".carrier_country", "'" + prefix + ".carrier_country' needs 'carrier'");
    }
    return kNoCarrier;
  }
  domain::CountryCode in = country;
  if (auto cc = f.find("carrier_country"); cc != f.end()) {
    ESIMO_TRY(in, r.country(*cc->second, prefix + ".carrier_country"));
  }
  return r.carrier(*it->second, prefix + ".carrier", in);
}

Status read_networks(Reader& r, const toml::table& t, Scenario& s) {
  ESIMO_TRY(Fields f, r.fields(t, "networks", {"defaults", "roaming", "override"}));
  if (auto it = f.find("defaults"); it != f.end()) {
    ESIMO_TRY(const toml::table* d, r.table(*it->second, "networks.defaults"));
    ESIMO_TRY(Fields df, r.fields(*d, "networks.defaults", {ESIMO_SCENARIO_LAYER_KEYS}));
    ESIMO_TRY(NetworkLayer l, read_layer(r, df, "networks.defaults"));
    l.apply_to(s.networks.defaults);
  }
  if (auto it = f.find("roaming"); it != f.end()) {
    ESIMO_TRY(const toml::table* d, r.table(*it->second, "networks.roaming"));
    ESIMO_TRY(Fields df, r.fields(*d, "networks.roaming", {ESIMO_SCENARIO_LAYER_KEYS}));
    ESIMO_TRY(s.networks.roaming, read_layer(r, df, "networks.roaming"));
  }
  if (auto it = f.find("override"); it != f.end()) {
    const auto* arr = it->second->as_array();
    if (arr == nullptr) return r.fail(*it->second, "networks.override", "use [[networks.override]] tables");
    ESIMO_CHECK(r.check_count(*arr, "networks.override", kMaxTables));
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const std::string prefix = "networks.override[" + std::to_string(i) + "]";
      ESIMO_TRY(const toml::table* ot, r.table((*arr)[i], prefix));
      ESIMO_TRY(Fields of, r.fields(*ot, prefix, {"country", "carrier", "carrier_country", ESIMO_SCENARIO_LAYER_KEYS}));
      if (!of.count("country")) return r.fail((*arr)[i], prefix, "'" + prefix + "' needs 'country'");
      NetworkOverride o;
      o.line = line_of((*arr)[i]);
      ESIMO_TRY(o.country, r.country(*of["country"], prefix + ".country"));
      ESIMO_TRY(o.carrier, read_carrier_ref(r, of, prefix, o.country));
      of.erase("country");
      of.erase("carrier");
      of.erase("carrier_country");
      ESIMO_TRY(o.layer, read_layer(r, of, prefix));
      s.networks.overrides.push_back(std::move(o));
    }
  }
  return ok_status();
}

// ------------------------------------------------------------------------------------------------- events

Result<EventKind> parse_event_kind(std::string_view s) {
  for (auto k : {EventKind::outage, EventKind::degradation, EventKind::latency_spike, EventKind::price_change,
                 EventKind::recovery}) {
    if (to_string(k) == s) return k;
  }
  return Error(Errc::invalid_argument, "unknown event kind '" + std::string(s) +
                                           "' (outage, degradation, latency_spike, price_change, recovery)");
}

Status read_events(Reader& r, const toml::node& node, Scenario& s) {
  const auto* arr = node.as_array();
  if (arr == nullptr) return r.fail(node, "events", "use [[events]] tables");
  ESIMO_CHECK(r.check_count(*arr, "events", kMaxTables));
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const std::string prefix = "events[" + std::to_string(i) + "]";
    const toml::node& en = (*arr)[i];
    ESIMO_TRY(const toml::table* et, r.table(en, prefix));
    ESIMO_TRY(Fields f, r.fields(*et, prefix,
                                 {"kind", "carrier", "carrier_country", "country", "start", "end", "duration", "label",
                                  "coverage", "attach_success", "signal_shift_db", "latency_factor", "latency_add_ms",
                                  "price_per_mb", "monthly_fee"}));
    NetworkEvent e;
    e.line = line_of(en);
    auto need = [&](const char* k) -> Status {
      if (!f.count(k)) return r.fail(en, prefix + "." + k, "'" + prefix + "' needs '" + k + "'");
      return ok_status();
    };
    ESIMO_CHECK(need("kind"));
    ESIMO_CHECK(need("country"));
    ESIMO_CHECK(need("start"));
    {
      ESIMO_TRY(std::string k, r.string(*f["kind"], prefix + ".kind"));
      auto kind = parse_event_kind(k);
      if (!kind.ok()) return r.fail(*f["kind"], prefix + ".kind", prefix + ".kind: " + kind.error().message);
      e.kind = *kind;
    }
    ESIMO_TRY(e.country, r.country(*f["country"], prefix + ".country"));
    ESIMO_TRY(e.carrier, read_carrier_ref(r, f, prefix, e.country));
    ESIMO_TRY(e.start, r.instant(*f["start"], prefix + ".start", s.start));
    if (e.start < SimTime::zero() || e.start >= s.duration) {
      return r.fail(*f["start"], prefix + ".start",
                    prefix + ".start (" + format_sim_duration(e.start) + ") is outside the scenario (0s.." +
                        format_sim_duration(s.duration) + ")");
    }
    if (f.count("end") && f.count("duration")) {
      return r.fail(*f["duration"], prefix + ".duration", "'" + prefix + "' has both end and duration: give one");
    }
    e.end = s.duration;
    if (f.count("end")) {
      ESIMO_TRY(e.end, r.instant(*f["end"], prefix + ".end", s.start));
      if (e.end <= e.start) {
        return r.fail(*f["end"], prefix + ".end",
                      prefix + ".end (" + format_sim_duration(e.end) + ") is not after its start (" +
                          format_sim_duration(e.start) + ")");
      }
      if (e.end > s.duration) {
        return r.fail(*f["end"], prefix + ".end",
                      prefix + ".end (" + format_sim_duration(e.end) + ") is after the end of the scenario (" +
                          format_sim_duration(s.duration) + ")");
      }
    } else if (f.count("duration")) {
      ESIMO_TRY(SimTime d, r.duration(*f["duration"], prefix + ".duration"));
      e.end = e.start + d;
      if (e.end > s.duration) {
        return r.fail(*f["duration"], prefix + ".duration",
                      prefix + " ends at " + format_sim_duration(e.end) + ", after the end of the scenario (" +
                          format_sim_duration(s.duration) + ")");
      }
    }
    if (f.count("label")) {
      ESIMO_TRY(e.label, r.string(*f["label"], prefix + ".label"));
    }

    // Keys that belong to one kind only.
    auto only = [&](const char* k, std::initializer_list<EventKind> kinds) -> Status {
      if (!f.count(k)) return ok_status();
      if (std::find(kinds.begin(), kinds.end(), e.kind) != kinds.end()) return ok_status();
      return r.fail(*f[k], prefix + "." + k,
                    "'" + std::string(k) + "' does not apply to a " + std::string(to_string(e.kind)) + " event");
    };
    ESIMO_CHECK(only("coverage", {EventKind::degradation}));
    ESIMO_CHECK(only("attach_success", {EventKind::degradation}));
    ESIMO_CHECK(only("signal_shift_db", {EventKind::degradation}));
    ESIMO_CHECK(only("latency_factor", {EventKind::latency_spike, EventKind::degradation}));
    ESIMO_CHECK(only("latency_add_ms", {EventKind::latency_spike, EventKind::degradation}));
    ESIMO_CHECK(only("price_per_mb", {EventKind::price_change}));
    ESIMO_CHECK(only("monthly_fee", {EventKind::price_change}));
    if (e.kind == EventKind::recovery && (f.count("end") || f.count("duration"))) {
      const auto& k = f.count("end") ? "end" : "duration";
      return r.fail(*f[k], prefix + "." + k, "a recovery is an instant: give 'start' only");
    }
    if (f.count("coverage")) {
      ESIMO_TRY(e.coverage_factor, r.number(*f["coverage"], prefix + ".coverage", 0, 1));
    }
    if (f.count("attach_success")) {
      ESIMO_TRY(e.attach_success, r.number(*f["attach_success"], prefix + ".attach_success", 0, 1));
    }
    if (f.count("signal_shift_db")) {
      ESIMO_TRY(e.signal_shift_db, r.number(*f["signal_shift_db"], prefix + ".signal_shift_db", -60, 60));
    }
    if (f.count("latency_factor")) {
      ESIMO_TRY(e.latency_factor, r.number(*f["latency_factor"], prefix + ".latency_factor", 0.01, 1000));
    }
    if (f.count("latency_add_ms")) {
      ESIMO_TRY(e.latency_add_ms, r.number(*f["latency_add_ms"], prefix + ".latency_add_ms", 0, 600000));
    }
    if (f.count("price_per_mb")) {
      ESIMO_TRY(e.price_per_mb, r.money(*f["price_per_mb"], prefix + ".price_per_mb"));
    }
    if (f.count("monthly_fee")) {
      ESIMO_TRY(e.monthly_fee, r.money(*f["monthly_fee"], prefix + ".monthly_fee"));
    }
    if (e.kind == EventKind::price_change && !e.price_per_mb && !e.monthly_fee) {
      return r.fail(en, prefix, "'" + prefix + "' (price_change) needs price_per_mb and/or monthly_fee");
    }
    if (e.kind == EventKind::latency_spike && !f.count("latency_factor") && !f.count("latency_add_ms")) {
      return r.fail(en, prefix, "'" + prefix + "' (latency_spike) needs latency_factor and/or latency_add_ms");
    }
    if (e.kind == EventKind::degradation && !f.count("coverage") && !f.count("attach_success") &&
        !f.count("signal_shift_db") && !f.count("latency_factor") && !f.count("latency_add_ms")) {
      return r.fail(en, prefix,
                    "'" + prefix +
                        "' (degradation) changes nothing: give coverage, attach_success, "
                        "signal_shift_db or latency");
    }
    if (e.kind == EventKind::recovery) e.end = e.start;
    s.events.push_back(std::move(e));
  }
  std::stable_sort(s.events.begin(), s.events.end(),
                   [](const NetworkEvent& a, const NetworkEvent& b) { return a.start < b.start; });
  // A recovery ends what is still running on its network at its instant.
  for (const auto& rec : s.events) {
    if (rec.kind != EventKind::recovery) continue;
    bool ended = false;
    for (auto& e : s.events) {
      if (e.kind == EventKind::recovery || e.kind == EventKind::price_change) continue;
      if (e.country != rec.country || e.carrier != rec.carrier) continue;
      if (e.start < rec.start && e.end > rec.start) {
        e.end = rec.start;
        ended = true;
      }
    }
    if (!ended) {
      return r.fail(rec.line, "events",
                    "recovery at " + format_sim_duration(rec.start) +
                        " ends nothing: no outage, degradation or latency spike of that network runs then");
    }
  }
  return ok_status();
}

// ------------------------------------------------------------------------------------------------- fleet

struct GroupDefaults {
  unsigned profiles_min = 2;
  unsigned profiles_max = 3;
  SimTime poll_interval = std::chrono::minutes(15);
  double usage_mb_per_day = 5.0;
  std::uint8_t priority = 1;
  SimTime fallback_after = std::chrono::minutes(10);
  bool fallback = true;
};

Result<std::uint8_t> read_priority(Reader& r, const toml::node& n, const std::string& key) {
  if (n.is_integer()) {
    ESIMO_TRY(std::uint64_t v, r.uint(n, key, 0, 3));
    return static_cast<std::uint8_t>(v);
  }
  ESIMO_TRY(std::string s, r.string(n, key));
  static constexpr std::string_view kNames[] = {"low", "normal", "high", "critical"};
  for (std::size_t i = 0; i < 4; ++i) {
    if (s == kNames[i]) return static_cast<std::uint8_t>(i);
  }
  return r.fail(n, key, "'" + key + "' must be low, normal, high, critical (or 0..3)");
}

Status read_profiles_count(Reader& r, const toml::node& n, const std::string& key, unsigned& lo, unsigned& hi) {
  if (n.is_integer()) {
    ESIMO_TRY(std::uint64_t v, r.uint(n, key, 1, kMaxProfilesPerDevice));
    lo = hi = static_cast<unsigned>(v);
    return ok_status();
  }
  const auto* a = n.as_array();
  if (a == nullptr || a->size() != 2) return r.fail(n, key, "'" + key + "' must be a count or [min, max]");
  ESIMO_TRY(std::uint64_t a0, r.uint((*a)[0], key, 1, kMaxProfilesPerDevice));
  ESIMO_TRY(std::uint64_t a1, r.uint((*a)[1], key, 1, kMaxProfilesPerDevice));
  if (a1 < a0) return r.fail(n, key, "'" + key + "': max is below min");
  lo = static_cast<unsigned>(a0);
  hi = static_cast<unsigned>(a1);
  return ok_status();
}

// Keys a group shares with [fleet] (its defaults).
Status read_group_common(Reader& r, const std::string& k, const toml::node& n, const std::string& full,
                         GroupDefaults& d, bool& handled) {
  handled = true;
  if (k == "profiles") {
    ESIMO_CHECK(read_profiles_count(r, n, full, d.profiles_min, d.profiles_max));
  } else if (k == "poll_interval") {
    ESIMO_TRY(d.poll_interval, r.duration(n, full));
    if (d.poll_interval < std::chrono::seconds(1) || d.poll_interval > std::chrono::hours(24 * 30)) {
      return r.fail(n, full, "'" + full + "' must be between 1s and 30d");
    }
  } else if (k == "usage_mb_per_day") {
    ESIMO_TRY(d.usage_mb_per_day, r.number(n, full, 0, 1e6));
  } else if (k == "priority") {
    ESIMO_TRY(d.priority, read_priority(r, n, full));
  } else if (k == "fallback_after") {
    ESIMO_TRY(d.fallback_after, r.duration(n, full));
  } else if (k == "fallback") {
    ESIMO_TRY(d.fallback, r.boolean(n, full));
  } else {
    handled = false;
  }
  return ok_status();
}

#define ESIMO_SCENARIO_GROUP_COMMON_KEYS \
  "profiles", "poll_interval", "usage_mb_per_day", "priority", "fallback_after", "fallback"

Result<Trajectory> read_trajectory(Reader& r, const toml::node& n, const std::string& key) {
  ESIMO_TRY(const toml::table* t, r.table(n, key));
  ESIMO_TRY(Fields f, r.fields(*t, key, {"stops", "mode"}));
  Trajectory tr;
  if (f.count("mode")) {
    ESIMO_TRY(std::string m, r.string(*f["mode"], key + ".mode"));
    if (m != "loop" && m != "return")
      return r.fail(*f["mode"], key + ".mode", "'" + key + ".mode' must be loop or return");
    tr.return_route = m == "return";
  }
  if (!f.count("stops")) return r.fail(n, key, "'" + key + "' needs stops");
  const auto* a = f["stops"]->as_array();
  if (a == nullptr || a->size() < 2)
    return r.fail(*f["stops"], key + ".stops", "'" + key + ".stops' needs at least 2 stops");
  for (std::size_t i = 0; i < a->size(); ++i) {
    const std::string sk = key + ".stops[" + std::to_string(i) + "]";
    ESIMO_TRY(const toml::table* st, r.table((*a)[i], sk));
    ESIMO_TRY(Fields sf, r.fields(*st, sk, {"country", "dwell", "lat", "lon"}));
    if (!sf.count("country") || !sf.count("dwell")) return r.fail((*a)[i], sk, "'" + sk + "' needs country and dwell");
    TrajectoryStop stop;
    ESIMO_TRY(stop.country, r.country(*sf["country"], sk + ".country"));
    ESIMO_TRY(stop.dwell, r.duration(*sf["dwell"], sk + ".dwell"));
    if (sf.count("lat") != sf.count("lon"))
      return r.fail((*a)[i], sk, "'" + sk + "' needs both lat and lon, or neither");
    if (sf.count("lat")) {
      ESIMO_TRY(stop.lat, r.number(*sf["lat"], sk + ".lat", -90, 90));
      ESIMO_TRY(stop.lon, r.number(*sf["lon"], sk + ".lon", -180, 180));
    }
    tr.stops.push_back(stop);
  }
  return tr;
}

// Carriers home in `country` eligible for a group (filtered by `only` when not empty), one per distinct home PLMN.
std::size_t distinct_networks(const CarrierCatalog& cat, const domain::CountryCode& country,
                              const std::vector<CarrierIndex>& only) {
  std::set<PlmnKey> seen;
  for (CarrierIndex c : cat.in_country(country)) {
    if (!only.empty() && std::find(only.begin(), only.end(), c) == only.end()) continue;
    seen.insert(cat.home_plmn(c));
  }
  return seen.size();
}

// One carrier reference resolved in each of `countries` (a name such as "Vodafone" may match in several); appended
// to `out` without duplicates. Refused when it matches in none.
Status resolve_in_any(Reader& r, const toml::node& item, const std::string& key,
                      const std::vector<domain::CountryCode>& countries, std::vector<CarrierIndex>& out) {
  ESIMO_TRY(std::string ref, r.string(item, key));
  bool found = false;
  Error last;
  for (const auto& c : countries) {
    auto idx = r.catalog().resolve(ref, c);
    if (!idx.ok()) {
      last = idx.error();
      continue;
    }
    found = true;
    if (std::find(out.begin(), out.end(), *idx) == out.end()) out.push_back(*idx);
  }
  if (!found) return r.fail(item, key, key + ": " + last.message);
  return ok_status();
}

// A carrier reference or a list of them.
Result<std::vector<CarrierIndex>> read_carrier_list(Reader& r, const toml::node& n, const std::string& key,
                                                    const std::vector<domain::CountryCode>& countries) {
  std::vector<CarrierIndex> out;
  if (n.is_string()) {
    ESIMO_CHECK(resolve_in_any(r, n, key, countries, out));
    return out;
  }
  const auto* a = n.as_array();
  if (a == nullptr || a->empty())
    return r.fail(n, key, "'" + key + "' must be a carrier or a non-empty list of carriers");
  for (const auto& item : *a) ESIMO_CHECK(resolve_in_any(r, item, key, countries, out));
  return out;
}

Status read_group(Reader& r, const toml::node& gn, std::size_t index, const GroupDefaults& defaults, Scenario& s) {
  const std::string prefix = "fleet.groups[" + std::to_string(index) + "]";
  ESIMO_TRY(const toml::table* t, r.table(gn, prefix));
  ESIMO_TRY(Fields f, r.fields(*t, prefix,
                               {"name", "share", "countries", "profile_countries", "carriers", "enabled_carrier",
                                "local_profiles", "trajectory", "position", ESIMO_SCENARIO_GROUP_COMMON_KEYS}));
  GroupConfig g;
  g.line = line_of(gn);
  g.name = "group-" + std::to_string(index + 1);
  GroupDefaults d = defaults;
  for (const auto& [k, node] : f) {
    bool handled = false;
    ESIMO_CHECK(read_group_common(r, k, *node, prefix + "." + k, d, handled));
  }
  g.profiles_min = d.profiles_min;
  g.profiles_max = d.profiles_max;
  g.poll_interval = d.poll_interval;
  g.usage_mb_per_day = d.usage_mb_per_day;
  g.priority = d.priority;
  g.fallback_after = d.fallback_after;
  g.fallback = d.fallback;
  if (f.count("name")) {
    ESIMO_TRY(g.name, r.string(*f["name"], prefix + ".name"));
    for (const auto& other : s.fleet.groups) {
      if (other.name == g.name)
        return r.fail(*f["name"], prefix + ".name", "group name '" + g.name + "' is used twice");
    }
  }
  if (f.count("share")) {
    ESIMO_TRY(g.share, r.number(*f["share"], prefix + ".share", 0, 1e9));
  }
  if (f.count("trajectory")) {
    ESIMO_TRY(g.trajectory, read_trajectory(r, *f["trajectory"], prefix + ".trajectory"));
  }
  if (f.count("countries")) {
    if (g.trajectory) {
      return r.fail(*f["countries"], prefix + ".countries",
                    "'" + prefix + "' has a trajectory: its devices are based at the first stop, drop 'countries'");
    }
    ESIMO_TRY(g.countries, r.weights(*f["countries"], prefix + ".countries"));
  } else if (g.trajectory) {
    g.countries = {{g.trajectory->stops.front().country, 1.0}};
  } else {
    return r.fail(gn, prefix + ".countries", "'" + prefix + "' needs 'countries' (or a trajectory)");
  }
  if (f.count("profile_countries")) {
    ESIMO_TRY(g.profile_countries, r.weights(*f["profile_countries"], prefix + ".profile_countries"));
  }
  if (f.count("local_profiles")) {
    ESIMO_TRY(std::uint64_t v, r.uint(*f["local_profiles"], prefix + ".local_profiles", 0, kMaxProfilesPerDevice));
    if (g.profile_countries.empty()) {
      return r.fail(*f["local_profiles"], prefix + ".local_profiles",
                    "'local_profiles' needs 'profile_countries' (without them every profile is local)");
    }
    if (v >= g.profiles_min) {
      return r.fail(*f["local_profiles"], prefix + ".local_profiles",
                    "'local_profiles' must be below the minimum profile count (" + std::to_string(g.profiles_min) +
                        "): the enabled profile comes from profile_countries");
    }
    g.local_profiles = static_cast<unsigned>(v);
  }
  if (g.fallback && g.profiles_min < 2) {
    const toml::node& at = f.count("profiles") ? *f["profiles"] : gn;
    return r.fail(at, prefix + ".profiles", "'" + prefix + "' has fallback on: devices need at least 2 profiles");
  }

  std::vector<domain::CountryCode> deployed, profile_homes;
  for (const auto& [c, w] : g.countries) deployed.push_back(c);
  for (const auto& [c, w] : g.profile_countries) profile_homes.push_back(c);
  const auto& pool_countries = profile_homes.empty() ? deployed : profile_homes;
  if (f.count("carriers")) {
    std::vector<domain::CountryCode> all = pool_countries;
    if (g.local_profiles > 0) all.insert(all.end(), deployed.begin(), deployed.end());
    ESIMO_TRY(g.carriers, read_carrier_list(r, *f["carriers"], prefix + ".carriers", all));
  }
  if (f.count("enabled_carrier")) {
    ESIMO_TRY(g.enabled_carriers,
              read_carrier_list(r, *f["enabled_carrier"], prefix + ".enabled_carrier", pool_countries));
    if (!g.carriers.empty()) {
      for (CarrierIndex c : g.enabled_carriers) {
        if (std::find(g.carriers.begin(), g.carriers.end(), c) == g.carriers.end()) g.carriers.push_back(c);
      }
    }
  }
  // Enough distinct networks for the profiles (distinct home PLMNs: a fallback on the same network is no fallback).
  const unsigned foreign_min = g.profiles_min - g.local_profiles;
  if (profile_homes.empty()) {
    for (const auto& c : deployed) {
      const auto n = distinct_networks(r.catalog(), c, g.carriers);
      if (n < g.profiles_min) {
        return r.fail(gn, prefix,
                      "'" + prefix + "': " + c.str() + " has " + std::to_string(n) +
                          " distinct carrier network(s) in the catalog" +
                          (g.carriers.empty() ? "" : " among the group's carriers") + ", " +
                          std::to_string(g.profiles_min) + " profiles needed");
      }
    }
  } else {
    std::size_t n = 0;
    for (const auto& c : profile_homes) n += distinct_networks(r.catalog(), c, g.carriers);
    if (n < foreign_min) {
      return r.fail(gn, prefix,
                    "'" + prefix + "': profile_countries offer " + std::to_string(n) +
                        " distinct carrier network(s), " + std::to_string(foreign_min) + " needed");
    }
    for (const auto& c : deployed) {
      const auto local = distinct_networks(r.catalog(), c, g.carriers);
      if (local < g.local_profiles) {
        return r.fail(gn, prefix,
                      "'" + prefix + "': " + c.str() + " has " + std::to_string(local) +
                          " distinct carrier network(s), " + std::to_string(g.local_profiles) +
                          " local profiles needed");
      }
    }
  }
  if (f.count("position")) {
    const std::string pk = prefix + ".position";
    if (g.trajectory)
      return r.fail(*f["position"], pk, "'" + prefix + "' has a trajectory: positions come from its stops");
    ESIMO_TRY(const toml::table* pt, r.table(*f["position"], pk));
    ESIMO_TRY(Fields pf, r.fields(*pt, pk, {"lat", "lon", "radius_km"}));
    if (!pf.count("lat") || !pf.count("lon")) return r.fail(*f["position"], pk, "'" + pk + "' needs lat and lon");
    ESIMO_TRY(g.lat, r.number(*pf["lat"], pk + ".lat", -90, 90));
    ESIMO_TRY(g.lon, r.number(*pf["lon"], pk + ".lon", -180, 180));
    if (pf.count("radius_km")) {
      ESIMO_TRY(g.radius_km, r.number(*pf["radius_km"], pk + ".radius_km", 0, 5000));
    }
  }
  s.fleet.groups.push_back(std::move(g));
  return ok_status();
}

Status read_fleet(Reader& r, const toml::table& t, Scenario& s) {
  ESIMO_TRY(Fields f, r.fields(t, "fleet", {"devices", "groups", ESIMO_SCENARIO_GROUP_COMMON_KEYS}));
  GroupDefaults d;
  for (const auto& [k, node] : f) {
    bool handled = false;
    ESIMO_CHECK(read_group_common(r, k, *node, "fleet." + k, d, handled));
  }
  if (f.count("devices")) {
    ESIMO_TRY(s.fleet.devices, r.uint(*f["devices"], "fleet.devices", 1, 100'000'000));
  }
  if (!f.count("groups")) return r.fail(t, "fleet.groups", "'fleet' needs at least one [[fleet.groups]]");
  const auto* arr = f["groups"]->as_array();
  if (arr == nullptr || arr->empty()) return r.fail(*f["groups"], "fleet.groups", "use [[fleet.groups]] tables");
  ESIMO_CHECK(r.check_count(*arr, "fleet.groups", kMaxGroups));
  for (std::size_t i = 0; i < arr->size(); ++i) ESIMO_CHECK(read_group(r, (*arr)[i], i, d, s));
  double total = 0;
  for (const auto& g : s.fleet.groups) total += g.share;
  if (total <= 0) return r.fail(*f["groups"], "fleet.groups", "the groups' shares add up to 0");
  return ok_status();
}

Status read_compliance(Reader& r, const toml::node& node, Scenario& s) {
  const auto* arr = node.as_array();
  if (arr == nullptr) return r.fail(node, "compliance", "use [[compliance]] tables");
  ESIMO_CHECK(r.check_count(*arr, "compliance", kMaxTables));
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const std::string prefix = "compliance[" + std::to_string(i) + "]";
    ESIMO_TRY(const toml::table* t, r.table((*arr)[i], prefix));
    ESIMO_TRY(Fields f, r.fields(*t, prefix, {"country", "max_roaming", "deadline"}));
    ComplianceRule rule;
    rule.line = line_of((*arr)[i]);
    if (!f.count("country")) return r.fail((*arr)[i], prefix, "'" + prefix + "' needs 'country'");
    ESIMO_TRY(rule.country, r.country(*f["country"], prefix + ".country"));
    if (f.count("max_roaming")) {
      ESIMO_TRY(rule.max_roaming, r.duration(*f["max_roaming"], prefix + ".max_roaming"));
    }
    if (f.count("deadline")) {
      ESIMO_TRY(rule.deadline, r.instant(*f["deadline"], prefix + ".deadline", s.start));
      if (*rule.deadline < SimTime::zero() || *rule.deadline > s.duration) {
        return r.fail(*f["deadline"], prefix + ".deadline",
                      prefix + ".deadline (" + format_sim_duration(*rule.deadline) + ") is outside the scenario (0s.." +
                          format_sim_duration(s.duration) + ")");
      }
    }
    if (!rule.max_roaming && !rule.deadline) {
      return r.fail((*arr)[i], prefix, "'" + prefix + "' needs max_roaming and/or deadline");
    }
    s.compliance.push_back(rule);
  }
  return ok_status();
}

Result<Scenario> read_scenario(Reader& r, const toml::table& root) {
  Scenario s;
  s.source = std::string(r.source());
  s.networks.defaults = builtin_network_params();
  ESIMO_TRY(Fields f, r.fields(root, "",
                               {"name", "description", "seed", "duration", "start", "tick", "sample_interval", "fleet",
                                "networks", "events", "compliance", "policy"}));
  // Top-level values first (events are checked against the duration and start), then the tables.
  if (!f.count("name")) return r.fail(1, "name", "the scenario needs a 'name'");
  ESIMO_TRY(s.name, r.string(*f["name"], "name"));
  if (f.count("description")) {
    ESIMO_TRY(s.description, r.string(*f["description"], "description"));
  }
  if (f.count("policy")) {
    ESIMO_TRY(s.policy, r.string(*f["policy"], "policy"));
  }
  if (f.count("seed")) {
    ESIMO_TRY(s.seed, r.uint(*f["seed"], "seed", 0, std::numeric_limits<std::int64_t>::max()));
  }
  if (f.count("duration")) {
    ESIMO_TRY(s.duration, r.duration(*f["duration"], "duration"));
    if (s.duration > std::chrono::hours(24 * 366))
      return r.fail(*f["duration"], "duration", "'duration' is over a year");
  }
  if (f.count("start")) {
    ESIMO_TRY(s.start, r.time_point(*f["start"], "start"));
  }
  if (f.count("tick")) {
    ESIMO_TRY(s.tick, r.duration(*f["tick"], "tick"));
  }
  if (f.count("sample_interval")) {
    ESIMO_TRY(s.sample_interval, r.duration(*f["sample_interval"], "sample_interval"));
  }
  if (s.tick > s.duration) {
    return r.fail(f.count("tick") ? *f["tick"] : *f["duration"], "tick",
                  "'tick' (" + format_sim_duration(s.tick) + ") is longer than the scenario");
  }
  if (!f.count("fleet")) return r.fail(1, "fleet", "the scenario needs a [fleet] table");
  ESIMO_TRY(const toml::table* fleet, r.table(*f["fleet"], "fleet"));
  ESIMO_CHECK(read_fleet(r, *fleet, s));
  if (f.count("networks")) {
    ESIMO_TRY(const toml::table* nt, r.table(*f["networks"], "networks"));
    ESIMO_CHECK(read_networks(r, *nt, s));
  }
  if (f.count("events")) ESIMO_CHECK(read_events(r, *f["events"], s));
  if (f.count("compliance")) ESIMO_CHECK(read_compliance(r, *f["compliance"], s));
  ESIMO_CHECK(r.check_default_currency(s.networks.defaults));
  return s;
}

#undef ESIMO_SCENARIO_LAYER_KEYS
#undef ESIMO_SCENARIO_GROUP_COMMON_KEYS

}  // namespace scenario_detail

std::string_view to_string(EventKind k) {
  switch (k) {
    case EventKind::outage:
      return "outage";
    case EventKind::degradation:
      return "degradation";
    case EventKind::latency_spike:
      return "latency_spike";
    case EventKind::price_change:
      return "price_change";
    case EventKind::recovery:
      return "recovery";
  }
  return "?";
}

NetworkParams builtin_network_params() {
  NetworkParams p;
  p.price_per_mb = *domain::Money::parse("0.01", "EUR");
  p.monthly_fee = *domain::Money::parse("0.50", "EUR");
  return p;
}

void NetworkLayer::apply_to(NetworkParams& p) const {
  if (coverage) p.coverage = *coverage;
  if (attach_success) p.attach_success = *attach_success;
  if (rsrp) p.rsrp = *rsrp;
  if (rsrq) p.rsrq = *rsrq;
  if (sinr) p.sinr = *sinr;
  if (latency) p.latency = *latency;
  if (price_per_mb) p.price_per_mb = *price_per_mb;
  if (monthly_fee) p.monthly_fee = *monthly_fee;
}

Result<Scenario> load_scenario_text(std::string_view toml_text, std::string_view source,
                                    const CarrierCatalog& catalog) {
  const std::string src = source.empty() ? std::string("<string>") : std::string(source);
  toml::table root;
  try {
    root = toml::parse(toml_text, src);
  } catch (const toml::parse_error& e) {
    return Error(Errc::parse_error,
                 src + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()), "");
  }
  scenario_detail::Reader reader(src, catalog);
  return scenario_detail::read_scenario(reader, root);
}

Result<Scenario> load_scenario(const std::filesystem::path& path, const CarrierCatalog& catalog) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(Errc::io_error, "cannot read scenario " + path.string() + ": " + std::strerror(errno), path.string());
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_scenario_text(ss.str(), path.string(), catalog);
}

Result<SimTime> parse_sim_duration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Error(Errc::invalid_argument, "duration '" + std::string(text) + "' " + std::string(why) +
                                             " (write e.g. \"90s\", \"15m\", \"6h\", \"2d\", \"1h30m\", \"250ms\")");
  };
  if (text.empty()) return bad("is empty");
  std::int64_t plain = 0;
  if (auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), plain);
      ec == std::errc() && p == text.data() + text.size()) {
    if (plain < 0) return bad("is negative");
    // Microseconds inside: the same bound as the sum of units below, so the conversion cannot overflow.
    if (plain > std::numeric_limits<std::int64_t>::max() / 1'000'000 / 4) return bad("is too long");
    return SimTime(std::chrono::seconds(plain));
  }
  SimTime total{};
  std::size_t i = 0;
  while (i < text.size()) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + text.size(), v);
    if (ec != std::errc() || p == text.data() + i) return bad("needs a number before each unit");
    i = static_cast<std::size_t>(p - text.data());
    std::size_t j = i;
    while (j < text.size() && text[j] >= 'a' && text[j] <= 'z') ++j;
    const std::string_view unit = text.substr(i, j - i);
    if (unit.empty() && i < text.size()) {
      return bad("has an unexpected '" + std::string(1, text[i]) + "' after a number");
    }
    std::int64_t us = 0;
    if (unit == "ms")
      us = 1000;
    else if (unit == "s")
      us = 1'000'000;
    else if (unit == "m")
      us = 60'000'000;
    else if (unit == "h")
      us = 3'600'000'000;
    else if (unit == "d")
      us = 86'400'000'000;
    else if (unit == "w")
      us = 604'800'000'000;
    else
      return bad(unit.empty() ? "has a number without a unit" : "has an unknown unit '" + std::string(unit) + "'");
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / us) / 2) return bad("is too long");
    total += SimTime(static_cast<std::int64_t>(v) * us);
    if (total.count() > std::numeric_limits<std::int64_t>::max() / 4) return bad("is too long");
    i = j;
  }
  return total;
}

std::string format_sim_duration(SimTime d) {
  if (d == SimTime::zero()) return "0s";
  std::string out;
  std::int64_t us = d.count();
  if (us < 0) {
    out = "-";
    us = -us;
  }
  static constexpr std::pair<std::int64_t, const char*> kUnits[] = {
      {86'400'000'000, "d"}, {3'600'000'000, "h"}, {60'000'000, "m"}, {1'000'000, "s"}, {1000, "ms"}, {1, "us"}};
  for (const auto& [size, name] : kUnits) {
    if (us >= size) {
      out += std::to_string(us / size) + name;
      us %= size;
    }
  }
  return out;
}

}  // namespace esimo::twin
