#pragma once
// Public types of the indirect profile download (SGP.32 §3.2, the eIM relaying ES9+): the "download" operation request
// and the relay's options. The relay itself is download_relay.hpp (internal); the SM-DP+ port is es9_client.hpp.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "base/bytes.hpp"

namespace esimo::eim {

// REST: {"type":"download","activation_code":"1$SMDP$MATCHING_ID","confirmation_code":"...","enable":true,
//        "carrier":"..."}.
struct OpDownload {
  std::string activation_code;  // SGP.22 §4.1, validated at submit (parse_activation_code)
  // SHA-256 of the confirmation code: all the eIM needs for hashCc (SGP.22 §5.7.5: SHA-256(SHA-256(CC) ||
  // TransactionId)); the code itself is never stored. Canonical JSON: "confirmation_code_sha256" (hex).
  std::optional<Bytes> confirmation_code_sha256;
  bool enable = false;                    // queue an enable of the installed profile once the download succeeded
  std::optional<std::string> carrier_id;  // carrier of the installed profile record (else from its profile owner)
};

struct DownloadOptions {
  // A download session with no ESipa message for this long ends `session_timeout` (so no device or operation stays
  // stuck when an IPA disappears mid-download). Also bounds how long a sent trigger waits for InitiateAuthentication.
  std::chrono::seconds session_timeout{600};
  // Each ES9+ call is tried up to this many times on retriable errors (transport errors, HTTP 5xx/408/429, status
  // Expired), waiting es9_backoff, then twice that, ... in between. The IPA's ESipa request waits meanwhile.
  int es9_attempts = 3;
  std::chrono::milliseconds es9_backoff{250};
  // How the relay waits between attempts (tests replace it); default std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
};

}  // namespace esimo::eim
