#ifndef MOSAIC_TESTS_CORE_MEMFD_DMABUF_H
#define MOSAIC_TESTS_CORE_MEMFD_DMABUF_H

/*
 * memfds standing in for dmabufs (lseek tells their size; they are no
 * dmabufs). Include after common.h, in a file that defines _GNU_SOURCE
 * before its first include (memfd_create).
 */

#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>

/* A sealable memfd of `size` bytes. */
static inline int make_memfd(size_t size)
{
	int fd = memfd_create("mosaic-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return fd;
}

/* 16x16 ARGB8888 in one linear plane of 64-byte rows at `fd` (borrowed). */
static inline struct mosaic_dmabuf_attributes attribs_for(int fd)
{
	return (struct mosaic_dmabuf_attributes){
		.width = 16, .height = 16,
		.fourcc = DRM_FORMAT_ARGB8888,
		.modifier = DRM_FORMAT_MOD_LINEAR,
		.n_planes = 1,
		.stride = { 64 },
		.fd = { fd, -1, -1, -1 },
	};
}

#endif
