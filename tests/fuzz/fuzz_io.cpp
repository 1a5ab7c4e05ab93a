// libFuzzer target for polytag's numpy readers. Input starting with "PK" is read as an .npz
// archive (every entry as numbers and as strings); input starting with the pickle PROTO
// opcode (0x80) goes straight to the object-array unpickler; anything else is decoded as a
// plain .npy stream. Only
// polytag::Error may escape the readers; anything else (a crash, a sanitizer report, a
// different exception, a hang or a large allocation) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "polytag/io/npy.hpp"
#include "polytag/io/npz.hpp"

namespace {

template <typename Fn>
void expect_clean(Fn&& fn) {
    try {
        fn();
    } catch (const polytag::Error&) {
        // refused with a message: fine
    }
}

void fuzz_npz(const std::uint8_t* data, std::size_t size) {
    using polytag::io::NpzReader;
    expect_clean([&] {
        NpzReader npz = NpzReader::from_memory(data, size, "fuzz.npz");
        for (const std::string& name : npz.names()) {
            expect_clean([&] { npz.info(name).numpy_name(); });
            expect_clean([&] { npz.read<float>(name); });
            expect_clean([&] { npz.read<std::uint8_t>(name); });
            expect_clean([&] { npz.read<bool>(name); });
            expect_clean([&] { npz.read_strings(name); });
        }
    });
}

void fuzz_npy(const std::uint8_t* data, std::size_t size) {
    using namespace polytag::io;
    auto run = [&](auto&& body) {
        expect_clean([&] {
            detail::MemorySource src(data, size, "fuzz.npy");
            const ArrayInfo info = detail::read_npy_header(src);
            info.numpy_name();
            body(src, info);
        });
    };
    run([](detail::ByteSource& src, const ArrayInfo& info) { detail::read_npy_tensor<double>(src, info); });
    run([](detail::ByteSource& src, const ArrayInfo& info) { detail::read_npy_tensor<std::int32_t>(src, info); });
    run([](detail::ByteSource& src, const ArrayInfo& info) { detail::read_npy_strings(src, info); });
}

void fuzz_pickle(const std::uint8_t* data, std::size_t size) {
    const std::string pickle(reinterpret_cast<const char*>(data), size);
    expect_clean([&] { polytag::io::detail::unpickle_object_array(pickle, "fuzz.pkl"); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size >= 2 && data[0] == 'P' && data[1] == 'K') fuzz_npz(data, size);
    else if (size >= 1 && data[0] == 0x80) fuzz_pickle(data, size);
    else fuzz_npy(data, size);
    return 0;
}
