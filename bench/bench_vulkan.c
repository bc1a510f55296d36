/*
 * Device copy bandwidth with the renderer's own VkDevice (public escape
 * hatch of <mosaic/vulkan.h>), between mosaic calls: the queue is not used
 * by mosaic at the same time.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mosaic/vulkan.h>

#include "bench_common.h"
#include "bench_vulkan.h"

struct copy_rig {
	VkDevice dev;
	VkBuffer buffers[2];
	VkDeviceMemory memory[2];
	VkCommandPool pool;
	VkCommandBuffer cb;
	VkQueryPool queries;
	VkFence fence;
};

static void rig_finish(struct copy_rig *rig)
{
	VkDevice dev = rig->dev;
	vkDestroyFence(dev, rig->fence, NULL);
	vkDestroyQueryPool(dev, rig->queries, NULL);
	vkDestroyCommandPool(dev, rig->pool, NULL);
	for (int i = 0; i < 2; i++) {
		vkDestroyBuffer(dev, rig->buffers[i], NULL);
		vkFreeMemory(dev, rig->memory[i], NULL);
	}
}

static bool make_buffer(struct copy_rig *rig, VkPhysicalDevice phys, size_t bytes, int i)
{
	if (vkCreateBuffer(rig->dev, &(VkBufferCreateInfo){
			.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
			.size = bytes,
			.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
		}, NULL, &rig->buffers[i]) != VK_SUCCESS) {
		return false;
	}
	VkMemoryRequirements req;
	vkGetBufferMemoryRequirements(rig->dev, rig->buffers[i], &req);
	VkPhysicalDeviceMemoryProperties props;
	vkGetPhysicalDeviceMemoryProperties(phys, &props);
	uint32_t type = UINT32_MAX;
	for (uint32_t t = 0; t < props.memoryTypeCount && type == UINT32_MAX; t++) {
		if ((req.memoryTypeBits & (1u << t)) && (props.memoryTypes[t].propertyFlags &
				VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)) {
			type = t;
		}
	}
	return type != UINT32_MAX && vkAllocateMemory(rig->dev, &(VkMemoryAllocateInfo){
			.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
			.allocationSize = req.size,
			.memoryTypeIndex = type,
		}, NULL, &rig->memory[i]) == VK_SUCCESS &&
		vkBindBufferMemory(rig->dev, rig->buffers[i], rig->memory[i], 0) == VK_SUCCESS;
}

static bool make_rig(struct copy_rig *rig, struct mosaic_renderer *renderer, size_t bytes)
{
	VkPhysicalDevice phys = mosaic_vulkan_renderer_get_physical_device(renderer);
	uint32_t family = mosaic_vulkan_renderer_get_queue_family(renderer);
	rig->dev = mosaic_vulkan_renderer_get_device(renderer);
	return make_buffer(rig, phys, bytes, 0) && make_buffer(rig, phys, bytes, 1) &&
		vkCreateCommandPool(rig->dev, &(VkCommandPoolCreateInfo){
			.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
			.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
			.queueFamilyIndex = family,
		}, NULL, &rig->pool) == VK_SUCCESS &&
		vkAllocateCommandBuffers(rig->dev, &(VkCommandBufferAllocateInfo){
			.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
			.commandPool = rig->pool,
			.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
			.commandBufferCount = 1,
		}, &rig->cb) == VK_SUCCESS &&
		vkCreateQueryPool(rig->dev, &(VkQueryPoolCreateInfo){
			.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
			.queryType = VK_QUERY_TYPE_TIMESTAMP,
			.queryCount = 2,
		}, NULL, &rig->queries) == VK_SUCCESS &&
		vkCreateFence(rig->dev, &(VkFenceCreateInfo){
			.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO,
		}, NULL, &rig->fence) == VK_SUCCESS;
}

/* One timed copy in seconds, or < 0. */
static double copy_once(struct copy_rig *rig, VkQueue queue, size_t bytes, double period,
	uint64_t mask)
{
	VkCommandBuffer cb = rig->cb;
	vkResetCommandBuffer(cb, 0);
	vkBeginCommandBuffer(cb, &(VkCommandBufferBeginInfo){
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	});
	vkCmdResetQueryPool(cb, rig->queries, 0, 2);
	vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, rig->queries, 0);
	vkCmdCopyBuffer(cb, rig->buffers[0], rig->buffers[1], 1,
		&(VkBufferCopy){ .size = bytes });
	vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, rig->queries, 1);
	vkEndCommandBuffer(cb);
	vkResetFences(rig->dev, 1, &rig->fence);
	if (vkQueueSubmit(queue, 1, &(VkSubmitInfo){
			.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
			.commandBufferCount = 1,
			.pCommandBuffers = &cb,
		}, rig->fence) != VK_SUCCESS ||
			vkWaitForFences(rig->dev, 1, &rig->fence, VK_TRUE, UINT64_MAX) != VK_SUCCESS) {
		return -1.0;
	}
	uint64_t ts[2];
	if (vkGetQueryPoolResults(rig->dev, rig->queries, 0, 2, sizeof(ts), ts, sizeof(ts[0]),
			VK_QUERY_RESULT_64_BIT) != VK_SUCCESS) {
		return -1.0;
	}
	return (double)((ts[1] - ts[0]) & mask) * period / 1e9;
}

double bench_vulkan_copy_bandwidth(struct mosaic_renderer *renderer, size_t bytes, int runs)
{
	if (!mosaic_renderer_is_vulkan(renderer)) {
		fprintf(stderr, "copy bandwidth: not a Vulkan renderer\n");
		return -1.0;
	}
	VkPhysicalDevice phys = mosaic_vulkan_renderer_get_physical_device(renderer);
	uint32_t family = mosaic_vulkan_renderer_get_queue_family(renderer);
	VkPhysicalDeviceProperties props;
	vkGetPhysicalDeviceProperties(phys, &props);
	uint32_t n_families = 0;
	vkGetPhysicalDeviceQueueFamilyProperties(phys, &n_families, NULL);
	VkQueueFamilyProperties *families = calloc(n_families, sizeof(*families));
	if (families == NULL) {
		return -1.0;
	}
	vkGetPhysicalDeviceQueueFamilyProperties(phys, &n_families, families);
	uint32_t bits = family < n_families ? families[family].timestampValidBits : 0;
	free(families);
	if (bits == 0) {
		fprintf(stderr, "copy bandwidth: the queue has no timestamps\n");
		return -1.0;
	}
	uint64_t mask = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	struct copy_rig rig = {0};
	double *seconds = calloc((size_t)runs + 1, sizeof(*seconds));
	double result = -1.0;
	if (seconds == NULL || !make_rig(&rig, renderer, bytes)) {
		fprintf(stderr, "copy bandwidth: cannot make two %zu-byte device buffers\n", bytes);
		goto out;
	}
	VkQueue queue;
	vkGetDeviceQueue(rig.dev, family, 0, &queue);
	copy_once(&rig, queue, bytes, props.limits.timestampPeriod, mask); // warm-up
	size_t n = 0;
	for (int i = 0; i < runs; i++) {
		double s = copy_once(&rig, queue, bytes, props.limits.timestampPeriod, mask);
		if (s > 0.0) {
			seconds[n++] = s;
		}
	}
	if (n > 0) {
		result = 2.0 * (double)bytes / bench_median(seconds, n) / 1e9;
	} else {
		fprintf(stderr, "copy bandwidth: no copy could be timed\n");
	}
out:
	if (rig.dev != VK_NULL_HANDLE) {
		rig_finish(&rig);
	}
	free(seconds);
	return result;
}
