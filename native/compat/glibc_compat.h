/* Force-included into every translation unit on x86-64 glibc (CMakeLists.txt, binding.gyp,
 * install/deps.sh): binds the few glibc functions that gained a newer symbol version after 2.28
 * to their old versions, so the addon runs wherever ONNX Runtime's own library does (glibc 2.28).
 * The old versions are still exported by every newer glibc. */
#if defined(__linux__) && defined(__x86_64__) && !defined(SENTVEC_GLIBC_COMPAT_H)
#define SENTVEC_GLIBC_COMPAT_H
__asm__(".symver exp,exp@GLIBC_2.2.5");
__asm__(".symver log,log@GLIBC_2.2.5");
__asm__(".symver pow,pow@GLIBC_2.2.5");
__asm__(".symver pthread_once,pthread_once@GLIBC_2.2.5");
__asm__(".symver pthread_key_create,pthread_key_create@GLIBC_2.2.5");
__asm__(".symver pthread_rwlock_rdlock,pthread_rwlock_rdlock@GLIBC_2.2.5");
__asm__(".symver pthread_rwlock_wrlock,pthread_rwlock_wrlock@GLIBC_2.2.5");
__asm__(".symver pthread_rwlock_unlock,pthread_rwlock_unlock@GLIBC_2.2.5");
__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dlclose,dlclose@GLIBC_2.2.5");
#endif
