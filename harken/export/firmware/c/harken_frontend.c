/* harken's part of the audio front end around TFLM's microfrontend (see harken_frontend.h).
 * The Python reference is harken/frontend/ (kernels.py, output_scaling.py, streaming.py). */
#include "harken_frontend.h"

#include <string.h>

#include "tensorflow/lite/experimental/microfrontend/lib/bits.h"
#include "tensorflow/lite/experimental/microfrontend/lib/frontend_util.h"

#define HARKEN_DB_TO_LOG_SCALE 0.11512925465 /* ln(10) / 20 */
#define HARKEN_NOTCH_BLOCK 64

/* Wrap to int16 as a store into an int16_t does on two's complement machines, without relying on
 * implementation-defined conversions. */
static int16_t wrap16(int32_t v) {
  return (int16_t)(((v + 32768) & 0xFFFF) - 32768);
}

int32_t harken_dynamic_range(double range_db, int log_scale_shift) {
  return (int32_t)(range_db * (double)(1 << log_scale_shift) * HARKEN_DB_TO_LOG_SCALE);
}

void harken_dc_notch(int16_t *samples, size_t n, int16_t coef_q15, int16_t *prev_x, int16_t *prev_y) {
  int32_t px = *prev_x;
  int32_t py = *prev_y;
  size_t i;
  for (i = 0; i < n; ++i) {
    const int32_t x = samples[i];
    const int32_t d = wrap16(x - px);
    const int32_t p = (int32_t)coef_q15 * py; /* |p| < 2^30 */
    const int16_t y = wrap16(d + (((p >> 14) + 1) >> 1));
    samples[i] = y;
    px = x;
    py = y;
  }
  *prev_x = (int16_t)px;
  *prev_y = (int16_t)py;
}

/* Floor division (Python's //) of a possibly negative numerator by a positive divisor. */
static int32_t floor_div(int32_t num, int32_t den) {
  return num >= 0 ? num / den : -((-num + den - 1) / den);
}

/* lo and span of the dynamic scaling of a window: its maximum maps to +127, R below it to -128. */
static void dynamic_bounds(const uint16_t *raw, size_t n, int32_t dynamic_range, int32_t *lo, int32_t *span) {
  int32_t top = 0;
  size_t i;
  for (i = 0; i < n; ++i) {
    if (raw[i] > top) top = raw[i];
  }
  *lo = top - dynamic_range > 0 ? top - dynamic_range : 0;
  *span = top - *lo > 1 ? top - *lo : 1;
}

