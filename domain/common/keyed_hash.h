// KeyedHasher: the port for keyed hashes of secrets the server hands out and
// must recognise later without storing them (session tokens, logout tokens,
// codes). Keys rotate like Kratos's secrets: the first key makes new hashes,
// every key still recognises old ones. Implemented in infra/crypto.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mneme::domain {

class KeyedHasher {
 public:
  virtual ~KeyedHasher() = default;
  // Lower-case hex hash under the current (first) key.
  virtual std::string Hash(std::string_view secret) const = 0;
  // The hash under each key, current first: look a secret up by each.
  virtual std::vector<std::string> Candidates(std::string_view secret) const = 0;
};

}  // namespace mneme::domain
