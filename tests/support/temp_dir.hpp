#pragma once
// A fresh directory for one test, removed with its contents afterwards; shared by the C++ test
// trees (integration, server).

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace jwtfort::test {

class temp_dir {
 public:
  /// A directory named `prefix` and six random characters, in the system's temporary directory.
  explicit temp_dir(std::string_view prefix = "jwtfort-test-") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  std::string path() const { return path_.string(); }
  /// The path of `name` inside the directory.
  std::string file(std::string_view name) const { return (path_ / name).string(); }
  std::string operator/(std::string_view name) const { return file(name); }

 private:
  std::filesystem::path path_;
};

}  // namespace jwtfort::test
