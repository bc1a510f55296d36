#ifndef MOSAIC_TESTS_FUZZ_H
#define MOSAIC_TESTS_FUZZ_H

/*
 * What the fuzz targets share: a reader that turns the input bytes into
 * values (zeroes once the input is used up, so every input is a complete
 * program), the log handler they install, and the renderer of the API and
 * wl_shm targets.
 *
 * Each target defines LLVMFuzzerTestOneInput(); libFuzzer calls it (the
 * fuzz-* programs of a -Dfuzz=true build) and so does replay.c (the
 * replay-* programs, run over the checked-in corpus by the `fuzz` suite).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosaic/log.h>
#include <mosaic/mosaic.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_input {
	const uint8_t *data;
	size_t size, pos;
};

static inline bool fuzz_done(const struct fuzz_input *in)
{
	return in->pos >= in->size;
}

static inline uint8_t fuzz_u8(struct fuzz_input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static inline uint16_t fuzz_u16(struct fuzz_input *in)
{
	uint16_t lo = fuzz_u8(in);
	return (uint16_t)(lo | fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32(struct fuzz_input *in)
{
	uint32_t lo = fuzz_u16(in);
	return lo | (uint32_t)fuzz_u16(in) << 16;
}

static inline bool fuzz_bool(struct fuzz_input *in)
{
	return fuzz_u8(in) & 1;
}

/* A small value in [lo, lo + 255], or (1 in 16) any 32-bit value: edges without drowning in them. */
static inline int32_t fuzz_int(struct fuzz_input *in, int32_t lo)
{
	uint8_t sel = fuzz_u8(in);
	if ((sel & 0xf) == 0xf) {
		return (int32_t)fuzz_u32(in);
	}
	return lo + fuzz_u8(in);
}

/* A float for colors and alphas: mostly in 0..1, sometimes outside, NaN or infinite. */
static inline float fuzz_float(struct fuzz_input *in)
{
	uint8_t v = fuzz_u8(in);
	switch (v) {
	case 0xff: {
		uint32_t bits = fuzz_u32(in);
		float f;
		memcpy(&f, &bits, sizeof(f));
		return f;
	}
	case 0xfe:
		return -0.5f;
	case 0xfd:
		return 1.5f;
	default:
		return (float)v / 252.0f;
	}
}

static void fuzz_log_discard(enum mosaic_log level, const char *msg, void *user_data)
{
	(void)level;
	(void)msg;
	(void)user_data;
}

/*
 * Every level is formatted (so that bad format arguments are found) and
 * dropped; MOSAIC_FUZZ_LOG=1 prints them instead, to see why an input did
 * what it did.
 */
static inline void fuzz_log_init(void)
{
	static bool done;
	if (done) {
		return;
	}
	done = true;
	const char *env = getenv("MOSAIC_FUZZ_LOG");
	if (env != NULL && env[0] == '1') {
		mosaic_log_init(MOSAIC_LOG_DEBUG, NULL, NULL);
	} else {
		mosaic_log_init(MOSAIC_LOG_DEBUG, fuzz_log_discard, NULL);
	}
}

/*
 * The renderer of the process, made on first use: pixman, or the backend
 * MOSAIC_FUZZ_BACKEND names. Aborts with a line naming `target` when it
 * cannot start.
 */
static inline struct mosaic_renderer *fuzz_renderer(const char *target)
{
	static struct mosaic_renderer *renderer;
	if (renderer != NULL) {
		return renderer;
	}
	enum mosaic_backend backend = MOSAIC_BACKEND_PIXMAN;
	const char *env = getenv("MOSAIC_FUZZ_BACKEND");
	if (env != NULL && env[0] != '\0' && !mosaic_backend_from_name(env, &backend)) {
		fprintf(stderr, "MOSAIC_FUZZ_BACKEND=%s: unknown backend\n", env);
		abort();
	}
	renderer = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = backend,
	});
	if (renderer == NULL) {
		fprintf(stderr, "%s: the %s renderer cannot start\n", target,
			mosaic_backend_name(backend));
		abort();
	}
	return renderer;
}

/* Failed harness expectations (not library misbehaviour the sanitizers catch). */
#define fuzz_check(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

#endif
