/*
 * Vulkan calls that fail, injected: this binary is linked with the
 * library's objects rather than the shared library, so that it can replace
 * volk's function pointers (vkCreateBuffer, ...) with ones that fail the
 * next call. After each failure the renderer must go on working, and free
 * nothing twice (destroys and frees are checked against what was created).
 */
#include <fcntl.h>
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

/* Handles created while the wrappers are installed, and whether they are still alive. */
struct handle_set {
	uint64_t handles[1024];
	bool alive[1024];
	size_t n;
};

static struct {
	PFN_vkCreateBuffer create_buffer;
	PFN_vkDestroyBuffer destroy_buffer;
	PFN_vkAllocateMemory allocate_memory;
	PFN_vkFreeMemory free_memory;
	PFN_vkBindBufferMemory bind_buffer_memory;
	PFN_vkImportSemaphoreFdKHR import_semaphore_fd;
	PFN_vkBeginCommandBuffer begin_command_buffer;
	/* Calls to let through before failing one (-1: never fail). */
	int create_buffer_ok, allocate_memory_ok, bind_buffer_memory_ok;
	int import_semaphore_fd_ok, begin_command_buffer_ok;
	/* Imports that do not fail succeed without the driver (which has no sync_file import). */
	bool fake_imports;
	int injected;
	struct handle_set buffers, memories;
	/* Destroys or frees of a handle made here and already destroyed (not passed on). */
	int double_destroys;
} fault;

static bool should_fail(int *ok)
{
	if (*ok < 0) {
		return false;
	}
	if ((*ok)-- == 0) {
		fault.injected++;
		return true;
	}
	return false;
}

static void set_add(struct handle_set *set, uint64_t handle)
{
	for (size_t i = 0; i < set->n; i++) {
		if (set->handles[i] == handle) {
			set->alive[i] = true;
			return;
		}
	}
	assert_true(set->n < sizeof(set->handles) / sizeof(set->handles[0]));
	set->handles[set->n] = handle;
	set->alive[set->n++] = true;
}

/* False (and counted) for a handle made here and already gone. */
static bool set_remove(struct handle_set *set, uint64_t handle)
{
	for (size_t i = 0; i < set->n; i++) {
		if (set->handles[i] == handle) {
			if (!set->alive[i]) {
				fprintf(stderr, "handle %#llx destroyed twice\n",
					(unsigned long long)handle);
				fault.double_destroys++;
				return false;
			}
			set->alive[i] = false;
		}
	}
	return true;
}

static VKAPI_ATTR VkResult VKAPI_CALL wrap_create_buffer(VkDevice dev,
	const VkBufferCreateInfo *info, const VkAllocationCallbacks *alloc, VkBuffer *out)
{
	if (should_fail(&fault.create_buffer_ok)) {
		return VK_ERROR_OUT_OF_DEVICE_MEMORY;
	}
	VkResult res = fault.create_buffer(dev, info, alloc, out);
	if (res == VK_SUCCESS) {
		set_add(&fault.buffers, (uint64_t)*out);
	}
	return res;
}

static VKAPI_ATTR void VKAPI_CALL wrap_destroy_buffer(VkDevice dev, VkBuffer buffer,
	const VkAllocationCallbacks *alloc)
{
	if (buffer != VK_NULL_HANDLE && set_remove(&fault.buffers, (uint64_t)buffer)) {
		fault.destroy_buffer(dev, buffer, alloc);
	}
}

static VKAPI_ATTR VkResult VKAPI_CALL wrap_allocate_memory(VkDevice dev,
	const VkMemoryAllocateInfo *info, const VkAllocationCallbacks *alloc, VkDeviceMemory *out)
{
	if (should_fail(&fault.allocate_memory_ok)) {
		return VK_ERROR_OUT_OF_DEVICE_MEMORY;
	}
	VkResult res = fault.allocate_memory(dev, info, alloc, out);
	if (res == VK_SUCCESS) {
		set_add(&fault.memories, (uint64_t)*out);
	}
	return res;
}

