/* 16-bit mono PCM .wav reader (see harken_wav.h). */
#include "harken_wav.h"

#include <string.h>

static uint32_t le32(const unsigned char *b) {
  return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

static uint16_t le16(const unsigned char *b) {
  return (uint16_t)(b[0] | (b[1] << 8));
}

static int fail(harken_wav *wav, const char *why) {
  wav->error = why;
  if (wav->file != NULL) fclose(wav->file);
  wav->file = NULL;
  return -1;
}

/* Skip n bytes (chunks are padded to an even size). */
static int skip(FILE *f, uint32_t n) {
  unsigned char buf[64];
  while (n > 0) {
    size_t k = n < sizeof(buf) ? n : sizeof(buf);
    if (fread(buf, 1, k, f) != k) return -1;
    n -= (uint32_t)k;
  }
  return 0;
}

static int check_format(harken_wav *wav, const unsigned char *fmt, uint32_t size) {
  uint16_t tag;
  if (size < 16) return fail(wav, "the fmt chunk is too short");
  tag = le16(fmt);
  if (tag == 0xFFFE && size >= 40) tag = le16(fmt + 24); /* WAVE_FORMAT_EXTENSIBLE: the sub-format */
  if (tag != 1) return fail(wav, "not PCM audio");
  if (le16(fmt + 2) != 1) return fail(wav, "not mono (one channel expected)");
  if (le16(fmt + 14) != 16) return fail(wav, "not 16-bit samples");
  wav->sample_rate_hz = le32(fmt + 4);
  return 0;
}

int harken_wav_open(harken_wav *wav, const char *path) {
  unsigned char header[12];
  unsigned char chunk[8];
  unsigned char fmt[40];
  int have_fmt = 0;
  memset(wav, 0, sizeof(*wav));
  wav->file = fopen(path, "rb");
  if (wav->file == NULL) return fail(wav, "cannot open the file");
  if (fread(header, 1, 12, wav->file) != 12 || memcmp(header, "RIFF", 4) != 0 || memcmp(header + 8, "WAVE", 4) != 0) {
    return fail(wav, "not a RIFF/WAVE file");
  }
  while (fread(chunk, 1, 8, wav->file) == 8) {
    const uint32_t size = le32(chunk + 4);
    if (memcmp(chunk, "fmt ", 4) == 0) {
      const uint32_t keep = size < sizeof(fmt) ? size : (uint32_t)sizeof(fmt);
      if (fread(fmt, 1, keep, wav->file) != keep || skip(wav->file, size - keep + (size & 1u)) != 0) {
        return fail(wav, "truncated fmt chunk");
      }
      if (check_format(wav, fmt, size) != 0) return -1;
      have_fmt = 1;
    } else if (memcmp(chunk, "data", 4) == 0) {
      if (!have_fmt) return fail(wav, "data chunk before the fmt chunk");
      wav->num_samples = size / 2u;
      wav->samples_left = wav->num_samples;
      return 0;
    } else if (skip(wav->file, size + (size & 1u)) != 0) {
      return fail(wav, "truncated chunk");
    }
  }
  return fail(wav, "no data chunk");
}

size_t harken_wav_read(harken_wav *wav, int16_t *samples, size_t n) {
  unsigned char buf[256];
  size_t done = 0;
  while (done < n && wav->samples_left > 0) {
    size_t want = n - done;
    size_t got;
    size_t i;
    if (want > sizeof(buf) / 2) want = sizeof(buf) / 2;
    if (want > wav->samples_left) want = wav->samples_left;
    got = fread(buf, 2, want, wav->file);
    for (i = 0; i < got; ++i) {
      const uint16_t u = le16(buf + 2 * i);
      samples[done + i] = (int16_t)(u < 32768u ? (int32_t)u : (int32_t)u - 65536);
    }
    done += got;
    wav->samples_left -= (uint32_t)got;
    if (got < want) {
      wav->samples_left = 0; /* truncated file: stop at what is there */
    }
  }
  return done;
}

void harken_wav_close(harken_wav *wav) {
  if (wav->file != NULL) fclose(wav->file);
  wav->file = NULL;
}
