/*
 * On real DRM nodes (the test VM: vkms = card0, vgem = card1 + renderD128):
 * enumeration, GBM and dumb allocation, dmabuf export and mapping, the pixman
 * renderer reading and rendering into dmabufs, and bad dmabufs rejected.
 * Skips (77) where there is no vkms and vgem.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/dma-buf.h>
#include <xf86drm.h>

#include "drm-test.h"

#define W 64
#define H 48

/* The nodes the VM has, found once by enumeration. */
static struct mosaic_drm_device vkms, vgem;

static bool find_devices(void)
{
	struct mosaic_drm_device *devices;
	int n = mosaic_drm_list_devices(MOSAIC_DRM_LIST_IGNORE_ENV, &devices);
	bool found_vkms = false, found_vgem = false;
	for (int i = 0; i < n; i++) {
		if (strcmp(devices[i].driver, "vkms") == 0) {
			vkms = devices[i];
			found_vkms = true;
		} else if (strcmp(devices[i].driver, "vgem") == 0) {
			vgem = devices[i];
			found_vgem = true;
		}
	}
	mosaic_drm_devices_free(devices);
	return found_vkms && found_vgem;
}

static void test_enumeration(void **state)
{
	// Module load order in the VM makes vkms card0 and vgem card1.
	assert_string_equal(vkms.primary_node, "/dev/dri/card0");
	assert_string_equal(vkms.render_node, "");
	assert_true(vkms.kms);
	assert_int_equal(vkms.bus, MOSAIC_DRM_BUS_PLATFORM);
	assert_false(vkms.boot_vga);
	assert_int_equal(vkms.pci_vendor, 0);

	assert_string_equal(vgem.primary_node, "/dev/dri/card1");
	assert_string_equal(vgem.render_node, "/dev/dri/renderD128");
	assert_false(vgem.kms);
	assert_int_equal(vgem.bus, MOSAIC_DRM_BUS_PLATFORM);
	assert_true(vgem.driver_major > 0 || vgem.driver_minor > 0);

	struct stat st;
	assert_int_equal(stat("/dev/dri/renderD128", &st), 0);
	assert_true(vgem.render_dev == st.st_rdev);
	assert_true(mosaic_drm_device_has_dev(&vgem, st.st_rdev));
	assert_false(mosaic_drm_device_has_dev(&vkms, st.st_rdev));

	// The filters.
	struct mosaic_drm_device *devices;
	assert_int_equal(mosaic_drm_list_devices(MOSAIC_DRM_LIST_KMS_ONLY, &devices), 1);
	assert_string_equal(devices[0].driver, "vkms");
	mosaic_drm_devices_free(devices);
	assert_int_equal(mosaic_drm_list_devices(MOSAIC_DRM_LIST_RENDER_ONLY, &devices), 1);
	assert_string_equal(devices[0].driver, "vgem");
	mosaic_drm_devices_free(devices);

	// The override, by name and by path, reduces the list to one device.
	setenv("MOSAIC_DRM_DEVICE", "renderD128", 1);
	assert_int_equal(mosaic_drm_list_devices(0, &devices), 1);
	assert_string_equal(devices[0].driver, "vgem");
	mosaic_drm_devices_free(devices);
	setenv("MOSAIC_DRM_DEVICE", "/dev/dri/card0", 1);
	assert_int_equal(mosaic_drm_list_devices(0, &devices), 1);
	assert_string_equal(devices[0].driver, "vkms");
	mosaic_drm_devices_free(devices);
	// vkms has no render node: the caller asking for one gets nothing.
	assert_int_equal(mosaic_drm_list_devices(MOSAIC_DRM_LIST_RENDER_ONLY, &devices), 0);
	assert_int_equal(mosaic_drm_open_default(MOSAIC_DRM_NODE_RENDER), -ENODEV);
	unsetenv("MOSAIC_DRM_DEVICE");

	// The default render node, and back from its fd to the device.
	int fd = mosaic_drm_open_default(MOSAIC_DRM_NODE_RENDER);
	assert_true(fd >= 0);
	struct mosaic_drm_device dev;
	assert_int_equal(mosaic_drm_device_from_fd(fd, &dev), 0);
	assert_string_equal(dev.driver, "vgem");
	assert_true(dev.render_dev == vgem.render_dev && dev.primary_dev == vgem.primary_dev);
	close(fd);

	fd = mosaic_drm_device_open(&vkms, MOSAIC_DRM_NODE_PRIMARY);
	assert_true(fd >= 0);
	assert_int_equal(mosaic_drm_device_from_fd(fd, &dev), 0);
	assert_string_equal(dev.driver, "vkms");
	close(fd);
	test_log_reset();
	assert_int_equal(mosaic_drm_device_open(&vkms, MOSAIC_DRM_NODE_RENDER), -ENOENT);
	assert_logged("has no render node");
}

