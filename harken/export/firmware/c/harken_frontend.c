/* harken's part of the audio front end around TFLM's microfrontend (see harken_frontend.h).
 * The Python reference is harken/frontend/ (kernels.py, output_scaling.py, streaming.py). */
#include "harken_frontend.h"

#include <math.h>
#include <stdlib.h>
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

/* ---- the mel filterbank tables (TFLM's layout, the vendor's arithmetic) ---------------------- */

#define FB_INDEX_ALIGNMENT 2 /* kFilterbankIndexAlignment (4 bytes) / sizeof(int16_t) */
#define FB_BLOCK 4 /* kFilterbankChannelBlockSize */

/* 1127 ln(1 + f / 700) in double, stored as float (harken/frontend/tables.py _freq_to_mel). */
static float freq_to_mel(float freq) {
  return (float)(1127.0 * log1p((double)freq / 700.0));
}

/* Bands (num_channels + 1 triangles): where each starts and how many FFT bins it has. */
static void filterbank_bands(const harken_frontend_config *c, float hz_per_sbin, int start_index, float *centers,
                             int16_t *band_start, int16_t *band_width) {
  const int bands = c->filterbank_n_channels + 1;
  const float mel_low = freq_to_mel(c->filterbank_lower_band_limit);
  const float mel_spacing = (freq_to_mel(c->filterbank_upper_band_limit) - mel_low) / (float)bands;
  int freq = start_index;
  int b;
  for (b = 0; b < bands; ++b) {
    const int first = freq;
    centers[b] = mel_low + mel_spacing * (float)(b + 1);
    while (freq_to_mel((float)freq * hz_per_sbin) <= centers[b]) ++freq;
    band_start[b] = (int16_t)first;
    band_width[b] = (int16_t)(freq - first);
  }
}

/* TFLM's FilterbankPopulateState with harken's arithmetic, into fe's own arrays; -1 when they are
 * too small (raise HARKEN_FRONTEND_MAX_FB_WEIGHTS) or the bands pass the spectrum. */
static int install_filterbank(harken_frontend *fe, int spectrum_size) {
  const harken_frontend_config *c = &fe->config;
  struct FilterbankState *fb = &fe->tflm.filterbank;
  const int bands = c->filterbank_n_channels + 1;
  float centers[HARKEN_FRONTEND_MAX_CHANNELS + 1];
  int16_t band_start[HARKEN_FRONTEND_MAX_CHANNELS + 1];
  int16_t band_width[HARKEN_FRONTEND_MAX_CHANNELS + 1];
  const float hz_per_sbin = (float)(0.5 * c->sample_rate_hz / (double)((float)spectrum_size - 1.0f));
  const int start_index = (int)(1.5 + (double)(c->filterbank_lower_band_limit / hz_per_sbin));
  const float mel_low = freq_to_mel(c->filterbank_lower_band_limit);
  int weight_index = 0;
  int needs_zeros = 0;
  int end_index = 0;
  int b;
  filterbank_bands(c, hz_per_sbin, start_index, centers, band_start, band_width);
  for (b = 0; b < bands; ++b) {
    if (band_width[b] == 0) {
      fe->fb_frequency_starts[b] = 0;
      fe->fb_weight_starts[b] = 0;
      fe->fb_widths[b] = FB_BLOCK;
      if (!needs_zeros) {
        int j;
        needs_zeros = 1;
        for (j = 0; j < b; ++j) fe->fb_weight_starts[j] += FB_BLOCK;
        weight_index += FB_BLOCK;
      }
    } else {
      const int aligned_start = (band_start[b] / FB_INDEX_ALIGNMENT) * FB_INDEX_ALIGNMENT;
      const int aligned_width = band_start[b] - aligned_start + band_width[b];
      const int padded_width = ((aligned_width - 1) / FB_BLOCK + 1) * FB_BLOCK;
      fe->fb_frequency_starts[b] = (int16_t)aligned_start;
      fe->fb_weight_starts[b] = (int16_t)weight_index;
      fe->fb_widths[b] = (int16_t)padded_width;
      weight_index += padded_width;
    }
    if (weight_index > HARKEN_FRONTEND_MAX_FB_WEIGHTS) return -1;
  }
  memset(fe->fb_weights, 0, sizeof(fe->fb_weights));
  memset(fe->fb_unweights, 0, sizeof(fe->fb_unweights));
  for (b = 0; b < bands; ++b) {
    const float denom = b == 0 ? mel_low : centers[b - 1];
    const int base = fe->fb_weight_starts[b] + band_start[b] - fe->fb_frequency_starts[b];
    int j;
    for (j = 0; j < band_width[b]; ++j) {
      const float mel = freq_to_mel((float)(band_start[b] + j) * hz_per_sbin);
      const float w = (centers[b] - mel) / (centers[b] - denom);
      fe->fb_weights[base + j] = (int16_t)floorf(w * 4096.0f + 0.5f);
      fe->fb_unweights[base + j] = (int16_t)floor((1.0 - (double)w) * 4096.0 + 0.5);
    }
    if (band_start[b] + band_width[b] > end_index) end_index = band_start[b] + band_width[b];
  }
  if (end_index >= spectrum_size) return -1;
  free(fb->channel_frequency_starts); /* TFLM's own tables, replaced */
  free(fb->channel_weight_starts);
  free(fb->channel_widths);
  free(fb->weights);
  free(fb->unweights);
  fb->start_index = start_index;
  fb->end_index = end_index;
  fb->channel_frequency_starts = fe->fb_frequency_starts;
  fb->channel_weight_starts = fe->fb_weight_starts;
  fb->channel_widths = fe->fb_widths;
  fb->weights = fe->fb_weights;
  fb->unweights = fe->fb_unweights;
  return 0;
}