static VKAPI_ATTR void VKAPI_CALL wrap_free_memory(VkDevice dev, VkDeviceMemory memory,
	const VkAllocationCallbacks *alloc)
{
	if (memory != VK_NULL_HANDLE && set_remove(&fault.memories, (uint64_t)memory)) {
		fault.free_memory(dev, memory, alloc);
	}
}

static VKAPI_ATTR VkResult VKAPI_CALL wrap_bind_buffer_memory(VkDevice dev, VkBuffer buffer,
	VkDeviceMemory memory, VkDeviceSize offset)
{
	if (should_fail(&fault.bind_buffer_memory_ok)) {
		return VK_ERROR_OUT_OF_DEVICE_MEMORY;
	}
	return fault.bind_buffer_memory(dev, buffer, memory, offset);
}

static VKAPI_ATTR VkResult VKAPI_CALL wrap_import_semaphore_fd(VkDevice dev,
	const VkImportSemaphoreFdInfoKHR *info)
{
	if (should_fail(&fault.import_semaphore_fd_ok)) {
		return VK_ERROR_INVALID_EXTERNAL_HANDLE;
	}
	if (fault.fake_imports) {
		// A successful import owns the fd.
		close(info->fd);
		return VK_SUCCESS;
	}
	return fault.import_semaphore_fd(dev, info);
}

static VKAPI_ATTR VkResult VKAPI_CALL wrap_begin_command_buffer(VkCommandBuffer cb,
	const VkCommandBufferBeginInfo *info)
{
	if (should_fail(&fault.begin_command_buffer_ok)) {
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	}
	return fault.begin_command_buffer(cb, info);
}

/* Installs the wrappers; nothing fails until a countdown is set. */
static void faults_install(void)
{
	memset(&fault, 0, sizeof(fault));
	fault.create_buffer_ok = fault.allocate_memory_ok = fault.bind_buffer_memory_ok = -1;
	fault.import_semaphore_fd_ok = fault.begin_command_buffer_ok = -1;
	fault.create_buffer = vkCreateBuffer;
	fault.destroy_buffer = vkDestroyBuffer;
	fault.allocate_memory = vkAllocateMemory;
	fault.free_memory = vkFreeMemory;
	fault.bind_buffer_memory = vkBindBufferMemory;
	fault.import_semaphore_fd = vkImportSemaphoreFdKHR;
	fault.begin_command_buffer = vkBeginCommandBuffer;
	vkCreateBuffer = wrap_create_buffer;
	vkDestroyBuffer = wrap_destroy_buffer;
	vkAllocateMemory = wrap_allocate_memory;
	vkFreeMemory = wrap_free_memory;
	vkBindBufferMemory = wrap_bind_buffer_memory;
	vkImportSemaphoreFdKHR = wrap_import_semaphore_fd;
	vkBeginCommandBuffer = wrap_begin_command_buffer;
}

static void faults_remove(void)
{
	vkCreateBuffer = fault.create_buffer;
	vkDestroyBuffer = fault.destroy_buffer;
	vkAllocateMemory = fault.allocate_memory;
	vkFreeMemory = fault.free_memory;
	vkBindBufferMemory = fault.bind_buffer_memory;
	vkImportSemaphoreFdKHR = fault.import_semaphore_fd;
	vkBeginCommandBuffer = fault.begin_command_buffer;
}

static int setup(void **state)
{
	test_setup(state);
	faults_install();
	return 0;
}

static int teardown(void **state)
{
	// The renderer's own teardown is checked too.
	mosaic_renderer_destroy(*state);
	faults_remove();
	if (fault.double_destroys > 0) {
		fprintf(stderr, "%d handles destroyed twice\n", fault.double_destroys);
		return -1;
	}
	if (test_log.validation > 0) {
		fprintf(stderr, "%d validation messages\n", test_log.validation);
		return -1;
	}
	return 0;
}

static bool read_box(struct mosaic_texture *tex, struct mosaic_box box, uint32_t *out)
{
	return mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.src_box = box,
		.fourcc = DRM_FORMAT_ARGB8888,
		.stride = (uint32_t)box.width * 4,
		.data = out,
	});
}

/*
 * A read whose readback buffer cannot be made fails; it must leave nothing
 * behind that the next read would take for its readback memory.
 */
