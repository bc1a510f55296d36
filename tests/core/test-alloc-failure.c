/*
 * Allocation failures: malloc/calloc/realloc are interposed for the whole
 * process (the library and pixman included) and made to fail at the N-th
 * call of an operation, for every N until the operation needs no more.
 * Each run must end in success with the right result, or in the failure
 * value with exactly one ERROR line, and must leave every object in a
 * usable, destroyable state.
 */
#include <stdlib.h>

#include <drm_fourcc.h>

#include "common.h"

#if defined(__SANITIZE_ADDRESS__)
int main(void)
{
	// The sanitizer owns malloc; interposing it here would fight it.
	printf("built with AddressSanitizer: allocation failures are not injected\n");
	return 77;
}
#else

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *ptr, size_t size);

static bool armed, injected;
static int calls, fail_at;

static bool inject(void)
{
	if (!armed || calls++ != fail_at) {
		return false;
	}
	injected = true;
	return true;
}

/* Default visibility: the project builds with -fvisibility=hidden. */
#define INTERPOSE __attribute__((visibility("default")))

INTERPOSE void *malloc(size_t size)
{
	return inject() ? NULL : __libc_malloc(size);
}

INTERPOSE void *calloc(size_t n, size_t size)
{
	return inject() ? NULL : __libc_calloc(n, size);
}

INTERPOSE void *realloc(void *ptr, size_t size)
{
	return inject() ? NULL : __libc_realloc(ptr, size);
}

static struct log_capture cap;

static int setup(void **state)
{
	log_capture_start(&cap);
	return 0;
}

/*
 * Runs the body with the n-th allocation of each armed section failing, for
 * n = 0, 1, ... until a run where no allocation was made to fail.
 */
#define FOR_EACH_FAILURE(n) \
	for (int n = 0, more_ = 1; more_ && n < 1000; \
		n++, more_ = injected, injected = false, armed = false)

static void arm(int n)
{
	log_capture_reset(&cap);
	calls = 0;
	fail_at = n;
	armed = true;
}

static void assert_set_valid(const struct mosaic_format_set *set)
{
	for (size_t i = 0; i < set->n_formats; i++) {
		assert_true(set->formats[i].n_modifiers > 0);
		if (i > 0) {
			assert_true(set->formats[i - 1].fourcc < set->formats[i].fourcc);
		}
	}
}

/*
 * Each loop below arms exactly one operation; what it needs is made before,
 * unarmed, so that every allocation of the operation gets its turn to fail.
 */
static void test_format_set_add(void **state)
{
	FOR_EACH_FAILURE(n) {
		struct mosaic_format_set a = {0};
		arm(n);
		bool ok = true;
		for (uint64_t mod = 0; mod < 3 && ok; mod++) {
			ok = mosaic_format_set_add(&a, DRM_FORMAT_XRGB8888, mod) &&
				mosaic_format_set_add(&a, DRM_FORMAT_ARGB8888, mod);
		}
		armed = false;
		if (!ok) {
			assert_int_equal(cap.n_errors, 1);
		}
		// Whatever happened, the set holds its invariants.
		assert_set_valid(&a);
		mosaic_format_set_finish(&a);
	}
}

static void test_format_set_ops(void **state)
{
	struct mosaic_format_set a = {0}, b = {0};
	for (uint64_t mod = 0; mod < 3; mod++) {
		assert_true(mosaic_format_set_add(&a, DRM_FORMAT_XRGB8888, mod));
		assert_true(mosaic_format_set_add(&a, DRM_FORMAT_ARGB8888, mod));
	}
	assert_true(mosaic_format_set_add(&b, DRM_FORMAT_ARGB8888, 1));
	assert_true(mosaic_format_set_add(&b, DRM_FORMAT_RGB565, 1));
	for (int op = 0; op < 3; op++) {
		FOR_EACH_FAILURE(n) {
			struct mosaic_format_set dst = {0};
			assert_true(mosaic_format_set_add(&dst, DRM_FORMAT_ABGR8888, 9));
			arm(n);
			bool ok = op == 0 ? mosaic_format_set_union(&dst, &a, &b) :
				op == 1 ? mosaic_format_set_intersect(&dst, &a, &b) :
				mosaic_format_set_copy(&dst, &a);
			armed = false;
			if (!ok) {
				assert_int_equal(cap.n_errors, 1);
				// Documented: dst is left empty on failure.
				assert_int_equal(dst.n_formats, 0);
			} else {
				size_t want = op == 0 ? 3 : op == 1 ? 1 : 2;
				assert_int_equal(dst.n_formats, want);
			}
			assert_set_valid(&dst);
			mosaic_format_set_finish(&dst);
		}
	}
	mosaic_format_set_finish(&a);
	mosaic_format_set_finish(&b);
}

