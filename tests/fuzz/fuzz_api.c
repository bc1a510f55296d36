/*
 * Fuzz target: the public C API driven by a byte stream. Each input is a
 * program of calls decoded from the bytes: textures from pixels (odd sizes,
 * strides and formats) and from memfd-backed dmabufs (RGB and YUV planes at
 * odd offsets and strides), texture updates with damage, passes into one of
 * two outputs with random boxes, transforms, clips, alphas, blends and
 * filters, reads (synchronous and requests finished later), and destroys in
 * every order the API allows. Bad arguments are part of the program: the
 * library must refuse them with a log line, never crash.
 *
 * The harness keeps the API's contracts (what the caller owes, e.g. memory
 * of the size it claims, textures alive until their pass is submitted):
 * memory it hands over is exactly as large as the arguments say, so the
 * sanitizers see any read or write beyond it.
 *
 * The renderer is pixman; MOSAIC_FUZZ_BACKEND=vulkan (or gles) selects
 * another one, created once per process.
 */
#define _GNU_SOURCE /* memfd_create */
#include <drm_fourcc.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mosaic/mosaic.h>

#include "fuzz.h"

#define N_TEXTURES 4
#define N_OUTPUTS 2
#define N_REQUESTS 4
#define N_KEPT 64
/* Memory the harness hands over per call, at most. */
#define MAX_BYTES (1 << 20)
/* Calls per input, at most. */
#define MAX_CALLS 256

struct request {
	struct mosaic_read_request *request;
	int texture;
	void *data;
};

struct output {
	struct mosaic_buffer *buffer;
	struct mosaic_pass *pass;
	/* Textures drawn by the open pass (they must live until it is submitted). */
	bool uses[N_TEXTURES];
};

struct state {
	struct mosaic_renderer *renderer;
	struct mosaic_allocator *shm;
	/* The renderer's own images, or NULL (pixman has none). */
	struct mosaic_allocator *gpu;
	struct mosaic_texture *textures[N_TEXTURES];
	struct output outputs[N_OUTPUTS];
	struct request requests[N_REQUESTS];
	/* Memory lent to mosaic_buffer_from_data() buffers: freed once everything is idle. */
	void *kept[N_KEPT];
	size_t n_kept;
	uint64_t last_point;
	pixman_region32_t region;
};

static const struct mosaic_format_info *pick_format(struct fuzz_input *in)
{
	size_t count;
	const struct mosaic_format_info *all = mosaic_format_get_all(&count);
	return &all[fuzz_u8(in) % count];
}

/* A fourcc: mostly a known one, sometimes anything. */
static uint32_t pick_fourcc(struct fuzz_input *in)
{
	if (fuzz_u8(in) >= 0xf0) {
		return fuzz_u32(in);
	}
	return pick_format(in)->fourcc;
}

/* A width or height: mostly 1..66, sometimes 0 or an edge of the valid range. */
static int pick_dim(struct fuzz_input *in)
{
	static const int edges[] = {
		0, -1, INT_MIN, INT_MAX, MOSAIC_MAX_IMAGE_SIZE, MOSAIC_MAX_IMAGE_SIZE + 1, 1 << 20,
	};
	uint8_t v = fuzz_u8(in);
	if (v >= 0xf8) {
		return edges[v - 0xf8 < (int)(sizeof(edges) / sizeof(edges[0])) ? v - 0xf8 : 0];
	}
	return v % 67;
}

/* A stride for `width` pixels of `bpp` bytes: mostly exact, sometimes padded, short or wild. */
static uint32_t pick_stride(struct fuzz_input *in, int width, uint32_t bpp)
{
	uint32_t base = width > 0 && width <= MOSAIC_MAX_IMAGE_SIZE ? (uint32_t)width * bpp : 0;
	uint8_t v = fuzz_u8(in);
	switch (v >> 5) {
	case 5:
		return base + (v & 31);
	case 6:
		return base - (v & 7);
	case 7:
		return fuzz_u32(in);
	default:
		return base;
	}
}

