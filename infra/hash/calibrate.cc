#include "infra/hash/calibrate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace mneme::infra::hash {
namespace {

using Nanos = std::chrono::nanoseconds;

constexpr int kRunsPerProbe = 2;          // Kratos --probe-runs default
constexpr uint64_t kAdjustKib = 512 * 1024;  // Kratos --adjust-memory-by 512MB
constexpr uint64_t kCheckStepKib = 64 * 1024;  // Kratos's load-test step, 64MB
constexpr int kCheckSamples = 5;
constexpr int kCheckRounds = 5;

std::string FormatDuration(Nanos d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1fms", static_cast<double>(d.count()) / 1e6);
  return buf;
}

std::string FormatMemory(uint64_t kib) {
  if (kib % 1024 == 0) {
    return std::to_string(kib / 1024) + " MiB";
  }
  return std::to_string(kib) + " KiB";
}

Nanos StandardDeviation(const std::vector<Nanos>& samples) {
  const double n = static_cast<double>(samples.size());
  double mean = 0;
  for (Nanos s : samples) {
    mean += static_cast<double>(s.count()) / n;
  }
  double variance = 0;
  for (Nanos s : samples) {
    const double d = static_cast<double>(s.count()) - mean;
    variance += d * d / n;
  }
  return Nanos(static_cast<int64_t>(std::sqrt(variance)));
}

class Calibrator {
 public:
  Calibrator(Nanos target, Nanos deviation, uint64_t max_kib,
             const std::function<void(const std::string&)>& progress, Argon2Params params)
      : target_(target),
        deviation_(deviation),
        max_kib_(max_kib),
        min_kib_(8ull * params.parallelism),
        progress_(progress),
        params_(params) {}

  Result<Argon2Params> Run() {
    MNEME_RETURN_IF_ERROR(IncreaseMemory());
    MNEME_RETURN_IF_ERROR(DecreaseMemory());
    Say("Settled on " + FormatMemory(params_.memory_kib) + " of memory.");
    MNEME_RETURN_IF_ERROR(IncreaseIterations());
    MNEME_RETURN_IF_ERROR(DecreaseIterations());
    Say("Settled on " + std::to_string(params_.iterations) + " iterations.");
    return Check();
  }

 private:
  void Say(const std::string& line) const {
    if (progress_) {
      progress_(line);
    }
  }

  // One hash with the current parameters; wall-clock time is the quantity
  // being calibrated, so this reads the real steady clock directly.
  Result<Nanos> TimeOneHash() const {
    const auto begin = std::chrono::steady_clock::now();
    MNEME_RETURN_IF_ERROR(HashArgon2id("password", params_));
    return std::chrono::duration_cast<Nanos>(std::chrono::steady_clock::now() - begin);
  }

  Result<Nanos> Probe() const {
    Nanos total{0};
    for (int i = 0; i < kRunsPerProbe; ++i) {
      MNEME_TRY(Nanos took, TimeOneHash());
      Say("    took " + FormatDuration(took) + " in try " + std::to_string(i));
      total += took;
    }
    return total / kRunsPerProbe;
  }

  Result<Nanos> ProbeMemory() const {
    MNEME_TRY(Nanos took, Probe());
    Say("  took " + FormatDuration(took) + " with " + FormatMemory(params_.memory_kib) +
        " of memory");
    return took;
  }

  Result<Nanos> ProbeIterations() const {
    MNEME_TRY(Nanos took, Probe());
    Say("  took " + FormatDuration(took) + " with " + std::to_string(params_.iterations) +
        " iterations");
    return took;
  }

  // Lowers memory by the adjustment step, halving the step first while it
  // would take memory to zero.
  Status StepMemoryDown() {
    while (adjust_kib_ > 0 && params_.memory_kib <= adjust_kib_) {
      adjust_kib_ >>= 1;
    }
    const uint64_t lowered = params_.memory_kib - adjust_kib_;
    if (adjust_kib_ == 0 || params_.memory_kib <= min_kib_) {
      return MakeError(Code::kFailedPrecondition,
                       "argon2 calibration: even " + FormatMemory(params_.memory_kib) +
                           " of memory takes longer than " + FormatDuration(target_));
    }
    params_.memory_kib = static_cast<uint32_t>(std::max(lowered, min_kib_));
    return OkStatus();
  }

  Status IncreaseMemory() {
    Say("Increasing memory to get over " + FormatDuration(target_) + ":");
    while (true) {
      if (max_kib_ != 0 && params_.memory_kib > max_kib_) {
        Say("  ouch, hit the memory limit there");
        params_.memory_kib = static_cast<uint32_t>(max_kib_);
        return OkStatus();
      }
      MNEME_TRY(Nanos took, ProbeMemory());
      if (took > target_) {
        return StepMemoryDown();
      }
      params_.memory_kib = static_cast<uint32_t>(
          std::min<uint64_t>(params_.memory_kib + adjust_kib_, UINT32_MAX));
    }
  }

  Status DecreaseMemory() {
    Say("Decreasing memory to get under " + FormatDuration(target_) + ":");
    while (true) {
      MNEME_TRY(Nanos took, ProbeMemory());
      if (took < target_) {
        return OkStatus();
      }
      MNEME_RETURN_IF_ERROR(StepMemoryDown());
    }
  }

  Status IncreaseIterations() {
    Say("Increasing iterations to get over " + FormatDuration(target_) + ":");
    while (true) {
      MNEME_TRY(Nanos took, ProbeIterations());
      if (took > target_) {
        if (params_.iterations > 1) {
          --params_.iterations;
        }
        return OkStatus();
      }
      ++params_.iterations;
    }
  }

