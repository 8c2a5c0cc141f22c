// StrongId<Tag, Rep>: a distinct type per identifier so that a stream version
// cannot be passed where a global position is expected. Value type.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>

namespace mneme {

template <typename Tag, typename Rep>
class StrongId {
 public:
  using rep_type = Rep;
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep value) : value_(std::move(value)) {}

  constexpr const Rep& value() const { return value_; }
  constexpr auto operator<=>(const StrongId&) const = default;

  friend std::ostream& operator<<(std::ostream& os, const StrongId& id) {
    return os << id.value_;
  }

 private:
  Rep value_{};
};

struct GlobalPositionTag {};
struct StreamVersionTag {};
// Position of an event in the whole log: gapless, from 1, in commit order.
using GlobalPosition = StrongId<GlobalPositionTag, uint64_t>;
// Version of an event within its stream: from 1.
using StreamVersion = StrongId<StreamVersionTag, uint64_t>;

}  // namespace mneme

template <typename Tag, typename Rep>
struct std::hash<mneme::StrongId<Tag, Rep>> {
  size_t operator()(const mneme::StrongId<Tag, Rep>& id) const noexcept {
    return std::hash<Rep>{}(id.value());
  }
};