static int open_node(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void get_dmabuf(struct mosaic_buffer *b, struct mosaic_dmabuf_attributes *a)
{
	assert_true(mosaic_buffer_get_dmabuf(b, a));
	assert_int_equal(a->n_planes, 1);
	assert_true(a->fd[0] >= 0);
	assert_true(a->stride[0] >= W * 4);
}

/* Writes then reads through two separate mappings of the dmabuf fd. */
static void check_rw_mapping(const struct mosaic_dmabuf_attributes *a)
{
	assert_int_equal(fcntl(a->fd[0], F_GETFL) & O_ACCMODE, O_RDWR);
	size_t size = (size_t)a->offset[0] + (size_t)a->stride[0] * H;
	uint8_t *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd[0], 0);
	assert_true(map != MAP_FAILED);
	struct dma_buf_sync sync = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE };
	assert_int_equal(ioctl(a->fd[0], DMA_BUF_IOCTL_SYNC, &sync), 0);
	for (int y = 0; y < H; y++) {
		uint32_t *row = (uint32_t *)(map + a->offset[0] + (size_t)y * a->stride[0]);
		for (int x = 0; x < W; x++) {
			row[x] = 0xff000000u | (uint32_t)(x << 16 | y << 8 | (x ^ y));
		}
	}
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
	assert_int_equal(ioctl(a->fd[0], DMA_BUF_IOCTL_SYNC, &sync), 0);
	munmap(map, size);

	map = mmap(NULL, size, PROT_READ, MAP_SHARED, a->fd[0], 0);
	assert_true(map != MAP_FAILED);
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ;
	assert_int_equal(ioctl(a->fd[0], DMA_BUF_IOCTL_SYNC, &sync), 0);
	for (int y = 0; y < H; y++) {
		const uint32_t *row = (const uint32_t *)(map + a->offset[0] +
			(size_t)y * a->stride[0]);
		for (int x = 0; x < W; x++) {
			assert_int_equal(row[x], 0xff000000u | (uint32_t)(x << 16 | y << 8 | (x ^ y)));
		}
	}
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	assert_int_equal(ioctl(a->fd[0], DMA_BUF_IOCTL_SYNC, &sync), 0);
	munmap(map, size);
}

