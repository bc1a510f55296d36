/*
 * mosaic-render as a user sees it: bad scenes fail with one line naming the
 * JSON path, --stats ends with one parseable JSON line, and the PNG holds
 * straight-alpha colors. The path of the tool is argv[1].
 */
#define _GNU_SOURCE /* mkdtemp, realpath */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <png.h>

static const char *tool;
static char dir[256];

struct run {
	int status;
	char out[8192];
	char err[8192];
};

static void write_file(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Runs the tool with `args` (already quoted) in the scene directory. */
static void run_tool(struct run *run, const char *args)
{
	char cmd[2048], out[512], err[512];
	snprintf(out, sizeof(out), "%s/stdout.txt", dir);
	snprintf(err, sizeof(err), "%s/stderr.txt", dir);
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s >'%s' 2>'%s'", dir, tool, args, out, err);
	int status = system(cmd);
	assert_true(WIFEXITED(status));
	run->status = WEXITSTATUS(status);
	read_file(out, run->out, sizeof(run->out));
	read_file(err, run->err, sizeof(run->err));
}

static size_t count_lines(const char *text)
{
	size_t n = 0;
	for (; *text != '\0'; text++) {
		n += *text == '\n';
	}
	return n;
}

/* Writes `scene`, runs the tool on it and expects one error line containing `expected`. */
static void expect_error(const char *scene, const char *expected)
{
	write_file("bad.json", scene);
	struct run run;
	run_tool(&run, "bad.json -o out.png --renderer pixman");
	if (run.status == 0 || count_lines(run.err) != 1 || strstr(run.err, expected) == NULL) {
		fail_msg("exit status %d, stderr:\n%s\nexpected one line containing: %s",
			run.status, run.err, expected);
	}
	print_message("%s", run.err);
}

static void test_malformed_json(void **state)
{
	expect_error("{\"output\": {\"width\": 64,\n \"height\" 64}}",
		"bad.json: invalid JSON at line 2");
}

static void test_trailing_text(void **state)
{
	expect_error("{\"output\": {\"width\": 64, \"height\": 64}}\n}",
		"bad.json: invalid JSON at line 2: text after the end");
}

static void test_missing_image(void **state)
{
	expect_error("{\"output\": {\"width\": 64, \"height\": 64},\n"
		" \"layers\": [{\"rect\": [0, 0, 4, 4], \"color\": [1, 1, 1, 1]},\n"
		"             {\"image\": \"no-such-file.png\"}]}",
		"bad.json: layers[1].image: cannot read");
}

static void test_unknown_value(void **state)
{
	expect_error("{\"output\": {\"width\": 64, \"height\": 64}, \"layers\": [\n"
		" {\"rect\": [0, 0, 4, 4], \"color\": [1, 1, 1, 1]},\n"
		" {\"rect\": [0, 0, 4, 4], \"color\": [1, 1, 1, 1]},\n"
		" {\"image\": {\"solid\": [1, 0, 0, 1], \"width\": 8, \"height\": 8},\n"
		"  \"transform\": \"91\"}]}",
		"bad.json: layers[2].transform: unknown value \"91\"");
	expect_error("{\"output\": {\"width\": 64, \"height\": 64, \"format\": \"RGB888X\"}}",
		"bad.json: output.format: unknown value \"RGB888X\"");
}

static void test_impossible_size(void **state)
{
	expect_error("{\"output\": {\"width\": 64, \"height\": 0}}",
		"bad.json: output.height: impossible size 0");
	expect_error("{\"output\": {\"width\": 1000000, \"height\": 64}}",
		"bad.json: output.width: impossible size 1000000");
	expect_error("{\"output\": {\"width\": 64, \"height\": 64}, \"layers\": [\n"
		" {\"image\": {\"checker\": {\"width\": -3, \"height\": 8, \"cell\": 2,\n"
		"  \"colors\": [[0, 0, 0, 1], [1, 1, 1, 1]]}}}]}",
		"bad.json: layers[0].image.checker.width: impossible size -3");
	// Every image may be as large as the library allows, but not all of them.
	expect_error("{\"output\": {\"width\": 16384, \"height\": 8192}, \"layers\": [\n"
		" {\"image\": {\"solid\": [1, 0, 0, 1], \"width\": 16384, \"height\": 8192}},\n"
		" {\"image\": {\"solid\": [0, 1, 0, 1], \"width\": 16384, \"height\": 1}}]}",
		"bad.json: layers[1]: the output and the images up to this one add up to "
		"268451840 pixels, more than the 268435456 a scene may hold");
}

static void test_missing_key(void **state)
{
	expect_error("{\"output\": {\"width\": 64}}", "bad.json: output.height: missing");
	expect_error("{\"output\": {\"width\": 64, \"height\": 64},\n"
		" \"layers\": [{\"rect\": [0, 0, 4, 4]}]}",
		"bad.json: layers[0].color: missing");
}

/* Nothing but printable text and the final newline: no terminal controls, raw or UTF-8 C1. */
static bool plain_line(const char *text)
{
	const unsigned char *c = (const unsigned char *)text;
	for (size_t i = 0; c[i] != '\0'; i++) {
		bool last_newline = c[i] == '\n' && c[i + 1] == '\0';
		if ((c[i] < 0x20 && !last_newline) || c[i] == 0x7f ||
				(c[i] == 0xc2 && c[i + 1] >= 0x80 && c[i + 1] <= 0x9f)) {
			return false;
		}
	}
	return true;
}

/* Text from the scene file is shown escaped: the error stays one plain line. */
static void expect_escaped_error(const char *scene, const char *expected)
{
	write_file("bad.json", scene);
	struct run run;
	run_tool(&run, "bad.json -o out.png --renderer pixman");
	if (run.status == 0 || count_lines(run.err) != 1 || !plain_line(run.err) ||
			strstr(run.err, expected) == NULL) {
		fail_msg("exit status %d, stderr:\n%s\nexpected one plain line containing: %s",
			run.status, run.err, expected);
	}
	print_message("%s", run.err);
}

static void test_escaped_file_text(void **state)
{
	// A key with a newline, an ESC sequence, a quote and a backslash.
	expect_escaped_error("{\"output\": {\"width\": 64, \"height\": 64,\n"
		" \"a\\nb\\u001b[31m\\\"\\\\c\": 1}}",
		"bad.json: output: unknown key \"a\\nb\\x1b[31m\\\"\\\\c\"");
	// A file name with a carriage return and a tab.
	expect_escaped_error("{\"output\": {\"width\": 64, \"height\": 64},\n"
		" \"layers\": [{\"image\": \"x\\r\\ty.png\"}]}",
		"x\\r\\ty.png");
	// A value with DEL and a C1 control (U+009B, CSI), which JSON leaves unescaped.
	expect_escaped_error("{\"output\": {\"width\": 64, \"height\": 64,\n"
		" \"format\": \"\\u007f\\u009b31m\"}}",
		"unknown value \"\\x7f\\u009b31m\"");
}

static void test_missing_scene(void **state)
{
	struct run run;
	run_tool(&run, "does-not-exist.json -o out.png");
	assert_int_not_equal(run.status, 0);
	assert_int_equal(count_lines(run.err), 1);
	assert_non_null(strstr(run.err, "does-not-exist.json"));
}

static const char *last_line(char *text)
{
	size_t len = strlen(text);
	while (len > 0 && text[len - 1] == '\n') {
		text[--len] = '\0';
	}
	char *nl = strrchr(text, '\n');
	return nl != NULL ? nl + 1 : text;
}

static json_object *parse_stats(struct run *run)
{
	if (run->status != 0) {
		fail_msg("exit status %d, stderr:\n%s", run->status, run->err);
	}
	const char *line = last_line(run->out);
	json_object *obj = json_tokener_parse(line);
	if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
		fail_msg("the last line is no JSON object: %s", line);
	}
	static const char *const keys[] = {
		"renderer", "frames", "cpu_ms_median", "gpu_ms_median", "upload_mb_s",
		"upload_call_mb_s",
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!json_object_object_get_ex(obj, keys[i], NULL)) {
			fail_msg("key %s missing from %s", keys[i], line);
		}
	}
	json_object *v;
	json_object_object_get_ex(obj, "renderer", &v);
	assert_true(json_object_is_type(v, json_type_string));
	json_object_object_get_ex(obj, "frames", &v);
	assert_int_equal(json_object_get_int(v), 3);
	json_object_object_get_ex(obj, "cpu_ms_median", &v);
	assert_true(json_object_is_type(v, json_type_double));
	assert_true(json_object_get_double(v) >= 0.0);
	json_object_object_get_ex(obj, "gpu_ms_median", &v);
	assert_true(v == NULL || json_object_is_type(v, json_type_double));
	return obj;
}

