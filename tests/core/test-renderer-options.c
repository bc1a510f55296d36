/* Renderer creation, options, the environment override, logging and loss. */
#define _GNU_SOURCE /* memfd_create */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <mosaic/interface.h>

#include "common.h"

static struct log_capture cap;

static int setup(void **state)
{
	unsetenv("MOSAIC_RENDERER");
	log_capture_start(&cap);
	return 0;
}

static int teardown(void **state)
{
	unsetenv("MOSAIC_RENDERER");
	return 0;
}

static void assert_pixman_formats(struct mosaic_renderer *r)
{
	size_t n;
	const struct mosaic_format_info *all = mosaic_format_get_all(&n);
	const struct mosaic_format_set *tex =
		mosaic_renderer_get_texture_formats(r, MOSAIC_BUFFER_CAP_DATA_PTR);
	const struct mosaic_format_set *render =
		mosaic_renderer_get_render_formats(r, MOSAIC_BUFFER_CAP_DATA_PTR);
	assert_non_null(tex);
	assert_non_null(render);
	// CPU images are RGB; YUV formats come only as dmabuf planes.
	size_t n_rgb = 0;
	for (size_t i = 0; i < n; i++) {
		n_rgb += all[i].is_yuv ? 0 : 1;
		assert_true(mosaic_format_set_has(tex, all[i].fourcc, DRM_FORMAT_MOD_LINEAR) ==
			!all[i].is_yuv);
		assert_true(mosaic_format_set_has(render, all[i].fourcc, DRM_FORMAT_MOD_LINEAR) ==
			!all[i].is_yuv);
	}
	assert_int_equal(tex->n_formats, n_rgb);
	assert_int_equal(render->n_formats, n_rgb);
	// pixman maps linear dmabufs: every format, with DRM_FORMAT_MOD_LINEAR only;
	// YUV ones it converts, so it samples them but never renders into them.
	const struct mosaic_format_set *dmabuf_sets[] = {
		mosaic_renderer_get_texture_formats(r, MOSAIC_BUFFER_CAP_DMABUF),
		mosaic_renderer_get_render_formats(r, MOSAIC_BUFFER_CAP_DMABUF),
	};
	for (size_t s = 0; s < 2; s++) {
		assert_int_equal(dmabuf_sets[s]->n_formats, s == 0 ? n : n_rgb);
		for (size_t i = 0; i < n; i++) {
			const struct mosaic_format *f =
				mosaic_format_set_get(dmabuf_sets[s], all[i].fourcc);
			if (s == 1 && all[i].is_yuv) {
				assert_null(f);
				continue;
			}
			assert_non_null(f);
			assert_int_equal(f->n_modifiers, 1);
			assert_true(f->modifiers[0] == DRM_FORMAT_MOD_LINEAR);
		}
	}
	// Other caps have no formats at all.
	const uint32_t caps[] = { MOSAIC_BUFFER_CAP_SHM, 0,
		MOSAIC_BUFFER_CAP_DATA_PTR | MOSAIC_BUFFER_CAP_DMABUF, 0xffffffff };
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		// A mask or a cap without format sets is refused out loud.
		int errors = cap.n_errors;
		const struct mosaic_format_set *s = mosaic_renderer_get_texture_formats(r, caps[i]);
		assert_non_null(s);
		assert_int_equal(s->n_formats, 0);
		assert_int_equal(cap.n_errors, errors + 1);
		assert_non_null(strstr(cap.last_error, "not one of"));
		s = mosaic_renderer_get_render_formats(r, caps[i]);
		assert_non_null(s);
		assert_int_equal(s->n_formats, 0);
		assert_int_equal(cap.n_errors, errors + 2);
	}
	cap.n_errors = 0;
}

