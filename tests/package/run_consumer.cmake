# Configures, builds and runs the consumer project (tests/package/consumer) one of three ways, on
# a view of this machine where only the ALLOW packages exist (machine_view.cmake).
# cmake -P run_consumer.cmake with:
#   -DMODE=find_package|build_tree|add_subdirectory
#   -DCOMPONENTS=<jwtfort components the consumer asks for and links, comma-separated>
#   -DALLOW=<packages the configure step may find, comma-separated>
#   -DSOURCE_DIR=<jwtfort sources>
#   -DPREFIX=<jwtfort install prefix (find_package)>  -DBUILD_DIR=<jwtfort build tree (build_tree)>
#   -DWORK_DIR=<scratch directory, emptied first>
#   -DGENERATOR=<CMake generator>  -DCXX_COMPILER=<compiler>  -DBUILD_TYPE=<build type>
#   [-DCXX_COMPILER_LAUNCHER=<e.g. ccache>]
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/machine_view.cmake)

foreach(var IN ITEMS MODE COMPONENTS SOURCE_DIR WORK_DIR GENERATOR CXX_COMPILER BUILD_TYPE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

# Runs a command; on failure stops with its output.
function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "${step} failed (${code}):\n${out}")
  endif()
  message(STATUS "${step}: ok")
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

string(REPLACE "," ";" COMPONENTS "${COMPONENTS}")
string(REPLACE "," ";" ALLOW "${ALLOW}")
file(REMOVE_RECURSE "${WORK_DIR}")
jwtfort_machine_view("${WORK_DIR}" ${ALLOW})
set(consumer_build "${WORK_DIR}/build")
# The components, a list, reach the consumer through an initial cache file rather than a -D
# argument that would be split at each ';' on the way.
file(WRITE "${WORK_DIR}/components.cmake" "set(JWTFORT_COMPONENTS \"${COMPONENTS}\" CACHE STRING \"\")\n")
# No package registry: the jwtfort under test must be what satisfies find_package.
set(configure ${view_env} "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/tests/package/consumer"
              -B "${consumer_build}" -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
              "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}" -C "${WORK_DIR}/components.cmake"
              -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
              "-DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_COMPILER_LAUNCHER}" ${view_args})

if(MODE STREQUAL "find_package")
  if(NOT DEFINED PREFIX)
    message(FATAL_ERROR "run_consumer.cmake: find_package needs -DPREFIX=...")
  endif()
  run("configure consumer" ${configure} "-DCMAKE_PREFIX_PATH=${PREFIX}")
  set(expected_dir "${PREFIX}/")
elseif(MODE STREQUAL "build_tree")
  if(NOT DEFINED BUILD_DIR)
    message(FATAL_ERROR "run_consumer.cmake: build_tree needs -DBUILD_DIR=...")
  endif()
  run("configure consumer" ${configure} "-Djwtfort_DIR=${BUILD_DIR}")
  set(expected_dir "${BUILD_DIR}")
elseif(MODE STREQUAL "add_subdirectory")
  run("configure consumer" ${configure} "-DJWTFORT_SOURCE_DIR=${SOURCE_DIR}")
else()
  message(FATAL_ERROR "run_consumer.cmake: MODE must be find_package, build_tree or add_subdirectory")
endif()
# The jwtfort found must be the one under test, not one installed on the system.
if(DEFINED expected_dir)
  string(FIND "${last_output}" "jwtfort found in ${expected_dir}" found_at)
  if(found_at EQUAL -1)
    message(FATAL_ERROR "jwtfort was not found in ${expected_dir}:\n${last_output}")
  endif()
endif()

run("build consumer" "${CMAKE_COMMAND}" --build "${consumer_build}")
run("run consumer" "${consumer_build}/consumer" "${WORK_DIR}")
message(STATUS "${last_output}")
