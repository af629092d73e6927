/*
 * Non-temporal stores for a large output written once: the entries go
 * straight to memory, not first read into the caches (an ordinary store
 * reads the line it writes, which makes 3 bytes of traffic of every 2) and
 * without evicting what the rest of the call reads. Only on x86 with SSE2,
 * elsewhere a plain copy. The stores are SSE2's 16-byte ones, from
 * <emmintrin.h>: the processor combines them into whole lines as it does
 * wider ones, and <immintrin.h>, which AVX's need, is 46,000 lines that took
 * a third of gcc's time on a small output. An output of at least
 * SG_STREAM_BYTES (8 MiB unless defined before, larger than most caches'
 * share of one core) is written this way, SG_CHUNK entries at a time
 * computed into a buffer on the stack. Define SG_NO_STREAM to never.
 */
#ifndef SG_STREAM_BYTES
#define SG_STREAM_BYTES 8388608
#endif
#ifndef SG_CHUNK
#define SG_CHUNK 256
#endif
#ifndef SG_STREAM_BIG
#if SG_HAVE_STREAM
#define SG_STREAM_BIG(count) ((size_t)(count) * sizeof(@real@) >= (size_t)SG_STREAM_BYTES)
#else
#define SG_STREAM_BIG(count) 0
#endif
#endif

/* dst[i] = src[i] for i < n, non-temporal where the target has such stores */
static void sg_stream(long n, const @real@ *@restrict@ src, @real@ *@restrict@ dst)
{
    long i = 0;
#if SG_HAVE_STREAM
    const long w = 16 / (long)sizeof(@real@);
    for (; i < n && ((uintptr_t)(dst + i) & 15) != 0; i++)
        dst[i] = src[i];
    for (; i + w <= n; i += w)
        _mm_stream_@simd@(dst + i, _mm_loadu_@simd@(src + i));
#endif
    for (; i < n; i++)
        dst[i] = src[i];
}

/* the non-temporal stores before whatever follows (a fence) */
static void sg_stream_end(void)
{
#if SG_HAVE_STREAM
    _mm_sfence();
#endif
}
