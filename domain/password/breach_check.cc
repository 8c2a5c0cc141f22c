#include "domain/password/breach_check.h"

namespace mneme::domain::password {

BreachCheck::BreachCheck(BreachedPasswords* offline, BreachedPasswords* online,
                         int64_t max_breaches, NetworkErrors network_errors)
    : offline_(offline),
      online_(online),
      max_breaches_(max_breaches),
      network_errors_(network_errors) {}

Result<std::optional<Violation>> BreachCheck::Check(std::string_view password) const {
  if (offline_ != nullptr) {
    MNEME_TRY(const int64_t count, offline_->Count(password));
    if (count > 0) {
      return TooManyBreachesViolation(count);
    }
  }
  if (online_ == nullptr) {
    return std::nullopt;
  }
  Result<int64_t> count = online_->Count(password);
  if (!count) {
    if (count.error().code() == Code::kUnavailable && network_errors_ == NetworkErrors::kIgnore) {
      // Deliberately ignored (password.ignore_network_errors); the offline
      // list above has already run.
      count.error().IgnoreError();
      return std::nullopt;
    }
    return tl::unexpected<Error>(count.error());
  }
  if (*count > max_breaches_) {
    return TooManyBreachesViolation(*count);
  }
  return std::nullopt;
}

}  // namespace mneme::domain::password
