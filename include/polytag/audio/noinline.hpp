#pragma once
// POLYTAG_AUDIO_NOINLINE keeps a numeric kernel out of line. The front end's stages are
// templates on their output sink; if the arithmetic were inlined into each instantiation,
// the compiler could contract a * b + c into FMAs differently per copy (GCC's default
// -ffp-contract=fast), and the same file would give last-bit differences per sink type.
#if defined(_MSC_VER)
#define POLYTAG_AUDIO_NOINLINE __declspec(noinline)
#else
#define POLYTAG_AUDIO_NOINLINE __attribute__((noinline))
#endif
