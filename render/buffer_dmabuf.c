#include <stdlib.h>

#include <mosaic/buffer.h>
#include <mosaic/format.h>

#include "private/dmabuf.h"
#include "private/export.h"
#include "private/list.h"
#include "private/log.h"

/* A buffer owning dmabuf planes (mosaic_buffer_from_dmabuf). */
struct dmabuf_buffer {
	struct mosaic_buffer base;
	struct mosaic_dmabuf_attributes attribs;
	/* Made with mosaic_dmabuf_buffer_options.allow_memfd. */
	bool allow_memfd;
};

static void dmabuf_buffer_destroy(struct mosaic_buffer *buffer)
{
	struct dmabuf_buffer *b = mosaic_container_of(buffer, struct dmabuf_buffer, base);
	mosaic_dmabuf_attributes_finish(&b->attribs);
	free(b);
}

static bool dmabuf_buffer_get_dmabuf(struct mosaic_buffer *buffer,
	struct mosaic_dmabuf_attributes *attribs)
{
	struct dmabuf_buffer *b = mosaic_container_of(buffer, struct dmabuf_buffer, base);
	*attribs = b->attribs;
	return true;
}

static const struct mosaic_buffer_impl dmabuf_buffer_impl = {
	.destroy = dmabuf_buffer_destroy,
	.get_dmabuf = dmabuf_buffer_get_dmabuf,
};

bool mosaic_dmabuf_attributes_check(const struct mosaic_dmabuf_attributes *attribs,
	bool allow_memfd)
{
	if (attribs == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: no dmabuf attributes given");
		return false;
	}
	char why[256];
	if (mosaic_dmabuf_layout_check(attribs, MOSAIC_DMABUF_CHECK_FDS |
			(allow_memfd ? MOSAIC_DMABUF_CHECK_ALLOW_MEMFD : 0), why, sizeof(why)) !=
			MOSAIC_DMABUF_LAYOUT_ERROR_NONE) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: %s", why);
		return false;
	}
	const struct mosaic_format_info *info = mosaic_format_get_info(attribs->fourcc);
	if (info->is_yuv && ((unsigned)attribs->yuv.matrix > MOSAIC_YUV_MATRIX_BT709 ||
			(unsigned)attribs->yuv.range > MOSAIC_YUV_RANGE_FULL ||
			(unsigned)attribs->yuv.chroma_location > MOSAIC_CHROMA_LOCATION_TOP_LEFT)) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: unknown YUV matrix %d, range %d or chroma "
			"location %d", (int)attribs->yuv.matrix, (int)attribs->yuv.range,
			(int)attribs->yuv.chroma_location);
		return false;
	}
	return true;
}

bool mosaic_dmabuf_buffer_allows_memfd(const struct mosaic_buffer *buffer)
{
	return buffer->impl == &dmabuf_buffer_impl &&
		mosaic_container_of(buffer, struct dmabuf_buffer, base)->allow_memfd;
}

MOSAIC_EXPORT struct mosaic_buffer *mosaic_buffer_from_dmabuf(
	const struct mosaic_dmabuf_attributes *attribs)
{
	return mosaic_buffer_from_dmabuf_with_options(attribs, NULL);
}

MOSAIC_EXPORT struct mosaic_buffer *mosaic_buffer_from_dmabuf_with_options(
	const struct mosaic_dmabuf_attributes *attribs,
	const struct mosaic_dmabuf_buffer_options *options)
{
	bool allow_memfd = options != NULL && options->allow_memfd;
	if (!mosaic_dmabuf_attributes_check(attribs, allow_memfd)) {
		return NULL;
	}

	struct dmabuf_buffer *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	mosaic_buffer_init(&b->base, &dmabuf_buffer_impl, attribs->width, attribs->height);
	b->attribs = *attribs;
	b->allow_memfd = allow_memfd;
	for (int i = attribs->n_planes; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		b->attribs.fd[i] = -1;
	}
	return &b->base;
}
