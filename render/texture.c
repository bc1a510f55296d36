#include <assert.h>
#include <stdlib.h>

#include <drm_fourcc.h>

#include <mosaic/format.h>
#include <mosaic/interface.h>
#include <mosaic/texture.h>

#include "private/buffer_access.h"
#include "private/call.h"
#include "private/export.h"
#include "private/log.h"
#include "private/sync.h"

MOSAIC_EXPORT void mosaic_texture_init(struct mosaic_texture *texture,
	const struct mosaic_texture_impl *impl, struct mosaic_renderer *renderer,
	int width, int height, uint32_t fourcc)
{
	assert(impl != NULL && impl->destroy != NULL);
	*texture = (struct mosaic_texture){
		.impl = impl,
		.renderer = renderer,
		.width = width,
		.height = height,
		.fourcc = fourcc,
		.dmabuf_fds = { -1, -1, -1, -1 },
	};
	renderer->n_children++;
}

static bool check_renderer(struct mosaic_renderer *renderer)
{
	if (renderer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "no renderer given");
		return false;
	}
	return !mosaic_call_refuse_lost(renderer, "texture");
}

static bool check_buffer_size(const struct mosaic_buffer *buffer)
{
	if (buffer->width <= 0 || buffer->height <= 0 ||
			buffer->width > MOSAIC_MAX_IMAGE_SIZE ||
			buffer->height > MOSAIC_MAX_IMAGE_SIZE) {
		mosaic_log(MOSAIC_LOG_ERROR, "invalid buffer size %dx%d (must be 1..%d)",
			buffer->width, buffer->height, MOSAIC_MAX_IMAGE_SIZE);
		return false;
	}
	return true;
}

MOSAIC_EXPORT struct mosaic_texture *mosaic_texture_from_buffer(
	struct mosaic_renderer *renderer, struct mosaic_buffer *buffer)
{
	if (!check_renderer(renderer)) {
		return NULL;
	}
	if (buffer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "no buffer given");
		return NULL;
	}
	if (!check_buffer_size(buffer)) {
		return NULL;
	}
	mosaic_call_enter(renderer);
	struct mosaic_texture *texture = renderer->impl->texture_from_buffer(renderer, buffer);
	mosaic_call_leave(renderer);
	if (texture != NULL) {
		mosaic_texture_track_dmabuf(texture, buffer);
	}
	return texture;
}

MOSAIC_EXPORT struct mosaic_texture *mosaic_texture_from_pixels(
	struct mosaic_renderer *renderer, int width, int height, uint32_t fourcc,
	uint32_t stride, const void *data)
{
	if (!check_renderer(renderer)) {
		return NULL;
	}
	// The buffer is only read from: the cast does not let anyone write.
	struct mosaic_buffer *buffer = mosaic_buffer_from_data(width, height, fourcc, stride,
		(void *)data);
	if (buffer == NULL) {
		return NULL;
	}
	mosaic_call_enter(renderer);
	struct mosaic_texture *texture = renderer->impl->texture_from_buffer(renderer, buffer);
	mosaic_buffer_drop(buffer);
	mosaic_call_leave(renderer);
	return texture;
}

MOSAIC_EXPORT bool mosaic_texture_update_from_buffer(struct mosaic_texture *texture,
	struct mosaic_buffer *buffer, const pixman_region32_t *damage)
{
	if (texture == NULL || buffer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "no texture or buffer given");
		return false;
	}
	if (!check_renderer(texture->renderer)) {
		return false;
	}
	if (texture->impl->update_from_buffer == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "this texture cannot be updated");
		return false;
	}
	if (buffer->width != texture->width || buffer->height != texture->height) {
		mosaic_log(MOSAIC_LOG_ERROR, "buffer is %dx%d, texture is %dx%d",
			buffer->width, buffer->height, texture->width, texture->height);
		return false;
	}

	pixman_region32_t clipped;
	pixman_region32_init_rect(&clipped, 0, 0, (unsigned)texture->width,
		(unsigned)texture->height);
	// A failed intersection leaves an empty region: the update would be skipped silently.
	if (damage != NULL && !pixman_region32_intersect(&clipped, &clipped,
			(pixman_region32_t *)damage)) {
		mosaic_log(MOSAIC_LOG_ERROR, "texture update: allocation failed while clipping");
		pixman_region32_fini(&clipped);
		return false;
	}
	if (!pixman_region32_not_empty(&clipped)) {
		pixman_region32_fini(&clipped);
		return true;
	}
	bool ok = false;
	const struct mosaic_format_info *info = mosaic_format_get_info(texture->fourcc);
	if (info != NULL && info->is_yuv) {
		// Planes the backend maps itself (it converts or imports them).
		struct mosaic_renderer *renderer = texture->renderer;
		mosaic_call_enter(renderer);
		ok = texture->impl->update_from_buffer(texture, &(struct mosaic_texture_update){
			.buffer = buffer,
			.fourcc = texture->fourcc,
			.damage = &clipped,
		});
		pixman_region32_fini(&clipped);
		mosaic_call_leave(renderer);
		return ok;
	}
	struct mosaic_buffer_access access;
	// Logs its reason.
	if (!mosaic_buffer_access_begin_as(&access, buffer, MOSAIC_BUFFER_DATA_ACCESS_READ,
			texture->fourcc)) {
		goto out;
	}
	struct mosaic_renderer *renderer = texture->renderer;
	mosaic_call_enter(renderer);
	ok = texture->impl->update_from_buffer(texture, &(struct mosaic_texture_update){
		.buffer = buffer,
		.data = access.data,
		.fourcc = access.fourcc,
		.stride = access.stride,
		.damage = &clipped,
	});
	mosaic_buffer_access_end(&access);
	pixman_region32_fini(&clipped);
	// May deliver a loss whose callback destroys the texture and the renderer.
	mosaic_call_leave(renderer);
	return ok;
