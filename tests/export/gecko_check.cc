// Test program: the files of `harken export --style gecko` used as a vendor SDK project uses them
// (sl_tflite_model_array, SL_TFLITE_MICRO_OPCODE_RESOLVER, SL_TFLITE_MODEL_* macros): the model loads
// in TFLM with its declared runtime memory, and the parameters print as the embedded values.
#include <cstdint>
#include <cstdio>

#include "sl_tflite_micro_model.h"
#include "sl_tflite_micro_model_parameters.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"
#include "sl_tflite_micro_opcode_resolver.h"

namespace {
alignas(16) uint8_t g_arena[SL_TFLITE_MODEL_RUNTIME_MEMORY_SIZE + 4096];
const char* const g_classes[] = SL_TFLITE_MODEL_CLASSES;
}  // namespace

int main() {
  SL_TFLITE_MICRO_OPCODE_RESOLVER(opcode_resolver);
  tflite::MicroInterpreter interpreter(tflite::GetModel(sl_tflite_model_array), opcode_resolver, g_arena,
                                       sizeof(g_arena));
  if (interpreter.AllocateTensors() != kTfLiteOk) return 1;
  std::printf("len=%lu rate=%d channels=%d classes=%d first=%s\n", static_cast<unsigned long>(sl_tflite_model_len),
              SL_TFLITE_MODEL_FE_SAMPLE_RATE_HZ, SL_TFLITE_MODEL_FE_FILTERBANK_N_CHANNELS,
              static_cast<int>(sizeof(g_classes) / sizeof(g_classes[0])), g_classes[0]);
  return 0;
}