static int pick_coord(struct fuzz_input *in)
{
	return fuzz_int(in, -32);
}

static struct mosaic_box pick_box(struct fuzz_input *in)
{
	struct mosaic_box b;
	b.x = pick_coord(in);
	b.y = pick_coord(in);
	b.width = fuzz_int(in, -8);
	b.height = fuzz_int(in, -8);
	return b;
}

/* A region of up to 4 boxes (degenerate ones included) in s->region, or NULL. */
static const pixman_region32_t *pick_region(struct state *s, struct fuzz_input *in)
{
	uint8_t n = fuzz_u8(in) % 6;
	if (n == 5) {
		return NULL;
	}
	pixman_region32_clear(&s->region);
	for (uint8_t i = 0; i < n; i++) {
		struct mosaic_box b = pick_box(in);
		// pixman regions take boxes whose far edges are ints too.
		if (b.width > 0 && b.height > 0 && (int64_t)b.x + b.width <= INT32_MAX &&
				(int64_t)b.y + b.height <= INT32_MAX) {
			pixman_region32_union_rect(&s->region, &s->region, b.x, b.y,
				(unsigned)b.width, (unsigned)b.height);
		}
	}
	return &s->region;
}

static void *keep(struct state *s, void *data)
{
	if (s->n_kept == N_KEPT) {
		free(data);
		return NULL;
	}
	s->kept[s->n_kept++] = data;
	return data;
}

/* Pixels the caller claims are `stride` x `height` bytes, filled from the input. */
static void *make_pixels(struct fuzz_input *in, size_t size)
{
	uint8_t *data = malloc(size > 0 ? size : 1);
	if (data == NULL) {
		return NULL;
	}
	uint32_t seed = fuzz_u32(in);
	for (size_t i = 0; i < size; i++) {
		seed = seed * 1664525u + 1013904223u;
		data[i] = (uint8_t)(seed >> 24);
	}
	return data;
}

/*
 * The memory to pass for `height` rows of `stride` bytes, or (for an
 * invalid layout the library must refuse without reading) a small block.
 * *skip when the layout may be valid but is too large to hand over.
 */
static size_t layout_bytes(int width, int height, uint32_t fourcc, uint32_t stride, bool *skip)
{
	*skip = false;
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	bool invalid = info == NULL || info->is_yuv || width <= 0 || height <= 0 ||
		width > MOSAIC_MAX_IMAGE_SIZE || height > MOSAIC_MAX_IMAGE_SIZE ||
		stride < (uint64_t)width * info->bytes_per_pixel;
	if (invalid) {
		return 64;
	}
	uint64_t size = (uint64_t)stride * (uint64_t)height;
	if (size > MAX_BYTES) {
		*skip = true;
		return 0;
	}
	return size;
}

static int free_slot_texture(struct state *s)
{
	for (int i = 0; i < N_TEXTURES; i++) {
		if (s->textures[i] == NULL) {
			return i;
		}
	}
	return -1;
}

static void put_texture(struct state *s, int slot, struct mosaic_texture *texture)
{
	if (texture != NULL) {
		fuzz_check(mosaic_texture_get_width(texture) > 0 &&
			mosaic_texture_get_height(texture) > 0);
		mosaic_texture_get_preferred_read_format(texture);
	}
	s->textures[slot] = texture;
}

static void op_texture_from_pixels(struct state *s, struct fuzz_input *in)
{
	int slot = free_slot_texture(s);
	int width = pick_dim(in), height = pick_dim(in);
	uint32_t fourcc = pick_fourcc(in);
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	uint32_t stride = pick_stride(in, width, info != NULL ? info->bytes_per_pixel : 4);
	bool skip;
	size_t size = layout_bytes(width, height, fourcc, stride, &skip);
	if (slot < 0 || skip) {
		return;
	}
	void *data = make_pixels(in, size);
	if (data == NULL) {
		return;
	}
	put_texture(s, slot, mosaic_texture_from_pixels(s->renderer, width, height, fourcc,
		stride, data));
	free(data);
}

