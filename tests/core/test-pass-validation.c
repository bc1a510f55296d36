/*
 * The core's checks and normalization, seen from a backend: a recording
 * backend built on interface.h captures exactly what the hooks receive, so
 * the tests can tell "rejected with one log line", "dropped as empty" and
 * "passed on, normalized" apart.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include <drm_fourcc.h>

#include <mosaic/interface.h>

#include "common.h"

static struct log_capture cap;

/* What the recording backend saw last. */
struct record {
	int n_rects, n_textures, n_submits, n_updates, n_reads, n_begin;
	struct mosaic_rect_options rect;
	struct mosaic_texture_options texture;
	float alpha;
	pixman_region32_t clip;
	pixman_region32_t damage;
	struct mosaic_texture_update update;
	bool accessing_in_update;
	struct mosaic_read_pixels_options read;
	uint64_t point;
	bool asked_sync_file;
	size_t buffer_locks_in_pass;
};

static struct record rec;

static void record_clip(const pixman_region32_t *clip)
{
	pixman_region32_fini(&rec.clip);
	pixman_region32_init(&rec.clip);
	pixman_region32_copy(&rec.clip, clip);
}

static void fake_add_rect(struct mosaic_pass *pass, const struct mosaic_rect_options *o)
{
	rec.n_rects++;
	rec.rect = *o;
	record_clip(o->clip);
}

static void fake_add_texture(struct mosaic_pass *pass, const struct mosaic_texture_options *o)
{
	rec.n_textures++;
	rec.texture = *o;
	rec.alpha = o->alpha != NULL ? *o->alpha : -1.0f;
	record_clip(o->clip);
}

static bool fake_submit(struct mosaic_pass *pass, uint64_t point, int *out_sync_file)
{
	rec.n_submits++;
	rec.point = point;
	rec.asked_sync_file = out_sync_file != NULL;
	rec.buffer_locks_in_pass = pass->buffer->n_locks;
	free(pass);
	return true;
}

static const struct mosaic_pass_impl fake_pass_impl = {
	.add_rect = fake_add_rect,
	.add_texture = fake_add_texture,
	.submit = fake_submit,
};

static struct mosaic_pass *fake_begin_pass(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer, const struct mosaic_pass_options *options)
{
	rec.n_begin++;
	struct mosaic_pass *pass = calloc(1, sizeof(*pass));
	mosaic_pass_init(pass, &fake_pass_impl, renderer, buffer);
	return pass;
}

static void fake_texture_destroy(struct mosaic_texture *texture)
{
	free(texture);
}

static bool fake_update(struct mosaic_texture *texture,
	const struct mosaic_texture_update *update)
{
	rec.n_updates++;
	rec.update = *update;
	rec.accessing_in_update = update->buffer->accessing_data;
	pixman_region32_fini(&rec.damage);
	pixman_region32_init(&rec.damage);
	pixman_region32_copy(&rec.damage, update->damage);
	return true;
}

static bool fake_read(struct mosaic_texture *texture,
	const struct mosaic_read_pixels_options *options)
{
	rec.n_reads++;
	rec.read = *options;
	return true;
}

static const struct mosaic_texture_impl fake_texture_impl = {
	.destroy = fake_texture_destroy,
	.update_from_buffer = fake_update,
	.read_pixels = fake_read,
};

static struct mosaic_texture *fake_texture_from_buffer(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer)
{
	struct mosaic_texture *t = calloc(1, sizeof(*t));
	mosaic_texture_init(t, &fake_texture_impl, renderer, buffer->width, buffer->height,
		DRM_FORMAT_ARGB8888);
	return t;
}

static void fake_destroy(struct mosaic_renderer *renderer)
{
	free(renderer);
}

struct fake_timer {
	struct mosaic_render_timer base;
};

static int64_t fake_timer_duration(struct mosaic_render_timer *timer)
{
	return 42;
}

static void fake_timer_destroy(struct mosaic_render_timer *timer)
{
	free(timer);
}

static const struct mosaic_render_timer_impl fake_timer_impl = {
	.get_duration_ns = fake_timer_duration,
	.destroy = fake_timer_destroy,
};

static struct mosaic_render_timer *fake_timer_create(struct mosaic_renderer *renderer)
{
	struct mosaic_render_timer *t = calloc(1, sizeof(*t));
	mosaic_render_timer_init(t, &fake_timer_impl, renderer);
	return t;
}

static const struct mosaic_renderer_impl fake_impl = {
	.name = "recording",
	.destroy = fake_destroy,
	.texture_from_buffer = fake_texture_from_buffer,
	.begin_pass = fake_begin_pass,
	.timer_create = fake_timer_create,
};

static struct mosaic_renderer *fake_renderer_create(void)
{
	struct mosaic_renderer *r = calloc(1, sizeof(*r));
	mosaic_renderer_init(r, &fake_impl);
	return r;
}