static void test_gbm_allocation(void **state)
{
	const char *nodes[] = { vkms.primary_node, vgem.primary_node };
	for (size_t i = 0; i < 2; i++) {
		int fd = open_node(nodes[i]);
		struct mosaic_allocator *alloc = mosaic_gbm_allocator_create(fd);
		// The allocator keeps its own fd.
		close(fd);
		assert_non_null(alloc);
		assert_int_equal(mosaic_allocator_get_buffer_caps(alloc), MOSAIC_BUFFER_CAP_DMABUF);

		// Linear, asked for explicitly. Mesa 25's kms_swrast allocates it but
		// reports DRM_FORMAT_MOD_INVALID: importers must still be told LINEAR.
		const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
		struct mosaic_buffer *b = mosaic_allocator_create_buffer(alloc, W, H,
			DRM_FORMAT_ARGB8888, &linear, 1);
		assert_non_null(b);
		struct mosaic_dmabuf_attributes a;
		get_dmabuf(b, &a);
		assert_true(a.modifier == DRM_FORMAT_MOD_LINEAR);
		assert_int_equal(a.fourcc, DRM_FORMAT_ARGB8888);
		assert_int_equal(a.width, W);
		check_rw_mapping(&a);
		mosaic_buffer_drop(b);

		// Linear among others the driver lacks, implicit not accepted: the
		// buffer is linear and says so, never DRM_FORMAT_MOD_INVALID.
		const uint64_t linear_or_tiled[] = { I915_FORMAT_MOD_Y_TILED,
			DRM_FORMAT_MOD_LINEAR };
		b = mosaic_allocator_create_buffer(alloc, W, H, DRM_FORMAT_XRGB8888,
			linear_or_tiled, 2);
		assert_non_null(b);
		get_dmabuf(b, &a);
		assert_true(a.modifier == DRM_FORMAT_MOD_LINEAR);
		check_rw_mapping(&a);
		mosaic_buffer_drop(b);

		// Implicit: the caller accepts whatever the driver picks.
		const uint64_t implicit = DRM_FORMAT_MOD_INVALID;
		b = mosaic_allocator_create_buffer(alloc, W, H, DRM_FORMAT_XRGB8888, &implicit, 1);
		assert_non_null(b);
		get_dmabuf(b, &a);
		assert_true(a.modifier == DRM_FORMAT_MOD_INVALID ||
			a.modifier == DRM_FORMAT_MOD_LINEAR);
		print_message("%s: implicit allocation reports modifier 0x%llx, stride %u\n",
			nodes[i], (unsigned long long)a.modifier, a.stride[0]);
		check_rw_mapping(&a);
		mosaic_buffer_drop(b);

		// No list at all.
		b = mosaic_allocator_create_buffer(alloc, W, H, DRM_FORMAT_XRGB8888, NULL, 0);
		assert_non_null(b);
		mosaic_buffer_drop(b);

		// A modifier the driver does not have is refused, with the reason.
		const uint64_t tiled = I915_FORMAT_MOD_Y_TILED;
		test_log_reset();
		assert_null(mosaic_allocator_create_buffer(alloc, W, H, DRM_FORMAT_XRGB8888,
			&tiled, 1));
		assert_logged("cannot allocate a 64x48 XRGB8888 buffer");

		// Buffers outlive their allocator.
		b = mosaic_allocator_create_buffer(alloc, W, H, DRM_FORMAT_XRGB8888, &linear, 1);
		assert_non_null(b);
		mosaic_allocator_destroy(alloc);
		get_dmabuf(b, &a);
		check_rw_mapping(&a);
		mosaic_buffer_drop(b);
	}

	// Render nodes: vgem's software GBM backend allocates dumb buffers, which
	// only primary nodes may create. A clean refusal, no crash.
	int fd = open_node(vgem.render_node);
	struct mosaic_allocator *alloc = mosaic_gbm_allocator_create(fd);
	close(fd);
	if (alloc != NULL) {
		struct mosaic_buffer *b = mosaic_allocator_create_buffer(alloc, W, H,
			DRM_FORMAT_XRGB8888, NULL, 0);
		if (b == NULL) {
			print_message("GBM on %s refuses to allocate (expected on vgem)\n",
				vgem.render_node);
		}
		mosaic_buffer_drop(b);
		mosaic_allocator_destroy(alloc);
	}
}

static void test_dumb_allocation(void **state)
{
	int fd = open_node(vkms.primary_node);
	struct mosaic_allocator *alloc = mosaic_drm_dumb_allocator_create(fd);
	close(fd);
	assert_non_null(alloc);
	assert_int_equal(mosaic_allocator_get_buffer_caps(alloc),
		MOSAIC_BUFFER_CAP_DATA_PTR | MOSAIC_BUFFER_CAP_DMABUF);
	struct mosaic_buffer *b = mosaic_allocator_create_buffer(alloc, W, H,
		DRM_FORMAT_XRGB8888, NULL, 0);
	assert_non_null(b);
	struct mosaic_dmabuf_attributes a;
	get_dmabuf(b, &a);
	assert_true(a.modifier == DRM_FORMAT_MOD_LINEAR);
	check_rw_mapping(&a);

	// The CPU pointer shows what went through the dmabuf.
	void *data;
	uint32_t fourcc, stride;
	assert_true(mosaic_buffer_begin_data_access(b, MOSAIC_BUFFER_DATA_ACCESS_READ, &data,
		&fourcc, &stride));
	assert_int_equal(stride, a.stride[0]);
	assert_int_equal(fourcc, DRM_FORMAT_XRGB8888);
	assert_int_equal(((uint32_t *)data)[3], 0xff000000u | (3 << 16) | 3);
	mosaic_buffer_end_data_access(b);

	const uint64_t tiled = I915_FORMAT_MOD_X_TILED;
	test_log_reset();
	assert_null(mosaic_allocator_create_buffer(alloc, W, H, DRM_FORMAT_XRGB8888,
		&tiled, 1));
	assert_logged("buffers are linear");
	// One plane per dumb buffer: YUV formats need more.
	test_log_reset();
	assert_null(mosaic_allocator_create_buffer(alloc, W, H, DRM_FORMAT_NV12, NULL, 0));
	assert_logged("one RGB plane, not NV12");
	mosaic_buffer_drop(b);
	mosaic_allocator_destroy(alloc);

	// vgem has no KMS (no DRM_CAP_DUMB_BUFFER), and render nodes no dumb buffers.
	const char *nodes[] = { vgem.primary_node, vgem.render_node };
	for (size_t i = 0; i < 2; i++) {
		fd = open_node(nodes[i]);
		test_log_reset();
		assert_null(mosaic_drm_dumb_allocator_create(fd));
		assert_logged("no DRM device with dumb buffers");
		close(fd);
	}
}

