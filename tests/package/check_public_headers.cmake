# Fails, listing every offending line, when a public header includes a dependency's header:
# OpenSSL, simdjson, nlohmann/json, SQLite, hiredis, libcurl and toml++ stay private to the
# library (ARCHITECTURE.md, rule 1).
# cmake -DINCLUDE_DIR=<dir holding jwtfort/> -P check_public_headers.cmake
cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED INCLUDE_DIR)
  message(FATAL_ERROR "check_public_headers.cmake: -DINCLUDE_DIR=... is required")
endif()

file(GLOB_RECURSE headers RELATIVE "${INCLUDE_DIR}" "${INCLUDE_DIR}/jwtfort/*.hpp")
list(LENGTH headers header_count)
if(header_count EQUAL 0)
  message(FATAL_ERROR "no public headers under ${INCLUDE_DIR}/jwtfort")
endif()

set(forbidden
    "^[ \t]*#[ \t]*include[ \t]*[<\"](openssl/|simdjson|nlohmann/|sqlite3|hiredis/|curl/|toml\\+\\+/)")
set(offenders "")
foreach(header IN LISTS headers)
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
