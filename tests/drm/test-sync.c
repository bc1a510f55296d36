/*
 * The renderer's DRM device and implicit sync, with real DRM nodes (the DRM
 * test VM: card0 = vkms, card1 = vgem).
 *
 * - A renderer knows its DRM device: Vulkan asked for on card0, where only
 *   lavapipe (no DRM node of its own) exists, starts and names card0;
 *   linux-dmabuf and the allocator then work without more arguments, and
 *   mosaic-nested starts that way. GLES on card0 lists LINEAR dmabufs.
 * - Implicit sync in: a client buffer (a GBM buffer of card0) gets an
 *   unsignaled write fence through vgem (DRM_IOCTL_VGEM_FENCE_ATTACH on its
 *   PRIME import: vgem shares the dma-buf's reservation object); a producer
 *   thread writes new pixels after a delay, then signals. The frame must
 *   show the new pixels.
 * - Implicit sync out: after a pass into a GBM dmabuf, the fence that
 *   DMA_BUF_IOCTL_EXPORT_SYNC_FILE returns for its readers signals only once
 *   the frame is complete: the pixels are final when poll says so.
 * - A fence that never signals (vgem signals it by itself after 10 s)
 *   delays a pass by the pass's CPU wait bound, with one WARN line.
 *
 * Exits 77 with one line without card0 and a vgem card1.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/dma-buf.h>
#include <xf86drm.h>

#if TEST_SYNC_HAS_WAYLAND
#include <wayland-server-core.h>

#include <mosaic/wayland.h>
#endif

#include "drm-test.h"

/*
 * include/uapi/drm/vgem_drm.h (Linux 4.10 and later), which libdrm does not
 * install: a fence on a vgem object, signaled by DRM_IOCTL_VGEM_FENCE_SIGNAL
 * or by the kernel after 10 s.
 */
struct drm_vgem_fence_attach {
	uint32_t handle;
	uint32_t flags;
	uint32_t out_fence;
	uint32_t pad;
};
struct drm_vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};
#define VGEM_FENCE_WRITE 0x1
#define DRM_IOCTL_VGEM_FENCE_ATTACH DRM_IOWR(DRM_COMMAND_BASE + 0x1, \
	struct drm_vgem_fence_attach)
#define DRM_IOCTL_VGEM_FENCE_SIGNAL DRM_IOW(DRM_COMMAND_BASE + 0x2, \
	struct drm_vgem_fence_signal)

#define CARD "/dev/dri/card0"
#define VGEM "/dev/dri/card1"

#define RED 0xffff0000u
#define GREEN 0xff00ff00u

static int card_fd = -1;
static int vgem_fd = -1;
static int n_wait_warnings;

static void log_handler(enum mosaic_log level, const char *msg, void *user_data)
{
	if (level == MOSAIC_LOG_WARN && strstr(msg, "did not signal within") != NULL) {
		n_wait_warnings++;
	}
	test_log_handler(level, msg, user_data);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A linear XRGB8888 GBM buffer of card0, filled with `color`; its mapping in *map. */
static struct mosaic_buffer *card_buffer(int size, uint32_t color, uint32_t **map,
	uint32_t *stride)
{
	struct mosaic_allocator *alloc = mosaic_gbm_allocator_create(card_fd);
	assert_non_null(alloc);
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	struct mosaic_buffer *buffer = mosaic_allocator_create_buffer(alloc, size, size,
		DRM_FORMAT_XRGB8888, &linear, 1);
	mosaic_allocator_destroy(alloc);
	assert_non_null(buffer);
	struct mosaic_dmabuf_attributes a;
	assert_true(mosaic_buffer_get_dmabuf(buffer, &a));
	*stride = a.stride[0];
	size_t bytes = (size_t)a.stride[0] * (size_t)size + a.offset[0];
	void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd[0], 0);
	assert_true(m != MAP_FAILED);
	*map = (uint32_t *)((char *)m + a.offset[0]);
	for (int y = 0; y < size; y++) {
		for (int x = 0; x < size; x++) {
			(*map)[(size_t)y * (a.stride[0] / 4) + (size_t)x] = color;
		}
	}
	return buffer;
}

