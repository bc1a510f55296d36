/*
 * Every fallible Vulkan call fails in turn. A scripted session (textures
 * from pixels, uploads with damage, passes into a GPU image and into shared
 * memory with rects, transformed and translucent textures, clips and both
 * blends, sync and async reads, destroys) first runs clean, counting the
 * calls of each entry point; then once for each entry point and each N of a
 * few (the first calls, the middle one, the last one), with the Nth call
 * failing: VK_ERROR_OUT_OF_HOST_MEMORY or _DEVICE_MEMORY where the call can
 * return them, VK_ERROR_DEVICE_LOST for submits and waits.
 *
 * For each run: no crash, each public call that fails logs exactly one
 * ERROR line; after a device loss the `lost` callback runs once, every later
 * call fails, and a new renderer draws correctly. With
 * MOSAIC_VK_VALIDATION=1 (the -validation variant) the layer also checks
 * that nothing is leaked or destroyed twice (its object tracker reports
 * live objects at vkDestroyDevice).
 *
 * Like test-vulkan-faults, this binary links the library's objects to reach
 * volk's function pointers. They are replaced once the renderer exists:
 * renderer creation itself is not swept (volk reloads them there).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <drm_fourcc.h>
#include <volk.h>

#include <mosaic/allocator.h>

#include "common.h"
#include "vulkan/vulkan_private.h"

enum fail_kind { FAIL_OOM_HOST, FAIL_OOM_DEVICE, FAIL_LOST };

/* The entry points swept, their error, and the real functions behind them. */
enum entry {
	E_ALLOCATE_MEMORY, E_CREATE_BUFFER, E_BIND_BUFFER_MEMORY, E_CREATE_IMAGE,
	E_BIND_IMAGE_MEMORY2, E_CREATE_IMAGE_VIEW, E_CREATE_SAMPLER, E_CREATE_DESCRIPTOR_POOL,
	E_ALLOCATE_DESCRIPTOR_SETS, E_CREATE_PIPELINE_LAYOUT, E_CREATE_GRAPHICS_PIPELINES,
	E_CREATE_SHADER_MODULE, E_CREATE_FRAMEBUFFER, E_CREATE_RENDER_PASS, E_CREATE_SEMAPHORE,
	E_CREATE_FENCE, E_MAP_MEMORY, E_BEGIN_COMMAND_BUFFER, E_END_COMMAND_BUFFER,
	E_QUEUE_SUBMIT, E_QUEUE_SUBMIT_OOM, E_WAIT_FOR_FENCES, E_GET_FENCE_STATUS,
	E_RESET_FENCES, E_RESET_COMMAND_POOL, E_ALLOCATE_COMMAND_BUFFERS, E_CREATE_COMMAND_POOL,
	E_CREATE_DESCRIPTOR_SET_LAYOUT, E_CREATE_QUERY_POOL, E_GET_QUERY_POOL_RESULTS,
	E_COUNT
};

