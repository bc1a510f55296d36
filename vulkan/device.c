#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "private/backend.h"
#include "private/drm.h"
#include "private/log.h"
#include "vulkan/vulkan_private.h"

const char *vk_result_string(VkResult res)
{
	switch (res) {
#define CASE(x) case x: return #x
	CASE(VK_SUCCESS);
	CASE(VK_NOT_READY);
	CASE(VK_TIMEOUT);
	CASE(VK_INCOMPLETE);
	CASE(VK_ERROR_OUT_OF_HOST_MEMORY);
	CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY);
	CASE(VK_ERROR_INITIALIZATION_FAILED);
	CASE(VK_ERROR_DEVICE_LOST);
	CASE(VK_ERROR_MEMORY_MAP_FAILED);
	CASE(VK_ERROR_LAYER_NOT_PRESENT);
	CASE(VK_ERROR_EXTENSION_NOT_PRESENT);
	CASE(VK_ERROR_FEATURE_NOT_PRESENT);
	CASE(VK_ERROR_INCOMPATIBLE_DRIVER);
	CASE(VK_ERROR_TOO_MANY_OBJECTS);
	CASE(VK_ERROR_FORMAT_NOT_SUPPORTED);
	CASE(VK_ERROR_FRAGMENTED_POOL);
	CASE(VK_ERROR_OUT_OF_POOL_MEMORY);
	CASE(VK_ERROR_INVALID_EXTERNAL_HANDLE);
	CASE(VK_ERROR_INVALID_DRM_FORMAT_MODIFIER_PLANE_LAYOUT_EXT);
#undef CASE
	default:
		return "unknown VkResult";
	}
}

void vk_fail(struct vk_renderer *r, VkResult res, const char *what)
{
	if (res == VK_ERROR_DEVICE_LOST && r != NULL) {
		// The loss has its own ERROR line: one line for one failure.
		mosaic_log(MOSAIC_LOG_DEBUG, "vulkan: %s failed: %s", what, vk_result_string(res));
		mosaic_renderer_set_lost(&r->base);
		return;
	}
	mosaic_log(MOSAIC_LOG_ERROR, "vulkan: %s failed: %s", what, vk_result_string(res));
}

void vk_name(struct vk_renderer *r, VkObjectType type, uint64_t handle, const char *fmt, ...)
{
	if (!r->feat.debug_utils || handle == 0) {
		return;
	}
	char name[128];
	va_list args;
	va_start(args, fmt);
	vsnprintf(name, sizeof(name), fmt, args);
	va_end(args);
	vkSetDebugUtilsObjectNameEXT(r->dev, &(VkDebugUtilsObjectNameInfoEXT){
		.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_OBJECT_NAME_INFO_EXT,
		.objectType = type,
		.objectHandle = handle,
		.pObjectName = name,
	});
}

static VKAPI_ATTR VkBool32 VKAPI_CALL debug_callback(
	VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT type,
	const VkDebugUtilsMessengerCallbackDataEXT *data, void *user_data)
{
	struct vk_renderer *r = user_data;
	enum mosaic_log level = MOSAIC_LOG_DEBUG;
	if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
		level = MOSAIC_LOG_ERROR;
	} else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
		level = MOSAIC_LOG_WARN;
	}
	bool validation = (type & VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT) != 0;
	if (!validation && level == MOSAIC_LOG_ERROR) {
		// The loader's and driver's own words on a failing call: detail for
		// the library's ERROR line about that call, which stays the one.
		level = MOSAIC_LOG_WARN;
	}
	if (validation && level <= MOSAIC_LOG_WARN) {
		r->validation_messages++;
	}
	mosaic_log(level, "vulkan %s: [%s] %s", validation ? "validation" : "driver",
		data->pMessageIdName != NULL ? data->pMessageIdName : "-",
		data->pMessage != NULL ? data->pMessage : "");
	return VK_FALSE;
}

static bool has_extension(const VkExtensionProperties *exts, uint32_t n, const char *name)
{
	for (uint32_t i = 0; i < n; i++) {
		if (strcmp(exts[i].extensionName, name) == 0) {
			return true;
		}
	}
	return false;
}

