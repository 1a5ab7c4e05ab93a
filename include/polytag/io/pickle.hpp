#pragma once
// A minimal, safe unpickler for exactly one thing: numpy object arrays whose elements are
// str or bytes, as np.save pickles them (protocols 2 to 5). It is a stack machine over
// plain data; the only "callables" are the handful of globals numpy's pickle names, and
// they are interpreted here, never looked up or executed. Every other opcode or global is
// refused by name. Nothing recurses, so deeply nested or self-referencing pickles cost
// memory proportional to their size, and decoded output is capped.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "polytag/io/byte_source.hpp"
#include "polytag/io/text.hpp"
#include "polytag/tensor/shape.hpp"

namespace polytag::io::detail {

/// What an object-array pickle holds once decoded.
struct PickledArray {
    std::vector<Index> shape;
    bool fortran_order = false;
    std::vector<std::string> items;  ///< row-major; str as UTF-8, bytes as they are
};

class SafeUnpickler {
public:
    /// `context` prefixes messages ("openmic-2018.npz: sample_key.npy").
    SafeUnpickler(const std::string& data, std::string context) : d_(data), context_(std::move(context)) {
        // Elements may share one memoised string; cap what sharing can multiply into.
        output_cap_ = std::uint64_t(d_.size()) * 16 + (std::uint64_t(16) << 20);
    }

    PickledArray run() {
        for (;;) {
            const std::size_t at = pos_;
            const unsigned char op = byte();
            switch (op) {
                case 0x80: {  // PROTO
                    const unsigned proto = byte();
                    if (proto < 2 || proto > 5) fail("pickle protocol " + std::to_string(proto) + " is not supported (2 to 5 are)");
                    break;
                }
                case 0x95: skip(8); break;  // FRAME: a length hint only
                case '.': return finish();  // STOP
                case '(': mark(); break;    // MARK
                case 'c': {                 // GLOBAL "module\nname\n"
                    const std::string module = line();
                    const std::string name = line();
                    push_global(module, name);
                    break;
                }
                case 0x93: {  // STACK_GLOBAL
                    const Node name = pop_node("STACK_GLOBAL");
                    const Node module = pop_node("STACK_GLOBAL");
                    if (module.kind != Kind::Str || name.kind != Kind::Str) fail("STACK_GLOBAL needs two strings");
                    push_global(module.s, name.s);
                    break;
                }
                case 'q': memo_put(byte()); break;      // BINPUT
                case 'r': memo_put(u32()); break;       // LONG_BINPUT
                case 0x94: memo_put(std::uint32_t(memo_.size())); break;  // MEMOIZE
                case 'h': memo_get(byte()); break;      // BINGET
                case 'j': memo_get(u32()); break;       // LONG_BINGET
                case 'K': push_int(byte()); break;      // BININT1
                case 'M': push_int(u16()); break;       // BININT2
                case 'J': push_int(std::int32_t(u32())); break;  // BININT
                case 0x8a: push_int(long1()); break;    // LONG1
                case 'N': push(make(Kind::None)); break;
                case 0x88: push_bool(true); break;   // NEWTRUE
                case 0x89: push_bool(false); break;  // NEWFALSE
                case ')': push(make(Kind::Tuple)); break;  // EMPTY_TUPLE
                case 0x85: tuple_n(1); break;
                case 0x86: tuple_n(2); break;
                case 0x87: tuple_n(3); break;
                case 't': tuple_from_mark(); break;     // TUPLE
                case ']': push(make(Kind::List)); break;  // EMPTY_LIST
                case 'a': append(false); break;          // APPEND
                case 'e': append(true); break;           // APPENDS
                case 'X': push_text(u32(), true); break;            // BINUNICODE
                case 0x8c: push_text(byte(), true); break;          // SHORT_BINUNICODE
                case 0x8d: push_text(u64(), true); break;           // BINUNICODE8
                case 'C': push_text(byte(), false); break;          // SHORT_BINBYTES
                case 'B': push_text(u32(), false); break;           // BINBYTES
                case 0x8e: push_text(u64(), false); break;          // BINBYTES8
                case 'R': reduce(); break;
                case 'b': build(); break;
                default: {
                    char hex[8];
                    std::snprintf(hex, sizeof hex, "0x%02x", op);
                    fail(std::string("pickle opcode ") + hex + " at offset " + std::to_string(at) +
                         " is not one numpy uses for object arrays");
                }
            }
        }
    }

private:
    enum class Kind { None, Bool, Int, Str, Bytes, Tuple, List, Global, NdArray, Dtype };
    enum class Global { Reconstruct, Ndarray, Dtype, Encode, Bytes };
    struct Node {
        Kind kind = Kind::None;
        std::int64_t i = 0;               // Int, Bool, Global (as Global enum)
        std::string s;                    // Str, Bytes, Dtype descr
        std::vector<std::uint32_t> items;  // Tuple, List
        // NdArray state
        bool built = false;
        bool fortran = false;
        std::vector<Index> shape;
        std::uint32_t list = 0;
    };
    static constexpr std::size_t kMaxMarks = 64;

