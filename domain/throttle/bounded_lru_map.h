// BoundedLruMap<V>: a string-keyed map that holds at most `capacity` entries
// and, when full, drops the entry touched least recently. The building block
// of each shard of LoginThrottle and ClientLimiter.
//
// Thread-safety: none; the owner holds a lock around every call.
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace mneme::domain::throttle {

template <typename V>
class BoundedLruMap {
 public:
  // A capacity below 1 is treated as 1.
  explicit BoundedLruMap(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  BoundedLruMap(const BoundedLruMap&) = delete;
  BoundedLruMap& operator=(const BoundedLruMap&) = delete;

  // The entry for `key`, or nullptr. Does not change the recency order.
  V* Find(std::string_view key) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->second;
  }

  // The entry for `key`, made most recent; a new entry is value-initialised,
  // evicting the least recent entry first if the map is full.
  V& Touch(std::string_view key) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      order_.splice(order_.end(), order_, it->second);
      return it->second->second;
    }
    if (index_.size() >= capacity_) {
      index_.erase(std::string_view(order_.front().first));
      order_.pop_front();
    }
    order_.emplace_back(std::string(key), V{});
    auto last = std::prev(order_.end());
    // The view points into the list node, which never moves.
    index_.emplace(std::string_view(last->first), last);
    return last->second;
  }

  void Erase(std::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) {
      return;
    }
    auto node = it->second;
    index_.erase(it);
    order_.erase(node);
  }

  size_t size() const { return index_.size(); }

 private:
  using Order = std::list<std::pair<std::string, V>>;
  size_t capacity_;
  Order order_;  // least recent first
  std::unordered_map<std::string_view, typename Order::iterator> index_;
};

}  // namespace mneme::domain::throttle
