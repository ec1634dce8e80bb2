// Runs a .tflite in TFLM on the emulated Cortex-M33: loads the model and int8 inputs from host files through
// semihosting, prints each inference's int8 outputs and the arena the interpreter used.
//   model_check MODEL.tflite INPUTS.bin   (INPUTS.bin: the input tensors' bytes, one inference after another)
#include <cstdint>
#include <cstdio>

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

namespace {
alignas(16) uint8_t model_bytes[512 * 1024];
alignas(16) uint8_t arena[256 * 1024];

long read_file(const char* path, uint8_t* buffer, long capacity) {
  FILE* file = std::fopen(path, "rb");
  if (file == nullptr) return -1;
  long n = static_cast<long>(std::fread(buffer, 1, capacity, file));
  std::fclose(file);
  return n;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: model_check MODEL.tflite INPUTS.bin\n");
    return 2;
  }
  long model_size = read_file(argv[1], model_bytes, sizeof(model_bytes));
  if (model_size <= 0 || model_size == static_cast<long>(sizeof(model_bytes))) {
    std::fprintf(stderr, "error: cannot read %s (or larger than %u bytes)\n", argv[1],
                 static_cast<unsigned>(sizeof(model_bytes)));
    return 2;
  }
  const tflite::Model* model = tflite::GetModel(model_bytes);
  tflite::MicroMutableOpResolver<11> resolver;
  resolver.AddConv2D();
  resolver.AddDepthwiseConv2D();
  resolver.AddFullyConnected();
  resolver.AddMaxPool2D();
  resolver.AddAveragePool2D();
  resolver.AddReshape();
  resolver.AddSoftmax();
  resolver.AddRelu();
  resolver.AddAdd();
  resolver.AddMean();
  resolver.AddQuantize();
  tflite::MicroInterpreter interpreter(model, resolver, arena, sizeof(arena));
  if (interpreter.AllocateTensors() != kTfLiteOk) {
    std::fprintf(stderr, "error: AllocateTensors failed\n");
    return 3;
  }
  TfLiteTensor* input = interpreter.input(0);
  TfLiteTensor* output = interpreter.output(0);
  std::printf("arena_used_bytes %u\n", static_cast<unsigned>(interpreter.arena_used_bytes()));
  FILE* inputs = std::fopen(argv[2], "rb");
  if (inputs == nullptr) {
    std::fprintf(stderr, "error: cannot read %s\n", argv[2]);
    return 2;
  }
  int count = 0;
  while (std::fread(input->data.int8, 1, input->bytes, inputs) == input->bytes) {
    if (interpreter.Invoke() != kTfLiteOk) {
      std::fprintf(stderr, "error: Invoke failed on input %d\n", count);
      return 3;
    }
    std::printf("output %d:", count);
    for (unsigned i = 0; i < output->bytes; ++i) std::printf(" %d", output->data.int8[i]);
    std::printf("\n");
    ++count;
  }
  std::fclose(inputs);
  return 0;
}
