# TensorFlow Lite Micro for harken's exported firmware: sources and a static library of only what a
# model needs (the interpreter core, the model's op kernels, the audio microfrontend and kissfft).
#
# The sources come from the tflite-micro repository at a pinned commit (FetchContent), or from a local
# tree: -DFETCHCONTENT_SOURCE_DIR_TFLITE_MICRO=PATH (a tree made by tflite-micro's create_tflm_tree.py,
# which carries third_party/, or a clone of the repository, whose third-party libraries are then
# fetched at the versions tflite-micro's own build downloads).
#
# Defines: TFLM_SOURCE_DIR, TFLM_INCLUDE_DIRS, TFLM_DEFINITIONS, and the function
#   harken_tflm_library(TARGET KERNELS) -> a static library with the core and the kernels named
#   (base names in tensorflow/lite/micro/kernels, without .cc).
include_guard(GLOBAL)
include(FetchContent)

set(HARKEN_TFLM_COMMIT 90b983c2b3f1480642e040bbd2ddb37b998f3424)
# SOURCE_SUBDIR names a folder that does not exist so that no fetched project's own CMakeLists runs.
FetchContent_Declare(tflite_micro
  GIT_REPOSITORY https://github.com/tensorflow/tflite-micro.git
  GIT_TAG ${HARKEN_TFLM_COMMIT}
  GIT_SHALLOW FALSE
  SOURCE_SUBDIR harken-no-cmake)
FetchContent_MakeAvailable(tflite_micro)
set(TFLM_SOURCE_DIR "${tflite_micro_SOURCE_DIR}")

if(EXISTS "${TFLM_SOURCE_DIR}/third_party/flatbuffers/include/flatbuffers/flatbuffers.h")
  # a tree laid out by create_tflm_tree.py: third-party code included
  set(_tp "${TFLM_SOURCE_DIR}/third_party")
  set(TFLM_INCLUDE_DIRS "${TFLM_SOURCE_DIR}" "${_tp}/flatbuffers/include" "${_tp}/gemmlowp" "${_tp}/ruy"
      "${_tp}/kissfft")
else()
  # the repository itself: the third-party libraries its Makefile downloads, at the same versions
  find_program(HARKEN_PATCH patch REQUIRED)
  FetchContent_Declare(tflm_flatbuffers
    URL https://github.com/google/flatbuffers/archive/refs/tags/v25.9.23.tar.gz
    SOURCE_SUBDIR harken-no-cmake)
  FetchContent_Declare(tflm_gemmlowp
    URL https://github.com/google/gemmlowp/archive/719139ce755a0f31cbf1c37f7f98adcc7fc9f425.zip
    URL_HASH MD5=7e8191b24853d75de2af87622ad293ba
    SOURCE_SUBDIR harken-no-cmake)
  FetchContent_Declare(tflm_ruy
    URL https://github.com/google/ruy/archive/d37128311b445e758136b8602d1bbd2a755e115d.zip
    URL_HASH MD5=abf7a91eb90d195f016ebe0be885bb6e
    SOURCE_SUBDIR harken-no-cmake)
  FetchContent_Declare(tflm_kissfft
    URL https://github.com/mborgerding/kissfft/archive/refs/tags/v130.zip
    URL_HASH MD5=438ba1fef5783cc5f5f201395cc477ca
    PATCH_COMMAND ${HARKEN_PATCH} -p1 -i "${TFLM_SOURCE_DIR}/third_party/kissfft/kissfft.patch"
    SOURCE_SUBDIR harken-no-cmake)
  FetchContent_MakeAvailable(tflm_flatbuffers tflm_gemmlowp tflm_ruy tflm_kissfft)
  set(TFLM_INCLUDE_DIRS "${TFLM_SOURCE_DIR}" "${tflm_flatbuffers_SOURCE_DIR}/include" "${tflm_gemmlowp_SOURCE_DIR}"
      "${tflm_ruy_SOURCE_DIR}" "${tflm_kissfft_SOURCE_DIR}")
endif()

# FLATBUFFERS_LOCALE_INDEPENDENT=0: what tflite-micro's flatbuffers patch makes the default.
set(TFLM_DEFINITIONS TF_LITE_STATIC_MEMORY FIXED_POINT=16 FLATBUFFERS_LOCALE_INDEPENDENT=0)

function(_harken_tflm_glob out)
  set(found "")
  foreach(dir IN LISTS ARGN)
    file(GLOB cc "${TFLM_SOURCE_DIR}/${dir}/*.cc" "${TFLM_SOURCE_DIR}/${dir}/*.c")
    list(APPEND found ${cc})
  endforeach()
  # tests, test helpers, example programs and file-I/O helpers are not part of the library
  list(FILTER found EXCLUDE REGEX "(_test|_main|_generator|_io)\\.cc?$")
  list(FILTER found EXCLUDE REGEX "/(test_helpers|test_helper_custom_ops|fake_micro_context|mock_micro_graph)\\.cc$")
  set(${out} ${found} PARENT_SCOPE)
endfunction()

function(harken_tflm_library target kernels)
  _harken_tflm_glob(core
    tensorflow/lite/micro tensorflow/lite/micro/arena_allocator tensorflow/lite/micro/memory_planner
    tensorflow/lite/micro/tflite_bridge tensorflow/lite/core/api tensorflow/lite/core/c tensorflow/lite/kernels
    tensorflow/lite/kernels/internal tensorflow/lite/kernels/internal/reference
    tensorflow/compiler/mlir/lite/core/api tensorflow/compiler/mlir/lite/schema
    tensorflow/lite/experimental/microfrontend/lib)
  set(sources ${core})
  foreach(kernel IN LISTS kernels ITEMS kernel_util micro_tensor_utils)
    set(file "${TFLM_SOURCE_DIR}/tensorflow/lite/micro/kernels/${kernel}.cc")
    if(NOT EXISTS "${file}")
      message(FATAL_ERROR "harken: TFLM kernel source ${file} not found (is ${TFLM_SOURCE_DIR} tflite-micro at ${HARKEN_TFLM_COMMIT}?)")
    endif()
    list(APPEND sources "${file}")
  endforeach()
  list(REMOVE_DUPLICATES sources)
  add_library(${target} STATIC ${sources})
  target_include_directories(${target} SYSTEM PUBLIC ${TFLM_INCLUDE_DIRS})
  target_compile_definitions(${target} PUBLIC ${TFLM_DEFINITIONS})
  target_compile_options(${target} PRIVATE -w $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti>)
  set_target_properties(${target} PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON C_STANDARD 99)
endfunction()

# Use a TFLM library built before (by this file, e.g. with cmake/CMakeLists.txt) instead of building one.
function(harken_tflm_imported target library)
  add_library(${target} STATIC IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION "${library}")
  target_include_directories(${target} SYSTEM INTERFACE ${TFLM_INCLUDE_DIRS})
  target_compile_definitions(${target} INTERFACE ${TFLM_DEFINITIONS})
endfunction()
