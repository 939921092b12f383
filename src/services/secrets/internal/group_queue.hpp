// nsl/services/secrets/internal/group_queue.hpp — group commit of concurrent calls per key (the write
// path of LevelDB's DBImpl::Write): callers of one key queue up; the one at the front leads a group
// — itself and the callers queued behind it, as many as `admit` lets in — runs it, and hands every
// member its answer. A caller that finds no queue leads a group of one at once, without waiting.
//
//   struct Item { ...; bool lead = false; bool done = false; std::condition_variable cv; };
//   queue.run(tenant, item, 32, [&](Item& next) { return distinct(next); },
//             [&](std::vector<Item*>& group) { /* sets every member's answer */ },
//             [&](Item& left) { /* an answer for a member the group left without one */ });
//
// `lead`, `done` and `cv` belong to the queue (guarded by its mutex). `admit` runs under the queue's
// mutex for the callers behind the leader, in order; the first it refuses starts the next group.
// `commit` runs without the lock; if it throws, `fail` gives every member an answer.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace nsl::secrets::internal {

template <class Item>
class GroupQueue {
 public:
  // Groups of one key run at once (later callers of the key wait for one to finish).
  explicit GroupQueue(int in_flight = 1) : in_flight_(in_flight) {}

  template <class Admit, class Commit, class Fail>
  void run(const std::string& key, Item& item, std::size_t max, Admit admit, Commit commit, Fail fail) {
    std::unique_lock lock(mu_);
    // References to a map's elements survive rehashing; the entry is erased only when no caller
    // of the key is waiting or running.
    Key& k = by_key_[key];
    k.waiting.push_back(&item);
    promote(k);
    item.cv.wait(lock, [&] { return item.done || item.lead; });
    if (item.done) return;
    // Only the front is ever made to lead, and only it takes itself off the queue.
    std::vector<Item*> group{&item};
    k.waiting.pop_front();
    while (!k.waiting.empty() && group.size() < max && admit(*k.waiting.front())) {
      group.push_back(k.waiting.front());
      k.waiting.pop_front();
    }
    ++k.active;
    promote(k);
    lock.unlock();
    try {
      commit(group);
    } catch (...) {
      // Never leave the members of a leader that is gone waiting.
      for (Item* p : group) fail(*p);
    }
    lock.lock();
    --k.active;
    for (Item* p : group) {
      p->done = true;
      if (p != &item) p->cv.notify_one();
    }
    promote(k);
    if (k.waiting.empty() && k.active == 0) by_key_.erase(key);
  }

 private:
  struct Key {
    std::deque<Item*> waiting;
    int active = 0;  // groups running
  };
  // Lets the first waiting caller lead when fewer than in_flight_ groups run. Called with mu_ held.
  void promote(Key& k) {
    if (k.active >= in_flight_ || k.waiting.empty() || k.waiting.front()->lead) return;
    k.waiting.front()->lead = true;
    k.waiting.front()->cv.notify_one();
  }

  const int in_flight_;
  std::mutex mu_;
  std::unordered_map<std::string, Key> by_key_;  // guarded by mu_
};

}  // namespace nsl::secrets::internal
