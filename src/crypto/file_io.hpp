#pragma once
// INTERNAL to src/crypto: whole-file read and atomic write for PEM files.
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace esimo::crypto::file_io {

// The whole file; io_error naming the path when it cannot be read. Refuses files over 1 MiB (no PEM file is that big).
Result<std::string> read_text(const std::filesystem::path& path);
// Writes to "<path>.tmp" then renames, so a reader never sees half a file. secret=true: mode 0600.
Status write_text_atomic(const std::filesystem::path& path, std::string_view text, bool secret);

}  // namespace esimo::crypto::file_io
