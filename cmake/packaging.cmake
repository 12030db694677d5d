# The Debian packages, made by CPack from this build (cmake --preset deb, cmake --build --preset
# deb, cpack --preset deb; scripts/check_packages.sh does all of it and proves the result):
#
#   jwtfort         install component `runtime`: jwtfort-server and jwtfort in /usr/bin, their
#                   manual pages, the systemd unit, the settings file in /etc/jwtfort
#   libjwtfort-dev  install component `dev`: the headers, the static libraries, the CMake package
#
# The unit, the settings file and the maintainer scripts are in packaging/debian/. The package
# version is the project's, project(jwtfort VERSION ...), like everything else's.
if(NOT JWTFORT_BUILD_SERVER OR NOT JWTFORT_BUILD_CLI)
  message(FATAL_ERROR "JWTFORT_DEB needs JWTFORT_BUILD_SERVER and JWTFORT_BUILD_CLI")
endif()
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "JWTFORT_DEB installs for Debian: CMAKE_INSTALL_PREFIX must be /usr")
endif()

set(JWTFORT_DEB_MAINTAINER "jwtfort maintainers <maintainers@jwtfort.invalid>" CACHE STRING
    "The Maintainer field of the Debian packages and their changelog")
set(deb_source ${PROJECT_SOURCE_DIR}/packaging/debian)
set(deb_build ${PROJECT_BINARY_DIR}/debian)
# Reproducible: SOURCE_DATE_EPOCH, when set, fixes both dates.
string(TIMESTAMP deb_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
string(TIMESTAMP deb_day "%Y-%m-%d" UTC)

# Copies a file into the build tree and gzips it there (gzip -n: no name or time in the header).
function(jwtfort_deb_gzip source output)
  string(REGEX REPLACE "\\.gz$" "" plain ${output})
  configure_file(${source} ${plain} COPYONLY)
  execute_process(COMMAND gzip -9nkf ${plain} RESULT_VARIABLE code)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "gzip ${plain} failed (${code})")
  endif()
endfunction()

# Per package: the copyright file and a changelog (a native package: changelog.gz).
foreach(package IN ITEMS jwtfort libjwtfort-dev)
  file(CONFIGURE OUTPUT ${deb_build}/${package}/changelog.in CONTENT
"${package} (${PROJECT_VERSION}) unstable; urgency=medium

  * jwtfort ${PROJECT_VERSION}.

 -- ${JWTFORT_DEB_MAINTAINER}  ${deb_date}
")
  jwtfort_deb_gzip(${deb_build}/${package}/changelog.in ${deb_build}/${package}/changelog.gz)
  set(component runtime)
  if(package STREQUAL "libjwtfort-dev")
    set(component dev)
  endif()
  install(FILES ${deb_source}/copyright ${deb_build}/${package}/changelog.gz
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package} COMPONENT ${component})
endforeach()

# The server's documentation beside the programs; the manual pages are their --help text.
foreach(doc IN ITEMS server configuration errors)
  jwtfort_deb_gzip(${PROJECT_SOURCE_DIR}/docs/${doc}.md ${deb_build}/doc/${doc}.md.gz)
  install(FILES ${deb_build}/doc/${doc}.md.gz DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/jwtfort
          COMPONENT runtime)
endforeach()
set(man_pages "")
foreach(program IN ITEMS jwtfort_cli jwtfort_server)
  get_target_property(name ${program} OUTPUT_NAME)
  set(summary "make keys, sign, verify and manage JSON Web Tokens")
  if(program STREQUAL "jwtfort_server")
    set(summary "JSON Web Token authentication server")
  endif()
  set(page ${deb_build}/man/${name}.1.gz)
  add_custom_command(OUTPUT ${page}
    COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:${program}> -DNAME=${name}
            -DSUMMARY=${summary} -DVERSION=${PROJECT_VERSION} -DDATE=${deb_day} -DOUTPUT=${page}
            -P ${PROJECT_SOURCE_DIR}/cmake/deb_man_page.cmake
    DEPENDS ${program} ${PROJECT_SOURCE_DIR}/cmake/deb_man_page.cmake VERBATIM)
  list(APPEND man_pages ${page})
endforeach()
add_custom_target(jwtfort_man_pages ALL DEPENDS ${man_pages})
install(FILES ${man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)

# The service. Absolute paths: bookworm's systemd units live in /lib/systemd/system, settings in
# /etc. The state directory is the postinst's to create (0700, owned by the service user), so
# that dpkg never owns the data in it.
install(FILES ${deb_source}/jwtfort-server.service DESTINATION /lib/systemd/system
        COMPONENT runtime)
install(FILES ${deb_source}/jwtfort-server.env DESTINATION /etc/jwtfort COMPONENT runtime)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME jwtfort)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${JWTFORT_DEB_MAINTAINER}")
set(CPACK_STRIP_FILES ON)
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/cmake/deb_strip.cmake)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Maintainer scripts 0755 and conffiles 0644, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME jwtfort)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION net)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "JSON Web Token authentication server and command
jwtfort-server is an HTTP authentication service: password login with
Argon2id, access and refresh tokens with revocation and refresh rotation,
forward authentication for reverse proxies, a JWKS and Prometheus metrics.
It runs as the systemd service jwtfort-server under its own system user.
.
jwtfort makes keys, signs, verifies and inspects JSON Web Tokens, and runs
the token life cycle (create, refresh, revoke, key rotation) from a shell.")
# Depends: the shared libraries the programs link, as dpkg-shlibdeps finds them, and adduser,
# which the postinst runs.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
    ${deb_source}/postinst ${deb_source}/prerm ${deb_source}/postrm ${deb_source}/conffiles)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libjwtfort-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION "JSON Web Token authentication library for C++20 (development files)
jwtfort signs and verifies JSON Web Tokens on OpenSSL 3, with JWK and JWKS
keys, strict claim validation, a token service with revocation and refresh
rotation on memory, SQLite or Redis stores, and framework-free HTTP
authentication.
.
This package holds the headers, the static libraries and the CMake package:
find_package(jwtfort COMPONENTS core http) gives the targets jwtfort::core
and jwtfort::http.")
# Static libraries: their users link what they link, so the dependencies are the -dev packages
# the CMake package looks for (cmake/jwtfort-config.cmake.in).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libssl-dev (>= 3.0), libsodium-dev, libsimdjson-dev, libsqlite3-dev, libhiredis-dev, libcurl4-openssl-dev | libcurl-dev, libtomlplusplus-dev, pkgconf | pkg-config")
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS cmake)

include(CPack)
