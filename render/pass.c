#include <assert.h>
#include <math.h>
#include <unistd.h>

#include <mosaic/interface.h>
#include <mosaic/pass.h>

#include "private/call.h"
#include "private/export.h"
#include "private/log.h"
#include "private/sync.h"

MOSAIC_EXPORT void mosaic_pass_init(struct mosaic_pass *pass, const struct mosaic_pass_impl *impl,
	struct mosaic_renderer *renderer, struct mosaic_buffer *buffer)
{
	assert(impl != NULL && impl->add_rect != NULL && impl->add_texture != NULL &&
		impl->submit != NULL);
	*pass = (struct mosaic_pass){
		.impl = impl,
		.renderer = renderer,
		.buffer = buffer,
		.cpu_wait_deadline_ns = -1,
		.cpu_wait_timeout_ns = MOSAIC_SYNC_FILE_CPU_TIMEOUT_DEFAULT_NS,
	};
	pixman_region32_init(&pass->clip);
}

MOSAIC_EXPORT struct mosaic_pass *mosaic_renderer_begin_pass(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer, const struct mosaic_pass_options *options)
{
	if (renderer == NULL || buffer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "begin pass: no renderer or buffer given");
		return NULL;
	}
	if (mosaic_call_refuse_lost(renderer, "begin pass")) {
		return NULL;
	}
	if (renderer->n_open_passes > 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "begin pass: another pass of this renderer is open; "
			"submit it first");
		return NULL;
	}
	if (buffer->width <= 0 || buffer->height <= 0 ||
			buffer->width > MOSAIC_MAX_IMAGE_SIZE ||
			buffer->height > MOSAIC_MAX_IMAGE_SIZE) {
		mosaic_log(MOSAIC_LOG_ERROR, "begin pass: invalid buffer size %dx%d",
			buffer->width, buffer->height);
		return NULL;
	}
	struct mosaic_pass_options opts = {0};
	if (options != NULL) {
		opts = *options;
	}
	if (opts.n_wait_sync_files > 0 && opts.wait_sync_files == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "begin pass: %zu sync_files announced, none given",
			opts.n_wait_sync_files);
		return NULL;
	}
	if (opts.timer != NULL && opts.timer->renderer != renderer) {
		mosaic_log(MOSAIC_LOG_ERROR, "begin pass: the timer belongs to another renderer");
		return NULL;
	}

	// The core waits for the sync_files (mosaic_pass_wait_sync_file()), through
	// the backend's hook where the GPU can.
	struct mosaic_pass_options backend_opts = opts;
	backend_opts.wait_sync_files = NULL;
	backend_opts.n_wait_sync_files = 0;
	mosaic_call_enter(renderer);
	mosaic_buffer_lock(buffer);
	struct mosaic_pass *pass = renderer->impl->begin_pass(renderer, buffer, &backend_opts);
	if (pass == NULL) {
		mosaic_buffer_unlock(buffer);
	} else {
		assert(pass->renderer == renderer && pass->buffer == buffer);
		pass->signal_sync_file = opts.signal_sync_file;
		renderer->n_open_passes++;
		if (opts.sync_file_cpu_timeout_ns != 0) {
			pass->cpu_wait_timeout_ns = opts.sync_file_cpu_timeout_ns < 0 ||
				opts.sync_file_cpu_timeout_ns > MOSAIC_SYNC_FILE_CPU_TIMEOUT_MAX_NS ?
				MOSAIC_SYNC_FILE_CPU_TIMEOUT_MAX_NS : opts.sync_file_cpu_timeout_ns;
		}
		for (size_t i = 0; i < opts.n_wait_sync_files; i++) {
			mosaic_pass_wait_sync_file(pass, opts.wait_sync_files[i],
				"a wait_sync_files fence");
		}
	}
	mosaic_call_leave(renderer);
	return pass;
}

static bool valid_unit(float v)
{
	return isfinite(v) && v >= 0.0f && v <= 1.0f;
}

static bool valid_blend(enum mosaic_blend blend)
{
	return blend == MOSAIC_BLEND_PREMULTIPLIED || blend == MOSAIC_BLEND_NONE;
}

enum clip_result {
	CLIP_FAILED,
	CLIP_EMPTY,
	CLIP_DRAW,
};