  Status DecreaseIterations() {
    Say("Decreasing iterations to get under " + FormatDuration(target_) + ":");
    while (true) {
      MNEME_TRY(Nanos took, ProbeIterations());
      // Also stop at 1: it may have been just under the target before.
      if (took < target_ || params_.iterations == 1) {
        return OkStatus();
      }
      --params_.iterations;
    }
  }

  uint64_t CheckStepKib() const {
    return std::max<uint64_t>(std::min<uint64_t>(kCheckStepKib, params_.memory_kib / 8),
                              min_kib_);
  }

  // The memory a median this far under the target lacks, assuming time grows
  // with memory, plus a tenth: at most Kratos's 64 MiB step.
  uint64_t MissingMemoryKib(Nanos median) const {
    if (median <= Nanos::zero()) {
      return kCheckStepKib;
    }
    const double ratio = static_cast<double>(target_.count()) / static_cast<double>(median.count());
    const double missing = static_cast<double>(params_.memory_kib) * (ratio * 1.1 - 1.0);
    return std::clamp<uint64_t>(static_cast<uint64_t>(std::max(missing, 0.0)), min_kib_,
                                kCheckStepKib);
  }

  Status LowerCost() {
    if (params_.iterations > 1) {
      --params_.iterations;
      Say("Decreasing iterations to " + std::to_string(params_.iterations));
      return OkStatus();
    }
    if (params_.memory_kib <= min_kib_) {
      return MakeError(Code::kFailedPrecondition,
                       "argon2 calibration: cannot lower the cost below " +
                           FormatMemory(params_.memory_kib) + " and 1 iteration");
    }
    params_.memory_kib = static_cast<uint32_t>(
        std::max<uint64_t>(params_.memory_kib - std::min<uint64_t>(CheckStepKib(),
                                                                   params_.memory_kib),
                           min_kib_));
    Say("Decreasing memory to " + FormatMemory(params_.memory_kib));
    return OkStatus();
  }

  Result<Argon2Params> Check() {
    std::string last;
    for (int round = 0; round < kCheckRounds; ++round) {
      Say("Checking " + std::to_string(kCheckSamples) + " sequential hashes.");
      std::vector<Nanos> samples;
      for (int i = 0; i < kCheckSamples; ++i) {
        MNEME_TRY(Nanos took, TimeOneHash());
        samples.push_back(took);
      }
      std::sort(samples.begin(), samples.end());
      const Nanos median = samples[samples.size() / 2];
      const Nanos longest = samples.back();
      const Nanos stddev = StandardDeviation(samples);
      last = "median " + FormatDuration(median) + ", longest " + FormatDuration(longest) +
             ", standard deviation " + FormatDuration(stddev);
      Say("  " + last);

      if (median < target_) {
        Say("The median was " + FormatDuration(target_ - median) +
            " under the minimal duration of " + FormatDuration(target_) +
            ", going to increase the hash cost.");
        const uint64_t step = MissingMemoryKib(median);
        if (max_kib_ == 0 || params_.memory_kib + step <= max_kib_) {
          params_.memory_kib = static_cast<uint32_t>(
              std::min<uint64_t>(params_.memory_kib + step, UINT32_MAX));
          Say("Increasing memory to " + FormatMemory(params_.memory_kib));
        } else {
          ++params_.iterations;
          Say("Increasing iterations to " + std::to_string(params_.iterations));
        }
      } else if (longest > target_ + deviation_) {
        Say("The longest hash took " + FormatDuration(longest - target_ - deviation_) +
            " longer than the longest acceptable time of " +
            FormatDuration(target_ + deviation_) + ", going to decrease the hash cost.");
        MNEME_RETURN_IF_ERROR(LowerCost());
      } else if (stddev > deviation_) {
        Say("The deviation was " + FormatDuration(stddev - deviation_) +
            " more than the expected deviation of " + FormatDuration(deviation_) + ".");
        MNEME_RETURN_IF_ERROR(LowerCost());
      } else {
        Say("These values look good to me.");
        return params_;
      }
    }
    return MakeError(Code::kFailedPrecondition,
                     "argon2 calibration: could not automatically determine good parameters "
                     "(last check: " + last + ")");
  }

  const Nanos target_;
  const Nanos deviation_;
  const uint64_t max_kib_;
  const uint64_t min_kib_;
  const std::function<void(const std::string&)> progress_;
  Argon2Params params_;
  uint64_t adjust_kib_ = kAdjustKib;
};

}  // namespace

Result<Argon2Params> CalibrateArgon2(std::chrono::nanoseconds target,
                                     std::chrono::nanoseconds deviation,
                                     uint64_t dedicated_memory_bytes,
                                     const std::function<void(const std::string&)>& progress,
                                     const Argon2Params& start) {
  if (target <= Nanos::zero() || deviation < Nanos::zero()) {
    return MakeError(Code::kInvalidArgument,
                     "argon2 calibration: target must be positive and deviation not negative");
  }
  MNEME_RETURN_IF_ERROR(ValidateArgon2Params(start));
  const uint64_t max_kib = dedicated_memory_bytes / 1024;
  if (dedicated_memory_bytes != 0 && max_kib < 8ull * start.parallelism) {
    return MakeError(Code::kInvalidArgument,
                     "argon2 calibration: dedicated memory is below 8 KiB per lane");
  }
  Argon2Params params = start;
  if (max_kib != 0 && params.memory_kib > max_kib) {
    params.memory_kib = static_cast<uint32_t>(std::min<uint64_t>(max_kib, UINT32_MAX));
  }
  return Calibrator(target, deviation, max_kib, progress, params).Run();
}

}  // namespace mneme::infra::hash
