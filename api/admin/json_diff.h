// JsonDiff: RFC 6902 patches between two JSON values, exactly as
// nlohmann::json::diff writes them (same operations, same order, same paths),
// without its temporary arrays and repeated deep comparisons: the audit
// history computes one per event. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

namespace mneme::api {

nlohmann::json JsonDiff(const nlohmann::json& source, const nlohmann::json& target);

}  // namespace mneme::api