static void test_stats(void **state)
{
	write_file("stats.json", "{\"output\": {\"width\": 64, \"height\": 48},\n"
		" \"clear\": [0, 0, 0, 1], \"layers\": [\n"
		" {\"image\": {\"solid\": [0, 1, 0, 1], \"width\": 16, \"height\": 16},\n"
		"  \"dst\": [4, 4, 40, 40]}]}");
	struct run run;
	run_tool(&run, "stats.json --frames 3 --stats");
	print_message("%s\n", last_line(run.out));
	json_object *obj = parse_stats(&run);
	json_object *v;
	// Nothing is re-uploaded: no upload rate.
	json_object_object_get_ex(obj, "upload_mb_s", &v);
	assert_null(v);
	json_object_put(obj);

	write_file("upload.json", "{\"output\": {\"width\": 64, \"height\": 48}, \"layers\": [\n"
		" {\"image\": {\"solid\": [0, 1, 0, 1], \"width\": 256, \"height\": 256},\n"
		"  \"dst\": [0, 0, 64, 48], \"damage_every_frame\": [[0, 0, 256, 128]]}]}");
	run_tool(&run, "upload.json --frames 3 --stats -o upload.png");
	print_message("%s\n", last_line(run.out));
	obj = parse_stats(&run);
	json_object_object_get_ex(obj, "upload_call_mb_s", &v);
	assert_true(json_object_is_type(v, json_type_double));
	assert_true(json_object_get_double(v) > 0.0);
	// The GPU's rate, until the copies completed: Vulkan counts it (its
	// copies run in its own submissions), the others report null.
	json_object *renderer;
	json_object_object_get_ex(obj, "renderer", &renderer);
	bool vulkan = strcmp(json_object_get_string(renderer), "vulkan") == 0;
	json_object_object_get_ex(obj, "upload_mb_s", &v);
	if (vulkan) {
		assert_true(json_object_is_type(v, json_type_double));
		assert_true(json_object_get_double(v) > 0.0);
		// 3 frames of a 256x128 band of 4-byte pixels, by one path or the other.
		json_object *host, *cpu;
		assert_true(json_object_object_get_ex(obj, "upload_host_import_bytes", &host));
		assert_true(json_object_object_get_ex(obj, "upload_cpu_copied_bytes", &cpu));
		assert_int_equal(json_object_get_int64(host) + json_object_get_int64(cpu),
			3 * 256 * 128 * 4);
	} else {
		assert_null(v);
	}
	json_object_put(obj);
}

