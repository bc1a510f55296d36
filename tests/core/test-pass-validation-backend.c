/*
 * test-pass-validation: the recording backend, built on interface.h, that
 * keeps what its hooks received last (struct record), a buffer of any size
 * that counts releases, and the fixtures of every test.
 */
#include <stdlib.h>

#include <drm_fourcc.h>

#include <mosaic/interface.h>

#include "test-pass-validation.h"

struct log_capture cap;
struct record rec;

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

struct mosaic_renderer *fake_renderer_create(void)
{
	struct mosaic_renderer *r = calloc(1, sizeof(*r));
	mosaic_renderer_init(r, &fake_impl);
	return r;
}

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

struct size_buffer *size_buffer_create(int width, int height)
{
	struct size_buffer *b = calloc(1, sizeof(*b));
	mosaic_buffer_init(&b->base, &size_buffer_impl, width, height);
	return b;
}

int setup(void **state)
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

int teardown(void **state)
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
void assert_region(const pixman_region32_t *region, const struct mosaic_box *boxes,
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
