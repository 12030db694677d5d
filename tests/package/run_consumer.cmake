# Configures, builds and runs the consumer project (tests/package/consumer) one of two ways.
# cmake -P run_consumer.cmake with:
#   -DMODE=find_package|add_subdirectory
#   -DSOURCE_DIR=<jwtfort sources>  -DBUILD_DIR=<jwtfort build to install from (find_package)>
#   -DWORK_DIR=<scratch directory, emptied first>
#   -DGENERATOR=<CMake generator>  -DCXX_COMPILER=<compiler>  -DBUILD_TYPE=<build type>
cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS MODE SOURCE_DIR WORK_DIR GENERATOR CXX_COMPILER BUILD_TYPE)
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

file(REMOVE_RECURSE "${WORK_DIR}")
set(consumer_build "${WORK_DIR}/build")
set(configure_args -S "${SOURCE_DIR}/tests/package/consumer" -B "${consumer_build}"
                   -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
                   "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")

if(MODE STREQUAL "find_package")
  if(NOT DEFINED BUILD_DIR)
    message(FATAL_ERROR "run_consumer.cmake: find_package needs -DBUILD_DIR=...")
  endif()
  set(prefix "${WORK_DIR}/prefix")
  run("install into ${prefix}" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
  # The fresh prefix must be what satisfies find_package: no package registry, and the check
  # below fails if jwtfort_DIR points anywhere else (say, a jwtfort installed on the system).
  run("configure consumer" "${CMAKE_COMMAND}" ${configure_args} "-DCMAKE_PREFIX_PATH=${prefix}"
      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
  string(FIND "${last_output}" "jwtfort found in ${prefix}/" found_at)
  if(found_at EQUAL -1)
    message(FATAL_ERROR "jwtfort was not found in ${prefix}:\n${last_output}")
  endif()
elseif(MODE STREQUAL "add_subdirectory")
  run("configure consumer" "${CMAKE_COMMAND}" ${configure_args}
      "-DJWTFORT_SOURCE_DIR=${SOURCE_DIR}")
else()
  message(FATAL_ERROR "run_consumer.cmake: MODE must be find_package or add_subdirectory")
endif()

run("build consumer" "${CMAKE_COMMAND}" --build "${consumer_build}")
run("run consumer" "${consumer_build}/consumer")
message(STATUS "${last_output}")
