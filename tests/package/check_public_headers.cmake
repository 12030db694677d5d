# Fails, listing every offending line, when a public header includes a dependency's header:
# OpenSSL, simdjson, nlohmann/json, SQLite, hiredis, libcurl and toml++ stay private to the
# library (ARCHITECTURE.md, rule 1). The web frameworks are the application's dependencies, not
# the library's: only their own header-only adapter may include one (Boost in adapters/beast.hpp,
# cpp-httplib in adapters/httplib.hpp).
# cmake -DINCLUDE_DIR=<dir holding jwtfort/> -P check_public_headers.cmake
cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED INCLUDE_DIR)
  message(FATAL_ERROR "check_public_headers.cmake: -DINCLUDE_DIR=... is required")
endif()
# A relative directory is taken from where the script runs.
file(REAL_PATH "${INCLUDE_DIR}" INCLUDE_DIR)

file(GLOB_RECURSE headers RELATIVE "${INCLUDE_DIR}" "${INCLUDE_DIR}/jwtfort/*.hpp")
list(LENGTH headers header_count)
if(header_count EQUAL 0)
  message(FATAL_ERROR "no public headers under ${INCLUDE_DIR}/jwtfort")
endif()

set(include "^[ \t]*#[ \t]*include[ \t]*[<\"]")
set(private_deps "openssl/|simdjson|nlohmann/|sqlite3|hiredis/|curl/|toml\\+\\+/")
set(httplib "([^>\"]*/)?httplib\\.h")  # also under a directory, e.g. <cpp-httplib/httplib.h>
set(frameworks "boost/|${httplib}")
set(offenders "")
foreach(header IN LISTS headers)
  # The one framework a header may include, by header; every other header may include none.
  if(header STREQUAL "jwtfort/adapters/beast.hpp")
    set(forbidden "${include}(${private_deps}|${httplib})")
  elseif(header STREQUAL "jwtfort/adapters/httplib.hpp")
    set(forbidden "${include}(${private_deps}|boost/)")
  else()
    set(forbidden "${include}(${private_deps}|${frameworks})")
  endif()
  file(STRINGS "${INCLUDE_DIR}/${header}" matches REGEX "${forbidden}")
  foreach(line IN LISTS matches)
    string(STRIP "${line}" line)
    string(APPEND offenders "\n  ${header}: ${line}")
  endforeach()
endforeach()

if(offenders)
  message(FATAL_ERROR "public headers include private dependencies:${offenders}")
endif()
message(STATUS "${header_count} public headers include no private dependency's header")