    [[noreturn]] void fail(const std::string& what) const { throw IoError(context_ + ": object array pickle: " + what); }

    unsigned byte() {
        if (pos_ >= d_.size()) fail("truncated (no STOP opcode)");
        return static_cast<unsigned char>(d_[pos_++]);
    }
    void skip(std::uint64_t n) {
        if (n > d_.size() - pos_) fail("truncated");
        pos_ += std::size_t(n);
    }
    std::uint64_t uint_le(int n) {
        if (std::size_t(n) > d_.size() - pos_) fail("truncated");
        std::uint64_t v = 0;
        for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(d_[pos_ + std::size_t(k)]);
        pos_ += std::size_t(n);
        return v;
    }
    std::uint32_t u16() { return std::uint32_t(uint_le(2)); }
    std::uint32_t u32() { return std::uint32_t(uint_le(4)); }
    std::uint64_t u64() { return uint_le(8); }
    std::int64_t long1() {
        const unsigned n = byte();
        if (n > 8) fail("LONG1 integer of " + std::to_string(n) + " bytes is too large");
        if (n == 0) return 0;
        std::uint64_t v = uint_le(int(n));
        if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~std::uint64_t(0) << (8 * n);  // sign-extend
        return std::int64_t(v);
    }
    std::string line() {
        const std::size_t end = d_.find('\n', pos_);
        if (end == std::string::npos || end - pos_ > 256) fail("GLOBAL name is truncated");
        std::string s = d_.substr(pos_, end - pos_);
        pos_ = end + 1;
        return s;
    }

    std::uint32_t make(Kind k) {
        nodes_.emplace_back();
        nodes_.back().kind = k;
        return std::uint32_t(nodes_.size() - 1);
    }
    void push(std::uint32_t n) { stack_.push_back(n); }
    std::uint32_t pop(const char* op) {
        if (stack_.size() <= base()) fail(std::string(op) + " on an empty stack");
        const std::uint32_t n = stack_.back();
        stack_.pop_back();
        return n;
    }
    Node pop_node(const char* op) { return nodes_[pop(op)]; }
    std::size_t base() const { return marks_.empty() ? 0 : marks_.back(); }
    void mark() {
        if (marks_.size() >= kMaxMarks) fail("nested more than " + std::to_string(kMaxMarks) + " MARKs deep");
        marks_.push_back(stack_.size());
    }
    std::size_t pop_mark(const char* op) {
        if (marks_.empty()) fail(std::string(op) + " without a MARK");
        const std::size_t m = marks_.back();
        marks_.pop_back();
        return m;
    }