static const struct {
	const char *name;
	enum fail_kind kind;
} entries[E_COUNT] = {
	[E_ALLOCATE_MEMORY] = { "vkAllocateMemory", FAIL_OOM_DEVICE },
	[E_CREATE_BUFFER] = { "vkCreateBuffer", FAIL_OOM_HOST },
	[E_BIND_BUFFER_MEMORY] = { "vkBindBufferMemory", FAIL_OOM_DEVICE },
	[E_CREATE_IMAGE] = { "vkCreateImage", FAIL_OOM_DEVICE },
	[E_BIND_IMAGE_MEMORY2] = { "vkBindImageMemory2", FAIL_OOM_DEVICE },
	[E_CREATE_IMAGE_VIEW] = { "vkCreateImageView", FAIL_OOM_HOST },
	[E_CREATE_SAMPLER] = { "vkCreateSampler", FAIL_OOM_HOST },
	[E_CREATE_DESCRIPTOR_POOL] = { "vkCreateDescriptorPool", FAIL_OOM_HOST },
	[E_ALLOCATE_DESCRIPTOR_SETS] = { "vkAllocateDescriptorSets", FAIL_OOM_HOST },
	[E_CREATE_PIPELINE_LAYOUT] = { "vkCreatePipelineLayout", FAIL_OOM_HOST },
	[E_CREATE_GRAPHICS_PIPELINES] = { "vkCreateGraphicsPipelines", FAIL_OOM_HOST },
	[E_CREATE_SHADER_MODULE] = { "vkCreateShaderModule", FAIL_OOM_HOST },
	[E_CREATE_FRAMEBUFFER] = { "vkCreateFramebuffer", FAIL_OOM_HOST },
	[E_CREATE_RENDER_PASS] = { "vkCreateRenderPass", FAIL_OOM_HOST },
	[E_CREATE_SEMAPHORE] = { "vkCreateSemaphore", FAIL_OOM_HOST },
	[E_CREATE_FENCE] = { "vkCreateFence", FAIL_OOM_HOST },
	[E_MAP_MEMORY] = { "vkMapMemory", FAIL_OOM_HOST },
	[E_BEGIN_COMMAND_BUFFER] = { "vkBeginCommandBuffer", FAIL_OOM_HOST },
	[E_END_COMMAND_BUFFER] = { "vkEndCommandBuffer", FAIL_OOM_DEVICE },
	[E_QUEUE_SUBMIT] = { "vkQueueSubmit", FAIL_LOST },
	[E_QUEUE_SUBMIT_OOM] = { "vkQueueSubmit (out of memory)", FAIL_OOM_DEVICE },
	[E_WAIT_FOR_FENCES] = { "vkWaitForFences", FAIL_LOST },
	[E_GET_FENCE_STATUS] = { "vkGetFenceStatus", FAIL_LOST },
	[E_RESET_FENCES] = { "vkResetFences", FAIL_OOM_DEVICE },
	[E_RESET_COMMAND_POOL] = { "vkResetCommandPool", FAIL_OOM_DEVICE },
	[E_ALLOCATE_COMMAND_BUFFERS] = { "vkAllocateCommandBuffers", FAIL_OOM_HOST },
	[E_CREATE_COMMAND_POOL] = { "vkCreateCommandPool", FAIL_OOM_HOST },
	[E_CREATE_DESCRIPTOR_SET_LAYOUT] = { "vkCreateDescriptorSetLayout", FAIL_OOM_HOST },
	[E_CREATE_QUERY_POOL] = { "vkCreateQueryPool", FAIL_OOM_HOST },
	[E_GET_QUERY_POOL_RESULTS] = { "vkGetQueryPoolResults", FAIL_LOST },
};

static struct {
	/* Calls of each entry point in this run. */
	int calls[E_COUNT];
	/* The entry point and the call (1-based) to fail; -1: none. */
	int fail_entry, fail_call;
	bool injected;
	/* After an injected VK_ERROR_DEVICE_LOST: the device stays lost. */
	bool lost;
} sweep;