static bool has_layer(const char *name)
{
	uint32_t n = 0;
	if (vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS || n == 0) {
		return false;
	}
	VkLayerProperties *layers = calloc(n, sizeof(*layers));
	if (layers == NULL) {
		return false;
	}
	bool found = false;
	if (vkEnumerateInstanceLayerProperties(&n, layers) == VK_SUCCESS) {
		for (uint32_t i = 0; i < n && !found; i++) {
			found = strcmp(layers[i].layerName, name) == 0;
		}
	}
	free(layers);
	return found;
}

static bool create_instance(struct vk_renderer *r)
{
	enum mosaic_log fail_level = mosaic_probe_level(r->probing);
	VkResult res = volkInitialize();
	if (res != VK_SUCCESS) {
		mosaic_log(fail_level, "vulkan: no Vulkan loader (libvulkan.so.1): %s",
			vk_result_string(res));
		return false;
	}
	uint32_t loader_version = volkGetInstanceVersion();
	if (loader_version < VK_API_VERSION_1_1) {
		mosaic_log(fail_level, "vulkan: the loader only offers Vulkan %u.%u; 1.1 is needed",
			VK_API_VERSION_MAJOR(loader_version), VK_API_VERSION_MINOR(loader_version));
		return false;
	}

	uint32_t n_exts = 0;
	vkEnumerateInstanceExtensionProperties(NULL, &n_exts, NULL);
	VkExtensionProperties *exts = calloc(n_exts + 1, sizeof(*exts));
	if (exts == NULL) {
		return false;
	}
	vkEnumerateInstanceExtensionProperties(NULL, &n_exts, exts);
	const char *enabled[4];
	uint32_t n_enabled = 0;
	r->feat.debug_utils = has_extension(exts, n_exts, VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
	if (r->feat.debug_utils) {
		enabled[n_enabled++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
	}
	free(exts);

	const char *layers[1];
	uint32_t n_layers = 0;
	const char *env = getenv("MOSAIC_VK_VALIDATION");
	VkValidationFeatureEnableEXT validation_enables[] = {
		VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT,
	};
	VkValidationFeaturesEXT validation_features = {
		.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
		.enabledValidationFeatureCount = 1,
		.pEnabledValidationFeatures = validation_enables,
	};
	if (env != NULL && strcmp(env, "1") == 0) {
		if (has_layer("VK_LAYER_KHRONOS_validation")) {
			layers[n_layers++] = "VK_LAYER_KHRONOS_validation";
			// The layer implements VK_EXT_validation_features itself.
			enabled[n_enabled++] = VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME;
			r->feat.validation = true;
		} else {
			mosaic_log(MOSAIC_LOG_WARN, "vulkan: MOSAIC_VK_VALIDATION=1 but the "
				"validation layer is not installed (Debian: vulkan-validationlayers)");
		}
	}

	VkInstanceCreateInfo info = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pNext = r->feat.validation ? &validation_features : NULL,
		.pApplicationInfo = &(VkApplicationInfo){
			.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
			.pApplicationName = "mosaic",
			.pEngineName = "mosaic",
			.apiVersion = loader_version >= VK_API_VERSION_1_3 ?
				VK_API_VERSION_1_3 : loader_version,
		},
		.enabledLayerCount = n_layers,
		.ppEnabledLayerNames = layers,
		.enabledExtensionCount = n_enabled,
		.ppEnabledExtensionNames = enabled,
	};
	res = vkCreateInstance(&info, NULL, &r->instance);
	if (res != VK_SUCCESS) {
		mosaic_log(fail_level, "vulkan: vkCreateInstance failed: %s", vk_result_string(res));
		return false;
	}
	r->create_count++;
	volkLoadInstance(r->instance);

	if (r->feat.debug_utils) {
		VkDebugUtilsMessageSeverityFlagsEXT severity =
			VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT |
			VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT;
		if (mosaic_log_get_verbosity() >= MOSAIC_LOG_DEBUG) {
			severity |= VK_DEBUG_UTILS_MESSAGE_SEVERITY_INFO_BIT_EXT;
		}
		res = vkCreateDebugUtilsMessengerEXT(r->instance,
			&(VkDebugUtilsMessengerCreateInfoEXT){
				.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
				.messageSeverity = severity,
				.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
					VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
					VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
				.pfnUserCallback = debug_callback,
				.pUserData = r,
			}, NULL, &r->messenger);
		if (res != VK_SUCCESS) {
			mosaic_log(MOSAIC_LOG_WARN, "vulkan: no debug messenger: %s",
				vk_result_string(res));
		} else {
			r->create_count++;
		}
	}
	return true;
}

struct candidate {
	VkPhysicalDevice phdev;
	VkPhysicalDeviceProperties props;
	bool has_drm;
	VkPhysicalDeviceDrmPropertiesEXT drm;
	uint32_t queue_family;
};

static int type_rank(VkPhysicalDeviceType type)
{
	switch (type) {
	case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
		return 0;
	case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
		return 1;
	case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
		return 2;
	case VK_PHYSICAL_DEVICE_TYPE_CPU:
		return 3;
	default:
		return 4;
	}
}

static bool contains_nocase(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = haystack; *p != '\0'; p++) {
		size_t i = 0;
		while (i < n && p[i] != '\0' &&
				tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i])) {
			i++;
		}
		if (i == n) {
			return true;
		}
	}
	return n == 0;
}