/* A memfd holding dmabuf planes, as a shared-memory client would hand them over. */
/*
 * A memfd holding dmabuf planes of `info` (as a shared-memory client would
 * hand them over), `width` x `height`, with modifier, colour facts, plane
 * count, memfd size, strides and offsets from the input. NULL when the
 * library refuses the layout.
 */
static struct mosaic_buffer *memfd_buffer(struct fuzz_input *in,
	const struct mosaic_format_info *info, int width, int height)
{
	// One statement per value: the order of evaluation in an initializer is unspecified.
	struct mosaic_dmabuf_attributes attribs = {
		.width = width,
		.height = height,
		.fourcc = info->fourcc,
		.n_planes = info->n_planes,
	};
	attribs.modifier = fuzz_bool(in) ? DRM_FORMAT_MOD_LINEAR : DRM_FORMAT_MOD_INVALID;
	attribs.yuv.matrix = fuzz_u8(in) % 3;
	attribs.yuv.range = fuzz_u8(in) % 3;
	attribs.yuv.chroma_location = fuzz_u8(in) % 4;
	if (fuzz_u8(in) == 0xff) {
		attribs.n_planes = fuzz_u8(in) % (MOSAIC_DMABUF_MAX_PLANES + 2);
	}
	uint64_t offset = 0, end = 0;
	for (int i = 0; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		attribs.fd[i] = -1;
	}
	int h = height > 0 && height <= MOSAIC_MAX_IMAGE_SIZE ? height : 0;
	for (int i = 0; i < info->n_planes && i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		int w = width > 0 && width <= MOSAIC_MAX_IMAGE_SIZE ? width : 0;
		int rows = h;
		if (i > 0) {
			w = (w + (int)info->hsub - 1) / (int)info->hsub;
			rows = (rows + (int)info->vsub - 1) / (int)info->vsub;
		}
		uint32_t bpp = (info->plane_bits_per_pixel[i] + 7) / 8;
		attribs.stride[i] = pick_stride(in, w, bpp > 0 ? bpp : 1);
		attribs.offset[i] = fuzz_u8(in) >= 0xf0 ? fuzz_u32(in) : (uint32_t)offset;
		offset = attribs.offset[i] + (uint64_t)attribs.stride[i] * (uint64_t)rows;
		end = offset > end ? offset : end;
	}
	// The memfd: mostly just large enough for the planes, or a little short or long.
	uint8_t fit = fuzz_u8(in);
	uint64_t size = end;
	if (fit == 0xff) {
		size = fuzz_u32(in);
	} else if (fit >= 0xe0) {
		size = end + (uint64_t)(fit & 0x1f) * 64;
	} else if (fit >= 0xc0) {
		size = end > (fit & 0x1f) ? end - (fit & 0x1f) : 0;
	}
	size %= MAX_BYTES;
	int fd = memfd_create("fuzz-dmabuf", MFD_CLOEXEC);
	if (fd < 0) {
		return NULL;
	}
	if (ftruncate(fd, size) != 0) {
		close(fd);
		return NULL;
	}
	bool ok = true;
	for (int i = 0; i < attribs.n_planes && i < MOSAIC_DMABUF_MAX_PLANES; i++) {
		attribs.fd[i] = i == 0 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 0);
		ok = ok && attribs.fd[i] >= 0;
	}
	struct mosaic_buffer *buffer = NULL;
	if (ok) {
		buffer = mosaic_buffer_from_dmabuf_with_options(&attribs,
			&(struct mosaic_dmabuf_buffer_options){ .allow_memfd = true });
	}
	if (buffer == NULL) {
		// The caller keeps the fds on failure.
		for (int i = 0; i < MOSAIC_DMABUF_MAX_PLANES; i++) {
			if (attribs.fd[i] >= 0) {
				close(attribs.fd[i]);
			}
		}
		if (attribs.n_planes <= 0) {
			close(fd);
		}
	}
	return buffer;
}