static void test_pixman_explicit(void **state)
{
	struct mosaic_renderer *r = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
	});
	assert_non_null(r);
	assert_no_error(&cap);
	assert_int_equal(mosaic_renderer_get_backend(r), MOSAIC_BACKEND_PIXMAN);
	assert_true(mosaic_renderer_is_pixman(r));
	assert_non_null(mosaic_renderer_get_device_name(r));
	assert_true(mosaic_renderer_get_features(r) & MOSAIC_FEATURE_SOFTWARE);
	// Linear dmabufs are mapped.
	assert_true(mosaic_renderer_get_features(r) & MOSAIC_FEATURE_DMABUF_IMPORT);
	assert_int_equal(mosaic_renderer_get_drm_fd(r), -1);
	assert_false(mosaic_renderer_is_lost(r));
	assert_pixman_formats(r);

	// Nothing submitted yet.
	assert_int_equal(mosaic_renderer_get_completed_point(r), 0);
	assert_true(mosaic_renderer_wait_point(r, 0, 0));
	assert_false(mosaic_renderer_wait_point(r, 1, -1));
	assert_one_error(&cap, "never submitted");

	// pixman has no GPU timer: NULL without an error.
	assert_null(mosaic_render_timer_create(r));
	assert_no_error(&cap);
	mosaic_render_timer_destroy(NULL);
	mosaic_renderer_destroy(r);
	mosaic_renderer_destroy(NULL);

	r = mosaic_pixman_renderer_create();
	assert_non_null(r);
	assert_true(mosaic_renderer_is_pixman(r));
	mosaic_renderer_destroy(r);
	assert_false(mosaic_renderer_is_pixman(NULL));
	assert_no_error(&cap);
}

static void test_auto(void **state)
{
	// NULL options and a zeroed struct are the same: auto.
	struct mosaic_renderer *r = mosaic_renderer_create(NULL);
	assert_non_null(r);
	assert_int_not_equal(mosaic_renderer_get_backend(r), MOSAIC_BACKEND_AUTO);
	assert_true(mosaic_backend_is_built(mosaic_renderer_get_backend(r)));
	mosaic_renderer_destroy(r);
	r = mosaic_renderer_create(&(struct mosaic_renderer_options){0});
	assert_non_null(r);
	mosaic_renderer_destroy(r);
	assert_no_error(&cap);

	// An empty override is no override.
	setenv("MOSAIC_RENDERER", "", 1);
	r = mosaic_renderer_create(NULL);
	assert_non_null(r);
	mosaic_renderer_destroy(r);
	setenv("MOSAIC_RENDERER", "pixman", 1);
	r = mosaic_renderer_create(NULL);
	assert_non_null(r);
	assert_int_equal(mosaic_renderer_get_backend(r), MOSAIC_BACKEND_PIXMAN);
	mosaic_renderer_destroy(r);
	assert_no_error(&cap);
}

static void test_env_bogus(void **state)
{
	setenv("MOSAIC_RENDERER", "bogus", 1);
	assert_null(mosaic_renderer_create(NULL));
	assert_one_error(&cap, "MOSAIC_RENDERER=bogus");
	setenv("MOSAIC_RENDERER", "PIXMAN", 1);
	assert_null(mosaic_renderer_create(NULL));
	assert_one_error(&cap, "MOSAIC_RENDERER=PIXMAN");

	// The variable only overrides auto: an explicit backend ignores it.
	struct mosaic_renderer *r = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
	});
	assert_non_null(r);
	mosaic_renderer_destroy(r);
	assert_no_error(&cap);
}

/*
 * Only in builds that leave a GPU backend out (tests/run-all.sh has one: the
 * sanitizer build is pixman-only); a full build has nothing to check here.
 */
#if !MOSAIC_HAS_VULKAN || !MOSAIC_HAS_GLES
static void test_not_built(void **state)
{
	const enum mosaic_backend gpu[] = { MOSAIC_BACKEND_VULKAN, MOSAIC_BACKEND_GLES };
	int checked = 0;
	for (size_t i = 0; i < 2; i++) {
		if (mosaic_backend_is_built(gpu[i])) {
			continue;
		}
		checked++;
		const char *name = mosaic_backend_name(gpu[i]);
		char option[64];
		snprintf(option, sizeof(option), "-Drenderers=%s", name);

		setenv("MOSAIC_RENDERER", name, 1);
		assert_null(mosaic_renderer_create(NULL));
		assert_one_error(&cap, option);

		unsetenv("MOSAIC_RENDERER");
		assert_null(mosaic_renderer_create(&(struct mosaic_renderer_options){
			.backend = gpu[i],
		}));
		assert_one_error(&cap, option);
	}
	assert_true(checked > 0);
}
#endif

