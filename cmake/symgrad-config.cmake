# symgrad-config.cmake: find_package(symgrad) for CMake (installed by make
# install into PREFIX/lib/cmake/symgrad/).
#
#   find_package(symgrad 0.1 REQUIRED)
#   symgrad_generate(ae SOURCES ae.sg [more.sg ...] [OPTIONS -t float ...])
#   target_link_libraries(train PRIVATE ae)
#
# find_package finds the symgrad program installed beside this file (or the
# one SYMGRAD_EXECUTABLE names, else one on PATH) and fails at configure
# time when there is none. symgrad_generate(<target> SOURCES ...) makes a
# static library <target> from the C generated from each .sg (each with its
# header, -H), the headers on its public include path, libm linked; the C
# is generated again when a .sg or the symgrad program changes (upgrading
# symgrad regenerates). OPTIONS are passed to symgrad (-t float, --dim n=5,
# --blas: then link a CBLAS yourself).
cmake_minimum_required(VERSION 3.13) # IN_LIST is 3.3, PARSE_ARGV 3.7

get_filename_component(_symgrad_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
find_program(SYMGRAD_EXECUTABLE symgrad
  HINTS "${_symgrad_prefix}/bin"
  DOC "the symgrad compiler")
unset(_symgrad_prefix)

if(NOT SYMGRAD_EXECUTABLE)
  set(symgrad_FOUND FALSE)
  set(symgrad_NOT_FOUND_MESSAGE "the symgrad program was not found beside \
${CMAKE_CURRENT_LIST_FILE} nor on PATH: install symgrad (make install) or set SYMGRAD_EXECUTABLE")
  return()
endif()

if(NOT TARGET symgrad::symgrad)
  add_executable(symgrad::symgrad IMPORTED)
  set_target_properties(symgrad::symgrad PROPERTIES IMPORTED_LOCATION "${SYMGRAD_EXECUTABLE}")
endif()

function(symgrad_generate target)
  cmake_parse_arguments(PARSE_ARGV 1 _sg "" "" "SOURCES;OPTIONS")
  if(NOT _sg_SOURCES)
    message(FATAL_ERROR "symgrad_generate(${target}): no SOURCES (the .sg files)")
  endif()
  if(_sg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "symgrad_generate(${target}): unknown arguments ${_sg_UNPARSED_ARGUMENTS}")
  endif()
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${target}.symgrad")
  file(MAKE_DIRECTORY "${dir}")
  set(outputs)
  set(_sg_stems)
  foreach(sg IN LISTS _sg_SOURCES)
    get_filename_component(src "${sg}" ABSOLUTE)
    get_filename_component(stem "${sg}" NAME_WE)
    if("${stem}" IN_LIST _sg_stems)
      message(FATAL_ERROR "symgrad_generate(${target}): two SOURCES named ${stem}: their C would be one file")
    endif()
    list(APPEND _sg_stems "${stem}")
    set(c "${dir}/${stem}.c")
    set(h "${dir}/${stem}.h")
    add_custom_command(
      OUTPUT "${c}" "${h}"
      COMMAND "${SYMGRAD_EXECUTABLE}" "${src}" -o "${c}" -H "${h}" ${_sg_OPTIONS}
      # symgrad leaves a file whose bytes are unchanged alone: newer than its
      # inputs all the same, or the rule would run at every build
      COMMAND "${CMAKE_COMMAND}" -E touch "${c}" "${h}"
      DEPENDS "${src}" "${SYMGRAD_EXECUTABLE}"
      COMMENT "symgrad ${stem}.sg"
      VERBATIM)
    list(APPEND outputs "${c}" "${h}")
  endforeach()
  add_library(${target} STATIC ${outputs})
  set_target_properties(${target} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON)
  target_include_directories(${target} PUBLIC "$<BUILD_INTERFACE:${dir}>")
  if(UNIX)
    target_link_libraries(${target} PUBLIC m)
  endif()
endfunction()
