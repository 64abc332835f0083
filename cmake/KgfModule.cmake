# kgf_module(NAME DEPS <targets...>): one static library kgf::NAME per module folder, built from
# every .cc directly in the folder (a subfolder with sources is a module of its own).
# A module with headers only becomes an INTERFACE library.
function(kgf_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  # This folder only: a subfolder with sources is a module of its own (filters/records), or
  # added to this one by its CMakeLists (filters/text).
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  if(srcs)
    add_library(kgf_${name} STATIC ${srcs})
    target_include_directories(kgf_${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(kgf_${name} PUBLIC ${ARG_DEPS})
  else()
    add_library(kgf_${name} INTERFACE)
    target_include_directories(kgf_${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(kgf_${name} INTERFACE ${ARG_DEPS})
  endif()
  add_library(kgf::${name} ALIAS kgf_${name})
endfunction()