static int valid(const harken_frontend_config *c, int window_frames) {
  return c->sample_rate_hz > 0 && c->window_size_ms > 0 && c->window_step_ms > 0 &&
         c->filterbank_n_channels > 0 && c->log_scale_shift >= 0 && c->log_scale_shift <= 15 &&
         c->filterbank_n_channels <= HARKEN_FRONTEND_MAX_CHANNELS &&
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
  if (install_filterbank(fe, fe->tflm.fft.fft_size / 2 + 1) != 0) return -1;
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
  fe->activity_fast = -1.0;
  fe->activity_slow = -1.0;
  fe->activity_armed = 0;
  fe->activity_tripped = 0;
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

/* numpy's pairwise summation of n <= 128 doubles (8 accumulators, then the rest in order), so that
 * the mean is numpy's to the last bit. */
static double pairwise_sum(const double *v, int n) {
  double r[8];
  double sum;
  int i;
  int k;
  if (n < 8) {
    sum = 0.0;
    for (i = 0; i < n; ++i) sum += v[i];
    return sum;
  }
  if (n > 128) {
    int half = n / 2;
    half -= half % 8;
    return pairwise_sum(v, half) + pairwise_sum(v + half, n - half);
  }
  for (k = 0; k < 8; ++k) r[k] = v[k];
  for (i = 8; i < n - (n % 8); i += 8) {
    for (k = 0; k < 8; ++k) r[k] += v[i + k];
  }
  sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
  for (; i < n; ++i) sum += v[i];
  return sum;
}

static void update_activity(harken_frontend *fe, const uint16_t *frame) {
  double level[HARKEN_FRONTEND_MAX_CHANNELS];
  const harken_frontend_config *c = &fe->config;
  const double a = c->activity_detection_alpha_a;
  const double b = c->activity_detection_alpha_b;
  const double scale = (double)(1 << c->log_scale_shift);
  double mean;
  double ratio;
  int i;
  for (i = 0; i < c->filterbank_n_channels; ++i) {
    level[i] = c->log_scale_enable ? exp((double)frame[i] / scale) : (double)frame[i];
  }
  mean = pairwise_sum(level, c->filterbank_n_channels) / (double)c->filterbank_n_channels;
  if (fe->activity_fast < 0.0) {
    fe->activity_fast = mean;
    fe->activity_slow = mean;
  }
  fe->activity_fast = a * fe->activity_fast + (1.0 - a) * mean;
  fe->activity_slow = b * fe->activity_slow + (1.0 - b) * mean;
  ratio = fe->activity_fast > 0.0 ? fe->activity_slow / fe->activity_fast : 1.0;
  if (!fe->activity_armed && ratio < (double)c->activity_detection_arm_threshold) {
    fe->activity_armed = 1;
  } else if (fe->activity_armed && ratio >= (double)c->activity_detection_trip_threshold) {
    fe->activity_armed = 0;
    fe->activity_tripped = 1;
  }
}

int harken_frontend_take_activity(harken_frontend *fe) {
  const int active = fe->activity_tripped || fe->activity_armed;
  fe->activity_tripped = 0;
  return fe->config.activity_detection_enable ? active : 1;
}

static void store_frame(harken_frontend *fe, const uint16_t *frame) {
  const size_t channels = (size_t)fe->config.filterbank_n_channels;
  memcpy(fe->ring + (size_t)fe->ring_pos * channels, frame, channels * sizeof(uint16_t));
  fe->ring_pos = (fe->ring_pos + 1) % fe->window_frames;
  fe->frames_seen += 1;
  if (fe->config.activity_detection_enable) update_activity(fe, frame);
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
