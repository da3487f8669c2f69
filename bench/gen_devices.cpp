// esimo-gen-devices: a deterministic device CSV for the import and GET benchmarks.
//
//   esimo-gen-devices --count N --out FILE [--seed S] [--paths-out FILE] [--paths N]
//
// Writes `eid,name,group,tags,profiles` with N devices: valid EIDs (ISO 7064 MOD 97-10 check digits), two profiles each
// with valid ICCIDs (Luhn) on real Brazilian carriers of the catalog (Vivo 724-06 enabled, Claro 724-05 disabled),
// in the root group "fleet", two tags. The EID serials are a bijective scramble of the row number, so rows arrive in
// no particular key order (as in a real export) and are unique. Same --count and --seed: same bytes.
// --paths-out writes `--paths` (default: all) request paths /v1/devices/{eid} of rows picked at random, one a line, for
// esimo-http-load --paths-file.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace gen {

struct Options {
  std::uint64_t count = 0;
  std::uint64_t seed = 1;
  std::string out;
  std::string paths_out;
  std::uint64_t paths = 0;  // 0: as many as devices
};

// splitmix64: small, fast, and the same on every platform.
struct Rng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

// n -> a*n + b mod m with a coprime to m (m a power of ten): a bijection on [0, m).
__extension__ typedef unsigned __int128 GenU128;  // GCC/clang extension (a*n needs more than 64 bits)
std::uint64_t scramble(std::uint64_t n, std::uint64_t m, std::uint64_t seed) {
  const GenU128 a = m / 1000 * 618 + 7;  // about 0.618 m, so neighbours land far apart; ends in 7: coprime to m
  const GenU128 b = (seed * 0x5851F42D4C957F2DULL) % m;
  return static_cast<std::uint64_t>((a * n + b) % m);
}

void put_digits(std::string& s, std::uint64_t v, int width) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(v));
  s += buf;
}

// ISO 7064 MOD 97-10 as GSMA SGP.29 uses it for EIDs: the 32-digit number mod 97 is 1.
std::string eid_from_prefix30(const std::string& p) {
  unsigned r = 0;
  for (char c : p) r = (r * 10 + static_cast<unsigned>(c - '0')) % 97;
  const unsigned check = 98 - (r * 100) % 97;
  std::string s = p;
  s += static_cast<char>('0' + check / 10);
  s += static_cast<char>('0' + check % 10);
  return s;
}

// Luhn check digit for `payload` (the ICCID without its last digit).
char luhn_digit(const std::string& payload) {
  unsigned sum = 0;
  bool dbl = true;  // the digit left of the check digit is doubled
  for (auto it = payload.rbegin(); it != payload.rend(); ++it) {
    unsigned d = static_cast<unsigned>(*it - '0');
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

std::string eid_of(std::uint64_t row, std::uint64_t seed) {
  std::string p = "89049032";                                // EUM prefix of the form used in GSMA examples
  put_digits(p, seed % 10000, 4);                            // 4 digits: the seed, so two seeds never collide
  put_digits(p, scramble(row, 1000000000000000000ULL, seed), 18);
  return eid_from_prefix30(p);
}

// 19 digits + Luhn: 89 (telecom) 55 (Brazil) II (issuer) + 13-digit serial.
std::string iccid_of(std::uint64_t row, std::uint64_t seed, const char* issuer) {
  std::string p = "8955";
  p += issuer;
  put_digits(p, scramble(row, 10000000000000ULL, seed + 17), 13);
  p += luhn_digit(p);
  return p;
}

int usage(const char* why) {
  std::fprintf(stderr, "esimo-gen-devices: %s\nusage: esimo-gen-devices --count N --out FILE [--seed S] "
                       "[--paths-out FILE] [--paths N]\n", why);
  return 2;
}

bool parse_u64(std::string_view t, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && end == t.data() + t.size();
}

int run(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) return usage("missing value");
    const std::string_view v = argv[++i];
    if (a == "--count") {
      if (!parse_u64(v, opt.count) || opt.count == 0 || opt.count > 10000000) return usage("--count: 1..10000000");
    } else if (a == "--seed") {
      if (!parse_u64(v, opt.seed)) return usage("--seed: a number");
    } else if (a == "--out") {
      opt.out = v;
    } else if (a == "--paths-out") {
      opt.paths_out = v;
    } else if (a == "--paths") {
      if (!parse_u64(v, opt.paths)) return usage("--paths: a number");
    } else {
      return usage("unknown option");
    }
  }
  if (opt.count == 0 || opt.out.empty()) return usage("--count and --out are required");

  std::ofstream out(opt.out, std::ios::binary | std::ios::trunc);
  if (!out) return usage("cannot write --out");
  std::string buf = "eid,name,group,tags,profiles\n";
  std::vector<std::string> eids;
  if (!opt.paths_out.empty()) eids.reserve(opt.count);
  for (std::uint64_t row = 0; row < opt.count; ++row) {
    const std::string eid = eid_of(row, opt.seed);
    buf += eid;
    buf += ",meter-";
    put_digits(buf, row, 7);
    buf += ",fleet,bench;site-";
    put_digits(buf, row % 100, 2);
    buf += ',';
    buf += iccid_of(row, opt.seed, "06");
    buf += "@724-06:enabled;";
    buf += iccid_of(row, opt.seed, "05");
    buf += "@724-05:disabled\n";
    if (!opt.paths_out.empty()) eids.push_back(eid);
    if (buf.size() > (1u << 20)) {
      out << buf;
      buf.clear();
    }
  }
  out << buf;
  out.close();
  if (!out) return usage("write --out failed");

  if (!opt.paths_out.empty()) {
    std::ofstream paths(opt.paths_out, std::ios::trunc);
    if (!paths) return usage("cannot write --paths-out");
    Rng rng{opt.seed ^ 0xA5A5A5A5ULL};
    const std::uint64_t n = opt.paths == 0 ? opt.count : opt.paths;
    for (std::uint64_t i = 0; i < n; ++i) paths << "/v1/devices/" << eids[rng.next() % eids.size()] << '\n';
    if (!paths) return usage("write --paths-out failed");
  }
  return 0;
}

}  // namespace gen

int main(int argc, char** argv) { return gen::run(argc, argv); }
