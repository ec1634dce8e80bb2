/* Test program: harken's C front end (around TFLM's microfrontend) in batch mode, for the golden
 * front-end vectors. Usage: frontend_golden SETTINGS.txt int8|uint16 OUT.bin CLIP.wav...
 * SETTINGS.txt holds "name value" lines of every fe.* setting (without "fe."). For each clip (state
 * reset first) it writes the clip's spectrogram: raw uint16, or int8 scaled over the clip's frames. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harken_frontend.h"
#include "harken_wav.h"

#define MAX_VALUES (256 * 128)

static uint16_t ring[MAX_VALUES];
static uint16_t raw[MAX_VALUES];
static int8_t quantized[MAX_VALUES];

static int read_settings(const char *path, harken_frontend_config *c) {
  char name[128];
  double value;
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  memset(c, 0, sizeof(*c));
  while (fscanf(f, "%127s %lf", name, &value) == 2) {
#define SET(field) if (strcmp(name, #field) == 0) c->field = value;
    SET(sample_rate_hz) SET(sample_length_ms) SET(window_size_ms) SET(window_step_ms) SET(filterbank_n_channels)
    SET(filterbank_upper_band_limit) SET(filterbank_lower_band_limit) SET(noise_reduction_enable)
    SET(noise_reduction_smoothing_bits) SET(noise_reduction_even_smoothing) SET(noise_reduction_odd_smoothing)
    SET(noise_reduction_min_signal_remaining) SET(pcan_enable) SET(pcan_strength) SET(pcan_offset)
    SET(pcan_gain_bits) SET(log_scale_enable) SET(log_scale_shift) SET(activity_detection_enable)
    SET(activity_detection_alpha_a) SET(activity_detection_alpha_b) SET(activity_detection_arm_threshold)
    SET(activity_detection_trip_threshold) SET(dc_notch_filter_enable) SET(dc_notch_filter_coefficient)
    SET(quantize_dynamic_scale_enable) SET(quantize_dynamic_scale_range_db)
#undef SET
  }
  fclose(f);
  return 0;
}

int main(int argc, char **argv) {
  harken_frontend_config config;
  harken_frontend fe;
  FILE *out;
  int i;
  int frames;
  if (argc < 5 || read_settings(argv[1], &config) != 0) return 2;
  frames = ((config.sample_length_ms - config.window_size_ms) / config.window_step_ms) + 1;
  if (frames * config.filterbank_n_channels > MAX_VALUES ||
      harken_frontend_init(&fe, &config, ring, frames) != 0) {
    return 3;
  }
  out = fopen(argv[3], "wb");
  if (out == NULL) return 2;
  for (i = 4; i < argc; ++i) {
    harken_wav wav;
    int16_t chunk[512];
    size_t n;
    const size_t values = (size_t)frames * (size_t)config.filterbank_n_channels;
    if (harken_wav_open(&wav, argv[i]) != 0) return 4;
    harken_frontend_reset(&fe);
    while ((n = harken_wav_read(&wav, chunk, 512)) > 0) harken_frontend_push(&fe, chunk, n);
    harken_wav_close(&wav);
    if (strcmp(argv[2], "int8") == 0) {
      harken_frontend_window_int8(&fe, quantized);
      fwrite(quantized, 1, values, out);
    } else {
      harken_frontend_window_raw(&fe, raw);
      fwrite(raw, 2, values, out);
    }
  }
  fclose(out);
  return 0;
}
