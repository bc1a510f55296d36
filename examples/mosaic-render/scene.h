#ifndef MOSAIC_RENDER_SCENE_H
#define MOSAIC_RENDER_SCENE_H

/*
 * JSON scenes for mosaic-render (and the conformance tests): parsing into a
 * plain description, then drawing that description with the public API.
 *
 * The schema (colors are straight-alpha floats 0..1; sizes in pixels):
 *
 *   { "output": {"width": 256, "height": 256, "format": "XRGB8888"},
 *     "clear": [r, g, b, a],
 *     "layers": [
 *       { "image": "file.png" | {"solid": [r,g,b,a], "width": W, "height": H}
 *                  | {"checker": {"width": W, "height": H, "cell": C,
 *                                 "colors": [[r,g,b,a], [r,g,b,a]]}}
 *                  | {"gradient": {"width": W, "height": H,
 *                                  "colors": [top-left, top-right, bottom-left, bottom-right]}},
 *         "format": "ARGB8888",
 *         "src": [x, y, w, h], "dst": [x, y, w, h],
 *         "transform": "normal|90|180|270|flipped|flipped-90|flipped-180|flipped-270",
 *         "alpha": 1.0, "filter": "linear|nearest", "blend": "premultiplied|none",
 *         "clip": [[x, y, w, h], ...],
 *         "damage_every_frame": false | true | [[x, y, w, h], ...],
 *         "yuv": {"matrix": "bt601|bt709", "range": "limited|full",
 *                 "chroma": "left|center|top-left"} },
 *       { "rect": [x, y, w, h], "color": [r, g, b, a],
 *         "blend": "premultiplied|none", "clip": [[x, y, w, h], ...] } ] }
 *
 * Defaults: output.format XRGB8888; no clear (the output starts as
 * transparent black); layer format ARGB8888 (the texture's pixel format);
 * src the whole image; dst the transformed src size at 0,0; transform
 * normal; alpha 1; filter linear; blend premultiplied; clip the whole
 * output; no damage; yuv BT.601, limited range, chroma left (only for YUV
 * formats: the image is converted into NV12, NV21, P010, YUV420 or YUYV
 * planes in a memfd and handed to the renderer as a linear dmabuf; its
 * alpha is dropped). Paths are relative to the scene file. Unknown keys are
 * errors, so that a misspelt key does not go unnoticed. The output and the
 * images together hold at most SCENE_MAX_PIXELS pixels: each may be as large
 * as the library allows, but a scene cannot ask for hundreds of them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mosaic/mosaic.h>

/** A straight-alpha color, as written in scenes. */
struct scene_color {
	float r, g, b, a;
};

enum scene_layer_kind {
	SCENE_LAYER_TEXTURE,
	SCENE_LAYER_RECT,
};

enum scene_image_kind {
	SCENE_IMAGE_FILE,
	SCENE_IMAGE_SOLID,
	SCENE_IMAGE_CHECKER,
	/** {"gradient": {"width", "height", "colors": [tl, tr, bl, br]}}: bilinear corners. */
	SCENE_IMAGE_GRADIENT,
};

enum scene_damage {
	SCENE_DAMAGE_NONE,
	SCENE_DAMAGE_ALL,
	SCENE_DAMAGE_BOXES,
};

struct scene_layer {
	enum scene_layer_kind kind;
	/** "layers[3]", for messages. */
	char where[32];

	/* SCENE_LAYER_TEXTURE */
	enum scene_image_kind image_kind;
	int image_width, image_height;
	/** SCENE_IMAGE_FILE: straight 8-bit RGBA, rows packed, owned. */
	uint8_t *image_rgba;
	/** SOLID: colors[0]; CHECKER: the two cell colors; GRADIENT: the 4 corners. */
	struct scene_color colors[4];
	/** CHECKER: the cell size in pixels. */
	int cell;
	/** The texture's DRM fourcc. */
	uint32_t format;
	/** YUV formats: how the image is converted into Y'CbCr (zeroed: the defaults). */
	struct mosaic_yuv_info yuv;
	struct mosaic_fbox src;
	struct mosaic_box dst;
	enum mosaic_transform transform;
	float alpha;
	enum mosaic_filter filter;
	enum scene_damage damage;
	/** In image pixels; owned. */
	struct mosaic_box *damage_boxes;
	size_t n_damage_boxes;