static struct {
	PFN_vkAllocateMemory allocate_memory;
	PFN_vkCreateBuffer create_buffer;
	PFN_vkBindBufferMemory bind_buffer_memory;
	PFN_vkCreateImage create_image;
	PFN_vkBindImageMemory2 bind_image_memory2;
	PFN_vkCreateImageView create_image_view;
	PFN_vkCreateSampler create_sampler;
	PFN_vkCreateDescriptorPool create_descriptor_pool;
	PFN_vkAllocateDescriptorSets allocate_descriptor_sets;
	PFN_vkCreatePipelineLayout create_pipeline_layout;
	PFN_vkCreateGraphicsPipelines create_graphics_pipelines;
	PFN_vkCreateShaderModule create_shader_module;
	PFN_vkCreateFramebuffer create_framebuffer;
	PFN_vkCreateRenderPass create_render_pass;
	PFN_vkCreateSemaphore create_semaphore;
	PFN_vkCreateFence create_fence;
	PFN_vkMapMemory map_memory;
	PFN_vkBeginCommandBuffer begin_command_buffer;
	PFN_vkEndCommandBuffer end_command_buffer;
	PFN_vkQueueSubmit queue_submit;
	PFN_vkWaitForFences wait_for_fences;
	PFN_vkGetFenceStatus get_fence_status;
	PFN_vkResetFences reset_fences;
	PFN_vkResetCommandPool reset_command_pool;
	PFN_vkAllocateCommandBuffers allocate_command_buffers;
	PFN_vkCreateCommandPool create_command_pool;
	PFN_vkCreateDescriptorSetLayout create_descriptor_set_layout;
	PFN_vkCreateQueryPool create_query_pool;
	PFN_vkGetQueryPoolResults get_query_pool_results;
	PFN_vkDeviceWaitIdle device_wait_idle;
	PFN_vkQueueWaitIdle queue_wait_idle;
} real;

static VkResult error_of(enum fail_kind kind)
{
	switch (kind) {
	case FAIL_OOM_HOST:
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	case FAIL_OOM_DEVICE:
		return VK_ERROR_OUT_OF_DEVICE_MEMORY;
	case FAIL_LOST:
		break;
	}
	return VK_ERROR_DEVICE_LOST;
}

/*
 * Counts a call of `e` (and of `also`, another entry point backed by the same
 * function); true with the error in *res when this call fails.
 */
static bool inject2(enum entry e, int also, VkResult *res)
{
	bool fail = false;
	for (int i = 0; i < 2; i++) {
		int entry = i == 0 ? (int)e : also;
		if (entry < 0) {
			continue;
		}
		sweep.calls[entry]++;
		if (!sweep.injected && entry == sweep.fail_entry &&
				sweep.calls[entry] == sweep.fail_call) {
			sweep.injected = true;
			fail = true;
			*res = error_of(entries[entry].kind);
			if (*res == VK_ERROR_DEVICE_LOST) {
				sweep.lost = true;
			}
		}
	}
	return fail;
}

static bool inject(enum entry e, VkResult *res)
{
	return inject2(e, -1, res);
}

/* Entry points that report a lost device once it is lost. */
static bool lost(VkResult *res)
{
	if (sweep.lost) {
		*res = VK_ERROR_DEVICE_LOST;
		return true;
	}
	return false;
}

#define WRAP(field, entry, params, args) \
	static VKAPI_ATTR VkResult VKAPI_CALL wrap_##field params \
	{ \
		VkResult res; \
		if (inject(entry, &res)) { \
			return res; \
		} \
		return real.field args; \
	}

WRAP(allocate_memory, E_ALLOCATE_MEMORY, (VkDevice d, const VkMemoryAllocateInfo *i,
	const VkAllocationCallbacks *a, VkDeviceMemory *o), (d, i, a, o))
WRAP(create_buffer, E_CREATE_BUFFER, (VkDevice d, const VkBufferCreateInfo *i,
	const VkAllocationCallbacks *a, VkBuffer *o), (d, i, a, o))
WRAP(bind_buffer_memory, E_BIND_BUFFER_MEMORY, (VkDevice d, VkBuffer b, VkDeviceMemory m,
	VkDeviceSize off), (d, b, m, off))
WRAP(create_image, E_CREATE_IMAGE, (VkDevice d, const VkImageCreateInfo *i,
	const VkAllocationCallbacks *a, VkImage *o), (d, i, a, o))
WRAP(bind_image_memory2, E_BIND_IMAGE_MEMORY2, (VkDevice d, uint32_t n,
	const VkBindImageMemoryInfo *i), (d, n, i))
WRAP(create_image_view, E_CREATE_IMAGE_VIEW, (VkDevice d, const VkImageViewCreateInfo *i,
	const VkAllocationCallbacks *a, VkImageView *o), (d, i, a, o))
