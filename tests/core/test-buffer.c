/* Buffers: lifetime, addons, data/dmabuf wrappers and the shm allocator. */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "common.h"
#include "memfd_dmabuf.h"

static struct log_capture cap;

static int setup(void **state)
{
	log_capture_start(&cap);
	return 0;
}

/* A compositor-side buffer that records what happens to it. */
struct test_buffer {
	struct mosaic_buffer base;
	char events[256];
	int n_destroy, n_release;
	/* Where to copy `events` when the buffer is freed. */
	char *events_out;
};

static void record(char *events, const char *what)
{
	size_t len = strlen(events);
	snprintf(events + len, 256 - len, "%s%s", len > 0 ? " " : "", what);
}

static void test_buffer_destroy(struct mosaic_buffer *buffer)
{
	struct test_buffer *b = (struct test_buffer *)buffer;
	record(b->events, "destroy");
	if (b->events_out != NULL) {
		memcpy(b->events_out, b->events, sizeof(b->events));
	}
	free(b);
}

static void test_buffer_release(struct mosaic_buffer *buffer)
{
	struct test_buffer *b = (struct test_buffer *)buffer;
	b->n_release++;
	record(b->events, "release");
}

static const struct mosaic_buffer_impl test_buffer_impl = {
	.destroy = test_buffer_destroy,
	.release = test_buffer_release,
};

static struct test_buffer *test_buffer_create(char *events_out)
{
	struct test_buffer *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	mosaic_buffer_init(&b->base, &test_buffer_impl, 8, 4);
	b->events_out = events_out;
	return b;
}

static void test_drop_unlocked(void **state)
{
	char events[256] = "";
	struct test_buffer *b = test_buffer_create(events);
	assert_int_equal(b->base.width, 8);
	assert_int_equal(b->base.height, 4);
	// Dropped without consumers: destroyed at once, never released.
	mosaic_buffer_drop(&b->base);
	assert_string_equal(events, "destroy");
	mosaic_buffer_drop(NULL);
	mosaic_buffer_unlock(NULL);
	assert_no_error(&cap);
}

static void test_drop_while_locked(void **state)
{
	char events[256] = "";
	struct test_buffer *b = test_buffer_create(events);
	assert_ptr_equal(mosaic_buffer_lock(&b->base), &b->base);
	assert_ptr_equal(mosaic_buffer_lock(&b->base), &b->base);
	mosaic_buffer_drop(&b->base);
	assert_string_equal(b->events, "");
	mosaic_buffer_unlock(&b->base);
	assert_string_equal(b->events, "");
	// The producer is gone: no release, straight to destroy.
	mosaic_buffer_unlock(&b->base);
	assert_string_equal(events, "destroy");
}

static void test_release_then_drop(void **state)
{
	char events[256] = "";
	struct test_buffer *b = test_buffer_create(events);
	mosaic_buffer_lock(&b->base);
	mosaic_buffer_lock(&b->base);
	mosaic_buffer_unlock(&b->base);
	assert_int_equal(b->n_release, 0);
	mosaic_buffer_unlock(&b->base);
	assert_int_equal(b->n_release, 1);
	// Locked again by a new commit, released again.
	mosaic_buffer_lock(&b->base);
	mosaic_buffer_unlock(&b->base);
	assert_int_equal(b->n_release, 2);
	mosaic_buffer_drop(&b->base);
	assert_string_equal(events, "release release destroy");
}

struct test_addon {
	struct mosaic_buffer_addon base;
	char *events;
	const char *name;
	bool buffer_was_null;
};

static void test_addon_destroy(struct mosaic_buffer_addon *addon)
{
	struct test_addon *a = (struct test_addon *)addon;
	a->buffer_was_null = addon->buffer == NULL;
	record(a->events, a->name);
}

static const struct mosaic_buffer_addon_impl addon_impl = {
	.name = "test",
	.destroy = test_addon_destroy,
};
static const struct mosaic_buffer_addon_impl other_addon_impl = {
	.name = "other",
	.destroy = test_addon_destroy,
};

