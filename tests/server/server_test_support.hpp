#pragma once
// Helpers shared by the server's unit tests: a scratch directory, exact outcomes, file modes.
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "jwtfort/error.hpp"

namespace jwtfort::server::test {

// A fresh directory per test, removed afterwards.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "jwtfort-server-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() { std::filesystem::remove_all(path_); }

  std::string path() const { return path_.string(); }
  std::string operator/(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// "ok", or the wire name and message of the error: one comparison checks both exactly.
template <class R>
std::string outcome(const R& r) {
  return r ? "ok" : std::string(to_string(r.code())) + ": " + r.error().message;
}

inline unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

}  // namespace jwtfort::server::test