/* With the Vulkan renderer, --stats names the path the frames took (MOSAIC_VK_PATH). */
static void test_vulkan_path(void **state)
{
	const char *only = getenv("MOSAIC_RENDERER");
	if (only != NULL && strcmp(only, "pixman") == 0) {
		print_message("MOSAIC_RENDERER=pixman: this run leaves the Vulkan renderer out\n");
		skip();
	}
	write_file("path.json", "{\"output\": {\"width\": 64, \"height\": 48},\n"
		" \"clear\": [0, 0, 0, 1], \"layers\": [\n"
		" {\"image\": {\"solid\": [0, 1, 0, 1], \"width\": 16, \"height\": 16},\n"
		"  \"dst\": [4, 4, 40, 40], \"alpha\": 0.5}]}");
	static const char *const paths[] = { "graphics", "compute" };
	for (size_t i = 0; i < 2; i++) {
		setenv("MOSAIC_VK_PATH", paths[i], 1);
		struct run run;
		run_tool(&run, "path.json --frames 3 --stats --renderer vulkan");
		unsetenv("MOSAIC_VK_PATH");
		if (i == 0 && run.status != 0) {
			print_message("no Vulkan renderer here:\n%s\n", run.err);
			skip();
		}
		json_object *obj = parse_stats(&run);
		json_object *v;
		if (!json_object_object_get_ex(obj, "vulkan_path", &v)) {
			fail_msg("no vulkan_path in %s", last_line(run.out));
		}
		const char *got = json_object_get_string(v);
		print_message("MOSAIC_VK_PATH=%s: vulkan_path %s\n", paths[i], got);
		// A device without what the compute path needs says so in a WARN line.
		if (strcmp(got, paths[i]) != 0 && (i == 0 || strcmp(got, "graphics") != 0 ||
				strstr(run.err, "passes use the graphics path") == NULL)) {
			fail_msg("MOSAIC_VK_PATH=%s gave vulkan_path %s", paths[i], got);
		}
		json_object_put(obj);
	}
}