static void op_texture_from_memfd(struct state *s, struct fuzz_input *in)
{
	int slot = free_slot_texture(s);
	const struct mosaic_format_info *info = pick_format(in);
	int width = pick_dim(in), height = pick_dim(in);
	struct mosaic_buffer *buffer = memfd_buffer(in, info, width, height);
	bool twice = fuzz_bool(in);
	if (buffer == NULL) {
		return;
	}
	if (slot >= 0) {
		put_texture(s, slot, mosaic_texture_from_buffer(s->renderer, buffer));
	}
	// The texture keeps what it needs; a second one from the same buffer hits the cache.
	if (twice) {
		int other = free_slot_texture(s);
		if (other >= 0) {
			put_texture(s, other, mosaic_texture_from_buffer(s->renderer, buffer));
		}
	}
	mosaic_buffer_drop(buffer);
}

/* An update from a memfd dmabuf (YUV included), mostly of the texture's size and format. */
static void op_texture_update_memfd(struct state *s, struct fuzz_input *in)
{
	int t = fuzz_u8(in) % N_TEXTURES;
	struct mosaic_texture *texture = s->textures[t];
	const struct mosaic_format_info *info = pick_format(in);
	int width = pick_dim(in), height = pick_dim(in);
	uint8_t same = fuzz_u8(in);
	if (texture != NULL && same < 0xe0) {
		info = mosaic_format_get_info(mosaic_texture_get_fourcc(texture));
		width = mosaic_texture_get_width(texture);
		height = mosaic_texture_get_height(texture);
	}
	const pixman_region32_t *damage = pick_region(s, in);
	struct mosaic_buffer *buffer = memfd_buffer(in, info, width, height);
	if (buffer != NULL) {
		mosaic_texture_update_from_buffer(texture, buffer, damage);
		mosaic_buffer_drop(buffer);
	}
}

/* What the renderer says about itself; nothing here may fail or crash. */
static void op_query(struct state *s, struct fuzz_input *in)
{
	uint32_t cap = fuzz_u8(in) % 4 == 0 ? fuzz_u32(in) : 1u << (fuzz_u8(in) % 3);
	fuzz_check(mosaic_renderer_get_texture_formats(s->renderer, cap) != NULL);
	fuzz_check(mosaic_renderer_get_render_formats(s->renderer, cap) != NULL);
	fuzz_check(!mosaic_renderer_is_lost(s->renderer));
	mosaic_renderer_get_features(s->renderer);
	mosaic_renderer_get_drm_fd(s->renderer);
	mosaic_render_timer_destroy(mosaic_render_timer_create(s->renderer));
}

static void op_texture_update(struct state *s, struct fuzz_input *in)
{
	int t = fuzz_u8(in) % N_TEXTURES;
	struct mosaic_texture *texture = s->textures[t];
	int width, height;
	uint32_t fourcc;
	uint8_t same = fuzz_u8(in);
	if (texture != NULL && same < 0xe0) {
		width = mosaic_texture_get_width(texture);
		height = mosaic_texture_get_height(texture);
		fourcc = mosaic_texture_get_fourcc(texture);
		if (mosaic_format_get_info(fourcc)->is_yuv) {
			fourcc = DRM_FORMAT_XRGB8888;
		}
	} else {
		width = pick_dim(in);
		height = pick_dim(in);
		fourcc = pick_fourcc(in);
	}
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	uint32_t stride = pick_stride(in, width, info != NULL ? info->bytes_per_pixel : 4);
	const pixman_region32_t *damage = pick_region(s, in);
	bool skip;
	size_t size = layout_bytes(width, height, fourcc, stride, &skip);
	if (skip) {
		return;
	}
	void *data = keep(s, make_pixels(in, size));
	if (data == NULL) {
		return;
	}
	struct mosaic_buffer *buffer = mosaic_buffer_from_data(width, height, fourcc, stride,
		data);
	if (buffer == NULL) {
		return;
	}
	// A NULL texture is a bad argument like any other.
	mosaic_texture_update_from_buffer(texture, buffer, damage);
	mosaic_buffer_drop(buffer);
}

