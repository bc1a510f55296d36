#ifndef MOSAIC_BENCH_COMMON_H
#define MOSAIC_BENCH_COMMON_H

/*
 * What the benchmarks share: the command line (--renderer, --quick, --runs,
 * --target), clocks, medians, the renderer and the output. Public API only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mosaic/mosaic.h>

struct bench_options {
	enum mosaic_backend backend;
	/** Fewer repetitions, for a smoke run. */
	bool quick;
	/** Runs whose median is reported. */
	int runs;
	/** --target shm: render into shared memory even where the renderer has GPU images. */
	bool shm_target;
};

/**
 * Parses the common options; prints usage and exits on a bad command line.
 * `description` is one line printed by --help.
 */
void bench_parse_options(struct bench_options *options, int argc, char *argv[],
	const char *description);

/** Creates the renderer asked for, prints one line naming it; exits on failure. */
struct mosaic_renderer *bench_create_renderer(const struct bench_options *options);

/** Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);

/** Median of `n` values (sorted in place). */
double bench_median(double *values, size_t n);

/** A zeroed shm buffer (the kind a wl_shm client hands over); exits on failure. */
struct mosaic_buffer *bench_create_buffer(int width, int height, uint32_t fourcc);

/**
 * The output to render into: a buffer of the renderer's GPU allocator where
 * it has one (unless --target shm), else a shm buffer. Prints one line saying
 * which; exits on failure. Drop it before the renderer.
 */
struct mosaic_buffer *bench_create_target(struct mosaic_renderer *renderer,
	const struct bench_options *options, int width, int height, uint32_t fourcc);

/** Fills a buffer of a 4-byte format with a pattern that is not all one color. */
void bench_fill_buffer(struct mosaic_buffer *buffer, uint32_t seed);

/** Submits the pass and waits for it; exits on failure. Returns ns until submit returned. */
uint64_t bench_submit_and_wait(struct mosaic_renderer *renderer, struct mosaic_pass *pass,
	uint64_t start_ns);

#endif