static void test_read_after_failed_buffer(void **state)
{
	struct mosaic_renderer *r = *state;
	enum { W = 128, H = 128 };
	uint32_t *pixels = malloc(W * H * 4), *out = malloc(W * H * 4);
	test_pattern(pixels, W, H, 7);
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, W, H,
		DRM_FORMAT_ARGB8888, W * 4, pixels);
	assert_non_null(tex);
	// A small read: a small readback buffer is kept for the next one.
	assert_true(read_box(tex, (struct mosaic_box){ 0, 0, 32, 32 }, out));
	for (int y = 0; y < 32; y++) {
		assert_memory_equal(out + y * 32, pixels + y * W, 32 * 4);
	}
	// The whole texture needs a larger one, and making it fails.
	fault.create_buffer_ok = 0;
	test_log.quiet_errors = true;
	assert_false(test_read_texture(tex, out));
	test_log.quiet_errors = false;
	assert_int_equal(fault.injected, 1);
	for (int i = 0; i < 2; i++) {
		memset(out, 0, W * H * 4);
		assert_true(test_read_texture(tex, out));
		assert_memory_equal(out, pixels, W * H * 4);
	}
	mosaic_texture_destroy(tex);
	free(pixels);
	free(out);
}

static void fill_shm(struct mosaic_buffer *buffer, const uint32_t *pixels)
{
	void *data;
	uint32_t fourcc, stride;
	assert_true(mosaic_buffer_begin_data_access(buffer, MOSAIC_BUFFER_DATA_ACCESS_WRITE, &data,
		&fourcc, &stride));
	for (int y = 0; y < buffer->height; y++) {
		memcpy((uint8_t *)data + (size_t)y * stride, pixels + y * buffer->width,
			(size_t)buffer->width * 4);
	}
	mosaic_buffer_end_data_access(buffer);
}

/*
 * Imports of shared memory that fail half-way (memory allocation, then
 * binding): the upload goes through the staging ring instead, and when the
 * buffer goes, its cached failed import destroys nothing a second time.
 */
static void test_host_import_fails(void **state)
{
	struct mosaic_renderer *r = *state;
	if (!(mosaic_renderer_get_features(r) & MOSAIC_FEATURE_HOST_POINTER_IMPORT)) {
		printf("no VK_EXT_external_memory_host import of shared memory: nothing to test\n");
		skip();
	}
	enum { W = 96, H = 64 };
	uint32_t *pixels = malloc(W * H * 4), *out = malloc(W * H * 4);
	test_pattern(pixels, W, H, 1);
	struct mosaic_texture *tex = mosaic_texture_from_pixels(r, W, H,
		DRM_FORMAT_ARGB8888, W * 4, pixels);
	assert_non_null(tex);
	struct mosaic_allocator *alloc = mosaic_shm_allocator_create();
	for (int step = 0; step < 2; step++) {
		struct mosaic_buffer *buf = mosaic_allocator_create_buffer(alloc, W, H,
			DRM_FORMAT_ARGB8888, NULL, 0);
		assert_non_null(buf);
		test_pattern(pixels, W, H, 10 + (uint32_t)step);
		fill_shm(buf, pixels);
		// The first call of the import fails: its memory, then its binding.
		fault.injected = 0;
		if (step == 0) {
			fault.allocate_memory_ok = 0;
		} else {
			fault.bind_buffer_memory_ok = 0;
		}
		pixman_region32_t all;
		pixman_region32_init_rect(&all, 0, 0, W, H);
		test_log.quiet_errors = true;
		assert_true(mosaic_texture_update_from_buffer(tex, buf, &all));
		test_log.quiet_errors = false;
		pixman_region32_fini(&all);
		assert_int_equal(fault.injected, 1);
		assert_true(test_read_texture(tex, out));
		assert_memory_equal(out, pixels, W * H * 4);
		// Destroys the cached import.
		mosaic_buffer_drop(buf);
		assert_int_equal(fault.double_destroys, 0);
	}
	mosaic_allocator_destroy(alloc);
	mosaic_texture_destroy(tex);
	free(pixels);
	free(out);
}