/* An unsignaled write fence on the buffer's dma-buf (through its vgem import). */
static uint32_t attach_fence(struct mosaic_buffer *buffer)
{
	struct mosaic_dmabuf_attributes a;
	assert_true(mosaic_buffer_get_dmabuf(buffer, &a));
	uint32_t handle;
	assert_int_equal(drmPrimeFDToHandle(vgem_fd, a.fd[0], &handle), 0);
	struct drm_vgem_fence_attach attach = { .handle = handle, .flags = VGEM_FENCE_WRITE };
	assert_int_equal(drmIoctl(vgem_fd, DRM_IOCTL_VGEM_FENCE_ATTACH, &attach), 0);
	return attach.out_fence;
}

static void signal_fence(uint32_t fence)
{
	struct drm_vgem_fence_signal sig = { .fence = fence };
	assert_int_equal(drmIoctl(vgem_fd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig), 0);
}

/* The fence readers of the buffer's dma-buf wait for (its write fences). */
static int readers_fence(struct mosaic_buffer *buffer)
{
	struct mosaic_dmabuf_attributes a;
	assert_true(mosaic_buffer_get_dmabuf(buffer, &a));
	struct dma_buf_export_sync_file req = { .flags = DMA_BUF_SYNC_READ, .fd = -1 };
	assert_int_equal(drmIoctl(a.fd[0], DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &req), 0);
	return req.fd;
}

static bool is_signaled(int sync_file, int timeout_ms)
{
	struct pollfd pfd = { .fd = sync_file, .events = POLLIN };
	return poll(&pfd, 1, timeout_ms) == 1;
}

static struct mosaic_renderer *renderer_on_card(enum mosaic_backend backend)
{
	return mosaic_renderer_create(&(struct mosaic_renderer_options){
		.backend = backend,
		.drm_fd = card_fd,
	});
}

/* The pixel at x,y of a CPU buffer. */
static uint32_t shm_pixel(struct mosaic_buffer *buffer, int x, int y)
{
	void *data;
	uint32_t fourcc, stride;
	assert_true(mosaic_buffer_begin_data_access(buffer, MOSAIC_BUFFER_DATA_ACCESS_READ, &data,
		&fourcc, &stride));
	uint32_t p = ((uint32_t *)((char *)data + (size_t)y * stride))[x];
	mosaic_buffer_end_data_access(buffer);
	return p | 0xff000000u;
}

/* mosaic_allocator_autocreate() with the renderer's own device makes buffers of `caps`. */
static void check_allocator(struct mosaic_renderer *r, uint32_t caps)
{
	struct mosaic_allocator *alloc = mosaic_allocator_autocreate(r, -1);
	assert_non_null(alloc);
	print_message("%s: allocator caps 0x%x\n", mosaic_backend_name(
		mosaic_renderer_get_backend(r)), mosaic_allocator_get_buffer_caps(alloc));
	assert_int_equal(mosaic_allocator_get_buffer_caps(alloc), caps);
	mosaic_allocator_destroy(alloc);
}

/* GLES draws into GBM buffers, pixman into dumb buffers: what each declares. */
static void test_allocator_choice(void **state)
{
	struct mosaic_renderer *r = renderer_on_card(MOSAIC_BACKEND_GLES);
	if (r != NULL) {
		check_allocator(r, MOSAIC_BUFFER_CAP_DMABUF);
		mosaic_renderer_destroy(r);
	}
	r = renderer_on_card(MOSAIC_BACKEND_PIXMAN);
	assert_non_null(r);
	check_allocator(r, MOSAIC_BUFFER_CAP_DATA_PTR | MOSAIC_BUFFER_CAP_DMABUF);
	mosaic_renderer_destroy(r);
}

static void test_vulkan_names_card(void **state)
{
	struct stat card;
	assert_int_equal(fstat(card_fd, &card), 0);
	struct mosaic_renderer *r = renderer_on_card(MOSAIC_BACKEND_VULKAN);
	if (r == NULL) {
		skip();
	}
	print_message("vulkan on %s: %s\n", CARD, mosaic_renderer_get_device_name(r));
	int fd = mosaic_renderer_get_drm_fd(r);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_rdev == card.st_rdev);
	// GBM on the named card where the renderer draws into dmabufs; else shared memory.
	bool dmabuf_targets = mosaic_renderer_get_render_formats(r,
		MOSAIC_BUFFER_CAP_DMABUF)->n_formats > 0;
	check_allocator(r, dmabuf_targets ? MOSAIC_BUFFER_CAP_DMABUF :
		MOSAIC_BUFFER_CAP_DATA_PTR | MOSAIC_BUFFER_CAP_SHM);
