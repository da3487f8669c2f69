#include "corpus.hpp"

#include "der/der.hpp"

namespace esimo::sgp::testing {

Bytes sample_eid() { return from_hex("89049032123451234512345678901235").value(); }
Bytes sample_iccid(int n) {
  Bytes b = from_hex("98440000000000000000").value();
  b[9] = static_cast<std::uint8_t>(0x10 + n);
  return b;
}
Bytes sample_signature(std::uint8_t fill) {
  Bytes s(64);
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::uint8_t>(fill + i);
  return s;
}

namespace {

// A syntactically valid P-256 SubjectPublicKeyInfo (algorithm ids + 65-octet point; the point is not on the curve,
// which does not matter to the codec).
Bytes sample_spki() {
  return from_hex(
             "3059301306072a8648ce3d020106082a8648ce3d03010703420004"
             "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
             "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f")
      .value();
}

EimConfigurationData sample_config(Version v) {
  EimConfigurationData c;
  c.eim_id = "eim.esimo.example";
  c.eim_fqdn = "eim.esimo.example:8443";
  c.eim_id_type = 2;
  c.counter_value = 0;
  c.association_token = 1;
  c.eim_public_key = sample_spki();
  c.eim_supported_protocol = 1u << 0;  // eimRetrieveHttps
  c.indirect_profile_download = v == Version::v1_2;
  return c;
}

EuiccPackageRequest package(Version v, std::variant<PsmoList, EcoList> pkg, std::uint64_t counter) {
  EuiccPackageRequest r;
  r.euicc_package_signed.eim_id = "eim.esimo.example";
  r.euicc_package_signed.eid = sample_eid();
  r.euicc_package_signed.counter_value = counter;
  r.euicc_package_signed.eim_transaction_id = Bytes{0x01, 0x02, 0x03, 0x04};
  r.euicc_package_signed.euicc_package = std::move(pkg);
  r.eim_signature = sample_signature(static_cast<std::uint8_t>(counter));
  (void)v;
  return r;
}

EuiccPackageResultSigned signed_result(std::uint64_t counter, std::vector<EuiccResultData> results) {
  EuiccPackageResultSigned s;
  s.data.eim_id = "eim.esimo.example";
  s.data.counter_value = counter;
  s.data.eim_transaction_id = Bytes{0x01, 0x02, 0x03, 0x04};
  s.data.seq_number = 42;
  s.data.euicc_result = std::move(results);
  s.euicc_sign_epr = sample_signature(0xA0);
  return s;
}

EuiccResultData code(EuiccResultKind k, std::int64_t c) {
  EuiccResultData d;
  d.kind = k;
  d.code = c;
  return d;
}

PendingNotification other_signed_notification(std::int64_t seq, std::uint32_t event) {
  // otherSignedNotification: 30 { BF2F NotificationMetadata, 5F37 signature, certificates (stubbed as empty SEQs) }.
  der::Writer w;
  w.constructed(der::kSequence, [&] {
    w.constructed(der::tag(0xBF2F), [&] {
      w.integer(der::context(0), seq);
      w.named_bits(der::context(1), event, 3);
      w.utf8(der::kUtf8String, "eim.esimo.example");
      w.octets(der::tag(0x5A), sample_iccid(1));
    });
    w.octets(der::tag(0x5F37), sample_signature(0x30));
    w.constructed(der::kSequence, [] {});
    w.constructed(der::kSequence, [] {});
  });
  PendingNotification n;
  n.kind = PendingNotificationKind::other_signed_notification;
  n.der = w.take();
  NotificationMetadata m;
  m.seq_number = seq;
  m.profile_management_operation = event;
  m.notification_address = "eim.esimo.example";
  m.iccid = sample_iccid(1);
  n.metadata = m;
  return n;
}

Bytes seq16(std::uint8_t start) {
  Bytes b(16);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(start + i);
  return b;
}

// Indirect download: the SGP.22 structures inside are stand-ins with the right outer tags (the codec carries them).
void add_download(std::vector<CorpusEntry>& out, Version v, const std::string& up, const std::string& down) {
  const bool v12 = v == Version::v1_2;
  const Bytes tid = seq16(0x70);
  {
    InitiateAuthenticationRequestEsipa m;
    m.euicc_challenge = seq16(0x10);
    m.smdp_address = "smdp.example.com";
    m.euicc_info1 = from_hex("bf2035 8203020500 a916 0414 f54172bdf98a95d65cbeb88a38a1c11d800a85c3"
                             "aa16 0414 f54172bdf98a95d65cbeb88a38a1c11d800a85c3")
                        .value();
    if (v12) m.eim_transaction_id = Bytes{0x44};
    out.push_back({up, "initiateAuthenticationRequestEsipa", Direction::ipa_to_eim, v, EsipaMessageFromIpaToEim(m)});
  }
  {
    AuthenticateClientRequestEsipa m{tid, from_hex("bf3805a003020101").value()};
    out.push_back({up, "authenticateClientRequestEsipa", Direction::ipa_to_eim, v, EsipaMessageFromIpaToEim(m)});
    GetBoundProfilePackageRequestEsipa b{tid, from_hex("bf2105a003020101").value()};
    out.push_back({up, "getBoundProfilePackageRequestEsipa", Direction::ipa_to_eim, v, EsipaMessageFromIpaToEim(b)});
    CancelSessionRequestEsipa c{tid, from_hex("810101").value()};
    out.push_back({up, "cancelSessionRequestEsipa postponed error", Direction::ipa_to_eim, v,
                   EsipaMessageFromIpaToEim(c)});
  }
  {
    der::Writer s1;
    s1.constructed(der::kSequence, [&] {
      s1.octets(der::context(0), tid);
      s1.octets(der::context(1), seq16(0x10));
      s1.utf8(der::context(3), "smdp.example.com");
      s1.octets(der::context(4), seq16(0x30));
    });
    InitiateAuthenticationOkEsipa ok;
    ok.transaction_id = tid;
    ok.server_signed1 = s1.take();
    ok.server_signature1 = sample_signature(0x50);
    ok.euicc_ci_pkid_to_be_used = from_hex("f54172bdf98a95d65cbeb88a38a1c11d800a85c3").value();
    ok.server_certificate = from_hex("3008 3003 020101 0401 cc").value();
    ok.matching_id = "MATCHING-ID";
    ok.ctx_params1 = from_hex("a00f 80034d4944 a108 8004 35290611 a100").value();
    out.push_back({down, "initiateAuthenticationResponseEsipa ok", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(InitiateAuthenticationResponseEsipa(ok))});
    out.push_back({down, "initiateAuthenticationResponseEsipa error", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(InitiateAuthenticationResponseEsipa(InitiateAuthenticationErrorEsipa{3}))});
  }
  {
    AuthenticateClientOkDpEsipa dp;
    dp.transaction_id = tid;
    dp.profile_metadata = from_hex("bf25 12 5a0a 98440000000000000012 9101 41 9201 42").value();
    dp.smdp_signed2 = from_hex("3015 8010 707172737475767778797a7b7c7d7e7f 010100").value();
    dp.smdp_signature2 = sample_signature(0x60);
    dp.smdp_certificate = from_hex("3008 3003 020101 0401 dd").value();
    dp.hash_cc = Bytes(32, 0xEE);
    out.push_back({down, "authenticateClientResponseEsipa okDP", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(AuthenticateClientResponseEsipa(dp))});
    AuthenticateClientOkDsEsipa ds;
    ds.transaction_id = tid;
    ProfileDownloadTriggerRequest trig;
    trig.profile_download_data = DownloadActivationCode{"1$smdp.example.com$MATCHING-ID"};
    ds.profile_download_trigger = trig;
    out.push_back({down, "authenticateClientResponseEsipa okDS", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(AuthenticateClientResponseEsipa(ds))});
    out.push_back({down, "authenticateClientResponseEsipa error", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(AuthenticateClientResponseEsipa(AuthenticateClientErrorEsipa{8}))});
  }
  {
    GetBoundProfilePackageOkEsipa ok{tid, from_hex("bf3606 bf2303 020101").value()};
    out.push_back({down, "getBoundProfilePackageResponseEsipa ok", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(GetBoundProfilePackageResponseEsipa(ok))});
    out.push_back({down, "getBoundProfilePackageResponseEsipa error", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(GetBoundProfilePackageResponseEsipa(GetBoundProfilePackageErrorEsipa{95}))});
    out.push_back({down, "cancelSessionResponseEsipa ok", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(CancelSessionResponseEsipa(CancelSessionOkEsipa{}))});
    out.push_back({down, "cancelSessionResponseEsipa error", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(CancelSessionResponseEsipa(CancelSessionErrorEsipa{1}))});
  }
}

void add_common(std::vector<CorpusEntry>& out, Version v) {
  const std::string sfx = v == Version::v1_2 ? "v1.2" : "v1.0";
  const bool v12 = v == Version::v1_2;
  const std::string up = "ipa_to_eim_" + sfx;
  const std::string down = "eim_to_ipa_" + sfx;

  // --- IPA -> eIM ---
  {
    GetEimPackageRequest g;
    g.eid = sample_eid();
    out.push_back({up, "getEimPackageRequest minimal", Direction::ipa_to_eim, v, EsipaMessageFromIpaToEim(g)});
    g.notify_state_change = true;
    if (v12) g.state_change_cause = 1;
    g.rplmn = Bytes{0x13, 0xF0, 0x01};
    out.push_back({up, "getEimPackageRequest notifyStateChange rPLMN", Direction::ipa_to_eim, v,
                   EsipaMessageFromIpaToEim(g)});
  }
  {
    ProvideEimPackageResult p;
    if (v12) p.eid = sample_eid();
    EuiccResultData listing;
    listing.kind = EuiccResultKind::list_profile_info;
    ProfileInfo a;
    a.iccid = sample_iccid(1);
    a.isdp_aid = from_hex("a0000005591010ffffffff8900001000").value();
    a.profile_state = 1;
    a.profile_nickname = "primary";
    a.service_provider_name = "Carrier A";
    a.profile_name = "IoT";
    a.profile_class = 2;
    if (v12) a.fallback_attribute = true;
    ProfileInfo b;
    b.iccid = sample_iccid(2);
    b.profile_state = 0;
    b.profile_class = 2;
    listing.profiles = {a, b};
    p.result = EuiccPackageResult(signed_result(
        7, {code(EuiccResultKind::enable, 0), code(EuiccResultKind::disable, 2), code(EuiccResultKind::delete_profile, 1),
            listing, code(EuiccResultKind::configure_immediate_enable, 0), code(EuiccResultKind::rollback, 0),
            code(EuiccResultKind::processing_terminated, 3)}));
    out.push_back({up, "provideEimPackageResult signed PSMO results", Direction::ipa_to_eim, v,
                   EsipaMessageFromIpaToEim(p)});
    if (v12) {
      ProvideEimPackageResult q;
      q.eid = sample_eid();
      EuiccResultData rat;
      rat.kind = EuiccResultKind::get_rat;
      // One ProfilePolicyAuthorisationRule: pprIds {ppr1}, allowedOperators {MCC/MNC 310/010}, pprFlags {consentRequired}.
      rat.rat_der = from_hex("3011800206 40 a107 3005 0403 13f001 82020780").value();
      q.result = EuiccPackageResult(signed_result(
          8, {code(EuiccResultKind::set_fallback_attribute, 0), code(EuiccResultKind::unset_fallback_attribute, 2),
              code(EuiccResultKind::set_default_dp_address, 0), rat}));
      out.push_back({up, "provideEimPackageResult fallback and default DP results", Direction::ipa_to_eim, v,
                     EsipaMessageFromIpaToEim(q)});
    }
    ProvideEimPackageResult e;
    EuiccResultData add;
    add.kind = EuiccResultKind::add_eim;
    add.association_token = 5;
    EuiccResultData add2 = code(EuiccResultKind::add_eim, 3);
    EuiccResultData list;
    list.kind = EuiccResultKind::list_eim;
    list.eims = {EimIdInfo{"eim.esimo.example", 2}, EimIdInfo{"other-eim", std::nullopt}};
    EuiccResultData list_err;
    list_err.kind = EuiccResultKind::list_profile_info;
    list_err.list_error = 11;
    e.result = EuiccPackageResult(signed_result(
        9, {add, add2, code(EuiccResultKind::delete_eim, 1), code(EuiccResultKind::update_eim, 6), list, list_err}));
    out.push_back({up, "provideEimPackageResult signed eCO results", Direction::ipa_to_eim, v,
                   EsipaMessageFromIpaToEim(e)});
  }
  {
    ProvideEimPackageResult p;
    EuiccPackageErrorSigned s;
    s.data.eim_id = "eim.esimo.example";
    s.data.counter_value = 3;
    s.data.eim_transaction_id = Bytes{0x0A};
    s.data.euicc_package_error_code = 4;
    s.euicc_sign_epe = sample_signature(0xB0);
    p.result = EuiccPackageResult(s);
    out.push_back({up, "provideEimPackageResult euiccPackageErrorSigned replayError", Direction::ipa_to_eim, v,
                   EsipaMessageFromIpaToEim(p)});
    EuiccPackageErrorUnsigned u;
    u.eim_id = "eim.esimo.example";
    if (v12) u.eim_transaction_id = Bytes{0x0B};
    u.association_token = 77;
    p.result = EuiccPackageResult(u);
    out.push_back({up, "provideEimPackageResult euiccPackageErrorUnsigned", Direction::ipa_to_eim, v,
                   EsipaMessageFromIpaToEim(p)});
    EimPackageResultError err;
    if (v12) err.eim_transaction_id = Bytes{0x0C};
    err.code = 1;
    p.result = err;
    out.push_back({up, "provideEimPackageResult package error", Direction::ipa_to_eim, v,
                   EsipaMessageFromIpaToEim(p)});
    IpaEuiccData data;
    data.notifications_list = std::vector<PendingNotification>{other_signed_notification(14, 1u << 0)};
    data.default_smdp_address = "smdp.example.com";
    if (v12) {
      data.euicc_package_result_list =
          std::vector<EuiccPackageResult>{EuiccPackageResult(signed_result(6, {code(EuiccResultKind::enable, 0)}))};
    }
    // EUICCInfo1: svn 2.5.0, one CI key id for verification and signing.
    data.euicc_info1 = from_hex("bf2035 8203020500 a916 0414 f54172bdf98a95d65cbeb88a38a1c11d800a85c3"
                                "aa16 0414 f54172bdf98a95d65cbeb88a38a1c11d800a85c3")
                           .value();
    data.root_smds_address = "lpa.ds.gsma.com";
    data.association_token = 1;
    data.eum_certificate = from_hex("3008 3003 020101 0401 aa").value();     // stand-ins: any DER SEQUENCE
    data.euicc_certificate = from_hex("3008 3003 020102 0401 bb").value();
    if (v12) data.eim_transaction_id = Bytes{0x22};
    data.ipa_capabilities = from_hex("80020640").value();  // ipaFeatures {indirectRspServerCommunication}
    data.device_info = from_hex("8004 35290611 a100").value();
    p.result = IpaEuiccDataResponse(data);
    if (v12) p.eid = sample_eid();
    out.push_back({up, "provideEimPackageResult ipaEuiccData", Direction::ipa_to_eim, v, EsipaMessageFromIpaToEim(p)});
    IpaEuiccDataError derr;
    if (v12) derr.eim_transaction_id = Bytes{0x22};
    derr.code = 1;
    p.result = IpaEuiccDataResponse(derr);
    out.push_back({up, "provideEimPackageResult ipaEuiccData error", Direction::ipa_to_eim, v,
                   EsipaMessageFromIpaToEim(p)});
    {
      // A ProfileInstallationResult (BF37) with its metadata; the signature part is a stand-in.
      der::Writer w;
      w.constructed(der::tag(0xBF37), [&] {
        w.constructed(der::tag(0xBF27), [&] {
          w.octets(der::context(0), seq16(0x70));
          w.constructed(der::tag(0xBF2F), [&] {
            w.integer(der::context(0), 15);
            w.named_bits(der::context(1), 1u << 0, 3);
            w.utf8(der::kUtf8String, "smdp.example.com");
            w.octets(der::tag(0x5A), sample_iccid(3));
          });
          w.constructed(der::context(2, true), [&] {
            w.constructed(der::context(0, true), [&] { w.octets(der::tag(0x4F), seq16(0xA0)); });
          });
        });
        w.octets(der::tag(0x5F37), sample_signature(0x70));
      });
      PendingNotification pir;
      pir.kind = PendingNotificationKind::profile_installation_result;
      pir.der = w.take();
      pir.metadata = NotificationMetadata{15, 1u << 0, "smdp.example.com", sample_iccid(3)};
      ProfileDownloadTriggerResult tr;
      tr.eim_transaction_id = Bytes{0x33, 0x44};
      tr.result = pir;
      p.result = tr;
      out.push_back({up, "provideEimPackageResult profileDownloadTriggerResult installed", Direction::ipa_to_eim, v,
                     EsipaMessageFromIpaToEim(p)});
      ProfileDownloadError err;
      if (v12) err.profile_download_error_reason = 127;
      err.error_response = from_hex("bf3a03810106").value();
      tr.result = err;
      p.result = tr;
      out.push_back({up, "provideEimPackageResult profileDownloadTriggerResult error", Direction::ipa_to_eim, v,
                     EsipaMessageFromIpaToEim(p)});
    }
    p.eid.reset();
    EprAndNotifications en;
    en.euicc_package_result = EuiccPackageResult(signed_result(10, {code(EuiccResultKind::enable, 0)}));
    en.notification_list = {other_signed_notification(12, 1u << 1)};
    p.result = en;
    if (v12) p.eid = sample_eid();
    out.push_back({up, "provideEimPackageResult ePRAndNotifications", Direction::ipa_to_eim, v,
                   EsipaMessageFromIpaToEim(p)});
  }
  {
    HandleNotificationEsipa h = other_signed_notification(13, 1u << 2);
    out.push_back({up, "handleNotificationEsipa otherSignedNotification disable", Direction::ipa_to_eim, v,
                   EsipaMessageFromIpaToEim(h)});
    ProvideEimPackageResult p;
    if (v12) p.eid = sample_eid();
    p.result = EuiccPackageResult(signed_result(11, {code(EuiccResultKind::enable, 0)}));
    h = p;
    out.push_back({up, "handleNotificationEsipa provideEimPackageResult", Direction::ipa_to_eim, v,
                   EsipaMessageFromIpaToEim(h)});
  }

  // --- eIM -> IPA ---
  {
    PsmoList psmos;
    psmos.push_back(PsmoEnable{sample_iccid(2), true});
    out.push_back({down, "getEimPackageResponse enable with rollback", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(GetEimPackageResponse(package(v, psmos, 1)))});
    psmos.clear();
    psmos.push_back(PsmoDisable{sample_iccid(1)});
    psmos.push_back(PsmoDelete{sample_iccid(1)});
    PsmoListProfileInfo lpi;
    lpi.search_profile_class = 2;
    lpi.tag_list = Bytes{0x5A, 0x9F, 0x70};
    psmos.push_back(lpi);
    psmos.push_back(PsmoListProfileInfo{});
    psmos.push_back(PsmoGetRat{});
    PsmoConfigureImmediateEnable cie;
    cie.immediate_enable_flag = true;
    cie.default_smdp_oid = "2.999.10";
    cie.default_smdp_address = "smdp.example.com";
    psmos.push_back(cie);
    if (v12) {
      psmos.push_back(PsmoSetFallbackAttribute{sample_iccid(2)});
      psmos.push_back(PsmoUnsetFallbackAttribute{});
      psmos.push_back(PsmoSetDefaultDpAddress{"smdp.example.com"});
    }
    out.push_back({down, "getEimPackageResponse all PSMOs", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(GetEimPackageResponse(package(v, psmos, 2)))});
    EcoList ecos;
    ecos.push_back(EcoAddEim{sample_config(v)});
    ecos.push_back(EcoDeleteEim{"old-eim"});
    EimConfigurationData upd;
    upd.eim_id = "eim.esimo.example";
    upd.counter_value = 100;
    ecos.push_back(EcoUpdateEim{upd});
    ecos.push_back(EcoListEim{});
    out.push_back({down, "getEimPackageResponse all eCOs", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(GetEimPackageResponse(package(v, ecos, 3)))});
  }
  {
    IpaEuiccDataRequest d;
    d.tag_list = Bytes{0x80, 0xBF, 0x20, 0xBF, 0x22, 0xA5, 0xA6};
    d.euicc_ci_pkid = from_hex("f54172bdf98a95d65cbeb88a38a1c11d800a85c3").value();
    if (v12) {
      d.search_notification_seq_number = 5;
      d.search_euicc_package_result_seq_number = 3;
      d.eim_transaction_id = Bytes{0x22};
    } else {
      d.search_euicc_package_results = true;
    }
    out.push_back({down, "getEimPackageResponse ipaEuiccDataRequest", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(GetEimPackageResponse(d))});
    IpaEuiccDataRequest d2;
    d2.tag_list = Bytes{0xA0};
    d2.search_notification_operation = (1u << 0) | (1u << 1);
    out.push_back({down, "getEimPackageResponse ipaEuiccDataRequest by operation", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(GetEimPackageResponse(d2))});
  }
  {
    ProfileDownloadTriggerRequest t;
    t.profile_download_data = DownloadActivationCode{"1$smdp.example.com$MATCHING-ID"};
    t.eim_transaction_id = Bytes{0x33, 0x44};
    out.push_back({down, "getEimPackageResponse profileDownloadTriggerRequest activationCode", Direction::eim_to_ipa,
                   v, EsipaMessageFromEimToIpa(GetEimPackageResponse(t))});
    ProfileDownloadTriggerRequest t2;
    t2.profile_download_data = DownloadContactSmds{std::string("lpa.ds.gsma.com")};
    out.push_back({down, "getEimPackageResponse profileDownloadTriggerRequest contactSmds", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(GetEimPackageResponse(t2))});
  }
  out.push_back({down, "getEimPackageResponse noEimPackageAvailable", Direction::eim_to_ipa, v,
                 EsipaMessageFromEimToIpa(GetEimPackageResponse(EimPackageError{1}))});
  {
    ProvideEimPackageResultResponse r;
    r.kind = ProvideEimPackageResultResponse::Kind::acknowledgements;
    r.seq_numbers = {12, 13};
    out.push_back({down, "provideEimPackageResultResponse eimAcknowledgements", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(r)});
    ProvideEimPackageResultResponse empty;
    out.push_back({down, "provideEimPackageResultResponse empty", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(empty)});
    if (v12) {
      ProvideEimPackageResultResponse err;
      err.kind = ProvideEimPackageResultResponse::Kind::error;
      err.error_code = 2;
      out.push_back({down, "provideEimPackageResultResponse eidNotFound", Direction::eim_to_ipa, v,
                     EsipaMessageFromEimToIpa(err)});
    }
  }
  add_download(out, v, up, down);
  {
    TransferEimPackageRequest t;
    PsmoList psmos;
    psmos.push_back(PsmoDisable{sample_iccid(1)});
    t.package = package(v, psmos, 20);
    out.push_back({down, "transferEimPackageRequest euiccPackageRequest", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(t)});
    t.package = EimAcknowledgements{{12, 13}};
    out.push_back({down, "transferEimPackageRequest eimAcknowledgements", Direction::eim_to_ipa, v,
                   EsipaMessageFromEimToIpa(t)});
    TransferEimPackageResponse r;
    r.result = EuiccPackageResult(signed_result(20, {code(EuiccResultKind::disable, 0)}));
    out.push_back({up, "transferEimPackageResponse euiccPackageResult", Direction::ipa_to_eim, v,
                   EsipaMessageFromIpaToEim(r)});
    r.result = EimPackageReceived{};
    out.push_back({up, "transferEimPackageResponse eimPackageReceived", Direction::ipa_to_eim, v,
                   EsipaMessageFromIpaToEim(r)});
    r.result = EimPackageResultError{std::nullopt, 2};
    out.push_back({up, "transferEimPackageResponse eimPackageError", Direction::ipa_to_eim, v,
                   EsipaMessageFromIpaToEim(r)});
  }
  {
    AddInitialEimRequest a;
    a.eim_configuration_data_list = {sample_config(v)};
    out.push_back({"add_initial_eim_" + sfx, "addInitialEimRequest", Direction::add_initial_eim, v, a});
  }
}

}  // namespace

std::vector<CorpusEntry> corpus() {
  std::vector<CorpusEntry> out;
  add_common(out, Version::v1_2);
  add_common(out, Version::v1_0);
  return out;
}

Result<Bytes> encode_entry(const CorpusEntry& e) {
  return std::visit([&](const auto& m) -> Result<Bytes> { return encode(m, e.version); }, e.message);
}

Result<std::string> decode_to_text(Direction d, Version v, ByteView der) {
  switch (d) {
    case Direction::ipa_to_eim: {
      ESIMO_TRY(auto m, decode_ipa_to_eim(der, v));
      return to_text(m, v);
    }
    case Direction::eim_to_ipa: {
      ESIMO_TRY(auto m, decode_eim_to_ipa(der, v));
      return to_text(m, v);
    }
    default: {
      ESIMO_TRY(auto m, decode_add_initial_eim_request(der, v));
      return to_text(m, v);
    }
  }
}

Result<Bytes> reencode(Direction d, Version v, ByteView der) {
  switch (d) {
    case Direction::ipa_to_eim: {
      ESIMO_TRY(auto m, decode_ipa_to_eim(der, v));
      return encode(m, v);
    }
    case Direction::eim_to_ipa: {
      ESIMO_TRY(auto m, decode_eim_to_ipa(der, v));
      return encode(m, v);
    }
    default: {
      ESIMO_TRY(auto m, decode_add_initial_eim_request(der, v));
      return encode(m, v);
    }
  }
}

}  // namespace esimo::sgp::testing
