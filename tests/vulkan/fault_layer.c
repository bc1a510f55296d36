/*
 * VK_LAYER_MOSAIC_fault: a Vulkan layer that makes the Nth call of one entry
 * point fail, for sweeping what happens before volk's function pointers can
 * be replaced (instance and device creation, the renderer's start-up
 * objects). The test arms it through mosaic_fault_layer_arm(), found with
 * dlsym() on a handle it keeps open, so the layer's counters outlive the
 * loader's dlclose() at vkDestroyInstance.
 *
 * It keeps one instance and one device: enough for a test that creates one
 * renderer at a time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>

#define EXPORT __attribute__((visibility("default")))

static PFN_vkGetInstanceProcAddr next_gipa;
static PFN_vkGetDeviceProcAddr next_gdpa;

/* What fails: the call number `fail_at` (from 1) of `fail_name`; 0 = nothing. */
static char fail_name[64];
static int fail_at;
static int n_calls;
static bool fired;

/** Arms the layer for the next calls and resets its counters. */
EXPORT void mosaic_fault_layer_arm(const char *name, int n);
/** How many calls of the armed entry point were made since arming. */
EXPORT int mosaic_fault_layer_calls(void);
/** Whether the armed call failed. */
EXPORT bool mosaic_fault_layer_fired(void);

void mosaic_fault_layer_arm(const char *name, int n)
{
	strncpy(fail_name, name, sizeof(fail_name) - 1);
	fail_at = n;
	n_calls = 0;
	fired = false;
}

int mosaic_fault_layer_calls(void)
{
	return n_calls;
}

bool mosaic_fault_layer_fired(void)
{
	return fired;
}

static bool fail_now(const char *name)
{
	if (strcmp(name, fail_name) != 0) {
		return false;
	}
	n_calls++;
	if (n_calls == fail_at) {
		fired = true;
		return true;
	}
	return false;
}

/*
 * Each wrapped entry point: its next function, and a wrapper returning
 * `error` from the armed call. Instance-level ones are loaded at
 * vkCreateInstance, device-level ones at vkCreateDevice.
 */
