#include "crypto/file_io.hpp"

#include <fstream>
#include <iterator>
#include <system_error>

namespace esimo::crypto::file_io {

Result<std::string> read_text(const std::filesystem::path& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return Error(Errc::io_error, "cannot read " + path.string() + ": " + ec.message(), path.string());
  if (size > (1u << 20)) return Error(Errc::too_large, path.string() + ": file too large for a PEM file", path.string());
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Errc::io_error, "cannot open " + path.string(), path.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Error(Errc::io_error, "cannot read " + path.string(), path.string());
  return text;
}

Status write_text_atomic(const std::filesystem::path& path, std::string_view text, bool secret) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Error(Errc::io_error, "cannot create " + tmp.string(), tmp.string());
    std::error_code perm_ec;
    if (secret) {
      // Restricted before the secret is written.
      std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                   std::filesystem::perm_options::replace, perm_ec);
    }
    if (!perm_ec) {
      out.write(text.data(), static_cast<std::streamsize>(text.size()));
      out.flush();
    }
    if (perm_ec || !out) {
      out.close();
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      return Error(Errc::io_error, (perm_ec ? "cannot restrict permissions of " : "cannot write ") + tmp.string(),
                   tmp.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Error(Errc::io_error, "cannot rename into " + path.string(), path.string());
  }
  return {};
}

}  // namespace esimo::crypto::file_io
