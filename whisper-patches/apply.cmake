# VSL Studio's own patches to the whisper.cpp that whisper-rs-sys bundles, applied to the copy
# it builds from (its OUT_DIR) at configure time. `.cargo/config.toml` names this file in
# CMAKE_PROJECT_INCLUDE, which whisper-rs-sys hands to CMake like every CMAKE_* variable, and
# CMake includes it after whisper.cpp's first project() call. README.md here says what each
# patch does and why.
#
# Each file is rebuilt from its pristine text (kept beside it as `<file>.vsl-pristine` the
# first time) with every patch applied in name order, and written only when that differs, so
# configuring again is a no-op and a changed patch replaces the old one instead of piling on.
# An anchor that is missing, or found twice, stops the build: an upgrade of whisper-rs-sys
# cannot drop a patch silently.
#
# Also runs as a script, for the tests: cmake -DVSL_WHISPER_SOURCE=DIR -P apply.cmake.
include_guard(GLOBAL)
cmake_minimum_required(VERSION 3.21)

if(NOT DEFINED VSL_WHISPER_SOURCE)
  set(VSL_WHISPER_SOURCE "${CMAKE_SOURCE_DIR}")
endif()
set(VSL_PATCH_FILES "")

# Replaces the one occurrence of `anchor` in `file` (relative to whisper.cpp's root) by
# `replacement`, for the patch named `patch`.
function(vsl_patch patch file anchor replacement)
  set(path "${VSL_WHISPER_SOURCE}/${file}")
  get_property(known GLOBAL PROPERTY "VSL_PATCH_TEXT:${file}" SET)
  if(known)
    get_property(text GLOBAL PROPERTY "VSL_PATCH_TEXT:${file}")
  else()
    if(NOT EXISTS "${path}.vsl-pristine")
      if(NOT EXISTS "${path}")
        message(FATAL_ERROR "whisper-patches: ${patch}: ${path} does not exist")
      endif()
      file(COPY_FILE "${path}" "${path}.vsl-pristine")
    endif()
    file(READ "${path}.vsl-pristine" text)
    set(files ${VSL_PATCH_FILES})
    list(APPEND files "${file}")
    set(VSL_PATCH_FILES ${files} PARENT_SCOPE)
  endif()
  string(FIND "${text}" "${anchor}" first)
  string(FIND "${text}" "${anchor}" last REVERSE)
  if(first EQUAL -1)
    message(FATAL_ERROR "whisper-patches: ${patch}: its anchor is not in ${file} (a new whisper.cpp?); "
      "the patch needs updating. The anchor:\n${anchor}")
  endif()
  if(NOT first EQUAL last)
    message(FATAL_ERROR "whisper-patches: ${patch}: its anchor is in ${file} more than once. The anchor:\n${anchor}")
  endif()
  string(REPLACE "${anchor}" "${replacement}" text "${text}")
  set_property(GLOBAL PROPERTY "VSL_PATCH_TEXT:${file}" "${text}")
endfunction()

# The patches, in name order; their names and digest go into whisper_print_system_info()
# (patches/00-system-info.cmake), which the engine's tests compare with this folder.
# VSL_PATCHES_OFF=name,name (environment) leaves patches out, for the on/off benchmarks.
file(GLOB patch_files LIST_DIRECTORIES false "${CMAKE_CURRENT_LIST_DIR}/patches/*.cmake")
list(SORT patch_files)
string(REPLACE "," ";" off "$ENV{VSL_PATCHES_OFF}")
set(VSL_PATCHES "")
set(VSL_PATCH_NAMES "")
set(all "")
foreach(patch_file IN LISTS patch_files)
  get_filename_component(name "${patch_file}" NAME_WE)
  string(REGEX REPLACE "^[0-9]+-" "" name "${name}")
  if(name IN_LIST off)
    message(STATUS "whisper-patches: ${name} left out (VSL_PATCHES_OFF)")
    continue()
  endif()
  list(APPEND VSL_PATCHES "${patch_file}")
  list(APPEND VSL_PATCH_NAMES "${name}")
  file(READ "${patch_file}" content)
  string(APPEND all "${content}")
endforeach()
string(SHA256 VSL_PATCH_DIGEST "${all}")
string(SUBSTRING "${VSL_PATCH_DIGEST}" 0 12 VSL_PATCH_DIGEST)
list(JOIN VSL_PATCH_NAMES "," VSL_PATCH_NAMES)

foreach(patch_file IN LISTS VSL_PATCHES)
  include("${patch_file}")
endforeach()

foreach(file IN LISTS VSL_PATCH_FILES)
  get_property(text GLOBAL PROPERTY "VSL_PATCH_TEXT:${file}")
  set(path "${VSL_WHISPER_SOURCE}/${file}")
  file(READ "${path}" current)
  if(NOT current STREQUAL text)
    file(WRITE "${path}" "${text}")
    message(STATUS "whisper-patches: patched ${file}")
  endif()
endforeach()
message(STATUS "whisper-patches: ${VSL_PATCH_NAMES} (${VSL_PATCH_DIGEST})")
