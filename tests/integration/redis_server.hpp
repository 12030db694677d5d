#pragma once
// A real redis-server for integration tests, on a free loopback port, with an append-only file
// fsynced on every write in its own temporary directory, so a test can stop it (SIGTERM,
// SIGKILL, SIGSTOP), restart it on the same port with its data or without, and talk to it raw.
// The server dies with the test: the destructor kills it, and the kernel kills it if the test
// process dies first (PR_SET_PDEATHSIG).
//
// Example:
//   jwtfort::test::redis_server redis;
//   auto store = jwtfort::open_store(redis.url());
//   redis.stop();   // SIGTERM; kill() is SIGKILL
//   redis.start();  // same port, same data
//   EXPECT_EQ(redis.command({"PTTL", "jwtfort:t:j1"}).integer, -1);
//
// Failures throw std::runtime_error, which gtest reports as a failure of the running test.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "jwtfort/store/open_store.hpp"
#include "jwtfort/store/redis_store.hpp"
#include "jwtfort/store/token_store.hpp"

namespace jwtfort::test {

/// One RESP2 reply.
struct redis_reply {
  char type = 0;     ///< '+' status, '-' error, ':' integer, '$' bulk string, '*' array
  bool nil = false;  ///< a nil bulk string or array
  std::string text;  ///< status, error or bulk string
  long long integer = 0;
  std::vector<redis_reply> elements;
};

/// One blocking RESP2 connection to 127.0.0.1, for checks the store under test must not do.
class redis_connection {
 public:
  explicit redis_connection(int port, std::chrono::milliseconds timeout = std::chrono::seconds(5))
      : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    const timeval tv{static_cast<time_t>(timeout.count() / 1000),
                     static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
  }
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;
  ~redis_connection() { ::close(fd_); }

  redis_reply call(const std::vector<std::string>& args) {
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    for (std::size_t sent = 0; sent < out.size();) {
      const ssize_t n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send to redis-server failed");
      sent += static_cast<std::size_t>(n);
    }
    return read();
  }

 private:
  void fill() {
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error("redis-server closed the connection or timed out");
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  std::string line() {
    std::size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) fill();
    std::string out = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return out;
  }
  redis_reply read() {
    redis_reply r;
    const std::string head = line();
    if (head.empty()) throw std::runtime_error("empty RESP line");
    r.type = head[0];
    const std::string rest = head.substr(1);
    if (r.type == '+' || r.type == '-') {
      r.text = rest;
    } else if (r.type == ':') {
      r.integer = std::stoll(rest);
    } else if (r.type == '$') {
      const long long size = std::stoll(rest);
      r.nil = size < 0;
      if (size >= 0) {
        while (buffer_.size() < static_cast<std::size_t>(size) + 2) fill();
        r.text = buffer_.substr(0, static_cast<std::size_t>(size));
        buffer_.erase(0, static_cast<std::size_t>(size) + 2);
      }
    } else if (r.type == '*') {
      const long long count = std::stoll(rest);
      r.nil = count < 0;
      for (long long i = 0; i < count; ++i) r.elements.push_back(read());
    } else {
      throw std::runtime_error("unexpected RESP type");
    }
    return r;
  }

  int fd_;
  std::string buffer_;
};

struct redis_server_options {
  std::string password;                 ///< --requirepass; command() authenticates with it
  std::vector<std::string> extra_args;  ///< more redis-server arguments, e.g. "--user" ...
};

class redis_server {
 public:
  explicit redis_server(redis_server_options options = {}) : options_(std::move(options)) {
    std::string dir = (std::filesystem::temp_directory_path() / "jwtfort-redis-XXXXXX").string();
    if (!::mkdtemp(dir.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    // Another process may take the free port before redis-server binds it: try a few.
    for (int attempt = 1;; ++attempt) {
      port_ = free_port();
      try {
        start();
        return;
      } catch (const std::exception&) {
        if (attempt == 3) {
          remove_dir();
          throw;
        }
      }
    }
  }
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;
  ~redis_server() {
    kill();
    remove_dir();
  }

  int port() const { return port_; }
  std::string url(int database = 0) const {
    return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(database);
  }
  redis_endpoint endpoint() const {
    return {.host = "127.0.0.1", .port = port_, .password = options_.password};
  }
  bool is_running() const { return pid_ > 0; }

  /// Starts redis-server (same port and directory as before) and waits until it answers PING.
  void start() {
    if (pid_ > 0) throw std::runtime_error("redis-server is already running");
    std::vector<std::string> args = {JWTFORT_REDIS_SERVER,
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "yes",
                                     "--appendfsync",
                                     "always",
                                     "--dir",
                                     dir_.string(),
                                     "--daemonize",
                                     "no"};
    if (!options_.password.empty()) args.insert(args.end(), {"--requirepass", options_.password});
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    spawn(args);
    wait_until_ready();
  }

  /// SIGTERM (Redis flushes its AOF and exits), SIGKILL if it is still there after 10 s.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    kill();
  }

  /// SIGKILL: no chance to flush anything beyond what was already fsynced.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  /// SIGSTOP / SIGCONT: the server stays connected but answers nothing (a frozen peer).
  void pause() { ::kill(pid_, SIGSTOP); }
  void resume() { ::kill(pid_, SIGCONT); }

  /// Deletes the server's data (while it is stopped), as if it restarted on an empty disk.
  void wipe_data() {
    if (pid_ > 0) throw std::runtime_error("wipe_data() needs the server stopped");
    for (const auto& entry : std::filesystem::directory_iterator(dir_))
      std::filesystem::remove_all(entry.path());
  }

  /// Runs one command on a fresh connection (after AUTH and SELECT when needed).
  redis_reply command(const std::vector<std::string>& args, int database = 0) const {
    redis_connection c(port_);
    if (!options_.password.empty()) c.call({"AUTH", options_.password});
    if (database != 0) c.call({"SELECT", std::to_string(database)});
    return c.call(args);
  }

 private:
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
      if (fd >= 0) ::close(fd);
      throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  void spawn(std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log = (dir_ / "redis.log").string();
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot open " + log);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {  // only async-signal-safe calls until exec
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
      ::close_range(3, ~0U, 0);  // no test sockets or pipes leak into the server
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(log_fd);
    if (pid < 0) throw std::runtime_error("fork failed");
    pid_ = pid;
  }

  void wait_until_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited at start:\n" + log_tail());
      }
      try {
        if (command({"PING"}).text == "PONG") return;
      } catch (const std::exception&) {
        // not listening yet
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill();
    throw std::runtime_error("redis-server did not answer PING within 20 s:\n" + log_tail());
  }

  std::string log_tail() const {
    std::ifstream in(dir_ / "redis.log");
    std::stringstream all;
    all << in.rdbuf();
    const std::string text = all.str();
    return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
  }

  void remove_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  redis_server_options options_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace jwtfort::test
