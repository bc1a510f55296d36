#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include <mosaic/format.h>
#include <mosaic/pixman.h>

#include "private/backend.h"
#include "private/export.h"
#include "private/list.h"
#include "private/log.h"
#include "render/pixman/pixman_private.h"

static void pixman_renderer_destroy(struct mosaic_renderer *renderer)
{
	free(mosaic_container_of(renderer, struct pixman_renderer, base));
}

static const struct mosaic_renderer_impl pixman_renderer_impl = {
	.name = "pixman",
	.destroy = pixman_renderer_destroy,
	.texture_from_buffer = pixman_texture_from_buffer,
	.begin_pass = pixman_begin_pass,
};

MOSAIC_EXPORT bool mosaic_renderer_is_pixman(const struct mosaic_renderer *renderer)
{
	return renderer != NULL && renderer->impl == &pixman_renderer_impl;
}

pixman_color_t pixman_color_from_float(float r, float g, float b, float a)
{
	return (pixman_color_t){
		.red = (uint16_t)(r * 65535.0f + 0.5f),
		.green = (uint16_t)(g * 65535.0f + 0.5f),
		.blue = (uint16_t)(b * 65535.0f + 0.5f),
		.alpha = (uint16_t)(a * 65535.0f + 0.5f),
	};
}

struct mosaic_renderer *mosaic_pixman_backend_create(void)
{
	struct pixman_renderer *renderer = calloc(1, sizeof(*renderer));
	if (renderer == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		return NULL;
	}
	mosaic_renderer_init(&renderer->base, &pixman_renderer_impl);
	renderer->base.device_name = "pixman (CPU)";
	const char *general = getenv("MOSAIC_PIXMAN_GENERAL_PATH");
	renderer->general_path = general != NULL && strcmp(general, "1") == 0;
	// Linear dmabufs are mapped (see pixman_buffer_view_init).
	renderer->base.features = MOSAIC_FEATURE_SOFTWARE | MOSAIC_FEATURE_DMABUF_IMPORT;
	renderer->base.render_buffer_caps = MOSAIC_BUFFER_CAP_DATA_PTR;

	// Every RGB format of the table can be read and written by pixman, in
	// memory or in linear dmabufs; YUV ones are converted from linear dmabufs.
	size_t n;
	const struct mosaic_format_info *infos = mosaic_format_get_all(&n);
	for (size_t i = 0; i < n; i++) {
		if (infos[i].is_yuv) {
			if (!mosaic_format_set_add(&renderer->base.dmabuf_texture_formats,
					infos[i].fourcc, DRM_FORMAT_MOD_LINEAR)) {
				mosaic_renderer_destroy(&renderer->base);
				return NULL;
			}
			continue;
		}
		if (!mosaic_format_set_add(&renderer->base.data_ptr_texture_formats,
				infos[i].fourcc, DRM_FORMAT_MOD_LINEAR) ||
				!mosaic_format_set_add(&renderer->base.data_ptr_render_formats,
				infos[i].fourcc, DRM_FORMAT_MOD_LINEAR) ||
				!mosaic_format_set_add(&renderer->base.dmabuf_texture_formats,
				infos[i].fourcc, DRM_FORMAT_MOD_LINEAR) ||
				!mosaic_format_set_add(&renderer->base.dmabuf_render_formats,
				infos[i].fourcc, DRM_FORMAT_MOD_LINEAR)) {
			mosaic_renderer_destroy(&renderer->base);
			return NULL;
		}
	}
	return &renderer->base;
}

MOSAIC_EXPORT struct mosaic_renderer *mosaic_pixman_renderer_create(void)
{
	return mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = MOSAIC_BACKEND_PIXMAN,
	});
}
