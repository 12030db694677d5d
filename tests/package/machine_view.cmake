# jwtfort_machine_view(<work dir> <allowed package>...): what a configure step of a package test
# may see of this machine. Every package some part of jwtfort looks for that is not allowed is
# hidden: a CMake package by CMAKE_DISABLE_FIND_PACKAGE_<name> (a REQUIRED find_package of it then
# fails), a pkg-config module by a PKG_CONFIG_LIBDIR holding only the allowed modules' .pc files.
# Sets, in the caller:
#   view_args  -D options for the configure command line
#   view_env   the command prefix that runs a command in that view (cmake -E env ...)
# Allowed names are those below: "OpenSSL", "hiredis", ... pkg-config itself stays: CMake's
# FindOpenSSL asks it first, and with no module visible it finds OpenSSL by its files.
set(jwtfort_cmake_packages OpenSSL simdjson Threads SQLite3 CURL tomlplusplus
                           Boost GTest nlohmann_json benchmark Python Python3 nanobind)
set(jwtfort_pkg_config_modules hiredis libsodium libargon2 cpp-httplib libjwt)

function(jwtfort_machine_view work_dir)
  set(allowed ${ARGN})
  foreach(name IN LISTS allowed)
    if(NOT name IN_LIST jwtfort_cmake_packages AND NOT name IN_LIST jwtfort_pkg_config_modules)
      message(FATAL_ERROR "machine view: ${name} is not a package jwtfort looks for")
    endif()
  endforeach()
  set(args "")
  foreach(package IN LISTS jwtfort_cmake_packages)
    if(NOT package IN_LIST allowed)
      list(APPEND args "-DCMAKE_DISABLE_FIND_PACKAGE_${package}=ON")
    endif()
  endforeach()

  set(pc_dir "${work_dir}/pkgconfig")
  file(REMOVE_RECURSE "${pc_dir}")
  file(MAKE_DIRECTORY "${pc_dir}")
  foreach(module IN LISTS jwtfort_pkg_config_modules)
    if(module IN_LIST allowed)
      execute_process(COMMAND pkg-config --variable=pcfiledir ${module}
                      OUTPUT_VARIABLE module_dir OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE code)
      if(NOT code EQUAL 0 OR NOT EXISTS "${module_dir}/${module}.pc")
        message(FATAL_ERROR "machine view: pkg-config does not know ${module}")
      endif()
      file(CREATE_LINK "${module_dir}/${module}.pc" "${pc_dir}/${module}.pc" SYMBOLIC)
    endif()
  endforeach()
  set(view_args ${args} PARENT_SCOPE)
  set(view_env "${CMAKE_COMMAND}" -E env "PKG_CONFIG_LIBDIR=${pc_dir}" --unset=PKG_CONFIG_PATH
               PARENT_SCOPE)
endfunction()
