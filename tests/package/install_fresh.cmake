# Installs a jwtfort build into an emptied prefix, so that nothing left from an earlier install
# can satisfy a find_package test.
# cmake -DBUILD_DIR=<jwtfort build tree> -DPREFIX=<install prefix> -P install_fresh.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var IN ITEMS BUILD_DIR PREFIX)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install_fresh.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BUILD_DIR} failed (${code}):\n${out}")
endif()
message(STATUS "installed into ${PREFIX}")