#define WRAP(name, error, params, args) \
	static PFN_##name next_##name; \
	static VKAPI_ATTR VkResult VKAPI_CALL wrap_##name params \
	{ \
		if (fail_now(#name)) { \
			return error; \
		} \
		return next_##name args; \
	}

#define OOM_HOST VK_ERROR_OUT_OF_HOST_MEMORY
#define OOM_DEVICE VK_ERROR_OUT_OF_DEVICE_MEMORY

WRAP(vkEnumeratePhysicalDevices, OOM_HOST,
	(VkInstance i, uint32_t *n, VkPhysicalDevice *d), (i, n, d))
WRAP(vkCreateDebugUtilsMessengerEXT, OOM_HOST,
	(VkInstance i, const VkDebugUtilsMessengerCreateInfoEXT *c,
	const VkAllocationCallbacks *a, VkDebugUtilsMessengerEXT *o), (i, c, a, o))
WRAP(vkGetPhysicalDeviceImageFormatProperties2, OOM_HOST,
	(VkPhysicalDevice p, const VkPhysicalDeviceImageFormatInfo2 *i,
	VkImageFormatProperties2 *o), (p, i, o))

WRAP(vkAllocateMemory, OOM_DEVICE, (VkDevice d, const VkMemoryAllocateInfo *i,
	const VkAllocationCallbacks *a, VkDeviceMemory *o), (d, i, a, o))
WRAP(vkMapMemory, OOM_HOST, (VkDevice d, VkDeviceMemory m, VkDeviceSize off,
	VkDeviceSize size, VkMemoryMapFlags f, void **o), (d, m, off, size, f, o))
WRAP(vkBindBufferMemory, OOM_DEVICE, (VkDevice d, VkBuffer b, VkDeviceMemory m,
	VkDeviceSize off), (d, b, m, off))
WRAP(vkBindImageMemory2, OOM_DEVICE, (VkDevice d, uint32_t n,
	const VkBindImageMemoryInfo *i), (d, n, i))
WRAP(vkCreateBuffer, OOM_HOST, (VkDevice d, const VkBufferCreateInfo *c,
	const VkAllocationCallbacks *a, VkBuffer *o), (d, c, a, o))
WRAP(vkCreateImage, OOM_HOST, (VkDevice d, const VkImageCreateInfo *c,
	const VkAllocationCallbacks *a, VkImage *o), (d, c, a, o))
WRAP(vkCreateImageView, OOM_HOST, (VkDevice d, const VkImageViewCreateInfo *c,
	const VkAllocationCallbacks *a, VkImageView *o), (d, c, a, o))
WRAP(vkCreateSampler, OOM_HOST, (VkDevice d, const VkSamplerCreateInfo *c,
	const VkAllocationCallbacks *a, VkSampler *o), (d, c, a, o))
WRAP(vkCreateCommandPool, OOM_HOST, (VkDevice d, const VkCommandPoolCreateInfo *c,
	const VkAllocationCallbacks *a, VkCommandPool *o), (d, c, a, o))
WRAP(vkAllocateCommandBuffers, OOM_HOST, (VkDevice d,
	const VkCommandBufferAllocateInfo *i, VkCommandBuffer *o), (d, i, o))
WRAP(vkCreateFence, OOM_HOST, (VkDevice d, const VkFenceCreateInfo *c,
	const VkAllocationCallbacks *a, VkFence *o), (d, c, a, o))
WRAP(vkCreateSemaphore, OOM_HOST, (VkDevice d, const VkSemaphoreCreateInfo *c,
	const VkAllocationCallbacks *a, VkSemaphore *o), (d, c, a, o))
WRAP(vkCreatePipelineCache, OOM_HOST, (VkDevice d, const VkPipelineCacheCreateInfo *c,
	const VkAllocationCallbacks *a, VkPipelineCache *o), (d, c, a, o))
WRAP(vkCreatePipelineLayout, OOM_HOST, (VkDevice d, const VkPipelineLayoutCreateInfo *c,
	const VkAllocationCallbacks *a, VkPipelineLayout *o), (d, c, a, o))
WRAP(vkCreateDescriptorSetLayout, OOM_HOST, (VkDevice d,
	const VkDescriptorSetLayoutCreateInfo *c, const VkAllocationCallbacks *a,
	VkDescriptorSetLayout *o), (d, c, a, o))
WRAP(vkCreateDescriptorPool, OOM_HOST, (VkDevice d, const VkDescriptorPoolCreateInfo *c,
	const VkAllocationCallbacks *a, VkDescriptorPool *o), (d, c, a, o))
WRAP(vkAllocateDescriptorSets, OOM_HOST, (VkDevice d,
	const VkDescriptorSetAllocateInfo *i, VkDescriptorSet *o), (d, i, o))
WRAP(vkCreateShaderModule, OOM_HOST, (VkDevice d, const VkShaderModuleCreateInfo *c,
	const VkAllocationCallbacks *a, VkShaderModule *o), (d, c, a, o))
WRAP(vkCreateGraphicsPipelines, OOM_HOST, (VkDevice d, VkPipelineCache pc, uint32_t n,
	const VkGraphicsPipelineCreateInfo *c, const VkAllocationCallbacks *a, VkPipeline *o),
	(d, pc, n, c, a, o))
WRAP(vkCreateComputePipelines, OOM_HOST, (VkDevice d, VkPipelineCache pc, uint32_t n,
	const VkComputePipelineCreateInfo *c, const VkAllocationCallbacks *a, VkPipeline *o),
	(d, pc, n, c, a, o))
WRAP(vkCreateRenderPass, OOM_HOST, (VkDevice d, const VkRenderPassCreateInfo *c,
	const VkAllocationCallbacks *a, VkRenderPass *o), (d, c, a, o))
WRAP(vkCreateQueryPool, OOM_HOST, (VkDevice d, const VkQueryPoolCreateInfo *c,
	const VkAllocationCallbacks *a, VkQueryPool *o), (d, c, a, o))
WRAP(vkCreateSamplerYcbcrConversion, OOM_HOST, (VkDevice d,
	const VkSamplerYcbcrConversionCreateInfo *c, const VkAllocationCallbacks *a,
	VkSamplerYcbcrConversion *o), (d, c, a, o))
WRAP(vkBeginCommandBuffer, OOM_HOST, (VkCommandBuffer b,
	const VkCommandBufferBeginInfo *i), (b, i))
WRAP(vkEndCommandBuffer, OOM_HOST, (VkCommandBuffer b), (b))
WRAP(vkQueueSubmit, VK_ERROR_DEVICE_LOST, (VkQueue q, uint32_t n, const VkSubmitInfo *s,
	VkFence f), (q, n, s, f))
WRAP(vkWaitForFences, VK_ERROR_DEVICE_LOST, (VkDevice d, uint32_t n, const VkFence *f,
	VkBool32 all, uint64_t timeout), (d, n, f, all, timeout))

struct entry {
	const char *name;
	PFN_vkVoidFunction wrapper;
	PFN_vkVoidFunction *next;
	bool device;
};

#define INSTANCE_ENTRY(name) \
	{ #name, (PFN_vkVoidFunction)wrap_##name, (PFN_vkVoidFunction *)&next_##name, false }
#define DEVICE_ENTRY(name) \
	{ #name, (PFN_vkVoidFunction)wrap_##name, (PFN_vkVoidFunction *)&next_##name, true }

static const struct entry entries[] = {
	INSTANCE_ENTRY(vkEnumeratePhysicalDevices),
	INSTANCE_ENTRY(vkCreateDebugUtilsMessengerEXT),
	INSTANCE_ENTRY(vkGetPhysicalDeviceImageFormatProperties2),
	DEVICE_ENTRY(vkAllocateMemory),
	DEVICE_ENTRY(vkMapMemory),
	DEVICE_ENTRY(vkBindBufferMemory),
	DEVICE_ENTRY(vkBindImageMemory2),
	DEVICE_ENTRY(vkCreateBuffer),
	DEVICE_ENTRY(vkCreateImage),
	DEVICE_ENTRY(vkCreateImageView),
	DEVICE_ENTRY(vkCreateSampler),
	DEVICE_ENTRY(vkCreateCommandPool),
	DEVICE_ENTRY(vkAllocateCommandBuffers),
	DEVICE_ENTRY(vkCreateFence),
	DEVICE_ENTRY(vkCreateSemaphore),
	DEVICE_ENTRY(vkCreatePipelineCache),
	DEVICE_ENTRY(vkCreatePipelineLayout),
	DEVICE_ENTRY(vkCreateDescriptorSetLayout),
	DEVICE_ENTRY(vkCreateDescriptorPool),
	DEVICE_ENTRY(vkAllocateDescriptorSets),
	DEVICE_ENTRY(vkCreateShaderModule),
	DEVICE_ENTRY(vkCreateGraphicsPipelines),
	DEVICE_ENTRY(vkCreateComputePipelines),
	DEVICE_ENTRY(vkCreateRenderPass),
	DEVICE_ENTRY(vkCreateQueryPool),
	DEVICE_ENTRY(vkCreateSamplerYcbcrConversion),
	DEVICE_ENTRY(vkBeginCommandBuffer),
	DEVICE_ENTRY(vkEndCommandBuffer),
	DEVICE_ENTRY(vkQueueSubmit),
	DEVICE_ENTRY(vkWaitForFences),
};

/* The entry of `name`, with the KHR aliases of core 1.1 functions. */
static const struct entry *find_entry(const char *name)
{
	static const char *const aliases[][2] = {
		{ "vkBindImageMemory2KHR", "vkBindImageMemory2" },
		{ "vkCreateSamplerYcbcrConversionKHR", "vkCreateSamplerYcbcrConversion" },
		{ "vkGetPhysicalDeviceImageFormatProperties2KHR",
			"vkGetPhysicalDeviceImageFormatProperties2" },
	};
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcmp(name, aliases[i][0]) == 0) {
			name = aliases[i][1];
		}
	}
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		if (strcmp(entries[i].name, name) == 0) {
			return &entries[i];
		}
	}
	return NULL;
}

