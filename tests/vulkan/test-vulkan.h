#ifndef MOSAIC_TEST_VULKAN_TEST_VULKAN_H
#define MOSAIC_TEST_VULKAN_TEST_VULKAN_H

/*
 * test-vulkan is one binary built from test-vulkan*.c; test-vulkan.c runs
 * the tests the others declare here. Each test gets a fresh renderer as
 * *state (test_setup() of common.h).
 */

/* test-vulkan.c: the renderer, its device and its pipeline cache. */
void test_features(void **state);
void test_pipeline_cache(void **state);
void test_device_choice(void **state);
void test_device_lost(void **state);

/* test-vulkan-cpu-buffers.c: readback, uploads from memory, CPU-memory targets. */
void test_read_pixels(void **state);
void test_partial_update(void **state);
void test_shm_upload(void **state);
void test_shm_target(void **state);
void test_target_refuses(void **state);

/* test-vulkan-gpu-buffers.c: Vulkan buffers, the GPU allocator, opaque fds, dmabufs absent. */
void test_vulkan_buffer(void **state);
void test_gpu_allocator(void **state);
void test_opaque_fd_roundtrip(void **state);
void test_dmabuf_absent(void **state);

/* test-vulkan-passes.c: timers, sync_files, pipelines made at begin, boxes past INT32_MAX. */
void test_timer(void **state);
void test_sync_files(void **state);
void test_pipelines_at_begin(void **state);
void test_huge_boxes(void **state);

#endif