WRAP(create_sampler, E_CREATE_SAMPLER, (VkDevice d, const VkSamplerCreateInfo *i,
	const VkAllocationCallbacks *a, VkSampler *o), (d, i, a, o))
WRAP(create_descriptor_pool, E_CREATE_DESCRIPTOR_POOL, (VkDevice d,
	const VkDescriptorPoolCreateInfo *i, const VkAllocationCallbacks *a,
	VkDescriptorPool *o), (d, i, a, o))
WRAP(allocate_descriptor_sets, E_ALLOCATE_DESCRIPTOR_SETS, (VkDevice d,
	const VkDescriptorSetAllocateInfo *i, VkDescriptorSet *o), (d, i, o))
WRAP(create_pipeline_layout, E_CREATE_PIPELINE_LAYOUT, (VkDevice d,
	const VkPipelineLayoutCreateInfo *i, const VkAllocationCallbacks *a,
	VkPipelineLayout *o), (d, i, a, o))
WRAP(create_graphics_pipelines, E_CREATE_GRAPHICS_PIPELINES, (VkDevice d, VkPipelineCache c,
	uint32_t n, const VkGraphicsPipelineCreateInfo *i, const VkAllocationCallbacks *a,
	VkPipeline *o), (d, c, n, i, a, o))
WRAP(create_shader_module, E_CREATE_SHADER_MODULE, (VkDevice d,
	const VkShaderModuleCreateInfo *i, const VkAllocationCallbacks *a, VkShaderModule *o),
	(d, i, a, o))
WRAP(create_framebuffer, E_CREATE_FRAMEBUFFER, (VkDevice d, const VkFramebufferCreateInfo *i,
	const VkAllocationCallbacks *a, VkFramebuffer *o), (d, i, a, o))
WRAP(create_render_pass, E_CREATE_RENDER_PASS, (VkDevice d, const VkRenderPassCreateInfo *i,
	const VkAllocationCallbacks *a, VkRenderPass *o), (d, i, a, o))
WRAP(create_semaphore, E_CREATE_SEMAPHORE, (VkDevice d, const VkSemaphoreCreateInfo *i,
	const VkAllocationCallbacks *a, VkSemaphore *o), (d, i, a, o))
WRAP(create_fence, E_CREATE_FENCE, (VkDevice d, const VkFenceCreateInfo *i,
	const VkAllocationCallbacks *a, VkFence *o), (d, i, a, o))
WRAP(map_memory, E_MAP_MEMORY, (VkDevice d, VkDeviceMemory m, VkDeviceSize off,
	VkDeviceSize size, VkMemoryMapFlags f, void **o), (d, m, off, size, f, o))
WRAP(begin_command_buffer, E_BEGIN_COMMAND_BUFFER, (VkCommandBuffer cb,
	const VkCommandBufferBeginInfo *i), (cb, i))
WRAP(end_command_buffer, E_END_COMMAND_BUFFER, (VkCommandBuffer cb), (cb))
WRAP(reset_fences, E_RESET_FENCES, (VkDevice d, uint32_t n, const VkFence *f), (d, n, f))
WRAP(reset_command_pool, E_RESET_COMMAND_POOL, (VkDevice d, VkCommandPool p,
	VkCommandPoolResetFlags f), (d, p, f))
WRAP(allocate_command_buffers, E_ALLOCATE_COMMAND_BUFFERS, (VkDevice d,
	const VkCommandBufferAllocateInfo *i, VkCommandBuffer *o), (d, i, o))
WRAP(create_command_pool, E_CREATE_COMMAND_POOL, (VkDevice d,
	const VkCommandPoolCreateInfo *i, const VkAllocationCallbacks *a, VkCommandPool *o),
	(d, i, a, o))
WRAP(create_descriptor_set_layout, E_CREATE_DESCRIPTOR_SET_LAYOUT, (VkDevice d,
	const VkDescriptorSetLayoutCreateInfo *i, const VkAllocationCallbacks *a,
	VkDescriptorSetLayout *o), (d, i, a, o))
