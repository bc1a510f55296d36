/*
 * The `lost` callback may destroy the renderer. A recording backend reports
 * the loss from inside each kind of hook; the compositor's callback destroys
 * the texture and the renderer. The core delivers the loss only once the
 * backend has returned (after submit, for a pass), so nothing is touched
 * after it is freed: run under ASan to see that.
 */
#include <stdlib.h>

#include <drm_fourcc.h>

#include <mosaic/interface.h>

#include "common.h"

static struct log_capture cap;

enum where {
	IN_NONE,
	IN_TEXTURE_FROM_BUFFER,
	IN_UPDATE,
	IN_READ,
	IN_TEXTURE_DESTROY,
	IN_BEGIN_PASS,
	IN_ADD_RECT,
	IN_SUBMIT,
	IN_WAIT,
};

/* The compositor's state, as the callback sees it. */
struct world {
	enum where lose_in;
	struct mosaic_renderer *renderer;
	struct mosaic_texture *texture;
	int lost_calls;
	/* The call that reported the loss was still running when the callback ran. */
	bool delivered_inside_hook;
	bool in_hook;
};

static struct world world;

static void maybe_lose(struct mosaic_renderer *renderer, enum where where)
{
	if (world.lose_in == where) {
		world.in_hook = true;
		mosaic_renderer_set_lost(renderer);
		world.in_hook = false;
	}
}

static void on_lost(struct mosaic_renderer *renderer, void *user_data)
{
	assert_ptr_equal(user_data, &world);
	assert_ptr_equal(renderer, world.renderer);
	world.lost_calls++;
	world.delivered_inside_hook = world.in_hook;
	// What a compositor does: drop everything of the renderer, then the renderer.
	mosaic_texture_destroy(world.texture);
	world.texture = NULL;
	mosaic_renderer_destroy(renderer);
	world.renderer = NULL;
}

static void fake_texture_destroy(struct mosaic_texture *texture)
{
	maybe_lose(texture->renderer, IN_TEXTURE_DESTROY);
	free(texture);
}

static bool fake_update(struct mosaic_texture *texture,
	const struct mosaic_texture_update *update)
{
	maybe_lose(texture->renderer, IN_UPDATE);
	return !texture->renderer->lost;
}

static bool fake_read(struct mosaic_texture *texture,
	const struct mosaic_read_pixels_options *options)
{
	maybe_lose(texture->renderer, IN_READ);
	return !texture->renderer->lost;
}

static const struct mosaic_texture_impl fake_texture_impl = {
	.destroy = fake_texture_destroy,
	.update_from_buffer = fake_update,
	.read_pixels = fake_read,
};

static struct mosaic_texture *fake_texture_from_buffer(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer)
{
	maybe_lose(renderer, IN_TEXTURE_FROM_BUFFER);
	if (renderer->lost) {
		return NULL;
	}
	struct mosaic_texture *t = calloc(1, sizeof(*t));
	mosaic_texture_init(t, &fake_texture_impl, renderer, buffer->width, buffer->height,
		DRM_FORMAT_ARGB8888);
	return t;
}

static void fake_add_rect(struct mosaic_pass *pass, const struct mosaic_rect_options *o)
{
	maybe_lose(pass->renderer, IN_ADD_RECT);
}

static void fake_add_texture(struct mosaic_pass *pass, const struct mosaic_texture_options *o)
{
}

static bool fake_submit(struct mosaic_pass *pass, uint64_t point, int *out_sync_file)
{
	struct mosaic_renderer *renderer = pass->renderer;
	free(pass);
	maybe_lose(renderer, IN_SUBMIT);
	return !renderer->lost;
}

static const struct mosaic_pass_impl fake_pass_impl = {
	.add_rect = fake_add_rect,
	.add_texture = fake_add_texture,
	.submit = fake_submit,
};

