#version 450

layout(location = 0) in vec2 uv;
layout(location = 1) flat in vec4 quad_color;
// What quad.vert writes for nearest texture sampling (nearest.glsl), unused
// by rects: declared so that the interfaces match.
layout(location = 2) flat in vec4 quad_texel_u;
layout(location = 3) flat in vec4 quad_texel_v;
layout(location = 4) flat in vec4 quad_texel_size;
layout(location = 0) out vec4 out_color;

void main()
{
	out_color = quad_color;
}