static void test_is_built(void **state)
{
	assert_true(mosaic_backend_is_built(MOSAIC_BACKEND_AUTO));
	assert_true(mosaic_backend_is_built(MOSAIC_BACKEND_PIXMAN));
	assert_int_equal(mosaic_backend_is_built(MOSAIC_BACKEND_VULKAN), MOSAIC_HAS_VULKAN);
	assert_int_equal(mosaic_backend_is_built(MOSAIC_BACKEND_GLES), MOSAIC_HAS_GLES);
	assert_false(mosaic_backend_is_built((enum mosaic_backend)4));
	assert_false(mosaic_backend_is_built((enum mosaic_backend)-1));
}

static void test_invalid_backend(void **state)
{
	assert_null(mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = (enum mosaic_backend)7,
	}));
	assert_one_error(&cap, "invalid backend 7");
	assert_null(mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = (enum mosaic_backend)-1,
	}));
	assert_one_error(&cap, "invalid backend -1");
}

static void test_drm_fd_ownership(void **state)
{
	// Any fd will do for pixman; the renderer keeps its own duplicate.
	int fd = memfd_create("not-drm", MFD_CLOEXEC);
	assert_true(fd >= 0);
	struct mosaic_renderer *r = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
		.drm_fd = fd,
	});
	assert_non_null(r);
	int own = mosaic_renderer_get_drm_fd(r);
	assert_true(own >= 0);
	assert_int_not_equal(own, fd);
	assert_true(fcntl(own, F_GETFD) & FD_CLOEXEC);
	mosaic_renderer_destroy(r);
	assert_true(fcntl(own, F_GETFD) < 0);
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close(fd);

	// Negative means none.
	r = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
		.drm_fd = -1,
	});
	assert_non_null(r);
	assert_int_equal(mosaic_renderer_get_drm_fd(r), -1);
	mosaic_renderer_destroy(r);

	// A closed fd is an error, not a crash.
	assert_null(mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
		.drm_fd = fd,
	}));
	assert_one_error(&cap, "DRM fd");
}

struct lost_state {
	int calls;
	struct mosaic_renderer *renderer;
};

static void on_lost(struct mosaic_renderer *renderer, void *user_data)
{
	struct lost_state *s = user_data;
	s->calls++;
	s->renderer = renderer;
}

static void test_lost(void **state)
{
	struct lost_state lost = {0};
	struct mosaic_renderer *r = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
		.lost = on_lost,
		.user_data = &lost,
	});
	assert_non_null(r);
	uint32_t px = 0xff000000;
	struct mosaic_texture *t = mosaic_texture_from_pixels(r, 1, 1, DRM_FORMAT_ARGB8888, 4, &px);
	assert_non_null(t);

	// Reported outside any call: the callback waits for the next call to end.
	mosaic_renderer_set_lost(r);
	assert_int_equal(lost.calls, 0);
	assert_true(mosaic_renderer_is_lost(r));
	assert_one_error(&cap, "lost");
	mosaic_renderer_set_lost(r);
	assert_no_error(&cap);

	// Every further call fails, with one line; the first one delivers the loss, once.
	assert_null(mosaic_texture_from_pixels(r, 1, 1, DRM_FORMAT_ARGB8888, 4, &px));
	assert_one_error(&cap, "lost");
	assert_int_equal(lost.calls, 1);
	assert_ptr_equal(lost.renderer, r);
	struct mosaic_buffer *b = mosaic_buffer_from_data(1, 1, DRM_FORMAT_ARGB8888, 4, &px);
	assert_null(mosaic_renderer_begin_pass(r, b, NULL));
	assert_one_error(&cap, "lost");
	assert_null(mosaic_texture_from_buffer(r, b));
	assert_one_error(&cap, "lost");
	assert_false(mosaic_texture_update_from_buffer(t, b, NULL));
	assert_one_error(&cap, "lost");
	uint32_t out;
	assert_false(mosaic_texture_read_pixels(t, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888, .stride = 4, .data = &out,
	}));
	assert_one_error(&cap, "lost");
	mosaic_buffer_drop(b);
	assert_int_equal(lost.calls, 1);

	// Destruction still works.
	mosaic_texture_destroy(t);
	mosaic_renderer_destroy(r);
	assert_no_error(&cap);
}

