/*
 * test-wayland-shm-renderers: real wl_shm clients (in-process, over a
 * socketpair) through mosaic's wl_shm global, on every renderer that runs
 * here. Textures made and updated from the client's pool hold exactly the
 * pixels a copy of the same memory gives (mosaic_buffer_from_data(), the path
 * libwayland's wl_shm buffers take); on a renderer with host-pointer import
 * the upload stats show the damage was copied straight from the client's
 * memory; a client that truncates its file, or destroys its buffer and
 * disconnects while the GPU still has to copy, is drawn without a crash.
 *
 * cmocka installs its own SIGBUS handler around each test, in place of the
 * one mosaic installs with its first pool: each test puts mosaic's back
 * first (mosaic's passes faults at other addresses to the handler before it).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include "test_common.h"
#include "wl_pair.h"

enum { W = 96, H = 64, STRIDE = W * 4 + 64 };
#define POOL_SIZE ((size_t)STRIDE * H)

static struct test_backend backends[TEST_MAX_BACKENDS];
static struct sigaction mosaic_sigbus;

static void restore_mosaic_sigbus(void)
{
	assert_int_equal(sigaction(SIGBUS, &mosaic_sigbus, NULL), 0);
}

/* One client buffer: the pool's memory seen from the client, and both sides of the buffer. */
struct client_buffer {
	int fd;
	uint32_t *pixels;
	struct wl_shm_pool *pool;
	struct wl_buffer *proxy;
	struct mosaic_buffer *buffer;
};

static uint32_t pattern(int x, int y, uint32_t seed)
{
	return 0xff000000u | ((uint32_t)(x * 7 + seed) & 0xff) << 16 |
		((uint32_t)(y * 5 + seed * 3) & 0xff) << 8 | ((uint32_t)(x ^ y) & 0xff);
}

static void fill(struct client_buffer *cb, const pixman_box32_t *box, uint32_t seed)
{
	for (int y = box->y1; y < box->y2; y++) {
		uint32_t *row = (uint32_t *)((uint8_t *)cb->pixels + (size_t)y * STRIDE);
		for (int x = box->x1; x < box->x2; x++) {
			row[x] = pattern(x, y, seed);
		}
	}
}

static void client_buffer_init(struct wl_pair *pair, struct client_buffer *cb)
{
	cb->fd = memfd_create("test-wayland-shm-renderers", MFD_CLOEXEC);
	assert_true(cb->fd >= 0);
	assert_int_equal(ftruncate(cb->fd, (off_t)POOL_SIZE), 0);
	cb->pixels = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, cb->fd, 0);
	assert_true(cb->pixels != MAP_FAILED);
	fill(cb, &(pixman_box32_t){ 0, 0, W, H }, 1);
	cb->pool = wl_shm_create_pool(pair->shm, cb->fd, (int32_t)POOL_SIZE);
	cb->proxy = wl_shm_pool_create_buffer(cb->pool, 0, W, H, STRIDE, WL_SHM_FORMAT_XRGB8888);
	assert_true(wl_pair_roundtrip(pair));
	struct wl_resource *resource = wl_pair_resource(pair, cb->proxy);
	assert_non_null(resource);
	cb->buffer = mosaic_wl_buffer_from_resource(resource);
	assert_non_null(cb->buffer);
	assert_true(mosaic_buffer_get_caps(cb->buffer) & MOSAIC_BUFFER_CAP_SHM);
	// The compositor's reference, as a surface's texture cache holds one.
	mosaic_buffer_lock(cb->buffer);
}

static void client_buffer_finish(struct client_buffer *cb)
{
	mosaic_buffer_unlock(cb->buffer);
	munmap(cb->pixels, POOL_SIZE);
	close(cb->fd);
}

/* The texture's pixels against the client's memory copied into a plain data buffer. */
static void assert_texture_matches(struct mosaic_renderer *r, struct mosaic_texture *texture,
	const struct client_buffer *cb)
{
	void *copy = malloc(POOL_SIZE);
	assert_non_null(copy);
	memcpy(copy, cb->pixels, POOL_SIZE);
	struct mosaic_buffer *reference = mosaic_buffer_from_data(W, H, DRM_FORMAT_XRGB8888,
		STRIDE, copy);
	assert_non_null(reference);
	struct mosaic_texture *expected = mosaic_texture_from_buffer(r, reference);
	assert_non_null(expected);
	struct test_image got, want;
	assert_true(test_image_read_texture(&got, texture));
	assert_true(test_image_read_texture(&want, expected));
	assert_memory_equal(got.data, want.data, (size_t)W * H * 4);
	// And both are the client's pixels themselves.
	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W; x++) {
			uint32_t p = ((const uint32_t *)((const uint8_t *)copy + (size_t)y * STRIDE))[x];
			const uint8_t *px = test_image_pixel(&got, x, y);
			assert_int_equal(px[0], (p >> 16) & 0xff);
			assert_int_equal(px[1], (p >> 8) & 0xff);
			assert_int_equal(px[2], p & 0xff);
		}
	}
	test_image_finish(&got);
	test_image_finish(&want);
	mosaic_texture_destroy(expected);
	mosaic_buffer_drop(reference);
	free(copy);
}