/* A buffer of any size, including invalid ones, that counts releases. */
struct size_buffer {
	struct mosaic_buffer base;
	int releases;
};

static void size_buffer_destroy(struct mosaic_buffer *buffer)
{
	free(buffer);
}

static void size_buffer_release(struct mosaic_buffer *buffer)
{
	((struct size_buffer *)buffer)->releases++;
}

static const struct mosaic_buffer_impl size_buffer_impl = {
	.destroy = size_buffer_destroy,
	.release = size_buffer_release,
};

static struct size_buffer *size_buffer_create(int width, int height)
{
	struct size_buffer *b = calloc(1, sizeof(*b));
	mosaic_buffer_init(&b->base, &size_buffer_impl, width, height);
	return b;
}

struct fixture {
	struct mosaic_renderer *renderer;
	struct size_buffer *output;
	struct mosaic_texture *texture;
	struct mosaic_pass *pass;
};

static int setup(void **state)
{
	log_capture_start(&cap);
	pixman_region32_fini(&rec.clip);
	pixman_region32_fini(&rec.damage);
	rec = (struct record){0};
	pixman_region32_init(&rec.clip);
	pixman_region32_init(&rec.damage);

	struct fixture *f = calloc(1, sizeof(*f));
	f->renderer = fake_renderer_create();
	f->output = size_buffer_create(100, 50);
	struct size_buffer *tb = size_buffer_create(20, 10);
	f->texture = mosaic_texture_from_buffer(f->renderer, &tb->base);
	mosaic_buffer_drop(&tb->base);
	f->pass = mosaic_renderer_begin_pass(f->renderer, &f->output->base, NULL);
	assert_non_null(f->pass);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->pass != NULL) {
		assert_true(mosaic_pass_submit(f->pass, NULL));
	}
	mosaic_texture_destroy(f->texture);
	mosaic_renderer_destroy(f->renderer);
	mosaic_buffer_drop(&f->output->base);
	free(f);
	pixman_region32_fini(&rec.clip);
	pixman_region32_fini(&rec.damage);
	pixman_region32_init(&rec.clip);
	pixman_region32_init(&rec.damage);
	return 0;
}

/* Asserts that `region` is exactly the union of the `n` boxes. */
static void assert_region(const pixman_region32_t *region, const struct mosaic_box *boxes,
	int n)
{
	pixman_region32_t want;
	pixman_region32_init(&want);
	for (int i = 0; i < n; i++) {
		pixman_region32_union_rect(&want, &want, boxes[i].x, boxes[i].y,
			(unsigned)boxes[i].width, (unsigned)boxes[i].height);
	}
	bool equal = pixman_region32_equal((pixman_region32_t *)region, &want);
	if (!equal) {
		int m;
		const pixman_box32_t *r = pixman_region32_rectangles(region, &m);
		for (int i = 0; i < m; i++) {
			print_error("got rect %d,%d - %d,%d\n", r[i].x1, r[i].y1, r[i].x2, r[i].y2);
		}
	}
	pixman_region32_fini(&want);
	assert_true(equal);
}

static void test_rect_clip(void **state)
{
	struct fixture *f = *state;
	// Clipped to the buffer.
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { -10, 40, 30, 30 },
		.color = { 0.5f, 0.25f, 0, 1 },
	}));
	assert_int_equal(rec.n_rects, 1);
	assert_region(&rec.clip, &(struct mosaic_box){ 0, 40, 20, 10 }, 1);
	assert_float_equal(rec.rect.color.g, 0.25f, 0);

	// Clip region of several rectangles, partly outside the box and buffer.
	pixman_region32_t clip;
	pixman_region32_init(&clip);
	pixman_region32_union_rect(&clip, &clip, 0, 0, 15, 15);
	pixman_region32_union_rect(&clip, &clip, 30, 5, 10, 10);
	pixman_region32_union_rect(&clip, &clip, 90, 40, 50, 50);
	pixman_region32_union_rect(&clip, &clip, 60, 60, 5, 5);
	pixman_region32_t clip_before;
	pixman_region32_init(&clip_before);
	pixman_region32_copy(&clip_before, &clip);
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { 10, 10, 85, 35 },
		.color = { 0, 0, 0, 1 },
		.clip = &clip,
	}));
	assert_int_equal(rec.n_rects, 2);
	const struct mosaic_box want[] = {
		{ 10, 10, 5, 5 }, { 30, 10, 10, 5 }, { 90, 40, 5, 5 },
	};
	assert_region(&rec.clip, want, 3);

	// Nothing left to draw: accepted and dropped, no hook call.
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { 50, 20, 5, 5 }, .color = { 0, 0, 0, 1 }, .clip = &clip,
	}));
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { 100, 0, 5, 5 }, .color = { 0, 0, 0, 1 },
	}));
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { INT_MAX - 2, INT_MAX - 2, INT_MAX, INT_MAX }, .color = { 0, 0, 0, 1 },
	}));
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 0, 5 }, .color = { 0, 0, 0, 1 },
	}));
	// Transparent OVER changes nothing; transparent SRC clears.
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 5, 5 }, .color = { 0, 0, 0, 0 },
	}));
	assert_int_equal(rec.n_rects, 2);
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 5, 5 }, .color = { 0, 0, 0, 0 }, .blend = MOSAIC_BLEND_NONE,
	}));
	assert_int_equal(rec.n_rects, 3);
	assert_int_equal(rec.rect.blend, MOSAIC_BLEND_NONE);

	// A huge box starting left of the buffer.
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { INT_MIN, INT_MIN, INT_MAX, INT_MAX }, .color = { 0, 0, 0, 1 },
	}));
	assert_int_equal(rec.n_rects, 3);
	assert_true(mosaic_pass_add_rect(f->pass, &(struct mosaic_rect_options){
		.box = { -5, -5, INT_MAX, INT_MAX }, .color = { 0, 0, 0, 1 },
	}));
	assert_int_equal(rec.n_rects, 4);
	assert_region(&rec.clip, &(struct mosaic_box){ 0, 0, 100, 50 }, 1);

	// The caller's clip is left alone.
	assert_true(pixman_region32_equal(&clip, &clip_before));
	pixman_region32_fini(&clip_before);
	pixman_region32_fini(&clip);
	assert_no_error(&cap);
}

