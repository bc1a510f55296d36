#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mosaic/format.h>
#include <mosaic/pixman.h>

#include "private/buffer_access.h"
#include "private/dmabuf.h"
#include "private/export.h"
#include "private/format.h"
#include "private/list.h"
#include "private/log.h"
#include "render/pixman/pixman_private.h"

static const struct mosaic_texture_impl pixman_texture_impl;

MOSAIC_EXPORT bool mosaic_texture_is_pixman(const struct mosaic_texture *texture)
{
	return texture != NULL && texture->impl == &pixman_texture_impl;
}

struct pixman_texture *pixman_texture_from_base(struct mosaic_texture *texture)
{
	assert(mosaic_texture_is_pixman(texture));
	return mosaic_container_of(texture, struct pixman_texture, base);
}

MOSAIC_EXPORT pixman_image_t *mosaic_pixman_texture_get_image(struct mosaic_texture *texture)
{
	if (!mosaic_texture_is_pixman(texture)) {
		mosaic_log(MOSAIC_LOG_ERROR, "not a pixman texture");
		return NULL;
	}
	return pixman_texture_from_base(texture)->image;
}

static void pixman_texture_destroy(struct mosaic_texture *texture)
{
	struct pixman_texture *t = pixman_texture_from_base(texture);
	pixman_image_unref(t->image);
	free(t);
}

bool pixman_layout_is_aligned(const void *data, uint32_t stride)
{
	return (uintptr_t)data % 4 == 0 && stride % 4 == 0;
}

void pixman_copy_rows(void *dst, uint32_t dst_stride, const void *src, uint32_t src_stride,
	size_t row_bytes, int height)
{
	for (int y = 0; y < height; y++) {
		memcpy((uint8_t *)dst + (size_t)y * dst_stride,
			(const uint8_t *)src + (size_t)y * src_stride, row_bytes);
	}
}

/* Wraps mapped pixels as an image; the access stays the caller's. */
static bool wrap_pixels(struct pixman_buffer_view *view, void *data, uint32_t fourcc,
	uint32_t stride, int width, int height, uint32_t flags)
{
	char name[32];
	pixman_format_code_t code = mosaic_format_to_pixman(fourcc);
	if (code == 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "pixman: unsupported format %s",
			mosaic_format_name(fourcc, name));
		return false;
	}
	view->data = data;
	view->fourcc = fourcc;
	view->stride = stride;
	view->width = width;
	view->height = height;
	view->flags = flags;
	view->shadow = !pixman_layout_is_aligned(data, stride);
	view->image = pixman_image_create_bits_no_clear(code, width, height,
		view->shadow ? NULL : data, view->shadow ? 0 : (int)stride);
	if (view->image == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "pixman: cannot wrap a %dx%d buffer", width, height);
		return false;
	}
	if (view->shadow && (flags & MOSAIC_BUFFER_DATA_ACCESS_READ)) {
		pixman_copy_rows(pixman_image_get_data(view->image),
			(uint32_t)pixman_image_get_stride(view->image), data, stride,
			(size_t)width * (size_t)(PIXMAN_FORMAT_BPP(code) / 8), height);
	}
	return true;
}

bool pixman_buffer_view_init(struct pixman_buffer_view *view, struct mosaic_buffer *buffer,
	uint32_t flags)
{
	*view = (struct pixman_buffer_view){0};
	// Logs its reason.
	if (!mosaic_buffer_access_begin(&view->access, buffer, flags)) {
		return false;
	}
	if (!wrap_pixels(view, view->access.data, view->access.fourcc, view->access.stride,
			buffer->width, buffer->height, flags)) {
		mosaic_buffer_access_end(&view->access);
		return false;
	}
	return true;
}

void pixman_buffer_view_finish(struct pixman_buffer_view *view)
{
	if (view->shadow && (view->flags & MOSAIC_BUFFER_DATA_ACCESS_WRITE)) {
		pixman_format_code_t code = pixman_image_get_format(view->image);
		pixman_copy_rows(view->data, view->stride, pixman_image_get_data(view->image),
			(uint32_t)pixman_image_get_stride(view->image),
			(size_t)view->width * (size_t)(PIXMAN_FORMAT_BPP(code) / 8), view->height);
	}
	pixman_image_unref(view->image);
	if (view->access.buffer != NULL) {
		mosaic_buffer_access_end(&view->access);
	}
	*view = (struct pixman_buffer_view){0};
}

/* A buffer whose planes must be converted: a YUV dmabuf without a CPU pointer. */
static bool buffer_is_yuv(struct mosaic_buffer *buffer, uint32_t *fourcc)
{
	uint32_t caps = mosaic_buffer_get_caps(buffer);
	struct mosaic_dmabuf_attributes attribs;
	if ((caps & MOSAIC_BUFFER_CAP_DATA_PTR) || !(caps & MOSAIC_BUFFER_CAP_DMABUF) ||
			!mosaic_buffer_get_dmabuf(buffer, &attribs)) {
		return false;
	}
	const struct mosaic_format_info *info = mosaic_format_get_info(attribs.fourcc);
	*fourcc = attribs.fourcc;
	return info != NULL && info->is_yuv;
}