static bool host_import(struct mosaic_renderer *r)
{
	return mosaic_renderer_get_features(r) & MOSAIC_FEATURE_HOST_POINTER_IMPORT;
}

static void upload_pixels(void **state)
{
	const struct test_backend *b = *state;
	struct mosaic_renderer *r = b->renderer;
	restore_mosaic_sigbus();
	struct wl_pair pair;
	assert_true(wl_pair_init(&pair, r));
	struct client_buffer cb;
	client_buffer_init(&pair, &cb);

	// Upload stats around the first upload and the update only: the
	// reference textures of assert_texture_matches() are uploads too.
	struct mosaic_upload_stats s0, s1, s2, s3;
	bool counted = mosaic_renderer_get_upload_stats(r, &s0);
	struct mosaic_texture *texture = mosaic_texture_from_buffer(r, cb.buffer);
	assert_non_null(texture);
	mosaic_renderer_get_upload_stats(r, &s1);
	assert_texture_matches(r, texture, &cb);

	// Two damaged bands: only they change in the texture, which then holds
	// exactly what the client's memory holds.
	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, 0, 10, W, 7);
	pixman_region32_union_rect(&damage, &damage, 40, 0, 9, H);
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(&damage, &n);
	uint64_t damage_bytes = 0;
	for (int i = 0; i < n; i++) {
		fill(&cb, &rects[i], 2);
		damage_bytes += (uint64_t)(rects[i].x2 - rects[i].x1) *
			(uint64_t)(rects[i].y2 - rects[i].y1) * 4;
	}
	mosaic_renderer_get_upload_stats(r, &s2);
	assert_true(mosaic_texture_update_from_buffer(texture, cb.buffer, &damage));
	mosaic_renderer_get_upload_stats(r, &s3);
	assert_texture_matches(r, texture, &cb);

	if (counted) {
		uint64_t first = (uint64_t)W * H * 4;
		uint64_t host = s1.host_import_bytes - s0.host_import_bytes;
		uint64_t cpu = s1.cpu_copied_bytes - s0.cpu_copied_bytes;
		uint64_t update_host = s3.host_import_bytes - s2.host_import_bytes;
		uint64_t update_cpu = s3.cpu_copied_bytes - s2.cpu_copied_bytes;
		print_message("%s: first upload %llu bytes imported, %llu staged; update %llu "
			"imported, %llu staged\n", mosaic_backend_name(b->backend),
			(unsigned long long)host, (unsigned long long)cpu,
			(unsigned long long)update_host, (unsigned long long)update_cpu);
		if (host_import(r)) {
			// Straight from the client's pool: nothing staged by the CPU.
			assert_int_equal(host, first);
			assert_int_equal(cpu, 0);
			assert_int_equal(update_host, damage_bytes);
			assert_int_equal(update_cpu, 0);
		} else {
			assert_int_equal(cpu, first);
			assert_int_equal(update_cpu, damage_bytes);
		}
		// Reading the texture back waited for every copy.
		struct mosaic_upload_stats end;
		mosaic_renderer_get_upload_stats(r, &end);
		assert_true(end.gpu_completed_bytes - s0.gpu_completed_bytes >=
			first + damage_bytes);
	}
	pixman_region32_fini(&damage);
	mosaic_texture_destroy(texture);
	client_buffer_finish(&cb);
	wl_pair_finish(&pair);
}

