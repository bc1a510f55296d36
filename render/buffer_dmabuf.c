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

bool mosaic_dmabuf_attributes_check(const struct mosaic_dmabuf_attributes *attribs)
{
	if (attribs == NULL) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: no dmabuf attributes given");
		return false;
	}
	char why[256];
	if (mosaic_dmabuf_layout_check(attribs, MOSAIC_DMABUF_CHECK_FDS, why, sizeof(why)) !=
			MOSAIC_DMABUF_LAYOUT_ERROR_NONE) {
		mosaic_log(MOSAIC_LOG_ERROR, "dmabuf: %s", why);
		return false;
	}
	return true;
}

MOSAIC_EXPORT struct mosaic_buffer *mosaic_buffer_from_dmabuf(
	const struct mosaic_dmabuf_attributes *attribs)
{
	if (!mosaic_dmabuf_attributes_check(attribs)) {
		return NULL;
	}

	struct dmabuf_buffer *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	mosaic_buffer_init(&b->base, &dmabuf_buffer_impl, attribs->width, attribs->height);
	b->attribs = *attribs;
	for (int i = attribs->n_planes; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		b->attribs.fd[i] = -1;
	}
	return &b->base;
}