static bool fill_candidate(struct candidate *c, VkPhysicalDevice phdev)
{
	*c = (struct candidate){ .phdev = phdev };
	vkGetPhysicalDeviceProperties(phdev, &c->props);
	if (c->props.apiVersion < VK_API_VERSION_1_1) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: skipping %s: Vulkan %u.%u (1.1 is needed)",
			c->props.deviceName, VK_API_VERSION_MAJOR(c->props.apiVersion),
			VK_API_VERSION_MINOR(c->props.apiVersion));
		return false;
	}
	uint32_t n = 0;
	vkGetPhysicalDeviceQueueFamilyProperties(phdev, &n, NULL);
	VkQueueFamilyProperties *families = calloc(n + 1, sizeof(*families));
	if (families == NULL) {
		return false;
	}
	vkGetPhysicalDeviceQueueFamilyProperties(phdev, &n, families);
	bool found = false;
	for (uint32_t i = 0; i < n && !found; i++) {
		if (families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) {
			c->queue_family = i;
			found = true;
		}
	}
	free(families);
	if (!found) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: skipping %s: no graphics queue",
			c->props.deviceName);
		return false;
	}

	uint32_t n_exts = 0;
	vkEnumerateDeviceExtensionProperties(phdev, NULL, &n_exts, NULL);
	VkExtensionProperties *exts = calloc(n_exts + 1, sizeof(*exts));
	if (exts == NULL) {
		return false;
	}
	vkEnumerateDeviceExtensionProperties(phdev, NULL, &n_exts, exts);
	c->has_drm = has_extension(exts, n_exts, VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME);
	free(exts);
	if (c->has_drm) {
		c->drm = (VkPhysicalDeviceDrmPropertiesEXT){
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRM_PROPERTIES_EXT,
		};
		vkGetPhysicalDeviceProperties2(phdev, &(VkPhysicalDeviceProperties2){
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
			.pNext = &c->drm,
		});
	}
	return true;
}

static bool drm_matches(const struct candidate *c, dev_t dev)
{
	if (!c->has_drm) {
		return false;
	}
	if (c->drm.hasPrimary && (int64_t)major(dev) == c->drm.primaryMajor &&
			(int64_t)minor(dev) == c->drm.primaryMinor) {
		return true;
	}
	return c->drm.hasRender && (int64_t)major(dev) == c->drm.renderMajor &&
		(int64_t)minor(dev) == c->drm.renderMinor;
}

/* Whether the device reports a DRM node of its own (lavapipe does not). */
static bool has_drm_node(const struct candidate *c)
{
	return c->has_drm && (c->drm.hasPrimary || c->drm.hasRender);
}

static void log_candidates(enum mosaic_log level, const struct candidate *cands, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct candidate *c = &cands[i];
		char nodes[96] = "no DRM properties";
		if (c->has_drm) {
			snprintf(nodes, sizeof(nodes), "primary %s%lld:%lld, render %s%lld:%lld",
				c->drm.hasPrimary ? "" : "(none) ", (long long)c->drm.primaryMajor,
				(long long)c->drm.primaryMinor, c->drm.hasRender ? "" : "(none) ",
				(long long)c->drm.renderMajor, (long long)c->drm.renderMinor);
		}
		mosaic_log(level, "vulkan: device %zu: %s (%s)", i, c->props.deviceName, nodes);
	}
}