static void test_addons(void **state)
{
	char events[256] = "";
	struct test_buffer *b = test_buffer_create(events);
	int owner1, owner2;
	struct test_addon a1 = { .events = b->events, .name = "addon1" };
	struct test_addon a2 = { .events = b->events, .name = "addon2" };
	struct test_addon a3 = { .events = b->events, .name = "addon3" };

	assert_null(mosaic_buffer_addon_find(&b->base, &owner1, &addon_impl));
	mosaic_buffer_addon_attach(&b->base, &a1.base, &owner1, &addon_impl);
	mosaic_buffer_addon_attach(&b->base, &a2.base, &owner2, &addon_impl);
	mosaic_buffer_addon_attach(&b->base, &a3.base, &owner1, &other_addon_impl);
	assert_ptr_equal(mosaic_buffer_addon_find(&b->base, &owner1, &addon_impl), &a1.base);
	assert_ptr_equal(mosaic_buffer_addon_find(&b->base, &owner2, &addon_impl), &a2.base);
	assert_ptr_equal(mosaic_buffer_addon_find(&b->base, &owner1, &other_addon_impl),
		&a3.base);
	assert_null(mosaic_buffer_addon_find(&b->base, &owner2, &other_addon_impl));

	// Detaching does not call destroy; detaching twice is harmless.
	mosaic_buffer_addon_detach(&a2.base);
	mosaic_buffer_addon_detach(&a2.base);
	assert_null(mosaic_buffer_addon_find(&b->base, &owner2, &addon_impl));
	assert_string_equal(b->events, "");

	// Release does not touch addons (the import stays cached).
	mosaic_buffer_lock(&b->base);
	mosaic_buffer_unlock(&b->base);
	assert_string_equal(b->events, "release");

	mosaic_buffer_lock(&b->base);
	mosaic_buffer_drop(&b->base);
	assert_string_equal(b->events, "release");
	mosaic_buffer_unlock(&b->base);
	// Remaining addons are destroyed, detached, before the buffer itself.
	assert_true(strcmp(events, "release addon1 addon3 destroy") == 0 ||
		strcmp(events, "release addon3 addon1 destroy") == 0);
	assert_true(a1.buffer_was_null);
	assert_true(a3.buffer_was_null);
	assert_false(a2.buffer_was_null);
}

static void test_no_caps(void **state)
{
	char events[256] = "";
	struct test_buffer *b = test_buffer_create(events);
	assert_int_equal(mosaic_buffer_get_caps(&b->base), 0);
	struct mosaic_dmabuf_attributes dmabuf;
	assert_false(mosaic_buffer_get_dmabuf(&b->base, &dmabuf));
	struct mosaic_shm_attributes shm;
	assert_false(mosaic_buffer_get_shm(&b->base, &shm));
	void *data;
	uint32_t fourcc, stride;
	assert_false(mosaic_buffer_begin_data_access(&b->base, MOSAIC_BUFFER_DATA_ACCESS_READ, &data,
		&fourcc, &stride));
	mosaic_buffer_drop(&b->base);
	assert_string_equal(events, "destroy");
}