/* --per-draw lists the draws that touched the output; --heatmap writes the frame and a legend. */
static void test_per_draw_heatmap(void **state)
{
	write_file("draws.json", "{\"output\": {\"width\": 120, \"height\": 40},\n"
		" \"clear\": [0, 0, 0, 1], \"layers\": [\n"
		" {\"image\": {\"solid\": [0, 1, 0, 1], \"width\": 16, \"height\": 16},\n"
		"  \"dst\": [4, 4, 100, 30], \"alpha\": 0.5},\n"
		" {\"rect\": [200, 0, 10, 10], \"color\": [1, 0, 0, 1]},\n"
		" {\"rect\": [10, 10, 10, 10], \"color\": [1, 0, 0, 0.5]}]}");
	struct run run;
	// pixman measures no draws: --per-draw says so, --heatmap fails with one line.
	run_tool(&run, "draws.json --frames 3 --stats --per-draw --renderer pixman");
	json_object *obj = parse_stats(&run);
	json_object *v;
	assert_true(json_object_object_get_ex(obj, "draw_times", &v));
	assert_string_equal(json_object_get_string(v), "unsupported");
	json_object_put(obj);
	run_tool(&run, "draws.json --heatmap heat.png --renderer pixman");
	assert_int_equal(run.status, 1);
	assert_non_null(strstr(run.err, "cannot measure draws"));
	run_tool(&run, "draws.json --per-draw -o out.png");
	assert_int_equal(run.status, 2);

	const char *only = getenv("MOSAIC_RENDERER");
	if (only != NULL && strcmp(only, "pixman") == 0) {
		print_message("MOSAIC_RENDERER=pixman: this run leaves the Vulkan renderer out\n");
		skip();
	}
	run_tool(&run, "draws.json --frames 3 --stats --per-draw --heatmap heat.png "
		"--renderer vulkan");
	if (run.status != 0 && strstr(run.err, "could not start") != NULL) {
		print_message("no Vulkan renderer here:\n%s\n", run.err);
		skip();
	}
	print_message("%s\n", last_line(run.out));
	obj = parse_stats(&run);
	// Timestamps per draw on the graphics path, the dispatch shared out on the
	// compute path (the default on GPUs).
	json_object *vk_path;
	assert_true(json_object_object_get_ex(obj, "vulkan_path", &vk_path));
	assert_true(json_object_object_get_ex(obj, "draw_times", &v));
	assert_string_equal(json_object_get_string(v),
		strcmp(json_object_get_string(vk_path), "compute") == 0 ? "gpu-estimate" : "gpu");
	assert_true(json_object_object_get_ex(obj, "draws", &v));
	// The rect off the output is no draw.
	static const char *const names[] = { "clear", "layers[0]", "layers[2]" };
	assert_int_equal(json_object_array_length(v), 3);
	for (size_t i = 0; i < 3; i++) {
		json_object *d = json_object_array_get_idx(v, i), *f;
		assert_true(json_object_object_get_ex(d, "draw", &f));
		assert_string_equal(json_object_get_string(f), names[i]);
		assert_true(json_object_object_get_ex(d, "gpu_ms_median", &f));
		assert_true(json_object_get_double(f) >= 0.0);
	}
	json_object_put(obj);

	// The compute path measures tiles where the device has a shader clock
	// (lavapipe and the GPUs here do; tests/vulkan/test-draw-times.c checks
	// which): the last frame's grid covers the output.
	setenv("MOSAIC_VK_PATH", "compute", 1);
	run_tool(&run, "draws.json --frames 3 --stats --per-draw --renderer vulkan");
	unsetenv("MOSAIC_VK_PATH");
	obj = parse_stats(&run);
	assert_true(json_object_object_get_ex(obj, "vulkan_path", &vk_path));
	assert_true(json_object_object_get_ex(obj, "tiles", &v));
	if (strcmp(json_object_get_string(vk_path), "compute") != 0 || v == NULL) {
		print_message("no tile times: %s\n", last_line(run.out));
	} else {
		json_object *f;
		int size[4];
		static const char *const keys[4] = { "tile_width", "tile_height", "columns", "rows" };
		for (int i = 0; i < 4; i++) {
			assert_true(json_object_object_get_ex(v, keys[i], &f));
			size[i] = json_object_get_int(f);
			assert_true(size[i] > 0);
		}
		assert_true(size[2] * size[0] >= 120 && (size[2] - 1) * size[0] < 120);
		assert_true(size[3] * size[1] >= 40 && (size[3] - 1) * size[1] < 40);
		assert_true(json_object_object_get_ex(v, "gpu_ms_max", &f));
		assert_true(json_object_get_double(f) > 0.0);
	}
	json_object_put(obj);

	png_image png = { .version = PNG_IMAGE_VERSION };
	char path[512];
	snprintf(path, sizeof(path), "%s/heat.png", dir);
	assert_true(png_image_begin_read_from_file(&png, path));
	png.format = PNG_FORMAT_RGBA;
	// The frame, then the legend.
	assert_int_equal(png.width, 120);
	assert_true(png.height > 40);
	uint8_t *pixels = malloc(PNG_IMAGE_SIZE(png));
	assert_non_null(pixels);
	assert_true(png_image_finish_read(&png, NULL, pixels, 0, NULL));
	// The bar goes from blue to red; the frame under the draws is tinted.
	const uint8_t *left = &pixels[40 * 120 * 4], *right = &pixels[(40 * 120 + 119) * 4];
	assert_true(left[2] > left[0]);
	assert_true(right[0] > right[2]);
	const uint8_t *drawn = &pixels[(20 * 120 + 60) * 4];
	assert_true(drawn[2] > 0 || drawn[0] > 0);
	free(pixels);
}