static void finish_request(struct state *s, int r)
{
	struct request *req = &s->requests[r];
	if (req->request == NULL) {
		return;
	}
	mosaic_read_request_finish(req->request);
	free(req->data);
	*req = (struct request){0};
}

static void op_texture_destroy(struct state *s, struct fuzz_input *in)
{
	int t = fuzz_u8(in) % N_TEXTURES;
	for (int o = 0; o < N_OUTPUTS; o++) {
		if (s->outputs[o].pass != NULL && s->outputs[o].uses[t]) {
			return;
		}
	}
	for (int r = 0; r < N_REQUESTS; r++) {
		if (s->requests[r].request != NULL && s->requests[r].texture == t) {
			finish_request(s, r);
		}
	}
	mosaic_texture_destroy(s->textures[t]);
	s->textures[t] = NULL;
}

/* An output: shared memory, a memfd dmabuf or (where the renderer has them) a GPU image. */
static void op_output_create(struct state *s, struct fuzz_input *in)
{
	int o = fuzz_u8(in) % N_OUTPUTS;
	uint8_t kind = fuzz_u8(in) % 4;
	int width = 1 + fuzz_u8(in) % 96, height = 1 + fuzz_u8(in) % 96;
	uint32_t fourcc = pick_fourcc(in);
	struct mosaic_buffer *buffer;
	switch (kind) {
	case 2: {
		const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
		buffer = memfd_buffer(in, info != NULL ? info : pick_format(in), width, height);
		break;
	}
	case 3:
		buffer = s->gpu != NULL ? mosaic_allocator_create_buffer(s->gpu, width, height,
			fourcc, NULL, 0) : NULL;
		break;
	default:
		buffer = mosaic_allocator_create_buffer(s->shm, width, height, fourcc, NULL, 0);
		break;
	}
	if (s->outputs[o].buffer != NULL) {
		mosaic_buffer_drop(buffer);
		return;
	}
	s->outputs[o].buffer = buffer;
}

static void op_output_drop(struct state *s, struct fuzz_input *in)
{
	// The producer may drop a buffer whenever it likes: an open pass holds a lock.
	int o = fuzz_u8(in) % N_OUTPUTS;
	mosaic_buffer_drop(s->outputs[o].buffer);
	s->outputs[o].buffer = NULL;
}

static void op_begin_pass(struct state *s, struct fuzz_input *in)
{
	int o = fuzz_u8(in) % N_OUTPUTS;
	uint8_t flags = fuzz_u8(in);
	int bad_fd = -1;
	struct mosaic_pass_options options = {
		.signal_sync_file = flags & 1,
		.sync_file_cpu_timeout_ns = (flags & 2) ? 1000 : 0,
	};
	if (flags & 4) {
		// Not a sync_file: -1, or an fd number that is not open.
		bad_fd = (flags & 8) ? -1 : 1000 + (flags >> 4);
		options.wait_sync_files = &bad_fd;
		options.n_wait_sync_files = 1;
	}
	struct output *out = &s->outputs[o];
	if (out->pass != NULL) {
		return;
	}
	out->pass = mosaic_renderer_begin_pass(s->renderer, out->buffer,
		(flags & 0x80) ? NULL : &options);
	memset(out->uses, 0, sizeof(out->uses));
}

static struct output *pick_open_pass(struct state *s, struct fuzz_input *in)
{
	return &s->outputs[fuzz_u8(in) % N_OUTPUTS];
}

