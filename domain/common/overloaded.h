// Overloaded{lambdas...}: one visitor out of several lambdas, for std::visit
// over the event and command variants of the aggregates. Pure.
#pragma once

namespace mneme {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace mneme