static bool choose_device(struct vk_renderer *r, int drm_fd, struct candidate *out)
{
	enum mosaic_log fail_level = mosaic_probe_level(r->probing);
	uint32_t n = 0;
	VkResult res = vkEnumeratePhysicalDevices(r->instance, &n, NULL);
	if (res != VK_SUCCESS || n == 0) {
		mosaic_log(fail_level, "vulkan: no physical device (%s)", vk_result_string(res));
		return false;
	}
	VkPhysicalDevice *phdevs = calloc(n, sizeof(*phdevs));
	struct candidate *cands = calloc(n, sizeof(*cands));
	bool ok = false;
	if (phdevs == NULL || cands == NULL) {
		mosaic_log_errno(MOSAIC_LOG_ERROR, "allocation failed");
		goto out;
	}
	// Devices can go between the two calls (VK_INCOMPLETE: n is what was written).
	res = vkEnumeratePhysicalDevices(r->instance, &n, phdevs);
	if (res != VK_SUCCESS && res != VK_INCOMPLETE) {
		mosaic_log(fail_level, "vulkan: vkEnumeratePhysicalDevices failed: %s",
			vk_result_string(res));
		goto out;
	}
	size_t n_cands = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (fill_candidate(&cands[n_cands], phdevs[i])) {
			n_cands++;
		}
	}
	if (n_cands == 0) {
		mosaic_log(fail_level, "vulkan: no device with Vulkan 1.1 and a graphics queue");
		goto out;
	}
	log_candidates(MOSAIC_LOG_DEBUG, cands, n_cands);

	int chosen = -1;
	const char *env = getenv("MOSAIC_VK_DEVICE");
	if (env != NULL && env[0] != '\0') {
		char *end;
		long index = strtol(env, &end, 10);
		if (*end == '\0') {
			if (index >= 0 && (size_t)index < n_cands) {
				chosen = (int)index;
			}
		} else {
			for (size_t i = 0; i < n_cands && chosen < 0; i++) {
				if (contains_nocase(cands[i].props.deviceName, env)) {
					chosen = (int)i;
				}
			}
		}
		if (chosen < 0) {
			mosaic_log(fail_level, "vulkan: MOSAIC_VK_DEVICE=%s matches no device; "
				"the devices are:", env);
			log_candidates(fail_level, cands, n_cands);
			goto out;
		}
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: device chosen by MOSAIC_VK_DEVICE=%s", env);
	} else if (drm_fd > 0) {
		struct stat st;
		if (fstat(drm_fd, &st) != 0) {
			mosaic_log_errno(fail_level, "vulkan: fstat on the DRM fd failed");
			goto out;
		}
		for (size_t i = 0; i < n_cands && chosen < 0; i++) {
			if (drm_matches(&cands[i], st.st_rdev)) {
				chosen = (int)i;
			}
		}
		// No device of that node: a CPU one (it maps any dmabuf) runs beside it,
		// when Vulkan was asked for (auto-selection prefers GLES on the device).
		bool beside = chosen < 0 && !r->probing && mosaic_drm_fd_is_node(drm_fd);
		for (size_t i = 0; i < n_cands && beside && chosen < 0; i++) {
			if (!has_drm_node(&cands[i]) &&
					cands[i].props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU) {
				chosen = (int)i;
			}
		}
		if (beside && chosen >= 0) {
			mosaic_log(MOSAIC_LOG_INFO, "vulkan: no Vulkan device has the DRM node "
				"%u:%u; %s, which has none, runs beside it", major(st.st_rdev),
				minor(st.st_rdev), cands[chosen].props.deviceName);
		} else if (chosen < 0) {
			mosaic_log(fail_level, "vulkan: no Vulkan device matches the DRM device "
				"%u:%u; the devices are:", major(st.st_rdev), minor(st.st_rdev));
			log_candidates(fail_level, cands, n_cands);
			goto out;
		}
	} else {
		for (size_t i = 0; i < n_cands; i++) {
			if (chosen < 0 || type_rank(cands[i].props.deviceType) <
					type_rank(cands[chosen].props.deviceType)) {
				chosen = (int)i;
			}
		}
	}
	*out = cands[chosen];
	ok = true;
out:
	free(phdevs);
	free(cands);
	return ok;
}

