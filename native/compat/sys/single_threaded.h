/* Shadows glibc 2.32's <sys/single_threaded.h> (found first through the compat include folder):
 * libstdc++ then never references __libc_single_threaded and always takes its thread-safe path. */
#pragma once
static const char __libc_single_threaded = 0;
