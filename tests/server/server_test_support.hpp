#pragma once
// Helpers shared by the server's unit tests: a scratch directory, exact outcomes, file modes.
#include <sys/stat.h>

#include <string>

#include "support/assertions.hpp"
#include "support/temp_dir.hpp"

namespace jwtfort::server::test {

// A fresh directory per test, removed afterwards.
struct temp_dir : ::jwtfort::test::temp_dir {
  temp_dir() : ::jwtfort::test::temp_dir("jwtfort-server-") {}
};

using ::jwtfort::test::outcome;

inline unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

}  // namespace jwtfort::server::test
