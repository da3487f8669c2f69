#include "store/sqlite/rows.hpp"

#include <utility>

namespace esimo::store::sqlite {

namespace rows_detail {

// Unwraps a parse of a stored value; a failure means the row was written by something that skipped validation.
template <class T>
Result<T> stored(Result<T> r, std::string_view what, std::string_view key) {
  if (r.ok()) return r;
  return Error(Errc::internal,
               "corrupt stored " + std::string(what) + " of " + std::string(key) + ": " + r.error().message);
}

Result<domain::Money> money_at(const Stmt& s, int col, std::string_view key) {
  ESIMO_TRY(domain::Currency cur, stored(domain::Currency::parse(s.text(col + 1)), "currency", key));
  return domain::Money{s.int64(col), cur};
}

}  // namespace rows_detail

Result<domain::Tenant> tenant_from_row(const Stmt& s) {
  return domain::Tenant{s.int64(0), s.text(1), s.time(2)};
}

Result<domain::ApiKey> api_key_from_row(const Stmt& s) {
  domain::ApiKey k;
  k.id = s.text(0);
  k.tenant_id = s.int64(1);
  ESIMO_TRY(k.role, rows_detail::stored(domain::parse_role(s.text(2)), "role", "api key " + k.id));
  k.secret_hash = s.text(3);
  k.label = s.text(4);
  k.created_at = s.time(5);
  k.revoked_at = s.opt_time(6);
  return k;
}

Result<domain::Carrier> carrier_from_row(Connection& db, const Stmt& s) {
  domain::Carrier c;
  c.tenant_id = s.int64(0);
  c.id = s.text(1);
  c.name = s.text(2);
  c.rats = static_cast<domain::RatSet>(s.int64(3));
  const std::string key = "carrier " + c.id;
  ESIMO_TRY(c.status, rows_detail::stored(domain::parse_carrier_status(s.text(4)), "status", key));
  c.smdp_address = s.text(5);

  ESIMO_TRY(Stmt * p, db.prepare("SELECT plmn FROM carrier_plmns WHERE tenant_id = ? AND carrier_id = ? "
                                 "ORDER BY position"));
  p->bind(1, c.tenant_id).bind(2, c.id);
  for (;;) {
    ESIMO_TRY(bool row, p->step("read carrier PLMNs"));
    if (!row) break;
    ESIMO_TRY(domain::Plmn plmn, rows_detail::stored(domain::Plmn::parse(p->text(0)), "PLMN", key));
    c.plmns.push_back(plmn);
  }
  ESIMO_TRY(Stmt * q, db.prepare("SELECT country FROM carrier_countries WHERE tenant_id = ? AND carrier_id = ? "
                                 "ORDER BY position"));
  q->bind(1, c.tenant_id).bind(2, c.id);
  for (;;) {
    ESIMO_TRY(bool row, q->step("read carrier countries"));
    if (!row) break;
    ESIMO_TRY(domain::CountryCode cc, rows_detail::stored(domain::CountryCode::parse(q->text(0)), "country", key));
    c.countries.push_back(cc);
  }
  return c;
}

Result<domain::RateCard> rate_card_from_row(const Stmt& s) {
  domain::RateCard r;
  r.tenant_id = s.int64(0);
  r.carrier_id = s.text(1);
  const std::string key = "rate card " + r.carrier_id + "/" + s.text(2);
  ESIMO_TRY(r.country, rows_detail::stored(domain::CountryCode::parse(s.text(2)), "country", key));
  ESIMO_TRY(r.price_per_mb, rows_detail::money_at(s, 3, key));
  ESIMO_TRY(r.price_per_sms, rows_detail::money_at(s, 5, key));
  ESIMO_TRY(r.monthly_fee, rows_detail::money_at(s, 7, key));
  r.updated_at = s.time(9);
  return r;
}

Result<domain::Group> group_from_row(const Stmt& s) {
  return domain::Group{s.int64(0), s.text(1), s.opt_text(2).value_or(std::string()), s.time(3)};
}

Result<domain::Device> device_from_row(const Stmt& s) {
  domain::Device d;
  d.tenant_id = s.int64(0);
  const std::string eid = s.text(1);
  const std::string key = "device " + eid;
  ESIMO_TRY(d.eid, rows_detail::stored(domain::Eid::parse(eid), "EID", key));
  d.name = s.text(2);
  d.group = s.text(3);
  ESIMO_TRY(d.lifecycle, rows_detail::stored(domain::parse_lifecycle(s.text(4)), "lifecycle", key));
  ESIMO_TRY(d.sgp32_version, rows_detail::stored(domain::parse_sgp32_version(s.text(5)), "SGP.32 version", key));
  if (!s.is_null(6)) {
    ESIMO_TRY(domain::Iccid iccid, rows_detail::stored(domain::Iccid::parse(s.text(6)), "active ICCID", key));
    d.active_iccid = iccid;
  }
  if (!s.is_null(7)) {
    ESIMO_TRY(domain::Plmn plmn, rows_detail::stored(domain::Plmn::parse(s.text(7)), "serving PLMN", key));
    d.serving_plmn = plmn;
  }
  if (!s.is_null(8)) {
    ESIMO_TRY(domain::CountryCode cc, rows_detail::stored(domain::CountryCode::parse(s.text(8)), "country", key));
    d.country = cc;
  }
  d.last_seen = s.opt_time(9);
  d.created_at = s.time(10);
  d.updated_at = s.time(11);
  return d;
}

Status load_device_tags(Connection& db, domain::Device& device) {
  ESIMO_TRY(Stmt * t, db.prepare("SELECT tag FROM device_tags WHERE tenant_id = ? AND eid = ? ORDER BY tag"));
  t->bind(1, device.tenant_id).bind(2, device.eid.str());
  device.tags.clear();
  for (;;) {
    ESIMO_TRY(bool row, t->step("read device tags"));
    if (!row) break;
    device.tags.push_back(t->text(0));
  }
  return {};
}

Result<domain::Profile> profile_from_row(const Stmt& s) {
  domain::Profile p;
  p.tenant_id = s.int64(0);
  const std::string key = "profile " + s.text(1);
  ESIMO_TRY(p.iccid, rows_detail::stored(domain::Iccid::parse(s.text(1)), "ICCID", key));
  ESIMO_TRY(p.eid, rows_detail::stored(domain::Eid::parse(s.text(2)), "EID", key));
  p.carrier_id = s.text(3);
  ESIMO_TRY(p.profile_class, rows_detail::stored(domain::parse_profile_class(s.text(4)), "class", key));
  ESIMO_TRY(p.state, rows_detail::stored(domain::parse_profile_state(s.text(5)), "state", key));
  p.fallback = s.int64(6) != 0;
  p.updated_at = s.time(7);
  return p;
}

Result<domain::Operation> operation_from_row(const Stmt& s) {
  domain::Operation o;
  o.tenant_id = s.int64(0);
  o.id = s.text(1);
  const std::string key = "operation " + o.id;
  ESIMO_TRY(o.eid, rows_detail::stored(domain::Eid::parse(s.text(2)), "EID", key));
  o.type = s.text(3);
  o.params_json = s.text(4);
  ESIMO_TRY(o.state, rows_detail::stored(domain::parse_operation_state(s.text(5)), "state", key));
  o.reason = s.text(6);
  o.outcome = s.text(7);
  o.result_json = s.text(8);
  o.idempotency_key = s.text(9);
  o.created_at = s.time(10);
  o.updated_at = s.time(11);
  o.expires_at = s.opt_time(12);
  if (!s.is_null(13)) o.counter_value = static_cast<std::uint64_t>(s.int64(13));
  o.eim_transaction_id = s.opt_text(14).value_or(std::string());
  o.delivered_at = s.opt_time(15);
  return o;
}

}  // namespace esimo::store::sqlite
