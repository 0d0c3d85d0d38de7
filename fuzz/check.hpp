// A violated property prints itself and aborts, so that libFuzzer saves the input.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace atc::fuzz {

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz: property violated: %s\n", what);
  std::abort();
}

}  // namespace atc::fuzz

#define ATC_FUZZ_CHECK(condition) \
  do {                            \
    if (!(condition)) ::atc::fuzz::fail(#condition); \
  } while (false)