static void test_rect_rejects(void **state)
{
	struct fixture *f = *state;
	const struct { struct mosaic_rect_options o; const char *msg; } bad[] = {
		{ { .box = { 0, 0, 5, 5 }, .color = { 0, 0, 0, 1 }, .blend = 2 }, "blend" },
		{ { .box = { 0, 0, 5, 5 }, .color = { 0, 0, 0, 1 }, .blend = -1 }, "blend" },
		{ { .box = { 0, 0, 5, 5 }, .color = { 0, 0, 0, 1.5f } }, "outside 0..1" },
		{ { .box = { 0, 0, 5, 5 }, .color = { -0.1f, 0, 0, 1 } }, "outside 0..1" },
		{ { .box = { 0, 0, 5, 5 }, .color = { NAN, 0, 0, 1 } }, "outside 0..1" },
		{ { .box = { 0, 0, 5, 5 }, .color = { 0, 0, 0, INFINITY } }, "outside 0..1" },
		{ { .box = { 0, 0, 5, 5 }, .color = { 0.6f, 0, 0, 0.5f } }, "premultiplied" },
		{ { .box = { 0, 0, 5, 5 }, .color = { 0, 0, 0.2f, 0 } }, "premultiplied" },
		{ { .box = { 0, 0, 5, 5 }, .color = { 0, 1, 0, 0.5f },
			.blend = MOSAIC_BLEND_NONE }, "premultiplied" },
		{ { .box = { 0, 0, -5, 5 }, .color = { 0, 0, 0, 1 } }, "negative" },
		{ { .box = { 0, 0, 5, INT_MIN }, .color = { 0, 0, 0, 1 } }, "negative" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(mosaic_pass_add_rect(f->pass, &bad[i].o));
		assert_one_error(&cap, bad[i].msg);
	}
	assert_false(mosaic_pass_add_rect(f->pass, NULL));
	assert_one_error(&cap, "no pass or options");
	assert_false(mosaic_pass_add_rect(NULL, &bad[0].o));
	assert_one_error(&cap, "no pass or options");
	assert_int_equal(rec.n_rects, 0);
}

static void test_texture_defaults(void **state)
{
	struct fixture *f = *state;
	// Whole texture at 0,0, alpha 1.
	assert_true(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
		.texture = f->texture,
	}));
	assert_int_equal(rec.n_textures, 1);
	assert_float_equal(rec.texture.src_box.x, 0, 0);
	assert_float_equal(rec.texture.src_box.y, 0, 0);
	assert_float_equal(rec.texture.src_box.width, 20, 0);
	assert_float_equal(rec.texture.src_box.height, 10, 0);
	assert_memory_equal(&rec.texture.dst_box, &((struct mosaic_box){ 0, 0, 20, 10 }),
		sizeof(struct mosaic_box));
	assert_float_equal(rec.alpha, 1.0f, 0);
	assert_region(&rec.clip, &(struct mosaic_box){ 0, 0, 20, 10 }, 1);

	// The default destination is the transformed source size.
	for (int t = 0; t < 8; t++) {
		assert_true(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
			.texture = f->texture,
			.src_box = { 2, 1, 6.6, 3.2 },
			.transform = (enum mosaic_transform)t,
		}));
		int w = (t & 1) ? 3 : 7, h = (t & 1) ? 7 : 3;
		assert_memory_equal(&rec.texture.dst_box, &((struct mosaic_box){ 0, 0, w, h }),
			sizeof(struct mosaic_box));
		assert_int_equal(rec.texture.transform, t);
		assert_float_equal(rec.texture.src_box.width, 6.6, 0);
	}

	// Clip of several rectangles against the destination and the buffer.
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 0, 0, 10, 10);
	pixman_region32_union_rect(&clip, &clip, 95, 45, 10, 10);
	float alpha = 0.5f;
	assert_true(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
		.texture = f->texture,
		.dst_box = { 5, 5, 200, 200 },
		.alpha = &alpha,
		.clip = &clip,
		.filter = MOSAIC_FILTER_NEAREST,
	}));
	const struct mosaic_box want[] = { { 5, 5, 5, 5 }, { 95, 45, 5, 5 } };
	assert_region(&rec.clip, want, 2);
	assert_float_equal(rec.alpha, 0.5f, 0);
	assert_int_equal(rec.texture.filter, MOSAIC_FILTER_NEAREST);
	assert_memory_equal(&rec.texture.dst_box, &((struct mosaic_box){ 5, 5, 200, 200 }),
		sizeof(struct mosaic_box));
	pixman_region32_fini(&clip);

	// Dropped: alpha 0 with OVER, outside the buffer, zero-width dst.
	int before = rec.n_textures;
	alpha = 0.0f;
	assert_true(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
		.texture = f->texture, .alpha = &alpha,
	}));
	assert_true(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
		.texture = f->texture, .dst_box = { 100, 0, 10, 10 },
	}));
	assert_true(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
		.texture = f->texture, .dst_box = { 10, 0, 0, 10 },
	}));
	assert_int_equal(rec.n_textures, before);
	// alpha 0 with SRC clears, so it is drawn.
	assert_true(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
		.texture = f->texture, .alpha = &alpha, .blend = MOSAIC_BLEND_NONE,
	}));
	assert_int_equal(rec.n_textures, before + 1);
	assert_float_equal(rec.alpha, 0.0f, 0);
	assert_no_error(&cap);
}

