// offload / on_pool / await_on: where the work runs and where the caller resumes.
#include "app/blocking.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <functional>
#include <string>
#include <stdexcept>
#include <thread>

namespace nsl::app {
namespace {

namespace asio = boost::asio;

struct Seen {
  std::thread::id caller;
  std::thread::id fn;
  std::thread::id inner;
  std::thread::id inner_fn;
  std::thread::id resumed;
  int value = 0;
  bool threw = false;
};

asio::awaitable<int> on_the_pool(asio::thread_pool& pool, Seen& s) {
  s.inner = std::this_thread::get_id();
  int v = co_await offload(pool, [&s] {
    s.inner_fn = std::this_thread::get_id();
    return 41;
  });
  co_return v + 1;
}

asio::awaitable<int> throwing() {
  throw std::runtime_error("boom");
  co_return 0;
}

asio::awaitable<void> run(asio::thread_pool& pool, Seen& s) {
  s.caller = std::this_thread::get_id();
  (void)co_await offload(pool, [&s] {
    s.fn = std::this_thread::get_id();
    return 0;
  });
  s.value = co_await on_pool(pool, on_the_pool(pool, s));
  try {
    (void)co_await on_pool(pool, throwing());
  } catch (const std::runtime_error&) {
    s.threw = true;
  }
  s.resumed = std::this_thread::get_id();
}

TEST(BlockingTest, OffloadAndOnPoolRunOnThePoolAndResumeTheCaller) {
  asio::io_context ioc;
  asio::thread_pool pool(2);
  Seen s;
  asio::co_spawn(ioc, run(pool, s), asio::detached);
  ioc.run();
  pool.join();
  const auto io = std::this_thread::get_id();
  EXPECT_EQ(s.caller, io);
  EXPECT_NE(s.fn, io);                // offload from the I/O thread: a pool thread
  EXPECT_NE(s.inner, io);             // on_pool: the coroutine runs on a pool thread
  EXPECT_EQ(s.inner_fn, s.inner);     // and its offload runs in place there
  EXPECT_EQ(s.value, 42);
  EXPECT_TRUE(s.threw);               // an exception reaches the caller
  EXPECT_EQ(s.resumed, io);           // which resumes on its own executor
}

// await_on from a coroutine running on the pool (as a handler under on_pool does): the callback runs on a
// thread of its own (the enclave client's reader, the audit writer), the coroutine resumes on the strand it
// names — not on the pool — and the caller of on_pool then resumes there too.
struct AwaitSeen {
  std::thread::id started;          // where the handler coroutine began (a pool thread)
  std::thread::id callback;         // the foreign thread that completed the operation
  // Where await_on resumed the handler: inside the named strand (asked of the strand: clang may keep a
  // thread id read before a co_await in a register across it, so thread ids read inside this coroutine after
  // a resumption elsewhere are not reliable).
  bool on_strand = false;
  bool inline_on_strand = false;    // after a callback called before start() returned
  std::thread::id after_offload;    // offload from the strand: back on the pool
  std::thread::id caller_resumed;   // the on_pool caller, afterwards
  std::string value;
  int inline_value = 0;
  const asio::strand<asio::io_context::executor_type>* strand = nullptr;
};

asio::awaitable<int> handler_on_pool(asio::thread_pool& pool, asio::any_io_executor home, AwaitSeen& s,
                                     std::thread& worker) {
  s.started = std::this_thread::get_id();
  s.value = co_await await_on<std::string>(home, [&](std::function<void(std::string)> done) {
    worker = std::thread([&s, done = std::move(done)] {
      s.callback = std::this_thread::get_id();
      done("answer");
    });
  });
  s.on_strand = s.strand->running_in_this_thread();
  s.inline_value = co_await await_on<int>(home, [](std::function<void(int)> done) { done(7); });
  s.inline_on_strand = s.strand->running_in_this_thread();
  (void)co_await offload(pool, [] { return 0; });
  s.after_offload = std::this_thread::get_id();
  co_return 1;
}

asio::awaitable<void> await_caller(asio::thread_pool& pool, AwaitSeen& s, std::thread& worker) {
  asio::any_io_executor home = co_await asio::this_coro::executor;
  (void)co_await on_pool(pool, handler_on_pool(pool, home, s, worker));
  s.caller_resumed = std::this_thread::get_id();
}

TEST(BlockingTest, AwaitOnResumesOnTheNamedExecutorWhicheverThreadCompletes) {
  asio::io_context ioc;
  asio::thread_pool pool(2);
  AwaitSeen s;
  std::thread worker;
  const auto strand = asio::make_strand(ioc);
  s.strand = &strand;
  asio::co_spawn(strand, await_caller(pool, s, worker), asio::detached);
  ioc.run();
  pool.join();
  worker.join();
  const auto io = std::this_thread::get_id();
  EXPECT_NE(s.started, io);
  EXPECT_NE(s.callback, io);
  EXPECT_NE(s.callback, s.started);
  EXPECT_EQ(s.value, "answer");
  EXPECT_TRUE(s.on_strand);
  EXPECT_EQ(s.inline_value, 7);
  EXPECT_TRUE(s.inline_on_strand);
  EXPECT_NE(s.after_offload, io);
  EXPECT_EQ(s.caller_resumed, io);
}

}  // namespace
}  // namespace nsl::app
