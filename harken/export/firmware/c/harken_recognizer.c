/* The firmware's command recognizer (see harken_recognizer.h for the rules). */
#include "harken_recognizer.h"

#include <string.h>

int harken_recognizer_init(harken_recognizer *r, const harken_recognizer_config *config) {
  if (r == NULL || config == NULL || config->labels == NULL || config->num_classes < 1 ||
      config->num_classes > HARKEN_RECOGNIZER_MAX_CLASSES || config->minimum_count < 0) {
    return -1;
  }
  memset(r, 0, sizeof(*r));
  r->config = *config;
  harken_recognizer_reset(r);
  return 0;
}

void harken_recognizer_reset(harken_recognizer *r) {
  r->head = 0;
  r->count = 0;
  r->previous_top = 0;
  r->previous_time_ms = 0;
}

/* Append (when there is room), then drop the entries older than the averaging window. */
static void update_queue(harken_recognizer *r, const uint8_t *scores, int64_t now_ms) {
  const int n = r->config.num_classes;
  const int64_t oldest_kept = now_ms - r->config.average_window_duration_ms;
  if (r->count < HARKEN_RECOGNIZER_QUEUE) {
    const int slot = (r->head + r->count) % HARKEN_RECOGNIZER_QUEUE;
    memcpy(r->scores[slot], scores, (size_t)n);
    r->times_ms[slot] = now_ms;
    r->count += 1;
  }
  while (r->count > 0 && r->times_ms[r->head] < oldest_kept) {
    r->head = (r->head + 1) % HARKEN_RECOGNIZER_QUEUE;
    r->count -= 1;
  }
}

harken_recognition harken_recognizer_process(harken_recognizer *r, const uint8_t *scores, int64_t now_ms) {
  const int n = r->config.num_classes;
  harken_recognition out;
  uint8_t averaged[HARKEN_RECOGNIZER_MAX_CLASSES] = {0};
  uint8_t threshold;
  int c;
  out.detected = 0;
  out.class_index = -1;
  out.score = 0;
  if (r->config.minimum_count == 0) {
    memcpy(averaged, scores, (size_t)n);
  } else {
    update_queue(r, scores, now_ms);
    if (r->count < r->config.minimum_count) return out;
    for (c = 0; c < n; ++c) {
      uint32_t sum = 0;
      int i;
      for (i = 0; i < r->count; ++i) sum += r->scores[(r->head + i) % HARKEN_RECOGNIZER_QUEUE][c];
      averaged[c] = (uint8_t)(sum / (uint32_t)r->count);
    }
  }
  out.class_index = 0;
  for (c = 1; c < n; ++c) {
    if (averaged[c] > averaged[out.class_index]) out.class_index = c;
  }
  out.score = averaged[out.class_index];
  threshold = r->config.detection_threshold_list != NULL ? r->config.detection_threshold_list[out.class_index]
                                                          : r->config.detection_threshold;
  if (out.score > threshold && r->config.labels[out.class_index][0] != '_' &&
      (out.class_index != r->previous_top || now_ms - r->previous_time_ms > r->config.suppression_ms)) {
    out.detected = 1;
    r->previous_top = out.class_index;
    r->previous_time_ms = now_ms;
  }
  return out;
}

int harken_recognizer_resets_frontend(const harken_recognizer *r) {
  return r->config.suppression_ms <= 1;
}