	/* SCENE_LAYER_RECT */
	struct mosaic_box rect;
	struct scene_color color;

	/* Both. */
	enum mosaic_blend blend;
	bool has_clip;
	/** In output pixels; owned. */
	struct mosaic_box *clip_boxes;
	size_t n_clip_boxes;
};

struct scene {
	int width, height;
	uint32_t format;
	bool has_clear;
	struct scene_color clear;
	struct scene_layer *layers;
	size_t n_layers;
};

/** The most pixels of a scene: its output and its images added up (2^28, one 16384x16384 image). */
#define SCENE_MAX_PIXELS ((int64_t)1 << 28)

/** Room for one error line. */
#define SCENE_ERROR_SIZE 512

/**
 * Reads and checks the scene file at `path`. On failure returns false and
 * writes one line to `error` (SCENE_ERROR_SIZE bytes) naming the file, the
 * JSON path and the problem, e.g.
 * `scene.json: layers[2].transform: unknown value "91"`.
 */
bool scene_load(struct scene *scene, const char *path, char error[static SCENE_ERROR_SIZE]);

/** The same from JSON text; `name` is used in messages and `dir` resolves image paths. */
bool scene_load_string(struct scene *scene, const char *json, const char *name,
	const char *dir, char error[static SCENE_ERROR_SIZE]);

/**
 * Writes the pixels of a texture layer's image in `fourcc` (premultiplied,
 * as the API expects), `stride` bytes per row.
 */
void scene_layer_fill(const struct scene_layer *layer, uint32_t fourcc, uint32_t stride,
	void *data);

/** The straight-alpha color (0..1) of pixel (x, y) of a texture layer's image. */
void scene_layer_color(const struct scene_layer *layer, int x, int y, float c[4]);

/*
 * Converts a texture layer's image into the planes of a YUV format with the
 * layer's matrix, range and chroma location, in one memfd (planes one after
 * the other, rows 64-byte aligned), and wraps it as a linear dmabuf. NULL,
 * with a line in `error`, on failure.
 */
struct mosaic_buffer *scene_yuv_buffer_create(const struct scene_layer *layer,
	char error[static SCENE_ERROR_SIZE]);

/** Frees what scene_load() allocated. Accepts a zeroed scene. */
void scene_finish(struct scene *scene);

/** True when some layer samples with linear filtering at a scale other than 1:1. */
bool scene_uses_linear_scaling(const struct scene *scene);

/** Per-frame measurements of scene_renderer_draw(). */
struct scene_frame_stats {
	/** From the first upload to the return of mosaic_pass_submit(). */
	double cpu_ms;
	/** cpu_ms plus the wait for completion. */
	double wall_ms;
	/** GPU time of the pass, or < 0 when not measured. */
	double gpu_ms;
	/** Bytes re-uploaded for damage_every_frame and the CPU time it took. */
	uint64_t upload_bytes;
	double upload_ms;
};

/** A scene made ready to draw on one renderer: textures uploaded, output allocated. */
struct scene_renderer;

/**
 * Creates the textures and the output buffer of `scene` on `renderer` (which
 * it borrows; `scene` must outlive the result). Returns NULL and writes one
 * line to `error` when the renderer cannot do it (e.g. a format it cannot
 * render into).
 */
struct scene_renderer *scene_renderer_create(const struct scene *scene,
	struct mosaic_renderer *renderer, char error[static SCENE_ERROR_SIZE]);

/** Destroys the textures and drops the output buffer. Accepts NULL. */
void scene_renderer_destroy(struct scene_renderer *sr);

/**
 * Draws one frame into the output buffer and waits until it is complete.
 * `timer` may be NULL. `stats` may be NULL.
 */
bool scene_renderer_draw(struct scene_renderer *sr, struct mosaic_render_timer *timer,
	struct scene_frame_stats *stats, char error[static SCENE_ERROR_SIZE]);

/** The output buffer (owned by `sr`); its pixels are final after scene_renderer_draw(). */
struct mosaic_buffer *scene_renderer_get_output(struct scene_renderer *sr);

/**
 * Converts the output buffer into straight 8-bit RGBA (opaque alpha for
 * formats without alpha): a malloc'ed width * height * 4 array the caller
 * frees, or NULL.
 */
uint8_t *scene_renderer_read_rgba(struct scene_renderer *sr);

#endif