static void test_autocreate(void **state)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	assert_non_null(r);
	// pixman on a KMS primary node: dumb buffers.
	int fd = open_node(vkms.primary_node);
	struct mosaic_allocator *alloc = mosaic_allocator_autocreate(r, fd);
	assert_non_null(alloc);
	assert_int_equal(mosaic_allocator_get_buffer_caps(alloc),
		MOSAIC_BUFFER_CAP_DATA_PTR | MOSAIC_BUFFER_CAP_DMABUF);
	mosaic_allocator_destroy(alloc);
	close(fd);
	// On a render node there are no dumb buffers: shared memory.
	fd = open_node(vgem.render_node);
	alloc = mosaic_allocator_autocreate(r, fd);
	assert_non_null(alloc);
	assert_int_equal(mosaic_allocator_get_buffer_caps(alloc),
		MOSAIC_BUFFER_CAP_DATA_PTR | MOSAIC_BUFFER_CAP_SHM);
	mosaic_allocator_destroy(alloc);
	close(fd);
	mosaic_renderer_destroy(r);
}

/* The same frame, drawn by `r` into `target`. */
static void draw_frame(struct mosaic_renderer *r, struct mosaic_buffer *target,
	struct mosaic_texture *tex)
{
	struct mosaic_pass *pass = mosaic_renderer_begin_pass(r, target, NULL);
	assert_non_null(pass);
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { 0, 0, W, H },
		.color = { 0.0f, 0.0f, 0.25f, 1.0f },
		.blend = MOSAIC_BLEND_NONE,
	}));
	assert_true(mosaic_pass_add_texture(pass, &(struct mosaic_texture_options){
		.texture = tex,
		.dst_box = { 8, 4, W / 2, H / 2 },
		.transform = MOSAIC_TRANSFORM_90,
		.filter = MOSAIC_FILTER_NEAREST,
	}));
	assert_true(mosaic_pass_add_rect(pass, &(struct mosaic_rect_options){
		.box = { W - 10, H - 10, 8, 8 },
		.color = { 0.5f, 0.0f, 0.0f, 0.5f },
	}));
	assert_true(mosaic_pass_submit(pass, NULL));
}

static void read_texture(struct mosaic_texture *tex, uint32_t *out)
{
	assert_true(mosaic_texture_read_pixels(tex, &(struct mosaic_read_pixels_options){
		.fourcc = DRM_FORMAT_ARGB8888,
		.stride = W * 4,
		.data = out,
	}));
}

/*
 * A GBM dmabuf (no CPU pointer: the pixman renderer maps it) as a texture and
 * as a render target, compared with the same work in plain memory.
 */