static bool sync_file_semaphore(VkPhysicalDevice phdev, VkExternalSemaphoreFeatureFlags want)
{
	VkExternalSemaphoreProperties props = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_SEMAPHORE_PROPERTIES,
	};
	vkGetPhysicalDeviceExternalSemaphoreProperties(phdev,
		&(VkPhysicalDeviceExternalSemaphoreInfo){
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_SEMAPHORE_INFO,
			.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT,
		}, &props);
	return (props.externalSemaphoreFeatures & want) == want;
}

static bool sync_file_fence(VkPhysicalDevice phdev)
{
	VkExternalFenceProperties props = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_FENCE_PROPERTIES,
	};
	vkGetPhysicalDeviceExternalFenceProperties(phdev, &(VkPhysicalDeviceExternalFenceInfo){
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_FENCE_INFO,
		.handleType = VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT,
	}, &props);
	return (props.externalFenceFeatures & VK_EXTERNAL_FENCE_FEATURE_EXPORTABLE_BIT) != 0;
}

static void missing(const char *what, const char *consequence)
{
	mosaic_log(MOSAIC_LOG_INFO, "vulkan: no %s: %s", what, consequence);
}

static bool create_device(struct vk_renderer *r, const struct candidate *c)
{
	enum mosaic_log fail_level = mosaic_probe_level(r->probing);
	VkPhysicalDevice phdev = c->phdev;
	struct vk_features *f = &r->feat;
	f->api_version = c->props.apiVersion;

	uint32_t n_exts = 0;
	vkEnumerateDeviceExtensionProperties(phdev, NULL, &n_exts, NULL);
	VkExtensionProperties *exts = calloc(n_exts + 1, sizeof(*exts));
	if (exts == NULL) {
		return false;
	}
	vkEnumerateDeviceExtensionProperties(phdev, NULL, &n_exts, exts);
	const char *enabled[16];
	uint32_t n_enabled = 0;
#define WANT(name) (has_extension(exts, n_exts, name) ? \
	(enabled[n_enabled++] = name, true) : false)

	f->external_memory_fd = WANT(VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
	bool dma_buf = f->external_memory_fd &&
		WANT(VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME);
	bool modifiers = WANT(VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME);
	if (modifiers && f->api_version < VK_API_VERSION_1_2) {
		WANT(VK_KHR_IMAGE_FORMAT_LIST_EXTENSION_NAME);
	}
	f->host_pointer = WANT(VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
	f->foreign_queue = WANT(VK_EXT_QUEUE_FAMILY_FOREIGN_EXTENSION_NAME);
	bool semaphore_fd = WANT(VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME);
	bool fence_fd = WANT(VK_KHR_EXTERNAL_FENCE_FD_EXTENSION_NAME);
	bool timeline_ext = f->api_version < VK_API_VERSION_1_2 &&
		WANT(VK_KHR_TIMELINE_SEMAPHORE_EXTENSION_NAME);
	bool clock_ext = WANT(VK_KHR_SHADER_CLOCK_EXTENSION_NAME);
#undef WANT
	free(exts);

	// Feature structs are only chained for what the device has.
	VkPhysicalDeviceTimelineSemaphoreFeatures timeline = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES,
	};
	VkPhysicalDeviceSamplerYcbcrConversionFeatures ycbcr = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SAMPLER_YCBCR_CONVERSION_FEATURES,
	};
	VkPhysicalDeviceShaderClockFeaturesKHR clock = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_CLOCK_FEATURES_KHR,
		.pNext = &ycbcr,
	};
	VkPhysicalDeviceFeatures2 features = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
		.pNext = clock_ext ? (void *)&clock : (void *)&ycbcr,
	};
	bool chain_timeline = f->api_version >= VK_API_VERSION_1_2 || timeline_ext;
	if (chain_timeline) {
		ycbcr.pNext = &timeline;
	}
	vkGetPhysicalDeviceFeatures2(phdev, &features);
	f->timeline = timeline.timelineSemaphore;
	// Core in Vulkan 1.1: YUV formats are sampled through conversions (ycbcr.c).
	f->ycbcr = ycbcr.samplerYcbcrConversion;
	const char *no_ycbcr = getenv("MOSAIC_VK_NO_YCBCR");
	if (f->ycbcr && no_ycbcr != NULL && strcmp(no_ycbcr, "1") == 0) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: MOSAIC_VK_NO_YCBCR=1: no YUV textures");
		f->ycbcr = false;
	}
	const char *no_timeline = getenv("MOSAIC_VK_NO_TIMELINE");
	if (f->timeline && no_timeline != NULL && strcmp(no_timeline, "1") == 0) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: MOSAIC_VK_NO_TIMELINE=1: completion is "
			"tracked with fences");
		f->timeline = false;
	}

	VkPhysicalDeviceExternalMemoryHostPropertiesEXT host_props = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT,
	};
	VkPhysicalDeviceIDProperties id_props = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES,
		.pNext = f->host_pointer ? &host_props : NULL,
	};
	vkGetPhysicalDeviceProperties2(phdev, &(VkPhysicalDeviceProperties2){
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
		.pNext = &id_props,
	});
	memcpy(r->device_uuid, id_props.deviceUUID, VK_UUID_SIZE);
	memcpy(r->driver_uuid, id_props.driverUUID, VK_UUID_SIZE);
	f->host_pointer_alignment = host_props.minImportedHostPointerAlignment;
	long page = sysconf(_SC_PAGESIZE);
	// Mappings are page-aligned; a larger import alignment would need over-mapping.
	f->host_pointer_usable = f->host_pointer && page > 0 &&
		f->host_pointer_alignment <= (VkDeviceSize)page;
	const char *no_import = getenv("MOSAIC_VK_NO_HOST_IMPORT");
	if (f->host_pointer_usable && no_import != NULL && strcmp(no_import, "1") == 0) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: MOSAIC_VK_NO_HOST_IMPORT=1: uploads copy "
			"through the staging ring");
		f->host_pointer_usable = false;
	}

	f->sync_file_export = semaphore_fd &&
		sync_file_semaphore(phdev, VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT);
	f->sync_file_import = semaphore_fd &&
		sync_file_semaphore(phdev, VK_EXTERNAL_SEMAPHORE_FEATURE_IMPORTABLE_BIT);
	bool sync_file_import_missing_said = false;
	if (f->sync_file_import && c->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU) {
		// lavapipe's wait on an imported sync_file blocks the submitting thread
		// until the fence signals, with no bound (a fence that never signals held
		// a pass for 10.9 s: tests/drm/test-sync.c). The core's bounded CPU wait
		// does the same job and keeps its bound.
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: a CPU device's sync_file waits block the "
			"thread: the core waits for sync_files on the CPU, bounded");
		f->sync_file_import = false;
		sync_file_import_missing_said = true;
	}
	f->fence_sync_file = fence_fd && sync_file_fence(phdev);

	uint32_t n_families = 0;
	vkGetPhysicalDeviceQueueFamilyProperties(phdev, &n_families, NULL);
	VkQueueFamilyProperties *families = calloc(n_families + 1, sizeof(*families));
	if (families == NULL) {
		return false;
	}
	vkGetPhysicalDeviceQueueFamilyProperties(phdev, &n_families, families);
	f->timestamp_bits = families[c->queue_family].timestampValidBits;
	free(families);
	f->timestamps = f->timestamp_bits > 0;
	f->timestamp_period = c->props.limits.timestampPeriod;

	// What the device lacks, one line each; none of it prevents rendering.
	if (!f->external_memory_fd) {
		missing("VK_KHR_external_memory_fd", "images cannot be exported or imported");
	}
	if (!dma_buf) {
		missing("VK_EXT_external_memory_dma_buf", "no dmabuf import or export");
	}
	if (!modifiers) {
		missing("VK_EXT_image_drm_format_modifier", "LINEAR dmabufs are imported as "
			"buffers and copied; no dmabuf export");
	}
	f->dmabuf = dma_buf;
	f->modifiers = dma_buf && modifiers;
	f->cpu_device = c->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
	f->dmabuf_export = f->modifiers;
	const char *no_dmabuf = getenv("MOSAIC_VK_NO_DMABUF");
	if (f->dmabuf && no_dmabuf != NULL && strcmp(no_dmabuf, "1") == 0) {
		mosaic_log(MOSAIC_LOG_INFO, "vulkan: MOSAIC_VK_NO_DMABUF=1: no dmabuf import");
		f->dmabuf = false;
	}
	if (!f->host_pointer) {
		missing("VK_EXT_external_memory_host", "uploads copy through the staging ring");
	}
	if (!f->foreign_queue) {
		missing("VK_EXT_queue_family_foreign", "no ownership transfers to foreign queues");
	}
	if (!f->timeline) {
		missing("timeline semaphores", "completion is tracked with fences");
	}
	if (!f->sync_file_export) {
		missing("sync_file semaphore export", "passes cannot signal a sync_file");
	}
	if (!f->sync_file_import && !sync_file_import_missing_said) {
		missing("sync_file semaphore import", "the core waits for sync_files on the CPU, "
			"bounded");
	}
	if (!f->timestamps) {
		missing("timestamp queries", "no GPU timers");
	}
	if (!ycbcr.samplerYcbcrConversion) {
		missing("samplerYcbcrConversion", "no YUV textures");
	}
	// Only what is used is enabled; the timeline struct stays chained as before.
	ycbcr.samplerYcbcrConversion = f->ycbcr;
	// The compute path reads and writes render targets of any format (compute.c).
	f->compute_wanted = vk_compute_wanted(r);
	f->storage_without_format = features.features.shaderStorageImageReadWithoutFormat &&
		features.features.shaderStorageImageWriteWithoutFormat && f->compute_wanted;
	// Per-tile costs on the compute path, for per-draw timers (compute.c).
	f->shader_clock = clock.shaderSubgroupClock && f->storage_without_format;
	if (f->storage_without_format && !f->shader_clock) {
		missing("VK_KHR_shader_clock", "the compute path measures no tiles");
	}
	clock.shaderSubgroupClock = f->shader_clock;
	clock.shaderDeviceClock = VK_FALSE;
	VkPhysicalDeviceFeatures2 enable = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
		.pNext = clock_ext ? (void *)&clock : (void *)&ycbcr,
		.features = {
			.shaderStorageImageReadWithoutFormat = f->storage_without_format,
			.shaderStorageImageWriteWithoutFormat = f->storage_without_format,
		},
	};

	float priority = 1.0f;
	VkResult res = vkCreateDevice(phdev, &(VkDeviceCreateInfo){
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
		.pNext = &enable,
		.queueCreateInfoCount = 1,
		.pQueueCreateInfos = &(VkDeviceQueueCreateInfo){
			.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
			.queueFamilyIndex = c->queue_family,
			.queueCount = 1,
			.pQueuePriorities = &priority,
		},
		.enabledExtensionCount = n_enabled,
		.ppEnabledExtensionNames = enabled,
	}, NULL, &r->dev);
	if (res != VK_SUCCESS) {
		mosaic_log(fail_level, "vulkan: vkCreateDevice failed: %s", vk_result_string(res));
		return false;
	}
	r->create_count++;
	r->queue_family = c->queue_family;
	vkGetDeviceQueue(r->dev, c->queue_family, 0, &r->queue);
	return true;
}

