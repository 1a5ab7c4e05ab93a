#pragma once
// Counting replacements of the global allocation functions, for the no-allocation tests.
// Include this header in exactly ONE .cpp of a test program: replacement operator new/delete
// must not be inline, and they count for the whole program; compare counts across a loop.
// Every operator new form is replaced, including the std::align_val_t ones Tensor uses. On
// glibc without sanitizers malloc/calloc/realloc are interposed too (Eigen's temporaries and
// BLAS buffers go there); kCountsMalloc says whether they are.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

namespace polytag::test::detail {
std::atomic<long> g_new_calls{0};
std::atomic<long> g_malloc_calls{0};
std::atomic<unsigned long long> g_new_bytes{0};

void* counted_new(std::size_t n) {
    g_new_calls.fetch_add(1, std::memory_order_relaxed);
    g_new_bytes.fetch_add(n, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* counted_new_aligned(std::size_t n, std::align_val_t al) {
    g_new_calls.fetch_add(1, std::memory_order_relaxed);
    g_new_bytes.fetch_add(n, std::memory_order_relaxed);
    void* p = nullptr;
    const std::size_t a = std::max(static_cast<std::size_t>(al), sizeof(void*));
    if (::posix_memalign(&p, a, n ? n : 1) != 0) throw std::bad_alloc();
    return p;
}
}  // namespace polytag::test::detail

void* operator new(std::size_t n) { return polytag::test::detail::counted_new(n); }
void* operator new[](std::size_t n) { return polytag::test::detail::counted_new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try { return polytag::test::detail::counted_new(n); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    try { return polytag::test::detail::counted_new(n); } catch (...) { return nullptr; }
}
void* operator new(std::size_t n, std::align_val_t a) { return polytag::test::detail::counted_new_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return polytag::test::detail::counted_new_aligned(n, a); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    try { return polytag::test::detail::counted_new_aligned(n, a); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    try { return polytag::test::detail::counted_new_aligned(n, a); } catch (...) { return nullptr; }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

// malloc interposition (glibc only; sanitizers bring their own malloc).
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define POLYTAG_TEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define POLYTAG_TEST_SANITIZED 1
#endif
#if defined(__GLIBC__) && !defined(POLYTAG_TEST_SANITIZED)
#define POLYTAG_TEST_COUNTS_MALLOC 1
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* malloc(std::size_t n) {
    polytag::test::detail::g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t s) {
    polytag::test::detail::g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(n, s);
}
void* realloc(void* p, std::size_t n) {
    polytag::test::detail::g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(p, n);
}
}
#endif

namespace polytag::test {
/// Calls of any operator new so far.
inline long operator_new_calls() { return detail::g_new_calls.load(); }
/// Bytes requested from any operator new so far (a cumulative count: it bounds the peak).
inline unsigned long long operator_new_bytes() { return detail::g_new_bytes.load(); }
/// Calls of malloc/calloc/realloc so far (always 0 where kCountsMalloc is false).
inline long malloc_calls() { return detail::g_malloc_calls.load(); }
#if defined(POLYTAG_TEST_COUNTS_MALLOC)
constexpr bool kCountsMalloc = true;
#else
constexpr bool kCountsMalloc = false;
#endif
}  // namespace polytag::test