static void test_texture_rejects(void **state)
{
	struct fixture *f = *state;
	struct mosaic_texture *t = f->texture;
	float a_neg = -0.1f, a_big = 1.1f, a_nan = NAN;
	const struct { struct mosaic_texture_options o; const char *msg; } bad[] = {
		{ { .texture = t, .transform = 8 }, "invalid transform 8" },
		{ { .texture = t, .transform = -1 }, "invalid transform -1" },
		{ { .texture = t, .filter = 2 }, "invalid filter" },
		{ { .texture = t, .blend = 5 }, "invalid blend" },
		{ { .texture = t, .alpha = &a_neg }, "alpha" },
		{ { .texture = t, .alpha = &a_big }, "alpha" },
		{ { .texture = t, .alpha = &a_nan }, "alpha" },
		{ { .texture = t, .src_box = { -1, 0, 5, 5 } }, "source box" },
		{ { .texture = t, .src_box = { 0, -0.5, 5, 5 } }, "source box" },
		{ { .texture = t, .src_box = { 16, 0, 5, 5 } }, "source box" },
		{ { .texture = t, .src_box = { 0, 5, 5, 5.5 } }, "source box" },
		{ { .texture = t, .src_box = { 0, 0, 21, 10 } }, "source box" },
		{ { .texture = t, .src_box = { 0, 0, -5, 5 } }, "source box" },
		{ { .texture = t, .src_box = { 1, 1, 0, 5 } }, "source box" },
		{ { .texture = t, .src_box = { NAN, 0, 5, 5 } }, "source box" },
		{ { .texture = t, .src_box = { 0, 0, INFINITY, 5 } }, "source box" },
		{ { .texture = t, .src_box = { 0, 0, 5, 1e300 } }, "source box" },
		{ { .texture = t, .dst_box = { 0, 0, -5, 5 } }, "negative destination" },
		{ { .texture = t, .dst_box = { 0, 0, 5, -1 } }, "negative destination" },
		{ { .texture = t, .dst_box = { 0, 0, INT_MIN, INT_MIN } }, "negative destination" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(mosaic_pass_add_texture(f->pass, &bad[i].o));
		assert_one_error(&cap, bad[i].msg);
	}
	assert_false(mosaic_pass_add_texture(f->pass, NULL));
	assert_one_error(&cap, "no pass, options or texture");
	assert_false(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){0}));
	assert_one_error(&cap, "no pass, options or texture");
	assert_false(mosaic_pass_add_texture(NULL, &bad[0].o));
	assert_one_error(&cap, "no pass, options or texture");

	// A texture of another renderer.
	struct mosaic_renderer *other = mosaic_pixman_renderer_create();
	uint32_t px = 0xffffffff;
	struct mosaic_texture *foreign = mosaic_texture_from_pixels(other, 1, 1,
		DRM_FORMAT_ARGB8888, 4, &px);
	assert_non_null(foreign);
	assert_false(mosaic_pass_add_texture(f->pass, &(struct mosaic_texture_options){
		.texture = foreign,
	}));
	assert_one_error(&cap, "another renderer");
	mosaic_texture_destroy(foreign);
	mosaic_renderer_destroy(other);
	assert_int_equal(rec.n_textures, 0);
}

