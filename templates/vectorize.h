/*
 * Loops that gcc -O2 vectorizes. At -O2, gcc 12 and later vectorize only
 * loops whose trip count needs no scalar remainder ("very cheap" cost model),
 * which leaves out nearly every loop over a dimension known at run time; the
 * "cheap" model adds the remainder loop and a run-time check that the arrays
 * do not overlap. And no floating-point operation traps (-fno-trapping-math):
 * gcc may then compute both sides of `x >= 0 ? a : b` and choose, which is
 * what lets a loop of σ vectorize. Values are unchanged by either: no
 * reassociation, no fast math, so the results are the ones the C says (only
 * the exception flags, which nothing here reads, may differ). Other
 * compilers decide alone.
 */
#if defined(__GNUC__) && !defined(__clang__) && !defined(__INTEL_COMPILER)
#pragma GCC push_options
#pragma GCC optimize("vect-cost-model=cheap", "no-trapping-math")
#endif
/* unrolls the loop that follows completely (with gcc; others decide alone) */
#ifndef SG_UNROLL
#if defined(__GNUC__) && !defined(__clang__) && !defined(__INTEL_COMPILER) && __GNUC__ >= 8
#define SG_UNROLL _Pragma("GCC unroll 16")
#else
#define SG_UNROLL
#endif
#endif