    void push_int(std::int64_t v) {
        const std::uint32_t n = make(Kind::Int);
        nodes_[n].i = v;
        push(n);
    }
    void push_bool(bool v) {
        const std::uint32_t n = make(Kind::Bool);
        nodes_[n].i = v;
        push(n);
    }
    void push_text(std::uint64_t len, bool unicode) {
        if (len > d_.size() - pos_) fail("string of " + std::to_string(len) + " bytes runs past the end");
        const std::uint32_t n = make(unicode ? Kind::Str : Kind::Bytes);
        nodes_[n].s.assign(d_, pos_, std::size_t(len));
        pos_ += std::size_t(len);
        if (unicode && !valid_utf8(nodes_[n].s)) fail("str element is not valid UTF-8");
        push(n);
    }
    void push_global(const std::string& module, const std::string& name) {
        const std::string full = module + "." + name;
        Global g;
        if (full == "numpy.core.multiarray._reconstruct" || full == "numpy._core.multiarray._reconstruct")
            g = Global::Reconstruct;
        else if (full == "numpy.ndarray") g = Global::Ndarray;
        else if (full == "numpy.dtype") g = Global::Dtype;
        else if (full == "_codecs.encode") g = Global::Encode;
        else if (full == "__builtin__.bytes" || full == "builtins.bytes") g = Global::Bytes;  // b'' in protocol 2
        else fail("global '" + full + "' is not allowed (only numpy's array reconstruction is)");
        const std::uint32_t n = make(Kind::Global);
        nodes_[n].i = std::int64_t(g);
        push(n);
    }
    void memo_put(std::uint32_t key) {
        if (stack_.size() <= base()) fail("memo store with an empty stack");
        memo_[key] = stack_.back();
    }
    void memo_get(std::uint32_t key) {
        auto it = memo_.find(key);
        if (it == memo_.end()) fail("memo key " + std::to_string(key) + " was never stored");
        push(it->second);
    }
    void tuple_n(std::size_t k) {
        if (stack_.size() < base() + k) fail("TUPLE" + std::to_string(k) + " needs " + std::to_string(k) + " items");
        const std::uint32_t n = make(Kind::Tuple);
        nodes_[n].items.assign(stack_.end() - std::ptrdiff_t(k), stack_.end());
        stack_.resize(stack_.size() - k);
        push(n);
    }
    void tuple_from_mark() {
        const std::size_t m = pop_mark("TUPLE");
        const std::uint32_t n = make(Kind::Tuple);
        nodes_[n].items.assign(stack_.begin() + std::ptrdiff_t(m), stack_.end());
        stack_.resize(m);
        push(n);
    }
    void append(bool many) {
        if (many) {
            const std::size_t m = pop_mark("APPENDS");
            if (m == 0 || m - 1 < base()) fail("APPENDS without a list");
            Node& list = nodes_[stack_[m - 1]];
            if (list.kind != Kind::List) fail("APPENDS to something that is not a list");
            list.items.insert(list.items.end(), stack_.begin() + std::ptrdiff_t(m), stack_.end());
            stack_.resize(m);
        } else {
            const std::uint32_t item = pop("APPEND");
            if (stack_.size() <= base()) fail("APPEND without a list");
            Node& list = nodes_[stack_.back()];
            if (list.kind != Kind::List) fail("APPEND to something that is not a list");
            list.items.push_back(item);
        }
    }

    const Node& tuple_arg(const Node& args, std::size_t k, Kind kind, const char* what) const {
        if (args.kind != Kind::Tuple || args.items.size() <= k) fail(std::string(what) + " has too few arguments");
        const Node& n = nodes_[args.items[k]];
        if (n.kind != kind) fail(std::string(what) + " has an argument of the wrong type");
        return n;
    }

    // Nodes are read through indices, never copied: a hostile pickle that re-pushes one
    // huge memoised tuple must not make each opcode cost its size.
    void reduce() {
        const std::uint32_t args_id = pop("REDUCE");
        const std::uint32_t fn_id = pop("REDUCE");
        if (nodes_[fn_id].kind != Kind::Global) fail("REDUCE calls something that is not an allowed global");
        if (nodes_[args_id].kind != Kind::Tuple) fail("REDUCE arguments are not a tuple");
        switch (Global(nodes_[fn_id].i)) {
            case Global::Reconstruct: {
                const Node& cls = tuple_arg(nodes_[args_id], 0, Kind::Global, "_reconstruct");
                if (Global(cls.i) != Global::Ndarray) fail("_reconstruct of something other than numpy.ndarray");
                push(make(Kind::NdArray));
                break;
            }
            case Global::Dtype: {
                std::string descr = tuple_arg(nodes_[args_id], 0, Kind::Str, "numpy.dtype").s;
                if (descr != "O8" && descr != "O") fail("object array pickle holds dtype '" + descr + "', not object");
                const std::uint32_t n = make(Kind::Dtype);
                nodes_[n].s = std::move(descr);
                push(n);
                break;
            }
            case Global::Encode: {  // protocol 2 spells bytes as _codecs.encode(str, 'latin1')
                const Node& codec = tuple_arg(nodes_[args_id], 1, Kind::Str, "_codecs.encode");
                if (codec.s != "latin1" && codec.s != "latin-1") fail("_codecs.encode with codec '" + codec.s + "'");
                const Node& text = tuple_arg(nodes_[args_id], 0, Kind::Str, "_codecs.encode");
                std::string out;
                std::size_t i = 0;
                std::uint32_t cp;
                while (i < text.s.size()) {
                    if (!next_utf8(text.s, i, cp) || cp > 0xFF) fail("_codecs.encode of a non-latin1 string");
                    out += char(cp);
                }
                const std::uint32_t n = make(Kind::Bytes);
                nodes_[n].s = std::move(out);
                push(n);
                break;
            }
            case Global::Bytes: {
                if (!nodes_[args_id].items.empty()) fail("bytes() with arguments");
                push(make(Kind::Bytes));
                break;
            }
            case Global::Ndarray: fail("numpy.ndarray called directly");
        }
    }