bool vk_device_init(struct vk_renderer *r, int drm_fd)
{
	if (!create_instance(r)) {
		return false;
	}
	struct candidate c;
	if (!choose_device(r, drm_fd, &c)) {
		return false;
	}
	r->phdev = c.phdev;
	r->props = c.props;
	if (c.has_drm && c.drm.hasRender) {
		r->base.drm_dev = makedev((unsigned)c.drm.renderMajor, (unsigned)c.drm.renderMinor);
	} else if (c.has_drm && c.drm.hasPrimary) {
		r->base.drm_dev = makedev((unsigned)c.drm.primaryMajor,
			(unsigned)c.drm.primaryMinor);
	}
	vkGetPhysicalDeviceMemoryProperties(r->phdev, &r->mem_props);
	if (!create_device(r, &c)) {
		return false;
	}
	snprintf(r->device_name, sizeof(r->device_name), "%s (Vulkan %u.%u)",
		c.props.deviceName, VK_API_VERSION_MAJOR(c.props.apiVersion),
		VK_API_VERSION_MINOR(c.props.apiVersion));
	vk_name(r, VK_OBJECT_TYPE_QUEUE, (uint64_t)(uintptr_t)r->queue, "mosaic queue");
	return true;
}

void vk_device_finish(struct vk_renderer *r)
{
	if (r->dev != VK_NULL_HANDLE) {
		vkDestroyDevice(r->dev, NULL);
	}
	if (r->messenger != VK_NULL_HANDLE) {
		vkDestroyDebugUtilsMessengerEXT(r->instance, r->messenger, NULL);
	}
	if (r->instance != VK_NULL_HANDLE) {
		vkDestroyInstance(r->instance, NULL);
	}
}