static VKAPI_ATTR VkResult VKAPI_CALL layer_create_instance(const VkInstanceCreateInfo *info,
	const VkAllocationCallbacks *alloc, VkInstance *instance)
{
	VkLayerInstanceCreateInfo *chain = (VkLayerInstanceCreateInfo *)info->pNext;
	while (chain != NULL && !(chain->sType == VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO &&
			chain->function == VK_LAYER_LINK_INFO)) {
		chain = (VkLayerInstanceCreateInfo *)chain->pNext;
	}
	if (chain == NULL) {
		return VK_ERROR_INITIALIZATION_FAILED;
	}
	next_gipa = chain->u.pLayerInfo->pfnNextGetInstanceProcAddr;
	chain->u.pLayerInfo = chain->u.pLayerInfo->pNext;
	if (fail_now("vkCreateInstance")) {
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	}
	PFN_vkCreateInstance create =
		(PFN_vkCreateInstance)next_gipa(VK_NULL_HANDLE, "vkCreateInstance");
	VkResult res = create(info, alloc, instance);
	if (res != VK_SUCCESS) {
		return res;
	}
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		if (!entries[i].device) {
			*entries[i].next = next_gipa(*instance, entries[i].name);
		}
	}
	return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL layer_create_device(VkPhysicalDevice physical,
	const VkDeviceCreateInfo *info, const VkAllocationCallbacks *alloc, VkDevice *device)
{
	VkLayerDeviceCreateInfo *chain = (VkLayerDeviceCreateInfo *)info->pNext;
	while (chain != NULL && !(chain->sType == VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO &&
			chain->function == VK_LAYER_LINK_INFO)) {
		chain = (VkLayerDeviceCreateInfo *)chain->pNext;
	}
	if (chain == NULL) {
		return VK_ERROR_INITIALIZATION_FAILED;
	}
	PFN_vkGetInstanceProcAddr gipa = chain->u.pLayerInfo->pfnNextGetInstanceProcAddr;
	next_gdpa = chain->u.pLayerInfo->pfnNextGetDeviceProcAddr;
	chain->u.pLayerInfo = chain->u.pLayerInfo->pNext;
	if (fail_now("vkCreateDevice")) {
		return VK_ERROR_OUT_OF_HOST_MEMORY;
	}
	PFN_vkCreateDevice create = (PFN_vkCreateDevice)gipa(VK_NULL_HANDLE, "vkCreateDevice");
	VkResult res = create(physical, info, alloc, device);
	if (res != VK_SUCCESS) {
		return res;
	}
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		if (entries[i].device) {
			*entries[i].next = next_gdpa(*device, entries[i].name);
		}
	}
	return VK_SUCCESS;
}

EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkGetDeviceProcAddr(VkDevice device,
	const char *name);
EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkGetInstanceProcAddr(VkInstance instance,
	const char *name);

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkGetDeviceProcAddr(VkDevice device, const char *name)
{
	if (strcmp(name, "vkGetDeviceProcAddr") == 0) {
		return (PFN_vkVoidFunction)vkGetDeviceProcAddr;
	}
	const struct entry *e = find_entry(name);
	if (e != NULL && e->device) {
		// Not offered below (an extension not enabled): not offered here either.
		return next_gdpa(device, name) != NULL ? e->wrapper : NULL;
	}
	return next_gdpa(device, name);
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkGetInstanceProcAddr(VkInstance instance,
	const char *name)
{
	if (strcmp(name, "vkGetInstanceProcAddr") == 0) {
		return (PFN_vkVoidFunction)vkGetInstanceProcAddr;
	}
	if (strcmp(name, "vkGetDeviceProcAddr") == 0) {
		return (PFN_vkVoidFunction)vkGetDeviceProcAddr;
	}
	if (strcmp(name, "vkCreateInstance") == 0) {
		return (PFN_vkVoidFunction)layer_create_instance;
	}
	if (strcmp(name, "vkCreateDevice") == 0) {
		return (PFN_vkVoidFunction)layer_create_device;
	}
	if (next_gipa == NULL) {
		return NULL;
	}
	const struct entry *e = find_entry(name);
	if (e != NULL && !e->device) {
		return next_gipa(instance, name) != NULL ? e->wrapper : NULL;
	}
	return next_gipa(instance, name);
}