/* Converts the YUV planes of `buffer` inside `region` (NULL: all) into `image`. */
static bool pixman_texture_update_from_buffer(struct mosaic_texture *texture,
	const struct mosaic_texture_update *update)
{
	struct pixman_texture *t = pixman_texture_from_base(texture);
	if (update->data == NULL) {
		// A YUV buffer: its planes are converted (and mapped) here.
		return mosaic_buffer_convert_yuv(update->buffer, texture->fourcc, update->damage,
			pixman_image_get_data(t->image), (uint32_t)pixman_image_get_stride(t->image));
	}
	struct pixman_buffer_view view = {0};
	// The core holds the access; the data is only read.
	if (!wrap_pixels(&view, (void *)update->data, update->fourcc, update->stride,
			texture->width, texture->height, MOSAIC_BUFFER_DATA_ACCESS_READ)) {
		return false;
	}
	int n;
	const pixman_box32_t *rects = pixman_region32_rectangles(update->damage, &n);
	for (int i = 0; i < n; i++) {
		const pixman_box32_t *r = &rects[i];
		pixman_image_composite32(PIXMAN_OP_SRC, view.image, NULL, t->image,
			r->x1, r->y1, 0, 0, r->x1, r->y1, r->x2 - r->x1, r->y2 - r->y1);
	}
	pixman_buffer_view_finish(&view);
	return true;
}

static bool pixman_texture_read_pixels(struct mosaic_texture *texture,
	const struct mosaic_read_pixels_options *options)
{
	struct pixman_texture *t = pixman_texture_from_base(texture);
	const struct mosaic_box *box = &options->src_box;
	pixman_format_code_t code = mosaic_format_to_pixman(options->fourcc);
	// Unaligned caller memory goes through a temporary image (see pixman_buffer_view).
	bool aligned = pixman_layout_is_aligned(options->data, options->stride);
	pixman_image_t *dst = pixman_image_create_bits_no_clear(code, box->width, box->height,
		aligned ? options->data : NULL, aligned ? (int)options->stride : 0);
	if (dst == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "pixman: cannot wrap the read destination");
		return false;
	}
	pixman_image_composite32(PIXMAN_OP_SRC, t->image, NULL, dst, box->x, box->y, 0, 0,
		0, 0, box->width, box->height);
	if (!aligned) {
		pixman_copy_rows(options->data, options->stride, pixman_image_get_data(dst),
			(uint32_t)pixman_image_get_stride(dst),
			(size_t)box->width * (size_t)(PIXMAN_FORMAT_BPP(code) / 8), box->height);
	}
	pixman_image_unref(dst);
	return true;
}

static const struct mosaic_texture_impl pixman_texture_impl = {
	.destroy = pixman_texture_destroy,
	.update_from_buffer = pixman_texture_update_from_buffer,
	.read_pixels = pixman_texture_read_pixels,
};

static struct mosaic_texture *texture_from_yuv(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer, uint32_t fourcc)
{
	struct pixman_texture *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	t->image = pixman_image_create_bits_no_clear(mosaic_format_pixman_yuv_code(fourcc),
		buffer->width, buffer->height, NULL, 0);
	if (t->image == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "pixman: cannot allocate a %dx%d texture",
			buffer->width, buffer->height);
		free(t);
		return NULL;
	}
	if (!mosaic_buffer_convert_yuv(buffer, fourcc, NULL, pixman_image_get_data(t->image),
			(uint32_t)pixman_image_get_stride(t->image))) {
		pixman_image_unref(t->image);
		free(t);
		return NULL;
	}
	mosaic_texture_init(&t->base, &pixman_texture_impl, renderer, buffer->width,
		buffer->height, fourcc);
	return &t->base;
}

struct mosaic_texture *pixman_texture_from_buffer(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer)
{
	uint32_t yuv_fourcc;
	if (buffer_is_yuv(buffer, &yuv_fourcc)) {
		return texture_from_yuv(renderer, buffer, yuv_fourcc);
	}
	struct pixman_buffer_view view;
	if (!pixman_buffer_view_init(&view, buffer, MOSAIC_BUFFER_DATA_ACCESS_READ)) {
		return NULL;
	}
	struct pixman_texture *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		goto err_view;
	}
	t->image = pixman_image_create_bits_no_clear(mosaic_format_to_pixman(view.fourcc),
		buffer->width, buffer->height, NULL, 0);
	if (t->image == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "pixman: cannot allocate a %dx%d texture",
			buffer->width, buffer->height);
		goto err_tex;
	}
	pixman_image_composite32(PIXMAN_OP_SRC, view.image, NULL, t->image, 0, 0, 0, 0, 0, 0,
		buffer->width, buffer->height);
	uint32_t fourcc = view.fourcc;
	pixman_buffer_view_finish(&view);

	mosaic_texture_init(&t->base, &pixman_texture_impl, renderer, buffer->width,
		buffer->height, fourcc);
	return &t->base;

err_tex:
	free(t);
err_view:
	pixman_buffer_view_finish(&view);
	return NULL;
}