out:
	pixman_region32_fini(&clipped);
	return ok;
}

/* Checks read options and fills in the default rectangle. */
static bool normalize_read_options(struct mosaic_texture *texture,
	const struct mosaic_read_pixels_options *options, struct mosaic_read_pixels_options *out)
{
	char name[32];
	if (texture == NULL || options == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "no texture or options given");
		return false;
	}
	if (!check_renderer(texture->renderer)) {
		return false;
	}
	if (texture->renderer->n_open_passes > 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "read pixels: a pass of this renderer is open; "
			"submit it first");
		return false;
	}
	*out = *options;
	if (out->data == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "read pixels: no destination memory");
		return false;
	}
	const struct mosaic_format_info *info = mosaic_format_get_info(out->fourcc);
	if (info == NULL || info->is_yuv) {
		mosaic_log(MOSAIC_LOG_ERROR, "read pixels: unsupported format %s",
			mosaic_format_name(out->fourcc, name));
		return false;
	}
	if (mosaic_box_empty(&out->src_box)) {
		out->src_box = (struct mosaic_box){ 0, 0, texture->width, texture->height };
	}
	struct mosaic_box bounds = { 0, 0, texture->width, texture->height };
	struct mosaic_box inter;
	if (!mosaic_box_intersection(&inter, &bounds, &out->src_box) ||
			inter.x != out->src_box.x || inter.y != out->src_box.y ||
			inter.width != out->src_box.width || inter.height != out->src_box.height) {
		mosaic_log(MOSAIC_LOG_ERROR, "read pixels: rectangle %d,%d %dx%d is outside the "
			"%dx%d texture", out->src_box.x, out->src_box.y, out->src_box.width,
			out->src_box.height, texture->width, texture->height);
		return false;
	}
	if ((uint64_t)out->stride < (uint64_t)out->src_box.width * info->bytes_per_pixel) {
		mosaic_log(MOSAIC_LOG_ERROR, "read pixels: stride %u too small for %d pixels of %s",
			out->stride, out->src_box.width, info->name);
		return false;
	}
	// As for images (mosaic_format_check_layout): rows start on a pixel.
	if (out->stride % info->bytes_per_pixel != 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "read pixels: stride %u is not a multiple of the %s "
			"pixel size %u", out->stride, info->name, info->bytes_per_pixel);
		return false;
	}
	return true;
}

MOSAIC_EXPORT bool mosaic_texture_read_pixels(struct mosaic_texture *texture,
	const struct mosaic_read_pixels_options *options)
{
	struct mosaic_read_pixels_options opts;
	if (!normalize_read_options(texture, options, &opts)) {
		return false;
	}
	if (texture->impl->read_pixels == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "this texture cannot be read");
		return false;
	}
	struct mosaic_renderer *renderer = texture->renderer;
	mosaic_call_enter(renderer);
	bool ok = texture->impl->read_pixels(texture, &opts);
	mosaic_call_leave(renderer);
	return ok;
}

MOSAIC_EXPORT void mosaic_read_request_init(struct mosaic_read_request *request,
	const struct mosaic_read_request_impl *impl, struct mosaic_texture *texture,
	const struct mosaic_read_pixels_options *options)
{
	assert(impl != NULL && impl->get_fd != NULL && impl->is_complete != NULL &&
		impl->finish != NULL);
	*request = (struct mosaic_read_request){
		.impl = impl,
		.texture = texture,
		.options = *options,
	};
	texture->renderer->n_children++;
	texture->n_read_requests++;
}

/* The request of backends without asynchronous reads: the work is already done. */
struct done_request {
	struct mosaic_read_request base;
	bool ok;
};

static int done_request_get_fd(struct mosaic_read_request *request)
{
	return -1;
}

static bool done_request_is_complete(struct mosaic_read_request *request)
{
	return true;
}

static bool done_request_finish(struct mosaic_read_request *request)
{
	struct done_request *r = (struct done_request *)request;
	bool ok = r->ok;
	free(r);
	return ok;
}

static const struct mosaic_read_request_impl done_request_impl = {
	.get_fd = done_request_get_fd,
	.is_complete = done_request_is_complete,
	.finish = done_request_finish,
};