WRAP(create_query_pool, E_CREATE_QUERY_POOL, (VkDevice d, const VkQueryPoolCreateInfo *i,
	const VkAllocationCallbacks *a, VkQueryPool *o), (d, i, a, o))

static VKAPI_ATTR VkResult VKAPI_CALL wrap_queue_submit(VkQueue q, uint32_t n,
	const VkSubmitInfo *s, VkFence f)
{
	VkResult res;
	// Nothing reaches a lost device.
	if (inject2(E_QUEUE_SUBMIT, E_QUEUE_SUBMIT_OOM, &res) || lost(&res)) {
		return res;
	}
	return real.queue_submit(q, n, s, f);
}

static VKAPI_ATTR VkResult VKAPI_CALL wrap_wait_for_fences(VkDevice d, uint32_t n,
	const VkFence *f, VkBool32 all, uint64_t timeout)
{
	VkResult res;
	// Not waited on: what a lost device still has may never signal.
	if (inject(E_WAIT_FOR_FENCES, &res) || lost(&res)) {
		return res;
	}
	return real.wait_for_fences(d, n, f, all, timeout);
}

static VKAPI_ATTR VkResult VKAPI_CALL wrap_get_fence_status(VkDevice d, VkFence f)
{
	VkResult res;
	if (inject(E_GET_FENCE_STATUS, &res) || lost(&res)) {
		return res;
	}
	return real.get_fence_status(d, f);
}

static VKAPI_ATTR VkResult VKAPI_CALL wrap_get_query_pool_results(VkDevice d, VkQueryPool p,
	uint32_t first, uint32_t n, size_t size, void *data, VkDeviceSize stride,
	VkQueryResultFlags flags)
{
	VkResult res;
	if (inject(E_GET_QUERY_POOL_RESULTS, &res) || lost(&res)) {
		return res;
	}
	return real.get_query_pool_results(d, p, first, n, size, data, stride, flags);
}

/* The real waits happen (work submitted before the loss still runs), then the loss. */
static VKAPI_ATTR VkResult VKAPI_CALL wrap_device_wait_idle(VkDevice d)
{
	VkResult res = real.device_wait_idle(d);
	return sweep.lost ? VK_ERROR_DEVICE_LOST : res;
}

static VKAPI_ATTR VkResult VKAPI_CALL wrap_queue_wait_idle(VkQueue q)
{
	VkResult res = real.queue_wait_idle(q);
	return sweep.lost ? VK_ERROR_DEVICE_LOST : res;
}

/* Swaps volk's pointers with ours (install) or back (remove). */
#define SWAP(field, fn) \
	do { \
		if (install) { \
			real.field = fn; \
			fn = wrap_##field; \
		} else { \
			fn = real.field; \
		} \
	} while (0)

static void wrappers(bool install)
{
	SWAP(allocate_memory, vkAllocateMemory);
	SWAP(create_buffer, vkCreateBuffer);
	SWAP(bind_buffer_memory, vkBindBufferMemory);
	SWAP(create_image, vkCreateImage);
	SWAP(bind_image_memory2, vkBindImageMemory2);
	SWAP(create_image_view, vkCreateImageView);
	SWAP(create_sampler, vkCreateSampler);
	SWAP(create_descriptor_pool, vkCreateDescriptorPool);
	SWAP(allocate_descriptor_sets, vkAllocateDescriptorSets);
	SWAP(create_pipeline_layout, vkCreatePipelineLayout);
	SWAP(create_graphics_pipelines, vkCreateGraphicsPipelines);
	SWAP(create_shader_module, vkCreateShaderModule);
	SWAP(create_framebuffer, vkCreateFramebuffer);
	SWAP(create_render_pass, vkCreateRenderPass);
	SWAP(create_semaphore, vkCreateSemaphore);
	SWAP(create_fence, vkCreateFence);
	SWAP(map_memory, vkMapMemory);
	SWAP(begin_command_buffer, vkBeginCommandBuffer);
	SWAP(end_command_buffer, vkEndCommandBuffer);
	SWAP(queue_submit, vkQueueSubmit);
	SWAP(wait_for_fences, vkWaitForFences);
	SWAP(get_fence_status, vkGetFenceStatus);
	SWAP(reset_fences, vkResetFences);
	SWAP(reset_command_pool, vkResetCommandPool);
	SWAP(allocate_command_buffers, vkAllocateCommandBuffers);
	SWAP(create_command_pool, vkCreateCommandPool);
	SWAP(create_descriptor_set_layout, vkCreateDescriptorSetLayout);
	SWAP(create_query_pool, vkCreateQueryPool);
	SWAP(get_query_pool_results, vkGetQueryPoolResults);
	SWAP(device_wait_idle, vkDeviceWaitIdle);
	SWAP(queue_wait_idle, vkQueueWaitIdle);
}

