#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"

static void usage(FILE *out, const char *prog, const char *description)
{
	fprintf(out, "%s\n"
		"usage: %s [--renderer auto|pixman|vulkan|gles] [--target gpu|shm] [--quick]\n"
		"       [--runs N]\n"
		"  -r, --renderer NAME  backend (default auto, or $MOSAIC_RENDERER)\n"
		"  -t, --target KIND    output: gpu (the renderer's own image, the default\n"
		"                       where it has them) or shm (shared memory, copied\n"
		"                       back at every submit by GPU renderers)\n"
		"  -q, --quick          fewer repetitions (a smoke run)\n"
		"  -n, --runs N         runs per measurement; the median is reported\n",
		description, prog);
}

void bench_parse_options(struct bench_options *options, int argc, char *argv[],
	const char *description)
{
	static const struct option long_options[] = {
		{ "renderer", required_argument, NULL, 'r' },
		{ "target", required_argument, NULL, 't' },
		{ "quick", no_argument, NULL, 'q' },
		{ "runs", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	*options = (struct bench_options){ .backend = MOSAIC_BACKEND_AUTO, .runs = 0 };
	int opt;
	while ((opt = getopt_long(argc, argv, "r:t:qn:h", long_options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			if (!mosaic_backend_from_name(optarg, &options->backend)) {
				fprintf(stderr, "%s: --renderer: unknown value \"%s\"\n", argv[0],
					optarg);
				exit(2);
			}
			break;
		case 't':
			if (strcmp(optarg, "shm") == 0) {
				options->shm_target = true;
			} else if (strcmp(optarg, "gpu") == 0) {
				options->shm_target = false;
			} else {
				fprintf(stderr, "%s: --target: \"%s\" is not gpu or shm\n",
					argv[0], optarg);
				exit(2);
			}
			break;
		case 'q':
			options->quick = true;
			break;
		case 'n':
			options->runs = atoi(optarg);
			if (options->runs < 1 || options->runs > 1000) {
				fprintf(stderr, "%s: --runs: \"%s\" is not 1..1000\n", argv[0],
					optarg);
				exit(2);
			}
			break;
		case 'h':
			usage(stdout, argv[0], description);
			exit(0);
		default:
			usage(stderr, argv[0], description);
			exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr, argv[0], description);
		exit(2);
	}
	if (options->runs == 0) {
		options->runs = options->quick ? 3 : 5;
	}
}

struct mosaic_renderer *bench_create_renderer(const struct bench_options *options)
{
	struct mosaic_renderer *renderer = mosaic_renderer_create(
		&(struct mosaic_renderer_options){ .backend = options->backend });
	if (renderer == NULL) {
		fprintf(stderr, "the %s renderer could not start\n",
			mosaic_backend_name(options->backend));
		exit(1);
	}
	printf("renderer: %s on %s%s, %d runs per figure (median)\n",
		mosaic_backend_name(mosaic_renderer_get_backend(renderer)),
		mosaic_renderer_get_device_name(renderer), options->quick ? ", quick" : "",
		options->runs);
	return renderer;
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(double *values, size_t n)
{
	if (n == 0) {
		return 0.0;
	}
	qsort(values, n, sizeof(*values), compare_doubles);
	return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

struct mosaic_buffer *bench_create_buffer(int width, int height, uint32_t fourcc)
{
	struct mosaic_allocator *allocator = mosaic_shm_allocator_create();
	struct mosaic_buffer *buffer = allocator == NULL ? NULL :
		mosaic_allocator_create_buffer(allocator, width, height, fourcc, NULL, 0);
	mosaic_allocator_destroy(allocator);
	if (buffer == NULL) {
		fprintf(stderr, "cannot allocate a %dx%d buffer\n", width, height);
		exit(1);
	}
	return buffer;
}

struct mosaic_buffer *bench_create_target(struct mosaic_renderer *renderer,
	const struct bench_options *options, int width, int height, uint32_t fourcc)
{
	struct mosaic_allocator *allocator = options->shm_target ? NULL :
		mosaic_renderer_create_gpu_allocator(renderer);
	if (allocator == NULL) {
		printf("target: %dx%d shm buffer%s\n", width, height,
			options->shm_target ? " (--target shm)" : " (the renderer has no GPU images)");
		return bench_create_buffer(width, height, fourcc);
	}
	struct mosaic_buffer *buffer = mosaic_allocator_create_buffer(allocator, width, height,
		fourcc, NULL, 0);
	mosaic_allocator_destroy(allocator);
	if (buffer == NULL) {
		fprintf(stderr, "cannot allocate a %dx%d GPU buffer\n", width, height);
		exit(1);
	}
	printf("target: %dx%d GPU buffer (the renderer's allocator; --target shm for shared "
		"memory)\n", width, height);
	return buffer;
}

void bench_fill_buffer(struct mosaic_buffer *buffer, uint32_t seed)
{
	void *data;
	uint32_t fourcc, stride;
	if (!mosaic_buffer_begin_data_access(buffer, MOSAIC_BUFFER_DATA_ACCESS_WRITE, &data, &fourcc,
			&stride)) {
		fprintf(stderr, "cannot write the buffer\n");
		exit(1);
	}
	// Opaque-ish premultiplied pixels with varying color: alpha 0xe0, channels below it.
	for (int y = 0; y < buffer->height; y++) {
		uint32_t *row = (uint32_t *)((uint8_t *)data + (size_t)y * stride);
		for (int x = 0; x < buffer->width; x++) {
			uint32_t v = (uint32_t)x * 7u + (uint32_t)y * 13u + seed;
			row[x] = 0xe0000000u | ((v % 0xe0) << 16) | (((v >> 3) % 0xe0) << 8) |
				((v >> 5) % 0xe0);
		}
	}
	mosaic_buffer_end_data_access(buffer);
}

uint64_t bench_submit_and_wait(struct mosaic_renderer *renderer, struct mosaic_pass *pass,
	uint64_t start_ns)
{
	struct mosaic_pass_completion done;
	if (!mosaic_pass_submit(pass, &done)) {
		fprintf(stderr, "submitting a pass failed\n");
		exit(1);
	}
	uint64_t submitted = bench_now_ns() - start_ns;
	if (done.sync_file_fd >= 0) {
		close(done.sync_file_fd);
	}
	if (!mosaic_renderer_wait_point(renderer, done.point, -1)) {
		fprintf(stderr, "waiting for a pass failed\n");
		exit(1);
	}
	return submitted;
}
