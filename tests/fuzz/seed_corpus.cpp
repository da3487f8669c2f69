// fuzz_seed_corpus VECTOR_DIR SEED_DIR [SCRATCH_DIR...]: writes every golden vector (tests/unit/sgp/vectors/*.txt, the
// hex line after each "== name" line) as one binary file in SEED_DIR, and empties each SCRATCH_DIR.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/bytes.hpp"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 3) {
    std::fprintf(stderr, "usage: fuzz_seed_corpus VECTOR_DIR SEED_DIR [SCRATCH_DIR...]\n");
    return 2;
  }
  const fs::path out = argv[2];
  std::error_code ec;
  fs::remove_all(out, ec);
  fs::create_directories(out);
  for (int i = 3; i < argc; ++i) {
    fs::remove_all(argv[i], ec);
    fs::create_directories(argv[i]);
  }
  int written = 0;
  for (const auto& entry : fs::directory_iterator(argv[1])) {
    if (entry.path().extension() != ".txt") continue;
    std::ifstream in(entry.path());
    std::string line;
    bool want_hex = false;
    while (std::getline(in, line)) {
      if (line.rfind("== ", 0) == 0) {
        want_hex = true;
        continue;
      }
      if (!want_hex) continue;
      want_hex = false;
      auto bytes = esimo::from_hex(line);
      if (!bytes.ok()) {
        std::fprintf(stderr, "%s: bad hex: %s\n", entry.path().c_str(), bytes.error().message.c_str());
        return 1;
      }
      std::ofstream(out / ("seed_" + std::to_string(written++)), std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
    }
  }
  std::printf("wrote %d seeds to %s\n", written, out.c_str());
  return written > 0 ? 0 : 1;
}
