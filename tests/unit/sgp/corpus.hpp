#pragma once
// Hand-built message structs, one per golden vector (tests/unit/sgp/vectors/*.txt).
#include <string>
#include <variant>
#include <vector>

#include "sgp/codec.hpp"
#include "sgp/messages.hpp"

namespace esimo::sgp::testing {

enum class Direction { ipa_to_eim, eim_to_ipa, add_initial_eim };

struct CorpusEntry {
  std::string file;  // vectors/<file>.txt
  std::string name;
  Direction direction;
  Version version;
  std::variant<EsipaMessageFromIpaToEim, EsipaMessageFromEimToIpa, AddInitialEimRequest> message;
};

std::vector<CorpusEntry> corpus();

Bytes sample_eid();
Bytes sample_iccid(int n);
Bytes sample_signature(std::uint8_t fill);

// Encode / decode+dump / decode+re-encode by direction.
Result<Bytes> encode_entry(const CorpusEntry& e);
Result<std::string> decode_to_text(Direction d, Version v, ByteView der);
Result<Bytes> reencode(Direction d, Version v, ByteView der);

}  // namespace esimo::sgp::testing