static void op_add_rect(struct state *s, struct fuzz_input *in)
{
	struct output *out = pick_open_pass(s, in);
	struct mosaic_rect_options options;
	options.box = pick_box(in);
	options.color.r = fuzz_float(in);
	options.color.g = fuzz_float(in);
	options.color.b = fuzz_float(in);
	options.color.a = fuzz_float(in);
	options.blend = fuzz_u8(in) % 3;
	options.clip = pick_region(s, in);
	if (out->pass != NULL) {
		mosaic_pass_add_rect(out->pass, &options);
	}
}

static void op_add_texture(struct state *s, struct fuzz_input *in)
{
	struct output *out = pick_open_pass(s, in);
	int t = fuzz_u8(in) % N_TEXTURES;
	float alpha = fuzz_float(in);
	struct mosaic_texture_options options = { .texture = s->textures[t] };
	options.alpha = fuzz_bool(in) ? &alpha : NULL;
	options.dst_box = pick_box(in);
	options.transform = fuzz_u8(in) % 9;
	options.filter = fuzz_u8(in) % 3;
	options.blend = fuzz_u8(in) % 3;
	if (fuzz_bool(in)) {
		options.src_box.x = pick_coord(in) / 4.0;
		options.src_box.y = pick_coord(in) / 4.0;
		options.src_box.width = fuzz_int(in, -8) / 4.0;
		options.src_box.height = fuzz_int(in, -8) / 4.0;
	}
	options.clip = pick_region(s, in);
	if (out->pass != NULL) {
		mosaic_pass_add_texture(out->pass, &options);
		out->uses[t] = true;
	}
}

static void op_submit(struct state *s, struct fuzz_input *in)
{
	struct output *out = pick_open_pass(s, in);
	if (out->pass == NULL) {
		return;
	}
	struct mosaic_pass_completion done = { .sync_file_fd = -1 };
	if (mosaic_pass_submit(out->pass, &done)) {
		s->last_point = done.point;
		if (done.sync_file_fd >= 0) {
			close(done.sync_file_fd);
		}
	}
	out->pass = NULL;
	memset(out->uses, 0, sizeof(out->uses));
}

/* Read options and memory of the claimed size; false when too large to hand over. */
static bool pick_read(struct state *s, struct fuzz_input *in, int t,
	struct mosaic_read_pixels_options *options)
{
	struct mosaic_texture *texture = s->textures[t];
	uint32_t fourcc = pick_fourcc(in);
	const struct mosaic_format_info *info = mosaic_format_get_info(fourcc);
	struct mosaic_box box = {0};
	if (fuzz_bool(in)) {
		box = pick_box(in);
	}
	int width = box.width, height = box.height;
	if (mosaic_box_empty(&box) && texture != NULL) {
		width = mosaic_texture_get_width(texture);
		height = mosaic_texture_get_height(texture);
	}
	uint32_t stride = pick_stride(in, width, info != NULL ? info->bytes_per_pixel : 4);
	bool skip;
	size_t size = layout_bytes(width, height, fourcc, stride, &skip);
	if (skip) {
		return false;
	}
	*options = (struct mosaic_read_pixels_options){
		.fourcc = fourcc,
		.stride = stride,
		.data = malloc(size),
		.src_box = box,
	};
	return options->data != NULL;
}

static void op_read(struct state *s, struct fuzz_input *in)
{
	int t = fuzz_u8(in) % N_TEXTURES;
	struct mosaic_read_pixels_options options;
	if (!pick_read(s, in, t, &options)) {
		return;
	}
	mosaic_texture_read_pixels(s->textures[t], &options);
	free(options.data);
}

static void op_read_start(struct state *s, struct fuzz_input *in)
{
	int t = fuzz_u8(in) % N_TEXTURES;
	int r = fuzz_u8(in) % N_REQUESTS;
	struct mosaic_read_pixels_options options;
	if (!pick_read(s, in, t, &options)) {
		return;
	}
	finish_request(s, r);
	struct mosaic_read_request *request = mosaic_texture_read_pixels_start(s->textures[t],
		&options);
	if (request == NULL) {
		free(options.data);
		return;
	}
	mosaic_read_request_get_fd(request);
	s->requests[r] = (struct request){ .request = request, .texture = t,
		.data = options.data };
}