static void test_begin_submit(void **state)
{
	struct fixture *f = *state;
	struct mosaic_buffer *out = &f->output->base;
	// The open pass holds a lock on its buffer.
	assert_int_equal(out->n_locks, 1);
	struct mosaic_pass_completion done = { .point = 99, .sync_file_fd = 99 };
	assert_true(mosaic_pass_submit(f->pass, &done));
	f->pass = NULL;
	assert_int_equal(done.point, 1);
	assert_int_equal(done.sync_file_fd, -1);
	assert_false(rec.asked_sync_file);
	assert_int_equal(rec.buffer_locks_in_pass, 1);
	assert_int_equal(out->n_locks, 0);
	assert_int_equal(f->output->releases, 1);
	assert_int_equal(mosaic_renderer_get_completed_point(f->renderer), 1);

	// Points increase by one per submitted pass.
	for (uint64_t want = 2; want < 5; want++) {
		struct mosaic_pass *p = mosaic_renderer_begin_pass(f->renderer, out,
			&(struct mosaic_pass_options){ .signal_sync_file = true });
		assert_non_null(p);
		assert_true(mosaic_pass_submit(p, &done));
		assert_int_equal(done.point, want);
		assert_int_equal(rec.point, want);
		assert_true(rec.asked_sync_file);
		assert_int_equal(mosaic_renderer_get_completed_point(f->renderer), want);
		assert_true(mosaic_renderer_wait_point(f->renderer, want, 0));
	}
	// No completion wanted: no sync_file asked for either.
	struct mosaic_pass *p = mosaic_renderer_begin_pass(f->renderer, out,
		&(struct mosaic_pass_options){ .signal_sync_file = true });
	assert_true(mosaic_pass_submit(p, NULL));
	assert_false(rec.asked_sync_file);
	assert_no_error(&cap);

	assert_false(mosaic_pass_submit(NULL, &done));
	assert_one_error(&cap, "no pass");
	assert_int_equal(done.sync_file_fd, -1);

	// A timer of this renderer is accepted, one of another is not.
	struct mosaic_render_timer *timer = mosaic_render_timer_create(f->renderer);
	assert_non_null(timer);
	p = mosaic_renderer_begin_pass(f->renderer, out,
		&(struct mosaic_pass_options){ .timer = timer });
	assert_non_null(p);
	assert_true(mosaic_pass_submit(p, NULL));
	assert_int_equal(mosaic_render_timer_get_duration_ns(timer), 42);
	struct mosaic_renderer *other = fake_renderer_create();
	assert_null(mosaic_renderer_begin_pass(other, out,
		&(struct mosaic_pass_options){ .timer = timer }));
	assert_one_error(&cap, "another renderer");
	mosaic_renderer_destroy(other);
	mosaic_render_timer_destroy(timer);
	assert_int_equal(out->n_locks, 0);
}

/*
 * A backend names itself through its impl: one that is not built in is a
 * renderer like the others, and the core does not need to know it.
 */
static void test_backend_identity(void **state)
{
	struct fixture *f = *state;
	assert_string_equal(mosaic_renderer_get_name(f->renderer), "recording");
	assert_int_equal(mosaic_renderer_get_backend(f->renderer), MOSAIC_BACKEND_AUTO);
	// Until the backend names its device, the device name is the backend's.
	assert_string_equal(mosaic_renderer_get_device_name(f->renderer), "recording");
	assert_null(mosaic_renderer_get_name(NULL));
	assert_one_error(&cap, "no renderer");

	struct mosaic_renderer *pixman = mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
	});
	assert_non_null(pixman);
	assert_int_equal(mosaic_renderer_get_backend(pixman), MOSAIC_BACKEND_PIXMAN);
	assert_string_equal(mosaic_renderer_get_name(pixman),
		mosaic_backend_name(MOSAIC_BACKEND_PIXMAN));
	mosaic_renderer_destroy(pixman);
	assert_no_error(&cap);
}