static void test_png_is_straight_rgba(void **state)
{
	// Half-transparent red over a transparent ARGB8888 output.
	write_file("alpha.json", "{\"output\": {\"width\": 8, \"height\": 4, "
		"\"format\": \"ARGB8888\"},\n"
		" \"layers\": [{\"rect\": [2, 0, 4, 4], \"color\": [1, 0, 0, 0.5]}]}");
	struct run run;
	run_tool(&run, "alpha.json -o alpha.png --renderer pixman");
	assert_int_equal(run.status, 0);

	char path[512];
	snprintf(path, sizeof(path), "%s/alpha.png", dir);
	png_image png = { .version = PNG_IMAGE_VERSION };
	assert_true(png_image_begin_read_from_file(&png, path));
	assert_int_equal(png.width, 8);
	assert_int_equal(png.height, 4);
	png.format = PNG_FORMAT_RGBA;
	uint8_t pixels[8 * 4 * 4];
	assert_true(png_image_finish_read(&png, NULL, pixels, 0, NULL));
	// Outside the rect: transparent. Inside: red at alpha 128 (or 127), not 128,0,0.
	assert_int_equal(pixels[3], 0);
	const uint8_t *p = &pixels[(1 * 8 + 3) * 4];
	assert_int_equal(p[0], 255);
	assert_int_equal(p[1], 0);
	assert_int_equal(p[2], 0);
	assert_in_range(p[3], 127, 128);

	// The same on an output without alpha: opaque, red darkened by the black below.
	write_file("opaque.json", "{\"output\": {\"width\": 8, \"height\": 4},\n"
		" \"layers\": [{\"rect\": [2, 0, 4, 4], \"color\": [1, 0, 0, 0.5]}]}");
	run_tool(&run, "opaque.json -o opaque.png --renderer pixman");
	assert_int_equal(run.status, 0);
	snprintf(path, sizeof(path), "%s/opaque.png", dir);
	png = (png_image){ .version = PNG_IMAGE_VERSION };
	assert_true(png_image_begin_read_from_file(&png, path));
	png.format = PNG_FORMAT_RGBA;
	assert_true(png_image_finish_read(&png, NULL, pixels, 0, NULL));
	assert_int_equal(pixels[3], 255);
	assert_in_range(p[0], 127, 128);
	assert_int_equal(p[3], 255);
}