/* What one run saw. */
struct run {
	int lost_calls;
	/* Public calls that failed, and those of them that logged other than one ERROR line. */
	int failed_calls, bad_logs;
	char first_bad[160];
	/* After a loss: mosaic_renderer_is_lost() and begin_pass refused. */
	bool lost_refuses;
};

static struct run *current;

static void on_lost(struct mosaic_renderer *renderer, void *data)
{
	((struct run *)data)->lost_calls++;
}

/*
 * Runs a public call: ok is its success. A failing call must have logged
 * exactly one ERROR line; a call that works, none.
 */
static bool checked(bool ok, int errors_before, const char *what)
{
	int lines = test_log.errors - errors_before;
	if (!ok) {
		current->failed_calls++;
	}
	if ((!ok && lines != 1) || (ok && lines != 0)) {
		if (current->bad_logs++ == 0) {
			snprintf(current->first_bad, sizeof(current->first_bad),
				"%s %s with %d ERROR lines", what, ok ? "worked" : "failed", lines);
		}
	}
	return ok;
}

#define CALL(ok_expr, what) \
	do { \
		int before_ = test_log.errors; \
		checked((ok_expr), before_, what); \
	} while (0)

#define W 96
#define H 64

/* The scripted session on `r`. */
static void session(struct mosaic_renderer *r, struct mosaic_allocator *gpu)
{
	static uint32_t pixels[3][W * H];
	for (int i = 0; i < 3; i++) {
		test_pattern(pixels[i], W, H, 7u + (uint32_t)i);
	}
	struct mosaic_texture *small = NULL, *large = NULL;
	int before;
	before = test_log.errors;
	small = mosaic_texture_from_pixels(r, W, H, DRM_FORMAT_ARGB8888, W * 4, pixels[0]);
	checked(small != NULL, before, "texture_from_pixels");
	static uint32_t big[700 * 500];
	before = test_log.errors;
	large = mosaic_texture_from_pixels(r, 700, 500, DRM_FORMAT_XRGB8888, 700 * 4, big);
	checked(large != NULL, before, "texture_from_pixels (large)");

	// An update with two damage rectangles, through the staging ring.
	if (small != NULL) {
		struct mosaic_buffer *update = mosaic_buffer_from_data(W, H, DRM_FORMAT_ARGB8888,
			W * 4, pixels[1]);
		pixman_region32_t damage;
		pixman_region32_init_rect(&damage, 0, 0, 20, 20);
		pixman_region32_union_rect(&damage, &damage, 50, 30, 40, 30);
		CALL(mosaic_texture_update_from_buffer(small, update, &damage), "update");
		pixman_region32_fini(&damage);
		mosaic_buffer_drop(update);
	}

	struct test_image shm;
	test_image_init(&shm, 160, 120, DRM_FORMAT_XRGB8888, 0xff000000);
	struct mosaic_buffer *target = NULL;
	if (gpu != NULL) {
		before = test_log.errors;
		target = mosaic_allocator_create_buffer(gpu, 160, 120, DRM_FORMAT_ARGB8888, NULL, 0);
		checked(target != NULL, before, "allocator_create_buffer");
	}
	struct mosaic_buffer *targets[2] = { target, shm.buffer };
	const float half = 0.5f;
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, 10, 10, 100, 60);
	pixman_region32_union_rect(&clip, &clip, 40, 50, 90, 60);
	uint64_t last_point = 0;
	for (int t = 0; t < 2; t++) {
		if (targets[t] == NULL) {
			continue;
		}
		for (int frame = 0; frame < 2; frame++) {
			before = test_log.errors;
			struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, targets[t], NULL);
			if (!checked(pass != NULL, before, "begin_pass")) {
				continue;
			}
			// Invalid options would be the caller's error: these are valid.
			mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
				.box = { 0, 0, 160, 120 }, .color = { 0.1f, 0.2f, 0.3f, 1 },
				.blend = MOSAIC_BLEND_NONE,
			});
			if (small != NULL) {
				mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
					.texture = small, .dst_box = { 5, 7, 64, 96 },
					.transform = MOSAIC_TRANSFORM_90, .alpha = &half, .clip = &clip,
					.filter = MOSAIC_FILTER_LINEAR,
				});
				mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
					.texture = small, .dst_box = { 80, 40, W, H },
					.filter = MOSAIC_FILTER_NEAREST, .blend = MOSAIC_BLEND_NONE,
				});
			}
			if (large != NULL) {
				mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
					.texture = large, .src_box = { 10.5, 20.25, 300, 200 },
					.dst_box = { 30, 30, 75, 50 }, .filter = MOSAIC_FILTER_LINEAR,
				});
			}
			struct mosaic_pass_completion done = { 0 };
			before = test_log.errors;
			if (checked(mosaic_pass_submit(pass, &done), before, "submit")) {
				last_point = done.point;
				if (done.sync_file_fd >= 0) {
					close(done.sync_file_fd);
				}
			}
		}
	}
	pixman_region32_fini(&clip);
	if (last_point != 0) {
		CALL(mosaic_renderer_wait_point(r, last_point, 5000000000), "wait_point");
	}

	// Reads: the GPU target through a texture, sync and async.
	if (target != NULL) {
		before = test_log.errors;
		struct mosaic_texture *view = mosaic_texture_from_buffer(r, target);
		if (checked(view != NULL, before, "texture_from_buffer")) {
			static uint32_t out[160 * 120];
			CALL(test_read_texture(view, out), "read_pixels");
			before = test_log.errors;
			struct mosaic_read_request *req = mosaic_texture_read_pixels_start(view,
				&(struct mosaic_read_pixels_options){
					.fourcc = DRM_FORMAT_ABGR8888, .stride = 160 * 4, .data = out,
				});
			if (checked(req != NULL, before, "read_pixels_start")) {
				CALL(mosaic_read_request_finish(req), "read_request_finish");
			}
			mosaic_texture_destroy(view);
		}
	}
	if (small != NULL) {
		static uint32_t out[W * H];
		CALL(test_read_texture(small, out), "read_pixels (texture)");
	}

	mosaic_texture_destroy(small);
	mosaic_texture_destroy(large);
	if (target != NULL) {
		mosaic_buffer_drop(target);
	}
	test_image_finish(&shm);
}

