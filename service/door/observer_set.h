// ObserverSet: several DecisionObservers behind the one hook of the
// decision path (decision_observer.h). The decision log, the per-tenant
// refusal view and the what-if shape recorder each observe every decision;
// RunDecide calls one observer, this one, which calls each of them in the
// order they were given.
//
// Thread safety / invariants: immutable after construction (a fixed array
// of pointers, no atomics); OnDecision may be called from any number of
// threads at once and adds nothing to the members' own contracts (no lock,
// no allocation). The members are not owned and must outlive the set.
#ifndef CORSD_SERVICE_DOOR_OBSERVER_SET_H_
#define CORSD_SERVICE_DOOR_OBSERVER_SET_H_

#include <array>
#include <cstddef>
#include <initializer_list>

#include "service/door/decision_observer.h"

namespace corsd::door {

class ObserverSet final : public DecisionObserver {
 public:
  // How many observers a set holds; Add beyond it is refused.
  static constexpr size_t kMaxObservers = 8;

  ObserverSet() = default;
  ObserverSet(const ObserverSet&) = delete;
  ObserverSet& operator=(const ObserverSet&) = delete;

  // Appends `observer` (ignored when null). Returns false, adding nothing,
  // when the set already holds kMaxObservers. Call only before the set is
  // handed to a door (not thread-safe against OnDecision).
  bool Add(DecisionObserver* observer) {
    if (observer == nullptr) return true;
    if (size_ == kMaxObservers) return false;
    observers_[size_++] = observer;
    return true;
  }

  size_t size() const { return size_; }

  // What a door should be given: null when the set is empty (the path then
  // pays one branch), the only member when there is one (no extra virtual
  // call), otherwise the set itself.
  DecisionObserver* ForDoors() {
    if (size_ == 0) return nullptr;
    if (size_ == 1) return observers_[0];
    return this;
  }

  void OnDecision(const DecisionEvent& event) override {
    for (size_t i = 0; i < size_; ++i) observers_[i]->OnDecision(event);
  }

 private:
  std::array<DecisionObserver*, kMaxObservers> observers_{};
  size_t size_ = 0;
};

}  // namespace corsd::door

#endif  // CORSD_SERVICE_DOOR_OBSERVER_SET_H_