static void test_from_data(void **state)
{
	uint32_t pixels[4 * 3] = {0};
	struct mosaic_buffer *b = mosaic_buffer_from_data(3, 3, DRM_FORMAT_XRGB8888, 16, pixels);
	assert_non_null(b);
	assert_no_error(&cap);
	assert_int_equal(b->width, 3);
	assert_int_equal(b->height, 3);
	assert_int_equal(mosaic_buffer_get_caps(b), MOSAIC_BUFFER_CAP_DATA_PTR);

	void *data;
	uint32_t fourcc, stride;
	assert_true(mosaic_buffer_begin_data_access(b, MOSAIC_BUFFER_DATA_ACCESS_READ, &data, &fourcc,
		&stride));
	assert_ptr_equal(data, pixels);
	assert_int_equal(fourcc, DRM_FORMAT_XRGB8888);
	assert_int_equal(stride, 16);
	// Accesses do not nest.
	void *data2;
	assert_false(mosaic_buffer_begin_data_access(b, MOSAIC_BUFFER_DATA_ACCESS_READ, &data2, &fourcc,
		&stride));
	assert_one_error(&cap, "nest");
	mosaic_buffer_end_data_access(b);
	assert_true(mosaic_buffer_begin_data_access(b, MOSAIC_BUFFER_DATA_ACCESS_WRITE, &data, &fourcc,
		&stride));
	mosaic_buffer_end_data_access(b);
	mosaic_buffer_drop(b);

	// Bad input: one error each, naming the problem.
	assert_null(mosaic_buffer_from_data(3, 3, DRM_FORMAT_XRGB8888, 16, NULL));
	assert_one_error(&cap, "no data");
	assert_null(mosaic_buffer_from_data(3, 3, DRM_FORMAT_NV12, 16, pixels));
	assert_one_error(&cap, "NV12");
	assert_null(mosaic_buffer_from_data(3, 3, DRM_FORMAT_XRGB8888, 11, pixels));
	assert_one_error(&cap, "too small");
	assert_null(mosaic_buffer_from_data(0, 3, DRM_FORMAT_XRGB8888, 16, pixels));
	assert_one_error(&cap, "invalid size");
	assert_null(mosaic_buffer_from_data(3, -3, DRM_FORMAT_XRGB8888, 16, pixels));
	assert_one_error(&cap, "invalid size");
	assert_null(mosaic_buffer_from_data(MOSAIC_MAX_IMAGE_SIZE + 1, 1, DRM_FORMAT_XRGB8888,
		(MOSAIC_MAX_IMAGE_SIZE + 1) * 4, pixels));
	assert_one_error(&cap, "invalid size");
}

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void test_from_dmabuf_rejects(void **state)
{
	int fd = make_memfd(64 * 16);
	struct mosaic_dmabuf_attributes a = attribs_for(fd);

	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_one_error(&cap, "not a dmabuf");
	assert_true(fd_is_open(fd));

	a.n_planes = 2;
	a.fd[1] = fd;
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_one_error(&cap, "2 given");
	a.n_planes = 0;
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_one_error(&cap, "0 given");
	a.n_planes = -1;
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_one_error(&cap, "-1 given");
	a.n_planes = 100;
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_one_error(&cap, "100 given");

	a = attribs_for(fd);
	a.fourcc = DRM_FORMAT_NV12;
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_one_error(&cap, "NV12");
	a = attribs_for(fd);
	a.width = 0;
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_one_error(&cap, "invalid size");
	a.width = MOSAIC_MAX_IMAGE_SIZE + 1;
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_one_error(&cap, "invalid size");

	// The caller keeps its fd on failure.
	assert_true(fd_is_open(fd));
	close(fd);
	// A closed fd.
	a = attribs_for(fd);
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_one_error(&cap, "invalid fd");
	a.fd[0] = -1;
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_one_error(&cap, "invalid fd");

	assert_null(mosaic_buffer_from_dmabuf(NULL));
	assert_one_error(&cap, "no dmabuf attributes");
}

/*
 * mosaic_buffer_from_dmabuf() runs the layout check of test-dmabuf-layout.c
 * with the fd check: what arithmetic alone rejects is reported first, then
 * an fd that is no dmabuf, before anything is asked of its size.
 */
static void test_dmabuf_check_order(void **state)
{
	int fd = make_memfd(64 * 16);
	struct mosaic_dmabuf_attributes a = attribs_for(fd);
	a.offset[0] = 1u << 31;
	a.stride[0] = 1u << 31;
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_one_error(&cap, "overflows");
	// Past the end of the memfd, but the memfd is no dmabuf: that is the reason.
	a = attribs_for(fd);
	a.offset[0] = 64 * 16;
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_one_error(&cap, "not a dmabuf");
	a = attribs_for(fd);
	a.fd[0] = -1;
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_one_error(&cap, "plane 0 of ARGB8888 is missing");
	close(fd);
}