#if TEST_SYNC_HAS_WAYLAND
	struct wl_display *display = wl_display_create();
	assert_non_null(display);
	assert_non_null(mosaic_linux_dmabuf_v1_create(display, r));
	wl_display_destroy(display);
#endif
	mosaic_renderer_destroy(r);
}

/* Before the fix it exited at once: "no Vulkan device matches the DRM device 226:0". */
static void test_nested_vulkan_on_card(void **state)
{
#ifdef MOSAIC_NESTED_PATH
	struct mosaic_renderer *r = renderer_on_card(MOSAIC_BACKEND_VULKAN);
	if (r == NULL) {
		skip();
	}
	mosaic_renderer_destroy(r);
	char dir[] = "/tmp/mosaic-sync-XXXXXX";
	assert_non_null(mkdtemp(dir));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("XDG_RUNTIME_DIR", dir, 1);
		unsetenv("WAYLAND_DISPLAY");
		execl(MOSAIC_NESTED_PATH, MOSAIC_NESTED_PATH, "--headless", "--renderer",
			"vulkan", "--drm-device", CARD, "--size", "64x64", (char *)NULL);
		_exit(127);
	}
	// Still serving after 10 s: it started and runs.
	int status = 0;
	pid_t ret = 0;
	for (int i = 0; i < 100 && ret == 0; i++) {
		usleep(100000);
		ret = waitpid(pid, &status, WNOHANG);
	}
	if (ret == pid) {
		fail_msg("mosaic-nested --renderer vulkan --drm-device %s exited (status 0x%x)",
			CARD, status);
	}
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	print_message("mosaic-nested ran 10 s with vulkan on %s; status after SIGTERM 0x%x\n",
		CARD, status);
	assert_true((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
		(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM));
	rmdir(dir);
#else
	skip();
#endif
}

static void test_gles_linear(void **state)
{
	struct mosaic_renderer *r = renderer_on_card(MOSAIC_BACKEND_GLES);
	if (r == NULL) {
		skip();
	}
	const struct mosaic_format_set *formats = mosaic_renderer_get_texture_formats(r,
		MOSAIC_BUFFER_CAP_DMABUF);
	assert_true(mosaic_format_set_has(formats, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR));
	// A buffer described as LINEAR imports and reads back.
	uint32_t *map, stride;
	struct mosaic_buffer *src = card_buffer(32, GREEN, &map, &stride);
	struct mosaic_dmabuf_attributes a;
	assert_true(mosaic_buffer_get_dmabuf(src, &a));
	a.modifier = DRM_FORMAT_MOD_LINEAR;
	struct mosaic_buffer *linear = mosaic_buffer_from_dmabuf(&a);
	assert_non_null(linear);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, linear);
	assert_non_null(tex);
	uint32_t px[32 * 32];
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_XRGB8888, .stride = 32 * 4, .data = px,
	}));
	assert_int_equal(px[17 * 32 + 5] | 0xff000000u, GREEN);
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(linear);
	mosaic_buffer_drop(src);
	mosaic_renderer_destroy(r);
}

struct producer {
	uint32_t *map;
	uint32_t stride;
	int size;
	uint32_t fence;
	int delay_ms;
};

static void *produce(void *data)
{
	struct producer *p = data;
	usleep((useconds_t)p->delay_ms * 1000);
	for (int y = 0; y < p->size; y++) {
		for (int x = 0; x < p->size; x++) {
			p->map[(size_t)y * (p->stride / 4) + (size_t)x] = GREEN;
		}
	}
	signal_fence(p->fence);
	return NULL;
}

/* One frame that copies `tex` into `out`, waited for. */
static void draw_and_wait(struct mosaic_renderer *r, struct mosaic_buffer *out,
	struct mosaic_texture *tex)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, out, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex, .blend = MOSAIC_BLEND_NONE,
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
}

