#version 450
#extension GL_EXT_shader_image_load_formatted : require

// The compute path of a pass (compute.c): one workgroup per output tile, one
// invocation per pixel. The tile's draws come in order from the binning done
// on the CPU; each invocation reads its pixel once (not at all when the first
// draw covers the tile opaquely), applies the draws that contain it and
// writes it once.

// One workgroup per tile: the tile size is given when the pipeline is made (compute.c).
layout(local_size_x_id = 0, local_size_y_id = 1) in;
// The size of the texture array: given when the pipeline is made (compute.c).
layout(constant_id = 2) const uint TEXTURES = 16;

// Flags of a draw (enum vk_compute_flags in compute.c).
#define DRAW_TEXTURE 1u
#define DRAW_REPLACE 2u
#define DRAW_NEAREST 4u

struct draw {
	// The pixels the draw touches: [x1, x2) x [y1, y2) in output pixels.
	ivec4 rect;
	// Premultiplied color (rects) or (alpha, 0, 0, 0) for textures.
	vec4 color;
	// Rows of the affine map from output pixel coordinates to texel coordinates.
	vec4 map_u, map_v;
	// Flags, texture index, texture width and height in texels.
	uvec4 info;
};

layout(set = 0, binding = 0) uniform image2D target;
layout(std430, set = 0, binding = 1) readonly buffer draws_buffer {
	draw draws[];
};
// Per tile (row-major): the offset of its list in `data` and its length, bit 31
// set when the first draw covers the tile opaquely; then the lists of draw indices.
layout(std430, set = 0, binding = 2) readonly buffer tiles_buffer {
	uint data[];
};
layout(set = 0, binding = 3) uniform sampler linear_sampler;
layout(set = 0, binding = 4) uniform texture2D textures[TEXTURES];

layout(push_constant) uniform constants {
	// Levels of each channel of the target format (255 for 8 bits), 0: not quantized.
	vec4 levels;
	ivec2 size;
	uint tiles_x;
	// The target is written through a R8G8B8A8 view of B8G8R8A8 pixels.
	uint swap_rb;
} pc;

void main()
{
	uint tile = gl_WorkGroupID.y * pc.tiles_x + gl_WorkGroupID.x;
	uint offset = data[2u * tile];
	uint count = data[2u * tile + 1u];
	ivec2 p = ivec2(gl_GlobalInvocationID.xy);
	if ((count & 0x7fffffffu) == 0u || p.x >= pc.size.x || p.y >= pc.size.y) {
		return;
	}
	bool covered = (count & 0x80000000u) != 0u;
	count &= 0x7fffffffu;
	vec4 dst = covered ? vec4(0.0) : imageLoad(target, p);
	dst = pc.swap_rb != 0u ? dst.bgra : dst;
	bool hit = false;
	vec3 centre = vec3(vec2(p) + 0.5, 1.0);
	for (uint i = 0u; i < count; i++) {
		draw d = draws[data[offset + i]];
		if (any(lessThan(p, d.rect.xy)) || any(greaterThanEqual(p, d.rect.zw))) {
			continue;
		}
		vec4 src;
		if ((d.info.x & DRAW_TEXTURE) != 0u) {
			vec2 uv = vec2(dot(d.map_u.xyz, centre), dot(d.map_v.xyz, centre));
			vec2 size = vec2(d.info.zw);
			// The index is the same in the whole workgroup (one tile, one list).
			if ((d.info.x & DRAW_NEAREST) != 0u) {
				// Texel (floor(u), floor(v)), the rule of include/mosaic/pass.h
				// (pixman's): a tie goes to the texel with the larger coordinate.
				ivec2 t = clamp(ivec2(floor(uv)), ivec2(0), ivec2(d.info.zw) - 1);
				src = texelFetch(sampler2D(textures[d.info.y], linear_sampler), t, 0);
			} else {
				src = textureLod(sampler2D(textures[d.info.y], linear_sampler), uv / size,
					0.0);
			}
			src *= d.color.x;
		} else {
			src = d.color;
		}
		dst = (d.info.x & DRAW_REPLACE) != 0u ? src : src + dst * (1.0 - src.a);
		// Like the graphics path, which stores every draw's result in the target format.
		dst = clamp(dst, 0.0, 1.0);
		dst = mix(dst, round(dst * pc.levels) / pc.levels, notEqual(pc.levels, vec4(0.0)));
		hit = true;
	}
	if (hit) {
		imageStore(target, p, pc.swap_rb != 0u ? dst.bgra : dst);
	}
}
