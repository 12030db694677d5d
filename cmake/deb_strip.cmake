# CPack runs this (CPACK_PRE_BUILD_SCRIPTS) on the staged files, before it makes the packages:
# the compilers' .comment and .note sections say nothing a user needs, so they go, as Debian's
# own packaging tools do. CPACK_STRIP_FILES has already taken the symbols off the programs.
file(GLOB_RECURSE programs "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*/usr/bin/*")
file(GLOB_RECURSE archives "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*.a")
foreach(file IN LISTS programs archives)
  set(options --remove-section=.comment --remove-section=.note)
  if(file MATCHES "\\.a$")
    # Static libraries keep their symbols (they are linked); the archive is made deterministic.
    list(APPEND options --strip-debug --enable-deterministic-archives)
  endif()
  execute_process(COMMAND strip ${options} "${file}" RESULT_VARIABLE code ERROR_VARIABLE err)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "strip ${file} failed (${code}): ${err}")
  endif()
endforeach()