static void test_begin_rejects(void **state)
{
	struct fixture *f = *state;
	assert_true(mosaic_pass_submit(f->pass, NULL));
	f->pass = NULL;
	int begins = rec.n_begin;

	struct mosaic_buffer *out = &f->output->base;
	assert_null(mosaic_renderer_begin_pass(NULL, out, NULL));
	assert_one_error(&cap, "no renderer or buffer");
	assert_null(mosaic_renderer_begin_pass(f->renderer, NULL, NULL));
	assert_one_error(&cap, "no renderer or buffer");
	assert_null(mosaic_renderer_begin_pass(f->renderer, out,
		&(struct mosaic_pass_options){ .n_wait_sync_files = 2 }));
	assert_one_error(&cap, "sync_files");

	const int sizes[][2] = { { 0, 10 }, { 10, 0 }, { -1, 10 },
		{ MOSAIC_MAX_IMAGE_SIZE + 1, 10 }, { 10, INT_MAX } };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct size_buffer *b = size_buffer_create(sizes[i][0], sizes[i][1]);
		assert_null(mosaic_renderer_begin_pass(f->renderer, &b->base, NULL));
		assert_one_error(&cap, "invalid buffer size");
		assert_null(mosaic_texture_from_buffer(f->renderer, &b->base));
		assert_one_error(&cap, "invalid buffer size");
		assert_int_equal(b->base.n_locks, 0);
		mosaic_buffer_drop(&b->base);
	}
	assert_int_equal(rec.n_begin, begins);
	assert_int_equal(out->n_locks, 0);

	assert_null(mosaic_texture_from_buffer(NULL, out));
	assert_one_error(&cap, "no renderer");
	assert_null(mosaic_texture_from_buffer(f->renderer, NULL));
	assert_one_error(&cap, "no buffer");
}

static void test_texture_from_pixels_rejects(void **state)
{
	struct fixture *f = *state;
	uint32_t px[16] = {0};
	assert_null(mosaic_texture_from_pixels(NULL, 4, 4, DRM_FORMAT_ARGB8888, 16, px));
	assert_one_error(&cap, "no renderer");
	assert_null(mosaic_texture_from_pixels(f->renderer, 4, 4, DRM_FORMAT_ARGB8888, 16, NULL));
	assert_one_error(&cap, "no data");
	assert_null(mosaic_texture_from_pixels(f->renderer, 4, 4, DRM_FORMAT_NV12, 16, px));
	assert_one_error(&cap, "NV12");
	assert_null(mosaic_texture_from_pixels(f->renderer, 4, 4, DRM_FORMAT_ARGB8888, 12, px));
	assert_one_error(&cap, "too small");
	assert_null(mosaic_texture_from_pixels(f->renderer, 0, 4, DRM_FORMAT_ARGB8888, 16, px));
	assert_one_error(&cap, "invalid size");
	assert_null(mosaic_texture_from_pixels(f->renderer, 4, -4, DRM_FORMAT_ARGB8888, 16, px));
	assert_one_error(&cap, "invalid size");
	assert_null(mosaic_texture_from_pixels(f->renderer, MOSAIC_MAX_IMAGE_SIZE + 1, 1,
		DRM_FORMAT_ARGB8888, 1u << 20, px));
	assert_one_error(&cap, "invalid size");
}

static void test_update_damage(void **state)
{
	struct fixture *f = *state;
	uint32_t px[20 * 10] = {0};
	struct mosaic_buffer *b = mosaic_buffer_from_data(20, 10, DRM_FORMAT_ARGB8888, 80, px);

	assert_true(mosaic_texture_update_from_buffer(f->texture, b, NULL));
	assert_int_equal(rec.n_updates, 1);
	assert_region(&rec.damage, &(struct mosaic_box){ 0, 0, 20, 10 }, 1);

	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, -5, -5, 10, 10);
	pixman_region32_union_rect(&damage, &damage, 15, 8, 100, 100);
	assert_true(mosaic_texture_update_from_buffer(f->texture, b, &damage));
	const struct mosaic_box want[] = { { 0, 0, 5, 5 }, { 15, 8, 5, 2 } };
	assert_region(&rec.damage, want, 2);
	assert_int_equal(rec.n_updates, 2);

	// Damage outside the texture: nothing to do, success.
	pixman_region32_fini(&damage);
	pixman_region32_init_rect(&damage, 20, 0, 10, 10);
	assert_true(mosaic_texture_update_from_buffer(f->texture, b, &damage));
	pixman_region32_fini(&damage);
	pixman_region32_init(&damage);
	assert_true(mosaic_texture_update_from_buffer(f->texture, b, &damage));
	assert_int_equal(rec.n_updates, 2);
	pixman_region32_fini(&damage);
	assert_no_error(&cap);

	struct size_buffer *wrong = size_buffer_create(20, 11);
	assert_false(mosaic_texture_update_from_buffer(f->texture, &wrong->base, NULL));
	assert_one_error(&cap, "20x11");
	assert_false(mosaic_texture_update_from_buffer(NULL, b, NULL));
	assert_one_error(&cap, "no texture or buffer");
	assert_false(mosaic_texture_update_from_buffer(f->texture, NULL, NULL));
	assert_one_error(&cap, "no texture or buffer");
	assert_int_equal(rec.n_updates, 2);
	mosaic_buffer_drop(&wrong->base);
	mosaic_buffer_drop(b);
}