struct seen {
	int calls;
	enum mosaic_log level;
	char msg[256];
};

static void seen_handler(enum mosaic_log level, const char *msg, void *user_data)
{
	struct seen *s = user_data;
	s->calls++;
	s->level = level;
	snprintf(s->msg, sizeof(s->msg), "%s", msg);
}

static void test_log_handler(void **state)
{
	struct seen seen = {0};
	unsetenv("MOSAIC_DEBUG");
	mosaic_log_init(MOSAIC_LOG_ERROR, seen_handler, &seen);
	assert_int_equal(mosaic_log_get_verbosity(), MOSAIC_LOG_ERROR);
	// The INFO line of a successful create stays below the verbosity.
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	mosaic_renderer_destroy(r);
	assert_int_equal(seen.calls, 0);

	assert_false(mosaic_format_check_layout(DRM_FORMAT_NV16, 1, 1, 4));
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.level, MOSAIC_LOG_ERROR);
	// "[file:line] " prefix, no trailing newline.
	assert_true(strncmp(seen.msg, "[render/format.c:", 17) == 0);
	assert_non_null(strstr(seen.msg, "] unsupported format NV16"));
	assert_true(seen.msg[strlen(seen.msg) - 1] != '\n');

	// SILENT drops everything.
	setenv("MOSAIC_DEBUG", "0", 1);
	mosaic_log_init(MOSAIC_LOG_SILENT, seen_handler, &seen);
	assert_int_equal(mosaic_log_get_verbosity(), MOSAIC_LOG_SILENT);
	assert_false(mosaic_format_check_layout(DRM_FORMAT_NV12, 1, 1, 4));
	assert_int_equal(seen.calls, 1);

	// MOSAIC_DEBUG=1 raises the verbosity.
	setenv("MOSAIC_DEBUG", "1", 1);
	mosaic_log_init(MOSAIC_LOG_ERROR, seen_handler, &seen);
	assert_int_equal(mosaic_log_get_verbosity(), MOSAIC_LOG_DEBUG);
	r = mosaic_pixman_renderer_create();
	mosaic_renderer_destroy(r);
	assert_true(seen.calls > 1);
	unsetenv("MOSAIC_DEBUG");

	// Back to the capture of the other tests.
	log_capture_start(&cap);
}

/*
 * Every public function given NULL where an object is expected: no crash,
 * the failure value, and exactly one ERROR line (destroys and finishes accept
 * NULL silently, as documented).
 */
static void test_null_arguments(void **state)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	uint32_t px = 0;
	struct mosaic_buffer *b = mosaic_buffer_from_data(1, 1, DRM_FORMAT_XRGB8888, 4, &px);
	struct mosaic_format_set set = {0};
	void *data;
	uint32_t fourcc, stride;

