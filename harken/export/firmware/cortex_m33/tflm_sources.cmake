# The TFLM sources one model needs: the interpreter core, the kernels of the model's builtin ops (reference
# kernels), and the audio microfrontend with its FIXED_POINT=16 kissfft. Building these instead of the whole
# tree (218 files) keeps a cross build short; the linker's --gc-sections then drops what the model never calls.
#
#   include(tflm_sources.cmake)
#   harken_tflm_sources(TFLM_DIR "CONV_2D;FULLY_CONNECTED;SOFTMAX" SOURCES_VAR)
#   harken_tflm_include_dirs(TFLM_DIR INCLUDES_VAR)
#
# An op's kernel is the file under tensorflow/lite/micro/kernels/ that defines `Register_<OP>()` (TFLM names
# each registration after the builtin op), plus its `<file>_common.cc` when there is one. An op no kernel file
# registers stops the configure step with its name.

set(_HARKEN_TFLM_CORE_GLOBS
    tensorflow/lite/micro/*.cc
    tensorflow/lite/micro/arena_allocator/*.cc
    tensorflow/lite/micro/memory_planner/*.cc
    tensorflow/lite/micro/tflite_bridge/*.cc
    tensorflow/lite/micro/kernels/kernel_util.cc
    tensorflow/lite/micro/kernels/micro_tensor_utils.cc
    tensorflow/lite/core/api/*.cc
    tensorflow/lite/core/c/*.cc
    tensorflow/lite/kernels/kernel_util.cc
    tensorflow/lite/kernels/internal/*.cc
    tensorflow/lite/kernels/internal/reference/*.cc
    tensorflow/compiler/mlir/lite/core/api/*.cc
    tensorflow/compiler/mlir/lite/schema/*.cc
    tensorflow/lite/experimental/microfrontend/lib/*.c
    tensorflow/lite/experimental/microfrontend/lib/*.cc)
# test scaffolding and the recording allocator: not part of an application
set(_HARKEN_TFLM_CORE_EXCLUDE
    "_test\\.cc$|/test_helpers\\.cc$|/test_helper_custom_ops\\.cc$|/mock_micro_graph\\.cc$|/fake_micro_context\\.cc$|/recording_micro_allocator\\.cc$")

function(harken_tflm_sources tflm_dir ops out_var)
  set(sources "")
  foreach(pattern IN LISTS _HARKEN_TFLM_CORE_GLOBS)
    file(GLOB found "${tflm_dir}/${pattern}")
    list(APPEND sources ${found})
  endforeach()
  list(FILTER sources EXCLUDE REGEX "${_HARKEN_TFLM_CORE_EXCLUDE}")
  file(GLOB kernel_files "${tflm_dir}/tensorflow/lite/micro/kernels/*.cc")
  list(FILTER kernel_files EXCLUDE REGEX "_test\\.cc$")
  foreach(op IN LISTS ops)
    set(kernel "")
    foreach(file IN LISTS kernel_files)
      file(STRINGS "${file}" hit REGEX "^TFLMRegistration\\*? Register_${op}\\(\\)")
      if(hit)
        set(kernel "${file}")
        break()
      endif()
    endforeach()
    if(NOT kernel)
      message(FATAL_ERROR "no TFLM kernel registers the model's op ${op} under ${tflm_dir}/tensorflow/lite/micro/kernels")
    endif()
    string(REGEX REPLACE "\\.cc$" "_common.cc" common "${kernel}")
    list(APPEND sources "${kernel}")
    if(EXISTS "${common}")
      list(APPEND sources "${common}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES sources)
  set(${out_var} "${sources}" PARENT_SCOPE)
endfunction()

function(harken_tflm_include_dirs tflm_dir out_var)
  set(${out_var}
      "${tflm_dir}"
      "${tflm_dir}/third_party/flatbuffers/include"
      "${tflm_dir}/third_party/gemmlowp"
      "${tflm_dir}/third_party/ruy"
      "${tflm_dir}/third_party/kissfft"
      PARENT_SCOPE)
endfunction()
