/*
 * Renderer creation with each fallible Vulkan call failing in turn: instance
 * and device creation and the objects the renderer makes at start-up, which
 * test-vulkan-fault-sweep cannot reach (volk loads its pointers there). The
 * failures come from VK_LAYER_MOSAIC_fault (fault_layer.c), which the test
 * environment enables.
 *
 * A clean creation first counts the calls of each entry point; then for each
 * entry point and every N up to that count (at most the first 12 and the
 * last), the Nth call fails. Each time: no crash; either the renderer is
 * refused (NULL) with exactly one ERROR line, or it is made (the failure had
 * a fallback: an optional feature off) and draws right. Then a renderer made
 * with nothing failing draws right. Leaks: the ASan run and the validation
 * layer's object tracker (-validation) check them.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include "common.h"

static const char *const swept[] = {
	"vkCreateInstance", "vkEnumeratePhysicalDevices", "vkCreateDebugUtilsMessengerEXT",
	"vkGetPhysicalDeviceImageFormatProperties2", "vkCreateDevice", "vkAllocateMemory",
	"vkMapMemory", "vkBindBufferMemory", "vkBindImageMemory2", "vkCreateBuffer",
	"vkCreateImage", "vkCreateImageView", "vkCreateSampler", "vkCreateCommandPool",
	"vkAllocateCommandBuffers", "vkCreateFence", "vkCreateSemaphore",
	"vkCreatePipelineCache", "vkCreatePipelineLayout", "vkCreateDescriptorSetLayout",
	"vkCreateDescriptorPool", "vkAllocateDescriptorSets", "vkCreateShaderModule",
	"vkCreateGraphicsPipelines", "vkCreateComputePipelines", "vkCreateRenderPass",
	"vkCreateQueryPool", "vkCreateSamplerYcbcrConversion", "vkBeginCommandBuffer",
	"vkEndCommandBuffer", "vkQueueSubmit", "vkWaitForFences",
};

static void (*layer_arm)(const char *name, int n);
static int (*layer_calls)(void);
static bool (*layer_fired)(void);

static int setup(void **state)
{
	// Kept open, so that the layer's counters live across instances.
	void *layer = dlopen(FAULT_LAYER_PATH, RTLD_NOW);
	if (layer == NULL) {
		fprintf(stderr, "cannot load the fault layer: %s\n", dlerror());
		return -1;
	}
	layer_arm = (void (*)(const char *, int))dlsym(layer, "mosaic_fault_layer_arm");
	layer_calls = (int (*)(void))dlsym(layer, "mosaic_fault_layer_calls");
	layer_fired = (bool (*)(void))dlsym(layer, "mosaic_fault_layer_fired");
	if (layer_arm == NULL || layer_calls == NULL || layer_fired == NULL) {
		fprintf(stderr, "the fault layer lacks its control functions\n");
		return -1;
	}
	*state = layer;
	return 0;
}

/* A red rect into a CPU buffer, read back: the renderer works. */
static bool draws_right(struct mosaic_renderer *r)
{
	struct test_image img;
	test_image_init(&img, 16, 16, DRM_FORMAT_ARGB8888, 0);
	bool ok = false;
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, img.buffer, NULL);
	if (pass != NULL && mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, 16, 16 }, .color = { 1, 0, 0, 1 },
			.blend = MOSAIC_BLEND_NONE,
		})) {
		struct mosaic_pass_completion done;
		ok = mosaic_pass_submit(pass, &done);
		pass = NULL;
		if (ok && done.sync_file_fd >= 0) {
			close(done.sync_file_fd);
		}
		ok = ok && mosaic_renderer_wait_point(r, done.point, 5000000000);
		ok = ok && ((uint32_t *)img.data)[5 * (img.stride / 4) + 5] == 0xffff0000;
	}
	if (pass != NULL) {
		mosaic_pass_submit(pass, NULL);
	}
	test_image_finish(&img);
	return ok;
}

static void test_create_sweep(void **state)
{
	// The clean run: the layer is really in the chain, and creation works.
	test_log_reset();
	layer_arm("vkCreateDevice", 0);
	struct mosaic_renderer *r = test_vulkan_renderer();
	assert_int_equal(layer_calls(), 1);
	assert_true(draws_right(r));
	mosaic_renderer_destroy(r);
	assert_int_equal(test_log.errors, 0);

	int runs = 0, refused = 0, survived = 0, failures = 0;
	for (size_t e = 0; e < sizeof(swept) / sizeof(swept[0]); e++) {
		layer_arm(swept[e], 0);
		test_log_reset();
		r = mosaic_vulkan_renderer_create(-1);
		assert_non_null(r);
		int n = layer_calls();
		mosaic_renderer_destroy(r);
		for (int call = 1; call <= n; call++) {
			if (call > 12 && call != n) {
				continue;
			}
			// Said before the run, so that a crash shows where it was.
			print_message("%s: call %d of %d fails\n", swept[e], call, n);
			layer_arm(swept[e], call);
			test_log_reset();
			test_log.quiet_errors = true;
			r = mosaic_vulkan_renderer_create(-1);
			bool fired = layer_fired();
			int errors = test_log.errors;
			bool works = r != NULL && draws_right(r);
			test_log.quiet_errors = false;
			mosaic_renderer_destroy(r);
			if (!fired) {
				// Creation took another path this time: nothing to check.
				continue;
			}
			runs++;
			char why[128] = "";
			if (r == NULL && errors != 1) {
				snprintf(why, sizeof(why), "refused with %d ERROR lines", errors);
			} else if (r != NULL && !works) {
				snprintf(why, sizeof(why), "made, but does not draw right");
			} else if (test_log.validation > 0) {
				snprintf(why, sizeof(why), "%d validation messages", test_log.validation);
			}
			refused += r == NULL;
			survived += r != NULL;
			if (why[0] != '\0') {
				failures++;
				print_message("%s call %d of %d failing: %s\n", swept[e], call, n, why);
			}
		}
	}
	// Nothing armed: a renderer made now works.
	layer_arm("", 0);
	test_log_reset();
	r = test_vulkan_renderer();
	assert_true(draws_right(r));
	mosaic_renderer_destroy(r);
	print_message("%zu entry points, %d runs with one failing call: %d refused, %d made "
		"anyway, %d bad\n", sizeof(swept) / sizeof(swept[0]), runs, refused, survived,
		failures);
	assert_true(runs > 0);
	assert_int_equal(failures, 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_sweep),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
