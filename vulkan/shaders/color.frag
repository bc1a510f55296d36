#version 450

layout(location = 0) in vec2 uv;
layout(location = 1) flat in vec4 quad_color;
layout(location = 0) out vec4 out_color;

void main()
{
	out_color = quad_color;
}
