#version 100
// One source, four programs: SOURCE_SOLID, SOURCE_RGBA, SOURCE_RGBX (alpha
// ignored) and SOURCE_EXTERNAL (GL_TEXTURE_EXTERNAL_OES imports).
#if defined(SOURCE_EXTERNAL)
#extension GL_OES_EGL_image_external : require
#endif

// Texture coordinates of 16384-pixel textures need more than mediump.
#ifdef GL_FRAGMENT_PRECISION_HIGH
precision highp float;
#else
precision mediump float;
#endif

varying vec2 v_tex;
// Premultiplied color for rects; (alpha, alpha, alpha, alpha) for textures.
varying vec4 v_color;

#if defined(SOURCE_EXTERNAL)
uniform samplerExternalOES u_tex;
#elif defined(SOURCE_RGBA) || defined(SOURCE_RGBX)
uniform sampler2D u_tex;
#endif

#if !defined(SOURCE_SOLID)
// Nearest filtering follows the pixman backend (include/mosaic/pass.h): the
// pixel centre, gl_FragCoord.xy, goes through the draw's map to texel
// coordinates t (u_texel_u and u_texel_v: m0, m1, m2 and the origin's x, then
// m3, m4, m5 and its y), and texel floor(t), clamped to the texture (size in
// u_texel_size.xy, reciprocal in .zw), is the one shown. The sampler gets
// that texel's centre: the interpolated v_tex is not exact, and on exact ties
// (2:1 scales) it fell on either side per triangle. GLSL ES 1.00 has no
// texelFetch; a texel's centre makes the filter's rounding irrelevant.
// u_texel_size.x is 0 for linear filtering.
uniform vec4 u_texel_u;
uniform vec4 u_texel_v;
uniform vec4 u_texel_size;

vec2 sample_coords()
{
	if (u_texel_size.x == 0.0) {
		return v_tex;
	}
	vec3 p = vec3(gl_FragCoord.xy - vec2(u_texel_u.w, u_texel_v.w), 1.0);
	vec2 t = vec2(dot(u_texel_u.xyz, p), dot(u_texel_v.xyz, p));
	vec2 texel = clamp(floor(t), vec2(0.0), u_texel_size.xy - 1.0);
	return (texel + 0.5) * u_texel_size.zw;
}
#endif

void main()
{
#if defined(SOURCE_SOLID)
	gl_FragColor = v_color;
#elif defined(SOURCE_RGBX)
	gl_FragColor = vec4(texture2D(u_tex, sample_coords()).rgb, 1.0) * v_color;
#else
	gl_FragColor = texture2D(u_tex, sample_coords()) * v_color;
#endif
}