/* A 20x10 buffer whose data access reports what the test asks for. */
struct access_buffer {
	struct mosaic_buffer base;
	uint32_t fourcc, stride;
	bool refuse;
	int n_begin, n_end;
	uint32_t pixels[40 * 10];
};

static void access_buffer_destroy(struct mosaic_buffer *buffer)
{
	free(buffer);
}

static bool access_buffer_begin(struct mosaic_buffer *buffer, uint32_t flags, void **data,
	uint32_t *fourcc, uint32_t *stride)
{
	struct access_buffer *b = (struct access_buffer *)buffer;
	b->n_begin++;
	if (b->refuse) {
		return false;
	}
	*data = b->pixels;
	*fourcc = b->fourcc;
	*stride = b->stride;
	return true;
}

static void access_buffer_end(struct mosaic_buffer *buffer)
{
	struct access_buffer *b = (struct access_buffer *)buffer;
	b->n_end++;
}

static const struct mosaic_buffer_impl access_buffer_impl = {
	.destroy = access_buffer_destroy,
	.begin_data_access = access_buffer_begin,
	.end_data_access = access_buffer_end,
};

/*
 * The update preamble is the core's: it maps the buffer, checks its format
 * and layout, hands the mapped pixels to the hook and ends the access. A
 * failed check is one log line and the hook is not called.
 */
static void test_update_preamble(void **state)
{
	struct fixture *f = *state;
	struct access_buffer *b = calloc(1, sizeof(*b));
	mosaic_buffer_init(&b->base, &access_buffer_impl, 20, 10);
	b->fourcc = DRM_FORMAT_ARGB8888;
	b->stride = 160;

	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, 2, 3, 4, 5);
	assert_true(mosaic_texture_update_from_buffer(f->texture, &b->base, &damage));
	assert_no_error(&cap);
	assert_int_equal(rec.n_updates, 1);
	assert_ptr_equal(rec.update.buffer, &b->base);
	assert_ptr_equal(rec.update.data, b->pixels);
	assert_int_equal(rec.update.fourcc, DRM_FORMAT_ARGB8888);
	assert_int_equal(rec.update.stride, 160);
	assert_true(rec.accessing_in_update);
	assert_region(&rec.damage, &(struct mosaic_box){ 2, 3, 4, 5 }, 1);
	assert_int_equal(b->n_begin, 1);
	assert_int_equal(b->n_end, 1);
	assert_false(b->base.accessing_data);

	struct {
		uint32_t fourcc, stride;
		bool refuse;
		const char *msg;
	} bad[] = {
		{ DRM_FORMAT_XRGB8888, 160, false, "differs from texture format" },
		{ DRM_FORMAT_C8, 160, false, "unsupported format" },
		{ DRM_FORMAT_NV12, 160, false, "is a YUV format" },
		{ DRM_FORMAT_ARGB8888, 76, false, "too small" },
		{ DRM_FORMAT_ARGB8888, 82, false, "not a multiple" },
		{ DRM_FORMAT_ARGB8888, 160, true, "refused" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b->fourcc = bad[i].fourcc;
		b->stride = bad[i].stride;
		b->refuse = bad[i].refuse;
		b->n_begin = b->n_end = 0;
		assert_false(mosaic_texture_update_from_buffer(f->texture, &b->base, &damage));
		assert_one_error(&cap, bad[i].msg);
		assert_int_equal(rec.n_updates, 1);
		assert_int_equal(b->n_begin, 1);
		// Every access that began has ended.
		assert_int_equal(b->n_end, bad[i].refuse ? 0 : 1);
		assert_false(b->base.accessing_data);
	}

	// No CPU access at all: one line, nothing begun.
	struct size_buffer *opaque = size_buffer_create(20, 10);
	assert_false(mosaic_texture_update_from_buffer(f->texture, &opaque->base, &damage));
	assert_one_error(&cap, "no CPU access");
	assert_int_equal(rec.n_updates, 1);
	mosaic_buffer_drop(&opaque->base);

	// A buffer whose data is already being accessed: accesses do not nest.
	b->fourcc = DRM_FORMAT_ARGB8888;
	b->stride = 160;
	b->refuse = false;
	void *data;
	uint32_t fourcc, stride;
	assert_true(mosaic_buffer_begin_data_access(&b->base, MOSAIC_BUFFER_DATA_ACCESS_READ, &data,
		&fourcc, &stride));
	assert_false(mosaic_texture_update_from_buffer(f->texture, &b->base, &damage));
	assert_one_error(&cap, "does not nest");
	assert_int_equal(rec.n_updates, 1);
	mosaic_buffer_end_data_access(&b->base);

	pixman_region32_fini(&damage);
	mosaic_buffer_drop(&b->base);
}

