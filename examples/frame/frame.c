#include <stdio.h>
#include <drm_fourcc.h>
#include <mosaic/mosaic.h>

#define W 320
#define H 200

int main(int argc, char *argv[])
{
	// Startup: a renderer (Vulkan, then GLES, then pixman; MOSAIC_RENDERER overrides)
	// and an allocator for the output image. Failures have said why in one line.
	struct mosaic_renderer *renderer = mosaic_renderer_create(NULL);
	struct mosaic_allocator *alloc = mosaic_shm_allocator_create();
	struct mosaic_buffer *output = alloc == NULL ? NULL :
		mosaic_allocator_create_buffer(alloc, W, H, DRM_FORMAT_XRGB8888, NULL, 0);
	if (renderer == NULL || output == NULL) {
		return 1;
	}

	// Commit: a client buffer becomes a texture; later commits upload only the damage.
	// (width, height, fourcc, stride, data: the order of mosaic_buffer_from_data().)
	static uint32_t pixels[64 * 32];
	for (int y = 0; y < 32; y++) {
		for (int x = 0; x < 64; x++) {  // opaque: red left to right, green top down
			pixels[y * 64 + x] = 0xff000000u | (uint32_t)(x * 4) << 16 | (uint32_t)(y * 8) << 8;
		}
	}
	struct mosaic_texture *window = mosaic_texture_from_pixels(renderer, 64, 32,
		DRM_FORMAT_ARGB8888, 64 * 4, pixels);
	if (window == NULL) {
		return 1;
	}

	// Frame: clear to blue, draw the window rotated and half transparent, submit.
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(renderer, output, NULL);
	struct mosaic_pass_completion done;
	if (pass == NULL || !mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, W, H },
			.color = { 0.0f, 0.0f, 1.0f, 1.0f },  // premultiplied
			.blend = MOSAIC_BLEND_NONE,
		}) || !mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = window,
			.dst_box = { 40, 20, 64, 128 },       // the window's 64x32, turned and doubled
			.transform = MOSAIC_TRANSFORM_90,     // content rotated 90° counter-clockwise
			.alpha = &(float){ 0.5f },
		}) || !mosaic_pass_submit(pass, &done) ||
			!mosaic_renderer_wait_point(renderer, done.point, -1)) {  // or poll the fd
		return 1;
	}

	// The output's pixels: check one, and write them as a picture (PPM) to open.
	void *data;
	uint32_t fourcc, stride;
	if (!mosaic_buffer_begin_data_access(output, MOSAIC_BUFFER_DATA_ACCESS_READ, &data,
			&fourcc, &stride)) {
		return 1;
	}
	// Inside the window: half its pixel over the blue (the first channel of XRGB is blue).
	uint32_t px = ((const uint32_t *)((const char *)data + 84 * stride))[70];
	int blue = (int)(px & 0xff);
	bool ok = blue >= 126 && blue <= 129 && (px >> 16 & 0xff) > 0;
	const char *path = argc > 1 ? argv[1] : "frame.ppm";
	FILE *f = fopen(path, "wb");
	if (f != NULL) {
		fprintf(f, "P6\n%d %d\n255\n", W, H);
		for (int y = 0; y < H; y++) {
			const uint32_t *row = (const uint32_t *)((const char *)data + y * stride);
			for (int x = 0; x < W; x++) {
				fputc((int)(row[x] >> 16 & 0xff), f);
				fputc((int)(row[x] >> 8 & 0xff), f);
				fputc((int)(row[x] & 0xff), f);
			}
		}
		ok = fclose(f) == 0 && ok;
	}
	mosaic_buffer_end_data_access(output);
	printf("%s: %s, pixel (70, 84) = 0x%08x on %s\n", path, ok ? "written" : "FAILED", px,
		mosaic_renderer_get_name(renderer));

	// Teardown: textures before their renderer; buffers are dropped by their producer.
	mosaic_texture_destroy(window);
	mosaic_buffer_drop(output);
	mosaic_allocator_destroy(alloc);
	mosaic_renderer_destroy(renderer);
	return ok && f != NULL ? 0 : 1;
}