static int8_t dynamic_value(uint16_t v, int32_t lo, int32_t span) {
  const int32_t q = floor_div(((int32_t)v - lo) * 255, span) - 128;
  return (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
}

void harken_quantize_dynamic(const uint16_t *raw, size_t n, int32_t dynamic_range, int8_t *out) {
  int32_t lo;
  int32_t span;
  size_t i;
  dynamic_bounds(raw, n, dynamic_range, &lo, &span);
  for (i = 0; i < n; ++i) out[i] = dynamic_value(raw[i], lo, span);
}

void harken_quantize_static(const uint16_t *raw, size_t n, int8_t *out) {
  size_t i;
  for (i = 0; i < n; ++i) {
    int32_t q = ((int32_t)raw[i] * 256 + 333) / 666 - 128;
    out[i] = (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
  }
}

static int valid(const harken_frontend_config *c, int window_frames) {
  return c->sample_rate_hz > 0 && c->window_size_ms > 0 && c->window_step_ms > 0 &&
         c->filterbank_n_channels > 0 && c->log_scale_shift >= 0 && c->log_scale_shift <= 15 &&
         c->dc_notch_filter_coefficient >= 0.0f && c->dc_notch_filter_coefficient < 1.0f &&
         window_frames > 0;
}

int harken_frontend_init(harken_frontend *fe, const harken_frontend_config *config, uint16_t *ring,
                         int window_frames) {
  struct FrontendConfig tflm;
  if (fe == NULL || config == NULL || ring == NULL || !valid(config, window_frames)) return -1;
  memset(fe, 0, sizeof(*fe));
  fe->config = *config;
  FrontendFillConfigWithDefaults(&tflm);
  tflm.window.size_ms = (size_t)config->window_size_ms;
  tflm.window.step_size_ms = (size_t)config->window_step_ms;
  tflm.filterbank.num_channels = config->filterbank_n_channels;
  tflm.filterbank.upper_band_limit = config->filterbank_upper_band_limit;
  tflm.filterbank.lower_band_limit = config->filterbank_lower_band_limit;
  tflm.noise_reduction.smoothing_bits = config->noise_reduction_smoothing_bits;
  tflm.noise_reduction.even_smoothing = config->noise_reduction_even_smoothing;
  tflm.noise_reduction.odd_smoothing = config->noise_reduction_odd_smoothing;
  tflm.noise_reduction.min_signal_remaining = config->noise_reduction_min_signal_remaining;
  tflm.pcan_gain_control.enable_pcan = config->pcan_enable;
  tflm.pcan_gain_control.strength = config->pcan_strength;
  tflm.pcan_gain_control.offset = config->pcan_offset;
  tflm.pcan_gain_control.gain_bits = config->pcan_gain_bits;
  tflm.log_scale.enable_log = config->log_scale_enable;
  tflm.log_scale.scale_shift = config->log_scale_shift;
  if (!FrontendPopulateState(&tflm, &fe->tflm, config->sample_rate_hz)) return -1;
  /* int16(trunc(coef * 2^15)): 0.95 -> 31129 */
  fe->dc_notch_coef_q15 = (int16_t)(config->dc_notch_filter_coefficient * 32768.0f);
  fe->dynamic_range = harken_dynamic_range(config->quantize_dynamic_scale_range_db, config->log_scale_shift);
  fe->ring = ring;
  fe->window_frames = window_frames;
  harken_frontend_reset(fe);
  return 0;
}

void harken_frontend_reset(harken_frontend *fe) {
  FrontendReset(&fe->tflm);
  fe->dc_notch_prev_x = 0;
  fe->dc_notch_prev_y = 0;
  memset(fe->ring, 0, sizeof(uint16_t) * (size_t)fe->window_frames * (size_t)fe->config.filterbank_n_channels);
  fe->ring_pos = 0;
  fe->frames_seen = 0;
}

/* One frame from the window's output: TFLM's FrontendProcessSamples, with noise reduction
 * optional (the firmware's fe.noise_reduction_enable). */
static const uint16_t *process_frame(harken_frontend *fe) {
  struct FrontendState *s = &fe->tflm;
  const int input_shift = 15 - MostSignificantBit32(s->window.max_abs_output_value);
  int32_t *energy;
  uint32_t *scaled;
  int correction_bits;
  FftCompute(&s->fft, s->window.output, input_shift);
  energy = (int32_t *)s->fft.output;
  FilterbankConvertFftComplexToEnergy(&s->filterbank, s->fft.output, energy);
  FilterbankAccumulateChannels(&s->filterbank, energy);
  scaled = FilterbankSqrt(&s->filterbank, input_shift);
  if (fe->config.noise_reduction_enable) NoiseReductionApply(&s->noise_reduction, scaled);
  if (s->pcan_gain_control.enable_pcan) PcanGainControlApply(&s->pcan_gain_control, scaled);
  correction_bits = MostSignificantBit32(s->fft.fft_size) - 1 - (kFilterbankBits / 2);
  return LogScaleApply(&s->log_scale, scaled, s->filterbank.num_channels, correction_bits);
}

static void store_frame(harken_frontend *fe, const uint16_t *frame) {
  const size_t channels = (size_t)fe->config.filterbank_n_channels;
  memcpy(fe->ring + (size_t)fe->ring_pos * channels, frame, channels * sizeof(uint16_t));
  fe->ring_pos = (fe->ring_pos + 1) % fe->window_frames;
  fe->frames_seen += 1;
}

int harken_frontend_push(harken_frontend *fe, const int16_t *samples, size_t num_samples) {
  int16_t block[HARKEN_NOTCH_BLOCK];
  int frames = 0;
  while (num_samples > 0) {
    size_t n = num_samples < HARKEN_NOTCH_BLOCK ? num_samples : HARKEN_NOTCH_BLOCK;
    const int16_t *in = samples;
    if (fe->config.dc_notch_filter_enable) {
      memcpy(block, samples, n * sizeof(int16_t));
      harken_dc_notch(block, n, fe->dc_notch_coef_q15, &fe->dc_notch_prev_x, &fe->dc_notch_prev_y);
      in = block;
    }
    samples += n;
    num_samples -= n;
    while (n > 0) {
      size_t used = 0;
      if (WindowProcessSamples(&fe->tflm.window, in, n, &used)) {
        store_frame(fe, process_frame(fe));
        frames += 1;
      }
      in += used;
      n -= used;
    }
  }
  return frames;
}

int harken_frontend_window_ready(const harken_frontend *fe) {
  return fe->frames_seen >= fe->window_frames;
}

void harken_frontend_window_raw(const harken_frontend *fe, uint16_t *out) {
  const size_t channels = (size_t)fe->config.filterbank_n_channels;
  const size_t older = (size_t)(fe->window_frames - fe->ring_pos) * channels;
  memcpy(out, fe->ring + (size_t)fe->ring_pos * channels, older * sizeof(uint16_t));
  memcpy(out + older, fe->ring, (size_t)fe->ring_pos * channels * sizeof(uint16_t));
}

void harken_frontend_window_int8(const harken_frontend *fe, int8_t *out) {
  /* The ring is read oldest frame first; the dynamic scaling's maximum is over the whole window,
   * so it does not depend on the order. */
  const size_t channels = (size_t)fe->config.filterbank_n_channels;
  const size_t n = (size_t)fe->window_frames * channels;
  const size_t start = (size_t)fe->ring_pos * channels;
  if (fe->config.quantize_dynamic_scale_enable) {
    int32_t lo;
    int32_t span;
    size_t i;
    dynamic_bounds(fe->ring, n, fe->dynamic_range, &lo, &span);
    for (i = 0; i < n; ++i) out[i] = dynamic_value(fe->ring[(start + i) % n], lo, span);
  } else {
    harken_quantize_static(fe->ring + start, n - start, out);
    harken_quantize_static(fe->ring, start, out + (n - start));
  }
}