/*
 * The success path of mosaic_buffer_from_dmabuf() needs a real dmabuf: it is
 * tested with GBM buffers inside the DRM test VM (tests/drm/test-drm-nodes.c),
 * since neither these machines nor Debian's kernel have udmabuf.
 */

static void test_dmabuf_attributes_copy(void **state)
{
	int fd = make_memfd(4096);
	struct mosaic_dmabuf_attributes a = attribs_for(fd), copy;
	assert_true(mosaic_dmabuf_attributes_copy(&copy, &a));
	assert_int_not_equal(copy.fd[0], fd);
	assert_true(fd_is_open(copy.fd[0]));
	assert_int_equal(copy.fd[1], -1);
	assert_int_equal(copy.stride[0], 64);
	assert_int_equal(copy.width, 16);
	int copied = copy.fd[0];
	mosaic_dmabuf_attributes_finish(&copy);
	assert_int_equal(copy.fd[0], -1);
	assert_false(fd_is_open(copied));
	assert_true(fd_is_open(fd));
	mosaic_dmabuf_attributes_finish(NULL);

	a.n_planes = 0;
	assert_false(mosaic_dmabuf_attributes_copy(&copy, &a));
	assert_one_error(&cap, "plane count");
	a.n_planes = 5;
	assert_false(mosaic_dmabuf_attributes_copy(&copy, &a));
	assert_one_error(&cap, "plane count");
	// A bad second fd: the first duplicate is closed again.
	int probe = dup(fd);
	assert_true(probe >= 0);
	close(probe);
	a = attribs_for(fd);
	a.n_planes = 2;
	a.fd[1] = -1;
	assert_false(mosaic_dmabuf_attributes_copy(&copy, &a));
	assert_one_error(&cap, "plane 1");
	// The lowest free fd is free again: nothing leaked.
	int probe2 = dup(fd);
	assert_int_equal(probe, probe2);
	close(probe2);
	close(fd);

	assert_false(mosaic_dmabuf_attributes_copy(&copy, NULL));
	assert_one_error(&cap, "no dmabuf attributes");
	assert_false(mosaic_dmabuf_attributes_copy(NULL, &a));
	assert_one_error(&cap, "no dmabuf attributes");
}