    void build() {
        const std::uint32_t state_id = pop("BUILD");
        if (stack_.size() <= base()) fail("BUILD without an object");
        const std::uint32_t obj_id = stack_.back();
        const Node& state = nodes_[state_id];
        if (nodes_[obj_id].kind == Kind::Dtype) {
            if (state.kind != Kind::Tuple) fail("dtype state is not a tuple");
            return;
        }
        if (nodes_[obj_id].kind != Kind::NdArray) fail("BUILD on something other than an ndarray or dtype");
        if (nodes_[obj_id].built) fail("ndarray state set twice");
        // (version, shape, dtype, is_fortran, list of elements)
        if (state.kind != Kind::Tuple || state.items.size() != 5) fail("ndarray state is not a 5-tuple");
        const Node& shape = tuple_arg(state, 1, Kind::Tuple, "ndarray state");
        tuple_arg(state, 2, Kind::Dtype, "ndarray state");
        const Node& fortran = tuple_arg(state, 3, Kind::Bool, "ndarray state");
        if (nodes_[state.items[4]].kind != Kind::List) fail("ndarray state holds raw bytes, not a list of objects");
        if (shape.items.size() > 32) fail("ndarray shape has more than 32 axes");
        std::vector<Index> dims;
        for (std::uint32_t d : shape.items) {
            const Node& dim = nodes_[d];
            if (dim.kind != Kind::Int || dim.i < 0) fail("ndarray shape holds a non-integer or negative extent");
            dims.push_back(Index(dim.i));
        }
        Node& target = nodes_[obj_id];
        target.shape = std::move(dims);
        target.fortran = fortran.i != 0;
        target.list = state.items[4];
        target.built = true;
    }

    PickledArray finish() {
        if (stack_.size() != 1 || !marks_.empty()) fail("STOP with " + std::to_string(stack_.size()) + " items on the stack");
        const Node& arr = nodes_[stack_.back()];
        if (arr.kind != Kind::NdArray || !arr.built) fail("does not hold an ndarray");
        PickledArray out;
        out.shape = arr.shape;
        out.fortran_order = arr.fortran;
        const Node& list = nodes_[arr.list];
        std::uint64_t count = 1;
        for (Index d : arr.shape) {
            if (d != 0 && count > (std::uint64_t(1) << 62) / std::uint64_t(d)) fail("shape element count overflows");
            count *= std::uint64_t(d);
        }
        if (count != list.items.size())
             fail("shape says " + std::to_string(count) + " elements, list holds " + std::to_string(list.items.size()));
        out.items.reserve(list.items.size());
        std::uint64_t total = 0;
        for (std::size_t k = 0; k < list.items.size(); ++k) {
            const Node& item = nodes_[list.items[k]];
            if (item.kind != Kind::Str && item.kind != Kind::Bytes)
                fail("element " + std::to_string(k) + " is not a str or bytes object");
            total += item.s.size();
            if (total > output_cap_) fail("elements decode to more than " + std::to_string(output_cap_) + " bytes");
            out.items.push_back(item.s);
        }
        if (pos_ != d_.size()) fail(std::to_string(d_.size() - pos_) + " bytes after STOP");
        return out;
    }

    const std::string& d_;
    std::string context_;
    std::size_t pos_ = 0;
    std::vector<Node> nodes_;
    std::vector<std::uint32_t> stack_;
    std::vector<std::size_t> marks_;
    std::unordered_map<std::uint32_t, std::uint32_t> memo_;
    std::uint64_t output_cap_ = 0;
};

/// Decodes a numpy object-array pickle of str/bytes elements.
inline PickledArray unpickle_object_array(const std::string& data, const std::string& context) {
    return SafeUnpickler(data, context).run();
}

}  // namespace polytag::io::detail
