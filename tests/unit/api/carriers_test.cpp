// Carriers (catalog + own), rate cards, rates import and countries.
#include "api_fixture.hpp"

namespace esimo::api::testing {
namespace {

using http::Method;

class CarriersTest : public ApiTest {
 protected:
  static std::vector<std::string> ids(const http::Response& r) {
    std::vector<std::string> out;
    const auto doc = json(r);
    for (const auto& c : doc.as_object().at("items").as_array()) {
      out.emplace_back(c.as_object().at("id").as_string());
    }
    return out;
  }
  const std::string kOwn = R"({"id":"acme-mvno","name":"Acme MVNO","plmns":["999-99"],"countries":["fr"],
    "rats":["LTE-M","NB-IoT"],"smdp_address":"smdp.acme.example"})";
};

TEST_F(CarriersTest, CatalogListFiltersAndGet) {
  auto r = get("/v1/carriers?country=BR", a_viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ids(r), (std::vector<std::string>{"br-claro", "br-vivo"}));
  r = get("/v1/carriers?plmn=724-10", a_viewer_);
  EXPECT_EQ(ids(r), (std::vector<std::string>{"br-vivo"}));
  r = get("/v1/carriers?status=up&limit=2", a_viewer_);
  EXPECT_EQ(ids(r).size(), 2u);
  auto next = json(r).as_object()["next"];
  ASSERT_TRUE(next.is_string());
  EXPECT_NE(std::string(next.as_string()).find("status=up&after=br-vivo&limit=2"), std::string::npos);
  r = get("/v1/carriers/br-vivo", a_viewer_);
  ASSERT_EQ(r.status, 200);
  auto c = json(r).as_object();
  EXPECT_EQ(c["name"].as_string(), "Vivo");
  EXPECT_TRUE(c["catalog"].as_bool());
  EXPECT_EQ(c["plmns"].as_array().size(), 2u);
  EXPECT_EQ(code(get("/v1/carriers?plmn=72406", a_viewer_)), "invalid_plmn");
  EXPECT_EQ(code(get("/v1/carriers?country=ZZ", a_viewer_)), "invalid_country");
  EXPECT_EQ(code(get("/v1/carriers?status=sideways", a_viewer_)), "invalid_status");
}