static void test_pixman_dmabuf(void **state)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	assert_non_null(r);
	int fd = open_node(vkms.primary_node);
	struct mosaic_allocator *gbm = mosaic_gbm_allocator_create(fd);
	close(fd);
	assert_non_null(gbm);
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;

	// The source: a pattern written through the dmabuf.
	struct mosaic_buffer *src = mosaic_allocator_create_buffer(gbm, W, H,
		DRM_FORMAT_ARGB8888, &linear, 1);
	assert_non_null(src);
	assert_int_equal(mosaic_buffer_get_caps(src), MOSAIC_BUFFER_CAP_DMABUF);
	struct mosaic_dmabuf_attributes a;
	get_dmabuf(src, &a);
	check_rw_mapping(&a);
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, src);
	assert_non_null(tex);
	static uint32_t pixels[W * H], expected[W * H];
	read_texture(tex, pixels);
	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W; x++) {
			assert_int_equal(pixels[y * W + x],
				0xff000000u | (uint32_t)(x << 16 | y << 8 | (x ^ y)));
		}
	}

	// The reference frame in memory, then the same frame into a dmabuf,
	// twice (the second pass reuses the cached mapping).
	static uint32_t reference[W * H];
	struct mosaic_buffer *mem = mosaic_buffer_from_data(W, H, DRM_FORMAT_XRGB8888,
		W * 4, reference);
	assert_non_null(mem);
	draw_frame(r, mem, tex);
	mosaic_buffer_drop(mem);

	struct mosaic_buffer *dst = mosaic_allocator_create_buffer(gbm, W, H,
		DRM_FORMAT_XRGB8888, &linear, 1);
	assert_non_null(dst);
	for (int pass = 0; pass < 2; pass++) {
		draw_frame(r, dst, tex);
		struct mosaic_texture *out = mosaic_texture_from_buffer(r, dst);
		assert_non_null(out);
		read_texture(out, pixels);
		mosaic_texture_destroy(out);
		memcpy(expected, reference, sizeof(expected));
		for (int i = 0; i < W * H; i++) {
			// XRGB8888 read as ARGB8888 is opaque.
			expected[i] |= 0xff000000u;
			if (pixels[i] != expected[i]) {
				fail_msg("pass %d: pixel %d,%d is 0x%08x, expected 0x%08x", pass,
					i % W, i / W, pixels[i], expected[i]);
			}
		}
	}

	// Accesses do not nest: the target of an open pass cannot be read.
	struct mosaic_pass *open_pass = mosaic_renderer_begin_pass(r, dst, NULL);
	assert_non_null(open_pass);
	test_log_reset();
	assert_null(mosaic_texture_from_buffer(r, dst));
	assert_logged("does not nest");
	assert_true(mosaic_pass_submit(open_pass, NULL));

	// Updating a texture from a dmabuf maps it too.
	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, 0, 0, 4, 4);
	test_log_reset();
	assert_false(mosaic_texture_update_from_buffer(tex, dst, &damage));
	assert_logged("differs from texture format");
	pixman_region32_fini(&damage);

	mosaic_texture_destroy(tex);
	mosaic_buffer_drop(src);
	mosaic_buffer_drop(dst);
	mosaic_allocator_destroy(gbm);
	mosaic_renderer_destroy(r);
}

/* A compositor's own dmabuf buffer, with attributes as a client sent them. */
struct client_buffer {
	struct mosaic_buffer base;
	struct mosaic_dmabuf_attributes attribs;
};

static void client_buffer_destroy(struct mosaic_buffer *buffer)
{
	free(buffer);
}

static bool client_buffer_get_dmabuf(struct mosaic_buffer *buffer,
	struct mosaic_dmabuf_attributes *attribs)
{
	*attribs = ((struct client_buffer *)(void *)buffer)->attribs;
	return true;
}

static const struct mosaic_buffer_impl client_buffer_impl = {
	.destroy = client_buffer_destroy,
	.get_dmabuf = client_buffer_get_dmabuf,
};

/* Wraps attributes in a client buffer and checks that pixman refuses it. */
static void expect_pixman_refuses(struct mosaic_renderer *r,
	const struct mosaic_dmabuf_attributes *a, const char *needle)
{
	struct client_buffer *cb = calloc(1, sizeof(*cb));
	assert_non_null(cb);
	mosaic_buffer_init(&cb->base, &client_buffer_impl, a->width, a->height);
	cb->attribs = *a;
	test_log_reset();
	assert_null(mosaic_texture_from_buffer(r, &cb->base));
	assert_logged(needle);
	test_log_reset();
	assert_null(mosaic_renderer_begin_pass(r, &cb->base, NULL));
	assert_logged(needle);
	mosaic_buffer_drop(&cb->base);
}

/*
 * YUV planes in a real dmabuf (an NV12 image laid out inside a dumb buffer),
 * wrapped in a compositor's own buffer whose colour facts change between
 * commits: pixman converts at import and again, with the new facts, at the
 * update (BT.601 red codes read as BT.709 gain green 24).
 */