#define NULL_CASE(expr, want) do { \
	assert_true((expr) == (want)); \
	assert_one_error(&cap, ""); \
} while (0)

	NULL_CASE(mosaic_format_get_all(NULL), NULL);
	NULL_CASE(mosaic_format_set_add(NULL, DRM_FORMAT_XRGB8888, 0), false);
	NULL_CASE(mosaic_format_set_remove(NULL, DRM_FORMAT_XRGB8888, 0), false);
	NULL_CASE(mosaic_format_set_has(NULL, DRM_FORMAT_XRGB8888, 0), false);
	NULL_CASE(mosaic_format_set_get(NULL, DRM_FORMAT_XRGB8888), NULL);
	NULL_CASE(mosaic_format_set_copy(&set, NULL), false);
	NULL_CASE(mosaic_format_set_copy(NULL, &set), false);
	NULL_CASE(mosaic_format_set_intersect(&set, &set, NULL), false);
	NULL_CASE(mosaic_format_set_intersect(NULL, &set, &set), false);
	NULL_CASE(mosaic_format_set_union(&set, NULL, &set), false);
	mosaic_format_set_init(NULL);
	assert_one_error(&cap, "no set");

	NULL_CASE(mosaic_buffer_lock(NULL), NULL);
	NULL_CASE(mosaic_buffer_get_caps(NULL), 0);
	NULL_CASE(mosaic_buffer_get_dmabuf(NULL, &(struct mosaic_dmabuf_attributes){0}), false);
	NULL_CASE(mosaic_buffer_get_dmabuf(b, NULL), false);
	NULL_CASE(mosaic_buffer_get_shm(NULL, &(struct mosaic_shm_attributes){0}), false);
	NULL_CASE(mosaic_buffer_get_shm(b, NULL), false);
	NULL_CASE(mosaic_buffer_begin_data_access(NULL, 0, &data, &fourcc, &stride), false);
	NULL_CASE(mosaic_buffer_begin_data_access(b, 0, NULL, &fourcc, &stride), false);
	NULL_CASE(mosaic_buffer_begin_data_access(b, 0, &data, NULL, &stride), false);
	NULL_CASE(mosaic_buffer_begin_data_access(b, 0, &data, &fourcc, NULL), false);
	mosaic_buffer_end_data_access(NULL);
	assert_one_error(&cap, "no buffer");
	NULL_CASE(mosaic_buffer_addon_find(NULL, NULL, NULL), NULL);
	mosaic_buffer_addon_attach(NULL, NULL, NULL, NULL);
	assert_one_error(&cap, "addon");
	mosaic_buffer_addon_detach(NULL);
	NULL_CASE(mosaic_buffer_from_data(1, 1, DRM_FORMAT_XRGB8888, 4, NULL), NULL);
	NULL_CASE(mosaic_buffer_from_dmabuf(NULL), NULL);
	NULL_CASE(mosaic_dmabuf_attributes_copy(NULL, NULL), false);

	NULL_CASE(mosaic_renderer_get_backend(NULL), MOSAIC_BACKEND_AUTO);
	NULL_CASE(mosaic_renderer_get_device_name(NULL), NULL);
	NULL_CASE(mosaic_renderer_get_features(NULL), 0);
	NULL_CASE(mosaic_renderer_get_drm_fd(NULL), -1);
	struct mosaic_upload_stats upload = { .host_import_bytes = 1 };
	NULL_CASE(mosaic_renderer_get_upload_stats(NULL, &upload), false);
	// Zeroed on failure too.
	assert_int_equal(upload.host_import_bytes, 0);
	const struct mosaic_format_set *s = mosaic_renderer_get_texture_formats(NULL,
		MOSAIC_BUFFER_CAP_DATA_PTR);
	assert_non_null(s);
	assert_int_equal(s->n_formats, 0);
	assert_one_error(&cap, "no renderer");
	s = mosaic_renderer_get_render_formats(NULL, MOSAIC_BUFFER_CAP_DATA_PTR);
	assert_non_null(s);
	assert_one_error(&cap, "no renderer");
	NULL_CASE(mosaic_renderer_is_lost(NULL), false);
	NULL_CASE(mosaic_renderer_get_completed_point(NULL), 0);
	NULL_CASE(mosaic_renderer_wait_point(NULL, 0, 0), false);
	NULL_CASE(mosaic_render_timer_create(NULL), NULL);
	NULL_CASE(mosaic_render_timer_get_duration_ns(NULL), -1);
	NULL_CASE(mosaic_render_timer_create_with_options(NULL, NULL), NULL);
	NULL_CASE(mosaic_render_timer_get_draw_times(NULL, NULL, 0, NULL), 0);
	NULL_CASE(mosaic_render_timer_get_tile_times(NULL, NULL, 0, NULL), 0);

	NULL_CASE(mosaic_texture_from_buffer(NULL, b), NULL);
	NULL_CASE(mosaic_texture_from_buffer(r, NULL), NULL);
	NULL_CASE(mosaic_texture_from_pixels(NULL, 1, 1, DRM_FORMAT_XRGB8888, 4, &px), NULL);
	NULL_CASE(mosaic_texture_from_pixels(r, 1, 1, DRM_FORMAT_XRGB8888, 4, NULL), NULL);
	NULL_CASE(mosaic_texture_update_from_buffer(NULL, b, NULL), false);
	NULL_CASE(mosaic_texture_read_pixels(NULL, NULL), false);
	NULL_CASE(mosaic_texture_read_pixels_start(NULL, NULL), NULL);
	NULL_CASE(mosaic_read_request_get_fd(NULL), -1);
	NULL_CASE(mosaic_read_request_is_complete(NULL), false);
	NULL_CASE(mosaic_read_request_finish(NULL), false);
	NULL_CASE(mosaic_texture_get_preferred_read_format(NULL), 0);
	NULL_CASE(mosaic_texture_get_width(NULL), 0);
	NULL_CASE(mosaic_texture_get_height(NULL), 0);
	NULL_CASE(mosaic_texture_get_fourcc(NULL), 0);
	NULL_CASE(mosaic_pixman_texture_get_image(NULL), NULL);

	NULL_CASE(mosaic_renderer_begin_pass(NULL, b, NULL), NULL);
	NULL_CASE(mosaic_renderer_begin_pass(r, NULL, NULL), NULL);
	NULL_CASE(mosaic_pass_add_rect(NULL, NULL), false);
	NULL_CASE(mosaic_pass_add_texture(NULL, NULL), false);
	NULL_CASE(mosaic_pass_submit(NULL, NULL), false);

	NULL_CASE(mosaic_allocator_get_buffer_caps(NULL), 0);
	NULL_CASE(mosaic_allocator_create_buffer(NULL, 1, 1, DRM_FORMAT_XRGB8888, NULL, 0), NULL);

	NULL_CASE(mosaic_box_intersection(NULL, &(struct mosaic_box){ 0, 0, 1, 1 },
		&(struct mosaic_box){ 0, 0, 1, 1 }), false);
	mosaic_box_transform(NULL, NULL, MOSAIC_TRANSFORM_90, 1, 1);
	assert_one_error(&cap, "NULL box");
	mosaic_fbox_transform(NULL, NULL, MOSAIC_TRANSFORM_90, 1, 1);
	assert_one_error(&cap, "NULL box");
#undef NULL_CASE

	// Quiet ones: queries with a documented NULL answer, and destroys.
	assert_false(mosaic_transform_from_name("90", NULL));
	assert_false(mosaic_backend_from_name("pixman", NULL));
	assert_false(mosaic_box_contains_point(NULL, 0, 0));
	assert_true(mosaic_box_empty(NULL));
	mosaic_texture_destroy(NULL);
	mosaic_renderer_destroy(NULL);
	mosaic_allocator_destroy(NULL);
	mosaic_render_timer_destroy(NULL);
	mosaic_buffer_drop(NULL);
	mosaic_buffer_unlock(NULL);
	mosaic_format_set_finish(NULL);
	mosaic_dmabuf_attributes_finish(NULL);
	assert_no_error(&cap);

	mosaic_buffer_drop(b);
	mosaic_renderer_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pixman_explicit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_bogus, setup, teardown),
#if !MOSAIC_HAS_VULKAN || !MOSAIC_HAS_GLES
		cmocka_unit_test_setup_teardown(test_not_built, setup, teardown),
#endif
		cmocka_unit_test_setup_teardown(test_is_built, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drm_fd_ownership, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_handler, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_arguments, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