TEST_F(CarriersTest, OwnCarrierLifecycle) {
  auto r = post("/v1/carriers", a_admin_, kOwn);
  ASSERT_EQ(r.status, 201) << r.body;
  auto c = json(r).as_object();
  EXPECT_FALSE(c["catalog"].as_bool());
  EXPECT_EQ(c["countries"].as_array()[0].as_string(), "FR");
  EXPECT_EQ(c["rats"].as_array().size(), 2u);
  EXPECT_EQ(post("/v1/carriers", a_admin_, kOwn).status, 409);
  EXPECT_EQ(code(post("/v1/carriers", a_admin_, R"({"id":"br-vivo","name":"dup"})")), "already_exists");

  r = call(Method::patch, "/v1/carriers/acme-mvno", a_admin_, R"({"name":"Acme 2","status":"degraded"})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = get("/v1/carriers/acme-mvno", a_viewer_);
  EXPECT_EQ(json(r).as_object()["name"].as_string(), "Acme 2");
  EXPECT_EQ(json(r).as_object()["status"].as_string(), "degraded");
  EXPECT_EQ(ids(get("/v1/carriers?country=FR", a_viewer_)), (std::vector<std::string>{"acme-mvno"}));

  // A profile can name it by its PLMN; then it cannot be deleted.
  create_device(a_admin_, 1, R"("profiles":[{"iccid":")" + iccid_n(1) + R"(","carrier":"999-99"}])");
  r = call(Method::del, "/v1/carriers/acme-mvno", a_admin_);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(code(r), "carrier_in_use");
  ASSERT_EQ(call(Method::del, "/v1/devices/" + eid_n(1), a_admin_).status, 204);
  EXPECT_EQ(call(Method::del, "/v1/carriers/acme-mvno", a_admin_).status, 204);
  EXPECT_EQ(get("/v1/carriers/acme-mvno", a_viewer_).status, 404);
}

TEST_F(CarriersTest, CatalogIsReadOnly) {
  auto r = call(Method::patch, "/v1/carriers/br-vivo", a_admin_, R"({"name":"Mine"})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(code(r), "catalog_read_only");
  r = call(Method::del, "/v1/carriers/br-vivo", a_admin_);
  EXPECT_EQ(code(r), "catalog_read_only");
  EXPECT_EQ(json(get("/v1/carriers/br-vivo", a_viewer_)).as_object()["name"].as_string(), "Vivo");
}

TEST_F(CarriersTest, CarrierValidation) {
  struct Case {
    std::string body;
    const char* code;
    const char* field;
  };
  const std::vector<Case> cases = {
      {R"({"id":"Bad_Id","name":"x"})", "invalid_carrier_id", "id"},
      {R"({"id":"ok"})", "missing_field", "name"},
      {R"({"id":"ok","name":"x","plmns":["724-06","7246"]})", "invalid_plmn", "plmns[1]"},
      {R"({"id":"ok","name":"x","countries":["QQ"]})", "invalid_country", "countries[0]"},
      {R"({"id":"ok","name":"x","rats":["6G"]})", "invalid_rat", "rats[0]"},
      {R"({"id":"ok","name":"x","status":"meh"})", "invalid_status", "status"},
      {R"({"id":"ok","name":"x","smdp_address":"a b"})", "invalid_smdp_address", "smdp_address"},
      {R"({"id":"ok","name":"x","tenant":1})", "unknown_field", "tenant"},
  };
  for (const auto& c : cases) {
    auto r = post("/v1/carriers", a_admin_, c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(code(r), c.code) << c.body << " " << r.body;
    EXPECT_EQ(field(r), c.field) << c.body;
  }
  EXPECT_EQ(get("/v1/carriers/ok", a_viewer_).status, 404);
}

TEST_F(CarriersTest, RatesPutListDelete) {
  const std::string body = R"([
    {"country":"BR","price_per_mb":{"amount":"0.0125","currency":"EUR"},
     "price_per_sms":{"amount":"0.05","currency":"EUR"},"monthly_fee":{"amount":"1","currency":"EUR"}},
    {"country":"de","price_per_mb":{"amount":"0.02","currency":"USD"},
     "price_per_sms":{"amount":"0.1","currency":"USD"},"monthly_fee":{"amount":"0.5","currency":"USD"}}])";
  auto r = call(Method::put, "/v1/carriers/br-vivo/rates", a_admin_, body);
  ASSERT_EQ(r.status, 200) << r.body;
  auto items = json(r).as_object()["items"].as_array();
  ASSERT_EQ(items.size(), 2u);
  auto br = items[0].as_object();
  EXPECT_EQ(br["country"].as_string(), "BR");
  EXPECT_EQ(br["price_per_mb"].as_object()["amount"].as_string(), "0.0125");
  EXPECT_EQ(br["price_per_mb"].as_object()["currency"].as_string(), "EUR");
  EXPECT_EQ(br["monthly_fee"].as_object()["amount"].as_string(), "1.00");

  // Upsert one country.
  r = call(Method::put, "/v1/carriers/br-vivo/rates", a_admin_,
           R"([{"country":"BR","price_per_mb":{"amount":"0.01","currency":"EUR"},
               "price_per_sms":{"amount":"0.05","currency":"EUR"},"monthly_fee":{"amount":"1","currency":"EUR"}}])");
  ASSERT_EQ(r.status, 200) << r.body;
  r = get("/v1/carriers/br-vivo/rates", a_viewer_);
  items = json(r).as_object()["items"].as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].as_object().at("price_per_mb").as_object().at("amount").as_string(), "0.01");

  EXPECT_EQ(call(Method::del, "/v1/carriers/br-vivo/rates/DE", a_admin_).status, 204);
  EXPECT_EQ(json(get("/v1/carriers/br-vivo/rates", a_viewer_)).as_object()["items"].as_array().size(), 1u);
  EXPECT_EQ(call(Method::del, "/v1/carriers/br-vivo/rates/DE", a_admin_).status, 404);
  EXPECT_EQ(code(call(Method::del, "/v1/carriers/br-vivo/rates/XX", a_admin_)), "invalid_country");
  EXPECT_EQ(get("/v1/carriers/nope/rates", a_viewer_).status, 404);
}