static void test_renderer_create(void **state)
{
	FOR_EACH_FAILURE(n) {
		arm(n);
		struct mosaic_renderer *r = mosaic_pixman_renderer_create();
		armed = false;
		if (r == NULL) {
			assert_int_equal(cap.n_errors, 1);
		}
		mosaic_renderer_destroy(r);
	}
}

static const uint32_t px[4 * 4] = {
	0x80402010, 0x80402011, 0x80402012, 0x80402013,
	0x80402014, 0x80402015, 0x80402016, 0x80402017,
	0x80402018, 0x80402019, 0x8040201a, 0x8040201b,
	0x8040201c, 0x8040201d, 0x8040201e, 0x8040201f,
};

static void test_textures(void **state)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	FOR_EACH_FAILURE(n) {
		arm(n);
		struct mosaic_texture *t = mosaic_texture_from_pixels(r, 4, 4, DRM_FORMAT_ARGB8888,
			16, px);
		armed = false;
		if (t == NULL) {
			assert_int_equal(cap.n_errors, 1);
		}
		mosaic_texture_destroy(t);
	}

	struct mosaic_texture *t = mosaic_texture_from_pixels(r, 4, 4, DRM_FORMAT_ARGB8888, 16, px);
	FOR_EACH_FAILURE(n) {
		uint32_t out[16] = {0};
		arm(n);
		struct mosaic_read_request *req = mosaic_texture_read_pixels_start(t,
			&(struct mosaic_read_pixels_options){
				.fourcc = DRM_FORMAT_ARGB8888, .stride = 16, .data = out,
			});
		armed = false;
		if (req == NULL) {
			assert_int_equal(cap.n_errors, 1);
		} else {
			assert_true(mosaic_read_request_finish(req));
			assert_memory_equal(out, px, sizeof(px));
		}
	}
	mosaic_texture_destroy(t);
	mosaic_renderer_destroy(r);
}

static void test_update(void **state)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	// RGB565, 3 pixels wide, tightly packed: goes through shadow images.
	const uint16_t a[3 * 2] = { 0xf800, 0x07e0, 0x001f, 0xffff, 0x0000, 0xf81f };
	uint16_t b[3 * 2] = { 0x001f, 0x001f, 0x001f, 0x001f, 0x001f, 0x001f };
	struct mosaic_buffer *buf = mosaic_buffer_from_data(3, 2, DRM_FORMAT_RGB565, 6, b);
	pixman_region32_t damage;
	// Partly outside the texture, so that clipping it allocates.
	pixman_region32_init_rect(&damage, -1, -1, 2, 2);
	pixman_region32_union_rect(&damage, &damage, 2, 1, 5, 5);
	FOR_EACH_FAILURE(n) {
		struct mosaic_texture *t = mosaic_texture_from_pixels(r, 3, 2, DRM_FORMAT_RGB565, 6,
			a);
		arm(n);
		bool ok = mosaic_texture_update_from_buffer(t, buf, &damage);
		armed = false;
		uint16_t out[3 * 2] = {0};
		assert_true(mosaic_texture_read_pixels(t, &(struct mosaic_read_pixels_options){
			.fourcc = DRM_FORMAT_RGB565, .stride = 6, .data = out,
		}));
		if (ok) {
			const uint16_t want[6] = { 0x001f, 0x07e0, 0x001f, 0xffff, 0x0000, 0x001f };
			assert_memory_equal(out, want, sizeof(want));
		} else {
			assert_int_equal(cap.n_errors, 1);
		}
		assert_false(buf->accessing_data);
		mosaic_texture_destroy(t);
	}
	pixman_region32_fini(&damage);
	mosaic_buffer_drop(buf);
	mosaic_renderer_destroy(r);
}

