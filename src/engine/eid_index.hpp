#pragma once
// The engine's device index: packed EID (16 bytes, domain::Eid::to_bytes) -> slot in the device vector.
//
// Open addressing with linear probing over 8-byte cells {32-bit hash, slot + 1}: a lookup is one cache line of the
// table plus the device itself (which the caller touches anyway), where a node-based hash map cost a bucket, a node
// and the key (about 60 bytes a device and three cache misses). The key is not copied into the table: the caller's
// `key_of(slot)` gives the device's own packed EID, compared only when the 32-bit hashes match. Erase shifts the
// following cells back (no tombstones), so probes stay short however many devices come and go.
//
// Thread-safety: plain value; the engine's mutex guards it (find() and prefetch() are read-only).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

namespace esimo::engine {

class EidIndex {
 public:
  using Key = std::array<std::uint8_t, 16>;

  static std::uint32_t hash(const Key& k) {
    std::uint64_t a = 0, b = 0;
    std::memcpy(&a, k.data(), 8);
    std::memcpy(&b, k.data() + 8, 8);
    std::uint64_t x = (a * 0x9E3779B97F4A7C15ULL) ^ b;
    x ^= x >> 31;
    x *= 0xC2B2AE3D27D4EB4FULL;
    x ^= x >> 29;
    return static_cast<std::uint32_t>(x >> 32);
  }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return cells_.size(); }

  // The slot of `k`, or nullopt. key_of(slot) -> const Key& (the stored device's EID).
  template <class KeyOf>
  std::optional<std::uint32_t> find(const Key& k, KeyOf&& key_of) const {
    return find_hashed(k, hash(k), key_of);
  }
  // The same with hash(k) already computed (a batch hashes its keys once, to prefetch).
  template <class KeyOf>
  std::optional<std::uint32_t> find_hashed(const Key& k, std::uint32_t h, KeyOf&& key_of) const {
    if (cells_.empty()) return std::nullopt;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Cell& c = cells_[i];
      if (c.slot1 == 0) return std::nullopt;
      if (c.h == h && same(key_of(c.slot1 - 1), k)) return c.slot1 - 1;
    }
  }

  // Adds k -> slot; k must not be in the index.
  void insert(const Key& k, std::uint32_t slot) {
    if ((size_ + 1) * 2 > cells_.size()) grow();
    place(Cell{hash(k), slot + 1});
    ++size_;
  }

  // Removes k; false when it was not there.
  template <class KeyOf>
  bool erase(const Key& k, KeyOf&& key_of) {
    if (cells_.empty()) return false;
    const std::uint32_t h = hash(k);
    std::size_t i = h & mask_;
    for (;; i = (i + 1) & mask_) {
      const Cell& c = cells_[i];
      if (c.slot1 == 0) return false;
      if (c.h == h && same(key_of(c.slot1 - 1), k)) break;
    }
    // Backward shift: move each following cell of the run into the hole when its home allows it.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; cells_[j].slot1 != 0; j = (j + 1) & mask_) {
      const std::size_t home = cells_[j].h & mask_;
      // j may move to the hole if its home is not cyclically within (hole, j].
      const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!stays) {
        cells_[hole] = cells_[j];
        hole = j;
      }
    }
    cells_[hole] = Cell{};
    --size_;
    return true;
  }

  // Loads the cell a lookup of k starts at (a batch prefetches records ahead of the one it works on).
  void prefetch(const Key& k) const { prefetch_hashed(hash(k)); }
  void prefetch_hashed(std::uint32_t h) const {
    if (!cells_.empty()) __builtin_prefetch(&cells_[h & mask_]);
  }

  // Every slot held, in table order.
  template <class F>
  void for_each_slot(F&& f) const {
    for (const Cell& c : cells_) {
      if (c.slot1 != 0) f(c.slot1 - 1);
    }
  }

 private:
  static bool same(const Key& a, const Key& b) {
    std::uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a.data(), 8);
    std::memcpy(&a1, a.data() + 8, 8);
    std::memcpy(&b0, b.data(), 8);
    std::memcpy(&b1, b.data() + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }

  struct Cell {
    std::uint32_t h = 0;
    std::uint32_t slot1 = 0;  // slot + 1; 0: empty
  };

  void place(Cell c) {
    std::size_t i = c.h & mask_;
    while (cells_[i].slot1 != 0) i = (i + 1) & mask_;
    cells_[i] = c;
  }

  void grow() {
    std::vector<Cell> old = std::move(cells_);
    cells_.assign(old.empty() ? 16 : old.size() * 2, Cell{});
    mask_ = cells_.size() - 1;
    for (const Cell& c : old) {
      if (c.slot1 != 0) place(c);
    }
  }

  std::vector<Cell> cells_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace esimo::engine
