/*
 * Fuzz target: the scene parser of mosaic-render (scene_load_string()), then,
 * for scenes that load and stay small, two frames of the scene on pixman and
 * a readback. Image paths resolve in tests/scenes (FUZZ_SCENE_DIR), so
 * "pattern.png" is reachable.
 *
 * The parser accepts what the library accepts (sizes up to
 * MOSAIC_MAX_IMAGE_SIZE); scenes larger than the limits below are parsed
 * only, so that one input costs milliseconds and megabytes.
 */
#include <stdlib.h>
#include <string.h>

#include <mosaic/mosaic.h>

#include "fuzz.h"
#include "scene.h"

/* Drawn only when every image and the output have at most this many pixels... */
#define MAX_PIXELS (256 * 256)
/* ...and all of them together at most this many, */
#define MAX_TOTAL_PIXELS (1024 * 1024)
/* ...in at most this many layers. */
#define MAX_LAYERS 32

static bool scene_is_small(const struct scene *scene)
{
	int64_t total = (int64_t)scene->width * scene->height;
	if (total > MAX_PIXELS || scene->n_layers > MAX_LAYERS) {
		return false;
	}
	for (size_t i = 0; i < scene->n_layers; i++) {
		const struct scene_layer *layer = &scene->layers[i];
		if (layer->kind != SCENE_LAYER_TEXTURE) {
			continue;
		}
		int64_t pixels = (int64_t)layer->image_width * layer->image_height;
		if (pixels > MAX_PIXELS) {
			return false;
		}
		total += pixels;
	}
	return total <= MAX_TOTAL_PIXELS;
}

static struct mosaic_renderer *get_renderer(void)
{
	static struct mosaic_renderer *renderer;
	if (renderer == NULL) {
		renderer = mosaic_renderer_create(&(struct mosaic_renderer_options){
			.backend = MOSAIC_BACKEND_PIXMAN,
		});
		fuzz_check(renderer != NULL);
	}
	return renderer;
}

static void draw(const struct scene *scene)
{
	char error[SCENE_ERROR_SIZE];
	error[0] = '\0';
	struct scene_renderer *sr = scene_renderer_create(scene, get_renderer(), error);
	if (sr == NULL) {
		fuzz_check(error[0] != '\0');
		return;
	}
	// The second frame re-uploads the damage of damage_every_frame layers.
	for (int frame = 0; frame < 2; frame++) {
		if (!scene_renderer_draw(sr, NULL, NULL, error)) {
			fuzz_check(error[0] != '\0');
			break;
		}
	}
	free(scene_renderer_read_rgba(sr));
	scene_renderer_destroy(sr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_log_init();
	char *json = malloc(size + 1);
	if (json == NULL) {
		return 0;
	}
	memcpy(json, data, size);
	json[size] = '\0';

	struct scene scene;
	char error[SCENE_ERROR_SIZE];
	if (scene_load_string(&scene, json, "fuzz.json", FUZZ_SCENE_DIR, error)) {
		fuzz_check(scene.width > 0 && scene.height > 0);
		if (scene_is_small(&scene)) {
			draw(&scene);
		}
		scene_finish(&scene);
	} else {
		// A refused scene says why, in one line.
		fuzz_check(error[0] != '\0' && strchr(error, '\n') == NULL);
	}
	free(json);
	return 0;
}