static void test_pass(void **state)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	uint32_t tpx[4] = { 0xffff0000, 0xff00ff00, 0xff0000ff, 0xffffffff };
	struct mosaic_texture *t = mosaic_texture_from_pixels(r, 2, 2, DRM_FORMAT_ARGB8888, 8, tpx);
	struct mosaic_allocator *alloc = mosaic_shm_allocator_create();
	FOR_EACH_FAILURE(n) {
		arm(n);
		struct mosaic_buffer *out = mosaic_allocator_create_buffer(alloc, 8, 8,
			DRM_FORMAT_XRGB8888, NULL, 0);
		armed = false;
		if (out == NULL) {
			assert_int_equal(cap.n_errors, 1);
		}
		mosaic_buffer_drop(out);
	}

	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 0, 0, 3, 3);
	pixman_region32_union_rect(&clip, &clip, 5, 5, 3, 3);
	float alpha = 0.5f;
	FOR_EACH_FAILURE(n) {
		struct mosaic_buffer *out = mosaic_allocator_create_buffer(alloc, 8, 8,
			DRM_FORMAT_XRGB8888, NULL, 0);
		arm(n);
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, out, NULL);
		bool ok = pass != NULL;
		if (ok) {
			ok = mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
				.box = { 0, 0, 8, 8 }, .color = { 0, 0, 0, 1 }, .clip = &clip,
			});
			ok = mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
				.texture = t, .dst_box = { 0, 0, 8, 8 }, .alpha = &alpha,
				.clip = &clip,
			}) && ok;
			ok = mosaic_pass_submit(pass, NULL) && ok;
		}
		armed = false;
		if (!ok) {
			assert_int_equal(cap.n_errors, 1);
		} else {
			// Success means the pixels are right: inside the clip the
			// texture at half alpha over black, outside untouched zero.
			void *data;
			uint32_t fourcc, stride;
			assert_true(mosaic_buffer_begin_data_access(out, MOSAIC_BUFFER_DATA_ACCESS_READ,
				&data, &fourcc, &stride));
			const uint32_t *row0 = data;
			const uint32_t *row4 = (const uint32_t *)((uint8_t *)data + 4 * stride);
			assert_int_equal(row0[4] & 0xffffff, 0);
			assert_int_equal(row4[4] & 0xffffff, 0);
			// Pixel 0,0: pure red texel at half alpha over black.
			assert_in_range((row0[0] >> 16) & 0xff, 0x7f, 0x80);
			mosaic_buffer_end_data_access(out);
		}
		assert_int_equal(out->n_locks, 0);
		mosaic_buffer_drop(out);
	}
	pixman_region32_fini(&clip);

	// Into an unaligned buffer: a shadow written back at submit.
	uint16_t b[3 * 2];
	struct mosaic_buffer *buf = mosaic_buffer_from_data(3, 2, DRM_FORMAT_RGB565, 6, b);
	FOR_EACH_FAILURE(n) {
		for (int i = 0; i < 6; i++) {
			b[i] = 0x001f;
		}
		arm(n);
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, buf, NULL);
		bool ok = pass != NULL;
		if (ok) {
			ok = mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
				.box = { 0, 0, 3, 2 }, .color = { 1, 0, 0, 1 },
				.blend = MOSAIC_BLEND_NONE,
			});
			ok = mosaic_pass_submit(pass, NULL) && ok;
		}
		armed = false;
		if (ok) {
			for (int i = 0; i < 6; i++) {
				assert_int_equal(b[i], 0xf800);
			}
		} else {
			assert_int_equal(cap.n_errors, 1);
		}
		assert_int_equal(buf->n_locks, 0);
		assert_false(buf->accessing_data);
	}
	mosaic_buffer_drop(buf);
	mosaic_allocator_destroy(alloc);
	mosaic_texture_destroy(t);
	mosaic_renderer_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_format_set_add, setup),
		cmocka_unit_test_setup(test_format_set_ops, setup),
		cmocka_unit_test_setup(test_renderer_create, setup),
		cmocka_unit_test_setup(test_textures, setup),
		cmocka_unit_test_setup(test_update, setup),
		cmocka_unit_test_setup(test_pass, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
