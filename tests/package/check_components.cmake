# Checks find_package(jwtfort COMPONENTS ...) component by component against an installed prefix:
# each component is found with only the packages it needs on a view of this machine
# (machine_view.cmake), and a missing package, an optional component or an unknown one is
# reported as documented. Configure and generate only (tests/package/components).
# cmake -P check_components.cmake with -DSOURCE_DIR=... -DPREFIX=... -DWORK_DIR=...
#   -DGENERATOR=... -DCXX_COMPILER=...
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/machine_view.cmake)

foreach(var IN ITEMS SOURCE_DIR PREFIX WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_components.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK_DIR}")

# What each component may need from the system, by itself and through the components it is built
# on. This is the promise to users (docs/building.md); the package configuration must keep it.
set(core_needs OpenSSL simdjson Threads libsodium)  # simdjson's package needs Threads
set(store_needs ${core_needs})
set(sqlite_needs ${store_needs} SQLite3)
set(redis_needs ${store_needs} hiredis)
set(store_url_needs ${store_needs} SQLite3 hiredis)
set(service_needs ${store_needs} CURL tomlplusplus)
set(http_needs ${service_needs})
set(all_needs ${store_url_needs} CURL tomlplusplus)

set(failures "")
# probe(<name> COMPONENTS ... OPTIONAL ... ALLOW ... EXPECT <text the output must hold> [FAILS])
function(probe name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "FAILS" "EXPECT" "COMPONENTS;OPTIONAL;ALLOW")
  set(dir "${WORK_DIR}/${name}")
  jwtfort_machine_view("${dir}" ${arg_ALLOW})
  execute_process(
    COMMAND ${view_env} "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/tests/package/components"
            -B "${dir}/build" -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
            "-DCMAKE_PREFIX_PATH=${PREFIX}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
            -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF "-DCOMPONENTS=${arg_COMPONENTS}"
            "-DOPTIONAL_COMPONENTS=${arg_OPTIONAL}" ${view_args}
    RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(REGEX REPLACE "[ \n]+" " " flat "${out}")  # CMake wraps long messages
  string(FIND "${flat}" "${arg_EXPECT}" at)
  if(arg_FAILS AND code EQUAL 0)
    set(problem "configured, but should have failed")
  elseif(NOT arg_FAILS AND NOT code EQUAL 0)
    set(problem "failed (${code})")
  elseif(at EQUAL -1)
    set(problem "the output lacks \"${arg_EXPECT}\"")
  else()
    message(STATUS "${name}: ok")
    return()
  endif()
  message(STATUS "${name}: ${problem}")
  set(failures "${failures}\n--- ${name}: ${problem}\n${out}" PARENT_SCOPE)
endfunction()

# Each component alone, with only what it needs.
probe(core COMPONENTS core ALLOW ${core_needs} EXPECT "found: core.")
probe(store COMPONENTS store ALLOW ${store_needs} EXPECT "found: core store.")
probe(sqlite COMPONENTS sqlite ALLOW ${sqlite_needs} EXPECT "found: core store sqlite.")
probe(redis COMPONENTS redis ALLOW ${redis_needs} EXPECT "found: core store redis.")
probe(store_url COMPONENTS store_url ALLOW ${store_url_needs}
      EXPECT "found: core store sqlite redis store_url.")
probe(service COMPONENTS service ALLOW ${service_needs} EXPECT "found: core store service.")
probe(http COMPONENTS http ALLOW ${http_needs} EXPECT "found: core store service http.")
# No COMPONENTS: all of them.
probe(all ALLOW ${all_needs} EXPECT "found: core store sqlite redis store_url service http.")

# A required component whose package is missing: configuring fails, naming the package (CMake
# itself refuses a REQUIRED find_dependency of a disabled package; a pkg-config module missing
# from the view gets the package configuration's own message).
probe(sqlite_without_sqlite COMPONENTS sqlite ALLOW ${store_needs} FAILS
      EXPECT "find_package for module SQLite3 called with REQUIRED, but CMAKE_DISABLE_FIND_PACKAGE_SQLite3 is enabled")
probe(redis_without_hiredis COMPONENTS redis ALLOW ${store_needs} FAILS
      EXPECT "jwtfort::redis needs pkg-config module hiredis, which was not found")
# An optional one: only that component is not found.
probe(optional_redis_without_hiredis COMPONENTS core OPTIONAL redis ALLOW ${store_needs}
      EXPECT "found: core store.")
# A component jwtfort does not have.
probe(unknown COMPONENTS core rest ALLOW ${core_needs} FAILS
      EXPECT "jwtfort has no component rest")

if(failures)
  message(FATAL_ERROR "find_package(jwtfort COMPONENTS ...) does not keep its promises:${failures}")
endif()
