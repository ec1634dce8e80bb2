/* A small reader of 16-bit mono PCM .wav files through stdio (no heap): the reference
 * application's audio input. Portable C99; works with newlib's semihosting on a microcontroller. */
#ifndef HARKEN_WAV_H
#define HARKEN_WAV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  FILE *file;
  uint32_t sample_rate_hz;
  uint32_t num_samples; /* samples in the data chunk */
  uint32_t samples_left;
  const char *error; /* why harken_wav_open failed */
} harken_wav;

/* Open and check the header; returns 0, or -1 with wav->error set (the file is closed). */
int harken_wav_open(harken_wav *wav, const char *path);

/* Read up to n samples; returns how many were read (0 at the end). */
size_t harken_wav_read(harken_wav *wav, int16_t *samples, size_t n);

void harken_wav_close(harken_wav *wav);

#ifdef __cplusplus
}
#endif

#endif /* HARKEN_WAV_H */