static void test_read_pixels_checks(void **state)
{
	struct fixture *f = *state;
	uint32_t mem[20 * 10];
	struct mosaic_read_pixels_options o = {
		.fourcc = DRM_FORMAT_XBGR8888, .stride = 80, .data = mem,
	};
	// Not while the fixture's pass is open: on every backend, as Vulkan needs.
	assert_false(mosaic_texture_read_pixels(f->texture, &o));
	assert_one_error(&cap, "pass of this renderer is open");
	assert_null(mosaic_texture_read_pixels_start(f->texture, &o));
	assert_one_error(&cap, "pass of this renderer is open");
	assert_int_equal(rec.n_reads, 0);
	assert_true(mosaic_pass_submit(f->pass, NULL));
	f->pass = NULL;
	// Empty box = whole texture.
	assert_true(mosaic_texture_read_pixels(f->texture, &o));
	assert_int_equal(rec.n_reads, 1);
	assert_memory_equal(&rec.read.src_box, &((struct mosaic_box){ 0, 0, 20, 10 }),
		sizeof(struct mosaic_box));
	assert_ptr_equal(rec.read.data, mem);
	o.src_box = (struct mosaic_box){ 19, 9, 1, 1 };
	o.stride = 4;
	assert_true(mosaic_texture_read_pixels(f->texture, &o));
	assert_memory_equal(&rec.read.src_box, &o.src_box, sizeof(o.src_box));
	o.fourcc = DRM_FORMAT_RGB565;
	o.stride = 2;
	assert_true(mosaic_texture_read_pixels(f->texture, &o));
	assert_no_error(&cap);

	const struct { struct mosaic_read_pixels_options o; const char *msg; } bad[] = {
		{ { .fourcc = DRM_FORMAT_NV12, .stride = 80, .data = mem }, "NV12" },
		{ { .fourcc = 0, .stride = 80, .data = mem }, "unsupported format" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 80 }, "no destination" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 79, .data = mem }, "stride 79" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 0, .data = mem }, "stride 0" },
		{ { .fourcc = DRM_FORMAT_RGB565, .stride = 39, .data = mem }, "stride 39" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 82, .data = mem }, "multiple" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 80, .data = mem,
			.src_box = { 10, 5, 11, 1 } }, "outside" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 80, .data = mem,
			.src_box = { -1, 0, 5, 5 } }, "outside" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 80, .data = mem,
			.src_box = { 0, 9, 5, 2 } }, "outside" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 80, .data = mem,
			.src_box = { 20, 10, 1, 1 } }, "outside" },
		{ { .fourcc = DRM_FORMAT_ARGB8888, .stride = 80, .data = mem,
			.src_box = { INT_MAX, 0, INT_MAX, 1 } }, "outside" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(mosaic_texture_read_pixels(f->texture, &bad[i].o));
		assert_one_error(&cap, bad[i].msg);
		assert_null(mosaic_texture_read_pixels_start(f->texture, &bad[i].o));
		assert_one_error(&cap, bad[i].msg);
	}
	assert_false(mosaic_texture_read_pixels(NULL, &o));
	assert_one_error(&cap, "no texture or options");
	assert_false(mosaic_texture_read_pixels(f->texture, NULL));
	assert_one_error(&cap, "no texture or options");
	assert_false(mosaic_read_request_finish(NULL));
	assert_one_error(&cap, "no request");
	assert_int_equal(rec.n_reads, 3);

	// The synchronous fallback of read_pixels_start.
	o = (struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888, .stride = 80, .data = mem,
	};
	struct mosaic_read_request *req = mosaic_texture_read_pixels_start(f->texture, &o);
	assert_non_null(req);
	assert_int_equal(rec.n_reads, 4);
	assert_int_equal(mosaic_read_request_get_fd(req), -1);
	assert_true(mosaic_read_request_is_complete(req));
	assert_true(mosaic_read_request_finish(req));
	assert_no_error(&cap);
	assert_int_equal(mosaic_texture_get_preferred_read_format(f->texture),
		DRM_FORMAT_ARGB8888);
	assert_int_equal(mosaic_texture_get_width(f->texture), 20);
	assert_int_equal(mosaic_texture_get_height(f->texture), 10);
	assert_int_equal(mosaic_texture_get_fourcc(f->texture), DRM_FORMAT_ARGB8888);
}

int main(void)
{
	pixman_region32_init(&rec.clip);
	pixman_region32_init(&rec.damage);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rect_clip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rect_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_texture_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_texture_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_submit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_texture_from_pixels_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_preamble, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_pixels_checks, setup, teardown),
	};
	int ret = cmocka_run_group_tests(tests, NULL, NULL);
	pixman_region32_fini(&rec.clip);
	pixman_region32_fini(&rec.damage);
	return ret;
}