/* A renderer with the wrappers installed, a GPU allocator, and the session. */
static void run_session(struct run *run)
{
	memset(run, 0, sizeof(*run));
	current = run;
	memset(sweep.calls, 0, sizeof(sweep.calls));
	sweep.injected = sweep.lost = false;
	struct mosaic_renderer *r = test_vulkan_renderer();
	mosaic_renderer_set_lost_callback(r, on_lost, run);
	wrappers(true);
	int before = test_log.errors;
	struct mosaic_allocator *gpu = mosaic_renderer_create_gpu_allocator(r);
	checked(gpu != NULL, before, "create_gpu_allocator");
	session(r, gpu);
	if (sweep.lost) {
		// Lost for good: the renderer says so and refuses new work.
		run->lost_refuses = mosaic_renderer_is_lost(r);
		struct test_image img;
		test_image_init(&img, 8, 8, DRM_FORMAT_ARGB8888, 0);
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, img.buffer, NULL);
		if (pass != NULL) {
			run->lost_refuses = false;
			mosaic_pass_submit(pass, NULL);
		}
		test_image_finish(&img);
	}
	mosaic_allocator_destroy(gpu);
	mosaic_renderer_destroy(r);
	wrappers(false);
}

/* After a loss: a new renderer (no failures now) draws and reads back right. */
static void check_new_renderer(void)
{
	struct mosaic_renderer *r = test_vulkan_renderer();
	struct test_image img;
	test_image_init(&img, 16, 16, DRM_FORMAT_ARGB8888, 0);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, img.buffer, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, 16, 16 }, .color = { 1, 0, 0, 1 }, .blend = MOSAIC_BLEND_NONE,
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	if (done.sync_file_fd >= 0) {
		close(done.sync_file_fd);
	}
	assert_true(mosaic_renderer_wait_point(r, done.point, 5000000000));
	assert_int_equal(((uint32_t *)img.data)[5 * 16 + 5], 0xffff0000);
	test_image_finish(&img);
	mosaic_renderer_destroy(r);
}

