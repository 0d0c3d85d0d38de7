// What the backends derive from the family table (atc/config.hpp): dispatch_family, from a
// family index known at run time to code specialised for it, on the host and in device
// code (the fused kernels' chains), the one switch over the families; and the order of
// the families by cost. A new family is a row of kFamilyTraits and a case here.
#pragma once

#include <type_traits>

#include "atc/config.hpp"
#include "formulas.hpp"  // ATC_HD

namespace atc {

template <int F>
using FamilyConstant = std::integral_constant<int, F>;

// The families from the costliest to the cheapest (of equal cost, the later first).
struct FamilyOrder {
  int family[kFamilies];
};
constexpr FamilyOrder families_by_cost() {
  FamilyOrder order{};
  for (int i = 0; i < kFamilies; ++i) order.family[i] = i;
  const auto before = [](int a, int b) {
    return kFamilyTraits[a].cost != kFamilyTraits[b].cost ? kFamilyTraits[a].cost > kFamilyTraits[b].cost : a > b;
  };
  for (int i = 1; i < kFamilies; ++i)  // insertion sort: constexpr and six rows
    for (int j = i; j > 0 && before(order.family[j], order.family[j - 1]); --j) {
      const int t = order.family[j];
      order.family[j] = order.family[j - 1];
      order.family[j - 1] = t;
    }
  return order;
}
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
