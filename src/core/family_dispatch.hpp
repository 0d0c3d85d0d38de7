// dispatch_family: from a family index known at run time to code specialised for it, on
// the host and in device code (the fused kernels' chains). The one switch over the
// families: a new family is a row of kFamilyTraits (atc/config.hpp) and a case here.
#pragma once

#include <type_traits>

#include "atc/config.hpp"
#include "formulas.hpp"  // ATC_HD

namespace atc {

template <int F>
using FamilyConstant = std::integral_constant<int, F>;

/// Calls fn(FamilyConstant<f>{}) for f in [0, kFamilies); nothing for any other f.
template <class Fn>
ATC_HD void dispatch_family(int f, Fn&& fn) {
  static_assert(kFamilies == 6, "a family added to kFamilyTraits needs its case here");
  switch (f) {
    case 0: fn(FamilyConstant<0>{}); break;
    case 1: fn(FamilyConstant<1>{}); break;
    case 2: fn(FamilyConstant<2>{}); break;
    case 3: fn(FamilyConstant<3>{}); break;
    case 4: fn(FamilyConstant<4>{}); break;
    case 5: fn(FamilyConstant<5>{}); break;
    default: break;
  }
}

}  // namespace atc