static void op_read_finish(struct state *s, struct fuzz_input *in)
{
	int r = fuzz_u8(in) % N_REQUESTS;
	bool poll = fuzz_bool(in);
	if (s->requests[r].request != NULL && poll) {
		mosaic_read_request_is_complete(s->requests[r].request);
	}
	finish_request(s, r);
}

static void op_texture_from_output(struct state *s, struct fuzz_input *in)
{
	int o = fuzz_u8(in) % N_OUTPUTS;
	int slot = free_slot_texture(s);
	if (slot < 0 || s->outputs[o].buffer == NULL || s->outputs[o].pass != NULL) {
		return;
	}
	put_texture(s, slot, mosaic_texture_from_buffer(s->renderer, s->outputs[o].buffer));
}

static void op_wait(struct state *s, struct fuzz_input *in)
{
	uint8_t v = fuzz_u8(in);
	uint64_t point = v < 0xf0 ? s->last_point : s->last_point + (v & 0xf);
	// A point not submitted yet times out at once.
	mosaic_renderer_wait_point(s->renderer, point, point > s->last_point ? 0 : -1);
	mosaic_renderer_get_completed_point(s->renderer);
}

static void teardown(struct state *s, struct fuzz_input *in)
{
	// Whatever the input left open, closed in an order it picks (its last bytes).
	bool requests_first = fuzz_bool(in);
	if (requests_first) {
		for (int r = 0; r < N_REQUESTS; r++) {
			finish_request(s, r);
		}
	}
	for (int o = 0; o < N_OUTPUTS; o++) {
		if (fuzz_bool(in)) {
			mosaic_buffer_drop(s->outputs[o].buffer);
			s->outputs[o].buffer = NULL;
		}
		op_submit(s, &(struct fuzz_input){ .data = (uint8_t[]){ (uint8_t)o }, .size = 1 });
	}
	for (int r = 0; r < N_REQUESTS; r++) {
		finish_request(s, r);
	}
	for (int t = 0; t < N_TEXTURES; t++) {
		mosaic_texture_destroy(s->textures[t]);
	}
	for (int o = 0; o < N_OUTPUTS; o++) {
		mosaic_buffer_drop(s->outputs[o].buffer);
	}
	mosaic_renderer_wait_point(s->renderer, s->last_point, -1);
	for (size_t i = 0; i < s->n_kept; i++) {
		free(s->kept[i]);
	}
	mosaic_allocator_destroy(s->shm);
	mosaic_allocator_destroy(s->gpu);
	pixman_region32_fini(&s->region);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_log_init();
	struct state s = { .renderer = fuzz_renderer("fuzz-api") };
	s.shm = mosaic_shm_allocator_create();
	fuzz_check(s.shm != NULL);
	s.gpu = mosaic_renderer_create_gpu_allocator(s.renderer);
	pixman_region32_init(&s.region);
	struct fuzz_input in = { .data = data, .size = size };
	static void (*const ops[])(struct state *s, struct fuzz_input *in) = {
		op_texture_from_pixels,
		op_texture_from_memfd,
		op_texture_update,
		op_texture_destroy,
		op_output_create,
		op_output_drop,
		op_begin_pass,
		op_add_rect,
		op_add_texture,
		op_add_texture,
		op_submit,
		op_read,
		op_read_start,
		op_read_finish,
		op_texture_from_output,
		op_wait,
		op_texture_update_memfd,
		op_query,
	};
	for (int calls = 0; calls < MAX_CALLS && !fuzz_done(&in); calls++) {
		ops[fuzz_u8(&in) % (sizeof(ops) / sizeof(ops[0]))](&s, &in);
	}
	teardown(&s, &in);
	return 0;
}