static struct mosaic_pass *fake_begin_pass(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer, const struct mosaic_pass_options *options)
{
	maybe_lose(renderer, IN_BEGIN_PASS);
	if (renderer->lost) {
		return NULL;
	}
	struct mosaic_pass *pass = calloc(1, sizeof(*pass));
	mosaic_pass_init(pass, &fake_pass_impl, renderer, buffer);
	return pass;
}

static uint64_t fake_completed(struct mosaic_renderer *renderer)
{
	return renderer->last_point;
}

static bool fake_wait(struct mosaic_renderer *renderer, uint64_t point, int64_t timeout_ns)
{
	maybe_lose(renderer, IN_WAIT);
	return !renderer->lost;
}

static void fake_destroy(struct mosaic_renderer *renderer)
{
	free(renderer);
}

static const struct mosaic_renderer_impl fake_impl = {
	.name = "recording",
	.destroy = fake_destroy,
	.texture_from_buffer = fake_texture_from_buffer,
	.begin_pass = fake_begin_pass,
	.get_completed_point = fake_completed,
	.wait_point = fake_wait,
};

static uint32_t pixels[4 * 4];
static struct mosaic_buffer *buffer;

/* A renderer made by a backend's own constructor, with the callback set afterwards. */
static int setup(void **state)
{
	log_capture_start(&cap);
	world = (struct world){0};
	world.renderer = calloc(1, sizeof(*world.renderer));
	mosaic_renderer_init(world.renderer, &fake_impl);
	mosaic_renderer_set_lost_callback(world.renderer, on_lost, &world);
	buffer = mosaic_buffer_from_data(4, 4, DRM_FORMAT_ARGB8888, 16, pixels);
	world.texture = mosaic_texture_from_buffer(world.renderer, buffer);
	assert_non_null(world.texture);
	return 0;
}

static int teardown(void **state)
{
	mosaic_texture_destroy(world.texture);
	mosaic_renderer_destroy(world.renderer);
	mosaic_buffer_drop(buffer);
	return 0;
}

/* The loss was delivered once, after the hook, and the callback freed everything. */
static void assert_delivered(void)
{
	assert_int_equal(world.lost_calls, 1);
	assert_false(world.delivered_inside_hook);
	assert_null(world.renderer);
	assert_null(world.texture);
	// The backend's line, and nothing after it.
	assert_one_error(&cap, "lost its device");
}

static void test_lost_in_texture_from_buffer(void **state)
{
	world.lose_in = IN_TEXTURE_FROM_BUFFER;
	assert_null(mosaic_texture_from_buffer(world.renderer, buffer));
	assert_delivered();
}

static void test_lost_in_update(void **state)
{
	world.lose_in = IN_UPDATE;
	assert_false(mosaic_texture_update_from_buffer(world.texture, buffer, NULL));
	assert_delivered();
	// The core ended its access to the buffer before the callback ran.
	assert_false(buffer->accessing_data);
}

static void test_lost_in_read(void **state)
{
	world.lose_in = IN_READ;
	uint32_t out[16];
	assert_false(mosaic_texture_read_pixels(world.texture, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888, .stride = 16, .data = out,
	}));
	assert_delivered();
}

static void test_lost_in_read_start(void **state)
{
	world.lose_in = IN_READ;
	uint32_t out[16];
	assert_null(mosaic_texture_read_pixels_start(world.texture,
		&(struct mosaic_read_pixels_options){
			.fourcc = DRM_FORMAT_ARGB8888, .stride = 16, .data = out,
		}));
	assert_delivered();
}

static void test_lost_in_texture_destroy(void **state)
{
	world.lose_in = IN_TEXTURE_DESTROY;
	struct mosaic_texture *t = world.texture;
	world.texture = NULL;
	mosaic_texture_destroy(t);
	assert_int_equal(world.lost_calls, 1);
	assert_false(world.delivered_inside_hook);
	assert_null(world.renderer);
	assert_one_error(&cap, "lost its device");
}

static void test_lost_in_begin_pass(void **state)
{
	world.lose_in = IN_BEGIN_PASS;
	struct mosaic_buffer *out = mosaic_buffer_from_data(4, 4, DRM_FORMAT_ARGB8888, 16,
		pixels);
	assert_null(mosaic_renderer_begin_pass(world.renderer, out, NULL));
	assert_delivered();
	mosaic_buffer_drop(out);
}