static void test_pixman_yuv_facts(void **state)
{
	int fd = open_node(vkms.primary_node);
	struct mosaic_allocator *dumb = mosaic_drm_dumb_allocator_create(fd);
	close(fd);
	assert_non_null(dumb);
	struct mosaic_buffer *storage = mosaic_allocator_create_buffer(dumb, W, H,
		DRM_FORMAT_XRGB8888, NULL, 0);
	assert_non_null(storage);
	struct mosaic_dmabuf_attributes real;
	get_dmabuf(storage, &real);
	void *data;
	uint32_t fourcc, stride;
	assert_true(mosaic_buffer_begin_data_access(storage, MOSAIC_BUFFER_DATA_ACCESS_WRITE, &data,
		&fourcc, &stride));
	// A W x H/2 NV12 image: H/2 luma rows of `stride` bytes, then H/4 rows of
	// Cb Cr pairs; 3/4 of the dumb buffer.
	uint8_t *bytes = data;
	size_t luma = (size_t)stride * (H / 2);
	memset(bytes, 81, luma);
	for (size_t i = 0; i < (size_t)stride * (H / 4); i += 2) {
		bytes[luma + i] = 90;
		bytes[luma + i + 1] = 240;
	}
	mosaic_buffer_end_data_access(storage);

	struct client_buffer *cb = calloc(1, sizeof(*cb));
	assert_non_null(cb);
	mosaic_buffer_init(&cb->base, &client_buffer_impl, W, H / 2);
	cb->attribs = (struct mosaic_dmabuf_attributes){
		.width = W, .height = H / 2, .fourcc = DRM_FORMAT_NV12,
		.modifier = DRM_FORMAT_MOD_LINEAR, .n_planes = 2,
		.offset = { 0, stride * (H / 2) }, .stride = { stride, stride },
		.fd = { real.fd[0], real.fd[0], -1, -1 },
	};
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	assert_non_null(r);
	struct mosaic_texture *t = mosaic_texture_from_buffer(r, &cb->base);
	assert_non_null(t);
	uint32_t px[W];
	const struct mosaic_read_pixels_options read = {
		.fourcc = DRM_FORMAT_XRGB8888, .stride = W * 4, .data = px,
		.src_box = { 0, 0, W, 1 },
	};
	assert_true(mosaic_texture_read_pixels(t, &read));
	assert_true((px[0] >> 16 & 0xff) >= 254 && (px[0] & 0xffff) == 0);
	cb->attribs.yuv.matrix = MOSAIC_YUV_MATRIX_BT709;
	assert_true(mosaic_texture_update_from_buffer(t, &cb->base, NULL));
	assert_true(mosaic_texture_read_pixels(t, &read));
	assert_int_equal(px[0] >> 16 & 0xff, 255);
	assert_true(abs((int)(px[0] >> 8 & 0xff) - 24) <= 1);
	mosaic_texture_destroy(t);
	mosaic_buffer_drop(&cb->base);
	mosaic_renderer_destroy(r);
	mosaic_buffer_drop(storage);
	mosaic_allocator_destroy(dumb);
}