static void test_sweep(void **state)
{
	// The clean run: how many calls of each entry point the session makes.
	sweep.fail_entry = -1;
	struct run run;
	test_log_reset();
	run_session(&run);
	assert_int_equal(run.failed_calls, 0);
	assert_int_equal(run.bad_logs, 0);
	assert_int_equal(test_log.validation, 0);
	int counts[E_COUNT];
	memcpy(counts, sweep.calls, sizeof(counts));

	int runs = 0, failures = 0;
	for (int e = 0; e < E_COUNT; e++) {
		int n = counts[e];
		int which[4] = { 1, 2, n / 2, n };
		for (int k = 0; k < 4; k++) {
			int call = which[k];
			bool dup = call < 1 || call > n;
			for (int j = 0; j < k; j++) {
				dup |= which[j] == call;
			}
			if (dup) {
				continue;
			}
			sweep.fail_entry = e;
			sweep.fail_call = call;
			test_log_reset();
			test_log.quiet_errors = true;
			run_session(&run);
			test_log.quiet_errors = false;
			runs++;
			bool bad = false;
			char why[256] = "";
			if (!sweep.injected) {
				// The session took another path this time: no failure, no check.
				continue;
			}
			if (run.bad_logs > 0) {
				snprintf(why, sizeof(why), "%s", run.first_bad);
				bad = true;
			} else if (test_log.validation > 0) {
				snprintf(why, sizeof(why), "%d validation messages", test_log.validation);
				bad = true;
			} else if (sweep.lost && !run.lost_refuses) {
				snprintf(why, sizeof(why), "the lost renderer still takes passes");
				bad = true;
			} else if (sweep.lost && run.lost_calls != 1) {
				snprintf(why, sizeof(why), "lost called %d times", run.lost_calls);
				bad = true;
			} else if (!sweep.lost && run.lost_calls != 0) {
				snprintf(why, sizeof(why), "lost called without a loss");
				bad = true;
			}
			if (bad) {
				failures++;
				print_message("%s call %d of %d failing: %s\n", entries[e].name, call, n,
					why);
			}
			if (sweep.lost) {
				check_new_renderer();
			}
		}
	}
	print_message("%d entry points, %d runs with one failing call, %d bad\n", E_COUNT, runs,
		failures);
	assert_int_equal(failures, 0);
}

int main(void)
{
	test_log_reset();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sweep),
	};
	return cmocka_run_group_tests_name("vulkan-fault-sweep", tests, NULL, NULL);
}
