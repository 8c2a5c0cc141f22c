// JsonDiff writes exactly what nlohmann::json::diff writes: checked on fixed
// cases (escaping, arrays shrinking and growing, type changes) and on random
// pairs of related documents (a failing seed is printed).
#include "api/admin/json_diff.h"

#include <random>

#include <gtest/gtest.h>

namespace mneme::api {
namespace {

using nlohmann::json;

TEST(JsonDiffTest, FixedCasesMatchNlohmann) {
  const std::vector<std::pair<json, json>> cases = {
      {json::object(), json::object()},
      {{{"a", 1}}, {{"a", 2}}},
      {{{"a", 1}}, {{"b", 1}}},
      {{{"a/b", 1}, {"c~d", 2}}, {{"a/b", 3}}},
      {json::array({1, 2, 3, 4}), json::array({1})},
      {json::array({1}), json::array({1, 2, 3})},
      {json::array({json::object({{"x", 1}})}), json::array({json::object({{"x", 2}, {"y", 3}})})},
      {{{"a", json::array({1, 2})}}, {{"a", "now a string"}}},
      {nullptr, {{"a", 1}}},
      {{{"traits", {{"email", "a@example.org"}, {"name", {{"first", "Ann"}}}}}},
       {{"traits", {{"email", "b@example.org"}}}}},
      {1.5, 1.5},
      {"x", "y"},
  };
  for (const auto& [a, b] : cases) {
    EXPECT_EQ(JsonDiff(a, b), json::diff(a, b)) << a.dump() << " -> " << b.dump();
  }
}

json RandomValue(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 2 ? 3 : 5);
  switch (kind(rng)) {
    case 0:
      return static_cast<int>(rng() % 4);
    case 1:
      return std::string(1, static_cast<char>('a' + rng() % 3));
    case 2:
      return nullptr;
    case 3:
      return rng() % 2 == 0;
    case 4: {
      json a = json::array();
      for (unsigned n = rng() % 4; n > 0; --n) {
        a.push_back(RandomValue(rng, depth + 1));
      }
      return a;
    }
    default: {
      json o = json::object();
      for (unsigned n = rng() % 4; n > 0; --n) {
        o[std::string(1, "ab/~"[rng() % 4])] = RandomValue(rng, depth + 1);
      }
      return o;
    }
  }
}

// A copy of `v` with a few random edits, so pairs share structure.
json Mutate(const json& v, std::mt19937& rng, int depth) {
  if (rng() % 4 == 0) {
    return RandomValue(rng, depth);
  }
  json out = v;
  if (out.is_object()) {
    for (auto& [k, child] : out.items()) {
      if (rng() % 2 == 0) {
        child = Mutate(child, rng, depth + 1);
      }
    }
    if (rng() % 3 == 0) {
      out[std::string(1, "ab/~"[rng() % 4])] = RandomValue(rng, depth + 1);
    }
  } else if (out.is_array()) {
    for (auto& child : out) {
      if (rng() % 2 == 0) {
        child = Mutate(child, rng, depth + 1);
      }
    }
    if (rng() % 3 == 0 && !out.empty()) {
      out.erase(out.size() - 1);
    } else if (rng() % 3 == 0) {
      out.push_back(RandomValue(rng, depth + 1));
    }
  }
  return out;
}

TEST(JsonDiffTest, RandomPairsMatchNlohmann) {
  for (uint32_t seed = 1; seed <= 3000; ++seed) {
    std::mt19937 rng(seed);
    const json a = RandomValue(rng, 0);
    const json b = Mutate(a, rng, 0);
    ASSERT_EQ(JsonDiff(a, b), json::diff(a, b))
        << "seed " << seed << ": " << a.dump() << " -> " << b.dump();
  }
}

}  // namespace
}  // namespace mneme::api