/* Inside an open pass the loss waits for submit: the pass still needs the renderer. */
static void test_lost_in_pass(void **state)
{
	struct mosaic_buffer *out = mosaic_buffer_from_data(4, 4, DRM_FORMAT_ARGB8888, 16,
		pixels);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(world.renderer, out, NULL);
	assert_non_null(pass);
	world.lose_in = IN_ADD_RECT;
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 4, 4 }, .color = { 0, 0, 0, 1 },
	}));
	assert_int_equal(world.lost_calls, 0);
	assert_non_null(world.renderer);
	// Further draws are refused; the pass is still submitted (and fails).
	assert_false(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 4, 4 }, .color = { 0, 0, 0, 1 },
	}));
	assert_int_equal(world.lost_calls, 0);
	assert_false(mosaic_pass_submit(pass, NULL));
	assert_delivered();
	// The core unlocked the buffer before the callback: dropping it frees it.
	mosaic_buffer_drop(out);
}

static void test_lost_in_submit(void **state)
{
	struct mosaic_buffer *out = mosaic_buffer_from_data(4, 4, DRM_FORMAT_ARGB8888, 16,
		pixels);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(world.renderer, out, NULL);
	assert_non_null(pass);
	world.lose_in = IN_SUBMIT;
	struct mosaic_pass_completion done;
	assert_false(mosaic_pass_submit(pass, &done));
	assert_int_equal(done.sync_file_fd, -1);
	assert_delivered();
	mosaic_buffer_drop(out);
}

static void test_lost_in_wait(void **state)
{
	struct mosaic_buffer *out = mosaic_buffer_from_data(4, 4, DRM_FORMAT_ARGB8888, 16,
		pixels);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(world.renderer, out, NULL);
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	world.lose_in = IN_WAIT;
	assert_false(mosaic_renderer_wait_point(world.renderer, done.point, -1));
	assert_delivered();
	mosaic_buffer_drop(out);
}

/*
 * A loss found outside the calls that deliver it (a backend's own function):
 * the next call on the renderer fails, then delivers it.
 */
static void test_lost_outside_a_call(void **state)
{
	mosaic_renderer_set_lost(world.renderer);
	assert_int_equal(world.lost_calls, 0);
	assert_one_error(&cap, "lost its device");
	assert_null(mosaic_texture_from_buffer(world.renderer, buffer));
	assert_int_equal(world.lost_calls, 1);
	assert_null(world.renderer);
	assert_one_error(&cap, "lost its device");
}

/* The pixman backend's own constructor, with the callback set afterwards. */
static void test_pixman_constructor(void **state)
{
	// Not the recording backend this time.
	mosaic_texture_destroy(world.texture);
	mosaic_renderer_destroy(world.renderer);
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	assert_non_null(r);
	struct mosaic_texture *t = mosaic_texture_from_buffer(r, buffer);
	assert_non_null(t);
	world = (struct world){ .renderer = r, .texture = t };
	mosaic_renderer_set_lost_callback(r, on_lost, &world);
	mosaic_renderer_set_lost(r);
	log_capture_reset(&cap);
	uint32_t out[16];
	assert_false(mosaic_texture_read_pixels(t, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888, .stride = 16, .data = out,
	}));
	assert_int_equal(world.lost_calls, 1);
	assert_null(world.renderer);
	assert_null(world.texture);
	assert_one_error(&cap, "lost its device");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_lost_in_texture_from_buffer),
		T(test_lost_in_update),
		T(test_lost_in_read),
		T(test_lost_in_read_start),
		T(test_lost_in_texture_destroy),
		T(test_lost_in_begin_pass),
		T(test_lost_in_pass),
		T(test_lost_in_submit),
		T(test_lost_in_wait),
		T(test_lost_outside_a_call),
		T(test_pixman_constructor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
