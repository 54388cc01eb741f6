#include "service/door/observer_set.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/decision/engine.h"

namespace corsd::door {
namespace {

class Recorder final : public DecisionObserver {
 public:
  Recorder(std::vector<std::string>* calls, std::string name)
      : calls_(calls), name_(std::move(name)) {}
  void OnDecision(const DecisionEvent& event) override {
    calls_->push_back(name_ + ":" + std::string(event.door));
  }

 private:
  std::vector<std::string>* calls_;
  std::string name_;
};

TEST(ObserverSetTest, EmptySetGivesDoorsNoObserver) {
  ObserverSet set;
  EXPECT_EQ(set.ForDoors(), nullptr);
  EXPECT_TRUE(set.Add(nullptr));
  EXPECT_EQ(set.size(), 0u);
  EXPECT_EQ(set.ForDoors(), nullptr);
}

TEST(ObserverSetTest, OneMemberIsGivenToDoorsDirectly) {
  std::vector<std::string> calls;
  Recorder a(&calls, "a");
  ObserverSet set;
  ASSERT_TRUE(set.Add(&a));
  EXPECT_EQ(set.ForDoors(), &a);
}

TEST(ObserverSetTest, CallsEveryMemberInOrder) {
  std::vector<std::string> calls;
  Recorder a(&calls, "a");
  Recorder b(&calls, "b");
  ObserverSet set;
  ASSERT_TRUE(set.Add(&a));
  ASSERT_TRUE(set.Add(nullptr));
  ASSERT_TRUE(set.Add(&b));
  ASSERT_EQ(set.ForDoors(), &set);
  decision::Request request;
  decision::Decision decision;
  set.ForDoors()->OnDecision({.door = "http",
                              .tenant = "shop",
                              .request = request,
                              .decision = decision});
  EXPECT_EQ(calls, (std::vector<std::string>{"a:http", "b:http"}));
}

TEST(ObserverSetTest, RefusesMoreThanItsCapacity) {
  std::vector<std::string> calls;
  std::vector<std::unique_ptr<Recorder>> members;
  ObserverSet set;
  for (size_t i = 0; i < ObserverSet::kMaxObservers; ++i) {
    members.push_back(std::make_unique<Recorder>(&calls, "m"));
    ASSERT_TRUE(set.Add(members.back().get()));
  }
  Recorder extra(&calls, "extra");
  EXPECT_FALSE(set.Add(&extra));
  EXPECT_EQ(set.size(), ObserverSet::kMaxObservers);
}

}  // namespace
}  // namespace corsd::door
