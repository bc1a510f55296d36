#version 450
#extension GL_EXT_shader_image_load_formatted : require
#ifdef TILE_CLOCK
// The variant for per-draw timers: each tile's duration in clock ticks.
#extension GL_ARB_shader_clock : require
#endif

// The compute path of a pass (compute.c): one workgroup per output tile, one
// invocation per pixel. The workgroup first bins the draw list for its tile
// (which draws touch it, and the last one that covers it opaquely, where
// its work starts); then each invocation reads its pixel once (not at all
// when a draw covers the tile opaquely), applies the draws that contain it
// in order and writes it once.

// One workgroup per tile: the tile size is given when the pipeline is made (compute.c).
layout(local_size_x_id = 0, local_size_y_id = 1) in;
// The size of the texture array: given when the pipeline is made (compute.c).
layout(constant_id = 2) const uint TEXTURES = 16;
// Words of the per-tile bit set of draws: at most 32 * WORDS draws a pass (compute.c).
layout(constant_id = 3) const uint WORDS = 128;

// Flags of a draw (enum vk_compute_flags in compute.c).
#define DRAW_TEXTURE 1u
#define DRAW_REPLACE 2u
#define DRAW_NEAREST 4u
#define DRAW_OPAQUE 8u

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
layout(set = 0, binding = 3) uniform sampler linear_sampler;
layout(set = 0, binding = 4) uniform texture2D textures[TEXTURES];
#ifdef TILE_CLOCK
// Per tile, row by row: the ticks from the start of the workgroup to its end.
layout(std430, set = 0, binding = 5) writeonly buffer tiles_buffer {
	uint tile_ticks[];
};
#endif

layout(push_constant) uniform constants {
	// Levels of each channel of the target format (255 for 8 bits), 0: not quantized.
	vec4 levels;
	ivec2 size;
	uint n_draws;
	// The target is written through a R8G8B8A8 view of B8G8R8A8 pixels.
	uint swap_rb;
} pc;

// The draws touching this tile (bit i: draw i), and 1 + the last one covering it opaquely.
shared uint hits[WORDS];
shared uint first_draw;

void composite()
{
	uint lid = gl_LocalInvocationIndex;
	uint group = gl_WorkGroupSize.x * gl_WorkGroupSize.y;
	uint words = (pc.n_draws + 31u) / 32u;
	for (uint w = lid; w < words; w += group) {
		hits[w] = 0u;
	}
	if (lid == 0u) {
		first_draw = 0u;
	}
	barrier();
	ivec2 t0 = ivec2(gl_WorkGroupID.xy * gl_WorkGroupSize.xy);
	// Edge tiles end at the target's edge.
	ivec2 t1 = min(t0 + ivec2(gl_WorkGroupSize.xy), pc.size);
	for (uint i = lid; i < pc.n_draws; i += group) {
		ivec4 r = draws[i].rect;
		if (r.x < t1.x && r.z > t0.x && r.y < t1.y && r.w > t0.y) {
			atomicOr(hits[i >> 5u], 1u << (i & 31u));
			if ((draws[i].info.x & DRAW_OPAQUE) != 0u && r.x <= t0.x && r.y <= t0.y &&
					r.z >= t1.x && r.w >= t1.y) {
				atomicMax(first_draw, i + 1u);
			}
		}
	}
	barrier();

	ivec2 p = ivec2(gl_GlobalInvocationID.xy);
	if (p.x >= pc.size.x || p.y >= pc.size.y) {
		return;
	}
	bool covered = first_draw > 0u;
	uint start = covered ? first_draw - 1u : 0u;
	vec4 dst = vec4(0.0);
	bool loaded = covered;
	bool hit = false;
	vec3 centre = vec3(vec2(p) + 0.5, 1.0);
	for (uint w = start >> 5u; w < words; w++) {
		uint mask = hits[w];
		if (w == start >> 5u) {
			mask &= ~0u << (start & 31u);
		}
		while (mask != 0u) {
			uint i = w * 32u + uint(findLSB(mask));
			mask &= mask - 1u;
			draw d = draws[i];
			if (any(lessThan(p, d.rect.xy)) || any(greaterThanEqual(p, d.rect.zw))) {
				continue;
			}
			if (!loaded) {
				dst = imageLoad(target, p);
				dst = pc.swap_rb != 0u ? dst.bgra : dst;
				loaded = true;
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
					src = texelFetch(sampler2D(textures[d.info.y], linear_sampler), t,
						0);
				} else {
					src = textureLod(sampler2D(textures[d.info.y], linear_sampler),
						uv / size, 0.0);
				}
				src *= d.color.x;
			} else {
				src = d.color;
			}
			dst = (d.info.x & DRAW_REPLACE) != 0u ? src : src + dst * (1.0 - src.a);
			// Like the graphics path, which stores every draw's result in the target
			// format.
			dst = clamp(dst, 0.0, 1.0);
			dst = mix(dst, round(dst * pc.levels) / pc.levels,
				notEqual(pc.levels, vec4(0.0)));
			hit = true;
		}
	}
	if (hit) {
		imageStore(target, p, pc.swap_rb != 0u ? dst.bgra : dst);
	}
}

void main()
{
#ifdef TILE_CLOCK
	// Read by one invocation, so the subgroup clock is enough: both reads are
	// in the same subgroup. Its low word wraps after 2^32 ticks, far more
	// than a tile takes.
	uint start = gl_LocalInvocationIndex == 0u ? clock2x32ARB().x : 0u;
#endif
	composite();
#ifdef TILE_CLOCK
	// Every invocation of the tile has done its work.
	barrier();
	if (gl_LocalInvocationIndex == 0u) {
		tile_ticks[gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x] =
			clock2x32ARB().x - start;
	}
#endif
}
