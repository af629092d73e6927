/* restrict in C99, its GNU spelling in C++ (which has no restrict) */
#ifndef SG_RESTRICT
#ifdef __cplusplus
#define SG_RESTRICT __restrict
#else
#define SG_RESTRICT restrict
#endif
#endif
