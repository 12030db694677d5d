# jwtfort_library(): one of jwtfort's libraries, which is also one component of the installed
# package (find_package(jwtfort COMPONENTS <name>) gives the target jwtfort::<name>).
#
#   jwtfort_library(<target> EXPORT_NAME <component> [OUTPUT_NAME <file>]
#                   SOURCES <file>...
#                   [COMPONENTS <component>...]   jwtfort libraries it is built on (linked PUBLIC)
#                   [PACKAGES <package>...])      what it links from the system
#
# It gives the target its jwtfort::<component> alias and exported name, its file name and version,
# the private view of src/, JWTFORT_BUILDING (so that JWTFORT_API exports rather than imports) and
# the warnings. Each PACKAGES entry is found here (REQUIRED), once for the whole tree, and recorded
# for the package configuration file, which looks for it only when a user asks for this component:
# "OpenSSL 3.0" is find_package(OpenSSL 3.0), "pkg-config:hiredis" is the pkg-config module
# hiredis (imported as PkgConfig::hiredis). How it links them (PRIVATE, PUBLIC) stays at the call
# site: that is where the libraries differ.
#
# The component is installed with its own exported targets file (jwtfort-<component>-targets.cmake)
# and exported from the build tree the same way, so that asking for one component never loads
# another's targets, nor looks for another's packages.
function(jwtfort_library target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "EXPORT_NAME;OUTPUT_NAME" "SOURCES;COMPONENTS;PACKAGES")
  if(NOT arg_EXPORT_NAME OR NOT arg_SOURCES OR arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "jwtfort_library(${target} EXPORT_NAME name [OUTPUT_NAME file] SOURCES ... "
                        "[COMPONENTS ...] [PACKAGES ...])")
  endif()
  set(component ${arg_EXPORT_NAME})
  foreach(package IN LISTS arg_PACKAGES)
    jwtfort_find_package("${package}")
  endforeach()

  add_library(${target} ${arg_SOURCES})
  add_library(jwtfort::${component} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${component}
                                             VERSION ${PROJECT_VERSION} SOVERSION 0)
  if(arg_OUTPUT_NAME)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${arg_OUTPUT_NAME})
  endif()
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_definitions(${target} PRIVATE JWTFORT_BUILDING)
  foreach(base IN LISTS arg_COMPONENTS)
    target_link_libraries(${target} PUBLIC jwtfort::${base})
  endforeach()
  # The warnings as options, not as a linked target: a static library's private links are part of
  # what it exports, and jwtfort_warnings is not for users.
  target_compile_options(${target} PRIVATE $<TARGET_PROPERTY:jwtfort_warnings,INTERFACE_COMPILE_OPTIONS>)

  set(targets_file jwtfort-${component}-targets)
  install(TARGETS ${target} EXPORT ${targets_file}
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT dev)
  install(EXPORT ${targets_file} NAMESPACE jwtfort:: DESTINATION ${JWTFORT_INSTALL_CMAKEDIR}
          COMPONENT dev)
  export(EXPORT ${targets_file} NAMESPACE jwtfort:: FILE ${PROJECT_BINARY_DIR}/${targets_file}.cmake)

  # One line of the package configuration's table per component, in the order they are declared
  # (a component after those it is built on).
  set_property(GLOBAL APPEND PROPERTY JWTFORT_COMPONENTS ${component})
  list(JOIN arg_COMPONENTS " " components)
  set(packages "")
  foreach(package IN LISTS arg_PACKAGES)
    string(APPEND packages " \"${package}\"")
  endforeach()
  set_property(GLOBAL APPEND_STRING PROPERTY JWTFORT_COMPONENT_TABLE
    "set(_jwtfort_${component}_components ${components})\nset(_jwtfort_${component}_packages${packages})\n")
endfunction()

# Finds one PACKAGES entry of jwtfort_library() for the build. Imported targets are visible from
# the directory that creates them down, so this runs in the top directory's scope.
function(jwtfort_find_package entry)
  if(entry MATCHES "^pkg-config:(.+)$")
    set(module ${CMAKE_MATCH_1})
    if(NOT TARGET PkgConfig::${module})
      find_package(PkgConfig REQUIRED)
      pkg_check_modules(${module} REQUIRED IMPORTED_TARGET ${module})
    endif()
  else()
    string(REPLACE " " ";" arguments "${entry}")
    find_package(${arguments} REQUIRED)
  endif()
endfunction()

# The package configuration files, for the install tree and the build tree alike: the
# configuration file only reads files beside it.
function(jwtfort_package)
  get_property(JWTFORT_COMPONENTS GLOBAL PROPERTY JWTFORT_COMPONENTS)
  get_property(JWTFORT_COMPONENT_TABLE GLOBAL PROPERTY JWTFORT_COMPONENT_TABLE)
  list(JOIN JWTFORT_COMPONENTS ", " JWTFORT_COMPONENT_LIST)
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/jwtfort-config.cmake.in
    ${PROJECT_BINARY_DIR}/jwtfort-config.cmake INSTALL_DESTINATION ${JWTFORT_INSTALL_CMAKEDIR})
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/jwtfort-config-version.cmake
    COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/jwtfort-config.cmake
                ${PROJECT_BINARY_DIR}/jwtfort-config-version.cmake
          DESTINATION ${JWTFORT_INSTALL_CMAKEDIR} COMPONENT dev)
endfunction()