static void test_example_scenes(void **state)
{
	const char *root = getenv("MOSAIC_SOURCE_ROOT");
	if (root == NULL) {
		skip();
	}
	static const char *const scenes[] = { "desktop", "transforms", "upload" };
	for (size_t i = 0; i < sizeof(scenes) / sizeof(scenes[0]); i++) {
		char args[1024];
		snprintf(args, sizeof(args), "'%s/examples/scenes/%s.json' -o example.png "
			"--renderer pixman", root, scenes[i]);
		struct run run;
		run_tool(&run, args);
		if (run.status != 0 || run.err[0] != '\0') {
			fail_msg("%s.json: exit status %d, stderr:\n%s", scenes[i], run.status,
				run.err);
		}
	}
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s/mosaic-render-test-XXXXXX",
		getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-MOSAIC-RENDER\n", argv[0]);
		return 1;
	}
	// The tests run the tool from a scratch directory: make its path absolute.
	char *resolved = realpath(argv[1], NULL);
	if (resolved == NULL) {
		fprintf(stderr, "%s: cannot find %s\n", argv[0], argv[1]);
		return 1;
	}
	tool = resolved;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_trailing_text),
		cmocka_unit_test(test_missing_image),
		cmocka_unit_test(test_unknown_value),
		cmocka_unit_test(test_impossible_size),
		cmocka_unit_test(test_missing_key),
		cmocka_unit_test(test_missing_scene),
		cmocka_unit_test(test_per_draw_heatmap),
		cmocka_unit_test(test_escaped_file_text),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_vulkan_path),
		cmocka_unit_test(test_png_is_straight_rgba),
		cmocka_unit_test(test_example_scenes),
	};
	int failed = cmocka_run_group_tests(tests, setup, teardown);
	free(resolved);
	return failed;
}