static void test_late_producer(void **state)
{
	struct mosaic_renderer *r = renderer_on_card(MOSAIC_BACKEND_GLES);
	if (r == NULL) {
		skip();
	}
	const int size = 64;
	struct producer p = { .size = size, .delay_ms = 1500 };
	struct mosaic_buffer *src = card_buffer(size, RED, &p.map, &p.stride);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, src);
	assert_non_null(tex);
	struct mosaic_allocator *shm = mosaic_shm_allocator_create();
	struct mosaic_buffer *out = mosaic_allocator_create_buffer(shm, size, size,
		DRM_FORMAT_XRGB8888, NULL, 0);
	assert_non_null(out);
	// A first frame compiles what llvmpipe needs: the next one takes far less
	// than the producer's delay, and shows old pixels unless it waits.
	draw_and_wait(r, out, tex);
	assert_int_equal(shm_pixel(out, size / 2, size / 2), RED);
	p.fence = attach_fence(src);

	pthread_t thread;
	int64_t t0 = now_ms();
	assert_int_equal(pthread_create(&thread, NULL, produce, &p), 0);
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, out,
		&(struct mosaic_pass_options){ .sync_file_cpu_timeout_ns = 5000000000LL });
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex, .blend = MOSAIC_BLEND_NONE,
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	assert_true(mosaic_renderer_wait_point(r, done.point, -1));
	int64_t t1 = now_ms();
	pthread_join(thread, NULL);
	uint32_t got = shm_pixel(out, size / 2, size / 2);
	print_message("producer signaled after %d ms; frame done after %lld ms: 0x%08x\n",
		p.delay_ms, (long long)(t1 - t0), got);
	assert_int_equal(got, GREEN);

	mosaic_buffer_drop(out);
	mosaic_allocator_destroy(shm);
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(src);
	mosaic_renderer_destroy(r);
}

static void test_output_fence(void **state)
{
	struct mosaic_renderer *r = renderer_on_card(MOSAIC_BACKEND_GLES);
	if (r == NULL) {
		skip();
	}
	// A frame heavy enough for llvmpipe to be busy after submit returns.
	const int size = 1024;
	uint32_t *src_map, src_stride, *out_map, out_stride;
	struct mosaic_buffer *src = card_buffer(64, GREEN, &src_map, &src_stride);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, src);
	assert_non_null(tex);
	struct mosaic_buffer *out = card_buffer(size, RED, &out_map, &out_stride);
	bool gpu_waits = mosaic_renderer_get_features(r) & MOSAIC_FEATURE_SYNC_FILE_IMPORT;

	// Where the GPU waits for sync_files, the frame waits for a fence we hold.
	uint32_t gate = 0;
	int gate_fd = -1;
	struct mosaic_buffer *gate_buffer = NULL;
	if (gpu_waits) {
		uint32_t *m, s;
		gate_buffer = card_buffer(16, RED, &m, &s);
		gate = attach_fence(gate_buffer);
		gate_fd = readers_fence(gate_buffer);
	}
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, out,
		&(struct mosaic_pass_options){
			.wait_sync_files = &gate_fd, .n_wait_sync_files = gpu_waits ? 1 : 0,
		});
	assert_non_null(pass);
	for (int i = 0; i < 20; i++) {
		assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
			.texture = tex, .dst_box = { 0, 0, size, size }, .alpha = &(float){ 0.5f },
			.transform = (enum mosaic_transform)(i % 8),
		}));
	}
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex, .dst_box = { 0, 0, size, size }, .blend = MOSAIC_BLEND_NONE,
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	int fence = readers_fence(out);
	if (gpu_waits) {
		assert_false(is_signaled(fence, 200));
		signal_fence(gate);
		close(gate_fd);
	} else {
		print_message("no GPU wait for sync_files here: the gate is left out\n");
	}
	assert_true(is_signaled(fence, 20000));
	close(fence);
	int wrong = 0;
	for (int y = 0; y < size; y++) {
		for (int x = 0; x < size; x++) {
			wrong += (out_map[(size_t)y * (out_stride / 4) + (size_t)x] | 0xff000000u) !=
				GREEN;
		}
	}
	print_message("%d of %d pixels not final when the dmabuf's fence signaled\n", wrong,
		size * size);
	assert_int_equal(wrong, 0);
	assert_true(mosaic_renderer_wait_point(r, done.point, 0));

	mosaic_buffer_drop(gate_buffer);
	mosaic_buffer_drop(out);
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(src);
	mosaic_renderer_destroy(r);
}