/* The client truncates its file after the first upload: the update reads zeroes. */
static void truncated_pool(void **state)
{
	const struct test_backend *b = *state;
	struct mosaic_renderer *r = b->renderer;
	restore_mosaic_sigbus();
	struct wl_pair pair;
	assert_true(wl_pair_init(&pair, r));
	struct client_buffer cb;
	client_buffer_init(&pair, &cb);
	struct mosaic_texture *texture = mosaic_texture_from_buffer(r, cb.buffer);
	assert_non_null(texture);
	assert_int_equal(ftruncate(cb.fd, 0), 0);
	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, 0, 0, W, H);
	// Drawn from zeroes (or the old pages a driver pinned): no SIGBUS either way.
	assert_true(mosaic_texture_update_from_buffer(texture, cb.buffer, &damage));
	struct test_image got;
	assert_true(test_image_read_texture(&got, texture));
	const uint8_t *px = test_image_pixel(&got, W / 2, H / 2);
	print_message("%s: after the truncation the texture reads %02x%02x%02x\n",
		mosaic_backend_name(b->backend), px[0], px[1], px[2]);
	test_image_finish(&got);
	pixman_region32_fini(&damage);
	// The client was told, whichever mapping the renderer read.
	assert_false(wl_pair_roundtrip(&pair));
	const char *interface;
	assert_int_equal(wl_pair_client_error(&pair, &interface), WL_SHM_ERROR_INVALID_FD);
	assert_string_equal(interface, "wl_buffer");
	mosaic_texture_destroy(texture);
	client_buffer_finish(&cb);
	wl_pair_finish(&pair);
}

/*
 * The client destroys the buffer and the pool and disconnects right after
 * the update was recorded, before the GPU copied it: the copy still reads
 * the client's pixels.
 */
static void client_gone_before_copy(void **state)
{
	const struct test_backend *b = *state;
	struct mosaic_renderer *r = b->renderer;
	restore_mosaic_sigbus();
	struct wl_pair pair;
	assert_true(wl_pair_init(&pair, r));
	struct client_buffer cb;
	client_buffer_init(&pair, &cb);
	struct mosaic_texture *texture = mosaic_texture_from_buffer(r, cb.buffer);
	assert_non_null(texture);
	fill(&cb, &(pixman_box32_t){ 0, 0, W, H }, 3);
	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, 0, 0, W, H);
	assert_true(mosaic_texture_update_from_buffer(texture, cb.buffer, &damage));
	pixman_region32_fini(&damage);
	wl_buffer_destroy(cb.proxy);
	wl_shm_pool_destroy(cb.pool);
	wl_pair_disconnect(&pair);
	// Only our lock keeps the buffer now, and its mapping.
	assert_texture_matches(r, texture, &cb);
	mosaic_texture_destroy(texture);
	client_buffer_finish(&cb);
	wl_pair_finish(&pair);
}

/*
 * A SIGBUS outside every pool is not mosaic's to swallow: it reaches the
 * handler installed before mosaic's (here the default, which kills; under
 * AddressSanitizer its own, which reports and aborts).
 */
static void foreign_sigbus(void **state)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sigaction(SIGBUS, &mosaic_sigbus, NULL);
		int fd = memfd_create("test-foreign-sigbus", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, 4096) != 0) {
			_exit(2);
		}
		volatile uint8_t *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED || ftruncate(fd, 0) != 0) {
			_exit(2);
		}
		_exit(p[0] == 0 ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
#ifdef __SANITIZE_ADDRESS__
	assert_true(WTERMSIG(status) == SIGBUS || WTERMSIG(status) == SIGABRT);
#else
	assert_int_equal(WTERMSIG(status), SIGBUS);
#endif
}

int main(void)
{
	size_t n = test_backends_probe(backends, true);
	if (n == 0) {
		test_skip("no renderer starts here");
	}
	// mosaic's SIGBUS handler comes with the first pool.
	for (size_t i = 0; i < TEST_MAX_BACKENDS; i++) {
		if (backends[i].renderer != NULL) {
			struct wl_pair pair;
			struct client_buffer cb;
			if (!wl_pair_init(&pair, backends[i].renderer)) {
				fprintf(stderr, "cannot set up a client and a server\n");
				return 1;
			}
			client_buffer_init(&pair, &cb);
			client_buffer_finish(&cb);
			wl_pair_finish(&pair);
			break;
		}
	}
	sigaction(SIGBUS, NULL, &mosaic_sigbus);
	int failed = 0;
	for (size_t i = 0; i < TEST_MAX_BACKENDS; i++) {
		if (backends[i].renderer == NULL) {
			continue;
		}
		void *state = &backends[i];
		const struct CMUnitTest tests[] = {
			cmocka_unit_test_prestate(upload_pixels, state),
			cmocka_unit_test_prestate(truncated_pool, state),
			cmocka_unit_test_prestate(client_gone_before_copy, state),
		};
		char name[64];
		snprintf(name, sizeof(name), "wayland-shm-renderers-%s",
			mosaic_backend_name(backends[i].backend));
		failed += _cmocka_run_group_tests(name, tests, sizeof(tests) / sizeof(tests[0]),
			NULL, NULL);
	}
	const struct CMUnitTest once[] = { cmocka_unit_test(foreign_sigbus) };
	failed += cmocka_run_group_tests_name("wayland-shm-sigbus", once, NULL, NULL);
	test_backends_finish(backends);
	return failed;
}