/* Sets pass->clip to box ∩ buffer ∩ clip. */
static enum clip_result compute_clip(struct mosaic_pass *pass, const struct mosaic_box *box,
	const pixman_region32_t *clip, const char *what)
{
	struct mosaic_box bounds = { 0, 0, pass->buffer->width, pass->buffer->height };
	struct mosaic_box visible;
	if (!mosaic_box_intersection(&visible, &bounds, box)) {
		return CLIP_EMPTY;
	}
	pixman_region32_fini(&pass->clip);
	pixman_region32_init_rect(&pass->clip, visible.x, visible.y,
		(unsigned)visible.width, (unsigned)visible.height);
	// A failed intersection leaves an empty region: the draw would vanish silently.
	if (clip != NULL && !pixman_region32_intersect(&pass->clip, &pass->clip,
			(pixman_region32_t *)clip)) {
		mosaic_log(MOSAIC_LOG_ERROR, "%s: allocation failed while clipping", what);
		pixman_region32_fini(&pass->clip);
		pixman_region32_init(&pass->clip);
		return CLIP_FAILED;
	}
	return pixman_region32_not_empty(&pass->clip) ? CLIP_DRAW : CLIP_EMPTY;
}

MOSAIC_EXPORT bool mosaic_pass_add_rect(struct mosaic_pass *pass,
	const struct mosaic_rect_options *options)
{
	if (pass == NULL || options == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "add rect: no pass or options given");
		return false;
	}
	if (pass->renderer->lost) {
		return false;
	}
	struct mosaic_rect_options opts = *options;
	const struct mosaic_color *c = &opts.color;
	if (!valid_blend(opts.blend)) {
		mosaic_log(MOSAIC_LOG_ERROR, "add rect: invalid blend mode %d", (int)opts.blend);
		return false;
	}
	if (!valid_unit(c->r) || !valid_unit(c->g) || !valid_unit(c->b) || !valid_unit(c->a)) {
		mosaic_log(MOSAIC_LOG_ERROR, "add rect: color %g,%g,%g,%g is outside 0..1",
			c->r, c->g, c->b, c->a);
		return false;
	}
	const float eps = 1e-5f;
	if (c->r > c->a + eps || c->g > c->a + eps || c->b > c->a + eps) {
		mosaic_log(MOSAIC_LOG_ERROR, "add rect: color %g,%g,%g,%g is not premultiplied "
			"(a channel exceeds alpha)", c->r, c->g, c->b, c->a);
		return false;
	}
	if (opts.box.width < 0 || opts.box.height < 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "add rect: negative size %dx%d",
			opts.box.width, opts.box.height);
		return false;
	}
	if (opts.blend == MOSAIC_BLEND_PREMULTIPLIED && c->a == 0.0f) {
		return true;
	}
	enum clip_result clipped = compute_clip(pass, &opts.box, opts.clip, "add rect");
	if (clipped != CLIP_DRAW) {
		return clipped == CLIP_EMPTY;
	}
	opts.clip = &pass->clip;
	// With the pass open, a loss is delivered after submit, not here.
	mosaic_call_enter(pass->renderer);
	pass->impl->add_rect(pass, &opts);
	mosaic_call_leave(pass->renderer);
	return true;
}

