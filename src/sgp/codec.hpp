#pragma once
// DER codecs for the SGP.32 messages in messages.hpp. Every decoder is strict: a wrong tag, a missing mandatory field,
// a field of the other version, an unknown CHOICE alternative or trailing bytes fail with Errc::parse_error and a
// message "<field path>: offset N: <what>" (Error::field holds the path). Unknown trailing components of a SEQUENCE
// are skipped (the modules are EXTENSIBILITY IMPLIED). Encoders fail with Errc::unsupported when a struct uses a field
// or alternative the chosen version does not have, and Errc::invalid_argument for out-of-range values (e.g. an EID
// that is not 16 octets).
#include "base/bytes.hpp"
#include "base/result.hpp"
#include "sgp/messages.hpp"

namespace esimo::sgp {

Result<Bytes> encode(const EsipaMessageFromIpaToEim& m, Version v);
Result<Bytes> encode(const EsipaMessageFromEimToIpa& m, Version v);
Result<EsipaMessageFromIpaToEim> decode_ipa_to_eim(ByteView der, Version v);
Result<EsipaMessageFromEimToIpa> decode_eim_to_ipa(ByteView der, Version v);

Result<Bytes> encode(const EuiccPackageRequest& m, Version v);
Result<EuiccPackageRequest> decode_euicc_package_request(ByteView der, Version v);
// DER of EuiccPackageSigned: the bytes the eIM signature covers (followed by the association token, see eim layer).
Result<Bytes> encode_euicc_package_signed(const EuiccPackageSigned& m, Version v);

Result<Bytes> encode(const EuiccPackageResult& m, Version v);
Result<EuiccPackageResult> decode_euicc_package_result(ByteView der, Version v);
// DER of EuiccPackageResultDataSigned / EuiccPackageErrorDataSigned: what the eUICC signature covers.
Result<Bytes> encode_result_data_signed(const EuiccPackageResultDataSigned& m, Version v);
Result<Bytes> encode_error_data_signed(const EuiccPackageErrorDataSigned& m, Version v);

Result<Bytes> encode(const AddInitialEimRequest& m, Version v);
Result<AddInitialEimRequest> decode_add_initial_eim_request(ByteView der, Version v);

// Human-readable dumps (golden vectors, logs, `esimo` debugging). Stable format: one field per line, two-space indent.
std::string to_text(const EsipaMessageFromIpaToEim& m, Version v);
std::string to_text(const EsipaMessageFromEimToIpa& m, Version v);
std::string to_text(const EuiccPackageRequest& m, Version v);
std::string to_text(const EuiccPackageResult& m, Version v);
std::string to_text(const AddInitialEimRequest& m, Version v);

}  // namespace esimo::sgp
