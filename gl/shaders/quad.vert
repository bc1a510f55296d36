#version 100

// Positions arrive in normalized device coordinates and texture coordinates
// already normalized: the CPU maps each clip rectangle through the draw's
// transform, so one program serves every transform.
attribute vec2 a_pos;
attribute vec2 a_tex;
attribute vec4 a_color;

varying vec2 v_tex;
varying vec4 v_color;

void main()
{
	v_tex = a_tex;
	v_color = a_color;
	gl_Position = vec4(a_pos, 0.0, 1.0);
}
