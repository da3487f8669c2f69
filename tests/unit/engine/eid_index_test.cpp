// The engine's device index (engine/eid_index.hpp) against a std::map under inserts, lookups and erases.
#include "engine/eid_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace esimo::engine {
namespace {

EidIndex::Key key_n(std::uint64_t n) {
  EidIndex::Key k{};
  k[0] = 0x89;
  k[1] = 0x04;
  for (int i = 0; i < 8; ++i) k[static_cast<std::size_t>(15 - i)] = static_cast<std::uint8_t>(n >> (8 * i));
  return k;
}

TEST(EngineEidIndex, FindsWhatWasInsertedAndNothingElse) {
  EidIndex idx;
  std::vector<EidIndex::Key> keys;  // slot -> key, as the engine's device vector
  const auto key_of = [&](std::uint32_t slot) -> const EidIndex::Key& { return keys[slot]; };
  EXPECT_EQ(idx.find(key_n(1), key_of), std::nullopt);
  for (std::uint32_t i = 0; i < 5000; ++i) {
    keys.push_back(key_n(1000 + i));
    idx.insert(keys.back(), i);
  }
  EXPECT_EQ(idx.size(), 5000u);
  EXPECT_LE(idx.size() * 2, idx.capacity());  // load at most one half
  for (std::uint32_t i = 0; i < 5000; ++i) EXPECT_EQ(idx.find(keys[i], key_of), i);
  EXPECT_EQ(idx.find(key_n(999), key_of), std::nullopt);
  EXPECT_EQ(idx.find(key_n(6000), key_of), std::nullopt);
  std::size_t seen = 0;
  idx.for_each_slot([&](std::uint32_t) { ++seen; });
  EXPECT_EQ(seen, 5000u);
}

TEST(EngineEidIndex, MatchesAMapUnderRandomInsertsAndErases) {
  std::mt19937_64 rng(7);
  EidIndex idx;
  std::vector<EidIndex::Key> keys;
  std::vector<std::uint32_t> free_slots;
  std::map<EidIndex::Key, std::uint32_t> ref;
  const auto key_of = [&](std::uint32_t slot) -> const EidIndex::Key& { return keys[slot]; };
  for (int step = 0; step < 100000; ++step) {
    // A small key space, so inserts, hits, misses and erases of the same keys all happen often.
    const EidIndex::Key k = key_n(rng() % 3000);
    const unsigned what = static_cast<unsigned>(rng() % 3);
    auto it = ref.find(k);
    if (what == 0) {
      if (it != ref.end()) continue;
      std::uint32_t slot;
      if (!free_slots.empty()) {
        slot = free_slots.back();
        free_slots.pop_back();
        keys[slot] = k;
      } else {
        slot = static_cast<std::uint32_t>(keys.size());
        keys.push_back(k);
      }
      idx.insert(k, slot);
      ref.emplace(k, slot);
    } else if (what == 1) {
      const bool erased = idx.erase(k, key_of);
      ASSERT_EQ(erased, it != ref.end()) << "step " << step;
      if (erased) {
        free_slots.push_back(it->second);
        ref.erase(it);
      }
    } else {
      const auto got = idx.find(k, key_of);
      ASSERT_EQ(got.has_value(), it != ref.end()) << "step " << step;
      if (got) {
        ASSERT_EQ(*got, it->second);
      }
    }
    ASSERT_EQ(idx.size(), ref.size());
  }
  // Every key still held is found after the churn (no probe chain was broken by an erase).
  for (const auto& [k, slot] : ref) ASSERT_EQ(idx.find(k, key_of), slot);
}

}  // namespace
}  // namespace esimo::engine
