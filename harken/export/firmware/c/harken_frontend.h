/* harken's part of the audio front end, around TensorFlow Lite Micro's microfrontend.
 *
 * Per sample: the DC notch filter (optional). Per frame: TFLM's window, FFT, filterbank, noise
 * reduction (optional), PCAN (optional) and log scale. Per inference: the last window of frames,
 * converted to int8 over that window only (dynamic scaling to the window's maximum, or the static
 * micro_speech map). The arithmetic is that of harken's Python front end, bit for bit.
 *
 * The mel filterbank tables are harken's own (the vendor SDK's arithmetic: mel = 1127 ln(1 + f/700)
 * in double), installed into TFLM's filterbank state: TFLM at the pinned commit computes them in
 * float (log1pf), which moves a few weights by one step and the output of some channels by one.
 * Portable C99, no heap of its own: TFLM's FrontendPopulateState allocates its tables once; the
 * filterbank tables it made are freed and replaced by the arrays in harken_frontend (so never call
 * FrontendFreeStateContents on fe->tflm). */
#ifndef HARKEN_FRONTEND_H
#define HARKEN_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "tensorflow/lite/experimental/microfrontend/lib/frontend.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef HARKEN_FRONTEND_MAX_CHANNELS
#define HARKEN_FRONTEND_MAX_CHANNELS 128 /* filterbank channels */
#endif
#ifndef HARKEN_FRONTEND_MAX_FB_WEIGHTS
#define HARKEN_FRONTEND_MAX_FB_WEIGHTS 1280 /* filterbank weights (about fft_length / 2 + 4 * channels) */
#endif

/* Every fe.* setting of the model (the names of the SL_PARAMSv1 keys without "fe."). */
typedef struct {
  int sample_rate_hz;
  int sample_length_ms;
  int window_size_ms;
  int window_step_ms;
  int filterbank_n_channels;
  float filterbank_upper_band_limit;
  float filterbank_lower_band_limit;
  int noise_reduction_enable;
  int noise_reduction_smoothing_bits;
  float noise_reduction_even_smoothing;
  float noise_reduction_odd_smoothing;
  float noise_reduction_min_signal_remaining;
  int pcan_enable;
  float pcan_strength;
  float pcan_offset;
  int pcan_gain_bits;
  int log_scale_enable;
  int log_scale_shift;
  int activity_detection_enable;
  float activity_detection_alpha_a;
  float activity_detection_alpha_b;
  float activity_detection_arm_threshold;
  float activity_detection_trip_threshold;
  int dc_notch_filter_enable;
  float dc_notch_filter_coefficient;
  int quantize_dynamic_scale_enable;
  double quantize_dynamic_scale_range_db;
} harken_frontend_config;

/* The state of one stream. The ring of the last window_frames frames is the caller's memory
 * (window_frames * filterbank_n_channels uint16 values). */
typedef struct {
  harken_frontend_config config;
  struct FrontendState tflm;
  int16_t fb_frequency_starts[HARKEN_FRONTEND_MAX_CHANNELS + 1];
  int16_t fb_weight_starts[HARKEN_FRONTEND_MAX_CHANNELS + 1];
  int16_t fb_widths[HARKEN_FRONTEND_MAX_CHANNELS + 1];
  int16_t fb_weights[HARKEN_FRONTEND_MAX_FB_WEIGHTS];
  int16_t fb_unweights[HARKEN_FRONTEND_MAX_FB_WEIGHTS];
  int16_t dc_notch_coef_q15;
  int16_t dc_notch_prev_x;
  int16_t dc_notch_prev_y;
  int32_t dynamic_range;
  uint16_t *ring;
  int window_frames;
  int ring_pos;
  long frames_seen;
  /* activity detection (fe.activity_detection_enable): fast and slow averages of the frame level */
  double activity_fast;
  double activity_slow;
  int activity_armed;
  int activity_tripped; /* a frame tripped since harken_frontend_take_activity */
} harken_frontend;

/* Set up the state; returns 0 on success, -1 when TFLM cannot allocate its tables or a setting is
 * out of range. */
int harken_frontend_init(harken_frontend *fe, const harken_frontend_config *config, uint16_t *ring,
                         int window_frames);

/* Back to the power-on state: filter memories, noise estimates, pending samples and ring. */
void harken_frontend_reset(harken_frontend *fe);

/* Feed samples; returns the number of frames they completed (each is stored in the ring). */
int harken_frontend_push(harken_frontend *fe, const int16_t *samples, size_t num_samples);

/* With fe.activity_detection_enable: 1 when a frame tripped the activity detector since the last
 * call or the detector is armed (a sound in progress): the device runs the model only then. Always 1
 * when activity detection is off. harken's detector (harken/frontend/activity.py) works in double:
 * two exponential averages of the frame level (mean of exp(v / 2^log_scale_shift)), armed when
 * slow / fast < arm_threshold, tripped when it climbs back to trip_threshold. */
int harken_frontend_take_activity(harken_frontend *fe);

/* 1 once a full window of frames has been produced since the last reset. */
int harken_frontend_window_ready(const harken_frontend *fe);

/* The last window_frames frames, oldest first (zeros before the first frames), as raw uint16. */
void harken_frontend_window_raw(const harken_frontend *fe, uint16_t *out);

/* The same window as the model's int8 input, scaled over this window only. */
void harken_frontend_window_int8(const harken_frontend *fe, int8_t *out);

/* R of the dynamic int8 scaling: int(range_db * 2^log_scale_shift * ln(10)/20). */
int32_t harken_dynamic_range(double range_db, int log_scale_shift);

/* The DC notch filter on a block of samples, in place: y[n] = x[n] - x[n-1] + k*y[n-1] in int16
 * with the firmware's rounding; *prev_x and *prev_y carry the state across blocks. */
void harken_dc_notch(int16_t *samples, size_t n, int16_t coef_q15, int16_t *prev_x, int16_t *prev_y);

/* int8 of a [frames x channels] window of raw values scaled to its own maximum. */
void harken_quantize_dynamic(const uint16_t *raw, size_t n, int32_t dynamic_range, int8_t *out);

/* int8 by the fixed micro_speech map: (v * 256 + 333) / 666 - 128, clipped. */
void harken_quantize_static(const uint16_t *raw, size_t n, int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* HARKEN_FRONTEND_H */
