#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "pixels.h"
#include "test_common.h"

bool test_image_init(struct test_image *image, int width, int height)
{
	*image = (struct test_image){0};
	if (width <= 0 || height <= 0 || width > MOSAIC_MAX_IMAGE_SIZE ||
			height > MOSAIC_MAX_IMAGE_SIZE) {
		return false;
	}
	image->data = calloc((size_t)width * (size_t)height, 4);
	if (image->data == NULL) {
		return false;
	}
	image->width = width;
	image->height = height;
	return true;
}

void test_image_finish(struct test_image *image)
{
	free(image->data);
	*image = (struct test_image){0};
}

bool test_image_from_pixels(struct test_image *image, int width, int height, uint32_t fourcc,
	uint32_t stride, const void *data)
{
	const struct pixels_layout *l = pixels_layout(fourcc);
	if (l == NULL || !test_image_init(image, width, height)) {
		return false;
	}
	for (int y = 0; y < height; y++) {
		const uint8_t *row = (const uint8_t *)data + (size_t)y * stride;
		for (int x = 0; x < width; x++) {
			// Un-premultiplied at the format's own precision, then rounded once.
			pixels_unpack_rgba8(fourcc, row + (size_t)x * l->bytes,
				test_image_pixel(image, x, y));
		}
	}
	return true;
}

bool test_image_to_pixels(const struct test_image *image, uint32_t fourcc, uint32_t stride,
	void *data)
{
	const struct pixels_layout *l = pixels_layout(fourcc);
	if (l == NULL) {
		return false;
	}
	for (int y = 0; y < image->height; y++) {
		uint8_t *row = (uint8_t *)data + (size_t)y * stride;
		for (int x = 0; x < image->width; x++) {
			// The one packer of the tree: premultiplied, rounded once.
			const uint8_t *p = test_image_pixel(image, x, y);
			const float straight[4] = {
				p[0] / 255.0f, p[1] / 255.0f, p[2] / 255.0f, p[3] / 255.0f,
			};
			pixels_pack(fourcc, straight, row + (size_t)x * l->bytes);
		}
	}
	return true;
}

bool test_image_read_buffer(struct test_image *image, struct mosaic_buffer *buffer,
	struct mosaic_renderer *renderer)
{
	*image = (struct test_image){0};
	if (mosaic_buffer_get_caps(buffer) & MOSAIC_BUFFER_CAP_DATA_PTR) {
		void *data;
		uint32_t fourcc, stride;
		if (!mosaic_buffer_begin_data_access(buffer, MOSAIC_BUFFER_DATA_ACCESS_READ, &data,
				&fourcc, &stride)) {
			return false;
		}
		bool ok = test_image_from_pixels(image, buffer->width, buffer->height, fourcc,
			stride, data);
		mosaic_buffer_end_data_access(buffer);
		return ok;
	}
	if (renderer == NULL) {
		return false;
	}
	struct mosaic_texture *texture = mosaic_texture_from_buffer(renderer, buffer);
	if (texture == NULL) {
		return false;
	}
	bool ok = test_image_read_texture(image, texture);
	mosaic_texture_destroy(texture);
	return ok;
}

bool test_image_read_texture(struct test_image *image, struct mosaic_texture *texture)
{
	*image = (struct test_image){0};
	int width = mosaic_texture_get_width(texture);
	int height = mosaic_texture_get_height(texture);
	const struct mosaic_format_info *info =
		mosaic_format_get_info(mosaic_texture_get_fourcc(texture));
	// ABGR8888 is R, G, B, A in memory; formats without alpha read as opaque.
	uint32_t read_fourcc = info != NULL && !info->has_alpha ?
		DRM_FORMAT_XBGR8888 : DRM_FORMAT_ABGR8888;
	uint32_t stride = (uint32_t)width * 4;
	uint8_t *pixels = malloc((size_t)stride * (size_t)height);
	if (pixels == NULL) {
		return false;
	}
	bool ok = mosaic_texture_read_pixels(texture, &(struct mosaic_read_pixels_options){
		.fourcc = read_fourcc,
		.stride = stride,
		.data = pixels,
	});
	if (ok) {
		ok = test_image_from_pixels(image, width, height, read_fourcc, stride, pixels);
	}
	free(pixels);
	return ok;
}

/* A channel as it shows over black: premultiplied, 0..255. */
static int shown(const uint8_t *p, int channel)
{
	if (channel == 3) {
		return p[3];
	}
	return (p[channel] * p[3] + 127) / 255;
}

static int pixel_diff(const uint8_t *a, const uint8_t *b)
{
	int max = 0;
	for (int c = 0; c < 4; c++) {
		int d = abs(shown(a, c) - shown(b, c));
		max = d > max ? d : max;
	}
	return max;
}

bool test_image_compare(const struct test_image *expected, const struct test_image *actual,
	int tolerance, struct test_image_diff *diff)
{
	struct test_image_diff d = { .first_x = -1, .first_y = -1 };
	if (expected->width != actual->width || expected->height != actual->height) {
		size_t n = (size_t)expected->width * (size_t)expected->height;
		d = (struct test_image_diff){
			.max_diff = 255,
			.n_bad = n,
			.n_different = n,
		};
		if (diff != NULL) {
			*diff = d;
		}
		return false;
	}
	for (int y = 0; y < expected->height; y++) {
		for (int x = 0; x < expected->width; x++) {
			int pd = pixel_diff(test_image_pixel(expected, x, y),
				test_image_pixel(actual, x, y));
			if (pd == 0) {
				continue;
			}
			d.n_different++;
			d.max_diff = pd > d.max_diff ? pd : d.max_diff;
			if (pd > tolerance) {
				if (d.n_bad == 0) {
					d.first_x = x;
					d.first_y = y;
				}
				d.n_bad++;
			}
		}
	}
	if (diff != NULL) {
		*diff = d;
	}
	return d.n_bad == 0;
}

bool test_image_make_diff(struct test_image *out, const struct test_image *expected,
	const struct test_image *actual, int tolerance)
{
	int width = expected->width > actual->width ? expected->width : actual->width;
	int height = expected->height > actual->height ? expected->height : actual->height;
	if (!test_image_init(out, width, height)) {
		return false;
	}
	for (int y = 0; y < height; y++) {
		for (int x = 0; x < width; x++) {
			uint8_t *o = test_image_pixel(out, x, y);
			o[3] = 255;
			if (x >= expected->width || y >= expected->height ||
					x >= actual->width || y >= actual->height) {
				o[0] = 255; // outside one of them: as bad as it gets
				continue;
			}
			const uint8_t *e = test_image_pixel(expected, x, y);
			int pd = pixel_diff(e, test_image_pixel(actual, x, y));
			if (pd > tolerance) {
				o[0] = (uint8_t)(128 + pd * 127 / 255);
			} else if (pd > 0) {
				o[0] = 200;
				o[1] = 200;
			} else {
				int grey = (shown(e, 0) * 2 + shown(e, 1) * 5 + shown(e, 2)) / 8;
				o[0] = o[1] = o[2] = (uint8_t)(grey / 4);
			}
		}
	}
	return true;
}