static void never_signaled(enum mosaic_backend backend)
{
	struct mosaic_renderer *r = renderer_on_card(backend);
	if (r == NULL) {
		skip();
	}
	uint32_t *map, stride;
	struct mosaic_buffer *src = card_buffer(32, GREEN, &map, &stride);
	uint32_t fence = attach_fence(src);
	int fence_fd = readers_fence(src);
	assert_false(is_signaled(fence_fd, 0));
	struct mosaic_allocator *shm = mosaic_shm_allocator_create();
	struct mosaic_buffer *out = mosaic_allocator_create_buffer(shm, 32, 32,
		DRM_FORMAT_XRGB8888, NULL, 0);
	// A first frame without fences, so that pipeline creation (seconds under the
	// VM's emulation) is not counted below.
	uint32_t *warm_map, warm_stride;
	struct mosaic_buffer *warm_src = card_buffer(32, GREEN, &warm_map, &warm_stride);
	struct mosaic_texture *warm = mosaic_texture_from_buffer(r, warm_src);
	assert_non_null(warm);
	draw_and_wait(r, out, warm);
	mosaic_texture_destroy(warm);
	mosaic_buffer_drop(warm_src);

	int64_t t0 = now_ms();
	// pixman copies the buffer here; its wait is bounded too.
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, src);
	assert_non_null(tex);
	n_wait_warnings = 0;
	int64_t t1 = now_ms();
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, out,
		&(struct mosaic_pass_options){
			.wait_sync_files = &fence_fd, .n_wait_sync_files = 1,
			.sync_file_cpu_timeout_ns = 200000000,
		});
	assert_non_null(pass);
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex, .blend = MOSAIC_BLEND_NONE,
	}));
	struct mosaic_pass_completion done;
	assert_true(mosaic_pass_submit(pass, &done));
	int64_t t2 = now_ms();
	bool gpu_waits = mosaic_renderer_get_features(r) & MOSAIC_FEATURE_SYNC_FILE_IMPORT;
	print_message("%s: texture %lld ms, pass %lld ms with a fence that never signals, "
		"%d warning(s), %s\n", mosaic_backend_name(backend), (long long)(t1 - t0),
		(long long)(t2 - t1), n_wait_warnings, gpu_waits ? "the GPU waits" :
		"the CPU waited");
	// vgem would signal it after 10 s: far below that.
	assert_true(t1 - t0 < 2000);
	assert_true(t2 - t1 < 2000);
	assert_false(is_signaled(fence_fd, 0));
	if (gpu_waits) {
		// The compositor's thread goes on; the GPU holds the frame until the fence.
		assert_false(mosaic_renderer_wait_point(r, done.point, 100000000));
		signal_fence(fence);
		assert_true(mosaic_renderer_wait_point(r, done.point, 5000000000LL));
	} else {
		// Drawn after the bound, with one line.
		assert_true(t2 - t1 >= 190);
		assert_int_equal(n_wait_warnings, 1);
		assert_true(mosaic_renderer_wait_point(r, done.point, 5000000000LL));
		signal_fence(fence);
	}
	close(fence_fd);
	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(out);
	mosaic_allocator_destroy(shm);
	mosaic_buffer_drop(src);
	mosaic_renderer_destroy(r);
}

static void test_never_signaled_pixman(void **state)
{
	never_signaled(MOSAIC_BACKEND_PIXMAN);
}

static void test_never_signaled_gles(void **state)
{
	never_signaled(MOSAIC_BACKEND_GLES);
}

static void test_never_signaled_vulkan(void **state)
{
	never_signaled(MOSAIC_BACKEND_VULKAN);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	card_fd = open(CARD, O_RDWR | O_CLOEXEC);
	vgem_fd = open(VGEM, O_RDWR | O_CLOEXEC);
	drmVersion *version = vgem_fd >= 0 ? drmGetVersion(vgem_fd) : NULL;
	bool is_vgem = version != NULL && strcmp(version->name, "vgem") == 0;
	drmFreeVersion(version);
	if (card_fd < 0 || !is_vgem) {
		printf("no %s and vgem %s here (the DRM test VM has them)\n", CARD, VGEM);
		return TEST_SKIP;
	}
	test_log_reset();
	mosaic_log_init(MOSAIC_LOG_DEBUG, log_handler, &test_log);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vulkan_names_card),
		cmocka_unit_test(test_nested_vulkan_on_card),
		cmocka_unit_test(test_allocator_choice),
		cmocka_unit_test(test_gles_linear),
		cmocka_unit_test(test_late_producer),
		cmocka_unit_test(test_output_fence),
		cmocka_unit_test(test_never_signaled_pixman),
		cmocka_unit_test(test_never_signaled_gles),
		cmocka_unit_test(test_never_signaled_vulkan),
	};
	return cmocka_run_group_tests_name("sync", tests, NULL, NULL);
}