static bool finish_request(struct mosaic_read_request *request);

static struct mosaic_read_request *read_pixels_start(struct mosaic_texture *texture,
	const struct mosaic_read_pixels_options *opts_in)
{
	struct mosaic_read_pixels_options opts = *opts_in;
	if (texture->impl->read_pixels_start != NULL) {
		return texture->impl->read_pixels_start(texture, &opts);
	}
	if (texture->impl->read_pixels == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "this texture cannot be read");
		return NULL;
	}
	struct done_request *request = calloc(1, sizeof(*request));
	if (request == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	mosaic_read_request_init(&request->base, &done_request_impl, texture, &opts);
	request->ok = texture->impl->read_pixels(texture, &opts);
	if (!request->ok) {
		finish_request(&request->base);
		return NULL;
	}
	return &request->base;
}

MOSAIC_EXPORT struct mosaic_read_request *mosaic_texture_read_pixels_start(
	struct mosaic_texture *texture, const struct mosaic_read_pixels_options *options)
{
	struct mosaic_read_pixels_options opts;
	if (!normalize_read_options(texture, options, &opts)) {
		return NULL;
	}
	struct mosaic_renderer *renderer = texture->renderer;
	mosaic_call_enter(renderer);
	struct mosaic_read_request *request = read_pixels_start(texture, &opts);
	mosaic_call_leave(renderer);
	return request;
}

MOSAIC_EXPORT int mosaic_read_request_get_fd(struct mosaic_read_request *request)
{
	if (request == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "read request: no request given");
		return -1;
	}
	struct mosaic_renderer *renderer = request->texture->renderer;
	mosaic_call_enter(renderer);
	int fd = request->impl->get_fd(request);
	mosaic_call_leave(renderer);
	return fd;
}

MOSAIC_EXPORT bool mosaic_read_request_is_complete(struct mosaic_read_request *request)
{
	if (request == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "read request: no request given");
		return false;
	}
	struct mosaic_renderer *renderer = request->texture->renderer;
	mosaic_call_enter(renderer);
	bool complete = request->impl->is_complete(request);
	mosaic_call_leave(renderer);
	return complete;
}

static bool finish_request(struct mosaic_read_request *request)
{
	request->texture->renderer->n_children--;
	request->texture->n_read_requests--;
	return request->impl->finish(request);
}

MOSAIC_EXPORT bool mosaic_read_request_finish(struct mosaic_read_request *request)
{
	if (request == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "read request: no request given");
		return false;
	}
	struct mosaic_renderer *renderer = request->texture->renderer;
	mosaic_call_enter(renderer);
	bool ok = finish_request(request);
	mosaic_call_leave(renderer);
	return ok;
}

/* A NULL texture is a programmer error; it gets a log line instead of a crash. */
static bool check_texture_arg(const struct mosaic_texture *texture)
{
	if (texture == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "no texture given");
		return false;
	}
	return true;
}

MOSAIC_EXPORT uint32_t mosaic_texture_get_preferred_read_format(struct mosaic_texture *texture)
{
	if (!check_texture_arg(texture)) {
		return 0;
	}
	struct mosaic_renderer *renderer = texture->renderer;
	uint32_t fourcc = texture->fourcc;
	if (texture->impl->preferred_read_format != NULL) {
		mosaic_call_enter(renderer);
		fourcc = texture->impl->preferred_read_format(texture);
		mosaic_call_leave(renderer);
	}
	// YUV is no read format: such textures read as RGB of their depth.
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	if (info != NULL && info->is_yuv) {
		fourcc = info->yuv_depth > 8 ? DRM_FORMAT_XRGB2101010 : DRM_FORMAT_XRGB8888;
	}
	return fourcc;
}

MOSAIC_EXPORT int mosaic_texture_get_width(const struct mosaic_texture *texture)
{
	if (!check_texture_arg(texture)) {
		return 0;
	}
	return texture->width;
}

MOSAIC_EXPORT int mosaic_texture_get_height(const struct mosaic_texture *texture)
{
	if (!check_texture_arg(texture)) {
		return 0;
	}
	return texture->height;
}

MOSAIC_EXPORT uint32_t mosaic_texture_get_fourcc(const struct mosaic_texture *texture)
{
	if (!check_texture_arg(texture)) {
		return 0;
	}
	return texture->fourcc;
}

MOSAIC_EXPORT void mosaic_texture_destroy(struct mosaic_texture *texture)
{
	if (texture == NULL) {
		return;
	}
	if (texture->n_read_requests > 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "texture destroyed before %zu of its read requests",
			texture->n_read_requests);
		assert(!"finish read requests before destroying their texture");
	}
	struct mosaic_renderer *renderer = texture->renderer;
	renderer->n_children--;
	mosaic_texture_forget_dmabuf(texture);
	mosaic_call_enter(renderer);
	texture->impl->destroy(texture);
	mosaic_call_leave(renderer);
}
