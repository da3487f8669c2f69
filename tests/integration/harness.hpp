#pragma once
// Test harness: temporary data directories, child processes running the real `esimo` binary, and a server fixture
// that starts `esimo serve` on port 0 and reads back its port. Every child is killed when its handle goes away.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/http_message.hpp"
#include "net/http_client.hpp"
#include "support/temp_dir.hpp"

namespace esimo::itest {

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir : public test::TempDir {
 public:
  TempDir() : test::TempDir("esimo-itest") {}
};

std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& text);

struct Env {
  std::map<std::string, std::string> vars;  // added to (or replacing) the test's own environment
};

// A child process with stdout/stderr captured to files.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::filesystem::path& out_file, const std::filesystem::path& err_file,
        const Env& env = {});
  ~Child();  // SIGKILL + reap when still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  // Waits for the exit; nullopt on timeout. The exit code, or 128+signal when killed by a signal.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path out_file_, err_file_;
};

struct RunResult {
  int code = -1;
  std::string out, err;
  // The last non-empty line of stdout.
  std::string last_line() const;
};

// Runs `esimo args...` to completion (60 s at most).
RunResult run_esimo(const std::vector<std::string>& args, const Env& env = {});

// `esimo serve` on 127.0.0.1 port 0 with --port-file and --admin-key. The constructor waits until the port is known.
class Server {
 public:
  struct Options {
    std::vector<std::string> extra_args;
    Env env;
    bool admin_key = true;
  };
  Server(const std::filesystem::path& data_dir, Options options);
  explicit Server(const std::filesystem::path& data_dir) : Server(data_dir, Options{}) {}

  bool started() const { return port_ != 0; }
  std::uint16_t port() const { return port_; }
  const std::string& admin_key() const { return admin_key_; }
  Child& process() { return *child_; }
  // SIGTERM and wait for the exit code (nullopt when it did not exit in time).
  std::optional<int> terminate(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  std::string startup_error() const { return startup_error_; }

  std::unique_ptr<net::HttpClient> client(net::ClientOptions options = {}) const;

 private:
  std::unique_ptr<Child> child_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  std::string admin_key_;
  std::string startup_error_;
};

std::vector<http::Header> bearer(const std::string& key);

}  // namespace esimo::itest
