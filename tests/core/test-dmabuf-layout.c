/*
 * The dmabuf layout check (render/dmabuf_layout.c) at its edges, compiled
 * into the test: it is private to the library. memfds stand in for dmabufs
 * (lseek tells their size), so the fd check stays off except where it is
 * the point. Offsets and strides are 32-bit client values; their products
 * must not wrap (2^31 x 2 is 0 in 32 bits).
 */
#define _GNU_SOURCE /* memfd_create */
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "private/dmabuf.h"

#include "common.h"
#include "memfd_dmabuf.h"

#define assert_check(a, flags, want, msg) do { \
	char why[256] = ""; \
	enum mosaic_dmabuf_layout_error got = mosaic_dmabuf_layout_check((a), (flags), why, \
		sizeof(why)); \
	if (got != (want) || strstr(why, (msg)) == NULL) { \
		print_error("got %d \"%s\", want %d \"%s\"\n", (int)got, why, (int)(want), \
			(msg)); \
		fail(); \
	} \
} while (0)

static void test_plane_edges(void **state)
{
	const size_t size = 64 * 16;
	int fd = make_memfd(size);
	const struct {
		uint32_t offset, stride;
		int height;
		uint64_t modifier;
		enum mosaic_dmabuf_layout_error want;
		const char *msg;
	} cases[] = {
		// Exactly the size of the fd.
		{ 0, 64, 16, DRM_FORMAT_MOD_LINEAR, MOSAIC_DMABUF_LAYOUT_ERROR_NONE, "" },
		{ 0, 64, 16, DRM_FORMAT_MOD_INVALID, MOSAIC_DMABUF_LAYOUT_ERROR_NONE, "" },
		// One row more than the fd holds.
		{ 64, 64, 16, DRM_FORMAT_MOD_LINEAR, MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS,
			"ends past the buffer (1024 bytes)" },
		{ 0, 64, 17, DRM_FORMAT_MOD_LINEAR, MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS, "ends past" },
		{ 1023, 1, 1, I915_FORMAT_MOD_X_TILED, MOSAIC_DMABUF_LAYOUT_ERROR_NONE, "" },
		{ 1023, 2, 1, I915_FORMAT_MOD_X_TILED, MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS,
			"ends past" },
		{ 1024, 64, 1, DRM_FORMAT_MOD_LINEAR, MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS,
			"offset 1024 is past the end" },
		{ UINT32_MAX, 64, 1, DRM_FORMAT_MOD_LINEAR, MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS,
			"overflows" },
		{ 1, UINT32_MAX, 1, DRM_FORMAT_MOD_LINEAR, MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS,
			"overflows" },
		{ 0, UINT32_MAX, 1, DRM_FORMAT_MOD_LINEAR, MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS,
			"ends past" },
		{ 0, 1u << 31, 2, DRM_FORMAT_MOD_LINEAR, MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS,
			"overflows" },
		{ 0, 1u << 30, 4, DRM_FORMAT_MOD_LINEAR, MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS,
			"overflows" },
		{ 0, 1u << 18, MOSAIC_MAX_IMAGE_SIZE, DRM_FORMAT_MOD_LINEAR,
			MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS, "overflows" },
		{ 0, 0, 1, DRM_FORMAT_MOD_LINEAR, MOSAIC_DMABUF_LAYOUT_ERROR_STRIDE, "stride is 0" },
		{ 0, 0, 1, I915_FORMAT_MOD_X_TILED, MOSAIC_DMABUF_LAYOUT_ERROR_STRIDE,
			"stride is 0" },
		// Rows of 16 ARGB pixels need 64 bytes, unless the layout is tiled.
		{ 0, 63, 16, DRM_FORMAT_MOD_LINEAR, MOSAIC_DMABUF_LAYOUT_ERROR_STRIDE,
			"stride 63 is too small for 16 pixels" },
		{ 0, 63, 16, DRM_FORMAT_MOD_INVALID, MOSAIC_DMABUF_LAYOUT_ERROR_STRIDE,
			"too small" },
		{ 0, 63, 16, I915_FORMAT_MOD_X_TILED, MOSAIC_DMABUF_LAYOUT_ERROR_NONE, "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mosaic_dmabuf_attributes a = attribs_for(fd);
		a.offset[0] = cases[i].offset;
		a.stride[0] = cases[i].stride;
		a.height = cases[i].height;
		a.modifier = cases[i].modifier;
		assert_check(&a, 0, cases[i].want, cases[i].msg);
	}
	close(fd);
}

static void test_planes_format_size(void **state)
{
	int fd = make_memfd(64 * 16);
	struct mosaic_dmabuf_attributes a = attribs_for(fd);
	a.fd[0] = -1;
	assert_check(&a, 0, MOSAIC_DMABUF_LAYOUT_ERROR_PLANE_MISSING,
		"plane 0 of ARGB8888 is missing");
	a = attribs_for(fd);
	a.n_planes = 0;
	assert_check(&a, 0, MOSAIC_DMABUF_LAYOUT_ERROR_PLANE_MISSING, "1 plane, 0 given");
	a.n_planes = -1;
	assert_check(&a, 0, MOSAIC_DMABUF_LAYOUT_ERROR_PLANE_MISSING, "1 plane, -1 given");
	a.n_planes = MOSAIC_DMABUF_MAX_PLANES;
	a.fd[1] = a.fd[2] = a.fd[3] = fd;
	assert_check(&a, 0, MOSAIC_DMABUF_LAYOUT_ERROR_PLANE_EXTRA, "1 plane, 4 given");
	// A missing first plane is reported before a count that is too high.
	a.fd[0] = -1;
	assert_check(&a, 0, MOSAIC_DMABUF_LAYOUT_ERROR_PLANE_MISSING, "plane 0");

	// The format before the size, the size before the planes.
	a = attribs_for(fd);
	a.height = MOSAIC_MAX_IMAGE_SIZE + 1;
	a.n_planes = 0;
	assert_check(&a, 0, MOSAIC_DMABUF_LAYOUT_ERROR_SIZE, "invalid size 16x16385");
	a.width = 0;
	assert_check(&a, 0, MOSAIC_DMABUF_LAYOUT_ERROR_SIZE, "invalid size");
	a.fourcc = DRM_FORMAT_C8;
	assert_check(&a, 0, MOSAIC_DMABUF_LAYOUT_ERROR_FORMAT, "unsupported format C8");
	close(fd);
}

/* With the fd check, a memfd is refused before its size is asked; without, it passes. */
static void test_fd_check(void **state)
{
	int fd = make_memfd(64 * 16);
	struct mosaic_dmabuf_attributes a = attribs_for(fd);
	assert_check(&a, 0, MOSAIC_DMABUF_LAYOUT_ERROR_NONE, "");
	assert_check(&a, MOSAIC_DMABUF_CHECK_FDS, MOSAIC_DMABUF_LAYOUT_ERROR_NOT_DMABUF,
		"is not a dmabuf");
	a.offset[0] = 4096;
	assert_check(&a, MOSAIC_DMABUF_CHECK_FDS, MOSAIC_DMABUF_LAYOUT_ERROR_NOT_DMABUF,
		"is not a dmabuf");
	// Arithmetic comes first: it needs no fd.
	a.offset[0] = UINT32_MAX;
	assert_check(&a, MOSAIC_DMABUF_CHECK_FDS, MOSAIC_DMABUF_LAYOUT_ERROR_BOUNDS,
		"overflows");
	close(fd);
	// A closed fd: no size to check against without the fd check, invalid with it.
	a = attribs_for(fd);
	assert_check(&a, 0, MOSAIC_DMABUF_LAYOUT_ERROR_NONE, "");
	assert_check(&a, MOSAIC_DMABUF_CHECK_FDS, MOSAIC_DMABUF_LAYOUT_ERROR_NOT_DMABUF,
		"invalid fd");
	// No `why`: the answer alone.
	assert_int_equal(mosaic_dmabuf_layout_check(&a, MOSAIC_DMABUF_CHECK_FDS, NULL, 0),
		MOSAIC_DMABUF_LAYOUT_ERROR_NOT_DMABUF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plane_edges),
		cmocka_unit_test(test_planes_format_size),
		cmocka_unit_test(test_fd_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