TEST_F(CarriersTest, RatesValidationWritesNothing) {
  struct Case {
    std::string body;
    const char* code;
    const char* field;
  };
  const std::string money = R"({"amount":"1","currency":"EUR"})";
  const std::vector<Case> cases = {
      {"{}", "invalid_type", ""},
      {"[1]", "invalid_type", "[0]"},
      {R"([{"country":"BR","price_per_mb":)" + money + R"(,"price_per_sms":)" + money + "}]", "missing_field",
       "[0].monthly_fee"},
      {R"([{"country":"BR","price_per_mb":{"amount":"1e3","currency":"EUR"},"price_per_sms":)" + money +
           R"(,"monthly_fee":)" + money + "}]",
       "invalid_money", "[0].price_per_mb.amount"},
      {R"([{"country":"BR","price_per_mb":{"amount":"1","currency":"EURO"},"price_per_sms":)" + money +
           R"(,"monthly_fee":)" + money + "}]",
       "invalid_currency", "[0].price_per_mb.currency"},
      {R"([{"country":"BR","price_per_mb":{"amount":1,"currency":"EUR"},"price_per_sms":)" + money +
           R"(,"monthly_fee":)" + money + "}]",
       "invalid_type", "[0].price_per_mb.amount"},
      {R"([{"country":"BR","price_per_mb":)" + money + R"(,"price_per_sms":)" + money + R"(,"monthly_fee":)" +
           money + R"(},{"country":"BR","price_per_mb":)" + money + R"(,"price_per_sms":)" + money +
           R"(,"monthly_fee":)" + money + "}]",
       "duplicate_country", "[1].country"},
      {R"([{"country":"BR","price_per_mb":)" + money + R"(,"price_per_sms":)" + money + R"(,"monthly_fee":)" +
           money + R"(},{"country":"XX","price_per_mb":)" + money + R"(,"price_per_sms":)" + money +
           R"(,"monthly_fee":)" + money + "}]",
       "invalid_country", "[1].country"},
  };
  for (const auto& c : cases) {
    auto r = call(Method::put, "/v1/carriers/br-vivo/rates", a_admin_, c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(code(r), c.code) << c.body << " " << r.body;
    EXPECT_EQ(field(r), c.field) << c.body;
  }
  EXPECT_TRUE(json(get("/v1/carriers/br-vivo/rates", a_viewer_)).as_object()["items"].as_array().empty());
}

TEST_F(CarriersTest, RatesImportAllOrNothing) {
  std::string bad =
      "carrier,country,currency,price_per_mb,price_per_sms,monthly_fee\n"
      "br-vivo,BR,EUR,0.01,0.05,1\n"
      "nope,BR,EUR,0.01,0.05,1\n"
      "724-05,XX,EUR,0.01,0.05,1\n"
      "262-01,DE,EUR,abc,0.05,1\n";
  auto r = post("/v1/rates:import", a_admin_, bad, "text/csv");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(code(r), "invalid_rates");
  auto errors = json(r).as_object()["errors"].as_array();
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].as_object().at("line").as_int64(), 3);
  EXPECT_EQ(errors[1].as_object().at("line").as_int64(), 4);
  EXPECT_EQ(errors[2].as_object().at("line").as_int64(), 5);
  EXPECT_TRUE(json(get("/v1/carriers/br-vivo/rates", a_viewer_)).as_object()["items"].as_array().empty());

  std::string good =
      "carrier,country,currency,price_per_mb,price_per_sms,monthly_fee\n"
      "br-vivo,BR,EUR,0.01,0.05,1\n"
      "\"724-05\",BR,EUR,0.02,0.05,1.5\n"
      "262-01,DE,EUR,0.03,0.05,2\n";
  r = post("/v1/rates:import", a_admin_, good, "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r).as_object()["imported"].as_int64(), 3);
  auto items = json(get("/v1/carriers/br-claro/rates", a_viewer_)).as_object()["items"].as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].as_object().at("monthly_fee").as_object().at("amount").as_string(), "1.50");

  EXPECT_EQ(code(post("/v1/rates:import", a_admin_, "a,b\n", "text/csv")), "invalid_csv_header");
  EXPECT_EQ(code(post("/v1/rates:import", a_admin_, good, "application/json")), "unsupported_media_type");
}

TEST_F(CarriersTest, Countries) {
  auto r = get("/v1/countries", a_viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto items = json(r).as_object()["items"].as_array();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].as_object().at("code").as_string(), "BR");
  EXPECT_EQ(items[0].as_object().at("name").as_string(), "Brazil");
  EXPECT_EQ(code(get("/v1/countries?limit=5", a_viewer_)), "unknown_parameter");
}

}  // namespace
}  // namespace esimo::api::testing
