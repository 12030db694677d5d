# Writes a program's --help text as a gzipped manual page in section 1, so the Debian package
# documents exactly what the installed program prints: the program's own, then each command's
# (`NAME WORD [WORD] --help` for every synopsis line `NAME WORD [WORD] ...` of the first).
# cmake -DPROGRAM=<executable> -DNAME=<command name> -DSUMMARY=<one line> -DVERSION=<version>
#       -DDATE=<YYYY-MM-DD> -DOUTPUT=<file.1.gz> -P deb_man_page.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var IN ITEMS PROGRAM NAME SUMMARY VERSION DATE OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "deb_man_page.cmake: -D${var}=... is required")
  endif()
endforeach()

execute_process(COMMAND "${PROGRAM}" --help RESULT_VARIABLE code OUTPUT_VARIABLE help
                ERROR_VARIABLE errors)
if(NOT code EQUAL 0 OR help STREQUAL "")
  message(FATAL_ERROR "${PROGRAM} --help failed (${code}): ${errors}")
endif()

# roff: a backslash is \e, a minus is \-, and a line must not start with a control character.
function(roff_escape text out)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()
# The commands named in the synopsis lines, each with its own --help text.
set(commands "")
string(REPLACE "\n" ";" lines "${help}")
foreach(line IN LISTS lines)
  if(line MATCHES "^ *${NAME} ([a-z]+( [a-z]+)?)( |$)" AND NOT CMAKE_MATCH_1 IN_LIST commands)
    list(APPEND commands "${CMAKE_MATCH_1}")
  endif()
endforeach()
set(command_pages "")
foreach(command IN LISTS commands)
  separate_arguments(words UNIX_COMMAND "${command}")
  execute_process(COMMAND "${PROGRAM}" ${words} --help RESULT_VARIABLE code
                  OUTPUT_VARIABLE text ERROR_VARIABLE errors)
  if(NOT code EQUAL 0 OR text STREQUAL "")
    message(FATAL_ERROR "${PROGRAM} ${command} --help failed (${code}): ${errors}")
  endif()
  roff_escape("${NAME} ${command}" heading)
  roff_escape("${text}" text)
  string(APPEND command_pages ".SS ${heading}\n.nf\n${text}.fi\n")
endforeach()
if(command_pages)
  set(command_pages ".SH COMMANDS\n${command_pages}")
endif()

roff_escape("${help}" help)
roff_escape("${NAME}" name)
string(TOUPPER "${NAME}" title)
roff_escape("${title}" title)

get_filename_component(dir "${OUTPUT}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
string(REGEX REPLACE "\\.gz$" "" page "${OUTPUT}")
file(WRITE "${page}" ".TH ${title} 1 ${DATE} \"jwtfort ${VERSION}\" \"User Commands\"
.SH NAME
${name} \\- ${SUMMARY}
.SH DESCRIPTION
The text \\fB${name} \\-\\-help\\fR prints:
.PP
.nf
${help}.fi
${command_pages}.SH SEE ALSO
The documentation in /usr/share/doc/jwtfort.
")
# -n: no name or time stamp in the gzip header, so the page is the same on every build.
execute_process(COMMAND gzip -9nf "${page}" RESULT_VARIABLE code)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "gzip ${page} failed (${code})")
endif()
