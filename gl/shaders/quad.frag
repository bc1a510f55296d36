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

void main()
{
#if defined(SOURCE_SOLID)
	gl_FragColor = v_color;
#elif defined(SOURCE_RGBX)
	gl_FragColor = vec4(texture2D(u_tex, v_tex).rgb, 1.0) * v_color;
#else
	gl_FragColor = texture2D(u_tex, v_tex) * v_color;
#endif
}
