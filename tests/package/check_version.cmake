# Checks that `PROGRAM --version` prints "NAME <version>" and nothing else, where <version> is
# read from project(jwtfort VERSION ...) in the top CMakeLists.txt, the one place it is set.
# cmake -DPROGRAM=<executable> -DNAME=<program name> -DSOURCE_DIR=<jwtfort sources>
#       -P check_version.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var IN ITEMS PROGRAM NAME SOURCE_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_version.cmake: -D${var}=... is required")
  endif()
endforeach()

file(READ "${SOURCE_DIR}/CMakeLists.txt" top)
if(NOT top MATCHES "project\\(jwtfort VERSION ([0-9]+\\.[0-9]+\\.[0-9]+)")
  message(FATAL_ERROR "no project(jwtfort VERSION x.y.z) in ${SOURCE_DIR}/CMakeLists.txt")
endif()
set(expected "${NAME} ${CMAKE_MATCH_1}")

execute_process(COMMAND "${PROGRAM}" --version RESULT_VARIABLE code OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(NOT code EQUAL 0 OR NOT out STREQUAL "${expected}\n" OR NOT err STREQUAL "")
  string(REPLACE "\n" "\\n" out "${out}")
  message(FATAL_ERROR "${NAME} --version: exit ${code}, stdout '${out}', stderr '${err}'; "
                      "expected exit 0, stdout '${expected}\\n' and nothing on stderr")
endif()
message(STATUS "${NAME} --version: ${expected}")
