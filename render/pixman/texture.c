#include <assert.h>
#include <stdlib.h>

#include <mosaic/format.h>
#include <mosaic/pixman.h>

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
	return pixman_texture_from_base(texture)->image;
}

static void pixman_texture_destroy(struct mosaic_texture *texture)
{
	struct pixman_texture *t = pixman_texture_from_base(texture);
	pixman_image_unref(t->image);
	free(t);
}

static void end_data_access(pixman_image_t *image, void *data)
{
	mosaic_buffer_end_data_access(data);
}

static void end_dmabuf_access(pixman_image_t *image, void *data)
{
	mosaic_dmabuf_end_cpu_access(data);
}

pixman_image_t *pixman_wrap_buffer(struct mosaic_buffer *buffer, uint32_t flags,
	uint32_t *out_fourcc)
{
	char name[32];
	void *data;
	uint32_t fourcc, stride;
	// Buffers without a CPU pointer are mapped when they are linear dmabufs.
	bool dmabuf = !(mosaic_buffer_get_caps(buffer) & MOSAIC_BUFFER_CAP_DATA_PTR);
	if (dmabuf) {
		if (!mosaic_dmabuf_begin_cpu_access(buffer, flags, &data, &fourcc, &stride)) {
			return NULL;
		}
	} else if (!mosaic_buffer_begin_data_access(buffer, flags, &data, &fourcc, &stride)) {
		mosaic_log(MOSAIC_LOG_ERROR, "pixman: the buffer offers no CPU access");
		return NULL;
	}
	pixman_format_code_t code = mosaic_format_to_pixman(fourcc);
	if (code == 0) {
		mosaic_log(MOSAIC_LOG_ERROR, "pixman: unsupported format %s",
			mosaic_format_name(fourcc, name));
		goto err;
	}
	if (!mosaic_format_check_layout(fourcc, buffer->width, buffer->height, stride)) {
		goto err;
	}
	pixman_image_t *image = pixman_image_create_bits_no_clear(code, buffer->width,
		buffer->height, data, (int)stride);
	if (image == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "pixman: cannot wrap a %dx%d buffer",
			buffer->width, buffer->height);
		goto err;
	}
	// The access ends with the image.
	pixman_image_set_destroy_function(image,
		dmabuf ? end_dmabuf_access : end_data_access, buffer);
	if (out_fourcc != NULL) {
		*out_fourcc = fourcc;
	}
	return image;

err:
	if (dmabuf) {
		mosaic_dmabuf_end_cpu_access(buffer);
	} else {
		mosaic_buffer_end_data_access(buffer);
	}
	return NULL;
}

static bool pixman_texture_update_from_buffer(struct mosaic_texture *texture,
	struct mosaic_buffer *buffer, const pixman_region32_t *damage)
{
	struct pixman_texture *t = pixman_texture_from_base(texture);
	uint32_t fourcc;
	pixman_image_t *src = pixman_wrap_buffer(buffer, MOSAIC_BUFFER_DATA_READ, &fourcc);
	if (src == NULL) {
		return false;
	}
	bool ok = fourcc == texture->fourcc;
	if (!ok) {
		char a[32], b[32];
		mosaic_log(MOSAIC_LOG_ERROR, "pixman: buffer format %s differs from texture format %s",
			mosaic_format_name(fourcc, a), mosaic_format_name(texture->fourcc, b));
	} else {
		int n;
		const pixman_box32_t *rects = pixman_region32_rectangles(damage, &n);
		for (int i = 0; i < n; i++) {
			const pixman_box32_t *r = &rects[i];
			pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, t->image,
				r->x1, r->y1, 0, 0, r->x1, r->y1, r->x2 - r->x1, r->y2 - r->y1);
		}
	}
	pixman_image_unref(src);
	return ok;
}

static bool pixman_texture_read_pixels(struct mosaic_texture *texture,
	const struct mosaic_read_pixels_options *options)
{
	struct pixman_texture *t = pixman_texture_from_base(texture);
	const struct mosaic_box *box = &options->src_box;
	pixman_image_t *dst = pixman_image_create_bits_no_clear(
		mosaic_format_to_pixman(options->fourcc), box->width, box->height,
		options->data, (int)options->stride);
	if (dst == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "pixman: cannot wrap the read destination");
		return false;
	}
	pixman_image_composite32(PIXMAN_OP_SRC, t->image, NULL, dst, box->x, box->y, 0, 0,
		0, 0, box->width, box->height);
	pixman_image_unref(dst);
	return true;
}

static const struct mosaic_texture_impl pixman_texture_impl = {
	.destroy = pixman_texture_destroy,
	.update_from_buffer = pixman_texture_update_from_buffer,
	.read_pixels = pixman_texture_read_pixels,
};

struct mosaic_texture *pixman_texture_from_buffer(struct mosaic_renderer *renderer,
	struct mosaic_buffer *buffer)
{
	uint32_t fourcc;
	pixman_image_t *src = pixman_wrap_buffer(buffer, MOSAIC_BUFFER_DATA_READ, &fourcc);
	if (src == NULL) {
		return NULL;
	}
	struct pixman_texture *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		goto err_src;
	}
	t->image = pixman_image_create_bits_no_clear(mosaic_format_to_pixman(fourcc),
		buffer->width, buffer->height, NULL, 0);
	if (t->image == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "pixman: cannot allocate a %dx%d texture",
			buffer->width, buffer->height);
		goto err_tex;
	}
	pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, t->image, 0, 0, 0, 0, 0, 0,
		buffer->width, buffer->height);
	pixman_image_unref(src);

	mosaic_texture_init(&t->base, &pixman_texture_impl, renderer, buffer->width,
		buffer->height, fourcc);
	return &t->base;

err_tex:
	free(t);
err_src:
	pixman_image_unref(src);
	return NULL;
}
