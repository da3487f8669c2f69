#include "harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace esimo::itest {

namespace {
std::atomic<int> g_counter{0};
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

Child::Child(const std::vector<std::string>& args, const std::filesystem::path& out_file,
             const std::filesystem::path& err_file, const Env& env)
    : out_file_(out_file), err_file_(err_file) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env.vars) vars[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : vars) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args_copy = args;
  for (auto& s : args_copy) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test process
    if (::getppid() != parent) ::_exit(127);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
}

Child::~Child() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
}

bool Child::running() {
  if (status_) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

void Child::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

std::optional<int> Child::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

std::string Child::out() const { return read_file(out_file_); }
std::string Child::err() const { return read_file(err_file_); }

std::string RunResult::last_line() const {
  std::string trimmed = out;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) trimmed.pop_back();
  auto nl = trimmed.rfind('\n');
  return nl == std::string::npos ? trimmed : trimmed.substr(nl + 1);
}

RunResult run_esimo(const std::vector<std::string>& args, const Env& env) {
  TempDir io;
  std::vector<std::string> full{ESIMO_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  Child child(full, io / "out", io / "err", env);
  RunResult r;
  auto code = child.wait(std::chrono::seconds(60));
  r.code = code ? *code : -1;
  r.out = child.out();
  r.err = child.err();
  return r;
}

Server::Server(const std::filesystem::path& data_dir, Options options) {
  dir_ = data_dir.parent_path() / ("serve-" + std::to_string(::getpid()) + "-" + std::to_string(g_counter++));
  std::filesystem::create_directories(dir_);
  const auto port_file = dir_ / "port";
  std::vector<std::string> args{ESIMO_BINARY, "serve", "--data-dir", data_dir.string(), "--listen", "127.0.0.1:0",
                                "--port-file", port_file.string()};
  if (options.admin_key) args.push_back("--admin-key");
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  child_ = std::make_unique<Child>(args, dir_ / "out", dir_ / "err", options.env);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!child_->running()) {
      startup_error_ = "esimo serve exited early: " + child_->err();
      return;
    }
    std::string text = read_file(port_file);
    if (!text.empty() && text.back() == '\n') {
      port_ = static_cast<std::uint16_t>(std::stoi(text));
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (port_ == 0) {
    startup_error_ = "esimo serve did not write its port: " + child_->err();
    return;
  }
  if (options.admin_key) {
    // The banner is printed before the port file is written.
    std::istringstream lines(child_->out());
    std::string line;
    while (std::getline(lines, line)) {
      auto at = line.find("Admin API key");
      if (at != std::string::npos) admin_key_ = line.substr(line.rfind(' ') + 1);
    }
  }
}

std::optional<int> Server::terminate(std::chrono::milliseconds timeout) {
  child_->signal(SIGTERM);
  return child_->wait(timeout);
}

std::unique_ptr<net::HttpClient> Server::client(net::ClientOptions options) const {
  auto c = net::HttpClient::connect("127.0.0.1", port_, options);
  if (!c.ok()) return nullptr;
  return std::move(c).value();
}

std::vector<http::Header> bearer(const std::string& key) { return {{"authorization", "Bearer " + key}}; }

}  // namespace esimo::itest