MOSAIC_EXPORT bool mosaic_pass_add_texture(struct mosaic_pass *pass,
	const struct mosaic_texture_options *options)
{
	if (pass == NULL || options == NULL || options->texture == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "add texture: no pass, options or texture given");
		return false;
	}
	if (pass->renderer->lost) {
		return false;
	}
	struct mosaic_texture_options opts = *options;
	struct mosaic_texture *texture = opts.texture;
	if (texture->renderer != pass->renderer) {
		mosaic_log(MOSAIC_LOG_ERROR, "add texture: the texture belongs to another renderer");
		return false;
	}
	if ((unsigned)opts.transform > MOSAIC_TRANSFORM_FLIPPED_270) {
		mosaic_log(MOSAIC_LOG_ERROR, "add texture: invalid transform %d",
			(int)opts.transform);
		return false;
	}
	if (opts.filter != MOSAIC_FILTER_LINEAR && opts.filter != MOSAIC_FILTER_NEAREST) {
		mosaic_log(MOSAIC_LOG_ERROR, "add texture: invalid filter %d", (int)opts.filter);
		return false;
	}
	if (!valid_blend(opts.blend)) {
		mosaic_log(MOSAIC_LOG_ERROR, "add texture: invalid blend mode %d",
			(int)opts.blend);
		return false;
	}
	float alpha = 1.0f;
	if (opts.alpha != NULL) {
		alpha = *opts.alpha;
		if (!valid_unit(alpha)) {
			mosaic_log(MOSAIC_LOG_ERROR, "add texture: alpha %g is outside 0..1", alpha);
			return false;
		}
	}
	opts.alpha = &alpha;

	struct mosaic_fbox *src = &opts.src_box;
	if (src->x == 0 && src->y == 0 && src->width == 0 && src->height == 0) {
		*src = (struct mosaic_fbox){ 0, 0, texture->width, texture->height };
	}
	if (!isfinite(src->x) || !isfinite(src->y) || !isfinite(src->width) ||
			!isfinite(src->height) || mosaic_fbox_empty(src) ||
			src->x < 0 || src->y < 0 || src->x + src->width > texture->width ||
			src->y + src->height > texture->height) {
		mosaic_log(MOSAIC_LOG_ERROR, "add texture: source box %g,%g %gx%g is empty or "
			"outside the %dx%d texture", src->x, src->y, src->width, src->height,
			texture->width, texture->height);
		return false;
	}

	struct mosaic_box *dst = &opts.dst_box;
	if (dst->width < 0 || dst->height < 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "add texture: negative destination size %dx%d",
			dst->width, dst->height);
		return false;
	}
	if (dst->width == 0 && dst->height == 0) {
		bool swap = mosaic_transform_swaps_axes(opts.transform);
		dst->width = (int)lround(swap ? src->height : src->width);
		dst->height = (int)lround(swap ? src->width : src->height);
	}

	if (opts.blend == MOSAIC_BLEND_PREMULTIPLIED && alpha == 0.0f) {
		return true;
	}
	enum clip_result clipped = compute_clip(pass, dst, opts.clip, "add texture");
	if (clipped != CLIP_DRAW) {
		return clipped == CLIP_EMPTY;
	}
	opts.clip = &pass->clip;
	mosaic_call_enter(pass->renderer);
	mosaic_pass_wait_texture(pass, texture);
	pass->impl->add_texture(pass, &opts);
	mosaic_call_leave(pass->renderer);
	return true;
}

MOSAIC_EXPORT bool mosaic_pass_submit(struct mosaic_pass *pass,
	struct mosaic_pass_completion *completion)
{
	if (completion != NULL) {
		*completion = (struct mosaic_pass_completion){ .sync_file_fd = -1 };
	}
	if (pass == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "submit: no pass given");
		return false;
	}
	struct mosaic_renderer *renderer = pass->renderer;
	struct mosaic_buffer *buffer = pass->buffer;
	bool want_sync_file = pass->signal_sync_file && completion != NULL;
	// A dmabuf target gets the completion as its write fence.
	bool dmabuf = (mosaic_buffer_get_caps(buffer) & MOSAIC_BUFFER_CAP_DMABUF) != 0;
	pixman_region32_fini(&pass->clip);

	uint64_t point = renderer->last_point + 1;
	int sync_file = -1;
	mosaic_call_enter(renderer);
	bool ok = pass->impl->submit(pass, point,
		want_sync_file || dmabuf ? &sync_file : NULL);
	if (ok) {
		renderer->last_point = point;
		if (dmabuf) {
			mosaic_pass_publish_output(renderer, buffer, point, sync_file);
		}
		if (completion != NULL) {
			completion->point = point;
			completion->sync_file_fd = want_sync_file ? sync_file : -1;
		}
		if (!want_sync_file && sync_file >= 0) {
			close(sync_file);
		}
	} else if (sync_file >= 0) {
		close(sync_file);
	}
	renderer->n_open_passes--;
	mosaic_buffer_unlock(buffer);
	// A loss found during the pass is delivered here; it may destroy the renderer.
	mosaic_call_leave(renderer);
	return ok;
}
