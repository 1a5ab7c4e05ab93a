#pragma once
// The strict JSON reading both configurations share (model_config.hpp, train_config.hpp):
// enum names, typed fields, unknown keys refused, every error naming the field
// ("config.trunk[1]: must be an integer, got 1.5").
#include <cstdint>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "polytag/error.hpp"

namespace polytag::openmic {

namespace detail {
/// Specialised per enum: `what` (its noun) and `table` (value, lower-case name) pairs.
template <typename E>
struct EnumNames;
}  // namespace detail

/// "attention", "relu", "masked_mse", "adamw", ...
template <typename E>
std::string to_string(E e) {
    for (const auto& [v, name] : detail::EnumNames<E>::table)
        if (v == e) return name;
    return "?";
}

/// Parses the lower-case name of an enum value; the error lists the valid names.
template <typename E>
E parse_enum(const std::string& s, const std::string& field) {
    std::string valid;
    for (const auto& [v, name] : detail::EnumNames<E>::table) {
        if (s == name) return v;
        valid += valid.empty() ? name : std::string("|") + name;
    }
    throw ValueError(field + ": unknown " + detail::EnumNames<E>::what + " '" + s + "' (valid: " + valid + ")");
}

namespace detail {

[[noreturn]] inline void bad_field(const std::string& field, const std::string& why) {
    throw ValueError(field + ": " + why);
}
inline void require(bool ok, const std::string& field, const std::string& why) {
    if (!ok) bad_field(field, why);
}

/// Reads j[key] into out when present; a wrong type is an error naming where.key.
template <typename V>
void read_field(const nlohmann::json& j, const char* key, V& out, const std::string& where) {
    auto it = j.find(key);
    if (it == j.end()) return;
    try {
        if constexpr (std::is_same<V, int>::value || std::is_same<V, std::uint64_t>::value) {
            if (!it->is_number_integer()) bad_field(where + "." + key, "must be an integer, got " + it->dump());
            out = it->template get<V>();
        } else if constexpr (std::is_same<V, double>::value) {
            if (!it->is_number()) bad_field(where + "." + key, "must be a number, got " + it->dump());
            out = it->template get<double>();
        } else if constexpr (std::is_same<V, std::vector<int>>::value) {
            if (!it->is_array()) bad_field(where + "." + key, "must be an array of integers, got " + it->dump());
            out.clear();
            for (std::size_t i = 0; i < it->size(); ++i) {
                const auto& e = (*it)[i];
                if (!e.is_number_integer())
                    bad_field(where + "." + key + "[" + std::to_string(i) + "]", "must be an integer, got " + e.dump());
                out.push_back(e.template get<int>());
            }
        } else if constexpr (std::is_same<V, std::string>::value) {
            if (!it->is_string()) bad_field(where + "." + key, "must be a string, got " + it->dump());
            out = it->template get<std::string>();
        } else {  // enums
            if (!it->is_string()) bad_field(where + "." + key, "must be a string, got " + it->dump());
            out = parse_enum<V>(it->template get<std::string>(), where + "." + key);
        }
    } catch (const nlohmann::json::exception& e) {
        bad_field(where + "." + key, e.what());
    }
}

inline void reject_unknown_keys(const nlohmann::json& j, std::initializer_list<const char*> known,
                                const std::string& where) {
    if (!j.is_object()) bad_field(where, "must be a JSON object, got " + j.dump());
    for (auto it = j.begin(); it != j.end(); ++it) {
        bool ok = false;
        for (const char* k : known) ok = ok || it.key() == k;
        if (!ok) bad_field(where + "." + it.key(), "unknown key");
    }
}

}  // namespace detail
}  // namespace polytag::openmic
