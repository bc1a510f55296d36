#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test_common.h"

noreturn void test_skip(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	fputs("SKIP: ", stdout);
	vfprintf(stdout, fmt, args);
	fputc('\n', stdout);
	va_end(args);
	fflush(stdout);
	exit(TEST_EXIT_SKIP);
}

static bool make_dirs(char *path)
{
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/') {
			continue;
		}
		*p = '\0';
		int ret = mkdir(path, 0755);
		*p = '/';
		if (ret != 0 && errno != EEXIST) {
			return false;
		}
	}
	return mkdir(path, 0755) == 0 || errno == EEXIST;
}

bool test_output_dir(const char *name, char *buf, size_t size)
{
	const char *root = getenv("MOSAIC_BUILD_ROOT");
	int n = snprintf(buf, size, "%s/test-output/%s",
		root != NULL && root[0] != '\0' ? root : ".", name);
	if (n < 0 || (size_t)n >= size) {
		return false;
	}
	if (!make_dirs(buf)) {
		fprintf(stderr, "cannot create %s: %s\n", buf, strerror(errno));
		return false;
	}
	return true;
}

bool test_save_mismatch(const char *test_name, const char *label,
	const struct test_image *expected, const struct test_image *actual, int tolerance)
{
	char dir[512], path[1024];
	if (!test_output_dir(test_name, dir, sizeof(dir))) {
		return false;
	}
	struct test_image diff;
	if (!test_image_make_diff(&diff, expected, actual, tolerance)) {
		return false;
	}
	const struct {
		const char *suffix;
		const struct test_image *image;
	} files[] = {
		{ "expected", expected },
		{ "actual", actual },
		{ "diff", &diff },
	};
	bool ok = true;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s-%s.png", dir, label, files[i].suffix);
		if (test_png_write(path, files[i].image)) {
			printf("  wrote %s\n", path);
		} else {
			ok = false;
		}
	}
	test_image_finish(&diff);
	return ok;
}

struct probe_log {
	char *reason;
	size_t size;
};

static void collect_log(enum mosaic_log level, const char *msg, void *user_data)
{
	struct probe_log *log = user_data;
	// The first error is the cause; later ones are consequences.
	if (level == MOSAIC_LOG_ERROR && log->reason[0] == '\0') {
		snprintf(log->reason, log->size, "%s", msg);
	}
}

static bool wanted(const char *name)
{
	const char *only = getenv("MOSAIC_TEST_BACKENDS");
	if (only == NULL || only[0] == '\0') {
		return true;
	}
	size_t len = strlen(name);
	for (const char *p = only; *p != '\0';) {
		size_t n = strcspn(p, ",");
		if (n == len && strncmp(p, name, n) == 0) {
			return true;
		}
		p += n + (p[n] == ',');
	}
	return false;
}

size_t test_backends_probe(struct test_backend list[static TEST_MAX_BACKENDS], bool print)
{
	static const enum mosaic_backend backends[TEST_MAX_BACKENDS] = {
		MOSAIC_BACKEND_PIXMAN,
		MOSAIC_BACKEND_VULKAN,
		MOSAIC_BACKEND_GLES,
	};
	size_t n_available = 0;
	enum mosaic_log verbosity = mosaic_log_get_verbosity();
	for (size_t i = 0; i < TEST_MAX_BACKENDS; i++) {
		struct test_backend *b = &list[i];
		*b = (struct test_backend){
			.backend = backends[i],
			.name = mosaic_backend_name(backends[i]),
			.built = mosaic_backend_is_built(backends[i]),
		};
		if (!b->built) {
			snprintf(b->reason, sizeof(b->reason), "not built (meson -Drenderers=%s)",
				b->name);
		} else if (!wanted(b->name)) {
			snprintf(b->reason, sizeof(b->reason), "not in MOSAIC_TEST_BACKENDS");
		} else {
			struct probe_log log = { b->reason, sizeof(b->reason) };
			mosaic_log_init(MOSAIC_LOG_ERROR, collect_log, &log);
			b->renderer = mosaic_renderer_create(&(struct mosaic_renderer_options){
				.backend = b->backend,
			});
			mosaic_log_init(verbosity, NULL, NULL);
			if (b->renderer != NULL) {
				b->reason[0] = '\0';
				n_available++;
			} else if (b->reason[0] == '\0') {
				snprintf(b->reason, sizeof(b->reason),
					"the renderer could not start");
			}
		}
		if (!print) {
			continue;
		}
		if (b->renderer != NULL) {
			printf("backend %s: available (%s)\n", b->name,
				mosaic_renderer_get_device_name(b->renderer));
		} else {
			printf("backend %s: skipped: %s\n", b->name, b->reason);
		}
	}
	fflush(stdout);
	return n_available;
}

void test_backends_finish(struct test_backend list[static TEST_MAX_BACKENDS])
{
	for (size_t i = 0; i < TEST_MAX_BACKENDS; i++) {
		mosaic_renderer_destroy(list[i].renderer);
		list[i].renderer = NULL;
	}
}

struct mosaic_buffer *test_buffer_create(int width, int height, uint32_t fourcc)
{
	struct mosaic_allocator *allocator = mosaic_shm_allocator_create();
	if (allocator == NULL) {
		return NULL;
	}
	struct mosaic_buffer *buffer = mosaic_allocator_create_buffer(allocator, width, height,
		fourcc, NULL, 0);
	mosaic_allocator_destroy(allocator);
	return buffer;
}
