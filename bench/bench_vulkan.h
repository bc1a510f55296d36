#ifndef MOSAIC_BENCH_VULKAN_H
#define MOSAIC_BENCH_VULKAN_H

/*
 * The one Vulkan-only measurement of the benchmarks: the device's own copy
 * bandwidth, to turn the bytes a frame must move into a floor in time.
 * Built only with the Vulkan backend (bench/meson.build).
 */

#include <stddef.h>

#include <mosaic/mosaic.h>

/**
 * Median over `runs` of vkCmdCopyBuffer between two device-local buffers of
 * `bytes` bytes on the renderer's device and queue, timed with timestamps:
 * bytes read plus bytes written per second, in GB/s (1e9). < 0 with one
 * line on stderr when it cannot be measured (not a Vulkan renderer, no
 * timestamps, out of memory).
 */
double bench_vulkan_copy_bandwidth(struct mosaic_renderer *renderer, size_t bytes, int runs);

#endif
