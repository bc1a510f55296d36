#version 450

// One quad per instance, as a 4-vertex triangle strip; the per-quad data come
// from a per-instance vertex buffer so that consecutive quads with the same
// pipeline, texture and scissor are one instanced draw.
// Destination box in normalized device coordinates: x, y, width, height.
layout(location = 0) in vec4 dst;
// Rows of the affine map from the unit square to texture coordinates.
layout(location = 1) in vec4 uv_x;
layout(location = 2) in vec4 uv_y;
// Premultiplied color (rects) or (alpha, 0, 0, 0) for textures.
layout(location = 3) in vec4 color;
// Nearest filtering, passed on unchanged (struct vk_quad, nearest.glsl).
layout(location = 4) in vec4 texel_u;
layout(location = 5) in vec4 texel_v;
layout(location = 6) in vec4 texel_size;

layout(location = 0) out vec2 uv;
layout(location = 1) flat out vec4 quad_color;
layout(location = 2) flat out vec4 quad_texel_u;
layout(location = 3) flat out vec4 quad_texel_v;
layout(location = 4) flat out vec4 quad_texel_size;

void main()
{
	vec2 p = vec2(float(gl_VertexIndex & 1), float((gl_VertexIndex >> 1) & 1));
	uv = vec2(dot(uv_x.xyz, vec3(p, 1.0)), dot(uv_y.xyz, vec3(p, 1.0)));
	quad_color = color;
	quad_texel_u = texel_u;
	quad_texel_v = texel_v;
	quad_texel_size = texel_size;
	gl_Position = vec4(dst.xy + p * dst.zw, 0.0, 1.0);
}
