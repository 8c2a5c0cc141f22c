// Argon2 calibration, after `kratos hashers argon2 calibrate`
// (cmd/hashers/argon2/calibrate.go): find memory and iterations for which one
// argon2id hash on this machine takes about `target`.
//
// The four probing phases are Kratos's: raise memory in steps (512 MiB,
// halved whenever a step would reach zero) until a hash takes longer than the
// target, lower it until one is faster, then raise and lower iterations the
// same way; each probe is the mean of 2 hashes. Kratos then runs a concurrent
// load test at a given requests-per-minute rate; mneme replaces it with a
// check of 5 sequential hashes, adjusted at most 5 times: a median under the
// target adds memory (the share the median says is missing, plus a tenth, at
// most Kratos's 64 MiB step) or, at the memory limit, an iteration; a longest
// hash over target + deviation, or a standard deviation over `deviation`,
// removes an iteration (or an eighth of the memory, at most 64 MiB, at 1
// iteration).
//
// Thread-safety: a pure function; it measures wall-clock time, so run it on
// an otherwise idle machine. It blocks for as long as the probes take.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "domain/common/result.h"
#include "infra/hash/argon2.h"

namespace mneme::infra::hash {

// `start` gives the starting memory and iterations (Kratos: 128MB and 1) and
// the parallelism, salt and key lengths, which calibration keeps. Memory never
// exceeds `dedicated_memory_bytes` (Kratos's hashers.argon2.dedicated_memory,
// default 1GB); 0 means no limit. Each step is reported through `progress` as
// one line of text.
// Errors: kInvalidArgument (target not positive, `start` invalid),
// kFailedPrecondition (no parameters found: even the least memory is slower
// than the target, or the check did not settle in 5 rounds),
// kResourceExhausted (argon2 could not allocate its memory).
Result<Argon2Params> CalibrateArgon2(std::chrono::nanoseconds target,
                                     std::chrono::nanoseconds deviation,
                                     uint64_t dedicated_memory_bytes,
                                     const std::function<void(const std::string&)>& progress,
                                     const Argon2Params& start = Argon2Params());

}  // namespace mneme::infra::hash
