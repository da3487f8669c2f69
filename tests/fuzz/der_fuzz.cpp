// libFuzzer target: the strict DER reader. Walks every TLV tree and runs every typed reader on every primitive; then
// checks that what the reader accepted re-encodes to the same bytes (DER is canonical).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "der/der.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Re-encodes a parsed TLV tree; returns false if the input was not accepted.
bool walk(const esimo::der::Tlv& t, esimo::der::Writer& w) {
  namespace der = esimo::der;
  if (!t.tag.constructed) {
    (void)der::read_integer(t);
    (void)der::read_unsigned(t);
    (void)der::read_boolean(t);
    (void)der::read_null(t);
    (void)der::read_utf8(t);
    (void)der::read_oid(t);
    (void)der::read_enumerated(t);
    auto bs = der::read_bit_string(t);
    if (bs.ok()) (void)bs->bit(bs->bit_count());
    w.primitive(t.tag, t.value);
    return true;
  }
  bool ok = true;
  w.constructed(t.tag, [&] {
    esimo::der::Reader r = t.children();
    while (ok && !r.empty()) {
      auto c = r.next();
      if (!c.ok()) {
        ok = false;
        return;
      }
      ok = walk(*c, w);
    }
  });
  return ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const esimo::ByteView in(data, size);
  auto top = esimo::der::read_single(in);
  if (!top.ok()) {
    check(top.error().code == esimo::Errc::parse_error && !top.error().message.empty());
    return 0;
  }
  check(top->raw.size() == size);
  esimo::der::Writer w;
  if (walk(*top, w)) {
    // Everything the strict reader accepts is canonical, so re-encoding reproduces the input exactly.
    check(w.bytes().size() == size);
    for (std::size_t i = 0; i < size; ++i) check(w.bytes()[i] == data[i]);
  }
  return 0;
}
