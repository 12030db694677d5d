#pragma once
// Child processes of the C++ tests (store_probe, jwks_server.py), read line by line; shared by the
// integration tests, the unit tests of the stores and the store benchmark.
//
// Example:
//   jwtfort::test::child_process child({JWTFORT_STORE_PROBE, url, "wait-revoked", "j1", "5000"});
//   ASSERT_EQ(child.read_line(), "ready");
//
// Failures to start a child throw std::system_error, which gtest reports as a failure of the
// running test.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

extern char** environ;

namespace jwtfort::test {

/// A child process whose stdout the test reads line by line; `argv[0]` is the program, looked up
/// in PATH when it holds no slash. With `stdin_pipe` the child's stdin is a pipe this object keeps
/// open: a child that exits at the end of its stdin then also goes when the test process dies.
/// The child is killed (SIGKILL) and reaped when this object goes away.
class child_process {
 public:
  explicit child_process(std::vector<std::string> argv, bool stdin_pipe = false) {
    int out[2], in[2] = {-1, -1};
    if (::pipe2(out, O_CLOEXEC) != 0)
      throw std::system_error(errno, std::generic_category(), "pipe2");
    if (stdin_pipe && ::pipe2(in, O_CLOEXEC) != 0) {
      const int error = errno;
      ::close(out[0]), ::close(out[1]);
      throw std::system_error(error, std::generic_category(), "pipe2");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    if (stdin_pipe) posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int failed = ::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);  // the child's copy is the only writer: its exit ends our reads
    out_ = out[0];
    if (stdin_pipe) {
      ::close(in[0]);
      in_ = in[1];
    }
    if (failed != 0) {
      close_pipes();  // no destructor runs for a constructor that throws
      throw std::system_error(failed, std::generic_category(), "posix_spawn " + argv[0]);
    }
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process() {
    kill();
    close_pipes();
  }

  /// The next complete line, or nothing at the end of the output or after `timeout`.
  std::optional<std::string> read_line(
      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto end = buffer_.find('\n'); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return line;
      }
      // Rounded up: a last partial millisecond must not become a poll that returns at once.
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{out_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        return std::nullopt;
      char chunk[4096];
      const ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;  // a partial last line is dropped: it was not complete
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  /// Whether the child runs: started and neither killed nor waited for yet.
  bool started() const { return pid_ > 0; }

  /// kill -9 and reap.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  /// Waits for the child to exit by itself: its exit status, or -1 if a signal ended it or it
  /// was already reaped (waitpid(-1) would wait for any child at all).
  int wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  void close_pipes() {
    ::close(out_);
    if (in_ >= 0) ::close(in_);
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int in_ = -1;
  std::string buffer_;
};

}  // namespace jwtfort::test