/*
 * A pass whose command buffer cannot be begun fails to begin and leaves the
 * frame as it found it: no command buffer begun with its commands, no
 * sync_file wait and no timer left for the next pass, which draws and
 * measures as if nothing had happened. sync_files that have signaled
 * already (the core polls them first) cost the frame no semaphore at all.
 * Where the device cannot export sync_files, /dev/null stands in for a
 * signaled one (poll() reports it readable).
 */
static void test_begin_pass_fails(void **state)
{
	struct mosaic_renderer *r = *state;
	uint64_t features = mosaic_renderer_get_features(r);
	struct vk_renderer *vr = vk_renderer_from_base(r);
	enum { W = 16, H = 16 };
	struct mosaic_buffer *target = mosaic_vulkan_buffer_create(r, W, H, DRM_FORMAT_XRGB8888);
	assert_non_null(target);
	bool real = (features & MOSAIC_FEATURE_SYNC_FILE_EXPORT) &&
		(features & MOSAIC_FEATURE_SYNC_FILE_IMPORT);
	int fd = -1;
	if (real) {
		struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target,
			&(struct mosaic_pass_options){ .signal_sync_file = true });
		assert_non_null(pass);
		struct mosaic_pass_completion done;
		assert_true(mosaic_pass_submit(pass, &done));
		fd = done.sync_file_fd;
	} else {
		printf("no sync_file import: imports that do not fail are faked\n");
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	assert_true(fd >= 0);
	struct mosaic_render_timer *timer = (features & MOSAIC_FEATURE_GPU_TIMERS) ?
		mosaic_render_timer_create(r) : NULL;
	int fds[2] = { fd, fd };
	uint32_t *out = malloc(W * H * 4);
	for (int step = 0; step < 2; step++) {
		fault.injected = 0;
		if (step == 0) {
			// Signaled fences: the pass begins and waits for nothing.
			struct mosaic_pass *waiting = mosaic_renderer_begin_pass(r, target,
				&(struct mosaic_pass_options){
					.wait_sync_files = fds,
					.n_wait_sync_files = 2,
				});
			assert_non_null(waiting);
			assert_int_equal(vr->current->n_waits, 0);
			struct mosaic_pass_completion first;
			assert_true(mosaic_pass_submit(waiting, &first));
			assert_true(mosaic_renderer_wait_point(r, first.point, -1));
		} else {
			fault.begin_command_buffer_ok = 0;
			test_log.quiet_errors = true;
			assert_null(mosaic_renderer_begin_pass(r, target,
				&(struct mosaic_pass_options){
					.wait_sync_files = fds,
					.n_wait_sync_files = 2,
					.timer = timer,
				}));
			test_log.quiet_errors = false;
			assert_int_equal(fault.injected, 1);
			struct vk_frame *frame = vr->current;
			if (frame != NULL) {
				assert_int_equal(frame->n_waits, 0);
				assert_false(frame->render_open);
				assert_null(frame->timer);
			}
		}

		struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target,
			&(struct mosaic_pass_options){ .timer = timer });
		assert_non_null(pass);
		float blue = step == 0 ? 1.0f : 0.2f;
		assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
			.box = { 0, 0, W, H }, .color = { 0, 0, blue, 1 },
		}));
		struct mosaic_pass_completion second;
		assert_true(mosaic_pass_submit(pass, &second));
		if (second.sync_file_fd >= 0) {
			close(second.sync_file_fd);
		}
		assert_true(mosaic_renderer_wait_point(r, second.point, -1));
		if (timer != NULL) {
			assert_true(mosaic_render_timer_get_duration_ns(timer) >= 0);
		}
		struct mosaic_texture *result = mosaic_texture_from_buffer(r, target);
		assert_non_null(result);
		assert_true(test_read_texture(result, out));
		for (int i = 0; i < W * H; i++) {
			assert_int_equal(out[i], step == 0 ? 0xff0000ff : 0xff000033);
		}
		mosaic_texture_destroy(result);
	}
	close(fd);
	mosaic_render_timer_destroy(timer);
	mosaic_buffer_drop(target);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_after_failed_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_import_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_pass_fails, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