static void test_bad_dmabufs(void **state)
{
	struct mosaic_renderer *r = mosaic_pixman_renderer_create();
	assert_non_null(r);
	int fd = open_node(vkms.primary_node);
	struct mosaic_allocator *gbm = mosaic_gbm_allocator_create(fd);
	close(fd);
	assert_non_null(gbm);
	const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	struct mosaic_buffer *real = mosaic_allocator_create_buffer(gbm, W, H,
		DRM_FORMAT_XRGB8888, &linear, 1);
	assert_non_null(real);
	struct mosaic_dmabuf_attributes good;
	get_dmabuf(real, &good);
	off_t size = lseek(good.fd[0], 0, SEEK_END);
	assert_true(size >= (off_t)good.stride[0] * H);

	// The good attributes are accepted (the buffer takes copies of the fds).
	struct mosaic_dmabuf_attributes a;
	assert_true(mosaic_dmabuf_attributes_copy(&a, &good));
	struct mosaic_buffer *b = mosaic_buffer_from_dmabuf(&a);
	assert_non_null(b);
	struct mosaic_dmabuf_attributes got;
	assert_true(mosaic_buffer_get_dmabuf(b, &got));
	assert_int_equal(got.fd[0], a.fd[0]);
	assert_int_equal(got.stride[0], good.stride[0]);
	// The buffer owned the fd: dropping it closed the fd.
	mosaic_buffer_drop(b);
	assert_int_equal(fcntl(a.fd[0], F_GETFD), -1);

	// An fd that is not a dmabuf: on the wrap, and on a compositor's own buffer.
	int memfd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	assert_true(memfd >= 0);
	a = good;
	a.fd[0] = memfd;
	test_log_reset();
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_logged("is not a dmabuf");
	expect_pixman_refuses(r, &a, "is not a dmabuf");
	close(memfd);

	// An offset past the end.
	a = good;
	a.offset[0] = (uint32_t)size;
	test_log_reset();
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_logged("offset");
	assert_logged("past the end");
	expect_pixman_refuses(r, &a, "past the end");

	// An offset that leaves too little room.
	a = good;
	a.offset[0] = (uint32_t)(size - (off_t)good.stride[0] * H + good.stride[0]);
	test_log_reset();
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_logged("ends past the buffer");

	// A stride past the end.
	a = good;
	a.stride[0] = (uint32_t)size;
	test_log_reset();
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_logged("ends past the buffer");
	expect_pixman_refuses(r, &a, "ends past the buffer");

	// A stride too small for a row.
	a = good;
	a.stride[0] = W * 4 - 4;
	test_log_reset();
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_logged("too small");

	// Plane counts that do not match the format.
	a = good;
	a.n_planes = 2;
	a.fd[1] = good.fd[0];
	a.stride[1] = good.stride[0];
	test_log_reset();
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_logged("XRGB8888 has 1 plane, 2 given");
	expect_pixman_refuses(r, &a, "XRGB8888 has 1 plane, 2 given");
	a.n_planes = 0;
	test_log_reset();
	assert_null(mosaic_buffer_from_dmabuf(&a));
	assert_logged("1 plane, 0 given");

	// A modifier the CPU cannot read: the wrap takes it (tiled layouts are
	// the importer's business), the pixman renderer refuses it.
	a = good;
	a.modifier = I915_FORMAT_MOD_Y_TILED;
	expect_pixman_refuses(r, &a, "is not linear");
	assert_true(mosaic_dmabuf_attributes_copy(&a, &a));
	b = mosaic_buffer_from_dmabuf(&a);
	assert_non_null(b);
	test_log_reset();
	assert_null(mosaic_texture_from_buffer(r, b));
	assert_logged("modifier Y_TILED (0x100000000000002) is not linear");
	mosaic_buffer_drop(b);

	// A read-only dmabuf (exported without DRM_RDWR) can be a texture, not a
	// render target.
	fd = open_node(vkms.primary_node);
	struct drm_mode_create_dumb create = { .width = W, .height = H, .bpp = 32 };
	assert_int_equal(drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create), 0);
	a = good;
	a.stride[0] = create.pitch;
	assert_int_equal(drmPrimeHandleToFD(fd, create.handle, DRM_CLOEXEC, &a.fd[0]), 0);
	assert_int_equal(fcntl(a.fd[0], F_GETFL) & O_ACCMODE, O_RDONLY);
	struct client_buffer *ro = calloc(1, sizeof(*ro));
	assert_non_null(ro);
	mosaic_buffer_init(&ro->base, &client_buffer_impl, W, H);
	ro->attribs = a;
	struct mosaic_texture *tex = mosaic_texture_from_buffer(r, &ro->base);
	assert_non_null(tex);
	mosaic_texture_destroy(tex);
	test_log_reset();
	assert_null(mosaic_renderer_begin_pass(r, &ro->base, NULL));
	assert_logged("read-only");
	mosaic_buffer_drop(&ro->base);
	close(a.fd[0]);
	close(fd);

	mosaic_buffer_drop(real);
	mosaic_allocator_destroy(gbm);
	mosaic_renderer_destroy(r);
}

int main(void)
{
	if (!find_devices()) {
		printf("no vkms and vgem DRM nodes (run inside the test VM: tests/vm/run.sh)\n");
		return TEST_SKIP;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enumeration),
		cmocka_unit_test(test_gbm_allocation),
		cmocka_unit_test(test_dumb_allocation),
		cmocka_unit_test(test_autocreate),
		cmocka_unit_test(test_pixman_dmabuf),
		cmocka_unit_test(test_bad_dmabufs),
		cmocka_unit_test(test_pixman_yuv_facts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