static void test_shm_allocator(void **state)
{
	struct mosaic_allocator *alloc = mosaic_shm_allocator_create();
	assert_non_null(alloc);
	assert_int_equal(mosaic_allocator_get_buffer_caps(alloc),
		MOSAIC_BUFFER_CAP_DATA_PTR | MOSAIC_BUFFER_CAP_SHM);

	size_t n;
	const struct mosaic_format_info *all = mosaic_format_get_all(&n);
	for (size_t i = 0; i < n; i++) {
		struct mosaic_buffer *b = mosaic_allocator_create_buffer(alloc, 33, 7,
			all[i].fourcc, NULL, 0);
		if (all[i].is_yuv) {
			// Shared memory holds one RGB image; YUV comes as dmabuf planes.
			assert_null(b);
			assert_one_error(&cap, "YUV format");
			continue;
		}
		assert_non_null(b);
		assert_int_equal(b->width, 33);
		assert_int_equal(b->height, 7);
		assert_int_equal(mosaic_buffer_get_caps(b),
			mosaic_allocator_get_buffer_caps(alloc));

		struct mosaic_shm_attributes shm;
		assert_true(mosaic_buffer_get_shm(b, &shm));
		assert_int_equal(shm.fourcc, all[i].fourcc);
		assert_int_equal(shm.width, 33);
		assert_int_equal(shm.height, 7);
		assert_int_equal(shm.offset, 0);
		assert_true(shm.stride >= 33 * all[i].bytes_per_pixel);
		assert_int_equal(shm.stride % 64, 0);

		void *data;
		uint32_t fourcc, stride;
		assert_true(mosaic_buffer_begin_data_access(b, MOSAIC_BUFFER_DATA_ACCESS_READ |
			MOSAIC_BUFFER_DATA_ACCESS_WRITE, &data, &fourcc, &stride));
		assert_int_equal(fourcc, all[i].fourcc);
		assert_int_equal(stride, shm.stride);
		const uint8_t *bytes = data;
		for (size_t k = 0; k < (size_t)stride * 7; k++) {
			assert_int_equal(bytes[k], 0);
		}
		// The fd shows the same memory to another mapping (what a
		// Wayland parent would see through wl_shm).
		size_t size = (size_t)shm.stride * 7;
		uint8_t *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, shm.fd, 0);
		assert_true(map != MAP_FAILED);
		((uint8_t *)data)[stride * 6 + 5] = 0xab;
		assert_int_equal(map[stride * 6 + 5], 0xab);
		map[3] = 0x42;
		assert_int_equal(((uint8_t *)data)[3], 0x42);
		munmap(map, size);
		mosaic_buffer_end_data_access(b);
		mosaic_buffer_drop(b);
	}
	assert_no_error(&cap);

	// Modifiers: linear among others is fine, tiled only is not.
	const uint64_t tiled[] = { I915_FORMAT_MOD_X_TILED };
	const uint64_t mixed[] = { I915_FORMAT_MOD_X_TILED, DRM_FORMAT_MOD_LINEAR };
	assert_null(mosaic_allocator_create_buffer(alloc, 8, 8, DRM_FORMAT_XRGB8888, tiled, 1));
	assert_one_error(&cap, "LINEAR");
	struct mosaic_buffer *b = mosaic_allocator_create_buffer(alloc, 8, 8,
		DRM_FORMAT_XRGB8888, mixed, 2);
	assert_non_null(b);
	assert_null(mosaic_allocator_create_buffer(alloc, 8, 8, DRM_FORMAT_XRGB8888, NULL, 1));
	assert_one_error(&cap, "modifiers");

	assert_null(mosaic_allocator_create_buffer(alloc, 8, 8, DRM_FORMAT_NV12, NULL, 0));
	assert_one_error(&cap, "NV12");
	assert_null(mosaic_allocator_create_buffer(alloc, 0, 8, DRM_FORMAT_XRGB8888, NULL, 0));
	assert_one_error(&cap, "invalid buffer size");
	assert_null(mosaic_allocator_create_buffer(alloc, 8, -8, DRM_FORMAT_XRGB8888, NULL, 0));
	assert_one_error(&cap, "invalid buffer size");
	assert_null(mosaic_allocator_create_buffer(alloc, MOSAIC_MAX_IMAGE_SIZE + 1, 8,
		DRM_FORMAT_XRGB8888, NULL, 0));
	assert_one_error(&cap, "invalid buffer size");
	assert_null(mosaic_allocator_create_buffer(NULL, 8, 8, DRM_FORMAT_XRGB8888, NULL, 0));
	assert_one_error(&cap, "no allocator");

	// Buffers outlive their allocator.
	mosaic_allocator_destroy(alloc);
	void *data;
	uint32_t fourcc, stride;
	assert_true(mosaic_buffer_begin_data_access(b, MOSAIC_BUFFER_DATA_ACCESS_WRITE, &data, &fourcc,
		&stride));
	memset(data, 0xff, (size_t)stride * 8);
	mosaic_buffer_end_data_access(b);
	mosaic_buffer_drop(b);
	mosaic_allocator_destroy(NULL);
	assert_no_error(&cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_drop_unlocked, setup),
		cmocka_unit_test_setup(test_drop_while_locked, setup),
		cmocka_unit_test_setup(test_release_then_drop, setup),
		cmocka_unit_test_setup(test_addons, setup),
		cmocka_unit_test_setup(test_no_caps, setup),
		cmocka_unit_test_setup(test_from_data, setup),
		cmocka_unit_test_setup(test_from_dmabuf_rejects, setup),
		cmocka_unit_test_setup(test_dmabuf_check_order, setup),
		cmocka_unit_test_setup(test_dmabuf_attributes_copy, setup),
		cmocka_unit_test_setup(test_shm_allocator, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
