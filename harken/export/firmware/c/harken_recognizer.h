/* The command recognizer of the vendor firmware's audio classifier, reproduced exactly (harken's
 * Python reference: harken/streaming/recognizer.py).
 *
 * Each inference result (uint8 scores: an int8 output s gives s + 128) and its time go through:
 * - minimum_count == 0: no averaging, the latest scores are used as they are;
 * - otherwise the result is appended to a queue of at most HARKEN_RECOGNIZER_QUEUE entries (when it
 *   is full the newest is dropped) *before* entries older than now - average_window_duration_ms
 *   (strictly older) are removed; fewer than minimum_count left: no detection;
 * - per-class sums in uint32, floor division by the count; top class by strict > (ties: lower index);
 * - threshold: threshold_list[top] when there is a list, else detection_threshold;
 * - a detection iff score > threshold, the label does not start with '_', and (top != previous top
 *   or now - previous time > suppression_ms); only a detection updates the previous top and time
 *   (initially class 0 at time 0).
 * When suppression_ms <= 1 the caller resets the front end after a detection
 * (harken_recognizer_resets_frontend). Portable C99, no heap. */
#ifndef HARKEN_RECOGNIZER_H
#define HARKEN_RECOGNIZER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef HARKEN_RECOGNIZER_MAX_CLASSES
#define HARKEN_RECOGNIZER_MAX_CLASSES 32
#endif
#define HARKEN_RECOGNIZER_QUEUE 50

typedef struct {
  int32_t average_window_duration_ms;
  int32_t minimum_count;
  uint8_t detection_threshold;
  const uint8_t *detection_threshold_list; /* NULL, or one threshold per class */
  int32_t suppression_ms;
  const char *const *labels;
  int num_classes;
} harken_recognizer_config;

typedef struct {
  harken_recognizer_config config;
  uint8_t scores[HARKEN_RECOGNIZER_QUEUE][HARKEN_RECOGNIZER_MAX_CLASSES];
  int64_t times_ms[HARKEN_RECOGNIZER_QUEUE];
  int head; /* index of the oldest entry */
  int count;
  int previous_top;
  int64_t previous_time_ms;
} harken_recognizer;

typedef struct {
  int detected; /* 1 when this result is a detection */
  int class_index; /* the top class (also when not detected, -1 when too few results) */
  uint8_t score; /* its (averaged) score */
} harken_recognition;

/* Returns 0, or -1 for an invalid configuration (no classes, too many classes, no labels). */
int harken_recognizer_init(harken_recognizer *r, const harken_recognizer_config *config);

/* Forget the queue and the previous detection (a new stream). */
void harken_recognizer_reset(harken_recognizer *r);

/* One inference result: num_classes uint8 scores at time now_ms. */
harken_recognition harken_recognizer_process(harken_recognizer *r, const uint8_t *scores, int64_t now_ms);

/* 1 when a detection must reset the front end (suppression_ms <= 1). */
int harken_recognizer_resets_frontend(const harken_recognizer *r);

#ifdef __cplusplus
}
#endif

#endif /* HARKEN_RECOGNIZER_H */
